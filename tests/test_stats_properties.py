"""Property-based tests (hypothesis) of the invariants of valueaudit.stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as hst
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose
from scipy import stats as sps

from valueaudit import stats as st

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ratings(min_rows: int = 2, max_rows: int = 10, min_cols: int = 2, max_cols: int = 6):
    """Integer ratings 1..7 as float matrices (exact arithmetic for the invariances)."""
    shape = hst.tuples(hst.integers(min_rows, max_rows), hst.integers(min_cols, max_cols))
    return shape.flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=hst.integers(1, 7).map(float))
    )


def permutations_matrix(min_rows: int = 2, max_rows: int = 8, min_cols: int = 3, max_cols: int = 7):
    """Judges x objects matrices whose rows are permutations (rankings without ties)."""

    @hst.composite
    def build(draw):
        m = draw(hst.integers(min_rows, max_rows))
        n = draw(hst.integers(min_cols, max_cols))
        rows = [draw(hst.permutations(list(range(1, n + 1)))) for _ in range(m)]
        return np.array(rows, dtype=float)

    return build()


def _icc_values(x: np.ndarray) -> np.ndarray:
    return st.icc(x)["icc"].to_numpy()


# ------------------------------------------------------------------------------ ICC
@SETTINGS
@given(ratings(), hst.integers(-50, 50))
def test_icc_invariant_to_adding_a_constant(x, c):
    assert_allclose(_icc_values(x + c), _icc_values(x), rtol=1e-9, atol=1e-12, equal_nan=True)


@SETTINGS
@given(ratings(), hst.integers(1, 20))
def test_icc_invariant_to_positive_rescaling(x, c):
    assert_allclose(_icc_values(x * c), _icc_values(x), rtol=1e-9, atol=1e-12, equal_nan=True)


@SETTINGS
@given(ratings(), hst.data())
def test_icc_consistency_invariant_to_rater_shifts(x, data):
    shifts = np.array(
        data.draw(hst.lists(hst.integers(-5, 5), min_size=x.shape[1], max_size=x.shape[1]))
    )
    before = st.icc(x).loc[["ICC(C,1)", "ICC(C,k)"]].to_numpy()
    after = st.icc(x + shifts).loc[["ICC(C,1)", "ICC(C,k)"]].to_numpy()
    assert_allclose(after, before, rtol=1e-9, atol=1e-12, equal_nan=True)


@SETTINGS
@given(ratings(), hst.data())
def test_icc_invariant_to_row_and_column_order(x, data):
    rows = data.draw(hst.permutations(list(range(x.shape[0]))))
    cols = data.draw(hst.permutations(list(range(x.shape[1]))))
    assert_allclose(
        st.icc(x[rows][:, cols]).to_numpy(),
        st.icc(x).to_numpy(),
        rtol=1e-9,
        atol=1e-12,
        equal_nan=True,
    )


@SETTINGS
@given(ratings())
def test_icc_average_measures_follow_spearman_brown(x):
    res = st.icc(x)["icc"]
    k = x.shape[1]
    for single, average in (
        ("ICC(1,1)", "ICC(1,k)"),
        ("ICC(A,1)", "ICC(A,k)"),
        ("ICC(C,1)", "ICC(C,k)"),
    ):
        r = res[single]
        if np.isfinite(r) and 1 + (k - 1) * r > 1e-9:
            assert res[average] == pytest.approx(k * r / (1 + (k - 1) * r), rel=1e-8, abs=1e-10)
        elif np.isfinite(r) and 1 + (k - 1) * r < -1e-9:
            assert np.isnan(res[average])  # negative variance-sum estimate: undefined


@SETTINGS
@given(ratings(min_rows=3))
def test_icc_confidence_intervals_contain_the_estimate(x):
    res = st.icc(x)
    for name in st.ICC_TYPES:
        row = res.loc[name]
        if np.isfinite(row["icc"]) and not np.isnan(row["ci_low"]) and not np.isnan(row["ci_high"]):
            assert row["ci_low"] <= row["icc"] + 1e-9
            assert row["icc"] <= row["ci_high"] + 1e-9
        if np.isfinite(row["icc"]):
            if name == "ICC(1,1)":
                assert row["icc"] >= -1 / (x.shape[1] - 1) - 1e-12
            assert row["icc"] <= 1 + 1e-12
        assert np.isnan(row["p"]) or 0.0 <= row["p"] <= 1.0
        assert np.isnan(row["p"]) == np.isnan(row["F"])


# ------------------------------------------------------------------------------ Kendall W
@SETTINGS
@given(ratings(max_rows=8, min_cols=2))
def test_kendalls_w_bounded_and_equal_to_friedman(x):
    res = st.kendalls_w(x)
    if res["reason"] is not None:
        assert np.isnan(res["W"]) and np.isnan(res["p"])
        return
    assert -1e-12 <= res["W"] <= 1 + 1e-12
    assert 0.0 <= res["p"] <= 1.0
    if x.shape[1] >= 3 and np.all(np.ptp(x, axis=1) > 0):
        assert res["chi2"] == pytest.approx(
            sps.friedmanchisquare(*x.T).statistic, rel=1e-9, abs=1e-9
        )


@SETTINGS
@given(hst.integers(2, 8), hst.permutations(list(range(1, 7))))
def test_kendalls_w_is_one_for_identical_rankings(m, ranking):
    x = np.tile(np.array(ranking, dtype=float), (m, 1))
    assert st.kendalls_w(x)["W"] == pytest.approx(1.0)
    # identical rankings with ties are also perfect agreement once corrected
    tied = np.tile(np.array([1, 1, 2, 3, 3, 3], dtype=float), (m, 1))
    assert st.kendalls_w(tied)["W"] == pytest.approx(1.0)
    assert st.kendalls_w(tied, correct_ties=False)["W"] < 1.0


@SETTINGS
@given(permutations_matrix(), hst.data())
def test_kendalls_w_invariances_and_spearman_identity(x, data):
    res = st.kendalls_w(x)
    judges = data.draw(hst.permutations(list(range(x.shape[0]))))
    objects = data.draw(hst.permutations(list(range(x.shape[1]))))
    assert st.kendalls_w(x[judges][:, objects])["W"] == pytest.approx(res["W"], abs=1e-12)
    # monotone rescoring within a judge leaves the ranks, hence W, unchanged
    assert st.kendalls_w(np.exp(x) * 3 + 1)["W"] == pytest.approx(res["W"], abs=1e-12)
    # without ties, mean pairwise Spearman = (m W - 1) / (m - 1)
    m = x.shape[0]
    rho = st.spearman_mean_pairwise(x)["mean_rho"]
    assert rho == pytest.approx((m * res["W"] - 1) / (m - 1), abs=1e-10)


@SETTINGS
@given(ratings(min_rows=2, max_rows=7, min_cols=3))
def test_spearman_mean_pairwise_matches_scipy(x):
    res = st.spearman_mean_pairwise(x)
    keep = [i for i in range(x.shape[0]) if np.ptp(x[i]) > 0]
    assert res["n_excluded"] == x.shape[0] - len(keep)
    if len(keep) < 2:
        assert np.isnan(res["mean_rho"])
        return
    rhos = [sps.spearmanr(x[i], x[j])[0] for a, i in enumerate(keep) for j in keep[a + 1 :]]
    assert res["n_pairs"] == len(rhos)
    assert res["mean_rho"] == pytest.approx(float(np.mean(rhos)), abs=1e-10)


# ------------------------------------------------------------------------------ kappas
labels_1d = hst.integers(5, 40).flatmap(
    lambda n: hnp.arrays(np.int64, n, elements=hst.integers(0, 4))
)


@SETTINGS
@given(labels_1d, hst.sampled_from([None, "linear", "quadratic"]))
def test_kappa_of_identical_ratings_is_one(a, weights):
    assume(len(np.unique(a)) >= 2)
    assert st.cohens_kappa(a, a, weights=weights) == pytest.approx(1.0)


@SETTINGS
@given(labels_1d, hst.data(), hst.sampled_from([None, "linear", "quadratic"]))
def test_kappa_symmetric_and_bounded(a, data, weights):
    b = data.draw(hnp.arrays(np.int64, a.size, elements=hst.integers(0, 4)))
    k_ab = st.cohens_kappa(a, b, weights=weights)
    k_ba = st.cohens_kappa(b, a, weights=weights)
    assert (np.isnan(k_ab) and np.isnan(k_ba)) or k_ab == pytest.approx(k_ba, abs=1e-12)
    if np.isfinite(k_ab):
        assert -1 - 1e-12 <= k_ab <= 1 + 1e-12


@SETTINGS
@given(labels_1d, hst.data())
def test_unweighted_kappa_invariant_to_relabelling(a, data):
    b = data.draw(hnp.arrays(np.int64, a.size, elements=hst.integers(0, 4)))
    perm = np.array(data.draw(hst.permutations(list(range(5)))))
    k = st.cohens_kappa(a, b)
    k_relabelled = st.cohens_kappa(perm[a], perm[b])
    assert (np.isnan(k) and np.isnan(k_relabelled)) or k == pytest.approx(k_relabelled, abs=1e-12)


@SETTINGS
@given(
    hnp.arrays(
        np.int64, hst.tuples(hst.integers(2, 15), hst.integers(2, 6)), elements=hst.integers(0, 3)
    ),
    hst.data(),
)
def test_fleiss_kappa_invariant_to_subject_and_rater_order(x, data):
    k = st.fleiss_kappa(x)
    rows = data.draw(hst.permutations(list(range(x.shape[0]))))
    cols = data.draw(hst.permutations(list(range(x.shape[1]))))
    k2 = st.fleiss_kappa(x[rows][:, cols])
    assert (np.isnan(k) and np.isnan(k2)) or k == pytest.approx(k2, abs=1e-12)
    w = np.ones(x.shape[0])
    kb = st.fleiss_kappa_boot(x, w)
    assert (np.isnan(k) and np.isnan(kb)) or k == pytest.approx(kb, abs=1e-12)


# ------------------------------------------------------------------------------ alpha
coder_matrix = hst.tuples(hst.integers(2, 5), hst.integers(3, 20)).flatmap(
    lambda s: hnp.arrays(
        np.float64, s, elements=hst.one_of(hst.integers(1, 5).map(float), hst.just(np.nan))
    )
)


@SETTINGS
@given(coder_matrix, hst.data(), hst.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_symmetric_in_coders_and_units(x, data, level):
    a = st.krippendorff_alpha(x, level)
    coders = data.draw(hst.permutations(list(range(x.shape[0]))))
    units = data.draw(hst.permutations(list(range(x.shape[1]))))
    a2 = st.krippendorff_alpha(x[coders][:, units], level)
    assert (np.isnan(a) and np.isnan(a2)) or a == pytest.approx(a2, abs=1e-10)
    boot = st.krippendorff_alpha_boot(x, np.ones(x.shape[1]), level)
    assert (np.isnan(a) and np.isnan(boot)) or a == pytest.approx(boot, abs=1e-10)


@SETTINGS
@given(
    hst.integers(2, 5),
    hnp.arrays(np.float64, hst.integers(3, 20), elements=hst.integers(1, 4).map(float)),
)
def test_alpha_of_perfect_agreement_is_one(m, unit_values):
    assume(len(np.unique(unit_values)) >= 2)
    x = np.tile(unit_values, (m, 1))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert st.krippendorff_alpha(x, level) == pytest.approx(1.0)


@SETTINGS
@given(coder_matrix, hst.integers(0, 2**32 - 1))
def test_alpha_boot_equals_alpha_of_resampled_units(x, seed):
    n = x.shape[1]
    idx = st.bootstrap_indices(seed, n, 5)
    boot = st.krippendorff_alpha_boot(x, st.bootstrap_weights(seed, n, 5), "nominal")
    ref = np.array([st.krippendorff_alpha(x[:, i], "nominal") for i in idx])
    assert_allclose(boot, ref, rtol=1e-9, atol=1e-10, equal_nan=True)


# ------------------------------------------------------------------------------ helpers
@SETTINGS
@given(hst.integers(0, 200), hst.integers(1, 200))
def test_wilson_interval_contains_the_proportion(count, extra):
    nobs = count + extra - 1 if count + extra - 1 >= max(count, 1) else max(count, 1)
    low, high = st.wilson_ci(count, nobs)
    p = count / nobs
    assert 0.0 <= low <= p + 1e-12 and p - 1e-12 <= high <= 1.0


@SETTINGS
@given(
    hnp.arrays(
        np.float64,
        hst.integers(1, 60),
        elements=hst.one_of(hst.floats(-1e6, 1e6), hst.just(np.nan)),
    ),
    hst.floats(0.01, 0.5),
)
def test_percentile_ci_matches_numpy_on_finite_values(samples, alpha):
    low, high = st.percentile_ci(samples, alpha=alpha)
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    ref = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    assert low == pytest.approx(ref[0]) and high == pytest.approx(ref[1])
    assert low <= high


@SETTINGS
@given(hst.integers(0, 2**32 - 1), hst.integers(1, 30), hst.integers(1, 30))
def test_bootstrap_weights_are_counts_of_indices(seed, n, b):
    idx = st.bootstrap_indices(seed, n, b)
    w = st.bootstrap_weights(seed, n, b)
    assert idx.min() >= 0 and idx.max() < n
    assert np.array_equal(w, np.stack([np.bincount(r, minlength=n) for r in idx]).astype(float))
    assert np.array_equal(w, st.bootstrap_weights(seed, n, b))
