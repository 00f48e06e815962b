"""A plain `snakemake` queries the sessions still without an answer, and only those.

A small project (not run) gets live models served by a mock server this test
starts; only their collection manifests are targeted, so each Snakemake run
is short. One model's server fails some sessions on every try of the first
run: the dry run afterwards names how many sessions are left and what they
cost, the next plain run queries exactly those, and then nothing reruns. A
model whose sessions always fail stops after collection.max_attempts_per_session
tries and is not rerun again. An empty reply counts as missing until it has
text. A local OpenAI-compatible server is queried without a key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from valueaudit.collect import read_records
from valueaudit.mockserver import FaultPlan, MockLLMServer

from .conftest import make_project

pytestmark = pytest.mark.e2e

KEY_ENV, KEY = "VA_RERUN_KEY", "sk-rerun-test-5e1b07"
DATA = Path(__file__).parent / "data" / "imports"


def snakemake(root: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(root),
           "--snakefile", str(root / "Snakefile"), *args]
    env = {**os.environ, KEY_ENV: KEY}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=root, env=env)


def entry(mid, url, **kw):
    e = {"id": mid, "provider": "openai", "model": f"{mid}-v1", "base_url": url,
         "api_key_env": KEY_ENV, "params": {"temperature": 1.0, "max_tokens": 400},
         "sessions": 3, "open_sessions": 1, "concurrency": 2}
    e.update(kw)
    return e


@pytest.fixture(scope="module")
def project(tmp_path_factory, instrument):
    with MockLLMServer(instrument, api_key=None, seed=4) as srv:
        root = make_project(tmp_path_factory.mktemp("rerun") / "proj")
        cfg = yaml.safe_load((root / "config.yaml").read_text())
        shutil.copy(DATA / "edsl_results.csv", root / "resources" / "edsl_results.csv")
        cfg["models"]["live"] = [entry("flaky", srv.openai_base_url),
                                 entry("dead", srv.openai_base_url, sessions=1, open_sessions=0,
                                       tasks=["rating"]),
                                 {"id": "beta-edsl", "provider": "file", "format": "edsl",
                                  "path": "resources/edsl_results.csv", "model": "beta",
                                  "select": "beta-chat", "sessions": 2, "open_sessions": 2}]
        cfg["collection"] = {"raw_dir": "resources/raw", "max_retries": 1, "backoff_base_s": 0.01,
                             "backoff_max_s": 0.02, "timeout_s": 10, "max_attempts_per_session": 3,
                             "prices": {"flaky": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}}
        (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        yield root, srv


def manifests(*ids):
    return [f"results/collect/manifest/{m}.json" for m in ids]


def test_plain_rerun_queries_what_is_missing_and_then_nothing(project):
    root, srv = project
    # the first two tries of every conversation of flaky's rating sessions fail or come back
    # empty, so they end without an answer in the first run (max_retries 1 = 2 tries)
    srv.set_faults(FaultPlan(first=["server_error", "no_choices"]), models=["flaky-v1"])
    first = snakemake(root, *manifests("flaky"))
    assert first.returncode == 0, first.stderr[-4000:]
    recs = read_records(root / "resources" / "raw" / "flaky.jsonl")
    assert len(recs) == 7 and all(r["error"] for r in recs)
    assert Counter(r["error"]["type"] for r in recs) == {"empty_response": 7}
    man = json.loads((root / manifests("flaky")[0]).read_text())
    assert man["missing"] == 7
    assert "queries them again" in first.stderr
    srv.set_faults(None)
    dry = snakemake(root, "-n", *manifests("flaky"))
    assert dry.returncode == 0
    m = re.search(r"collect flaky: 7 requests to send .*: 7 sessions without an answer "
                  r"\(rating 3, ranking 3, open 1; 7 of them asked again\), .* about \$", dry.stdout)
    assert m, dry.stdout[-3000:]
    before = len(srv.requests)
    second = snakemake(root, *manifests("flaky"))
    assert second.returncode == 0, second.stderr[-4000:]
    assert len(srv.requests) - before == 7  # exactly the sessions without an answer
    man = json.loads((root / manifests("flaky")[0]).read_text())
    assert man["missing"] == 0
    for args in (("-n",), ()):
        res = snakemake(root, *args, *manifests("flaky"))
        assert "Nothing to be done" in res.stdout + res.stderr


def test_a_model_that_always_fails_stops_at_the_attempt_cap(project):
    root, srv = project
    srv.set_faults(FaultPlan(first=["server_error"] * 50), models=["dead-v1"])
    try:
        for _ in range(2):
            res = snakemake(root, *manifests("dead"))
            assert res.returncode == 0, res.stderr[-4000:]
        assert len([e for e in srv.requests if e["model"] == "dead-v1"]) == 3  # 2 + 1 = the cap
        man = json.loads((root / manifests("dead")[0]).read_text())
        assert man["missing"] == 1 and man["given_up"] == 1
        res = snakemake(root, "-n", *manifests("dead"))
        assert "Nothing to be done" in res.stdout + res.stderr
    finally:
        srv.set_faults(None)


def test_answers_collected_elsewhere_are_imported_by_the_workflow(project):
    root, _ = project
    dry = snakemake(root, "-n", *manifests("beta-edsl"))
    assert "import answers from resources/edsl_results.csv (edsl)" in dry.stdout
    res = snakemake(root, *manifests("beta-edsl"))
    assert res.returncode == 0, res.stderr[-4000:]
    recs = read_records(root / "resources" / "raw" / "beta-edsl.jsonl")
    assert len(recs) == 6 and all(r["collection"]["source_format"] == "edsl" for r in recs)
    man = json.loads((root / manifests("beta-edsl")[0]).read_text())
    assert man["missing"] == 0
    res = snakemake(root, "-n", *manifests("beta-edsl"))
    assert "Nothing to be done" in res.stdout + res.stderr


def test_no_key_in_any_file(project):
    root, _ = project
    for place in (root / "results", root / ".snakemake", root / "resources" / "raw"):
        for f in place.rglob("*"):
            if f.is_file():
                assert KEY.encode() not in f.read_bytes(), f
