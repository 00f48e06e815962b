"""Study 2 study-level functions: unit tests on hand-made data and validity tests against the
simulator's planted truth (resources/demo). The statistics themselves (ICC, W, alpha) are tested
against published examples in tests/test_stats.py; here we check that Study 2 arranges the data
correctly, handles degenerate models, and recovers what the simulator planted."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score

from valueaudit import study2 as s2
from valueaudit.contracts import read_raw_records
from valueaudit.instrument import FORMATS, load_instrument
from valueaudit.parse import parse_records
from valueaudit.profiles import theme_scores

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "resources/instrument/optimal_ai_v1.yaml"
FIVE = REPO / "tests/data/instrument_5themes.yaml"
DEMO = REPO / "resources/demo"


@pytest.fixture(scope="module")
def ins():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def ins5():
    return load_instrument(FIVE)


def make_model(ins, ratings: np.ndarray, rankings: np.ndarray | None = None,
               statuses: list[str] | None = None, model_id: str = "m"):
    """Responses + status of one model: ratings is sessions x items, rankings sessions x themes
    (ranks); statuses per session (the same for both formats); non-valid sessions get no values."""
    n_s = ratings.shape[0]
    statuses = statuses or ["ok"] * n_s
    rows, stat = [], []
    theme_of = ins.theme_of()
    for s in range(n_s):
        valid = statuses[s] in ("ok", "repaired")
        for j, it in enumerate(ins.item_ids):
            rows.append({"model_id": model_id, "format": "rating", "session": s + 1,
                         "item_id": it, "theme": theme_of[it],
                         "value": float(ratings[s, j]) if valid else np.nan,
                         "status": statuses[s]})
        if rankings is not None:
            for j, t in enumerate(ins.theme_ids):
                rows.append({"model_id": model_id, "format": "ranking", "session": s + 1,
                             "item_id": t, "theme": t,
                             "value": float(rankings[s, j]) if valid else np.nan,
                             "status": statuses[s]})
        for fmt in ("rating", "ranking") if rankings is not None else ("rating",):
            stat.append({"model_id": model_id, "format": fmt, "session": s + 1,
                         "status": statuses[s]})
    return pd.DataFrame(rows), pd.DataFrame(stat)


def noisy_ratings(ins, n_sessions, seed, spread=1.0, noise=0.5):
    rng = np.random.default_rng(seed)
    base = 4 + spread * rng.normal(size=len(ins.item_ids))
    x = np.rint(base[None, :] + rng.normal(0, noise, (n_sessions, len(ins.item_ids))))
    return np.clip(x, 1, 7)


def noisy_ranks(ins, n_sessions, seed):
    rng = np.random.default_rng(seed)
    base = np.arange(ins.n_themes, dtype=float)
    lat = base[None, :] + rng.normal(0, 0.8, (n_sessions, ins.n_themes))
    return (-lat).argsort(axis=1).argsort(axis=1) + 1.0


# ------------------------------------------------------------------ within each model
def pg_icc(long, targets, raters, ratings):
    """pingouin's ICC table indexed by McGraw-Wong names (pingouin < 0.7 says ICC2, ICC2k)."""
    ref = pg.intraclass_corr(long, targets=targets, raters=raters, ratings=ratings)
    names = {"ICC2": "ICC(A,1)", "ICC2k": "ICC(A,k)"}
    return ref.assign(Type=ref["Type"].replace(names)).set_index("Type")


