"""Study 3 benchmark: fidelity per model, the assembled fidelity table, the human
reference points, the respondent-level comparison, the consensus profile and the
leaderboard (METHODS section 6).

The fidelity metrics, their vectorised bootstrap, the human noise ceiling, the
leave-one-out humans, the session-level values and the shuffled-label null come from
:mod:`valueaudit.fidelity`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import fidelity as fid
from .. import stats as vstats
from .._lazy import lazy_import
from ..contracts import model_names
from ..instrument import FORMATS
from ..tables import _finite

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["ordering_threshold", "fidelity_table", "model_fidelity", "assemble_fidelity",
           "reference_points", "REFERENCE_ROWS", "analysed_values", "reference_points_table",
           "reference_value", "respondent_level",
           "consensus_profile", "analysed_profiles", "leaderboard"]

#: bootstrap columns of valueaudit.fidelity.bootstrap_fidelity kept per model and format
_CI_KEYS = ("fidelity", "ordering", "exaggeration", "k", "calibration")


def ordering_threshold(T: int, alpha: float = 0.05) -> dict[str, Any]:
    """Smallest Spearman rho that is significantly positive at ``alpha`` (one-sided).

    The exact permutation distribution of Spearman's rho for T untied values
    (all T! orders enumerated for T <= 8; for larger T the t approximation
    ``t = rho sqrt((T-2)/(1-rho^2))`` on T - 2 df). A model "keeps the human order"
    when its ordering is at least this value, i.e. its agreement with the human
    order is unlikely (p <= alpha) under random relabelling of the themes.

    Returns
    -------
    dict ``rho_crit`` (NaN if no rho reaches alpha, e.g. T = 3), ``p_at_crit``,
    ``alpha``, ``T``, ``exact``.
    """
    if T < 3:
        raise ValueError("T must be at least 3")
    if T <= 8:
        base = np.arange(T)
        d2 = np.array([np.sum((base - np.array(p)) ** 2)
                       for p in itertools.permutations(range(T))])
        rho = np.round(1.0 - 6.0 * d2 / (T * (T * T - 1)), 12)
        support = np.unique(rho)
        tail = np.array([(rho >= r).mean() for r in support])
        ok = support[tail <= alpha]
        if ok.size == 0:
            return {"rho_crit": math.nan, "p_at_crit": math.nan, "alpha": alpha, "T": T,
                    "exact": True}
        r = float(ok.min())
        return {"rho_crit": r, "p_at_crit": float((rho >= r).mean()), "alpha": alpha, "T": T,
                "exact": True}
    tc = sps.t.ppf(1 - alpha, T - 2)
    r = float(tc / math.sqrt(T - 2 + tc * tc))
    return {"rho_crit": r, "p_at_crit": alpha, "alpha": alpha, "T": T, "exact": False}


def fidelity_table(
    sessions: Mapping[str, Mapping[str, Any]],
    humans: Mapping[str, np.ndarray],
    themes: Sequence[str],
    n_boot: int = 2000,
    seed: int = 0,
    bias_correct: bool = True,
    fidelity_ci: str = "joint",
    n_perm: int = 2000,
    boot_bias_correct: bool = True,
    calibration_margin: float = fid.DEFAULT_MARGIN,
    null_seed: int = 1,
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """Profile fidelity of one or many models against the humans, in every response format.

    Parameters
    ----------
    sessions : mapping model_id -> (mapping format -> DataFrame or array (n_sessions, T))
        Each model's valid sessions (:func:`session_matrices`; a DataFrame's index
        gives the session numbers, an array's rows are numbered 1..n).
    humans : mapping format -> array (n_humans, T)
        The analysed respondents' theme scores.
    themes : sequence of str
        Theme ids (column order of the arrays).
    n_boot, seed, bias_correct, fidelity_ci, boot_bias_correct, calibration_margin, alpha
        Passed to :func:`valueaudit.fidelity.bootstrap_fidelity` (one vectorised call
        per format for all models). Its human resample of replicate b depends only on
        ``seed`` and a model's session draws only on ``seed`` and the model id, so one
        model at a time (:func:`model_fidelity`, the per-model rule) gives exactly the
        numbers of the joint call.
    n_perm, null_seed
        Shuffled-label null per model (:func:`valueaudit.fidelity.shuffled_null`; exact
        over all T! relabellings when T! <= n_perm).

    Returns
    -------
    dict of DataFrames
        ``fidelity``: one row per model and format with the bootstrap columns, the null
        (``null_mean, null_lo, null_hi, null_p, null_exact``) and the session-level
        summary (``session_median, session_q25, session_q75, n_sessions_defined``);
        ``sessions``: one row per session (``model_id, format, session`` and the
        metrics of :func:`valueaudit.fidelity.session_level`); ``profile``: ``model_id,
        format, theme, mean, sd, n``.
    """
    T = len(themes)
    fid_rows, sess_rows, prof_rows = [], [], []
    for fmt in FORMATS:
        H = np.asarray(humans.get(fmt, np.empty((0, T))), dtype=float).reshape(-1, T)
        mats, ids = {}, {}
        for mid, per_fmt in sessions.items():
            S = per_fmt.get(fmt, np.empty((0, T)))
            X = np.asarray(S, dtype=float).reshape(-1, T)
            mats[mid] = X
            ids[mid] = (np.asarray(S.index) if isinstance(S, pd.DataFrame)
                        else np.arange(1, X.shape[0] + 1))
            n = X.shape[0]
            for j, t in enumerate(themes):
                prof_rows.append({
                    "model_id": mid, "format": fmt, "theme": t,
                    "mean": float(X[:, j].mean()) if n else math.nan,
                    "sd": float(X[:, j].std(ddof=1)) if n > 1 else math.nan, "n": n,
                })
        if H.shape[0] < 2:
            fid_rows += [{"model_id": mid, "format": fmt, "n_sessions": X.shape[0],
                          "flag": "undetermined",
                          "reason": f"fewer than 2 human respondents in format {fmt}"}
                         for mid, X in mats.items()]
            continue
        res = fid.bootstrap_fidelity(mats, H, B=n_boot, seed=seed, alpha=alpha,
                                     bias_correct=bias_correct, fidelity_ci=fidelity_ci,
                                     boot_bias_correct=boot_bias_correct,
                                     calibration_margin=calibration_margin)
        h = H.mean(axis=0)
        with_sessions = {mid: X for mid, X in mats.items() if X.shape[0]}
        sl_all = (fid.session_level(with_sessions, h) if with_sessions else None)
        for i, (mid, X) in enumerate(mats.items()):
            row = res.iloc[i].to_dict()
            row["format"] = fmt
            null = {"null_mean": math.nan, "null_lo": math.nan, "null_hi": math.nan,
                    "null_p": math.nan, "null_exact": False}
            summ = {"session_median": math.nan, "session_q25": math.nan,
                    "session_q75": math.nan, "n_sessions_defined": 0}
            if X.shape[0]:
                m = X.mean(axis=0)
                if np.isfinite(fid.profile_fidelity(m, h)["fidelity"]):
                    nl = fid.shuffled_null(m, h, n_perm=n_perm, seed=null_seed, alpha=alpha)
                    null = {"null_mean": nl["mean"], "null_lo": nl["lo"], "null_hi": nl["hi"],
                            "null_p": nl["p"], "null_exact": nl["exact"]}
                sl = sl_all[sl_all["model_id"] == mid].copy()
                sl.insert(1, "format", fmt)
                sl["session"] = ids[mid][sl["session"].to_numpy(dtype=int)]
                sess_rows.append(sl)
                v = sl["fidelity"].to_numpy(dtype=float)
                v = v[np.isfinite(v)]
                if v.size:
                    q25, med, q75 = np.quantile(v, [0.25, 0.5, 0.75])
                    summ = {"session_median": float(med), "session_q25": float(q25),
                            "session_q75": float(q75), "n_sessions_defined": int(v.size)}
            row.update(null)
            row.update(summ)
            fid_rows.append(row)
    fidelity = pd.DataFrame(fid_rows)
    front = ["model_id", "format"]
    fidelity = fidelity[front + [c for c in fidelity.columns if c not in front]]
    fidelity["model_id"] = fidelity["model_id"].astype(str)
    sess_cols = ["model_id", "format", "session", *fid.METRICS, "reason"]
    sess = (pd.concat(sess_rows, ignore_index=True) if sess_rows
            else pd.DataFrame(columns=sess_cols))
    return {"fidelity": fidelity, "sessions": sess[sess_cols].reset_index(drop=True),
            "profile": pd.DataFrame(prof_rows)}


def model_fidelity(model_id: str, sessions: Mapping[str, Any], humans: Mapping[str, np.ndarray],
                   themes: Sequence[str], **kwargs: Any) -> dict[str, pd.DataFrame]:
    """:func:`fidelity_table` for ONE model (``sessions``: mapping format -> matrix).

    The per-model rule uses it; because the bootstrap streams are keyed by seed and
    model id, the result equals that model's rows of a joint :func:`fidelity_table`.
    """
    return fidelity_table({model_id: sessions}, humans, themes, **kwargs)


def assemble_fidelity(
    per_model: pd.DataFrame,
    models: pd.DataFrame,
    loo: Mapping[str, np.ndarray],
    min_sessions: int,
    T: int,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """All models' fidelity rows with metadata, the analysed flag and reference values.

    Parameters
    ----------
    per_model : DataFrame
        Concatenated ``fidelity`` frames of :func:`model_fidelity`.
    models : DataFrame
        ``models.csv`` (metadata).
    loo : mapping format -> array
        Leave-one-out fidelity of single humans per format
        (:func:`valueaudit.fidelity.leave_one_out_humans`).
    min_sessions : int
        A model enters the benchmark with at least this many valid sessions in the
        format (otherwise ``analysed`` is False and the reason is stated).
    T : int
        Number of themes (for the order criterion, :func:`ordering_threshold`).

    Returns
    -------
    DataFrame
        ``per_model`` plus ``display_name`` (the name tables and figures show,
        :func:`valueaudit.contracts.model_names`), ``family, provider, params_b,
        release_date, tier, open_weights, analysed, keeps_order, human_percentile`` (percentile of
        the model's median single-session fidelity among the single humans,
        :func:`valueaudit.fidelity.human_percentile`), sorted by format and model id.
    """
    crit = ordering_threshold(T, alpha)["rho_crit"]
    meta_cols = ["model_id", "display_name", "family", "provider", "params_b", "release_date",
                 "tier", "open_weights"]
    meta = models[[c for c in meta_cols if c in models.columns]].copy()
    meta["model_id"] = meta["model_id"].astype(str)
    meta["display_name"] = meta["model_id"].map(model_names(models))
    meta["tier"] = meta["tier"].astype(str)
    d = per_model.copy()
    d["model_id"] = d["model_id"].astype(str)
    d = d.merge(meta, on="model_id", how="left", validate="many_to_one")
    n = pd.to_numeric(d["n_sessions"], errors="coerce").fillna(0).astype(int)
    fidv = pd.to_numeric(d.get("fidelity"), errors="coerce")
    analysed = (n >= int(min_sessions)) & fidv.notna()
    reasons = []
    for i in range(len(d)):
        r = d["reason"].iloc[i] if "reason" in d.columns else None
        r = None if (r is None or (isinstance(r, float) and math.isnan(r)) or str(r) == "") else r
        if n.iloc[i] < int(min_sessions):
            extra = f"too few valid sessions ({n.iloc[i]} < {int(min_sessions)})"
            r = extra if r is None else f"{extra}; {r}"
        reasons.append(r)
    d["reason"] = pd.Series(reasons, index=d.index, dtype=object)
    d["analysed"] = analysed.to_numpy()
    order = pd.to_numeric(d["ordering"], errors="coerce")
    d["keeps_order"] = (order >= crit - 1e-12).to_numpy() if _finite(crit) else False
    d.loc[~d["analysed"], "keeps_order"] = False
    d["ordering_crit"] = crit
    pct = np.full(len(d), np.nan)
    for fmt, vals in loo.items():
        sel = (d["format"] == fmt).to_numpy() & d["analysed"].to_numpy()
        if sel.any():
            pct[sel] = fid.human_percentile(d.loc[sel, "session_median"].to_numpy(dtype=float),
                                            vals)
    d["human_percentile"] = pct
    return d.sort_values(["format", "model_id"], kind="mergesort").reset_index(drop=True)


def reference_points(H: np.ndarray, n_splits: int = 1000, seed: int = 0,
                     alpha: float = 0.05) -> tuple[dict[str, Any], pd.DataFrame]:
    """The human noise ceiling and the single-human (leave-one-out) fidelity values.

    Returns
    -------
    (ceiling, loo)
        ``ceiling``: :func:`valueaudit.fidelity.human_noise_ceiling` without the
        per-split values plus ``loo_median, loo_q25, loo_q75, loo_n``; ``loo``: the
        per-respondent frame of :func:`valueaudit.fidelity.leave_one_out_humans`.
    """
    ceil = fid.human_noise_ceiling(H, n_splits=n_splits, seed=seed, alpha=alpha)
    ceil = {k: v for k, v in ceil.items() if k != "values"}
    loo = fid.leave_one_out_humans(H)
    v = loo["fidelity"].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    q25, med, q75 = (np.quantile(v, [0.25, 0.5, 0.75]) if v.size else (math.nan,) * 3)
    ceil.update(loo_median=float(med), loo_q25=float(q25), loo_q75=float(q75),
                loo_n=int(v.size), loo_undefined=int(len(loo) - v.size))
    return ceil, loo


#: the rows of the reference-points table: key -> the text of its ``reference`` column
REFERENCE_ROWS = {
    "ceiling": "Human noise ceiling (random halves)",
    "loo": "Single humans vs the rest (leave-one-out)",
    "session": "Single model sessions",
    "profiles": "Model profiles",
    "null": "Shuffled-label null (per model, mean over relabellings)",
}


def _median_iqr(v) -> tuple[float, float, float]:
    v = np.asarray(v, dtype=float)
    if not v.size:
        return math.nan, math.nan, math.nan
    return float(np.median(v)), float(np.quantile(v, 0.25)), float(np.quantile(v, 0.75))


def analysed_values(fidelity: pd.DataFrame, sessions: pd.DataFrame,
                    fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Fidelity of the analysed models in format ``fmt``: ``(sessions, profiles)``, the
    defined single-session values and the model-profile values."""
    an_f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)]
    s_f = sessions[(sessions["format"] == fmt) & sessions["model_id"].isin(an_f["model_id"])]
    sv = s_f["fidelity"].to_numpy(dtype=float)
    return sv[np.isfinite(sv)], an_f["fidelity"].to_numpy(dtype=float)


