"""Stress simulator truth, reduced-scale coverage of bootstrap_fidelity, README block."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueaudit.stress import SCENARIOS, StressWorld, coverage_records, coverage_table

ROOT = Path(__file__).resolve().parents[1]


def test_truth_is_the_planted_observed_scale_profile():
    sc = SCENARIOS[0]
    w = StressWorld(sc)
    big = StressWorld(dataclasses.replace(sc, n_humans=60000, n_sessions=60000))
    rng = np.random.default_rng(3)
    assert np.abs(big.humans(rng).mean(axis=0) - w.h).max() < 0.03
    for lab in ("k=2", "swap"):
        assert np.abs(big.sessions(rng, lab).mean(axis=0) - w.truth[lab]).max() < 0.02
    assert np.std(w.truth["k=2"]) / np.std(w.h) == pytest.approx(2.0)
    assert w.h[1] - w.h[2] == pytest.approx(sc.near_tie)


def test_reduced_scale_coverage_within_tolerance():
    """60 replications x 7 cells at B = 300 (a few seconds): every quantity's coverage
    pooled over the cells lies in [.90, .98]; a calibrated model is rarely "exaggerates"."""
    sc = dataclasses.replace(SCENARIOS[0], n_humans=200)
    tab = coverage_table(coverage_records(sc, 60, B=300, seed=11))
    pooled = tab.groupby("quantity")["coverage"].mean()
    for q in ("fidelity", "calibration", "exaggeration"):
        assert 0.90 <= pooled[q] <= 0.98, (q, pooled[q])
    assert pooled["ordering"] >= 0.90
    k1 = tab[(tab["cell"] == "k=1") & (tab["quantity"] == "fidelity")].iloc[0]
    assert k1["p_exaggerates"] <= 0.10
    assert (tab.loc[tab["cell"] == "k=2", "p_exaggerates"] >= 0.9).all()


def test_readme_block_matches_benchmark_file():
    spec = importlib.util.spec_from_file_location("cr", ROOT / "scripts/bench/coverage_readme.py")
    cr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cr)
    tab = pd.read_csv(ROOT / "resources/benchmarks/coverage.csv")
    block = cr.render(tab)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert cr.START in readme and cr.END in readme
    assert block in readme