def test_within_model_matches_pingouin_on_the_items_by_sessions_matrix(ins):
    x = noisy_ratings(ins, 6, seed=1)
    resp, stat = make_model(ins, x, noisy_ranks(ins, 6, 2))
    row = s2.within_model(resp, stat, ins, "rating", min_sessions=3)
    long = pd.DataFrame({"item": np.repeat(ins.item_ids, 6), "session": np.tile(range(6), 18),
                         "v": x.T.reshape(-1)})
    ref = pg_icc(long, "item", "session", "v")
    assert row["icc_a1"] == pytest.approx(ref.loc["ICC(A,1)", "ICC"], abs=1e-10)
    assert row["icc_ak"] == pytest.approx(ref.loc["ICC(A,k)", "ICC"], abs=1e-10)
    assert [row["icc_a1_low"], row["icc_a1_high"]] == pytest.approx(
        list(ref.loc["ICC(A,1)", "CI95"]), abs=0.006)  # pingouin rounds its CIs to 2 decimals
    assert (row["icc_df1"], row["icc_df2"]) == (17, 85)
    # W across sessions: sessions as judges, themes (item means) as objects = Friedman's W
    th = theme_scores(resp, ins, ["model_id", "session"], "rating")
    fr = pg.friedman(th, dv="score", within="theme", subject="session")
    assert row["w"] == pytest.approx(float(fr["W"].iloc[0]), abs=1e-12)
    prof = th.pivot(index="session", columns="theme", values="score")
    rho = spearmanr(prof.to_numpy(), axis=1).statistic
    assert row["mean_rho"] == pytest.approx(rho[np.triu_indices(6, 1)].mean(), abs=1e-12)
    assert row["n_valid"] == 6 and row["n_targets"] == 18 and row["note"] == ""


def test_ranking_uses_themes_as_targets_and_reverses_ranks(ins):
    r = noisy_ranks(ins, 5, seed=3)
    resp, stat = make_model(ins, noisy_ratings(ins, 5, 4), r)
    row = s2.within_model(resp, stat, ins, "ranking", min_sessions=3)
    mats = s2.session_matrices(resp, ins, "ranking")
    assert mats["targets"].shape == (ins.n_themes, 5)
    np.testing.assert_allclose(mats["targets"].to_numpy(), (ins.n_themes + 1 - r).T)
    long = pd.DataFrame({"t": np.repeat(ins.theme_ids, 5), "s": np.tile(range(5), ins.n_themes),
                         "v": r.T.reshape(-1)})
    ref = pg_icc(long, "t", "s", "v")
    # ICC is invariant to the reversal T + 1 - rank
    assert row["icc_a1"] == pytest.approx(ref.loc["ICC(A,1)", "ICC"], abs=1e-10)


def test_too_few_valid_sessions_gives_na_with_reason_and_rates(ins):
    x = noisy_ratings(ins, 10, seed=5)
    statuses = ["refused"] * 7 + ["ok", "repaired", "unparseable"]
    resp, stat = make_model(ins, x, noisy_ranks(ins, 10, 6), statuses)
    row = s2.within_model(resp, stat, ins, "rating", min_sessions=3)
    assert row["n_valid"] == 2 and row["n_sessions"] == 10
    assert row["parse_rate"] == pytest.approx(0.2) and row["refusal_rate"] == pytest.approx(0.7)
    for k in ("icc_a1", "icc_a1_low", "icc_ak", "w", "w_p", "mean_rho"):
        assert np.isnan(row[k]), k
    assert row["note"] == "too few valid sessions (2 < 3)"
    # the same model is estimable with a lower threshold
    assert np.isfinite(s2.within_model(resp, stat, ins, "rating", min_sessions=2)["icc_a1"])


def test_no_variance_gives_na_with_reason_not_a_number(ins):
    x = np.full((5, len(ins.item_ids)), 4.0)
    resp, stat = make_model(ins, x, np.tile(np.arange(1, ins.n_themes + 1.0), (5, 1)))
    row = s2.within_model(resp, stat, ins, "rating", min_sessions=3)
    assert np.isnan(row["icc_a1"]) and np.isnan(row["w"]) and np.isnan(row["mean_rho"])
    assert "no variance" in row["note"] and "W undefined" in row["note"]
    # identical rankings in every session: perfect stability, not NA
    rk = s2.within_model(resp, stat, ins, "ranking", min_sessions=3)
    assert rk["icc_a1"] == pytest.approx(1.0) and rk["w"] == pytest.approx(1.0)
    assert rk["mean_rho"] == pytest.approx(1.0) and rk["note"] == ""


