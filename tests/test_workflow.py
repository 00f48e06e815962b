"""End-to-end runs of the real workflow on small simulated projects."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from valueaudit.shards import shard_of

from .conftest import REPO, make_project, run_snakemake, small_params

pytestmark = pytest.mark.e2e


def targets_of(root: Path) -> list[str]:
    """Every file `rule all` asks for, from a dry run's summary."""
    res = run_snakemake(root, "--summary", "--quiet")
    assert res.returncode == 0, res.stderr[-3000:]
    lines = [ln.split("\t")[0] for ln in res.stdout.splitlines()[1:] if ln.strip()]
    return [ln for ln in lines if ln.startswith("results/")]


def test_full_run_writes_every_target(small_run):
    res = run_snakemake(small_run, "--dry-run", "--quiet")
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr
    summary = pd.read_csv(small_run / "results/tables/data_summary.csv")
    assert summary["sessions"].gt(0).all()
    for f in ("data_summary", "human_flow"):
        for ext in ("csv", "tex", "md"):
            assert (small_run / "results/tables" / f"{f}.{ext}").stat().st_size > 0
    tex = (small_run / "results/tables/data_summary.tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex
    # every job left a lineage record with hashes of its inputs and outputs
    lin = json.loads((small_run / "results/provenance/lineage/import_survey.json").read_text())
    assert lin["script"] == "scripts/import_survey.py"
    assert all(len(f["sha256"]) == 64 for fs in lin["outputs"].values() for f in fs)


def _add_model(root: Path, new_id: str) -> None:
    models = pd.read_csv(root / "resources/demo/models.csv", dtype=str, keep_default_na=False)
    src_id = models["model_id"].iloc[0]
    row = models.iloc[[0]].copy()
    row["model_id"] = new_id
    row["display_name"] = "Added (simulated)"
    if "short_name" in models:
        row["short_name"] = "Added"
    pd.concat([models, row]).to_csv(root / "resources/demo/models.csv", index=False)
    lines = (root / f"resources/demo/raw/{src_id}.jsonl").read_text().splitlines()
    out = []
    for ln in lines:
        rec = json.loads(ln)
        rec["model_id"] = new_id
        rec["record_id"] = rec["record_id"].replace(src_id, new_id)
        out.append(json.dumps(rec))
    (root / f"resources/demo/raw/{new_id}.jsonl").write_text("\n".join(out) + "\n")


def test_adding_a_model_reruns_only_its_jobs_and_the_aggregates(small_run, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(small_run, root, symlinks=True)
    _add_model(root, "sim-added-model")
    res = run_snakemake(root, "--dry-run", "--quiet", "rules")
    assert res.returncode == 0, res.stderr[-3000:]
    res = run_snakemake(root, "--dry-run")
    assert res.returncode == 0, res.stderr[-3000:]
    text = res.stdout
    jobs = re.findall(r"^\s*(?:local)?rule (\w+):", text, flags=re.M)
    shards = yaml.safe_load((root / "config.yaml").read_text())["models"].get("shards", 8)
    # only the new model's shard reruns (its shard-mates with it); no other shard moves
    assert [j for j in jobs if j.startswith("models_shard_")] == [
        f"models_shard_{shard_of('sim-added-model', shards)}"]
    assert "merge_responses" in jobs
    assert "import_survey" not in jobs and "themes" not in jobs  # untouched by a new model


def test_five_theme_instrument_runs_unchanged(tmp_path):
    root = make_project(tmp_path / "five", small_params(n_models=5, n_sessions=3, n_open_sessions=1),
                        instrument=REPO / "tests/data/instrument_5themes.yaml")
    res = run_snakemake(root)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-5000:]
    scores = pd.read_csv(root / "results/data/session_scores.csv")
    assert sorted(scores["theme"].unique()) == sorted(
        ["competence", "flexibility", "benefit", "safety", "autonomy"])


def test_bad_raw_record_stops_with_location_and_no_partial_output(small_project, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(small_project, root, ignore=shutil.ignore_patterns("results", ".snakemake"))
    raw = sorted((root / "resources/demo/raw").glob("*.jsonl"))[0]
    lines = raw.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["attempt"] = "first"
    lines[2] = json.dumps(rec)
    raw.write_text("\n".join(lines) + "\n")
    res = run_snakemake(root, "results/data/responses.csv")
    assert res.returncode != 0
    # raw records are validated when the workflow loads: the block is on the terminal
    log = res.stdout + res.stderr
    assert str(raw.relative_to(root)) in log and "row 3" in log and "column 'attempt'" in log
    assert "Traceback" not in log
    assert not (root / f"results/data/responses/{raw.stem}.csv").exists()
    assert not list((root / "results/data").rglob(".*.tmp"))


def test_bad_model_table_stops_when_the_workflow_loads(small_project, tmp_path):
    root = tmp_path / "badmodels"
    shutil.copytree(small_project, root, ignore=shutil.ignore_patterns("results", ".snakemake"))
    p = root / "resources/demo/models.csv"
    p.write_text(p.read_text().replace(",small,", ",tiny,", 1))
    res = run_snakemake(root, "--dry-run")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "resources/demo/models.csv" in out and "column 'tier'" in out and "row 1" in out
    assert not (root / "results").exists()


def test_lint_is_clean():
    res = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert "Congratulations" in res.stdout + res.stderr, (res.stdout + res.stderr)[-4000:]
