"""End to end: the Study 2 rules on a small simulated project (8 models x 4 sessions)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from valueaudit.shards import shard_of

from .conftest import REPO, make_project, run_snakemake

pytestmark = pytest.mark.e2e

TABLES = ["stability", "stability_formats", "convergence", "pairwise_themes", "consensus",
          "clusters", "cluster_members", "cluster_selection"]
FIGURES = ["stability", "profile_heatmap", "profile_map"]
TARGETS = ([f"results/study2/tables/{t}.{e}" for t in TABLES for e in ("csv", "tex", "md")]
           + [f"results/study2/figures/{f}.{e}" for f in FIGURES for e in ("pdf", "png")]
           + ["results/study2/macros.tex"])
AGGREGATES = ["study2_stability", "study2_convergence", "study2_clusters", "study2_macros"]


def _hashes(root: Path) -> dict[str, str]:
    return {t: hashlib.sha256((root / t).read_bytes()).hexdigest() for t in TARGETS}


def _jobs(out: str) -> dict[str, int]:
    """Job counts from a dry run's "Job stats" table."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)$", out, flags=re.MULTILINE)}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("study2") / "project")
    if not (root / "envs").exists():  # the rules name their conda env (unused without --sdm)
        shutil.copytree(REPO / "envs", root / "envs")
    res = run_snakemake(root, *TARGETS)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return root


def test_every_study2_target_is_written_with_content(project):
    for t in TARGETS:
        assert (project / t).stat().st_size > 0, t
    tex = (project / "results/study2/tables/stability.tex").read_text()
    assert r"\toprule" in tex and "ICC(A,1)" in tex and r"[95\% CI]" in tex
    macros = (project / "results/study2/macros.tex").read_text()
    for name in ("convW", "convP", "stabIccMedian", "clustK", "consensusOrder"):
        current = "studyTwo" + name[0].upper() + name[1:]
        assert f"\\newcommand{{\\{current}}}" in macros
        assert f"\\newcommand{{\\{name}}}{{\\{current}}}" in macros  # former name: alias
    stab = pd.read_csv(project / "results/study2/tables/stability.csv", keep_default_na=True)
    models = pd.read_csv(project / "results/data/models.csv")
    assert set(stab["model_id"]) == set(models["model_id"])
    na = stab["icc_a1"].isna()
    assert stab.loc[na, "note"].notna().all() and stab.loc[~na, "icc_a1"].between(-1, 1).all()
    lineage = project / "results/provenance/lineage/study2_within"
    assert len(list(lineage.glob("*.json"))) == len(models)


def test_each_lineage_names_the_step_function_its_script_calls(project):
    import importlib
    import json

    lineage = project / "results/provenance/lineage"
    for rule in [*AGGREGATES, "study2_within"]:
        records = [*lineage.glob(f"{rule}.json"), *lineage.glob(f"{rule}/*.json")]
        assert records, rule
        for rec in records:
            function = json.loads(rec.read_text())["function"]
            module, _, name = function.rpartition(".")
            assert callable(getattr(importlib.import_module(module), name)), function
            script = (REPO / "scripts" / f"{rule}.py").read_text()
            assert f"{name}(" in script and f"function={name}" in script, (rule, function)


def test_same_config_gives_byte_identical_outputs(project):
    before = _hashes(project)
    res = run_snakemake(project, *TARGETS, "--forcerun", *AGGREGATES)
    assert res.returncode == 0, res.stderr[-4000:]
    assert _hashes(project) == before


def test_a_bootstrap_change_reruns_only_the_convergence_rule(project, tmp_path):
    extra = tmp_path / "bootstrap.yaml"
    extra.write_text("study2:\n  bootstrap: 300\n")
    res = run_snakemake(project, *TARGETS, "--dry-run", "--configfile",
                        str(project / "config.yaml"), str(extra))
    assert res.returncode == 0, res.stderr[-3000:]
    jobs = _jobs(res.stdout)
    assert set(jobs) - {"total"} == {"study2_convergence", "study2_macros"}, res.stdout[-3000:]


def test_a_changed_model_reruns_only_its_shard(project):
    model = pd.read_csv(project / "results/data/models.csv")["model_id"].iloc[0]
    raw = project / f"resources/demo/raw/{model}.jsonl"
    # new bytes, same records (Snakemake compares checksums, not only mtimes)
    raw.write_text("".join(f"{ln} \n" for ln in raw.read_text().splitlines()))
    res = run_snakemake(project, *TARGETS, "--dry-run")
    assert res.returncode == 0, res.stderr[-3000:]
    jobs = _jobs(res.stdout)
    shard = f"models_shard_{shard_of(model, 8)}"
    assert jobs.get(shard) == 1, res.stdout[-3000:]
    assert set(jobs) - {"total"} == {"merge_responses", shard, *AGGREGATES}
