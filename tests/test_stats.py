"""Unit tests of valueaudit.stats against libraries and published worked examples."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats as sps
from statsmodels.stats import inter_rater as ir

from valueaudit import stats as st

NAN = np.nan

# Shrout & Fleiss (1979), Psychological Bulletin 86:420, Table 2: 6 targets (rows) x 4
# judges (columns).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", p. 8 (section
# "C. Nominal data, any number of observers, missing data" and the later sections
# reusing it): 4 observers x 12 units, NaN = missing.
KRIPP_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)

# Fleiss (1971), Psychological Bulletin 76:378, Table 1: 30 patients x 6 psychiatrists,
# 5 diagnostic categories (the same data as R irr::diagnoses and the statsmodels tests).
# fmt: off
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)
# fmt: on

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories,
# given as counts n_ij (subjects x categories); published kappa = 0.210.
# fmt: off
FLEISS_WIKIPEDIA_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
)
# fmt: on


def _labels_from_counts(counts: np.ndarray) -> np.ndarray:
    """subjects x categories counts -> subjects x raters labels (1-based categories)."""
    return np.array([np.repeat(np.arange(1, counts.shape[1] + 1), row) for row in counts])


def _pairs_from_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """C x C contingency table -> the two raters' label vectors (1-based categories)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i + 1] * int(count)
            b += [j + 1] * int(count)
    return np.array(a), np.array(b)


def _long(x: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(x).reset_index().melt(id_vars="index", var_name="rater", value_name="y")
    return frame.rename(columns={"index": "target"})


# ------------------------------------------------------------------------------ ICC
def test_icc_shrout_fleiss_1979_published_values():
    # Shrout & Fleiss (1979), p. 425 (Table 4 / text): ICC(1,1) = .17, ICC(2,1) = .29,
    # ICC(3,1) = .71, ICC(1,4) = .44, ICC(2,4) = .62, ICC(3,4) = .91.
    res = st.icc(SHROUT_FLEISS)
    assert list(res.index) == list(st.ICC_TYPES)
    assert list(res.columns) == ["icc", "F", "df1", "df2", "p", "ci_low", "ci_high"]
    published = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    assert_allclose(res["icc"].to_numpy(), published, atol=0.005)
    # Table 3 mean squares: BMS = 11.24, WMS = 6.26, EMS = 1.02 (F = BMS/WMS, BMS/EMS)
    assert res.loc["ICC(1,1)", "F"] == pytest.approx(11.24 / 6.26, abs=0.01)
    assert res.loc["ICC(C,1)", "F"] == pytest.approx(11.24 / 1.02, abs=0.05)
    assert res.loc["ICC(1,1)", "df2"] == 18 and res.loc["ICC(A,1)", "df2"] == 15
    assert (res["df1"] == 5).all()


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside pingouin, pandas 3
def test_icc_matches_pingouin(monkeypatch):
    monkeypatch.setitem(pg.options, "round.column.CI95", None)
    rng = np.random.default_rng(11)
    for x in (SHROUT_FLEISS, rng.normal(size=(12, 5)) + rng.normal(size=(12, 1))):
        mine = st.icc(x)
        ref = pg.intraclass_corr(_long(x), "target", "rater", "y").set_index("Type")
        assert list(ref.index) == list(mine.index)
        assert_allclose(mine["icc"], ref["ICC"], rtol=1e-10)
        assert_allclose(mine["F"], ref["F"], rtol=1e-10)
        assert_allclose(mine["p"], ref["pval"], rtol=1e-8, atol=1e-300)
        assert_array_equal(mine["df1"], ref["df1"])
        assert_array_equal(mine["df2"], ref["df2"])
        ci = np.vstack(ref["CI95"].to_numpy())
        assert_allclose(mine["ci_low"], ci[:, 0], rtol=1e-8)
        assert_allclose(mine["ci_high"], ci[:, 1], rtol=1e-8)


def test_icc_many_equals_icc():
    rng = np.random.default_rng(3)
    x3 = rng.integers(1, 8, size=(7, 9, 4)).astype(float)
    many = st.icc_many(x3, names=[f"m{i}" for i in range(7)])
    assert many.index.names == ["model", "type"]
    for i in range(7):
        pd.testing.assert_frame_equal(
            many.loc[f"m{i}"], st.icc(x3[i]).rename_axis("type"), check_exact=False, rtol=1e-12
        )


def test_icc_zero_variance_gives_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = st.icc(np.full((6, 3), 0.1))
        many = st.icc_many(np.stack([np.full((6, 3), 4.0), SHROUT_FLEISS[:, :3]]))
    assert res[["icc", "F", "p", "ci_low", "ci_high"]].isna().all().all()
    assert many.loc[0, "icc"].isna().all() and many.loc[1, "icc"].notna().all()


def test_icc_identical_raters_is_one():
    x = np.tile(np.arange(1.0, 7.0)[:, None], (1, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = st.icc(x)
    assert_allclose(res["icc"], 1.0)
    assert_allclose(res[["ci_low", "ci_high"]], 1.0)
    assert (res["p"] == 0).all()


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[1.0, NAN], [2.0, 3.0], [3.0, 1.0]]), "NaN"),
        (np.array([[1.0, 2.0, 3.0]]), "at least 2 targets"),
        (np.array([[1.0], [2.0]]), "at least 2 targets"),
        (np.array([1.0, 2.0]), "2-dimensional"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), "infinite"),
    ],
)
def test_icc_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        st.icc(bad)


