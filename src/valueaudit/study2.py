"""Study 2: within-model stability and cross-model convergence (METHODS section 5).

Within each model (one response format at a time) the valid sessions are the
raters:

* ICC(A,1) and ICC(A,k) (McGraw & Wong, 1996; Shrout & Fleiss ICC(2,1) and
  ICC(2,k)) with 95% CIs, items (rating) or themes (ranking) as targets;
* Kendall's W across sessions (sessions as judges, themes as objects),
  tie-corrected, with chi-square = m(n-1)W on n-1 df;
* the mean pairwise Spearman correlation between the sessions' theme profiles;
* parse and refusal rates.

A model with fewer valid sessions than ``min_sessions``, or without variance,
gets NA and a stated reason (column ``note``).

Across models (models x themes matrix of mean profiles):

* Kendall's W (models as judges), mean pairwise Spearman and Krippendorff's
  alpha (interval);
* the Friedman test of theme differences with models as blocks (effect size
  Kendall's W) and pairwise Wilcoxon signed-rank tests with Holm correction
  (effect sizes: matched-pairs rank-biserial correlation and common-language
  effect size), both from pingouin;
* the consensus ordering: mean within-model rank per theme with a percentile
  bootstrap CI over models (vectorised through resample-count weights);
* Ward clustering of centred profiles, the number of clusters chosen by the mean
  silhouette width, and a 2-D principal-component map.

The statistics themselves come from :mod:`valueaudit.stats`, pingouin, scipy and
scikit-learn; this module arranges them per model and across models and returns
DataFrames and dicts, so it can be used without Snakemake.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import stats as vstats
from ._lazy import lazy_import
from .contracts import model_names
from .profiles import VALID, theme_scores
from .stats import friedman_test

sps = lazy_import("scipy.stats")

__all__ = [
    "WITHIN_COLUMNS",
    "session_matrices",
    "within_model",
    "within_model_table",
    "stability_summary",
    "model_profiles",
    "convergence",
    "friedman_test",
    "pairwise_theme_tests",
    "consensus_ordering",
    "prepare_profiles",
    "cluster_profiles",
    "cluster_centroids",
    "profile_map",
    "format_ci",
    "clusters_display",
    "study2_macros",
    "SEED_OFFSETS",
    "stability_table",
    "stability_formats_display",
    "convergence_table",
    "pairwise_display",
    "consensus_display",
    "plot_stability",
    "plot_profile_heatmap",
    "plot_profile_map",
]

#: Columns of :func:`within_model_table` (one row per model and response format).
WITHIN_COLUMNS: tuple[str, ...] = (
    "model_id", "format", "n_sessions", "n_valid", "parse_rate", "refusal_rate", "n_targets",
    "icc_a1", "icc_a1_low", "icc_a1_high", "icc_ak", "icc_ak_low", "icc_ak_high",
    "icc_F", "icc_df1", "icc_df2", "icc_p", "w", "w_chi2", "w_df", "w_p", "mean_rho",
    "note",
)


#: Fixed offsets added to config["seed"] per analysis, so each RNG stream is distinct.
SEED_OFFSETS: dict[str, int] = {"consensus": 2001}


# ----------------------------------------------------------------------------------
# within each model
# ----------------------------------------------------------------------------------
def session_matrices(responses: pd.DataFrame, instrument, fmt: str) -> dict[str, pd.DataFrame]:
    """The complete valid sessions of one model as two matrices.

    Parameters
    ----------
    responses : DataFrame
        Parsed responses of ONE model (columns ``model_id, format, session, item_id,
        theme, value, status``).
    instrument : valueaudit.instrument.Instrument
    fmt : {"rating", "ranking"}

    Returns
    -------
    dict
        ``targets``: targets (rows: items for rating, themes for ranking, instrument
        order) x sessions (columns), the matrix for the ICC; ``themes``: sessions
        (rows) x themes (columns) of theme scores (item means, or ``T + 1 - rank``),
        the matrix for Kendall's W and Spearman. Only sessions with status ok or
        repaired and a complete set of answers enter (as in ``session_scores.csv``).
    """
    ids = responses["model_id"].unique() if len(responses) else []
    if len(ids) > 1:
        raise ValueError(f"session_matrices expects the responses of one model, got {list(ids)}")
    scores = theme_scores(responses, instrument, ["model_id", "session"], fmt)
    themes = scores.pivot_table(index="session", columns="theme", values="score",
                                aggfunc="first", sort=True)
    themes = themes.reindex(columns=instrument.theme_ids).astype(float)
    themes.columns.name = None
    sessions = list(themes.index)
    if fmt == "rating":
        d = responses[(responses["format"] == fmt) & responses["status"].isin(VALID)
                      & responses["session"].isin(sessions)]
        targets = d.pivot_table(index="item_id", columns="session", values="value",
                                aggfunc="first", sort=True)
        targets = targets.reindex(index=instrument.item_ids, columns=sessions).astype(float)
    else:
        targets = themes.T.copy()
    targets.index.name = "target"
    targets.columns.name = "session"
    return {"targets": targets, "themes": themes}


def _rates(status: pd.DataFrame, fmt: str) -> tuple[int, float, float]:
    s = status[status["format"] == fmt].drop_duplicates(["session"])
    n = len(s)
    if n == 0:
        return 0, math.nan, math.nan
    parsed = float(s["status"].isin(VALID).mean())
    refused = float((s["status"] == "refused").mean())
    return n, parsed, refused


def within_model(
    responses: pd.DataFrame,
    status: pd.DataFrame,
    instrument,
    fmt: str,
    min_sessions: int = 3,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Stability of one model's answers across its sessions in one response format.

    ICC(A,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n) and
    ICC(A,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n) from the two-way ANOVA of the
    ``n`` targets x ``k`` sessions matrix (:func:`valueaudit.stats.icc`, McGraw & Wong,
    1996); Kendall's W = 12 S / (m^2 (n^3 - n) - m sum(t^3 - t)) across the ``m``
    sessions' theme profiles with chi2 = m (n - 1) W on n - 1 df
    (:func:`valueaudit.stats.kendalls_w`; Kendall & Babington Smith, 1939); mean
    pairwise Spearman rho between sessions (:func:`valueaudit.stats.spearman_mean_pairwise`).

    Parameters
    ----------
    responses : DataFrame
        Parsed responses of one model (``valueaudit.contracts.read_responses``).
    status : DataFrame
        Session statuses of that model (``model_id, format, session, status``); the
        parse rate is the share of sessions with status ok or repaired, the refusal
        rate the share refused.
    instrument : Instrument
    fmt : {"rating", "ranking"}
    min_sessions : int, default 3
        Fewer complete valid sessions give NA with the reason in ``note``.
    alpha : float, default 0.05
        CIs are ``1 - alpha``.

    Returns
    -------
    dict
        Keys :data:`WITHIN_COLUMNS`; NaN where a statistic is not defined and the
        reason(s) in ``note`` (empty string when everything was estimated).
    """
    if min_sessions < 2:
        raise ValueError(f"min_sessions must be at least 2, got {min_sessions}")
    model_ids = pd.concat([responses["model_id"], status["model_id"]]).unique()
    if len(model_ids) != 1:
        raise ValueError(f"within_model expects exactly one model, got {list(model_ids)}")
    n_sessions, parse_rate, refusal_rate = _rates(status, fmt)
    mats = session_matrices(responses, instrument, fmt)
    targets, themes = mats["targets"], mats["themes"]
    n_valid = int(themes.shape[0])
    out: dict[str, Any] = {c: math.nan for c in WITHIN_COLUMNS}
    out.update(model_id=str(model_ids[0]), format=fmt, n_sessions=n_sessions, n_valid=n_valid,
               parse_rate=parse_rate, refusal_rate=refusal_rate, n_targets=int(targets.shape[0]),
               note="")
    if n_valid < min_sessions:
        out["note"] = f"too few valid sessions ({n_valid} < {min_sessions})"
        return out
    notes = []
    target_word = "items" if fmt == "rating" else "themes"
    res = vstats.icc(targets.to_numpy(dtype=float), alpha=alpha)
    a1, ak = res.loc["ICC(A,1)"], res.loc["ICC(A,k)"]
    if np.isfinite(a1["icc"]):
        out.update(icc_a1=float(a1["icc"]), icc_a1_low=float(a1["ci_low"]),
                   icc_a1_high=float(a1["ci_high"]), icc_ak=float(ak["icc"]),
                   icc_ak_low=float(ak["ci_low"]), icc_ak_high=float(ak["ci_high"]),
                   icc_F=float(a1["F"]), icc_df1=float(a1["df1"]), icc_df2=float(a1["df2"]),
                   icc_p=float(a1["p"]))
    else:
        notes.append(f"ICC undefined: no variance across {target_word} and sessions")
    w = vstats.kendalls_w(themes.to_numpy(dtype=float), correct_ties=True)
    if w["reason"] is None:
        out.update(w=float(w["W"]), w_chi2=float(w["chi2"]), w_df=float(w["df"]),
                   w_p=float(w["p"]))
    else:
        notes.append(f"W undefined: {w['reason']}")
    rho = vstats.spearman_mean_pairwise(themes.to_numpy(dtype=float))
    out["mean_rho"] = float(rho["mean_rho"])
    if rho["n_excluded"] and np.isfinite(rho["mean_rho"]):
        notes.append(f"{rho['n_excluded']} session(s) without variance left out of rho")
    elif not np.isfinite(rho["mean_rho"]):
        notes.append("rho undefined: fewer than 2 sessions with variance across themes")
    out["note"] = "; ".join(notes)
    return out