def test_incomplete_session_is_not_a_valid_session(ins):
    x = noisy_ratings(ins, 4, seed=7)
    resp, stat = make_model(ins, x)
    resp.loc[(resp["session"] == 2) & (resp["item_id"] == ins.item_ids[0]), "value"] = np.nan
    resp = resp[~((resp["session"] == 2) & resp["value"].isna())]
    row = s2.within_model(resp, stat, ins, "rating", min_sessions=3)
    assert row["n_valid"] == 3 and np.isfinite(row["icc_a1"])


def test_within_model_table_and_summary_work_for_five_themes(ins5):
    parts = [make_model(ins5, noisy_ratings(ins5, 4, seed=s), noisy_ranks(ins5, 4, s + 9),
                        model_id=f"m{s}") for s in range(3)]
    resp = pd.concat([p[0] for p in parts])
    stat = pd.concat([p[1] for p in parts])
    tab = s2.within_model_table(resp, stat, ins5, 3)
    assert list(tab.columns) == list(s2.WITHIN_COLUMNS)
    assert len(tab) == 6 and tab["icc_a1"].notna().all()
    assert (tab.loc[tab["format"] == "ranking", "n_targets"] == 5).all()
    assert (tab.loc[tab["format"] == "rating", "w_df"] == 4).all()
    summ = s2.stability_summary(tab)
    assert list(summ["format"]) == list(FORMATS) and (summ["n_estimated"] == 3).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.permutations(list(range(5))))
def test_session_order_does_not_matter(seed, perm):
    ins = load_instrument(INSTRUMENT)
    x = noisy_ratings(ins, 5, seed)
    resp, stat = make_model(ins, x)
    resp2, stat2 = make_model(ins, x[list(perm)])
    a = s2.within_model(resp, stat, ins, "rating")
    b = s2.within_model(resp2, stat2, ins, "rating")
    for k in ("icc_a1", "icc_ak", "icc_a1_low", "w", "mean_rho"):
        assert a[k] == pytest.approx(b[k], abs=1e-9, nan_ok=True)


# ------------------------------------------------------------------ across models
def toy_profiles(ins, n=12, seed=0):
    rng = np.random.default_rng(seed)
    base = np.linspace(6, 3, ins.n_themes)
    x = base[None, :] + rng.normal(0, 0.4, (n, ins.n_themes)) + rng.normal(0, 0.5, (n, 1))
    return pd.DataFrame(x, index=[f"m{i:02d}" for i in range(n)], columns=ins.theme_ids)


def test_model_profiles_leaves_out_models_with_too_few_sessions(ins):
    rows = []
    for mid, n in (("a", 4), ("b", 2), ("c", 3)):
        for s in range(n):
            for j, t in enumerate(ins.theme_ids):
                rows.append({"model_id": mid, "format": "rating", "session": s + 1, "theme": t,
                             "score": 7.0 - j + s})
    prof, excl = s2.model_profiles(pd.DataFrame(rows), ins, "rating", 3, models=["a", "b", "c", "z"])
    assert list(prof.index) == ["a", "c"] and list(prof.columns) == ins.theme_ids
    assert prof.loc["a", ins.theme_ids[0]] == pytest.approx(7 + 1.5)
    assert excl.to_dict("list") == {"model_id": ["b", "z"], "n_valid": [2, 0], "reason": [
        "too few valid sessions (2 < 3)", "too few valid sessions (0 < 3)"]}


def test_convergence_agrees_with_pingouin_and_krippendorff(ins):
    import krippendorff

    prof = toy_profiles(ins)
    c = s2.convergence(prof)
    fr = pg.friedman(prof.rename_axis("m").reset_index().melt(id_vars="m", var_name="t"),
                     dv="value", within="t", subject="m")
    assert c["W"] == pytest.approx(float(fr["W"].iloc[0]), abs=1e-12)
    assert c["friedman_W"] == pytest.approx(c["W"], abs=1e-12)
    assert c["chi2"] == pytest.approx(float(fr["Q"].iloc[0]), abs=1e-9)
    assert c["alpha_interval"] == pytest.approx(
        krippendorff.alpha(reliability_data=prof.to_numpy(), level_of_measurement="interval"))
    assert c["p"] < 0.001 and c["reason"] is None and c["n_models"] == 12