def test_icc_many_names_the_bad_model():
    x3 = np.ones((3, 4, 2))
    x3[1, 0, 0] = NAN
    with pytest.raises(ValueError, match=r"\['b'\]"):
        st.icc_many(x3, names=["a", "b", "c"])


# ------------------------------------------------------------------------------ Kendall W
# NAG Library Manual (Mark 26.2), routine G08DAF (method ref. Siegel, 1956), example
# program data and results: 3 comparisons of 10 objects WITH ties; published
# "Kendall's coefficient = 0.828, Significance = 0.008".
NAG_G08DAF = np.array(
    [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ]
)

# Siegel (1956), Nonparametric statistics for the behavioral sciences, ch. 9 (Kendall
# coefficient of concordance W): 3 executives rank 6 job applicants, NO ties;
# published s = 25.5 and W = .16.
SIEGEL_EXECUTIVES = np.array(
    [[1, 6, 3, 2, 5, 4], [1, 5, 6, 4, 2, 3], [6, 3, 2, 5, 4, 1]], dtype=float
)


def test_kendalls_w_with_ties_nag_g08daf():
    res = st.kendalls_w(NAG_G08DAF)
    assert round(res["W"], 3) == 0.828
    assert round(res["p"], 3) == 0.008
    assert res["df"] == 9 and res["chi2"] == pytest.approx(3 * 9 * res["W"])
    # the correction matters here: uncorrected W = 12 * 591 / (9 * 990) = .796
    assert st.kendalls_w(NAG_G08DAF, correct_ties=False)["W"] == pytest.approx(0.79596, abs=1e-5)


def test_kendalls_w_without_ties_siegel():
    res = st.kendalls_w(SIEGEL_EXECUTIVES)
    assert res["W"] == pytest.approx(12 * 25.5 / (9 * (216 - 6)))
    assert round(res["W"], 2) == 0.16
    assert res["reason"] is None
    # no ties: the correction changes nothing
    assert st.kendalls_w(SIEGEL_EXECUTIVES, correct_ties=False)["W"] == pytest.approx(res["W"])


@pytest.mark.parametrize("x", [NAG_G08DAF, SIEGEL_EXECUTIVES, SHROUT_FLEISS.T])
def test_kendalls_w_matches_pingouin_and_scipy_friedman(x):
    res = st.kendalls_w(x)
    # pingouin.friedman: rows = subjects (our judges), columns = within levels (objects)
    ref = pg.friedman(pd.DataFrame(x), method="chisq")
    assert res["W"] == pytest.approx(float(ref["W"].iloc[0]), rel=1e-12)
    # the tie-corrected chi2 is Friedman's statistic (blocks = judges)
    fr = sps.friedmanchisquare(*x.T)
    assert res["chi2"] == pytest.approx(fr.statistic, rel=1e-12)
    assert res["p"] == pytest.approx(fr.pvalue, rel=1e-10)


