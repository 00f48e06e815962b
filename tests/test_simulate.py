"""The simulator: seeded, byte-identical, and the embedded default is what it regenerates."""

import filecmp
import hashlib
import json
from pathlib import Path

import pandas as pd

from valueaudit.simulate import SimParams, expected_rating, simulate

from .conftest import INSTRUMENT, REPO


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "README.md"}


def test_embedded_default_regenerates_byte_identically(tmp_path):
    out = tmp_path / "demo"
    simulate(INSTRUMENT, out, SimParams())
    want = _digest(REPO / "resources/demo")
    have = _digest(out)
    assert have.keys() == want.keys()
    diff = [k for k in want if want[k] != have[k]]
    assert not diff, diff[:5]


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    p = SimParams(n_models=4, n_sessions=2, n_open_sessions=1, n_humans=60, n_fail_attention=2,
                  n_too_fast=2, n_straightline=1, n_duplicate=1, n_flatten=1, n_disordered=1)
    simulate(INSTRUMENT, tmp_path / "a", p)
    simulate(INSTRUMENT, tmp_path / "b", p)
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b"), cmp.diff_files
    p.seed += 1
    simulate(INSTRUMENT, tmp_path / "c", p)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_default_truth_carries_the_paper_findings():
    truth = pd.read_csv(REPO / "resources/demo/truth/models.csv")
    humans = pd.read_csv(REPO / "resources/demo/truth/humans.csv")
    params = json.loads((REPO / "resources/demo/truth/params.json").read_text())
    assert len(truth) == 75 and params["n_included"] == 376
    themes = humans["theme"].tolist()
    assert humans.sort_values("true_score")["theme"].iloc[0] == "agency"
    true_cols = [f"true_{t}" for t in themes]
    agency_last = (truth[true_cols].idxmin(axis=1) == "true_agency").mean()
    assert agency_last > 0.8
    assert (truth["true_ordering"] > 0.7).mean() > 0.75  # most keep the human ordering
    share_ex = (truth["true_k"] > 1.5).mean()
    assert 0.15 <= share_ex <= 0.25  # about a fifth exaggerate
    models = pd.read_csv(REPO / "resources/demo/models.csv")
    assert models["params_b"].isna().mean() > 0.2
    assert models["display_name"].str.contains("(simulated)", regex=False).all()
    # the shown name is the display name without the mark, one per model
    assert (models["short_name"] + " (simulated)").equals(models["display_name"])
    assert models["short_name"].is_unique
    assert models["model_id"].str.startswith("sim-").all()


def test_expected_rating_matches_monte_carlo():
    import numpy as np

    rng = np.random.default_rng(1)
    mu, sd = np.array([1.2, 3.7, 6.6]), 0.8
    x = np.clip(np.rint(mu[:, None] + rng.normal(0, sd, (3, 400_000))), 1, 7).mean(axis=1)
    assert np.allclose(expected_rating(mu, sd, 1, 7), x, atol=0.01)