def test_convergence_ignores_elevation_for_w_and_rho_and_handles_one_model(ins):
    prof = toy_profiles(ins)
    shifted = prof.add(np.arange(len(prof))[:, None] * 0.3)
    a, b = s2.convergence(prof), s2.convergence(shifted)
    assert a["W"] == pytest.approx(b["W"]) and a["mean_rho"] == pytest.approx(b["mean_rho"])
    assert b["alpha_interval"] < a["alpha_interval"]  # alpha counts elevation disagreement
    one = s2.convergence(prof.iloc[:1])
    assert np.isnan(one["W"]) and "at least 2 models" in one["reason"]


def test_pairwise_tests_match_pingouin_pairwise_tests(ins):
    prof = toy_profiles(ins, n=15, seed=4)
    pw = s2.pairwise_theme_tests(prof)
    assert len(pw) == ins.n_themes * (ins.n_themes - 1) // 2
    long = prof.rename_axis("m").reset_index().melt(id_vars="m", var_name="theme")
    ref = pg.pairwise_tests(long, dv="value", within="theme", subject="m", parametric=False,
                            padjust="holm")
    wcol = "W_val" if "W_val" in ref else "W-val"
    pcol = "p_corr" if "p_corr" in ref else "p-corr"
    ref_d = {frozenset((a, b)): (w, p) for a, b, w, p in
             zip(ref["A"], ref["B"], ref[wcol], ref[pcol], strict=True)}
    for _, r in pw.iterrows():
        w, p = ref_d[frozenset((r["theme_a"], r["theme_b"]))]
        assert r["W"] == pytest.approx(w) and r["p_holm"] == pytest.approx(p)
    first = pw.iloc[0]  # theme 0 is planted highest: positive rank-biserial correlation
    assert first["mean_diff"] > 0 and first["rbc"] > 0 and first["cles"] > 0.5
    assert (pw["p_holm"] >= pw["p"]).all()


def test_consensus_bootstrap_is_vectorised_correctly_and_seeded(ins):
    from valueaudit.stats import bootstrap_indices

    prof = toy_profiles(ins, n=9, seed=2)
    a = s2.consensus_ordering(prof, n_boot=300, seed=11)
    b = s2.consensus_ordering(prof, n_boot=300, seed=11)
    pd.testing.assert_frame_equal(a, b)
    assert a["mean_rank"].sum() == pytest.approx(ins.n_themes * (ins.n_themes + 1) / 2)
    assert list(a["position"]) == list(range(1, ins.n_themes + 1))
    assert (a["rank_low"] <= a["mean_rank"]).all() and (a["mean_rank"] <= a["rank_high"]).all()
    # the same replicates, drawn one at a time as explicit resamples
    ranks = (-prof).rank(axis=1).to_numpy()
    idx = bootstrap_indices(11, len(prof), 300)
    loop = np.array([ranks[i].mean(axis=0) for i in idx])
    lo, hi = np.quantile(loop, [0.025, 0.975], axis=0)
    ref = pd.DataFrame({"lo": lo, "hi": hi}, index=prof.columns).loc[a["theme"]]
    np.testing.assert_allclose(a["rank_low"], ref["lo"], atol=1e-12)
    np.testing.assert_allclose(a["rank_high"], ref["hi"], atol=1e-12)
    assert a["p_top"].sum() == pytest.approx(1.0)