def test_kendalls_w_nan_and_no_variance():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flat = st.kendalls_w(np.full((4, 5), 3.0))
        miss = st.kendalls_w(np.array([[1.0, 2.0, NAN], [1.0, 2.0, 3.0]]))
        small = st.kendalls_w(np.array([[1.0, 2.0, 3.0]]))
    for res in (flat, miss, small):
        assert np.isnan(res["W"]) and np.isnan(res["p"]) and np.isnan(res["chi2"])
        assert isinstance(res["reason"], str)
    assert "variance" in flat["reason"] and "missing" in miss["reason"]


# ------------------------------------------------------------------------------ Spearman
def test_spearman_mean_pairwise_matches_scipy_and_kendall_identity():
    res = st.spearman_mean_pairwise(SIEGEL_EXECUTIVES)
    pairs = [(0, 1), (0, 2), (1, 2)]
    ref = np.mean([sps.spearmanr(SIEGEL_EXECUTIVES[i], SIEGEL_EXECUTIVES[j])[0] for i, j in pairs])
    assert res["mean_rho"] == pytest.approx(ref)
    # Kendall (1948): mean pairwise rho = (m W - 1) / (m - 1) without ties; here W = .16
    w = st.kendalls_w(SIEGEL_EXECUTIVES)["W"]
    assert res["mean_rho"] == pytest.approx((3 * w - 1) / 2)
    assert res["n_pairs"] == 3 and res["n_excluded"] == 0