def reference_points_table(ceiling: Mapping[str, Any], fidelity: pd.DataFrame,
                           sessions: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The reference points for profile fidelity in format ``fmt`` (one row each).

    Rows (:data:`REFERENCE_ROWS`): the human noise ceiling (mean and 2.5/97.5
    percentiles over random splits, from ``ceiling``, a row of ``study3/reference.csv``
    written from :func:`reference_points`), single humans against the rest
    (leave-one-out median and IQR), the single sessions and the mean profiles of the
    analysed models (median and IQR of fidelity), and the shuffled-label null of the
    analysed models (median and IQR of the per-model null means).

    Returns
    -------
    DataFrame ``reference, n, unit, centre, low, high, summary``.
    """
    an_f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)]
    sv, mv = analysed_values(fidelity, sessions, fmt)
    null = an_f["null_mean"]
    iqr = "median [IQR]"
    rows = [
        ("ceiling", int(ceiling["n_splits"]), f"splits into halves of {int(ceiling['n_half'])}",
         (ceiling["fidelity"], ceiling["lo"], ceiling["hi"]), "mean [2.5%, 97.5%]"),
        ("loo", int(ceiling["loo_n"]), "respondents",
         (ceiling["loo_median"], ceiling["loo_q25"], ceiling["loo_q75"]), iqr),
        ("session", int(sv.size), "sessions", _median_iqr(sv), iqr),
        ("profiles", int(mv.size), "models", _median_iqr(mv), iqr),
        ("null", int(null.notna().sum()), "models",
         (float(null.median()), float(null.quantile(.25)), float(null.quantile(.75))), iqr),
    ]
    return pd.DataFrame([{"reference": REFERENCE_ROWS[k], "n": n, "unit": unit, "centre": c,
                          "low": lo, "high": hi, "summary": s}
                         for k, n, unit, (c, lo, hi), s in rows])


def reference_value(table: pd.DataFrame, key: str) -> pd.Series:
    """The row ``key`` (:data:`REFERENCE_ROWS`) of :func:`reference_points_table`;
    ``ValueError`` naming it when the table has no such row."""
    sel = table[table["reference"] == REFERENCE_ROWS[key]]
    if not len(sel):
        raise ValueError(f"reference points: no row {REFERENCE_ROWS[key]!r} ({key})")
    return sel.iloc[0]


def respondent_level(fidelity: pd.DataFrame, sessions: pd.DataFrame,
                     loo_values: np.ndarray, fmt: str) -> pd.DataFrame:
    """Respondent-level comparison: single sessions of each model against single humans.

    Each session's profile is compared with the human mean profile
    (:func:`valueaudit.fidelity.session_level`); each respondent with the mean of
    the others (leave one out). Per analysed model: the number of defined sessions,
    their median fidelity with the interquartile range, the share of its sessions
    above the median single human, and the percentile of the model's median
    session among the single humans (``scipy.stats.percentileofscore``, kind
    "mean"). The first row is the humans themselves.

    Returns
    -------
    DataFrame ``model_id, display_name, tier, n, median, q25, q75,
    share_above_human_median, human_percentile`` sorted by descending median.
    """
    loo = np.asarray(loo_values, dtype=float)
    loo = loo[np.isfinite(loo)]
    hmed = float(np.median(loo)) if loo.size else math.nan
    f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)]
    s = sessions[sessions["format"] == fmt]
    rows = [{"model_id": "humans", "display_name": "Single humans (leave-one-out)", "tier": "",
             "n": int(loo.size), "median": hmed,
             "q25": float(np.quantile(loo, 0.25)) if loo.size else math.nan,
             "q75": float(np.quantile(loo, 0.75)) if loo.size else math.nan,
             "share_above_human_median": float(np.mean(loo > hmed)) if loo.size else math.nan,
             "human_percentile": 50.0 if loo.size else math.nan}]
    body = []
    for _, r in f.iterrows():
        v = s.loc[s["model_id"] == r["model_id"], "fidelity"].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        body.append({"model_id": r["model_id"], "display_name": r.get("display_name", ""),
                     "tier": r.get("tier", ""), "n": int(v.size),
                     "median": float(np.median(v)) if v.size else math.nan,
                     "q25": float(np.quantile(v, 0.25)) if v.size else math.nan,
                     "q75": float(np.quantile(v, 0.75)) if v.size else math.nan,
                     "share_above_human_median": float(np.mean(v > hmed)) if v.size else math.nan,
                     "human_percentile": r["human_percentile"]})
    body = sorted(body, key=lambda x: (-(x["median"] if _finite(x["median"]) else -1),
                                       x["model_id"]))
    return pd.DataFrame(rows + body)


def consensus_profile(profiles: pd.DataFrame, n_boot: int = 2000, seed: int = 0,
                      alpha: float = 0.05) -> pd.DataFrame:
    """Consensus LLM profile: mean of the model profiles with a bootstrap CI over models.

    ``profiles``: models (rows) x themes. Resampling models with
    :func:`valueaudit.stats.bootstrap_weights` (replicates ``W P / M``), percentile
    interval. Returns ``theme, n_models, mean, sd, ci_low, ci_high, rank``.
    """
    x = profiles.to_numpy(dtype=float)
    m = x.shape[0]
    if m < 1:
        raise ValueError("consensus_profile needs at least one model profile")
    boot = vstats.bootstrap_weights(seed, m, n_boot) @ x / m
    lo, hi = vstats.percentile_ci(boot, alpha=alpha, axis=0)
    mean = x.mean(axis=0)
    return pd.DataFrame({"theme": list(profiles.columns), "n_models": m, "mean": mean,
                         "sd": x.std(axis=0, ddof=1) if m > 1 else np.nan, "ci_low": lo,
                         "ci_high": hi, "rank": sps.rankdata(-mean)})


def analysed_profiles(fidelity: pd.DataFrame, profiles: pd.DataFrame, fmt: str,
                      themes: Sequence[str]) -> pd.DataFrame:
    """Mean theme profiles (models x themes) of the models analysed in format ``fmt``.

    ``fidelity`` is the ``study3/fidelity.csv`` table (its ``analysed`` flag says which models
    had enough valid sessions), ``profiles`` the long ``study3/model_profiles.csv`` table
    (model_id, format, theme, mean, ...). Rows are sorted by model id, columns follow ``themes``.
    """
    keep = fidelity.loc[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool),
                        "model_id"]
    return (profiles[(profiles["format"] == fmt) & profiles["model_id"].isin(keep)]
            .pivot(index="model_id", columns="theme", values="mean")
            .reindex(columns=list(themes)).sort_index())


def leaderboard(fidelity: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The fidelity leaderboard of one response format (every model).

    Analysed models are ranked by fidelity (descending; ties share the better rank,
    ``method="min"``); models not analysed follow without a rank and with the
    reason. Columns: ``rank, model_id, display_name, tier, n_sessions, n_humans, B, fidelity
    [+_lo/_hi], ordering [+CI], exaggeration [+CI], k [+CI], calibration [+CI],
    pearson, ccc, d2, elevation, scatter, shape, human_percentile, session_median,
    null_mean, null_p, keeps_order, flag (the calibration verdict), fidelity_uncorrected,
    calibration_uncorrected, fidelity_plugin, exaggeration_plugin, calibration_margin,
    analysed, reason``.
    """
    d = fidelity[fidelity["format"] == fmt].copy()
    d["_f"] = pd.to_numeric(d["fidelity"], errors="coerce").where(d["analysed"].astype(bool))
    d = d.sort_values(["_f", "model_id"], ascending=[False, True], kind="mergesort",
                      na_position="last")
    rank = d["_f"].rank(ascending=False, method="min")
    d.insert(0, "rank", rank.astype("Int64"))
    d.loc[~d["analysed"].astype(bool), "flag"] = "not analysed"
    cols = ["rank", "model_id", "display_name", "tier", "n_sessions", "n_humans", "B"]
    for k in _CI_KEYS:
        cols += [k, f"{k}_lo", f"{k}_hi"]
    cols += ["pearson", "ccc", "d2", "elevation", "scatter", "shape", "human_percentile",
             "session_median", "null_mean", "null_p", "keeps_order", "ordering_crit", "flag",
             "fidelity_uncorrected", "calibration_uncorrected", "fidelity_plugin",
             "exaggeration_plugin", "calibration_margin", "analysed", "reason"]
    out = d[[c for c in cols if c in d.columns]].reset_index(drop=True)
    for c in ("keeps_order", "analysed"):
        out[c] = out[c].astype(bool)
    return out
