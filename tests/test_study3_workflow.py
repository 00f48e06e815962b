"""End-to-end runs of the Study 3 rules on small simulated projects."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from valueaudit.shards import assign_shards

from .conftest import REPO, make_project, run_snakemake, small_params

pytestmark = pytest.mark.e2e

TABLES = ["sample_flow", "demographics", "human_profile", "human_pairwise", "profiles",
          "leaderboard", "reference_points", "respondent_level", "characteristics", "agency",
          "agency_tests", "robustness", "robustness_ranks"]
FIGURES = ["profiles", "forest", "ordering_exaggeration", "respondent_level", "characteristics",
           "agency_rank"]
RULES = ["study3_fidelity", "study3_humans", "study3_leaderboard",
         "study3_profiles", "study3_characteristics", "study3_agency", "study3_robustness",
         "study3_macros"]


def _platform_ids(export: Path) -> set[str]:
    """Values of the direct-identifier columns of a Qualtrics export (3 header rows)."""
    with open(export, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[3:]
    ids = set()
    for col in ("ResponseId", "PROLIFIC_PID", "IPAddress"):
        j = head.index(col)
        ids |= {r[j] for r in body if r[j].strip()}
    return ids


def _digest(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted((root / "results/study3").rglob("*")):
        if p.is_file() and p.suffix in (".csv", ".tex", ".md", ".png", ".pdf"):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def s3_run(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("s3") / "project")
    res = run_snakemake(root, "study3")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return root


def test_every_study3_target_is_written(s3_run):
    res = run_snakemake(s3_run, "--dry-run", "study3")
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr
    out = s3_run / "results/study3"
    for name in TABLES:
        for ext in ("csv", "tex", "md"):
            assert (out / "tables" / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        tex = (out / "tables" / f"{name}.tex").read_text()
        assert r"\toprule" in tex and r"\bottomrule" in tex
    for name in FIGURES:
        assert (out / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
        assert (out / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    macros = (out / "macros.tex").read_text()
    for name in ("humanN", "modelsN", "orderedShare", "exaggeratingShare", "sizeP", "recencyP",
                 "tierP", "agencyHumanRank", "agencyModelsLastShare", "ceilingFidelity",
                 "exaggeratingN", "flatteningN", "calibratedN", "inconclusiveN",
                 "calibrationMargin"):
        assert re.search(rf"\\newcommand{{\\{name}}}{{[^}}]+}}", macros), name
    board = pd.read_csv(out / "tables/leaderboard.csv")
    models = pd.read_csv(s3_run / "results/data/models.csv")
    assert sorted(board["model_id"]) == sorted(models["model_id"])  # every model is listed
    an = board[board["analysed"]]
    assert (an["fidelity_lo"] <= an["fidelity_hi"]).all()
    assert set(an["flag"]) <= {"exaggerates", "flattens", "calibrated", "inconclusive"}
    flow = pd.read_csv(out / "tables/sample_flow.csv")
    humans = pd.read_csv(s3_run / "results/data/human_scores.csv")
    assert flow["n_remaining"].iloc[-1] == humans["respondent_id"].nunique()
    for rule in RULES:
        assert (s3_run / f"results/provenance/lineage/{rule}.json").is_file(), rule


def test_no_direct_identifier_reaches_results(s3_run):
    ids = _platform_ids(s3_run / "resources/demo/survey/qualtrics_export.csv")
    assert len(ids) > 100
    pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
    hits = []
    for p in (s3_run / "results").rglob("*"):
        if p.is_file():
            text = p.read_bytes().decode("utf-8", errors="ignore")
            m = pattern.search(text)
            if m:
                hits.append((str(p.relative_to(s3_run)), m.group(0)))
    assert not hits, hits[:10]


def test_same_config_gives_byte_identical_outputs(s3_run, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(s3_run, root, symlinks=True)
    before = _digest(root)
    models = pd.read_csv(root / "results/data/models.csv")["model_id"]
    shards = [f"models_shard_{k}" for k in assign_shards(models, 8)]
    res = run_snakemake(root, "--forcerun", *RULES, *shards, "--", "study3")
    assert res.returncode == 0, res.stderr[-4000:]
    assert shards[0] in res.stdout + res.stderr  # the per-model jobs did run again
    after = _digest(root)
    assert before.keys() == after.keys() and len(before) >= 3 * len(TABLES) + 2 * len(FIGURES)
    changed = [k for k in before if before[k] != after[k]]
    assert not changed, changed


def test_five_theme_instrument_uses_the_configured_fallback(tmp_path):
    root = make_project(tmp_path / "five",
                        small_params(n_models=4, n_sessions=3, n_open_sessions=1,
                                     n_humans=80),
                        instrument=REPO / "tests/data/instrument_5themes.yaml")
    res = run_snakemake(root, "study3")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-5000:]
    agency = pd.read_csv(root / "results/study3/tables/agency.csv")
    assert "lowest human mean" in agency["chosen_by"].iloc[0]
    prof = pd.read_csv(root / "results/study3/tables/human_profile.csv")
    assert agency["theme"].iloc[0] == prof.loc[prof["mean"].idxmin(), "theme"]
    assert len(prof) == 5
    board = pd.read_csv(root / "results/study3/tables/leaderboard.csv")
    assert len(board) == 4