def test_spearman_mean_pairwise_excludes_constant_and_missing_rows():
    x = np.array([[1, 2, 3, 4], [2, 2, 2, 2], [4, 3, 1, 2], [1, NAN, 3, 4], [1, 3, 2, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = st.spearman_mean_pairwise(x)
    kept = x[[0, 2, 4]]
    ref = np.mean([sps.spearmanr(kept[i], kept[j])[0] for i, j in [(0, 1), (0, 2), (1, 2)]])
    assert res["mean_rho"] == pytest.approx(ref)
    assert (res["n_pairs"], res["n_excluded"], res["n_rows"]) == (3, 2, 3)
    one = st.spearman_mean_pairwise(x[[0, 1]])
    assert np.isnan(one["mean_rho"]) and one["n_pairs"] == 0 and one["n_excluded"] == 1


# ------------------------------------------------------------------------------ alpha
@pytest.mark.parametrize(
    "level, published",
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_published_2011(level, published):
    # Krippendorff (2011), pp. 3-8: nominal .743, ordinal .815, interval .849, ratio .797
    assert round(st.krippendorff_alpha(KRIPP_2011, level), 3) == published
    assert st.krippendorff_alpha(KRIPP_2011, level) == pytest.approx(
        krippendorff.alpha(KRIPP_2011, level_of_measurement=level), rel=1e-12
    )


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_alpha_boot_matches_package(level):
    # all weights 1 reproduces the full-sample alpha; each replicate equals the package
    # applied to the resampled units
    assert st.krippendorff_alpha_boot(KRIPP_2011, np.ones(12), level) == pytest.approx(
        st.krippendorff_alpha(KRIPP_2011, level), rel=1e-12
    )
    idx = st.bootstrap_indices(5, 12, 30)
    w = st.bootstrap_weights(5, 12, 30)
    boot = st.krippendorff_alpha_boot(KRIPP_2011, w, level)
    ref = [st.krippendorff_alpha(KRIPP_2011[:, i], level) for i in idx]
    assert_allclose(boot, ref, rtol=1e-10, atol=1e-12, equal_nan=True)


def test_krippendorff_alpha_labels_and_undefined():
    labels = np.empty(KRIPP_2011.shape, dtype=object)
    for (i, j), v in np.ndenumerate(KRIPP_2011):
        labels[i, j] = None if np.isnan(v) else f"v{int(v)}"
    assert st.krippendorff_alpha(labels, "nominal") == pytest.approx(0.7434, abs=1e-4)
    with pytest.raises(ValueError, match="nominal"):
        st.krippendorff_alpha(labels, "interval")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(st.krippendorff_alpha(np.ones((3, 5)), "nominal"))
        assert np.isnan(st.krippendorff_alpha([[1, NAN, 2], [NAN, 1, 2]], "interval"))
        assert np.isnan(st.krippendorff_alpha_boot(np.ones((3, 5)), np.ones(5)))
    with pytest.raises(ValueError, match="level"):
        st.krippendorff_alpha(KRIPP_2011, "circular")
    with pytest.raises(ValueError, match="2 coders"):
        st.krippendorff_alpha(KRIPP_2011[:1], "nominal")


# ------------------------------------------------------------------------------ kappas
# Boyd et al. (1982), J Natl Cancer Inst 68:357: 85 xeromammograms rated by two
# radiologists (4 ordered categories); the worked example of StataCorp, Stata Base
# Reference Manual, [R] kappa: kappa = 0.4728; linear weights (wgt(w)) 0.5684.
BOYD_1982 = np.array([[21, 12, 0, 0], [4, 17, 1, 0], [3, 9, 15, 2], [0, 0, 0, 1]])

# Fleiss, Levin & Paik (2003), Statistical methods for rates and proportions (3rd ed.),
# Table 18.1: two diagnosticians, 100 subjects, 3 categories; p_o = .89, p_e = .66,
# kappa = .68.
FLP_2003_TABLE_18_1 = np.array([[75, 1, 4], [5, 4, 1], [0, 0, 10]])


def test_cohens_kappa_published_examples():
    a, b = _pairs_from_table(BOYD_1982)
    assert round(st.cohens_kappa(a, b), 4) == 0.4728
    assert round(st.cohens_kappa(a, b, weights="linear"), 4) == 0.5684
    a2, b2 = _pairs_from_table(FLP_2003_TABLE_18_1)
    assert st.cohens_kappa(a2, b2) == pytest.approx((0.89 - 0.66) / (1 - 0.66))
    assert round(st.cohens_kappa(a2, b2), 2) == 0.68


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohens_kappa_matches_sklearn_and_statsmodels(weights):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    a = rng.integers(1, 6, size=80)
    b = np.where(rng.random(80) < 0.6, a, rng.integers(1, 6, size=80))
    for x, y in ((a, b), _pairs_from_table(BOYD_1982)):
        mine = st.cohens_kappa(x, y, weights=weights)
        assert mine == pytest.approx(
            sklearn_metrics.cohen_kappa_score(x, y, weights=weights), rel=1e-12
        )
        table = pd.crosstab(x, y).to_numpy()
        kw = {} if weights is None else {"wt": weights}
        assert mine == pytest.approx(ir.cohens_kappa(table, return_results=False, **kw), rel=1e-12)


def test_cohens_kappa_labels_missing_and_undefined():
    a = ["yes", "no", "yes", None, "no", "yes"]
    b = ["yes", "no", "no", "yes", "no", "yes"]
    assert st.cohens_kappa(a, b) == pytest.approx(st.cohens_kappa([1, 0, 1, 0, 1], [1, 0, 0, 0, 1]))
    assert np.isnan(st.cohens_kappa([1, 1, 1], [1, 1, 1]))
    with pytest.raises(ValueError, match="same length"):
        st.cohens_kappa([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="weights"):
        st.cohens_kappa([1, 2], [1, 2], weights="cubic")


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohens_kappa_boot_matches_resampled(weights):
    a, b = _pairs_from_table(BOYD_1982)
    assert st.cohens_kappa_boot(a, b, np.ones(a.size), weights) == pytest.approx(
        st.cohens_kappa(a, b, weights)
    )
    idx = st.bootstrap_indices(9, a.size, 40)
    boot = st.cohens_kappa_boot(a, b, st.bootstrap_weights(9, a.size, 40), weights)
    for k, i in enumerate(idx):
        if len(np.union1d(a[i], b[i])) == 4:  # same categories -> same weight spacing
            assert boot[k] == pytest.approx(st.cohens_kappa(a[i], b[i], weights), rel=1e-12)


def test_fleiss_kappa_published_examples():
    # Fleiss (1971), p. 380: kappa = .430
    assert round(st.fleiss_kappa(FLEISS_1971), 3) == 0.430
    # Wikipedia "Fleiss' kappa" example: kappa = 0.210
    assert round(st.fleiss_kappa(_labels_from_counts(FLEISS_WIKIPEDIA_COUNTS)), 3) == 0.210
    assert st.fleiss_kappa(FLEISS_1971) == pytest.approx(
        ir.fleiss_kappa(ir.aggregate_raters(FLEISS_1971)[0]), rel=1e-12
    )


def test_fleiss_kappa_boot_and_edge_cases():
    assert st.fleiss_kappa_boot(FLEISS_1971, np.ones(30)) == pytest.approx(
        st.fleiss_kappa(FLEISS_1971)
    )
    idx = st.bootstrap_indices(4, 30, 25)
    boot = st.fleiss_kappa_boot(FLEISS_1971, st.bootstrap_weights(4, 30, 25))
    assert_allclose(boot, [st.fleiss_kappa(FLEISS_1971[i]) for i in idx], rtol=1e-12)
    labels = np.array([["a", "b", "a"], ["b", "b", "b"], ["a", "a", "b"]], dtype=object)
    assert st.fleiss_kappa(labels) == pytest.approx(
        st.fleiss_kappa([[0, 1, 0], [1, 1, 1], [0, 0, 1]])
    )
    assert np.isnan(st.fleiss_kappa(np.ones((4, 3))))
    with pytest.raises(ValueError, match="missing"):
        st.fleiss_kappa([[1, 2, NAN], [1, 1, 1]])


# ------------------------------------------------------------------------------ Wilson
def test_wilson_ci_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:857, Table II, method 3 (Wilson score):
    # 81/263 -> .2553-.3662; 15/148 -> .0624-.1605; 0/20 -> 0-.1611; 1/29 -> .0061-.1718
    low, high = st.wilson_ci([81, 15, 0, 1], [263, 148, 20, 29])
    assert_allclose(low, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    assert_allclose(high, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low0, high0 = st.wilson_ci(0, 0)
    assert np.isnan(low0) and np.isnan(high0)
    with pytest.raises(ValueError):
        st.wilson_ci(5, 3)


# ------------------------------------------------------------------------------ bootstrap
def test_bootstrap_helpers_are_seeded_and_consistent():
    idx = st.bootstrap_indices(123, 50, 200)
    w = st.bootstrap_weights(123, 50, 200)
    assert idx.shape == (200, 50) and w.shape == (200, 50) and w.dtype == float
    assert_array_equal(w.sum(axis=1), 50)
    assert_array_equal(w, np.stack([np.bincount(row, minlength=50) for row in idx]))
    assert_array_equal(idx, st.bootstrap_indices(np.random.default_rng(123), 50, 200))
    assert not np.array_equal(idx, st.bootstrap_indices(124, 50, 200))
    data = np.random.default_rng(0).normal(size=(50, 3))
    assert_allclose(w @ data / 50, data[idx].mean(axis=1), rtol=1e-12)


def test_percentile_ci_nan_aware():
    samples = np.arange(1001.0)
    assert st.percentile_ci(samples) == pytest.approx((25.0, 975.0))
    with_nan = np.concatenate([samples, [NAN] * 50])
    assert st.percentile_ci(with_nan) == pytest.approx((25.0, 975.0))
    two = np.column_stack([samples, np.full(1001, NAN)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = st.percentile_ci(two, alpha=0.1, axis=0)
    assert low[0] == pytest.approx(50.0) and np.isnan(low[1]) and np.isnan(high[1])
    assert st.percentile_ci(samples.reshape(1, -1), axis=1)[0] == pytest.approx([25.0])
    with pytest.raises(ValueError):
        st.percentile_ci(samples, alpha=1.5)


def test_determinism_byte_identical():
    w1 = st.bootstrap_weights(7, 40, 100)
    w2 = st.bootstrap_weights(7, 40, 100)
    x = np.random.default_rng(1).integers(0, 3, size=(3, 40)).astype(float)
    assert (
        st.krippendorff_alpha_boot(x, w1).tobytes() == st.krippendorff_alpha_boot(x, w2).tobytes()
    )
    x3 = np.random.default_rng(2).normal(size=(5, 8, 3))
    assert st.icc_many(x3).to_numpy().tobytes() == st.icc_many(x3).to_numpy().tobytes()
