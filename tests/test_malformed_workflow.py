"""Malformed inputs through real `snakemake` runs: one or more cases per input kind.

A small project is run once on the data and Study 1 import targets; each case
then copies it, breaks one input (the mutations of tests/test_malformed.py),
and runs the same targets again. The run must stop with the short block
(file, where, rule) and no traceback on the terminal, leave every file under
results/ as it was (logs and results/INCOMPLETE.md aside), and keep every
identifier of the input out of the terminal and the logs.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, make_project, run_snakemake, small_params
from .test_malformed import CASES, identifiers

pytestmark = pytest.mark.e2e

E2E_CASES = [
    ("models", "unknown tier"),
    ("models", "raw file of an unknown model"),
    ("raw", "record of another model"),
    ("raw", "duplicate record_id"),
    ("qualtrics", "tied ranks"),
    ("qualtrics", "duplicate ResponseId"),
    ("tidy", "respondent missing from respondents"),
    ("coding", "semicolons"),
    ("qdpx", "unknown CodeRef"),
    ("codebook", "unknown theme"),
    ("instrument", "duplicate item id"),
    ("config", "mapping not one-to-one"),
    ("config", "YAML syntax error"),
]
BY_ID = {(c[0], c[1]): c for c in CASES}


def _targets(root: Path) -> list[str]:
    """The data tables, Study 1's import and the shard table that holds the first model's
    parsed responses (the project's shard count is the repository config's; a case may
    break the project's config.yaml)."""
    import yaml

    from valueaudit.shards import shard_of

    first = sorted((root / "resources/demo/raw").glob("*.jsonl"))[0].stem
    shards = yaml.safe_load((REPO / "config.yaml").read_text())["models"]["shards"]
    return ["results/data/models.csv", "results/data/themes.csv", "results/data/humans.csv",
            f"results/shards/{shard_of(first, shards)}/responses.csv",
            "results/study1/presence.csv"]


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted((root / "results").rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith("results/logs/") and rel != "results/INCOMPLETE.md":
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A small project whose data and Study 1 import targets have been made once."""
    from .test_malformed import write_tidy_survey

    root = make_project(tmp_path_factory.mktemp("malformed_e2e") / "project",
                        small_params(n_models=4, n_sessions=3, n_open_sessions=2, n_humans=60,
                                     n_fail_attention=2, n_too_fast=2, n_straightline=1,
                                     n_duplicate=1))
    write_tidy_survey(root)
    res = run_snakemake(root, *_targets(root))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root


@pytest.mark.parametrize("kind,case", E2E_CASES, ids=[f"{k}: {c}" for k, c in E2E_CASES])
def test_malformed_input_stops_the_workflow_cleanly(populated, tmp_path, monkeypatch, kind, case):
    _, _, mutate, rule, _ = BY_ID[(kind, case)]
    root = tmp_path / "p"
    shutil.copytree(populated, root, symlinks=True)
    before = _snapshot(root)
    monkeypatch.chdir(root)
    ids = identifiers(root)
    mutate(root)
    ids |= identifiers(root)
    res = run_snakemake(root, *_targets(root))
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert "valueaudit: input error" in out and "  file:  " in out and "  where: " in out, out[-3000:]
    assert rule in out, out[-3000:]
    assert "Traceback" not in out, out[-5000:]
    assert _snapshot(root) == before
    logs = [p for p in (root / "results/logs").rglob("*") if p.is_file()]
    logs += list((root / ".snakemake/log").glob("*.log"))
    texts = [out] + [p.read_text(errors="replace") for p in logs]
    leaked = [i for i in ids if any(i in t for t in texts)]
    assert not leaked, leaked[:3]


def test_hand_edited_table_is_refused_and_the_run_left_marked_incomplete(small_run, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(small_run, root, symlinks=True)
    table = root / "results/study3/tables/agency.csv"
    orig = table.read_bytes()
    table.write_bytes(orig.replace(b"\n", b" \n", 1))
    res = run_snakemake(root)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "bytes no longer match the lineage record" in out and "Traceback" not in out, out[-4000:]
    marker = root / "results/INCOMPLETE.md"
    text = marker.read_text()
    # the first job that reads the edited table refuses it; nothing is computed from it
    assert "rule `study3_macros`" in text and "results/study3/tables/agency.csv" in text
    assert "Stale outputs from earlier runs" in text and "results/paper/summary.md" in text
    assert "INCOMPLETE RUN" in (root / "results/paper/summary.md").read_text()
    # the next dry run says the results are incomplete; a complete run removes the marker
    res = run_snakemake(root, "--dry-run", "--quiet")
    assert "INCOMPLETE.md exists" in res.stderr
    table.write_bytes(orig)
    res = run_snakemake(root)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert not marker.exists()
    assert "INCOMPLETE RUN" not in (root / "results/paper/summary.md").read_text()
    assert (root / "results/paper/tables/study3_agency.csv").read_bytes() == orig


def test_paper_bundle_refuses_a_hand_edited_table(small_run, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(small_run, root, symlinks=True)
    table = root / "results/study1/tables/codebook.csv"
    table.write_bytes(table.read_bytes() + b"\n")
    res = run_snakemake(root, "results/paper/summary.md")
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "file:  results/study1/tables/codebook.csv" in out and "Traceback" not in out
    assert "bytes no longer match the lineage record of rule 'study1_codebook'" in out


def test_verify_reports_a_changed_config_and_the_outputs_it_makes_stale(small_run, tmp_path,
                                                                        monkeypatch, capsys):
    import yaml

    from valueaudit.cli import main

    root = tmp_path / "p"
    shutil.copytree(small_run, root, symlinks=True)
    monkeypatch.chdir(root)
    assert main(["verify"]) == 0
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    cfg["study2"]["min_sessions"] = cfg["study2"]["min_sessions"] + 1
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    capsys.readouterr()
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "CHANGED  config study2.min_sessions" in out
    assert "STALE    output results/study2/" in out and "param min_sessions changed" in out
    (root / "results/data/themes.csv").unlink()
    assert main(["verify", "--configfile"]) == 1
    out = capsys.readouterr().out
    assert "MISSING  output results/data/themes.csv" in out
    assert "STALE    output results/study1/" in out
