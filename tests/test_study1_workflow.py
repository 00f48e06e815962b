"""End-to-end runs of the Study 1 rules on small simulated projects."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import REPO, make_project, run_snakemake, small_params

pytestmark = pytest.mark.e2e

S1 = "results/study1"
TABLES = ["codebook", "prevalence_reliability", "prevalence_by_model", "saturation",
          "cooccurrence"]
FIGURES = ["prevalence_heatmap", "saturation", "cooccurrence"]
TARGETS = (
    [f"{S1}/export/open_answers.qdpx", f"{S1}/export/open_answers.csv", f"{S1}/macros.tex"]
    + [f"{S1}/tables/{t}.{e}" for t in TABLES for e in ("csv", "tex", "md")]
    + [f"{S1}/figures/{f}.{e}" for f in FIGURES for e in ("pdf", "png")]
)


def _project(root: Path, *args, **kwargs) -> Path:
    """make_project, plus the conda env files the rules name (if the fixture lacks them)."""
    root = make_project(root, *args, **kwargs)
    if not (root / "envs").exists():
        shutil.copytree(REPO / "envs", root / "envs")
    return root


def _hashes(root: Path) -> dict[str, str]:
    return {t: hashlib.sha256((root / t).read_bytes()).hexdigest() for t in TARGETS}


def test_targets_match_the_rule_file():
    """The tables and figures listed here are exactly those in STUDY1_TARGETS."""
    block = (REPO / "workflow/rules/study1.smk").read_text().split("STUDY1_TARGETS =")[-1]
    assert set(re.findall(r"/tables/(\w+)", block)) == set(TABLES)
    assert set(re.findall(r"/figures/(\w+)", block)) == set(FIGURES)
    assert "macros.tex" in block and "open_answers.qdpx" in block


@pytest.fixture(scope="module")
def qdpx_run(tmp_path_factory) -> Path:
    root = _project(tmp_path_factory.mktemp("s1") / "project")
    res = run_snakemake(root, *TARGETS)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return root


def test_default_qdpx_run_writes_every_target(qdpx_run):
    root = qdpx_run
    for t in TARGETS:
        assert (root / t).stat().st_size > 0, t
    tex = (root / f"{S1}/tables/prevalence_reliability.tex").read_text()
    assert r"\toprule" in tex and r"\bottomrule" in tex and r"Cohen's $\kappa$" in tex
    rel = pd.read_csv(root / f"{S1}/reliability.csv")
    assert rel["kappa"].notna().all() and (rel["statistic"] == "Cohen's kappa").all()
    macros = (root / f"{S1}/macros.tex").read_text()
    assert r"\newcommand{\studyOneKappa}" in macros and r"\studyOneResponses}{16}" in macros
    lin = json.loads((root / "results/provenance/lineage/study1_import.json").read_text())
    assert lin["script"] == "scripts/study1_import.py" and lin["params"] == {"fmt": "qdpx"}
    assert lin["inputs"]["source"][0]["path"] == "resources/demo/coding/study1.qdpx"
    # the export holds one source per open-ended answer of the raw records
    exported = pd.read_csv(root / f"{S1}/export/open_answers.csv")
    coded = pd.read_csv(root / f"{S1}/sources.csv")
    assert sorted(exported["response_id"]) == sorted(coded["response_id"])
    assert len(exported) == 8 * 2
    res = run_snakemake(root, "--dry-run", *TARGETS)
    assert "Nothing to be done" in res.stdout + res.stderr


def test_rerun_is_byte_identical(qdpx_run, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(qdpx_run, root, symlinks=True)
    before = _hashes(root)
    for t in TARGETS:
        (root / t).unlink()
    res = run_snakemake(root, *TARGETS, "--forcerun", "study1_export", "study1_codebook",
                        "study1_prevalence", "study1_saturation", "study1_cooccurrence")
    assert res.returncode == 0, res.stderr[-4000:]
    assert _hashes(root) == before


def test_bootstrap_change_reruns_only_reliability(qdpx_run, tmp_path):
    root = tmp_path / "boot"
    shutil.copytree(qdpx_run, root, symlinks=True)
    cfg = (root / "config.yaml").read_text()
    (root / "config.yaml").write_text(cfg.replace("bootstrap: 200", "bootstrap: 300", 1))
    res = run_snakemake(root, "--dry-run", *TARGETS)
    jobs = {ln.split()[1].rstrip(":") for ln in res.stdout.splitlines()
            if ln.startswith(("rule ", "localrule "))}
    assert jobs == {"study1_prevalence", "study1_macros"}, jobs


def test_single_coder_csv_five_themes(tmp_path):
    """CSV import, one coder, a five-theme instrument: prevalence, and no reliability."""
    root = _project(tmp_path / "one", small_params(n_models=4, n_open_sessions=3),
                        instrument=REPO / "tests/data/instrument_5themes.yaml")
    coding = pd.read_csv(root / "resources/demo/coding/coding.csv")
    coding[coding["coder"] == "coder_a"].to_csv(root / "resources/demo/coding/one.csv",
                                                index=False)
    cfg = (root / "config.yaml").read_text()
    cfg = cfg.replace("source: resources/demo/coding/study1.qdpx",
                      "source: resources/demo/coding/one.csv").replace("format: qdpx",
                                                                       "format: csv")
    (root / "config.yaml").write_text(cfg)
    res = run_snakemake(root, *TARGETS)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    prev = pd.read_csv(root / f"{S1}/prevalence.csv")
    assert len(prev) == 5 and prev["prevalence"].between(0, 1).all()
    rel = pd.read_csv(root / f"{S1}/reliability.csv")
    assert rel["kappa"].isna().all() and rel["alpha"].isna().all()
    assert rel["note"].str.contains("not computable: one coder").all()
    md = (root / f"{S1}/tables/prevalence_reliability.md").read_text()
    assert "Inter-coder reliability is not computable: one coder (coder_a)" in md
    assert r"\studyOneKappa}{NA}" in (root / f"{S1}/macros.tex").read_text()
    log = (root / "results/logs/study1/prevalence.log").read_text()
    assert "reliability not computable" in log
    lin = json.loads((root / "results/provenance/lineage/study1_import.json").read_text())
    assert lin["inputs"]["answers"][0]["path"] == f"{S1}/export/open_answers.csv"
    # a code outside the codebook stops the import with file, row, code and source
    # (checked when the workflow loads: the earlier output stays as it was)
    before = (root / f"{S1}/presence.csv").read_bytes()
    bad = coding[coding["coder"] == "coder_a"].copy()
    bad.iloc[2, bad.columns.get_loc("code")] = "made_up_code"
    bad.to_csv(root / "resources/demo/coding/one.csv", index=False)
    res = run_snakemake(root, f"{S1}/presence.csv")
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "one.csv" in out and "column 'code'" in out and "made_up_code" in out
    assert "not in the codebook" in out and "Traceback" not in out
    assert (root / f"{S1}/presence.csv").read_bytes() == before
