"""Unit tests of valueaudit.study3 on small hand-made data (fast)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from valueaudit import fidelity as fid
from valueaudit import study3 as s3

THEMES = ["a", "b", "c", "d"]


def _humans(n=60, seed=0, means=(6.0, 5.0, 4.5, 3.0)):
    rng = np.random.default_rng(seed)
    X = np.clip(np.round(rng.normal(means, 0.8, size=(n, len(means))) * 3) / 3, 1, 7)
    return pd.DataFrame(X, columns=THEMES[: len(means)],
                        index=[f"P{i:03d}" for i in range(n)])


def _sessions(k=1.0, n=6, seed=1, base=(6.0, 5.0, 4.5, 3.0), noise=0.15):
    rng = np.random.default_rng(seed)
    b = np.asarray(base)
    prof = b.mean() + k * (b - b.mean())
    return prof + rng.normal(0, noise, size=(n, len(b)))


# ---------------------------------------------------------------- order criterion
@pytest.mark.parametrize("T, expected", [(4, 1.0), (5, 0.9), (6, 0.829), (7, 0.714),
                                         (8, 0.643)])
def test_ordering_threshold_matches_published_critical_values(T, expected):
    # Zar, J. H. (1972). Significance testing of the Spearman rank correlation
    # coefficient. JASA, 67, 578-580, Table 1, alpha(1) = .05 column:
    # n = 4: 1.000, 5: .900, 6: .829, 7: .714, 8: .643
    res = s3.ordering_threshold(T)
    assert res["exact"]
    assert res["rho_crit"] == pytest.approx(expected, abs=0.0006)
    assert res["p_at_crit"] <= 0.05


def test_ordering_threshold_is_exact_tail_and_nan_when_unreachable():
    res = s3.ordering_threshold(6)
    # exact tail P(rho >= 29/35) for n = 6 (all 720 orders)
    assert res["rho_crit"] == pytest.approx(29 / 35)
    assert res["p_at_crit"] == pytest.approx(21 / 720)
    assert math.isnan(s3.ordering_threshold(3)["rho_crit"])  # 1/6 > .05
    # large T: t approximation; Zar (1972) gives .564 for n = 10 (exact)
    assert s3.ordering_threshold(10)["rho_crit"] == pytest.approx(0.564, abs=0.02)


# ---------------------------------------------------------------- human reference
def test_human_profile_means_sd_ci_and_ranks():
    X = _humans()
    prof = s3.human_profile(X, {"a": "A"}, n_boot=500, seed=3)
    np.testing.assert_allclose(prof["mean"], X.mean().to_numpy())
    np.testing.assert_allclose(prof["sd"], X.std(ddof=1).to_numpy())
    assert (prof["ci_low"] < prof["mean"]).all() and (prof["mean"] < prof["ci_high"]).all()
    assert list(prof["rank"]) == [1, 2, 3, 4]
    assert list(prof["label"]) == ["A", "b", "c", "d"]
    # the bootstrap CI is about mean +- 1.96 SE
    se = X.std(ddof=1).to_numpy() / np.sqrt(len(X))
    np.testing.assert_allclose(prof["ci_high"] - prof["ci_low"], 2 * 1.96 * se, rtol=0.2)
    again = s3.human_profile(X, {"a": "A"}, n_boot=500, seed=3)
    pd.testing.assert_frame_equal(prof, again)


def test_human_theme_tests_agree_with_scipy():
    X = _humans(n=40)
    fr, pw = s3.human_theme_tests(X)
    q = sps.friedmanchisquare(*[X[c] for c in X.columns])
    assert fr["Q"] == pytest.approx(q.statistic, rel=1e-8)
    assert fr["p"] == pytest.approx(q.pvalue, rel=1e-6)
    assert len(pw) == 6
    r = pw[(pw["theme_a"] == "a") & (pw["theme_b"] == "c")].iloc[0]
    # pingouin applies the continuity correction (normal approximation with ties)
    w = sps.wilcoxon(X["a"], X["c"], correction=True)
    assert r["p"] == pytest.approx(w.pvalue, rel=1e-6)
    assert r["p_holm"] >= r["p"]


def test_sample_flow_and_demographics_tables():
    flow = pd.DataFrame({"step": ["collected", "excluded: fast", "analysed"],
                         "rule": ["", "min_seconds=180", ""], "excluded": [0, 2, 2],
                         "remaining": [10, 8, 8]})
    out = s3.sample_flow_table(flow)
    assert list(out["step"]) == ["Collected", "Excluded: fast", "Analysed"]
    assert list(out["n_remaining"]) == [10, 8, 8]
    resp = pd.DataFrame({
        "respondent_id": [f"P{i}" for i in range(10)],
        "included": [True] * 8 + [False] * 2,
        "exclusion_reason": [None] * 8 + ["fast"] * 2,
        "age": [20, 30, 40, 50, 60, 20, 30, 40, 70, 80],
        "gender": ["W", "M", "W", "M", "W", None, "W", "M", "M", "M"],
    })
    demo = s3.demographics_table(resp, ["age", "gender"])
    age = demo[(demo["variable"] == "age") & (demo["statistic"] == "mean")].iloc[0]
    assert age["analysed"] == pytest.approx(np.mean([20, 30, 40, 50, 60, 20, 30, 40]))
    assert age["collected"] == pytest.approx(44.0)
    g = demo[demo["variable"] == "gender"].set_index("level")
    assert g.loc["W", "analysed"] == 4 and g.loc["W", "analysed_pct"] == pytest.approx(0.5)
    assert g.loc["M", "collected"] == 5
    assert g.loc["(missing)", "analysed"] == 1
    assert list(g.index)[:2] == ["W", "M"]  # by analysed frequency


# ---------------------------------------------------------------- fidelity tables
def test_per_model_run_equals_the_joint_bootstrap():
    H = {"rating": _humans().to_numpy(), "ranking": np.empty((0, 4))}
    S = {f"m{j}": {"rating": _sessions(k=0.6 + 0.4 * j, seed=j)} for j in range(3)}
    joint = s3.fidelity_table(S, H, THEMES, n_boot=300, seed=11, n_perm=50)
    for mid in S:
        one = s3.model_fidelity(mid, S[mid], H, THEMES, n_boot=300, seed=11, n_perm=50)
        a = joint["fidelity"].query("model_id == @mid").reset_index(drop=True)
        b = one["fidelity"].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    ref = fid.bootstrap_fidelity({m: v["rating"] for m, v in S.items()}, H["rating"], B=300,
                                 seed=11)
    got = joint["fidelity"].query("format == 'rating'").reset_index(drop=True)
    np.testing.assert_allclose(got["fidelity_lo"], ref["fidelity_lo"])
    np.testing.assert_allclose(got["exaggeration_hi"], ref["exaggeration_hi"])
    # ranking: no humans -> stated reason, no numbers
    rk = joint["fidelity"].query("format == 'ranking'")
    assert rk["reason"].str.contains("fewer than 2 human").all()


def test_session_ids_null_and_session_summary():
    H = {"rating": _humans().to_numpy()}
    X = pd.DataFrame(_sessions(n=5), index=[2, 3, 5, 8, 9], columns=THEMES)
    out = s3.model_fidelity("m", {"rating": X}, H, THEMES, n_boot=200, seed=1, n_perm=100)
    sess = out["sessions"]
    assert list(sess["session"]) == [2, 3, 5, 8, 9]
    h = H["rating"].mean(axis=0)
    single = [fid.profile_fidelity(row, h)["fidelity"] for row in X.to_numpy()]
    np.testing.assert_allclose(sess["fidelity"], single)
    row = out["fidelity"].query("format == 'rating'").iloc[0]
    assert row["session_median"] == pytest.approx(np.median(single))
    assert row["null_exact"]  # 4! = 24 <= 100 relabellings: exact null
    null = fid.shuffled_null(X.to_numpy().mean(axis=0), h, n_perm=100)
    assert row["null_p"] == pytest.approx(null["p"])
    prof = out["profile"].query("format == 'rating'")
    np.testing.assert_allclose(prof["mean"], X.mean().to_numpy())


def _assembled(min_sessions=3):
    H = {"rating": _humans().to_numpy()}
    S = {"good": {"rating": _sessions(k=1.0, n=6)},
         "loud": {"rating": _sessions(k=2.0, n=6, seed=4)},
         "flat": {"rating": _sessions(k=0.4, n=6, seed=5)},
         "few": {"rating": _sessions(k=1.0, n=2, seed=6)}}
    per = s3.fidelity_table(S, H, THEMES, n_boot=400, seed=2, n_perm=50)["fidelity"]
    models = pd.DataFrame({"model_id": list(S), "display_name": [m.upper() for m in S],
                           "family": "f", "provider": "p",
                           "params_b": [1.0, np.nan, 10.0, 100.0],
                           "release_date": ["2024-01", "2024-06", "2025-01", "2025-07"],
                           "tier": ["small", "mid", "frontier", "small"],
                           "open_weights": True})
    loo = fid.leave_one_out_humans(H["rating"])["fidelity"].to_numpy()
    return s3.assemble_fidelity(per, models, {"rating": loo}, min_sessions, len(THEMES))


def test_assemble_flags_analysis_set_and_order_criterion():
    f = _assembled()
    rk = f[f["format"] == "ranking"]
    assert not rk["analysed"].any() and rk["reason"].str.contains("human").all()
    f = f[f["format"] == "rating"].set_index("model_id")
    assert not f.loc["few", "analysed"]
    assert "too few valid sessions (2 < 3)" in f.loc["few", "reason"]
    assert f.loc[["good", "loud", "flat"], "analysed"].all()
    assert f.loc["loud", "flag"] == "exaggerates"
    assert f.loc["flat", "flag"] == "flattens"
    assert f.loc["good", "flag"] == "calibrated"
    assert f.loc["good", "keeps_order"]  # T = 4: only rho = 1 keeps the order
    assert 0 <= f.loc["good", "human_percentile"] <= 100
    assert math.isnan(f.loc["few", "human_percentile"])


def test_leaderboard_ranks_and_places_unanalysed_last():
    f = _assembled()
    board = s3.leaderboard(f, "rating")
    assert board["model_id"].iloc[-1] == "few"
    assert board["flag"].iloc[-1] == "not analysed"
    assert pd.isna(board["rank"].iloc[-1])
    an = board[board["analysed"]]
    assert list(an["rank"]) == [1, 2, 3]
    assert an["fidelity"].is_monotonic_decreasing
    assert an["model_id"].iloc[0] == "good"


def test_respondent_level_rows():
    f = _assembled()
    H = _humans().to_numpy()
    loo = fid.leave_one_out_humans(H)["fidelity"].to_numpy()
    S = {"good": {"rating": _sessions(k=1.0, n=6)}}
    sess = s3.fidelity_table(S, {"rating": H}, THEMES, n_boot=50, seed=2, n_perm=10)["sessions"]
    rl = s3.respondent_level(f[f["model_id"] == "good"], sess, loo, "rating")
    assert rl["model_id"].tolist() == ["humans", "good"]
    assert rl["n"].tolist() == [len(H), 6]
    assert rl["median"].iloc[0] == pytest.approx(np.median(loo))
    v = sess["fidelity"].to_numpy()
    assert rl["share_above_human_median"].iloc[1] == pytest.approx(np.mean(v > np.median(loo)))


# ---------------------------------------------------------------- characteristics
def test_characteristics_counts_missing_and_detects_a_planted_effect():
    rng = np.random.default_rng(0)
    n = 40
    params = np.exp(rng.uniform(0, 6, n))
    fidv = 0.3 + 0.1 * np.log10(params) + rng.normal(0, 0.02, n)
    params_b = params.copy()
    params_b[:7] = np.nan
    f = pd.DataFrame({"model_id": [f"m{i}" for i in range(n)], "format": "rating",
                      "analysed": True, "fidelity": fidv, "params_b": params_b,
                      "release_date": [f"{2023 + i % 3}-{1 + i % 12:02d}" for i in range(n)],
                      "tier": np.array(["small", "mid", "frontier"])[np.arange(n) % 3]})
    t = s3.characteristics(f, ["small", "mid", "frontier"], "rating")
    size = t[(t["predictor"] == "log10(parameters)") & (t["test"] == "Spearman rho")].iloc[0]
    assert size["n"] == 33 and size["n_missing"] == 7
    assert size["statistic"] > 0.9 and size["p"] < 1e-6
    ols = t[(t["predictor"] == "log10(parameters)") & (t["test"] == "OLS (HC3)")].iloc[0]
    assert ols["estimate"] == pytest.approx(0.1 * np.log(10) / np.log(10), abs=0.02)
    assert ols["n"] == 33
    kw = t[t["test"] == "Kruskal-Wallis H"].iloc[0]
    groups = [fidv[np.arange(n) % 3 == i] for i in range(3)]
    assert kw["statistic"] == pytest.approx(sps.kruskal(*groups).statistic)
    assert {"tier (joint)", "model"} <= set(t["predictor"])


def test_characteristics_reports_not_computable_instead_of_crashing():
    f = pd.DataFrame({"model_id": ["a", "b"], "format": "rating", "analysed": True,
                      "fidelity": [0.5, 0.7], "params_b": [np.nan, 3.0],
                      "release_date": ["2024-01", "2024-02"], "tier": ["small", "small"]})
    t = s3.characteristics(f, ["small", "mid"], "rating")
    assert t["note"].str.contains("not computable").any()
    assert t["p"].isna().all()


def test_decimal_year():
    out = s3.decimal_year(pd.Series(["2024-01", "2024-07", None]))
    assert out.iloc[0] == 2024.0 and out.iloc[1] == pytest.approx(2024.5)
    assert math.isnan(out.iloc[2])


# ---------------------------------------------------------------- focal theme
def test_resolve_focal_theme_by_id_label_and_fallback():
    th = pd.DataFrame({"theme": ["perf", "auto"], "label": ["Performance", "Agency"]})
    assert s3.resolve_focal_theme(th, "agency")["theme"] == "auto"  # by label
    assert s3.resolve_focal_theme(th, "PERF")["theme"] == "perf"  # by id
    fb = s3.resolve_focal_theme(th, "ethics", pd.Series({"perf": 6.0, "auto": 3.0}))
    assert fb["theme"] == "auto" and "lowest human mean" in fb["how"]
    with pytest.raises(ValueError):
        s3.resolve_focal_theme(th, "ethics")


def test_rank_positions_share_ties():
    X = np.array([[3.0, 2.0, 1.0], [1.0, 1.0, 2.0], [1.0, 1.0, 1.0]])
    pos = s3.rank_positions(X, 0)
    np.testing.assert_allclose(pos, [[1, 0, 0], [0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=1, max_size=8),
       st.integers(0, 3))
def test_rank_positions_rows_sum_to_one_and_match_average_rank(rows, col):
    X = np.array(rows, dtype=float)
    pos = s3.rank_positions(X, col)
    np.testing.assert_allclose(pos.sum(axis=1), 1.0)
    mean_pos = pos @ np.arange(1, 5)
    np.testing.assert_allclose(mean_pos, sps.rankdata(-X, axis=1)[:, col])


def test_focal_theme_analysis_tests_ranks_and_binomial():
    X = _humans(n=50)
    models = pd.DataFrame([[6, 5, 4.5, 3.0], [6, 5, 4.5, 2.0], [5, 6, 3.5, 4.0],
                           [6, 5, 3.0, 3.0]], columns=THEMES, index=["m1", "m2", "m3", "m4"])
    res = s3.focal_theme_analysis(X, models, "d", {"d": "Agency"})
    summ = res["summary"].set_index("group")
    assert summ.loc["human profile", "rank"] == 4
    assert summ.loc["models", "n_last"] == 2  # m3 not last, m4 tied last
    assert summ.loc["models", "n_tied_last"] == 1
    assert summ.loc["models", "binom_p"] == pytest.approx(sps.binomtest(2, 4, 0.25).pvalue)
    assert res["model_ranks"].set_index("model_id").loc["m4", "focal_rank"] == 3.5
    t = res["tests"]
    assert list(t["theme"]) == ["a", "b", "c"]
    raw = [sps.wilcoxon(X["d"], X[c], correction=True).pvalue for c in "abc"]
    np.testing.assert_allclose(t["p"], raw, rtol=1e-6)
    from statsmodels.stats.multitest import multipletests
    np.testing.assert_allclose(t["p_holm"], multipletests(raw, method="holm")[1], rtol=1e-6)
    assert (t["rbc"] < 0).all()
    np.testing.assert_allclose(res["positions"]["share_models"].sum(), 1.0)


# ---------------------------------------------------------------- robustness
def test_robustness_taus():
    rng = np.random.default_rng(5)
    n = 12
    fv = rng.uniform(0.2, 0.9, n)
    rows = []
    for fmt, vals in (("rating", fv), ("ranking", fv[::-1].copy())):
        rows.append(pd.DataFrame({"model_id": [f"m{i}" for i in range(n)], "format": fmt,
                                  "analysed": True, "fidelity": vals, "fidelity_plugin": vals,
                                  "ccc": vals ** 2, "pearson": rng.uniform(0, 1, n),
                                  "d2": 1 - vals}))
    ranks, taus = s3.robustness(pd.concat(rows), "rating")
    t = taus.set_index(["index_a", "index_b"])["tau"]
    assert t[("fidelity", "fidelity (plug-in)")] == pytest.approx(1.0)
    assert t[("fidelity", "Lin's CCC")] == pytest.approx(1.0)
    assert t[("fidelity", "D2")] == pytest.approx(1.0)  # smaller D2 ranks higher
    expected = sps.kendalltau(fv, fv[::-1]).statistic
    assert t[("fidelity", "fidelity (ranking)")] == pytest.approx(expected)
    assert (ranks["fidelity"] == ranks["D2"]).all()


# ---------------------------------------------------------------- figure helpers
def test_plots_name_every_exaggerating_model():
    import matplotlib.pyplot as plt

    f = _assembled()
    board = s3.leaderboard(f, "rating")
    fig = s3.plot_ordering_exaggeration(board, ["small", "mid", "frontier"], 1.0)
    # the most exaggerating model is named on the panel or in its numbered key
    texts = " ".join(t.get_text() for a in fig.axes for t in a.texts)
    texts += " ".join(t.get_text() for t in fig.texts)
    ana = board[board["analysed"]]
    top = ana.loc[ana["exaggeration"].idxmax(), "display_name"]
    assert (ana["flag"] == "exaggerates").any() and top in texts
    plt.close(fig)
    fig = s3.plot_forest(board, ["small", "mid", "frontier"],
                         {"fidelity": 0.9, "lo": 0.85, "hi": 0.95}, 0.2)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(board.loc[board["analysed"], "display_name"])
    plt.close(fig)


def test_analysed_profiles_keeps_analysed_models_of_the_format_in_theme_order():
    fidelity = pd.DataFrame({"model_id": ["b", "a", "c", "a"],
                             "format": ["rating", "rating", "rating", "ranking"],
                             "analysed": [True, True, False, True]})
    rows = [(m, f, t, v) for m, f in [("a", "rating"), ("b", "rating"), ("c", "rating"),
                                      ("a", "ranking")]
            for t, v in [("T2", 2.0), ("T1", 1.0)]]
    profiles = pd.DataFrame(rows, columns=["model_id", "format", "theme", "mean"])
    profiles.loc[profiles["model_id"] == "b", "mean"] += 10
    mp = s3.analysed_profiles(fidelity, profiles, "rating", ["T1", "T2"])
    assert list(mp.index) == ["a", "b"]  # c not analysed; sorted by id
    assert list(mp.columns) == ["T1", "T2"]
    assert mp.loc["b"].tolist() == [11.0, 12.0]