def test_clustering_recovers_planted_groups_and_chooses_their_number(ins5):
    rng = np.random.default_rng(3)
    shapes = np.array([[2, 1, 0, -1, -2], [-2, -1, 0, 1, 2], [0, 2, -2, 1, -1]], dtype=float)
    truth = np.repeat([0, 1, 2], [6, 5, 4])
    x = shapes[truth] + rng.normal(0, 0.2, (len(truth), 5)) + rng.normal(0, 1, (len(truth), 1))
    prof = pd.DataFrame(x, index=[f"m{i:02d}" for i in range(len(truth))], columns=ins5.theme_ids)
    res = s2.cluster_profiles(prof, k_max=6)
    assert res["k"] == 3 and adjusted_rand_score(truth, res["labels"]) == 1.0
    # clusters numbered along the dendrogram leaves
    assert list(dict.fromkeys(res["labels"][res["leaves"]])) == [1, 2, 3]
    cen = s2.cluster_centroids(res["X"], res["labels"])
    assert cen["n"].sum() == len(truth)
    np.testing.assert_allclose(cen.drop(columns="n").sum(axis=1), 0, atol=1e-12)  # centred
    assert res["sample_silhouette"].between(-1, 1).all()


def test_standardising_removes_the_size_of_the_differences(ins):
    shape = np.linspace(1, -1, ins.n_themes)
    k = np.array([0.5, 0.6, 0.7, 1.8, 1.9, 2.0])
    prof = pd.DataFrame(4 + k[:, None] * np.vstack([shape] * 3 + [shape[::-1]] * 3),
                        columns=ins.theme_ids, index=list("abcdef"))
    # centred: two groups by shape; here shape and size coincide, so flip the sizes
    prof.iloc[[0, 3]] = 4 + np.array([2.0, 0.5])[:, None] * np.vstack([shape, shape[::-1]])
    std = s2.prepare_profiles(prof, "standardise")
    np.testing.assert_allclose(std.std(axis=1, ddof=0), 1.0)
    res = s2.cluster_profiles(prof, "standardise", k_max=4)
    assert res["k"] == 2 and adjusted_rand_score([0, 0, 0, 1, 1, 1], res["labels"]) == 1.0


def test_too_few_models_to_cluster_gives_a_reason(ins):
    res = s2.cluster_profiles(toy_profiles(ins, n=2))
    assert res["k"] is None and "at least 3 models" in res["reason"] and res["labels"].empty
    tabs = s2.clusters_display(res, None, {}, {}, ins.label_of())
    assert tabs["clusters"].empty and tabs["selection"].empty


def test_profile_map_is_a_deterministic_pca(ins):
    X = s2.prepare_profiles(toy_profiles(ins, n=10, seed=8))
    m = s2.profile_map(X)
    xc = X.to_numpy() - X.to_numpy().mean(axis=0)
    ev = np.linalg.svd(xc, compute_uv=False) ** 2
    assert m["explained"] == pytest.approx(list(ev[:2] / ev.sum()))
    np.testing.assert_allclose(m["coords"].to_numpy(), xc @ m["loadings"].to_numpy(), atol=1e-10)
    for j in ("dim1", "dim2"):  # sign convention
        v = m["loadings"][j].to_numpy()
        assert v[np.argmax(np.abs(v))] > 0
    m2 = s2.profile_map(-X)  # mirrored data gives the same, sign-fixed map up to reflection
    np.testing.assert_allclose(np.abs(m2["coords"].to_numpy()), np.abs(m["coords"].to_numpy()))