def within_model_table(
    responses: pd.DataFrame,
    status: pd.DataFrame,
    instrument,
    min_sessions: int = 3,
    formats: Sequence[str] = ("rating", "ranking"),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """:func:`within_model` for every model in ``status`` and every format.

    Returns one row per model and format (columns :data:`WITHIN_COLUMNS`), sorted by
    model then format in the order given.
    """
    rows = []
    for mid in sorted(status["model_id"].astype(str).unique()):
        r = responses[responses["model_id"] == mid]
        s = status[status["model_id"] == mid]
        for fmt in formats:
            rows.append(within_model(r, s, instrument, fmt, min_sessions, alpha))
    return pd.DataFrame(rows, columns=list(WITHIN_COLUMNS))


def stability_summary(within: pd.DataFrame) -> pd.DataFrame:
    """Per response format: how many models were estimable and the distribution of their
    ICC(A,1), ICC(A,k), W and mean rho (median and interquartile range).

    Returns
    -------
    DataFrame with one row per format: ``format, n_models, n_estimated, n_na,
    icc_a1_median, icc_a1_q1, icc_a1_q3, icc_a1_min, icc_ak_median, w_median,
    rho_median, parse_rate_median, refusal_rate_mean``.
    """
    rows = []
    for fmt, g in within.groupby("format", sort=False):
        est = g[np.isfinite(g["icc_a1"].astype(float))]

        def q(col, p, est=est):
            v = est[col].astype(float).dropna()
            return float(np.quantile(v, p)) if len(v) else math.nan

        rows.append({
            "format": fmt, "n_models": int(len(g)), "n_estimated": int(len(est)),
            "n_na": int(len(g) - len(est)),
            "icc_a1_median": q("icc_a1", 0.5), "icc_a1_q1": q("icc_a1", 0.25),
            "icc_a1_q3": q("icc_a1", 0.75),
            "icc_a1_min": float(est["icc_a1"].min()) if len(est) else math.nan,
            "icc_ak_median": q("icc_ak", 0.5), "w_median": q("w", 0.5),
            "rho_median": q("mean_rho", 0.5),
            "parse_rate_median": float(g["parse_rate"].median()),
            "refusal_rate_mean": float(g["refusal_rate"].mean()),
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------
# across models
# ----------------------------------------------------------------------------------
def model_profiles(
    scores: pd.DataFrame,
    instrument,
    fmt: str,
    min_sessions: int = 3,
    models: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean theme profile per model from the session scores, and the models left out.

    Parameters
    ----------
    scores : DataFrame
        ``session_scores.csv`` (``model_id, format, session, theme, score``).
    instrument : Instrument
    fmt : {"rating", "ranking"}
    min_sessions : int
        Models with fewer valid sessions are left out of the cross-model analyses.
    models : iterable of str, optional
        All model ids of the study; models without any valid session are reported as
        left out.

    Returns
    -------
    (profiles, excluded)
        ``profiles``: models (index ``model_id``, sorted) x themes (instrument order),
        the mean over valid sessions; ``excluded``: ``model_id, n_valid, reason``.
    """
    d = scores[scores["format"] == fmt]
    n_valid = d.groupby("model_id")["session"].nunique()
    extra = set() if models is None else {str(m) for m in models}
    all_ids = sorted(set(n_valid.index.astype(str)) | extra)
    n_valid = n_valid.reindex(all_ids, fill_value=0).astype(int)
    keep = n_valid.index[n_valid >= min_sessions]
    prof = (d[d["model_id"].isin(keep)].groupby(["model_id", "theme"])["score"].mean()
            .unstack("theme"))
    prof = prof.reindex(index=sorted(keep), columns=instrument.theme_ids).astype(float)
    prof.columns.name = None
    prof.index.name = "model_id"
    if prof.isna().any().any():
        raise ValueError("session scores lack a theme for some model (incomplete profile)")
    out = n_valid[n_valid < min_sessions]
    excluded = pd.DataFrame({
        "model_id": list(out.index), "n_valid": out.to_numpy(dtype=int),
        "reason": [f"too few valid sessions ({n} < {min_sessions})" for n in out],
    })
    return prof, excluded


def convergence(profiles: pd.DataFrame) -> dict[str, Any]:
    """Agreement of the models' theme profiles (models x themes).

    * Kendall's W with models as judges and themes as objects (tie-corrected), its
      chi-square m (n-1) W on n-1 df and p (:func:`valueaudit.stats.kendalls_w`);
    * the mean pairwise Spearman rho between models
      (:func:`valueaudit.stats.spearman_mean_pairwise`);
    * Krippendorff's alpha, interval metric, with models as coders and themes as units
      (:func:`valueaudit.stats.krippendorff_alpha`; Krippendorff, 2011);
    * the Friedman test (:func:`valueaudit.stats.friedman_test`).

    Returns
    -------
    dict ``n_models, n_themes, W, chi2, df, p, mean_rho, n_pairs, alpha_interval,
    friedman_Q, friedman_df, friedman_p, friedman_W, reason`` (reason None when every
    statistic was computed).
    """
    x = profiles.to_numpy(dtype=float)
    m, t = x.shape
    w = vstats.kendalls_w(x, correct_ties=True) if m else {"W": math.nan, "chi2": math.nan,
                                                            "df": t - 1, "p": math.nan,
                                                            "reason": "no models"}
    rho = vstats.spearman_mean_pairwise(x) if m else {"mean_rho": math.nan, "n_pairs": 0}
    alpha = math.nan
    if m >= 2 and t >= 2:
        try:
            alpha = float(vstats.krippendorff_alpha(x, level="interval"))
        except ValueError:
            alpha = math.nan
    fr = vstats.friedman_test(profiles)
    reason = w.get("reason")
    if m < 2:
        reason = f"needs at least 2 models with enough valid sessions, got {m}"
    return {
        "n_models": int(m), "n_themes": int(t), "W": float(w["W"]), "chi2": float(w["chi2"]),
        "df": int(w["df"]), "p": float(w["p"]), "mean_rho": float(rho["mean_rho"]),
        "n_pairs": int(rho["n_pairs"]), "alpha_interval": alpha, "friedman_Q": fr["Q"],
        "friedman_df": int(fr["df"]), "friedman_p": fr["p"], "friedman_W": fr["W"],
        "reason": reason,
    }


def pairwise_theme_tests(profiles: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Wilcoxon signed-rank test for every pair of themes across models, Holm-corrected.

    :func:`valueaudit.stats.pairwise_wilcoxon` with models as blocks: for themes a, b
    the paired differences over models are tested (Wilcoxon, 1945), with the
    matched-pairs rank-biserial correlation (Kerby, 2014) and the common-language
    effect size; p values Holm (1979) adjusted over all T (T-1) / 2 pairs.

    Returns
    -------
    DataFrame ``theme_a, theme_b, mean_a, mean_b, mean_diff, median_diff, n, W, p,
    p_holm, reject, rbc, cles``; pairs in instrument order (a before b). A pair whose
    differences are all zero has NaN test results.
    """
    out = vstats.pairwise_wilcoxon(profiles, alpha=alpha)
    return out.rename(columns={"a": "theme_a", "b": "theme_b"})


def consensus_ordering(
    profiles: pd.DataFrame,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Consensus priority order of the themes across models.

    Each model's profile is ranked (1 = highest score, average ranks for ties); the
    consensus is the mean rank per theme, with a percentile bootstrap CI over models
    (Efron & Tibshirani, 1993): ``B`` resamples of the models drawn as resample-count
    weights ``w`` (B x M, :func:`valueaudit.stats.bootstrap_weights`) so that every
    replicate mean is ``w @ ranks / M`` in one matrix product. The mean score with its
    CI is given too.

    Returns
    -------
    DataFrame, one row per theme sorted by consensus position: ``position, theme,
    mean_rank, rank_low, rank_high, mean_score, score_low, score_high, p_top``
    (``p_top``: share of models that rank the theme first, ties shared).
    """
    x = profiles.to_numpy(dtype=float)
    m, t = x.shape
    if m < 1:
        raise ValueError("consensus_ordering needs at least one model profile")
    ranks = sps.rankdata(-x, axis=1)
    top = (ranks == ranks.min(axis=1, keepdims=True)).astype(float)
    top /= top.sum(axis=1, keepdims=True)
    weights = vstats.bootstrap_weights(seed, m, n_boot)
    boot_rank = weights @ ranks / m
    boot_score = weights @ x / m
    r_lo, r_hi = vstats.percentile_ci(boot_rank, alpha=alpha, axis=0)
    s_lo, s_hi = vstats.percentile_ci(boot_score, alpha=alpha, axis=0)
    out = pd.DataFrame({
        "theme": list(profiles.columns), "mean_rank": ranks.mean(axis=0), "rank_low": r_lo,
        "rank_high": r_hi, "mean_score": x.mean(axis=0), "score_low": s_lo, "score_high": s_hi,
        "p_top": top.mean(axis=0), "_order": np.arange(t),
    })
    out = out.sort_values(["mean_rank", "mean_score", "_order"], ascending=[True, False, True],
                          kind="mergesort").drop(columns="_order").reset_index(drop=True)
    out.insert(0, "position", np.arange(1, t + 1))
    return out


# ----------------------------------------------------------------------------------
# clustering and map
# ----------------------------------------------------------------------------------
def prepare_profiles(profiles: pd.DataFrame, scale: str = "centre") -> pd.DataFrame:
    """Remove each model's elevation (``"centre"``: x - mean(x)), or its elevation and
    spread (``"standardise"``: (x - mean(x)) / sd(x), population sd), so that only the
    shape (and, for ``centre``, the size of the differences) of a profile remains.
    A flat profile stays all zeros under ``standardise``."""
    x = profiles.to_numpy(dtype=float)
    c = x - x.mean(axis=1, keepdims=True)
    if scale == "standardise":
        sd = c.std(axis=1, keepdims=True)
        c = np.divide(c, sd, out=np.zeros_like(c), where=sd > 0)
    elif scale != "centre":
        raise ValueError(f"scale must be 'centre' or 'standardise', got {scale!r}")
    return pd.DataFrame(c, index=profiles.index, columns=profiles.columns)


def cluster_profiles(
    profiles: pd.DataFrame,
    scale: str = "centre",
    k_min: int = 2,
    k_max: int = 8,
) -> dict[str, Any]:
    """Ward clustering of the prepared profiles, k chosen by the mean silhouette width.

    Ward's (1963) minimum-variance agglomeration on Euclidean distances
    (``scipy.cluster.hierarchy.linkage(method="ward")``); the tree is cut into k
    clusters for every k in ``k_min .. min(k_max, M - 1)`` and the k with the largest
    mean silhouette width s = mean_i (b_i - a_i) / max(a_i, b_i) (Rousseeuw, 1987;
    ``sklearn.metrics.silhouette_score``) is kept (the smaller k on a tie). Clusters
    are numbered 1..k in the left-to-right order of the dendrogram leaves.

    Returns
    -------
    dict
        ``X`` (prepared profiles), ``linkage`` (scipy linkage matrix or None), ``k``,
        ``labels`` (Series by model_id; empty without a clustering), ``silhouette``
        (DataFrame ``k, silhouette``), ``sample_silhouette`` (Series), ``leaves``
        (model ids in dendrogram order), ``scale``, ``reason`` (None, or why no
        clustering was possible).
    """
    from scipy.cluster.hierarchy import fcluster, leaves_list, linkage
    from sklearn.metrics import silhouette_samples, silhouette_score

    X = prepare_profiles(profiles, scale)
    m = X.shape[0]
    out: dict[str, Any] = {"X": X, "linkage": None, "k": None,
                           "labels": pd.Series(dtype=int, name="cluster"),
                           "silhouette": pd.DataFrame({"k": [], "silhouette": []}),
                           "sample_silhouette": pd.Series(dtype=float), "leaves": list(X.index),
                           "scale": scale, "reason": None}
    if m < 3:
        out["reason"] = f"clustering needs at least 3 models, got {m}"
        return out
    arr = X.to_numpy()
    Z = linkage(arr, method="ward", metric="euclidean")
    leaves = [X.index[i] for i in leaves_list(Z)]
    out.update(linkage=Z, leaves=leaves)
    ks = list(range(max(2, k_min), min(k_max, m - 1) + 1))
    if not ks:
        out["reason"] = f"no admissible number of clusters for {m} models"
        return out
    sil, cuts = [], {}
    for k in ks:
        lab = fcluster(Z, k, criterion="maxclust")
        cuts[k] = lab
        n_lab = len(np.unique(lab))
        sil.append(float(silhouette_score(arr, lab)) if 1 < n_lab < m else math.nan)
    sil_tab = pd.DataFrame({"k": ks, "silhouette": sil})
    if not np.isfinite(sil).any():
        out.update(silhouette=sil_tab, reason="silhouette undefined for every k (identical profiles)")
        return out
    best = ks[int(np.nanargmax(sil))]
    raw = cuts[best]
    # renumber clusters by their first appearance along the dendrogram leaves
    order = {}
    for i in leaves_list(Z):
        order.setdefault(raw[i], len(order) + 1)
    labels = pd.Series([order[v] for v in raw], index=X.index, name="cluster")
    samples = pd.Series(silhouette_samples(arr, labels.to_numpy()), index=X.index,
                        name="silhouette")
    out.update(k=int(best), labels=labels, silhouette=sil_tab, sample_silhouette=samples)
    return out


def cluster_centroids(X: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean prepared profile per cluster (rows ``cluster``), with ``n`` members."""
    g = X.groupby(labels.reindex(X.index))
    c = g.mean()
    c.insert(0, "n", g.size().astype(int))
    c.index.name = "cluster"
    return c


def profile_map(X: pd.DataFrame) -> dict[str, Any]:
    """Principal-component map of prepared profiles (models x themes).

    The column-centred matrix Xc = U S V' (SVD); the coordinates are U S (the first
    two components), the loadings V, the explained-variance ratios s^2 / sum s^2. Each
    component's sign is fixed so that its largest absolute loading is positive, which
    makes the map deterministic.

    Returns
    -------
    dict ``coords`` (DataFrame ``dim1, dim2`` by model), ``loadings`` (themes x
    ``dim1, dim2``), ``explained`` (list of two ratios).
    """
    arr = X.to_numpy(dtype=float)
    xc = arr - arr.mean(axis=0, keepdims=True)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    ncomp = min(2, len(s))
    coords = np.zeros((arr.shape[0], 2))
    load = np.zeros((arr.shape[1], 2))
    total = float((s**2).sum())
    explained = [0.0, 0.0]
    for j in range(ncomp):
        v = vt[j]
        sign = 1.0 if v[np.argmax(np.abs(v))] >= 0 else -1.0
        coords[:, j] = sign * u[:, j] * s[j]
        load[:, j] = sign * v
        explained[j] = float(s[j] ** 2 / total) if total > 0 else 0.0
    return {"coords": pd.DataFrame(coords, index=X.index, columns=["dim1", "dim2"]),
            "loadings": pd.DataFrame(load, index=X.columns, columns=["dim1", "dim2"]),
            "explained": explained}


# ----------------------------------------------------------------------------------
# display helpers
# ----------------------------------------------------------------------------------
def format_ci(est: Any, low: Any, high: Any, kind: str = "r") -> str:
    """``est [low, high]`` in APA style (``NA`` when the estimate is missing)."""
    from .tables import apa

    if est is None or not np.isfinite(float(est)):
        return "NA"
    return f"{apa(est, kind)} [{apa(low, kind)}, {apa(high, kind)}]"


def _names(models: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    if models is None or not len(models):
        return {}, {}
    m = models.astype({"model_id": str})
    return (model_names(m),
            dict(zip(m["model_id"], m["tier"].astype(str), strict=True)))


def stability_table(within: pd.DataFrame, models: pd.DataFrame | None,
                    fmt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-model stability in one format: the full table (CSV) and its APA display.

    Rows sorted by ICC(A,1) (highest first; models without an estimate last, by id).
    """
    names, tiers = _names(models)
    d = within[within["format"] == fmt].copy()
    d.insert(1, "display_name", [names.get(m, m) for m in d["model_id"]])
    d.insert(2, "tier", [tiers.get(m, "") for m in d["model_id"]])
    d = (d.assign(_v=-d["icc_a1"].astype(float).fillna(-np.inf))
         .sort_values(["_v", "model_id"], kind="mergesort").drop(columns="_v")
         .reset_index(drop=True))
    from .tables import apa

    disp = pd.DataFrame({
        "Model": d["display_name"], "Tier": d["tier"],
        "Valid sessions": [f"{v}/{n}" for v, n in zip(d["n_valid"], d["n_sessions"], strict=True)],
        "ICC(A,1) [95% CI]": [format_ci(a, b, c) for a, b, c in
                              zip(d["icc_a1"], d["icc_a1_low"], d["icc_a1_high"], strict=True)],
        "ICC(A,k) [95% CI]": [format_ci(a, b, c) for a, b, c in
                              zip(d["icc_ak"], d["icc_ak_low"], d["icc_ak_high"], strict=True)],
        "W": [apa(v, "r") for v in d["w"]],
        "Mean rho": [apa(v, "r") for v in d["mean_rho"]],
        "Parse rate": [apa(v, "r") for v in d["parse_rate"]],
        "Refusal rate": [apa(v, "r") for v in d["refusal_rate"]],
        "Note": d["note"].fillna("").astype(str),
    })
    return d, disp


def stability_formats_display(summary: pd.DataFrame) -> pd.DataFrame:
    """APA display of :func:`stability_summary`."""
    from .tables import apa

    return pd.DataFrame({
        "Format": summary["format"],
        "Models": summary["n_models"].astype(int).astype(str),
        "Estimated": summary["n_estimated"].astype(int).astype(str),
        "ICC(A,1) Mdn [IQR]": [format_ci(a, b, c) for a, b, c in zip(
            summary["icc_a1_median"], summary["icc_a1_q1"], summary["icc_a1_q3"], strict=True)],
        "ICC(A,1) min": [apa(v, "r") for v in summary["icc_a1_min"]],
        "ICC(A,k) Mdn": [apa(v, "r") for v in summary["icc_ak_median"]],
        "W Mdn": [apa(v, "r") for v in summary["w_median"]],
        "Mean rho Mdn": [apa(v, "r") for v in summary["rho_median"]],
        "Parse rate Mdn": [apa(v, "r") for v in summary["parse_rate_median"]],
    })


def convergence_table(conv: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cross-model convergence summary as a long table and its APA display."""
    from .tables import apa

    rows = [
        ("Kendall's W (models as judges)", conv["W"], "chi2", conv["chi2"], conv["df"], conv["p"]),
        ("Mean pairwise Spearman rho", conv["mean_rho"], "", math.nan, math.nan, math.nan),
        ("Krippendorff's alpha (interval)", conv["alpha_interval"], "", math.nan, math.nan,
         math.nan),
        ("Friedman test, effect size W", conv["friedman_W"], "Q", conv["friedman_Q"],
         conv["friedman_df"], conv["friedman_p"]),
    ]
    df = pd.DataFrame(rows, columns=["statistic", "estimate", "test", "test_value", "df", "p"])
    df["n_models"] = conv["n_models"]
    df["n_themes"] = conv["n_themes"]
    test_txt = [
        "" if not t else (f"{t}({apa(d, 'int')}) = {apa(v, 'd2')}"
                          if np.isfinite(v) else "NA")
        for t, v, d in zip(df["test"], df["test_value"], df["df"], strict=True)
    ]
    disp = pd.DataFrame({
        "Statistic": df["statistic"], "Estimate": [apa(v, "r") for v in df["estimate"]],
        "Test": test_txt,
        "p": ["" if not t else apa(p, "p") for t, p in zip(df["test"], df["p"], strict=True)],
    })
    return df, disp


def pairwise_display(pw: pd.DataFrame, theme_labels: Mapping[str, str]) -> pd.DataFrame:
    """APA display of :func:`pairwise_theme_tests`."""
    from .tables import apa

    return pd.DataFrame({
        "Theme A": [theme_labels.get(t, t) for t in pw["theme_a"]],
        "Theme B": [theme_labels.get(t, t) for t in pw["theme_b"]],
        "M(A)": [apa(v) for v in pw["mean_a"]], "M(B)": [apa(v) for v in pw["mean_b"]],
        "Mdn diff": [apa(v) for v in pw["median_diff"]],
        "W": [f"{v:.1f}" if np.isfinite(v) else "NA" for v in pw["W"]],
        "p (Holm)": [apa(v, "p") for v in pw["p_holm"]],
        "r(rb)": [apa(v, "r") for v in pw["rbc"]],
        "CLES": [apa(v, "r") for v in pw["cles"]],
    })


def consensus_display(cons: pd.DataFrame, theme_labels: Mapping[str, str]) -> pd.DataFrame:
    """APA display of :func:`consensus_ordering`."""
    from .tables import apa

    return pd.DataFrame({
        "Position": cons["position"].astype(int).astype(str),
        "Theme": [theme_labels.get(t, t) for t in cons["theme"]],
        "Mean rank [95% CI]": [format_ci(a, b, c, "d2") for a, b, c in zip(
            cons["mean_rank"], cons["rank_low"], cons["rank_high"], strict=True)],
        "Mean score [95% CI]": [format_ci(a, b, c, "d2") for a, b, c in zip(
            cons["mean_score"], cons["score_low"], cons["score_high"], strict=True)],
        "Ranked first": [apa(v, "r") for v in cons["p_top"]],
    })


def clusters_display(
    main: Mapping[str, Any],
    shape: Mapping[str, Any] | None,
    names: Mapping[str, str],
    tiers: Mapping[str, str],
    theme_labels: Mapping[str, str],
) -> dict[str, pd.DataFrame]:
    """Cluster tables from :func:`cluster_profiles` results.

    ``main`` is the clustering of centred profiles, ``shape`` (optional) that of
    standardised profiles (sensitivity analysis). Returns ``clusters`` (cluster, n,
    mean silhouette, members, centroid per theme), ``members`` (one row per model),
    ``selection`` (mean silhouette per k for both), each with an APA ``*_disp`` frame.
    """
    from .tables import apa

    X = main["X"]
    themes = list(X.columns)
    lab = main["labels"]
    if len(lab):
        cen = cluster_centroids(X, lab)
        sil = main["sample_silhouette"].groupby(lab).mean()
        members = [";".join(m for m in main["leaves"] if lab[m] == c) for c in cen.index]
        clusters = pd.DataFrame({"cluster": cen.index.astype(int), "n": cen["n"].to_numpy(),
                                 "silhouette": sil.reindex(cen.index).to_numpy(),
                                 "members": members})
        for t in themes:
            clusters[t] = cen[t].to_numpy()
    else:
        clusters = pd.DataFrame(columns=["cluster", "n", "silhouette", "members", *themes])
    clusters_disp = pd.DataFrame({
        "Cluster": clusters["cluster"].astype(str), "n": clusters["n"].astype(str),
        "Silhouette": [apa(v, "r") for v in clusters["silhouette"]],
        **{theme_labels.get(t, t): [apa(v) for v in clusters[t]] for t in themes},
    })
    order = list(main["leaves"])
    shape_lab = shape["labels"] if shape is not None else pd.Series(dtype=int)
    mem = pd.DataFrame({
        "model_id": order, "display_name": [names.get(m, m) for m in order],
        "tier": [tiers.get(m, "") for m in order],
        "cluster": [int(lab[m]) if m in lab.index else pd.NA for m in order],
        "silhouette": [float(main["sample_silhouette"][m]) if m in lab.index else math.nan
                       for m in order],
        "cluster_standardised": [int(shape_lab[m]) if m in shape_lab.index else pd.NA
                                 for m in order],
    })
    if len(lab):
        mem = mem.sort_values("cluster", kind="mergesort").reset_index(drop=True)
    members_disp = pd.DataFrame({
        "Model": mem["display_name"], "Tier": mem["tier"],
        "Cluster": ["NA" if pd.isna(v) else str(v) for v in mem["cluster"]],
        "Silhouette": [apa(v, "r") for v in mem["silhouette"]],
        "Cluster (standardised)": ["NA" if pd.isna(v) else str(v)
                                   for v in mem["cluster_standardised"]],
    })
    sel = main["silhouette"].rename(columns={"silhouette": "silhouette_centred"})
    if shape is not None:
        sel = sel.merge(shape["silhouette"].rename(columns={"silhouette":
                                                            "silhouette_standardised"}),
                        on="k", how="outer")
    else:
        sel["silhouette_standardised"] = math.nan
    sel = sel.sort_values("k").reset_index(drop=True)
    sel["chosen_centred"] = sel["k"] == main["k"]
    sel["chosen_standardised"] = sel["k"] == (shape["k"] if shape is not None else None)
    sel["k"] = sel["k"].astype(int)

    def mark(v, chosen):
        return apa(v, "r") + ("*" if chosen else "")

    selection_disp = pd.DataFrame({
        "k": sel["k"].astype(str),
        "Centred": [mark(v, c) for v, c in zip(sel["silhouette_centred"],
                                               sel["chosen_centred"], strict=True)],
        "Standardised": [mark(v, c) for v, c in zip(sel["silhouette_standardised"],
                                                    sel["chosen_standardised"], strict=True)],
    })
    return {"clusters": clusters, "clusters_disp": clusters_disp, "members": mem,
            "members_disp": members_disp, "selection": sel, "selection_disp": selection_disp}


def study2_macros(
    formats: pd.DataFrame,
    convergence: pd.DataFrame,
    pairwise: pd.DataFrame,
    consensus: pd.DataFrame,
    selection: pd.DataFrame,
    fmt: str,
    theme_labels: Mapping[str, str],
) -> dict[str, str]:
    """Key Study 2 numbers, APA-formatted, keyed by macro name (see
    :func:`valueaudit.tables.write_macros`), read from the Study 2 table CSVs."""
    from .tables import apa

    f = formats.set_index("format").loc[fmt]
    c = convergence.set_index("statistic")
    w = c.loc["Kendall's W (models as judges)"]
    fr = c.loc["Friedman test, effect size W"]
    sig = int((pairwise["p_holm"] < 0.05).sum())
    order = [theme_labels.get(t, t) for t in consensus.sort_values("position")["theme"]]
    chosen_c = selection[selection["chosen_centred"].astype(bool)]
    chosen_s = selection[selection["chosen_standardised"].astype(bool)]
    return {
        "stab_format": fmt,
        "stab_models": apa(f["n_models"], "int"),
        "stab_estimated": apa(f["n_estimated"], "int"),
        "stab_na": apa(f["n_na"], "int"),
        "stab_icc_median": apa(f["icc_a1_median"], "r"),
        "stab_icc_q_low": apa(f["icc_a1_q1"], "r"),
        "stab_icc_q_high": apa(f["icc_a1_q3"], "r"),
        "stab_icc_min": apa(f["icc_a1_min"], "r"),
        "stab_icck_median": apa(f["icc_ak_median"], "r"),
        "stab_w_median": apa(f["w_median"], "r"),
        "stab_rho_median": apa(f["rho_median"], "r"),
        "conv_models": apa(w["n_models"], "int"),
        "conv_w": apa(w["estimate"], "r"),
        "conv_chi": apa(w["test_value"], "d2"),
        "conv_df": apa(w["df"], "int"),
        "conv_p": apa(w["p"], "p"),
        "conv_rho": apa(c.loc["Mean pairwise Spearman rho", "estimate"], "r"),
        "conv_alpha": apa(c.loc["Krippendorff's alpha (interval)", "estimate"], "r"),
        "friedman_q": apa(fr["test_value"], "d2"),
        "friedman_df": apa(fr["df"], "int"),
        "friedman_p": apa(fr["p"], "p"),
        "friedman_w": apa(fr["estimate"], "r"),
        "pairs_total": apa(len(pairwise), "int"),
        "pairs_significant": apa(sig, "int"),
        "consensus_order": ", ".join(order),
        "consensus_first": order[0] if order else "NA",
        "consensus_last": order[-1] if order else "NA",
        "clust_k": apa(chosen_c["k"].iloc[0], "int") if len(chosen_c) else "NA",
        "clust_sil": apa(chosen_c["silhouette_centred"].iloc[0], "r") if len(chosen_c) else "NA",
        "clust_k_shape": apa(chosen_s["k"].iloc[0], "int") if len(chosen_s) else "NA",
        "clust_sil_shape": (apa(chosen_s["silhouette_standardised"].iloc[0], "r")
                            if len(chosen_s) else "NA"),
    }


# ----------------------------------------------------------------------------------
# figures (matplotlib is imported lazily so the per-model jobs start fast)
# ----------------------------------------------------------------------------------
#: the height (in) of a model's row in the per-model figures: room for a 6 pt name
_ROW_PITCH_IN = 0.105
_NAME_PT = 6.0


def _pitch(n: int) -> float:
    """Row height (in) for ``n`` rows: 0.105 in, more (up to 0.2 in) for a few rows."""
    return max(_ROW_PITCH_IN, min(0.2, 1.5 / max(n, 1)))


def plot_stability(
    within: pd.DataFrame,
    labels: Mapping[str, str],
    tiers: Mapping[str, str],
    tier_levels: Sequence[str],
    formats: Sequence[str],
):
    """Dot plot of ICC(A,1) with 95% CI per model, one panel per response format
    (lettered A, B, ... when there are several), models sorted by the first format's
    ICC(A,1); colour and marker by tier; models without an estimate are listed at the
    bottom with "NA". The figure grows with the number of models so that every name is
    printed at 6 pt; x numbers in the tables' format."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .plotting import DOUBLE, SINGLE, fit_rows, format_axes, panel_letters, tier_style

    style = tier_style(list(tier_levels))
    first = within[within["format"] == formats[0]].set_index("model_id")
    order = (first.assign(_v=first["icc_a1"].astype(float).fillna(-np.inf))
             .sort_values(["_v", "model_id"], ascending=[True, False], kind="mergesort").index)
    ypos = {mid: i for i, mid in enumerate(order)}
    n = len(order)
    width = DOUBLE if len(formats) > 1 else SINGLE
    fig, axes = plt.subplots(1, len(formats), figsize=(width, 3.0), sharey=True,
                             squeeze=False, layout="constrained")
    finite = within[["icc_a1_low", "icc_a1"]].astype(float).to_numpy()
    finite = finite[np.isfinite(finite)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    for ax, fmt in zip(axes[0], formats, strict=True):
        d = within[within["format"] == fmt].set_index("model_id")
        for mid, row in d.iterrows():
            y = ypos.get(mid)
            if y is None:
                continue
            st = style.get(str(tiers.get(mid)), {"color": "#000000", "marker": "o"})
            if np.isfinite(row["icc_a1"]):
                ax.plot([row["icc_a1_low"], row["icc_a1_high"]], [y, y], color=st["color"],
                        lw=0.8, solid_capstyle="butt")
                ax.plot(row["icc_a1"], y, marker=st["marker"], color=st["color"], ms=3.2,
                        mec="black", mew=0.3, ls="none")
            else:
                ax.text(lo + 0.01, y, "NA", va="center", ha="left", fontsize=_NAME_PT)
        ax.set_xlim(lo, 1.0)
        format_axes(ax, x="r")
        ax.set_title(f"{fmt.capitalize()} format")
        ax.set_xlabel("ICC(A,1) [95% CI]")
        ax.grid(axis="x", lw=0.3, color="0.85")
    if len(formats) > 1:
        panel_letters(axes[0])
    axes[0][0].set_yticks(range(n))
    axes[0][0].set_yticklabels([labels.get(m, m) for m in order], fontsize=_NAME_PT)
    axes[0][0].set_ylim(-0.7, n - 0.3)
    handles = [Line2D([], [], marker=style[t]["marker"], color=style[t]["color"], mec="black",
                      mew=0.3, ls="none", label=t) for t in tier_levels]
    fig.legend(handles=handles, loc="outside upper center", ncol=max(len(handles), 1),
               frameon=False)
    fit_rows(fig, axes[0][0], n + 0.4, _pitch(n))
    return fig


def plot_profile_heatmap(
    clustering: Mapping[str, Any],
    labels: Mapping[str, str],
    theme_labels: Mapping[str, str],
):
    """Centred profiles as a heatmap (rows in dendrogram order) with the Ward dendrogram
    on the left and each model's cluster number and name on the right; a diverging
    colour-blind-safe map (:func:`valueaudit.plotting.diverging`) centred at 0 (the
    model's mean), symmetric about it. The figure grows with the number of models so
    that every name is printed at 6 pt; colour-bar numbers in the tables' format."""
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    from .plotting import DOUBLE, diverging, fit_rows, number_formatter

    X = clustering["X"]
    leaves = list(clustering["leaves"])
    n, t = len(leaves), X.shape[1]
    fig = plt.figure(figsize=(DOUBLE, 3.0), layout="constrained")
    gs = fig.add_gridspec(1, 3, width_ratios=[1.0, 0.2 * t + 0.6, 0.2])
    ax_d = fig.add_subplot(gs[0, 0])
    ax_h = fig.add_subplot(gs[0, 1])
    ax_c = fig.add_subplot(gs[0, 2], sharey=ax_h)
    if clustering["linkage"] is not None:
        dendrogram(clustering["linkage"], orientation="left", ax=ax_d, no_labels=True,
                   link_color_func=lambda _k: "black")
        ax_d.set_ylim(10 * n, 0)  # first leaf at the top, like row 0 of the heatmap
    ax_d.set_axis_off()
    data = X.loc[leaves].to_numpy(dtype=float)
    cmap, norm = diverging(data)
    im = ax_h.imshow(data, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax_h.set_xticks(range(t))
    ax_h.set_xticklabels([theme_labels.get(c, c) for c in X.columns], rotation=35, ha="right",
                         rotation_mode="anchor")
    ax_h.tick_params(axis="y", left=False, labelleft=False)
    for sp in ax_h.spines.values():
        sp.set_visible(False)
    lab = clustering["labels"]
    ax_c.set_xlim(0, 1)
    for i, mid in enumerate(leaves):
        if len(lab):
            c = int(lab[mid])
            if c % 2 == 0:
                ax_c.add_patch(plt.Rectangle((0, i - 0.5), 1, 1, color="0.85", lw=0))
            ax_c.text(0.5, i, str(c), ha="center", va="center", fontsize=_NAME_PT)
    ax_c.set_yticks(range(n), [str(labels.get(m, m)) for m in leaves], fontsize=_NAME_PT)
    ax_c.tick_params(axis="y", left=False, labelleft=False, right=False, labelright=True,
                     pad=2)
    ax_c.tick_params(axis="x", bottom=False, labelbottom=False)
    ax_c.set_ylim(n - 0.5, -0.5)
    for sp in ax_c.spines.values():
        sp.set_visible(False)
    if len(lab):
        ax_c.set_xticks([0.5], ["Cluster"], rotation=35, ha="right", rotation_mode="anchor")
        ax_c.tick_params(axis="x", labelbottom=True, labelsize=_NAME_PT)
    cb = fig.colorbar(im, ax=ax_h, location="top", aspect=25, pad=0.02)
    cb.ax.xaxis.set_major_formatter(number_formatter("d2"))
    cb.set_label("Centred theme score (model mean removed)")
    fit_rows(fig, ax_h, n, _pitch(n))
    return fig


def plot_profile_map(
    pmap: Mapping[str, Any],
    clusters: pd.Series,
    theme_labels: Mapping[str, str],
):
    """Models on the first two principal components of their centred profiles; each
    cluster has its own colour AND marker; theme loadings drawn as arrows whose labels
    never overlap (:func:`valueaudit.plotting.place_labels`; a label that finds no free
    place is numbered and named in a key below the map); axis numbers in the tables'
    format."""
    import textwrap

    import matplotlib.pyplot as plt

    from .plotting import MARKERS, OKABE_ITO, SINGLE, format_axes, place_labels

    coords = pmap["coords"]
    fig, ax = plt.subplots(figsize=(SINGLE, SINGLE))
    if len(clusters):
        for c in sorted(clusters.unique()):
            members = clusters.index[clusters == c]
            xy = coords.loc[members]
            i = int(c) - 1
            ax.scatter(xy["dim1"], xy["dim2"], s=14, marker=MARKERS[i % len(MARKERS)],
                       color=OKABE_ITO[i % len(OKABE_ITO)], edgecolor="black", linewidth=0.3,
                       label=f"Cluster {c} (n = {len(members)})", zorder=3)
    else:
        ax.scatter(coords["dim1"], coords["dim2"], s=14, color="black", zorder=3)
    load = pmap["loadings"]
    span = float(np.abs(coords.to_numpy()).max()) if coords.size else 1.0
    scale = 0.85 * span / max(float(np.abs(load.to_numpy()).max()), 1e-12)
    tips = load.to_numpy(dtype=float) * scale
    for x, y in tips:
        ax.annotate("", xy=(x, y), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.6}, zorder=2)
    pts = np.vstack([coords.to_numpy(), 1.2 * tips])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.08 * (hi - lo + 1e-12)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.axhline(0, color="0.85", lw=0.4, zorder=1)
    ax.axvline(0, color="0.85", lw=0.4, zorder=1)
    format_axes(ax, x="d2", y="d2")
    ev = pmap["explained"]
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}% of variance)")
    if len(clusters):
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01, 1.0, 0.0), mode="expand",
                  ncol=2, frameon=False, borderaxespad=0.0, handletextpad=0.3)
    # longest arrows labelled first; a label that finds no free place becomes a number
    order = list(np.argsort(-np.hypot(tips[:, 0], tips[:, 1]), kind="stable"))
    names = [str(theme_labels.get(th, th)) for th in load.index]
    numbered: list[int] = []
    key = None
    bottom = 0.0
    while True:
        fig.tight_layout(rect=(0, bottom, 1, 1))
        before = set(map(id, ax.texts))
        text = [str(numbered.index(i) + 1) if i in numbered else names[i] for i in order]
        _, missed = place_labels(ax, tips[order, 0], tips[order, 1], text, fontsize=_NAME_PT,
                                 color="0.25", zorder=4)
        new = [order[j] for j in missed if order[j] not in numbered]
        if not new:
            return fig
        for a in [a for a in ax.texts if id(a) not in before]:
            a.remove()
        numbered += new
        if key is not None:
            key.remove()
        key = fig.text(0.02, 0.0, textwrap.fill("Key: " + "; ".join(
            f"{k + 1} {names[i]}" for k, i in enumerate(numbered)), 70),
            fontsize=_NAME_PT, ha="left", va="bottom")
        fig.canvas.draw()
        key_in = key.get_window_extent().height / fig.dpi + 0.04
        fig.set_figheight(SINGLE + key_in)
        key.set_y(0.02 / fig.get_figheight())
        bottom = key_in / fig.get_figheight()
