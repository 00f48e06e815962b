"""valueaudit.stats.rank_tests: Friedman, Wilcoxon signed-rank and Holm against scipy and
statsmodels, a hand-computed Friedman example, and the NaN conventions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from valueaudit.stats import (
    PAIRWISE_COLUMNS,
    friedman_test,
    holm,
    pairwise_wilcoxon,
    wilcoxon_signed_rank,
)


def _frame(x):
    x = np.asarray(x, dtype=float)
    return pd.DataFrame(x, columns=[f"t{j}" for j in range(x.shape[1])],
                        index=[f"b{i}" for i in range(x.shape[0])])


def test_friedman_hand_computed_perfect_agreement():
    # 3 blocks ranking 3 treatments identically: R = (3, 6, 9),
    # Q = 12 / (3 * 3 * 4) * 126 - 3 * 3 * 4 = 6, W = Q / (n (k - 1)) = 1, p = exp(-3)
    res = friedman_test(_frame([[1, 2, 3], [2, 5, 7], [0, 1, 4]]))
    assert res["Q"] == pytest.approx(6.0)
    assert res["W"] == pytest.approx(1.0)
    assert res["p"] == pytest.approx(math.exp(-3.0))
    assert (res["df"], res["n"], res["k"]) == (2, 3, 3)


def test_friedman_matches_scipy_with_ties():
    rng = np.random.default_rng(11)
    x = np.round(rng.normal(4, 1, (15, 5)))  # integer scores: many ties within blocks
    res = friedman_test(_frame(x))
    ref = sps.friedmanchisquare(*x.T)
    assert res["Q"] == pytest.approx(ref.statistic, rel=1e-12)
    assert res["p"] == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("x", [[[1, 2, 3]], [[1], [2]], [[2, 2, 2], [5, 5, 5]]])
def test_friedman_undefined_gives_nan(x):
    res = friedman_test(_frame(x))
    assert math.isnan(res["Q"]) and math.isnan(res["p"]) and math.isnan(res["W"])


def test_wilcoxon_matches_scipy():
    rng = np.random.default_rng(5)
    a = rng.normal(0.4, 1, 12)
    b = rng.normal(0.0, 1, 12)
    res = wilcoxon_signed_rank(a, b)
    ref = sps.wilcoxon(a, b)
    assert res["W"] == pytest.approx(ref.statistic)
    assert res["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    d = a - b
    r = sps.rankdata(np.abs(d))
    assert res["rbc"] == pytest.approx((r[d > 0].sum() - r[d < 0].sum()) / r.sum())


@pytest.mark.parametrize("a, b", [([1.0], [2.0]), ([1, 2, 3], [1, 2, 3])])
def test_wilcoxon_undefined_gives_nan(a, b):
    assert all(math.isnan(v) for v in wilcoxon_signed_rank(a, b).values())


def test_holm_matches_statsmodels_and_keeps_nan_out_of_the_family():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5])
    adjusted, reject = holm(p, alpha=0.05)
    ok = np.isfinite(p)
    ref_reject, ref_adj, _, _ = multipletests(p[ok], alpha=0.05, method="holm")
    np.testing.assert_allclose(adjusted[ok], ref_adj)
    assert reject[ok].tolist() == ref_reject.tolist()
    assert math.isnan(adjusted[1]) and not reject[1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12))
def test_holm_never_lowers_a_p_value_and_keeps_the_order(p):
    p = np.asarray(p)
    adjusted, _ = holm(p)
    assert np.all(adjusted >= p - 1e-15) and np.all(adjusted <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= -1e-15)


def test_pairwise_wilcoxon_layout_and_values():
    rng = np.random.default_rng(2)
    x = _frame(rng.normal([3, 4, 5, 4.5], 1, (10, 4)))
    out = pairwise_wilcoxon(x)
    assert tuple(out.columns) == PAIRWISE_COLUMNS
    assert list(zip(out["a"], out["b"], strict=True)) == [
        ("t0", "t1"), ("t0", "t2"), ("t0", "t3"), ("t1", "t2"), ("t1", "t3"), ("t2", "t3")]
    row = out.iloc[1]
    assert row["p"] == pytest.approx(sps.wilcoxon(x["t0"], x["t2"]).pvalue, rel=1e-9)
    assert row["mean_diff"] == pytest.approx((x["t0"] - x["t2"]).mean())
    np.testing.assert_allclose(out["p_holm"], multipletests(out["p"], method="holm")[1])
