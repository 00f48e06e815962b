"""End to end: two live models served by the local mock server join the whole workflow.

A copy of the small simulated project (already run) gets two ``models.live``
entries (one OpenAI-compatible, one Anthropic) pointing at a mock server this
test starts on 127.0.0.1. The dry run shows only their jobs plus aggregates,
the run collects them and puts their rows in every Study 2 and 3 table, a
forced rerun of the collection sends nothing and leaves the raw files
byte-identical, and no file under results/, .snakemake/ or the raw folder
holds an API key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from valueaudit.mockserver import FaultPlan, MockLLMServer

from .conftest import REPO

pytestmark = pytest.mark.e2e

KEYS = {"VA_E2E_OPENAI_KEY": "sk-e2e-openai-4c1d8e2f", "VA_E2E_ANTHROPIC_KEY": "sk-ant-e2e-9b7a33d1"}
LIVE_IDS = ["live-openai", "live-anthropic"]

if "workflow/rules/collect.smk" not in (REPO / "Snakefile").read_text():
    pytest.skip("workflow/rules/collect.smk is not included in the Snakefile yet",
                allow_module_level=True)


def snakemake(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(root),
           "--snakefile", str(root / "Snakefile"), *args]
    full_env = {k: v for k, v in os.environ.items() if k not in KEYS}
    full_env.update(env if env is not None else KEYS)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=root, env=full_env)


def live_entry(mid, provider, url, key_env, tier):
    return {"id": mid, "provider": provider, "model": f"{mid}-v1", "base_url": url,
            "api_key_env": key_env, "params": {"temperature": 1.0, "max_tokens": 800},
            "sessions": 4, "open_sessions": 2, "concurrency": 3,
            "metadata": {"display_name": f"{mid} (mock)", "family": "mock", "params_b": 7,
                         "release_date": "2026-04", "tier": tier, "open_weights": True}}


@pytest.fixture(scope="module")
def server(instrument):
    # some faults on every model, so the workflow sees retries and repairs too
    plan = FaultPlan(rates={"rate_limit": 0.1, "server_error": 0.05, "garbage": 0.05}, retry_after_s=0.05)
    with MockLLMServer(instrument, api_key=None, seed=3, faults=plan) as srv:
        yield srv


@pytest.fixture(scope="module")
def live_project(small_run, server, tmp_path_factory):
    root = tmp_path_factory.mktemp("live") / "proj"
    shutil.copytree(small_run, root, symlinks=True)
    if (REPO / "envs").is_dir():
        shutil.copytree(REPO / "envs", root / "envs", dirs_exist_ok=True)
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    cfg["models"]["live"] = [
        live_entry("live-openai", "openai", server.openai_base_url, "VA_E2E_OPENAI_KEY", "small"),
        live_entry("live-anthropic", "anthropic", server.anthropic_base_url, "VA_E2E_ANTHROPIC_KEY",
                   "frontier"),
    ]
    cfg["collection"] = {"raw_dir": "resources/raw", "backoff_base_s": 0.02, "backoff_max_s": 0.2,
                         "timeout_s": 10, "provider_concurrency": {"openai": 2, "anthropic": 2},
                         "prices": {"live-openai": {"input_per_mtok": 0.5, "output_per_mtok": 1.5}}}
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    dry = snakemake(root, "--dry-run")
    assert dry.returncode == 0, dry.stderr[-4000:]
    run = snakemake(root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    return root, dry.stdout, run


def test_dry_run_shows_only_the_new_models_and_aggregates(live_project):
    _, dry, _ = live_project
    # only the live models are collected (each collection job announces its requests)
    assert set(re.findall(r"collect ([a-z0-9._-]+): \d+ requests to send", dry)) == set(LIVE_IDS)
    # collect_model announces the requests it will send
    for mid in LIVE_IDS:
        assert re.search(rf"collect {mid}: 10 requests to send", dry), dry[:3000]
    jobs = set(re.findall(r"^\s*(?:rule|checkpoint) (\w+):", dry, flags=re.M))
    assert {"merge_responses", "collect_usage"} <= jobs
    assert any(j.startswith("models_shard_") for j in jobs)  # the shard of a live model
    assert not {"import_survey", "themes"} & jobs


def test_live_models_are_collected_and_reach_every_study_table(live_project):
    root, _, run = live_project
    assert "[collect] live-openai: 10/10 sessions done" in run.stderr
    for mid in LIVE_IDS:
        raw = root / "resources" / "raw" / f"{mid}.jsonl"
        assert raw.read_bytes().count(b"\n") >= 10
        assert not os.access(raw, os.W_OK) or os.geteuid() == 0
        status = pd.read_csv(root / "results" / "data" / "status" / f"{mid}.csv")
        assert len(status) == 8 and status["status"].isin(["ok", "repaired", "refused", "unparseable"]).all()
    models = pd.read_csv(root / "results" / "data" / "models.csv")
    table_ids = [m for m in models["model_id"] if m not in LIVE_IDS]
    checked = 0
    for study in ("study2", "study3"):
        for csv in sorted((root / "results" / study / "tables").glob("*.csv")):
            text = csv.read_text()
            if sum(m in text for m in table_ids) < len(table_ids) / 2:
                continue  # not a per-model table
            checked += 1
            for mid in LIVE_IDS:
                assert mid in text, f"{csv.name} has no row for {mid}"
    assert checked >= 1
    usage = pd.read_csv(root / "results" / "collect" / "tables" / "usage.csv")
    assert list(usage["model_id"]) == ["live-anthropic", "live-openai", "total"]
    assert usage["requests"].iloc[-1] >= 20 and usage["input_tokens"].iloc[-1] > 0
    assert snakemake(root, "--dry-run").stdout.count("Nothing to be done") == 1


def test_no_api_key_in_results_snakemake_metadata_logs_or_raw(live_project):
    root, _, run = live_project
    places = [root / "results", root / ".snakemake", root / "resources" / "raw"]
    scanned = 0
    for place in places:
        for f in place.rglob("*"):
            if f.is_file():
                data = f.read_bytes()
                scanned += 1
                for key in KEYS.values():
                    assert key.encode() not in data, f"API key found in {f}"
    assert scanned > 50
    for key in KEYS.values():
        assert key not in run.stdout + run.stderr


def test_forced_recollection_sends_nothing_and_never_rewrites_raw(live_project, server):
    root, _, _ = live_project
    raws = {m: (root / "resources" / "raw" / f"{m}.jsonl").read_bytes() for m in LIVE_IDS}
    before = len(server.requests)
    res = snakemake(root, "--forcerun", "collect_model", "--until", "collect_usage")
    assert res.returncode == 0, res.stderr[-4000:]
    assert len(server.requests) == before
    assert {m: (root / "resources" / "raw" / f"{m}.jsonl").read_bytes() for m in LIVE_IDS} == raws


def test_unset_key_fails_that_model_only_naming_the_variable(live_project, server):
    root, _, _ = live_project
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    cfg["models"]["live"] += [
        live_entry("live-nokey", "openai", server.openai_base_url, "VA_E2E_UNSET_KEY", "mid"),
        live_entry("live-extra", "openai", server.openai_base_url, "VA_E2E_OPENAI_KEY", "mid"),
    ]
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    res = snakemake(root, "--keep-going", "results/collect/manifest/live-nokey.json",
                    "results/collect/manifest/live-extra.json")
    assert res.returncode != 0
    assert "VA_E2E_UNSET_KEY" in res.stderr and "is not set" in res.stderr
    assert (root / "results" / "collect" / "manifest" / "live-extra.json").exists()
    assert not (root / "results" / "collect" / "manifest" / "live-nokey.json").exists()
    assert not (root / "resources" / "raw" / "live-nokey.jsonl").exists()


def test_provider_cap_serialises_jobs_of_one_provider(live_project, server, tmp_path):
    root, _, _ = live_project
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    cfg["models"]["live"] = cfg["models"]["live"][:2] + [
        {**live_entry(f"cap-{i}", "openai", server.openai_base_url, "VA_E2E_OPENAI_KEY", "mid"),
         "sessions": 8, "open_sessions": 0, "tasks": ["rating"], "concurrency": 2} for i in (1, 2)]
    cfg["collection"]["provider_concurrency"] = {"openai": 2}  # one job's worth of slots
    (tmp_path / "cap.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    server.set_latency(0.05)
    try:
        res = snakemake(root, "results/collect/manifest/cap-1.json", "results/collect/manifest/cap-2.json",
                        "--configfile", str(tmp_path / "cap.yaml"))
    finally:
        server.set_latency(0.0)
    assert res.returncode == 0, res.stderr[-4000:]
    t = {m: [e["t"] for e in server.requests if e["model"] == f"{m}-v1"] for m in ("cap-1", "cap-2")}
    assert all(len(v) >= 8 for v in t.values())
    first, second = sorted(t.values(), key=min)
    assert max(first) < min(second)  # the second job started after the first had finished


def test_local_server_without_a_key_collects_through_the_workflow(live_project, server, tmp_path):
    """A local OpenAI-compatible server (vLLM, Ollama, llama.cpp): base_url and
    api_key_env: null pass the config check, the job collects, and no key is sent."""
    root, _, _ = live_project
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    local = {**live_entry("live-local", "openai", server.openai_base_url, None, "small"),
             "model": "llama3.1:8b", "sessions": 2, "open_sessions": 1}
    cfg["models"]["live"] = cfg["models"]["live"][:2] + [local]
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    env = {**KEYS, "OPENAI_API_KEY": "sk-must-not-be-sent-9d2e"}
    res = snakemake(root, "results/collect/manifest/live-local.json", "--configfile",
                    str(tmp_path / "local.yaml"), env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-4000:]
    sent = [e for e in server.requests if e["model"] == "llama3.1:8b"]
    assert len(sent) >= 5 and not any(e["auth_header"] for e in sent)
    raw = (root / "resources" / "raw" / "live-local.jsonl").read_text()
    assert len(raw.splitlines()) >= 5 and "sk-must-not-be-sent-9d2e" not in raw