def test_tables_and_macros_from_results(ins):
    prof = toy_profiles(ins, n=10, seed=5)
    conv_full, conv_disp = s2.convergence_table(s2.convergence(prof))
    assert conv_disp["Test"].iloc[0].startswith("chi2(5) = ")
    pw = s2.pairwise_theme_tests(prof)
    cons = s2.consensus_ordering(prof, 200, 1)
    main, shape = s2.cluster_profiles(prof), s2.cluster_profiles(prof, "standardise")
    tabs = s2.clusters_display(main, shape, {}, {}, ins.label_of())
    assert tabs["selection"]["chosen_centred"].sum() == 1
    assert set(tabs["members"]["model_id"]) == set(prof.index)
    resp, stat = make_model(ins, noisy_ratings(ins, 4, 1), noisy_ranks(ins, 4, 2))
    summ = s2.stability_summary(s2.within_model_table(resp, stat, ins, 3))
    mac = s2.study2_macros(summ, conv_full, pw, cons, tabs["selection"], "rating", ins.label_of())
    assert mac["study_two_conv_models"] == "10"
    assert mac["study_two_consensus_first"] == ins.label_of()[cons["theme"].iloc[0]]
    assert mac["study_two_clust_k"] == str(main["k"])
    assert all(isinstance(v, str) and v for v in mac.values())
    assert all(k.startswith("study_two_") for k in mac)
    # a missing row is named, never silently dropped
    with pytest.raises(ValueError, match="stability_formats table has no row with format = 'x'"):
        s2.study2_macros(summ, conv_full, pw, cons, tabs["selection"], "x", ins.label_of())
    lost = conv_full[conv_full["statistic"] != s2.report.STAT_FRIEDMAN]
    with pytest.raises(ValueError, match="convergence table has no row with statistic"):
        s2.study2_macros(summ, lost, pw, cons, tabs["selection"], "rating", ins.label_of())


def test_macro_names_follow_the_study_two_convention_with_former_names_as_aliases(
        ins, tmp_path):
    """New name = "studyTwo" + former name with its first letter upper-cased; every former
    name is an alias of the new one."""
    from valueaudit.tables import macro_name, write_macros

    values = {"study_two_clust_k": "3", "study_two_stab_icc_median": ".81",
              "study_two_clust_k_shape": "2"}
    aliases = s2.macro_aliases(values)
    assert aliases == {"clustK": "study_two_clust_k", "stabIccMedian": "study_two_stab_icc_median",
                       "clustKShape": "study_two_clust_k_shape"}
    for former, key in aliases.items():
        assert macro_name(key) == "studyTwo" + former[0].upper() + former[1:]
    text = write_macros(values, tmp_path / "m.tex", aliases=aliases).read_text()
    assert "\\newcommand{\\studyTwoClustK}{3}" in text
    assert "\\newcommand{\\clustK}{\\studyTwoClustK}" in text


def test_consensus_seed_stream_and_format_ci_have_one_home():
    from valueaudit import seeds, tables

    assert not hasattr(s2, "SEED_OFFSETS") and "SEED_OFFSETS" not in s2.__all__
    assert seeds.OFFSETS["study2.consensus"] == 2001
    assert s2.format_ci is tables.format_ci
    assert s2.format_ci(0.8123, 0.7, 0.9) == ".81 [.70, .90]"
    assert s2.format_ci(float("nan"), 0.7, 0.9) == "NA"


# ------------------------------------------------------------------ validity on the demo data
@pytest.fixture(scope="module")
def demo(ins):
    parts = [parse_records(read_raw_records(p), ins)
             for p in sorted(glob.glob(str(DEMO / "raw" / "*.jsonl")))]
    resp = pd.concat(parts, ignore_index=True)
    stat = resp.drop_duplicates(["model_id", "format", "session"])[
        ["model_id", "format", "session", "status"]]
    truth = pd.read_csv(DEMO / "truth/models.csv").set_index("model_id")
    params = json.loads((DEMO / "truth/params.json").read_text())["params"]
    scores = pd.concat([theme_scores(resp, ins, ["model_id", "session"], f) for f in FORMATS])
    prof, excl = s2.model_profiles(scores, ins, "rating", 3, truth.index)
    return {"within": s2.within_model_table(resp, stat, ins, 3), "truth": truth,
            "params": params, "profiles": prof, "excluded": excl}


