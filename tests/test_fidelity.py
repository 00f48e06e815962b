"""Tests of valueaudit.fidelity (METHODS section 6)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats as sps

from valueaudit import fidelity as fid
from valueaudit.fidelity import (
    METRICS,
    bootstrap_fidelity,
    corrected_sd,
    fidelity_matrix,
    human_noise_ceiling,
    human_percentile,
    leave_one_out_humans,
    profile_fidelity,
    session_level,
    shuffled_null,
)

# --------------------------------------------------------------------- fixtures
# values on a 0.01 grid: distinct values stay distinct (and ordered) after a shift or
# scaling, so ties are a property of the data, not of floating-point rounding
GRID = st.integers(-1000, 1000).map(lambda v: v / 100)
PROFILE = st.integers(min_value=3, max_value=9).flatmap(
    lambda T: st.tuples(arrays(float, T, elements=GRID), arrays(float, T, elements=GRID))
)
# integer-valued profiles: many ties (as with rating/ranking theme scores)
TIED = st.integers(min_value=3, max_value=7).flatmap(
    lambda T: st.tuples(
        arrays(float, T, elements=st.integers(1, 4).map(float)),
        arrays(float, T, elements=st.integers(1, 4).map(float)),
    )
)


def _spread(x: np.ndarray) -> bool:
    return float(np.std(x)) > 1e-3


def _same(a: float, b: float, tol: float = 1e-9) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# ------------------------------------------------------------ worked examples
def test_hand_worked_example_T4():
    """m = (5, 3, 3, 1), h = (4, 3, 1, 2), worked by hand.

    Ranks (average for ties): m -> (4, 2.5, 2.5, 1), h -> (4, 3, 1, 2).
    Centred ranks (mean 2.5): m (1.5, 0, 0, -1.5), h (1.5, .5, -1.5, -.5);
    sum of products 2.25 + 0.75 = 3; sums of squares 4.5 and 5;
    ordering = 3 / sqrt(22.5) = sqrt(0.4) = 0.632456.
    Means 3 and 2.5; centred m (2, 0, 0, -2) -> var 8/4 = 2; centred h
    (1.5, .5, -1.5, -.5) -> var 5/4 = 1.25. k = sqrt(2/1.25) = sqrt(1.6) =
    1.264911; ln k = ln(1.6)/2 = 0.235002; calibration = 1/sqrt(1.6) = 0.790569;
    fidelity = sqrt(0.4)/sqrt(1.6) = 0.5.
    cov = (2*1.5 + (-2)(-0.5))/4 = 1; pearson = 1/sqrt(2*1.25) = 0.632456;
    CCC = 2*1 / (2 + 1.25 + 0.5^2) = 2/3.5 = 4/7.
    m - h = (1, 0, 2, -1) -> D^2 = 6 = elevation 4*0.5^2 = 1
    + scatter 4*(sqrt 2 - sqrt 1.25)^2 = 4*(3.25 - 2*sqrt 2.5) = 0.350889
    + shape 2*4*sqrt(2*1.25)*(1 - 1/sqrt 2.5) = 8*(sqrt 2.5 - 1) = 4.649111.
    """
    out = profile_fidelity([5, 3, 3, 1], [4, 3, 1, 2])
    expected = {
        "ordering": math.sqrt(0.4),
        "k": math.sqrt(1.6),
        "exaggeration": 0.5 * math.log(1.6),
        "calibration": 1 / math.sqrt(1.6),
        "fidelity": 0.5,
        "pearson": 1 / math.sqrt(2.5),
        "ccc": 4 / 7,
        "d2": 6.0,
        "elevation": 1.0,
        "scatter": 4 * (3.25 - 2 * math.sqrt(2.5)),
        "shape": 8 * (math.sqrt(2.5) - 1),
    }
    for key, value in expected.items():
        assert out[key] == pytest.approx(value, abs=1e-12), key
    assert out["reason"] is None
    assert set(out) == set(METRICS) | {"reason"}


def test_docstring_example_exaggerating_model():
    out = profile_fidelity([4, 3, 2, 1], [3, 2.5, 2, 1.5])
    assert out["ordering"] == pytest.approx(1.0)
    assert out["k"] == pytest.approx(2.0)
    assert out["exaggeration"] == pytest.approx(math.log(2))
    assert out["fidelity"] == pytest.approx(0.5)


# Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing agreement
# between two methods of clinical measurement. Lancet, 327, 307-310, Table 1: peak
# expiratory flow rate (l/min) of 17 subjects, first reading with the Wright and the
# mini Wright meter (the same data are printed in the epiR::epi.ccc help example).
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_ccc_published_pefr_example():
    """Lin's CCC on the Bland & Altman (1986, Table 1) PEFR data.

    Bland & Altman (1986, p. 308) report r = 0.94 for these data. Lin (1989,
    Biometrics 45, p. 258) writes rho_c = r * C_b with C_b = 2 / (v + 1/v + u^2),
    v = s_x / s_y, u = (mean_x - mean_y) / sqrt(s_x s_y) (population moments): an
    algebraically different route to the same value, 0.943 (to 3 decimals).
    """
    out = profile_fidelity(MINI, WRIGHT)
    assert round(out["pearson"], 2) == 0.94
    x, y = np.asarray(MINI, float), np.asarray(WRIGHT, float)
    v = x.std() / y.std()
    u = (x.mean() - y.mean()) / math.sqrt(x.std() * y.std())
    c_b = 2 / (v + 1 / v + u**2)
    assert out["ccc"] == pytest.approx(out["pearson"] * c_b, abs=1e-12)
    assert round(out["ccc"], 3) == 0.943
    # CCC also equals 1 - D^2 / (T (s_x^2 + s_y^2 + (mean_x - mean_y)^2))
    T = x.size
    den = T * (x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    assert out["ccc"] == pytest.approx(1 - out["d2"] / den, abs=1e-12)


def test_against_scipy_spearman_pearson():
    rng = np.random.default_rng(7)
    for T in (3, 4, 6, 11):
        for _ in range(20):
            m = np.round(rng.normal(size=T), 1)  # rounding creates ties
            h = rng.normal(size=T)
            if not (_spread(m) and _spread(h)):
                continue
            out = profile_fidelity(m, h)
            mat = fidelity_matrix(m, h)
            rho = sps.spearmanr(m, h).statistic
            r = sps.pearsonr(m, h).statistic
            assert out["ordering"] == pytest.approx(rho, abs=1e-12)
            assert float(mat["ordering"]) == pytest.approx(rho, abs=1e-12)
            assert out["pearson"] == pytest.approx(r, abs=1e-12)
            assert float(mat["pearson"]) == pytest.approx(r, abs=1e-12)
            assert out["k"] == pytest.approx(np.std(m) / np.std(h), rel=1e-12)


# ---------------------------------------------------------------- NA and errors
def test_flat_model_profile():
    out = profile_fidelity([2, 2, 2, 2], [1, 2, 3, 4])
    for key in ("fidelity", "ordering", "pearson", "k", "exaggeration", "calibration"):
        assert math.isnan(out[key]), key
    assert out["reason"] == "zero spread in model profile"
    assert out["d2"] == pytest.approx(1 + 0 + 1 + 4)
    assert out["elevation"] == pytest.approx(4 * 0.5**2)
    assert out["scatter"] == pytest.approx(4 * 1.25)
    assert out["shape"] == pytest.approx(0.0)
    assert out["elevation"] + out["scatter"] + out["shape"] == pytest.approx(out["d2"])
    assert out["ccc"] == 0.0


def test_flat_human_and_both():
    assert profile_fidelity([1, 2, 3], [5, 5, 5])["reason"] == "zero spread in human profile"
    both = profile_fidelity([1, 1, 1], [2, 2, 2])
    assert both["reason"] == "zero spread in model and human profiles"
    assert math.isnan(both["ccc"]) is False  # means differ: 2*0/(0+0+1) = 0
    same = profile_fidelity([3, 3, 3], [3, 3, 3])
    assert math.isnan(same["ccc"]) and same["d2"] == 0.0


def test_nearly_flat_mean_profile_counts_as_flat():
    # a mean of identical values with floating-point noise is still flat
    m = np.array([0.1 + 0.2, 0.3, 0.3, 0.3])
    assert profile_fidelity(m, [1, 2, 3, 4])["reason"] == "zero spread in model profile"


def test_errors_and_nonfinite():
    with pytest.raises(ValueError, match="T >= 3"):
        profile_fidelity([1, 2], [2, 1])
    with pytest.raises(ValueError, match="differ in length"):
        profile_fidelity([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="one-dimensional"):
        profile_fidelity([[1, 2, 3]], [1, 2, 3])
    with pytest.raises(ValueError, match="T >= 3"):
        fidelity_matrix(np.ones((4, 2)), np.ones(2))
    out = profile_fidelity([1, np.nan, 3], [1, 2, 3])
    assert all(math.isnan(out[k]) for k in METRICS)
    assert out["reason"] == "non-finite value in profile"
    mat = fidelity_matrix([[1, np.nan, 3], [1, 2, 4]], [1, 2, 3])
    assert np.isnan(mat["d2"][0]) and mat["reason"][0] == "non-finite value in profile"
    assert mat["reason"][1] is None and mat["ordering"][1] == pytest.approx(1.0)


# ----------------------------------------------------------- property tests
@settings(max_examples=150, deadline=None)
@given(PROFILE)
def test_symmetries(pair):
    m, h = pair
    assume(_spread(m) and _spread(h))
    a, b = profile_fidelity(m, h), profile_fidelity(h, m)
    for key in ("ordering", "pearson", "ccc", "d2", "calibration", "fidelity", "shape"):
        assert _same(a[key], b[key], 1e-9), key
    assert a["exaggeration"] == pytest.approx(-b["exaggeration"], abs=1e-9)
    assert a["k"] * b["k"] == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=150, deadline=None)
@given(PROFILE, st.floats(-50, 50, allow_nan=False))
def test_shift_invariance(pair, c):
    m, h = pair
    assume(_spread(m) and _spread(h))
    a, b = profile_fidelity(m, h), profile_fidelity(m + c, h)
    for key in ("ordering", "calibration", "k", "fidelity", "pearson"):
        assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-6), key


@settings(max_examples=150, deadline=None)
@given(PROFILE, st.floats(0.01, 100))
def test_scaling_multiplies_k(pair, c):
    m, h = pair
    assume(_spread(m) and _spread(h))
    a, b = profile_fidelity(m, h), profile_fidelity(c * m, h)
    assert b["k"] == pytest.approx(c * a["k"], rel=1e-9)
    assert b["exaggeration"] == pytest.approx(a["exaggeration"] + math.log(c), abs=1e-9)
    assert b["ordering"] == pytest.approx(a["ordering"], abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.one_of(PROFILE, TIED))
def test_bounds_and_decomposition(pair):
    m, h = pair
    out = profile_fidelity(m, h)
    parts = out["elevation"] + out["scatter"] + out["shape"]
    assert parts == pytest.approx(out["d2"], rel=1e-9, abs=1e-6)
    assert out["d2"] == pytest.approx(float(np.sum((m - h) ** 2)), rel=1e-12, abs=1e-12)
    if out["reason"] is None:
        assert 0.0 <= out["fidelity"] <= 1.0
        assert 0.0 < out["calibration"] <= 1.0
        assert -1.0 <= out["ordering"] <= 1.0
        assert out["fidelity"] <= out["calibration"] + 1e-15
        assert abs(out["ccc"]) <= abs(out["pearson"]) + 1e-12
    else:
        assert math.isnan(out["fidelity"])


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 8), st.integers(1, 12), st.integers(0, 2**32 - 1), st.booleans())
def test_matrix_equals_rowwise(T, n, seed, tied):
    rng = np.random.default_rng(seed)
    M = rng.integers(1, 5, size=(n, T)).astype(float) if tied else rng.normal(size=(n, T))
    h = rng.integers(1, 5, size=T).astype(float) if tied else rng.normal(size=T)
    mat = fidelity_matrix(M, h)
    for i in range(n):
        row = profile_fidelity(M[i], h)
        for key in METRICS:
            assert _same(float(mat[key][i]), row[key], 1e-9), (key, M[i], h)
        assert mat["reason"][i] == row["reason"]


def test_matrix_broadcasting_3d():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(5, 4, 6))
    H = rng.normal(size=(5, 1, 6))
    mat = fidelity_matrix(M, H)
    assert mat["fidelity"].shape == (5, 4) and mat["reason"].shape == (5, 4)
    assert mat["ccc"][2, 3] == pytest.approx(profile_fidelity(M[2, 3], H[2, 0])["ccc"])


# -------------------------------------------------------- noise-corrected SD
def test_corrected_sd_is_unbiased_for_between_theme_variance():
    """Mean of the corrected variance over many samples equals the true variance;
    the raw variance is biased upward. Noise has a shared per-session level
    (correlated across themes), which the centred formula must handle."""
    rng = np.random.default_rng(11)
    mu = np.array([0.3, 0.1, 0.0, -0.1, -0.3])
    true_var = mu.var()
    reps, n = 4000, 6
    noise = rng.normal(0, 0.5, (reps, n, 1)) + rng.normal(0, 0.4, (reps, n, mu.size))
    X = mu + noise
    raw = X.mean(axis=1).var(axis=1)
    corr = np.array([corrected_sd(x) ** 2 for x in X])
    expected_bias = (1 - 1 / mu.size) * 0.4**2 / n  # shared level cancels
    assert raw.mean() - true_var == pytest.approx(expected_bias, rel=0.15)
    # unbiased except for the (rarely binding) floor
    assert corr.mean() == pytest.approx(true_var, rel=0.08)
    assert np.all(corr >= fid.VAR_FLOOR * X.mean(axis=1).var(axis=1) - 1e-15)


def test_corrected_sd_errors():
    with pytest.raises(ValueError):
        corrected_sd(np.ones((1, 4)))
    with pytest.raises(ValueError):
        corrected_sd(np.ones(4))


# ------------------------------------------------------------------ bootstrap
def _data(seed=0, n_models=4, n_s=8, n_h=60, T=5):
    rng = np.random.default_rng(seed)
    h = np.linspace(1, -1, T)
    humans = h + rng.normal(0, 0.5, (n_h, 1)) + rng.normal(0, 0.8, (n_h, T))
    models = {}
    for j in range(n_models):
        k = (0.5, 1.0, 2.0, 1.3, 0.8)[j % 5]
        models[f"m{j}"] = 3 + k * h + rng.normal(0, 0.3, (n_s, T))
    return models, humans


def test_bootstrap_deterministic_and_seeded():
    models, humans = _data()
    a = bootstrap_fidelity(models, humans, B=200, seed=5)
    b = bootstrap_fidelity(models, humans, B=200, seed=5)
    c = bootstrap_fidelity(models, humans, B=200, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["fidelity_lo"], c["fidelity_lo"])
    assert list(a["model_id"]) == list(models)
    assert (a["n_boot_defined"] == 200).all()


def test_bootstrap_independent_of_other_models_and_chunking():
    models, humans = _data(n_models=5)
    full = bootstrap_fidelity(models, humans, B=150, seed=9)
    tiny = bootstrap_fidelity(models, humans, B=150, seed=9, chunk_elements=1)
    pd.testing.assert_frame_equal(full, tiny)
    sub = bootstrap_fidelity({"m3": models["m3"], "m1": models["m1"]}, humans, B=150, seed=9)
    pd.testing.assert_frame_equal(
        sub.set_index("model_id"), full.set_index("model_id").loc[["m3", "m1"]]
    )
    # a list gives ids 0..n-1 and the same draws as those ids in a mapping
    lst = bootstrap_fidelity(list(models.values()), humans, B=150, seed=9)
    assert list(lst["model_id"]) == [0, 1, 2, 3, 4]


def _naive_intervals(models, humans, B, seed, bias_correct, alpha=0.05):
    """Per-replicate loop with the same multinomial draws on explicitly expanded
    rescaled-residual resamples, via profile_fidelity and corrected_sd (independent
    route to the symmetric bootstrap-t interval of ln k and the pivotal interval of
    ordering in bootstrap_fidelity)."""
    def rescale(X):
        return X.mean(axis=0) + math.sqrt(len(X) / (len(X) - 1)) * (X - X.mean(axis=0))

    def sd(X):
        return corrected_sd(X) if bias_correct else float(np.std(X.mean(axis=0)))

    def var_ln_sd(X):  # delta method: var of projections on the centred mean profile
        Y = X - X.mean(axis=1, keepdims=True)
        p = Y @ Y.mean(axis=0)
        return p.var(ddof=1) / (len(X) * X.shape[1] ** 2 * sd(X) ** 4)

    Wh = fid._resample_counts(fid._stream(seed, "humans"), B, len(humans))
    Hr = rescale(humans)
    Hbs = [np.repeat(Hr, Wh[b].astype(int), axis=0) for b in range(B)]
    e_h = np.array([math.log(sd(H)) for H in Hbs]) - math.log(np.std(humans.mean(axis=0)))
    v_h = np.array([var_ln_sd(H) for H in Hbs])
    out = {}
    for mid, S in models.items():
        Wm = fid._resample_counts(fid._stream(seed, "model", str(mid)), B, len(S))
        Sr = rescale(S)
        z, rho = [], []
        se = math.sqrt(var_ln_sd(S) + var_ln_sd(humans))
        for b in range(B):
            Sb = np.repeat(Sr, Wm[b].astype(int), axis=0)
            e = math.log(sd(Sb)) - math.log(np.std(S.mean(axis=0))) - e_h[b]
            z.append(e / math.sqrt(var_ln_sd(Sb) + v_h[b]) * se)
            rho.append(profile_fidelity(Sb.mean(axis=0), Hbs[b].mean(axis=0))["ordering"])
        z, rho = np.array(z), np.array(rho)
        l_hat = math.log(sd(S) / sd(humans))
        pivot = l_hat - np.concatenate([z, -z])
        rho_hat = profile_fidelity(S.mean(axis=0), humans.mean(axis=0))["ordering"]
        r_piv = 2 * rho_hat - rho
        q = [alpha / 2, 1 - alpha / 2]
        out[mid] = {
            "exaggeration": tuple(np.quantile(pivot, q)),
            "ordering": (
                max(-1.0, min(np.quantile(r_piv, q[0]), np.quantile(rho, q[0]))),
                min(1.0, max(np.quantile(r_piv, q[1]), np.quantile(rho, q[1]))),
            ),
        }
    return out


@pytest.mark.parametrize("bias_correct", [False, True])
def test_bootstrap_matches_naive_loop(bias_correct):
    models, humans = _data(n_models=3, n_s=6, n_h=40)
    models["m1"] = models["m1"][:5]  # a second session-count group
    B, seed = 60, 21
    res = bootstrap_fidelity(models, humans, B=B, seed=seed, bias_correct=bias_correct)
    naive = _naive_intervals(models, humans, B, seed, bias_correct)
    for _, row in res.iterrows():
        for key, (lo, hi) in naive[row["model_id"]].items():
            assert row[f"{key}_lo"] == pytest.approx(lo, abs=1e-9), key
            assert row[f"{key}_hi"] == pytest.approx(hi, abs=1e-9), key


def test_bootstrap_point_estimates():
    models, humans = _data()
    raw = bootstrap_fidelity(models, humans, B=50, seed=1, bias_correct=False)
    cor = bootstrap_fidelity(models, humans, B=50, seed=1, bias_correct=True)
    for (_, r), (_, c) in zip(raw.iterrows(), cor.iterrows(), strict=True):
        S = models[r["model_id"]]
        pf = profile_fidelity(S.mean(axis=0), humans.mean(axis=0))
        for key in ("ordering", "exaggeration", "k", "pearson", "ccc", "d2"):
            assert r[key] == pytest.approx(pf[key]), key
        # before the bootstrap bias correction, fidelity is the METHODS formula
        assert r["fidelity_uncorrected"] == pytest.approx(pf["fidelity"])
        assert r["calibration_uncorrected"] == pytest.approx(pf["calibration"])
        assert 0 <= r["fidelity"] <= 1 and 0 < r["calibration"] <= 1
        assert c["fidelity_plugin"] == pytest.approx(pf["fidelity"])
        k_c = corrected_sd(S) / corrected_sd(humans)
        assert c["k"] == pytest.approx(k_c)
        assert c["exaggeration"] == pytest.approx(math.log(k_c))
        # the correction shrinks each noisy spread (k itself can move either way)
        assert corrected_sd(S) < np.std(S.mean(axis=0))
        assert corrected_sd(humans) < np.std(humans.mean(axis=0))
        assert bool(c["bias_corrected"]) and not bool(r["bias_corrected"])


def test_bootstrap_flags():
    models, humans = _data(n_models=3, n_s=10, n_h=200)  # k = 0.5, 1.0, 2.0
    res = bootstrap_fidelity(models, humans, B=300, seed=2).set_index("model_id")
    assert res.loc["m0", "flag"] == "flattens"
    assert res.loc["m2", "flag"] == "exaggerates"
    assert res.loc["m1", "flag"] in ("calibrated", "inconclusive")
    for key in ("fidelity", "ordering", "exaggeration"):
        assert (res[f"{key}_lo"] <= res[f"{key}_hi"]).all()
    assert ((res["fidelity_lo"] >= 0) & (res["fidelity_hi"] <= 1)).all()


def test_bootstrap_degenerate_models():
    models, humans = _data(n_models=1)
    models["single"] = models["m0"][:1]
    models["flat"] = np.full((5, humans.shape[1]), 3.0)
    models["none"] = np.full((3, humans.shape[1]), np.nan)
    res = bootstrap_fidelity(models, humans, B=40, seed=0).set_index("model_id")
    assert res.loc["single", "flag"] == "undetermined"
    assert "fewer than 2 valid sessions" in res.loc["single", "reason"]
    assert np.isnan(res.loc["single", "fidelity_lo"])
    assert not np.isnan(res.loc["single", "fidelity_plugin"])
    assert res.loc["flat", "flag"] == "undetermined"
    assert res.loc["flat", "reason"] == "zero spread in model profile"
    assert res.loc["flat", "n_boot_defined"] == 0 and np.isnan(res.loc["flat", "fidelity_hi"])
    assert res.loc["none", "n_sessions"] == 0 and res.loc["none", "flag"] == "undetermined"
    assert res.loc["m0", "reason"] is None


def test_bootstrap_input_errors():
    models, humans = _data(n_models=1)
    with pytest.raises(ValueError, match="themes"):
        bootstrap_fidelity({"x": np.ones((3, 4))}, humans, B=10)
    with pytest.raises(ValueError, match="T >= 3"):
        bootstrap_fidelity({"x": np.ones((3, 2))}, np.ones((5, 2)), B=10)
    with pytest.raises(ValueError):
        bootstrap_fidelity(models, humans, B=0)
    with pytest.raises(ValueError):
        bootstrap_fidelity(models, humans, alpha=1.5)


# ------------------------------------------------------------ reference points
def test_noise_ceiling_matches_loop():
    _, humans = _data(n_h=31)
    res = human_noise_ceiling(humans, n_splits=25, seed=4)
    again = human_noise_ceiling(humans, n_splits=25, seed=4)
    assert np.array_equal(res["values"], again["values"])
    # independent recomputation of the same splits
    rng = np.random.default_rng(np.random.SeedSequence(4))
    order = np.argsort(rng.random((25, 31)), axis=1)
    vals = [
        profile_fidelity(humans[o[:15]].mean(0), humans[o[15:]].mean(0))["fidelity"] for o in order
    ]
    assert res["values"] == pytest.approx(np.array(vals), abs=1e-12)
    assert res["fidelity"] == pytest.approx(np.mean(vals))
    assert res["lo"] <= res["fidelity"] <= res["hi"] and res["n_half"] == 15
    with pytest.raises(ValueError):
        human_noise_ceiling(humans[:3])


def test_leave_one_out_matches_loop():
    _, humans = _data(n_h=20)
    humans = humans.copy()
    humans[4] = 2.0  # a straight-liner
    humans[7, 1] = np.nan  # an incomplete respondent is dropped
    res = leave_one_out_humans(humans)
    assert list(res["row"]) == [i for i in range(20) if i != 7]
    keep = np.delete(humans, 7, axis=0)
    for j, (_, row) in enumerate(res.iterrows()):
        rest = np.delete(keep, j, axis=0).mean(axis=0)
        pf = profile_fidelity(keep[j], rest)
        for key in METRICS:
            assert _same(row[key], pf[key], 1e-9), key
    assert res.loc[res["row"] == 4, "reason"].item() == "zero spread in model profile"


def test_session_level():
    models, humans = _data(n_models=2, n_s=3)
    h = humans.mean(axis=0)
    res = session_level(models, h)
    assert list(res["model_id"]) == ["m0"] * 3 + ["m1"] * 3
    assert list(res["session"]) == [0, 1, 2] * 2
    assert res["fidelity"].iloc[4] == pytest.approx(
        profile_fidelity(models["m1"][1], h)["fidelity"]
    )
    single = session_level(models["m0"], h)
    assert "model_id" not in single and len(single) == 3


def test_human_percentile():
    loo = [0.1, 0.2, 0.3, 0.4, np.nan]
    assert human_percentile(0.25, loo) == pytest.approx(50.0)
    assert human_percentile(0.2, loo) == pytest.approx(37.5)  # (1 + 0.5) / 4
    assert human_percentile(1.0, loo) == pytest.approx(100.0)
    assert np.isnan(human_percentile(np.nan, loo))
    arr = human_percentile([0.0, 0.35], loo)
    assert arr == pytest.approx([0.0, 75.0])
    assert np.isnan(human_percentile(0.5, [np.nan]))


def test_shuffled_null_exact_and_random():
    m = np.array([4.0, 3.0, 2.5, 1.0])
    h = np.array([3.0, 2.0, 2.2, 1.5])
    res = shuffled_null(m, h, n_perm=1000)
    assert res["exact"] and res["n_perm"] == 24
    cal = profile_fidelity(m, h)["calibration"]
    assert np.nanmax(res["values"]) <= cal + 1e-12  # relabelling keeps k
    # exact p: share of the 24 relabellings at least as faithful as the real one
    brute = [profile_fidelity(m[list(p)], h)["fidelity"] for p in itertools.permutations(range(4))]
    assert res["p"] == pytest.approx(np.mean(np.array(brute) >= res["observed"] - 1e-12))
    rand = shuffled_null(np.arange(8.0), np.arange(8.0), n_perm=500, seed=1)
    assert not rand["exact"] and rand["n_perm"] == 500
    assert rand["p"] == pytest.approx((1 + np.sum(rand["values"] >= 1 - 1e-12)) / 501)
    assert rand["mean"] < 0.5 < rand["observed"]


def test_replicates_are_paired_through_shared_human_resample():
    """Two models whose sessions are identical copies of one profile have no session
    variation, so their replicates differ only through the human resample: equal
    replicate arrays prove that every model saw the same human resample."""
    _, humans = _data(n_h=50)
    prof = np.array([3.0, 2.0, 2.5, 1.0, 0.5])
    models = {"a": np.tile(prof, (4, 1)), "b": np.tile(prof, (6, 1)), "c": _data()[0]["m1"]}
    df, reps = bootstrap_fidelity(
        models, humans, B=120, seed=3, bias_correct=False, return_replicates=True
    )
    assert set(reps) == {"fidelity", "ordering", "exaggeration", "k", "calibration"}
    assert reps["fidelity"].shape == (3, 120)
    assert np.allclose(reps["fidelity"][0], reps["fidelity"][1], rtol=0, atol=1e-12)
    assert np.allclose(reps["exaggeration"][0], reps["exaggeration"][1], rtol=0, atol=1e-12)
    assert not np.array_equal(reps["fidelity"][0], reps["fidelity"][2])
    # ordering: the union of the pivotal interval (these replicates) and the percentile one
    lo, hi = np.quantile(reps["ordering"][2], [0.025, 0.975])
    assert df.loc[2, "ordering_lo"] <= max(lo, -1.0) + 1e-12
    assert df.loc[2, "ordering_hi"] >= min(hi, 1.0) - 1e-12
    # ln k: symmetric bootstrap-t, the pivots and their mirror images about the estimate
    est = df.loc[2, "exaggeration"]
    both = np.concatenate([reps["exaggeration"][2], 2 * est - reps["exaggeration"][2]])
    lo, hi = np.quantile(both, [0.025, 0.975])
    assert df.loc[2, "exaggeration_lo"] == pytest.approx(lo)
    assert df.loc[2, "exaggeration_hi"] == pytest.approx(hi)
    assert hi - est == pytest.approx(est - lo)


def test_calibration_ci_mapped_from_ln_k_and_product_fidelity_ci():
    models, humans = _data(n_models=3, n_s=10, n_h=200)  # k = 0.5, 1.0, 2.0
    joint = bootstrap_fidelity(models, humans, B=200, seed=8)
    prod = bootstrap_fidelity(models, humans, B=200, seed=8, fidelity_ci="product")
    for _, r in joint.iterrows():
        lo, hi = r["exaggeration_lo"], r["exaggeration_hi"]
        if lo <= 0 <= hi:  # calibrated: upper limit of calibration is 1
            assert r["calibration_hi"] == 1.0
            assert r["calibration_lo"] == pytest.approx(math.exp(-max(-lo, hi)))
        else:
            near, far = sorted((abs(lo), abs(hi)))
            assert r["calibration_lo"] == pytest.approx(math.exp(-far))
            assert r["calibration_hi"] == pytest.approx(math.exp(-near))
        assert r["k_lo"] == pytest.approx(math.exp(lo)) and r["k_hi"] == pytest.approx(math.exp(hi))
    assert prod["fidelity_lo"].to_numpy() == pytest.approx(
        np.maximum(joint["ordering_lo"], 0) * joint["calibration_lo"]
    )
    assert prod["fidelity_hi"].to_numpy() == pytest.approx(
        np.maximum(joint["ordering_hi"], 0) * joint["calibration_hi"]
    )
    cols = ["fidelity", "ordering_lo", "exaggeration_hi", "flag"]
    pd.testing.assert_frame_equal(joint[cols], prod[cols])
    assert (prod["fidelity_ci"] == "product").all() and (joint["fidelity_ci"] == "joint").all()
    with pytest.raises(ValueError, match="fidelity_ci"):
        bootstrap_fidelity(models, humans, B=10, fidelity_ci="percentile")
    with pytest.raises(ValueError, match="calibration_margin"):
        bootstrap_fidelity(models, humans, B=10, calibration_margin=0.9)


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0.05, 0.4, "exaggerates"),
        (-0.4, -0.05, "flattens"),
        (-0.1, 0.15, "calibrated"),
        (0.01, 0.1, "calibrated"),  # above 0 but within the margin: equivalent
        (-0.1, 0.5, "inconclusive"),
        (0.0, 0.3, "inconclusive"),
        (np.nan, 0.3, "undetermined"),
    ],
)
def test_verdict_four_way(lo, hi, expected):
    assert fid.verdict(lo, hi, margin=1.25) == expected


def test_defaults_equal_packaged_config_schema():
    """bootstrap_fidelity's method defaults are the workflow's (the packaged schema)."""
    import inspect
    from importlib.resources import files

    import yaml

    schema = yaml.safe_load(
        files("valueaudit").joinpath("schemas/config.schema.yaml").read_text(encoding="utf-8")
    )
    s3 = schema["properties"]["study3"]["properties"]
    sig = inspect.signature(bootstrap_fidelity).parameters
    assert sig["B"].default == s3["bootstrap"]["default"]
    for name in ("bias_correct", "boot_bias_correct", "calibration_margin", "fidelity_ci"):
        assert sig[name].default == s3[name]["default"], name
    assert s3["fidelity_ci"]["enum"] == list(fid.FIDELITY_CI)
    assert list(sig)[:2] == ["model_sessions", "human_scores"]


@settings(max_examples=15, deadline=None)
@given(
    k=st.floats(0.4, 2.5),
    n_s=st.integers(2, 6),
    seed=st.integers(0, 10_000),
    margin=st.floats(1.05, 2.0),
)
def test_interval_invariants(k, n_s, seed, margin):
    """Every interval is ordered and within the quantity's range; calibration's is the
    image of ln k's; the verdict is a function of ln k's interval and the margin."""
    rng = np.random.default_rng(seed)
    h = np.linspace(1.0, -1.0, 5)
    humans = 4 + h + rng.normal(0, 0.8, (30, 5))
    models = {"m": 4 + k * h + rng.normal(0, 0.4, (n_s, 5))}
    r = bootstrap_fidelity(models, humans, B=60, seed=seed, calibration_margin=margin).iloc[0]
    for key in ("fidelity", "ordering", "exaggeration", "k", "calibration"):
        assert r[f"{key}_lo"] <= r[f"{key}_hi"] + 1e-12, key
    assert 0 <= r["fidelity_lo"] and r["fidelity_hi"] <= 1
    assert -1 <= r["ordering_lo"] and r["ordering_hi"] <= 1
    # (with 2 sessions the noise-corrected spread can be near 0: ln k's interval is then
    # so wide that calibration's lower limit underflows to 0, which still covers)
    assert 0 <= r["calibration_lo"] and r["calibration_hi"] <= 1
    assert r["exaggeration_lo"] <= r["exaggeration"] <= r["exaggeration_hi"]
    assert r["flag"] == fid.verdict(r["exaggeration_lo"], r["exaggeration_hi"], margin)