def test_demo_stability_is_high_and_tracks_the_planted_truth(demo, ins):
    w = demo["within"][demo["within"]["format"] == "rating"].set_index("model_id")
    t, p = demo["truth"], demo["params"]
    est = w["icc_a1"].dropna()
    assert est.median() > 0.75 and w["icc_ak"].median() > 0.95
    # expected ICC(A,1) from the generating process: between-item variance of the true
    # scores over that plus the within-cell noise (session + item noise + rounding, 1/12)
    true = t[[f"true_{th}" for th in ins.theme_ids]].to_numpy()
    var = true.var(axis=1, ddof=1)
    noise = p["sd_session"] ** 2 + p["sd_item_model"] ** 2 + 1 / 12
    expected = pd.Series(var / (var + noise), index=t.index).loc[est.index]
    assert spearmanr(est, expected).statistic > 0.85
    assert (est - expected).abs().median() < 0.05
    # the coverage of the 95% CIs for the expected ICC is sensible
    inside = ((w.loc[est.index, "icc_a1_low"] <= expected)
              & (expected <= w.loc[est.index, "icc_a1_high"])).mean()
    assert inside > 0.85


def test_demo_guarded_model_is_na_with_a_reason(demo):
    guarded = demo["truth"].index[demo["truth"]["guarded"]]
    w = demo["within"].set_index("model_id").loc[guarded]
    assert w["icc_a1"].isna().all() and w["note"].str.startswith("too few valid sessions").all()
    assert (w["refusal_rate"] >= 0.5).all()
    assert set(guarded) <= set(demo["excluded"]["model_id"])
    assert demo["within"]["note"].eq("").sum() == len(demo["within"]) - 2 * len(guarded)


def test_demo_convergence_is_significant_and_agency_is_last(demo, ins):
    c = s2.convergence(demo["profiles"])
    assert c["W"] > 0.6 and c["p"] < 1e-10 and c["friedman_p"] < 1e-10
    cons = s2.consensus_ordering(demo["profiles"], 500, 1)
    assert cons["theme"].iloc[-1] == "agency"
    human = pd.read_csv(DEMO / "truth/humans.csv").set_index("theme")["latent_mean"]
    assert cons["theme"].iloc[0] == human.idxmax()


def test_demo_clusters_reflect_exaggeration_and_shape(demo):
    """What the simulator plants: three archetype shapes (0 human-like, 1 capability-first,
    2 care-first) AND per-model exaggeration k. Centred profiles keep k, and the k differences
    (up to 2x the human differences) are larger than the archetype shifts, so the silhouette-chosen
    Ward solution separates the strongest exaggerators; standardised profiles remove k and the
    three-cluster Ward solution recovers the archetypes."""
    prof, t = demo["profiles"], demo["truth"].loc[demo["profiles"].index]
    main = s2.cluster_profiles(prof, "centre")
    exaggerator = (t["k_planted"] > 1.5).astype(int)
    assert adjusted_rand_score(exaggerator, main["labels"]) > 0.5
    small = main["labels"].value_counts().idxmin()
    assert (t.loc[main["labels"] == small, "k_planted"] > 1.5).all()
    shape = s2.cluster_profiles(prof, "standardise")
    three = fcluster(shape["linkage"], 3, criterion="maxclust")
    assert adjusted_rand_score(t["archetype"], three) > 0.7
    assert adjusted_rand_score(t["archetype"], shape["labels"]) > 0.3


def test_step_outputs_are_written_to_the_rule_outputs_of_the_same_names(tmp_path):
    from types import SimpleNamespace

    frame = pd.DataFrame({"theme": ["a", "b"], "value": [0.5, 0.25]})
    out = s2.Outputs(tables={"table": s2.Table(frame, caption="A caption.", note="A note.")},
                         frames={"data": frame})
    output = SimpleNamespace(table=[str(tmp_path / "t.csv"), str(tmp_path / "t.tex")],
                             data=str(tmp_path / "d.csv"))
    out.write(output)
    assert pd.read_csv(tmp_path / "d.csv").equals(frame)
    assert {p.name for p in tmp_path.iterdir()} >= {"t.csv", "t.tex", "t.md", "d.csv"}
    assert "A caption." in (tmp_path / "t.tex").read_text()
