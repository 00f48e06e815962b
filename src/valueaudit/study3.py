"""Study 3: the human-vs-LLM profile-fidelity benchmark (METHODS section 6).

This module arranges the statistics of Study 3 into analysis-ready frames; the
fidelity metrics themselves (ordering, k, exaggeration ln k, calibration,
fidelity, Pearson r, Lin's CCC, the Cronbach-Gleser parts of D^2), their
vectorised bootstrap, the human noise ceiling, the leave-one-out humans, the
session-level values and the shuffled-label null come from
:mod:`valueaudit.fidelity`. Every function works on plain DataFrames and arrays
and can be used without Snakemake.

Human reference
    :func:`human_profile` (M, SD, percentile bootstrap CI of the mean and of the
    rank), :func:`human_theme_tests` (Friedman test and Holm-corrected pairwise
    Wilcoxon signed-rank tests with effect sizes, pingouin),
    :func:`sample_flow_table`, :func:`demographics_table`.
Fidelity
    :func:`fidelity_table` / :func:`model_fidelity` (every response format:
    bootstrap CIs, calibration verdicts, session-level values, shuffled null),
    :func:`assemble_fidelity`
    (all models, metadata, analysed flag, human percentile, order criterion),
    :func:`reference_points`, :func:`respondent_level`, :func:`leaderboard`.
Model characteristics
    :func:`characteristics` (Spearman, Kruskal-Wallis, OLS with HC3 errors).
Focal theme (Agency)
    :func:`resolve_focal_theme`, :func:`focal_theme_analysis`.
Robustness
    :func:`robustness` (leaderboards under alternative indices and the other
    response format, Kendall's tau-b between leaderboards).
Figures
    ``plot_*`` functions returning matplotlib figures.

References
----------
Friedman, M. (1937). The use of ranks to avoid the assumption of normality.
JASA, 32, 675-701. Wilcoxon, F. (1945). Individual comparisons by ranking
methods. Biometrics Bulletin, 1, 80-83. Holm, S. (1979). A simple sequentially
rejective multiple test procedure. Scand. J. Statist., 6, 65-70. Kerby, D. S.
(2014). The simple difference formula. Comprehensive Psychology, 3. Kruskal, W.
H., & Wallis, W. A. (1952). JASA, 47, 583-621. MacKinnon, J. G., & White, H.
(1985). Some heteroskedasticity-consistent covariance matrix estimators.
J. Econometrics, 29, 305-325 (HC3). Kendall, M. G. (1945). The treatment of
ties in ranking problems. Biometrika, 33, 239-251 (tau-b). Efron, B., &
Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 13.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import fidelity as fid
from . import stats as vstats
from .contracts import model_names
from .tables import apa

__all__ = [
    "unit_matrix",
    "session_matrices",
    "human_profile",
    "human_theme_tests",
    "sample_flow_table",
    "demographics_table",
    "ordering_threshold",
    "fidelity_table",
    "model_fidelity",
    "assemble_fidelity",
    "reference_points",
    "respondent_level",
    "consensus_profile",
    "analysed_profiles",
    "leaderboard",
    "decimal_year",
    "characteristics",
    "resolve_focal_theme",
    "rank_positions",
    "focal_theme_analysis",
    "robustness",
    "format_ci",
    "format_p",
    "format_rank",
    "plot_profiles",
    "plot_forest",
    "plot_ordering_exaggeration",
    "plot_characteristics",
    "plot_focal_rank",
    "plot_respondent_level",
]

FORMATS = ("rating", "ranking")
#: decimals to which theme scores are rounded on input (see unit_matrix)
_DECIMALS = 9
#: bootstrap columns of valueaudit.fidelity.bootstrap_fidelity kept per model and format
_CI_KEYS = ("fidelity", "ordering", "exaggeration", "k", "calibration")


# ----------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------
def format_ci(est: Any, low: Any, high: Any, kind: str = "r") -> str:
    """``est [low, high]`` in APA style; ``NA`` when the estimate is missing."""
    try:
        ok = est is not None and math.isfinite(float(est))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        return "NA"
    return f"{apa(est, kind)} [{apa(low, kind)}, {apa(high, kind)}]"


def format_p(p: Any) -> str:
    """A p value for running text and macros: ``.034`` or ``< .001`` (``NA`` if missing)."""
    return apa(p, "p")


def format_rank(r: Any) -> str:
    """A rank: integer when whole (``3``), else one decimal (``3.5``); ``NA`` if missing."""
    if not _finite(r):
        return "NA"
    v = float(r)
    return str(int(v)) if v.is_integer() else f"{v:.1f}"


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def unit_matrix(scores: pd.DataFrame, themes: Sequence[str], unit_col: str,
                fmt: str | None = None) -> pd.DataFrame:
    """Units (rows, sorted) x themes (columns, in the given order) of theme scores.

    Parameters
    ----------
    scores : DataFrame
        Long scores with ``unit_col``, ``theme``, ``score`` (and ``format``).
    themes : sequence of str
        Theme ids in instrument order (never hard-coded).
    unit_col : str
        Column identifying a respondent or session.
    fmt : str, optional
        Keep only this response format.

    Returns
    -------
    DataFrame
        Only units with a score for every theme (complete profiles). Scores are
        rounded to 9 decimals, so that a score computed in memory (e.g. 17/3) and
        the same score read back from a CSV written with 10 significant digits are
        the same number, and a result does not depend on the path the data took.
    """
    d = scores if fmt is None else scores[scores["format"] == fmt]
    w = d.pivot_table(index=unit_col, columns="theme", values="score", aggfunc="first", sort=True)
    w = w.reindex(columns=list(themes)).astype(float).round(_DECIMALS)
    w.columns.name = None
    return w[w.notna().all(axis=1)]


def session_matrices(scores: pd.DataFrame, themes: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Sessions (index: session number) x themes per response format for ONE model.

    ``scores`` is the long table of :func:`valueaudit.profiles.theme_scores`
    (``model_id, session, format, theme, score``). Formats without a valid
    session give an empty frame.
    """
    return {fmt: unit_matrix(scores, themes, "session", fmt) for fmt in FORMATS}


# ----------------------------------------------------------------------------------
# human reference
# ----------------------------------------------------------------------------------
def human_profile(
    X: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Human theme profile: M, SD, percentile bootstrap CI of M, rank and its CI.

    Parameters
    ----------
    X : DataFrame
        Respondents (rows) x themes (columns, instrument order) of theme scores.
    labels : mapping theme id -> label, optional
    n_boot, seed, alpha
        Bootstrap replicates (resampling respondents), seed, 1 - confidence.

    Returns
    -------
    DataFrame, one row per theme in instrument order: ``theme, label, n, mean, sd,
    ci_low, ci_high, rank, rank_low, rank_high``.

    Notes
    -----
    M is the mean over respondents, SD the sample SD (ddof 1). Replicate b draws a
    multinomial resample-count vector ``w_b`` over the n respondents
    (:func:`valueaudit.stats.bootstrap_weights`), so all replicate profiles are
    ``W X / n`` in one matrix product; the CI is the percentile interval (Efron &
    Tibshirani, 1993, ch. 13). Rank 1 is the most important theme (average ranks
    for ties); the rank CI is the percentile interval of the replicate ranks.
    """
    x = X.to_numpy(dtype=float)
    n, T = x.shape
    if n < 2:
        raise ValueError("human_profile needs at least 2 respondents")
    labels = dict(labels or {})
    mean = x.mean(axis=0)
    W = vstats.bootstrap_weights(seed, n, n_boot)
    boot = W @ x / n
    lo, hi = vstats.percentile_ci(boot, alpha=alpha, axis=0)
    ranks = sps.rankdata(-boot, axis=1)
    r_lo, r_hi = vstats.percentile_ci(ranks, alpha=alpha, axis=0)
    return pd.DataFrame({
        "theme": list(X.columns),
        "label": [labels.get(t, t) for t in X.columns],
        "n": n,
        "mean": mean,
        "sd": x.std(axis=0, ddof=1),
        "ci_low": lo,
        "ci_high": hi,
        "rank": sps.rankdata(-mean),
        "rank_low": r_lo,
        "rank_high": r_hi,
    })


def human_theme_tests(X: pd.DataFrame, alpha: float = 0.05) -> tuple[dict[str, Any], pd.DataFrame]:
    """Friedman test across themes and pairwise Wilcoxon tests (Holm) in humans.

    Respondents are the blocks. The Friedman statistic
    ``Q = 12 / (n k (k+1)) sum_j R_j^2 - 3 n (k+1)`` (tie-corrected, chi-square on
    k - 1 df; Friedman, 1937) with effect size Kendall's ``W = Q / (n (k-1))``
    comes from ``pingouin.friedman``; every pair of themes is tested with the
    Wilcoxon signed-rank test (``pingouin.wilcoxon``; Wilcoxon, 1945), effect sizes
    the matched-pairs rank-biserial correlation (Kerby, 2014) and the common-language
    effect size, p values Holm-adjusted over all T (T - 1) / 2 pairs (Holm, 1979).
    Implemented by :func:`valueaudit.stats.friedman_test` and
    :func:`valueaudit.study2.pairwise_theme_tests` (:func:`valueaudit.stats.pairwise_wilcoxon`),
    which take any blocks x themes frame.

    Returns
    -------
    (friedman, pairwise)
        ``friedman``: dict ``Q, df, p, W, n, k``; ``pairwise``: DataFrame
        ``theme_a, theme_b, mean_a, mean_b, mean_diff, median_diff, n, W, p, p_holm,
        reject, rbc, cles``.
    """
    from .study2 import pairwise_theme_tests

    frame = X.astype(float).copy()
    frame.index = pd.Index([str(i) for i in frame.index], name="unit")
    return vstats.friedman_test(frame), pairwise_theme_tests(frame, alpha=alpha)


def sample_flow_table(flow: pd.DataFrame) -> pd.DataFrame:
    """The sample flow (collected, each exclusion rule with its count, analysed).

    ``flow`` is ``human_flow.csv`` (``step, rule, excluded, remaining``) written by the
    survey import, rules in the order applied (a respondent is charged to the first
    rule that removes them). Returns ``step, criterion, n_excluded, n_remaining``: a
    step names its rule in words (:data:`valueaudit.survey.EXCLUSION_LABELS`), the
    criterion is the survey import's description of it.
    """
    from .survey import EXCLUSION_LABELS

    def step(s: str) -> str:
        if s.startswith("excluded: "):
            name = s.removeprefix("excluded: ")
            return f"Excluded: {EXCLUSION_LABELS.get(name, name)}"
        return {"collected": "Collected", "analysed": "Analysed"}.get(s, s)

    f = flow.copy()
    out = pd.DataFrame({
        "step": [step(str(s)) for s in f["step"]],
        "criterion": ["" if pd.isna(r) else str(r) for r in f["rule"]],
        "n_excluded": pd.to_numeric(f["excluded"]).astype(int).to_numpy(),
        "n_remaining": pd.to_numeric(f["remaining"]).astype(int).to_numpy(),
    })
    return out


def demographics_table(respondents: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Demographics of the analysed sample beside all collected respondents.

    Parameters
    ----------
    respondents : DataFrame
        ``respondents.csv`` (``respondent_id, included, exclusion_reason`` and the
        demographic columns named in config ``humans.demographics``).
    columns : sequence of str
        The demographic columns (config order).

    Returns
    -------
    DataFrame ``variable, level, statistic, analysed, analysed_pct, collected,
    collected_pct`` (plus ``analysed_sd, collected_sd`` for numeric variables).
    Numeric variables: M and SD, and min-max; categorical: n and % per level
    (levels by descending analysed frequency, ties alphabetical), missing values
    counted as their own level ``(missing)``. No identifier enters.
    """
    inc = respondents["included"].astype(str).str.lower().isin(["true", "1"])
    groups = {"analysed": respondents[inc.to_numpy()], "collected": respondents}
    rows = []
    for col in columns:
        values = {g: d[col] for g, d in groups.items()}
        num = {g: pd.to_numeric(v, errors="coerce") for g, v in values.items()}
        is_num = all(v.notna().sum() == values[g].notna().sum() for g, v in num.items()) and \
            num["collected"].notna().any()
        if is_num:
            row = {"variable": col, "level": "M (SD)", "statistic": "mean"}
            row2 = {"variable": col, "level": "Range", "statistic": "range"}
            for g, v in num.items():
                v = v.dropna()
                row[g] = float(v.mean()) if len(v) else math.nan
                row[f"{g}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
                row[f"{g}_pct"] = math.nan
                row2[g] = float(v.min()) if len(v) else math.nan
                row2[f"{g}_sd"] = float(v.max()) if len(v) else math.nan
                row2[f"{g}_pct"] = math.nan
            rows += [row, row2]
            miss = {g: int(values[g].isna().sum()) for g in groups}
            if miss["collected"]:
                rows.append({"variable": col, "level": "(missing)", "statistic": "count",
                             **{g: miss[g] for g in groups},
                             **{f"{g}_pct": miss[g] / len(groups[g]) for g in groups},
                             **{f"{g}_sd": math.nan for g in groups}})
            continue
        cats = {g: v.astype(object).where(v.notna(), "(missing)").astype(str)
                for g, v in values.items()}
        counts = {g: c.value_counts() for g, c in cats.items()}
        levels = sorted(set(counts["collected"].index),
                        key=lambda lv: (-int(counts["analysed"].get(lv, 0)), lv == "(missing)", lv))
        for lv in levels:
            row = {"variable": col, "level": lv, "statistic": "count"}
            for g in groups:
                n = int(counts[g].get(lv, 0))
                row[g] = n
                row[f"{g}_pct"] = n / len(groups[g]) if len(groups[g]) else math.nan
                row[f"{g}_sd"] = math.nan
            rows.append(row)
    cols = ["variable", "level", "statistic", "analysed", "analysed_sd", "analysed_pct",
            "collected", "collected_sd", "collected_pct"]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------------
# fidelity per model
# ----------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------
# model characteristics
# ----------------------------------------------------------------------------------
def decimal_year(dates: pd.Series) -> pd.Series:
    """``YYYY-MM`` -> year + (month - 1) / 12 (NaN when missing)."""
    s = dates.astype(object).where(dates.notna(), None)
    out = []
    for v in s:
        if v is None or str(v).strip() == "":
            out.append(math.nan)
            continue
        y, mth = str(v).split("-")[:2]
        out.append(int(y) + (int(mth) - 1) / 12.0)
    return pd.Series(out, index=dates.index, dtype=float)


def _spearman_row(name: str, x: pd.Series, y: pd.Series, n_all: int) -> dict[str, Any]:
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    row = {"predictor": name, "test": "Spearman rho", "estimate": math.nan, "statistic": math.nan,
           "df": math.nan, "p": math.nan, "se": math.nan, "ci_low": math.nan,
           "ci_high": math.nan, "n": n, "n_missing": n_all - n, "note": ""}
    if n < 3 or x[ok].nunique() < 2 or y[ok].nunique() < 2:
        row["note"] = f"not computable (n = {n} with variation)"
        return row
    r = sps.spearmanr(x[ok], y[ok])
    row.update(estimate=float(r.statistic), statistic=float(r.statistic), p=float(r.pvalue),
               df=n - 2)
    if n > 3 and abs(r.statistic) < 1:
        z, se = math.atanh(r.statistic), 1.0 / math.sqrt(n - 3)
        q = sps.norm.ppf(0.975)
        row.update(ci_low=math.tanh(z - q * se), ci_high=math.tanh(z + q * se))
    return row


def characteristics(fidelity: pd.DataFrame, tiers: Sequence[str], fmt: str) -> pd.DataFrame:
    """Fidelity against model size, release date and capability tier.

    Analysed models of format ``fmt`` only. Tests (models without a value are
    counted in ``n_missing`` and left out, never imputed):

    * Spearman rho of fidelity with log10(params_b) (undisclosed sizes left out),
      with release date (decimal year), and with tier (ordinal codes in config
      order); 95% CI by Fisher's z with SE ``1 / sqrt(n - 3)``;
    * Kruskal-Wallis H across tiers (``scipy.stats.kruskal``, tie-corrected,
      chi-square on g - 1 df; Kruskal & Wallis, 1952) with effect size
      ``epsilon^2 = H / (n - 1)`` (in ``estimate``);
    * OLS ``fidelity ~ log10(params) + release year + C(tier)`` (reference: the
      lowest tier) on complete cases with HC3 heteroskedasticity-consistent SEs
      (``statsmodels``; MacKinnon & White, 1985): one row per coefficient (z test)
      and a joint Wald F test of the tier terms with the HC3 covariance.

    Returns
    -------
    DataFrame ``predictor, test, estimate, statistic, df, p, se, ci_low, ci_high, n,
    n_missing, note``.
    """
    import statsmodels.formula.api as smf

    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)].copy()
    n_all = len(d)
    y = pd.to_numeric(d["fidelity"], errors="coerce")
    params = pd.to_numeric(d["params_b"], errors="coerce")
    logp = np.log10(params.where(params > 0))
    year = decimal_year(d["release_date"])
    tier_code = d["tier"].astype(str).map({t: i for i, t in enumerate(tiers)}).astype(float)
    rows = [_spearman_row("log10(parameters)", logp, y, n_all),
            _spearman_row("release date", year, y, n_all),
            _spearman_row("tier (ordinal)", tier_code, y, n_all)]
    # Kruskal-Wallis across tiers
    kw = {"predictor": "tier", "test": "Kruskal-Wallis H", "estimate": math.nan,
          "statistic": math.nan, "df": math.nan, "p": math.nan, "se": math.nan,
          "ci_low": math.nan, "ci_high": math.nan, "n": 0, "n_missing": 0, "note": ""}
    ok = tier_code.notna() & y.notna()
    groups = [y[ok & (d["tier"].astype(str) == t)].to_numpy() for t in tiers]
    groups = [g for g in groups if len(g)]
    kw["n"] = int(ok.sum())
    kw["n_missing"] = n_all - kw["n"]
    if len(groups) >= 2 and np.unique(np.concatenate(groups)).size > 1:
        h = sps.kruskal(*groups)
        kw.update(statistic=float(h.statistic), p=float(h.pvalue), df=len(groups) - 1,
                  estimate=float(h.statistic) / (kw["n"] - 1) if kw["n"] > 1 else math.nan)
        kw["note"] = "estimate = epsilon squared; " + ", ".join(
            f"{t}: n = {int((ok & (d['tier'].astype(str) == t)).sum())}" for t in tiers)
    else:
        kw["note"] = "not computable (fewer than 2 tiers with models)"
    rows.append(kw)
    # OLS with HC3 errors
    frame = pd.DataFrame({"fidelity": y.to_numpy(), "log10_params": logp.to_numpy(),
                          "release_year": year.to_numpy(),
                          "tier": pd.Categorical(d["tier"].astype(str), categories=list(tiers))})
    cc = frame.dropna()
    present = [t for t in tiers if (cc["tier"] == t).any()]
    base = {"test": "OLS (HC3)", "estimate": math.nan, "statistic": math.nan, "df": math.nan,
            "p": math.nan, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan,
            "n": len(cc), "n_missing": n_all - len(cc), "note": ""}
    terms = ["log10_params", "release_year"]
    formula = "fidelity ~ log10_params + release_year"
    if len(present) >= 2:
        cc = cc.assign(tier=pd.Categorical(cc["tier"].astype(str), categories=present))
        formula += " + C(tier)"
    n_par = 3 + max(len(present) - 1, 0)
    if len(cc) <= n_par + 1:
        rows.append({**base, "predictor": "model",
                     "note": f"not computable: {len(cc)} complete cases for {n_par} parameters"})
        return pd.DataFrame(rows)
    fit = smf.ols(formula, data=cc).fit(cov_type="HC3")
    ci = fit.conf_int()
    for name in fit.params.index:
        if name == "Intercept":
            continue
        label = {"log10_params": "log10(parameters)", "release_year": "release date (years)"}.get(
            name, name.replace("C(tier)[T.", "tier: ").replace("]", f" vs {present[0]}"))
        rows.append({**base, "predictor": label, "estimate": float(fit.params[name]),
                     "se": float(fit.bse[name]), "statistic": float(fit.tvalues[name]),
                     "p": float(fit.pvalues[name]), "ci_low": float(ci.loc[name, 0]),
                     "ci_high": float(ci.loc[name, 1]),
                     "note": "b (HC3 SE, z test)"})
    tier_terms = [nm for nm in fit.params.index if nm.startswith("C(tier)")]
    if tier_terms:
        R = np.zeros((len(tier_terms), len(fit.params)))
        for i, nm in enumerate(tier_terms):
            R[i, list(fit.params.index).index(nm)] = 1.0
        ft = fit.f_test(R)
        rows.append({**base, "predictor": "tier (joint)", "test": "Wald F (HC3)",
                     "statistic": float(np.squeeze(ft.fvalue)), "df": float(ft.df_num),
                     "p": float(ft.pvalue), "note": f"df = {int(ft.df_num)}, {int(ft.df_denom)}"})
    rows.append({**base, "predictor": "model", "test": "OLS R squared",
                 "estimate": float(fit.rsquared), "statistic": float(fit.rsquared_adj),
                 "note": f"statistic = adjusted R squared; terms: {', '.join(terms)}"
                 + (", tier" if tier_terms else "")})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------
# focal theme (Agency)
# ----------------------------------------------------------------------------------
def resolve_focal_theme(themes: pd.DataFrame, focal: str,
                        human_means: pd.Series | None = None) -> dict[str, str]:
    """Which theme the Agency analysis is about.

    The theme whose id or label equals ``focal`` (config ``study3.focal_theme``,
    default ``agency``; case-insensitive). If none does (another instrument), the
    theme with the lowest human mean is used and ``how`` says so.

    Returns
    -------
    dict ``theme, label, how``.
    """
    key = str(focal).strip().lower()
    for _, r in themes.iterrows():
        if str(r["theme"]).lower() == key or str(r["label"]).lower() == key:
            return {"theme": str(r["theme"]), "label": str(r["label"]),
                    "how": f"study3.focal_theme = '{focal}'"}
    if human_means is None or not len(human_means):
        raise ValueError(f"no theme matches study3.focal_theme = {focal!r} and no human "
                         "profile to choose the lowest theme")
    t = str(human_means.astype(float).idxmin())
    lab = dict(zip(themes["theme"].astype(str), themes["label"].astype(str), strict=True))
    return {"theme": t, "label": lab.get(t, t),
            "how": f"no theme matches study3.focal_theme = '{focal}': the theme with the "
                   "lowest human mean"}


def rank_positions(X: np.ndarray, col: int) -> np.ndarray:
    """Fractional rank-position counts of one theme per unit (rank 1 = highest score).

    For each row of ``X`` (units x themes) the theme ``col`` occupies the positions
    ``g + 1 .. g + e`` where g themes score higher and e themes (itself included)
    score the same; each of those positions gets ``1 / e``. Returns an
    (n_units, T) array whose rows sum to 1 (ties shared, no tie-break choice).
    """
    X = np.asarray(X, dtype=float)
    n, T = X.shape
    v = X[:, [col]]
    g = (X > v).sum(axis=1)
    e = (X == v).sum(axis=1)
    pos = np.arange(T)[None, :]
    inside = (pos >= g[:, None]) & (pos < (g + e)[:, None])
    return inside / e[:, None]


def focal_theme_analysis(
    human_X: pd.DataFrame,
    model_profiles: pd.DataFrame,
    focal: str,
    labels: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """The focal theme (Agency): its rank in humans and models, and paired tests.

    Parameters
    ----------
    human_X : DataFrame
        Respondents x themes (analysed respondents, profile format).
    model_profiles : DataFrame
        Analysed models (index model_id) x themes: mean profiles.
    focal : str
        Theme id (:func:`resolve_focal_theme`).

    Returns
    -------
    dict
        ``summary`` (DataFrame, one row per group: human profile, single humans,
        models: ``group, n, rank, rank_of, n_last, n_tied_last, share_last,
        share_last_low, share_last_high, expected_share, binom_p``), ``tests``
        (Wilcoxon signed-rank of the focal theme against each other theme in humans:
        ``theme, label, mean_focal, mean_other, mean_diff, median_diff, n, W, p,
        p_holm, rbc, cles``; Holm over the T - 1 tests; effect sizes from pingouin:
        rank-biserial r (negative: the focal theme scores lower) and common-language
        effect size), ``model_ranks`` (model_id, focal_rank, last), ``positions``
        (rank position 1..T with the share of models and of single humans at it,
        ties shared by :func:`rank_positions`).

    Notes
    -----
    "Ranks last" means the focal theme's score is strictly below every other
    theme's; ties at the bottom are counted in ``n_tied_last`` and not as last
    (conservative). The share of models ranking it last is tested against the
    chance share 1/T with an exact two-sided binomial test
    (``scipy.stats.binomtest``) and given a Wilson 95% CI.
    """

    labels = dict(labels or {})
    themes = list(human_X.columns)
    T = len(themes)
    j = themes.index(focal)
    hx = human_X.to_numpy(dtype=float)
    mx = model_profiles[themes].to_numpy(dtype=float)
    hmean = hx.mean(axis=0)
    rows = []
    # paired tests in humans
    tests = []
    for t in themes:
        if t == focal:
            continue
        a, b = human_X[focal].to_numpy(dtype=float), human_X[t].to_numpy(dtype=float)
        d = a - b
        row = {"theme": t, "label": labels.get(t, t), "mean_focal": float(a.mean()),
               "mean_other": float(b.mean()), "mean_diff": float(d.mean()),
               "median_diff": float(np.median(d)), "n": int(len(d))}
        row.update(vstats.wilcoxon_signed_rank(a, b))
        tests.append(row)
    tests = pd.DataFrame(tests)
    holm = vstats.holm(tests["p"].to_numpy(dtype=float), alpha=alpha)[0] if len(tests) else []
    tests.insert(tests.columns.get_loc("p") + 1, "p_holm", holm)

    def group_row(name: str, X: np.ndarray, test: bool) -> dict[str, Any]:
        n = X.shape[0]
        others = np.delete(X, j, axis=1)
        last = (X[:, j][:, None] < others).all(axis=1)
        tied = (~last) & (X[:, j][:, None] <= others).all(axis=1)
        k = int(last.sum())
        lo, hi = vstats.wilson_ci(k, n) if n else (np.nan, np.nan)
        row = {"group": name, "n": n, "rank": math.nan, "rank_of": T, "n_last": k,
               "n_tied_last": int(tied.sum()), "share_last": k / n if n else math.nan,
               "share_last_low": float(np.squeeze(lo)), "share_last_high": float(np.squeeze(hi)),
               "expected_share": 1.0 / T, "binom_p": math.nan}
        if test and n:
            row["binom_p"] = float(sps.binomtest(k, n, 1.0 / T).pvalue)
        return row

    h_row = {"group": "human profile", "n": hx.shape[0],
             "rank": float(sps.rankdata(-hmean)[j]), "rank_of": T, "n_last": math.nan,
             "n_tied_last": math.nan, "share_last": math.nan, "share_last_low": math.nan,
             "share_last_high": math.nan, "expected_share": 1.0 / T, "binom_p": math.nan}
    rows.append(h_row)
    r_single = group_row("single humans", hx, test=False)
    r_single["rank"] = float(np.median(sps.rankdata(-hx, axis=1)[:, j]))
    rows.append(r_single)
    m_row = group_row("models", mx, test=True)
    mranks = sps.rankdata(-mx, axis=1)[:, j] if len(mx) else np.array([])
    m_row["rank"] = float(np.median(mranks)) if len(mranks) else math.nan
    rows.append(m_row)
    summary = pd.DataFrame(rows)
    model_ranks = pd.DataFrame({
        "model_id": list(model_profiles.index.astype(str)),
        "focal_rank": mranks,
        "last": (mx[:, j][:, None] < np.delete(mx, j, axis=1)).all(axis=1) if len(mx) else [],
    })
    positions = pd.DataFrame({
        "position": np.arange(1, T + 1),
        "share_models": rank_positions(mx, j).mean(axis=0) if len(mx) else np.nan,
        "share_humans": rank_positions(hx, j).mean(axis=0),
    })
    return {"summary": summary, "tests": tests, "model_ranks": model_ranks,
            "positions": positions, "theme": focal, "label": labels.get(focal, focal),
            "human_rank": h_row["rank"]}


# ----------------------------------------------------------------------------------
# robustness
# ----------------------------------------------------------------------------------
def robustness(fidelity: pd.DataFrame, fmt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leaderboards under alternative indices and the other format; Kendall's tau-b.

    Indices (analysed models of ``fmt``; higher is better except D^2): fidelity (the
    leaderboard's), fidelity as the plug-in METHODS value (no noise correction),
    Lin's CCC, Pearson r, D^2 (ranked ascending), and fidelity in the other response
    format (models analysed in both). Kendall's tau-b (``scipy.stats.kendalltau``,
    ties corrected; Kendall, 1945) between every pair of leaderboards, on the models
    with both values, with its two-sided p.

    Returns
    -------
    (ranks, taus)
        ``ranks``: model_id and the rank under each index (1 = best);
        ``taus``: ``index_a, index_b, tau, p, n``.
    """
    other = [f for f in FORMATS if f != fmt]
    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)]
    d = d.set_index("model_id")
    ix: dict[str, pd.Series] = {
        "fidelity": pd.to_numeric(d["fidelity"], errors="coerce"),
        "fidelity (plug-in)": pd.to_numeric(d["fidelity_plugin"], errors="coerce"),
        "Lin's CCC": pd.to_numeric(d["ccc"], errors="coerce"),
        "Pearson r": pd.to_numeric(d["pearson"], errors="coerce"),
        "D2": -pd.to_numeric(d["d2"], errors="coerce"),
    }
    for o in other:
        od = fidelity[(fidelity["format"] == o) & fidelity["analysed"].astype(bool)]
        ix[f"fidelity ({o})"] = pd.to_numeric(
            od.set_index("model_id")["fidelity"], errors="coerce").reindex(d.index)
    vals = pd.DataFrame(ix, index=d.index).sort_index()
    ranks = vals.rank(ascending=False, method="min")
    ranks.insert(0, "model_id", ranks.index.astype(str))
    ranks = ranks.reset_index(drop=True)
    rows = []
    for a, b in itertools.combinations(vals.columns, 2):
        ok = vals[a].notna() & vals[b].notna()
        n = int(ok.sum())
        tau, p = math.nan, math.nan
        if n >= 3 and vals.loc[ok, a].nunique() > 1 and vals.loc[ok, b].nunique() > 1:
            r = sps.kendalltau(vals.loc[ok, a], vals.loc[ok, b])
            tau, p = float(r.statistic), float(r.pvalue)
        rows.append({"index_a": a, "index_b": b, "tau": tau, "p": p, "n": n})
    return ranks, pd.DataFrame(rows)


# ----------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------
def plot_profiles(human: pd.DataFrame, consensus: pd.DataFrame, model_profiles: pd.DataFrame,
                  scale: tuple[float, float] | None = None, ylabel: str = "Theme score"):
    """Human and consensus-LLM profiles with 95% CIs; thin grey lines: single models.

    Themes on the x axis in the order of the human means (descending). Humans:
    black circles, solid line; consensus LLM: orange squares, dashed line.
    """
    import matplotlib.pyplot as plt

    from .plotting import OKABE_ITO, SINGLE

    order = human.sort_values(["mean", "theme"], ascending=[False, True])["theme"].tolist()
    lab = dict(zip(human["theme"], human["label"], strict=True))
    h = human.set_index("theme").loc[order]
    c = consensus.set_index("theme").loc[order]
    x = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(SINGLE, 2.6))
    for _, row in model_profiles[order].iterrows():
        ax.plot(x, row.to_numpy(dtype=float), color="0.75", lw=0.4, alpha=0.6, zorder=1)
    ax.errorbar(x - 0.06, h["mean"], yerr=[h["mean"] - h["ci_low"], h["ci_high"] - h["mean"]],
                color="black", marker="o", ms=4, lw=1.2, ls="-", capsize=2,
                label=f"Humans (N = {int(h['n'].iloc[0])})", zorder=3)
    ax.errorbar(x + 0.06, c["mean"], yerr=[c["mean"] - c["ci_low"], c["ci_high"] - c["mean"]],
                color=OKABE_ITO[1], marker="s", ms=4, lw=1.2, ls="--", capsize=2,
                mfc="white", label=f"Consensus LLM ({int(c['n_models'].iloc[0])} models)",
                zorder=3)
    ax.plot([], [], color="0.75", lw=0.6, label="Single models")
    ax.set_xticks(x)
    ax.set_xticklabels([lab[t] for t in order], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if scale is not None:
        ax.set_ylim(scale[0] - 0.1, scale[1] + 0.1)
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def plot_forest(board: pd.DataFrame, tiers: Sequence[str], ceiling: Mapping[str, Any],
                null_median: float | None = None):
    """Fidelity with 95% CIs per analysed model, coloured and marked by tier.

    Grey band and solid line: the human noise ceiling (interval over random splits
    and mean); dotted line: the median shuffled-label null fidelity.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .plotting import MIN_FONT_PT, SINGLE, format_axes, tier_style

    b = board[board["analysed"].astype(bool)].reset_index(drop=True)
    n = len(b)
    style = tier_style(list(tiers))
    # one row per model, tall enough for its 6 pt name
    fig, ax = plt.subplots(figsize=(SINGLE, max(2.2, 1.0 + 0.112 * n)))
    y = np.arange(n)[::-1]
    if _finite(ceiling.get("lo")):
        ax.axvspan(ceiling["lo"], ceiling["hi"], color="0.88", zorder=0)
        ax.axvline(ceiling["fidelity"], color="0.4", lw=0.8, zorder=1)
    if null_median is not None and _finite(null_median):
        ax.axvline(null_median, color="0.3", lw=0.8, ls=":", zorder=1)
    for t in tiers:
        sel = (b["tier"].astype(str) == t).to_numpy()
        if not sel.any():
            continue
        s = style[t]
        # CI drawn as a segment: a bias-corrected point estimate may lie off the centre
        # of its pivotal interval (see valueaudit.fidelity.bootstrap_fidelity)
        ax.hlines(y[sel], b.loc[sel, "fidelity_lo"], b.loc[sel, "fidelity_hi"],
                  color=s["color"], lw=0.7, zorder=2)
        ax.plot(b.loc[sel, "fidelity"], y[sel], ls="", marker=s["marker"], color=s["color"],
                ms=2.8, mec="black", mew=0.2, zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in b["display_name"].fillna(b["model_id"])],
                       fontsize=MIN_FONT_PT)
    ax.tick_params(axis="y", length=2, pad=1.5)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("Profile fidelity [95% CI]")
    format_axes(ax, x="r")
    handles = [Line2D([], [], marker=style[t]["marker"], color=style[t]["color"], ls="",
                      ms=3.5, label=t) for t in tiers if (b["tier"].astype(str) == t).any()]
    handles.append(Patch(facecolor="0.88", edgecolor="0.4", label="Human noise ceiling"))
    if null_median is not None and _finite(null_median):
        handles.append(Line2D([], [], color="0.3", ls=":", label="Shuffled-label null"))
    ax.legend(handles=handles, frameon=False, loc="lower center", bbox_to_anchor=(0.45, 1.0),
              ncol=3, fontsize=MIN_FONT_PT, columnspacing=1.0, handletextpad=0.3)
    fig.tight_layout()
    return fig


#: marker style per calibration verdict (:func:`valueaudit.fidelity.verdict`): colour
#: (Okabe-Ito) and shape differ, so the verdicts are told apart in greyscale too
VERDICT_STYLE = {
    "exaggerates": {"color": "#D55E00", "marker": "^", "mfc": "#D55E00"},
    "flattens": {"color": "#0072B2", "marker": "v", "mfc": "#0072B2"},
    "calibrated": {"color": "#009E73", "marker": "o", "mfc": "#009E73"},
    "inconclusive": {"color": "0.35", "marker": "s", "mfc": "white"},
    "undetermined": {"color": "black", "marker": "D", "mfc": "white"},
}
#: row height (pt) of one model in the ordering-exaggeration figure
_ROW_PT = 3.4


def _ordering_rows(b: pd.DataFrame, gap: float = 1.0, min_band: float = 2.0):
    """Vertical positions for the ordering-exaggeration figure: one band per distinct
    ordering value (highest on top), one row per model within its band, sorted by ln k
    (ascending upwards, ties by model id). Returns ``(y, bands)``; ``bands``: rows
    ``value, centre, low, high`` (band extent in row units)."""
    rho = b["ordering"].to_numpy(dtype=float).round(9)
    ex = b["exaggeration"].to_numpy(dtype=float)
    y = np.full(len(b), np.nan)
    bands, pos = [], 0.0
    for v in np.unique(rho[np.isfinite(rho)]):
        idx = np.flatnonzero(rho == v)
        idx = idx[np.lexsort((b["model_id"].to_numpy()[idx].astype(str), ex[idx]))]
        height = max(float(idx.size), min_band)
        first = pos + (height - idx.size) / 2
        y[idx] = first + np.arange(idx.size)
        bands.append({"value": float(v), "centre": pos + (height - 1) / 2,
                      "low": pos - 0.5, "high": pos + height - 0.5})
        pos += height + gap
    return y, pd.DataFrame(bands, columns=["value", "centre", "low", "high"])


def _label_candidates(b: pd.DataFrame, max_labels: int) -> list[int]:
    """Row indices of ``b`` to name, most important first: in turn the largest ln k, the
    smallest ln k and the lowest ordering not yet chosen, until ``max_labels``."""
    ex = b["exaggeration"].to_numpy(dtype=float)
    rho = b["ordering"].to_numpy(dtype=float)
    ids = b["model_id"].to_numpy().astype(str)
    ok = np.flatnonzero(np.isfinite(ex) & np.isfinite(rho))
    lists = [sorted(ok, key=lambda i: (-ex[i], ids[i])), sorted(ok, key=lambda i: (ex[i], ids[i])),
             sorted(ok, key=lambda i: (rho[i], -abs(ex[i]), ids[i]))]
    chosen: list[int] = []
    pointers = [0, 0, 0]
    while len(chosen) < min(max_labels, ok.size):
        for j, lst in enumerate(lists):
            while pointers[j] < len(lst) and lst[pointers[j]] in chosen:
                pointers[j] += 1
            if pointers[j] < len(lst) and len(chosen) < max_labels:
                chosen.append(int(lst[pointers[j]]))
    return chosen


def plot_ordering_exaggeration(board: pd.DataFrame, tiers: Sequence[str], rho_crit: float,
                               max_labels: int = 10):
    """Ordering (Spearman rho) against exaggeration ln k with its 95% CI, marked by
    calibration verdict.

    Ordering takes few values (T themes), so every distinct value is a band of rows
    (highest on top, not to scale), one row per model sorted by ln k: every point and
    its CI stays visible. Colour and marker shape give the verdict
    (:data:`VERDICT_STYLE`; :func:`valueaudit.fidelity.verdict`). Dashed lines: ln k = 0
    and the order criterion ``rho_crit`` (between the bands below and at or above it);
    dotted lines: +-ln(calibration margin). Shaded: the quadrant "ordered but
    exaggerated" (ln k > 0, ordering >= ``rho_crit``). At most ``max_labels`` models are
    named (in turn the largest ln k, the smallest ln k, the lowest ordering), by name
    beside the point where it fits without touching another label or point, else by a
    number explained in a key below the panel. ``tiers`` is accepted for a uniform
    call signature; tiers are shown in the forest figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.transforms import Bbox

    from .plotting import MIN_FONT_PT, SINGLE, format_axes, number_formatter

    b = board[board["analysed"].astype(bool)].reset_index(drop=True)
    ex = b["exaggeration"].to_numpy(dtype=float)
    lo = b["exaggeration_lo"].to_numpy(dtype=float)
    hi = b["exaggeration_hi"].to_numpy(dtype=float)
    flag = b["flag"].astype(str).where(b["flag"].astype(str).isin(list(VERDICT_STYLE)),
                                       "undetermined").to_numpy()
    y, bands = _ordering_rows(b)
    shown = np.isfinite(ex) & np.isfinite(y)
    head = 3.0  # rows above the top band, for the quadrant label
    top = (float(bands["high"].max()) if len(bands) else 0.5) + head
    bottom = -1.0
    axes_h = (top - bottom) * _ROW_PT / 72.0
    fig_h = max(2.6, axes_h + 1.25)
    fig, ax = plt.subplots(figsize=(SINGLE, fig_h))
    finite = np.r_[lo[np.isfinite(lo)], hi[np.isfinite(hi)], ex[np.isfinite(ex)], -0.1, 0.1]
    span = float(finite.max() - finite.min())
    xmin, xmax = float(finite.min()) - 0.04 * span, float(finite.max()) + 0.04 * span
    # order criterion: between the bands below it and those at or above it
    crit_y = None
    if _finite(rho_crit) and len(bands):
        above = bands[bands["value"] >= rho_crit - 1e-9]
        below = bands[bands["value"] < rho_crit - 1e-9]
        if len(above):
            crit_y = ((float(above["low"].min()) + float(below["high"].max())) / 2
                      if len(below) else bottom)
    if crit_y is not None:
        ax.fill_between([0, xmax], crit_y, top, color="0.9", lw=0, zorder=0)
        if crit_y > bottom:
            ax.axhline(crit_y, color="0.4", lw=0.7, ls="--", zorder=1)
        quad = ax.text(xmax - 0.01 * span, top - 0.4, "ordered but exaggerated", ha="right",
                       va="top", fontsize=MIN_FONT_PT, style="italic", zorder=5)
    else:
        quad = None
    ax.axvline(0, color="0.4", lw=0.7, ls="--", zorder=1)
    margins = pd.to_numeric(b.get("calibration_margin", pd.Series(dtype=float)),
                            errors="coerce").dropna()
    has_margin = bool(len(margins) and float(margins.iloc[0]) > 1)
    if has_margin:
        d = math.log(float(margins.iloc[0]))
        for v in (-d, d):
            ax.axvline(v, color="0.55", lw=0.5, ls=":", zorder=1)
    present = []
    for v, st in VERDICT_STYLE.items():
        sel = shown & (flag == v)
        if not sel.any():
            continue
        present.append(v)
        xerr = np.vstack([np.clip(ex[sel] - lo[sel], 0, None), np.clip(hi[sel] - ex[sel], 0, None)])
        xerr = np.where(np.isfinite(xerr), xerr, 0.0)
        ax.errorbar(ex[sel], y[sel], xerr=xerr, fmt="none", ecolor=st["color"], elinewidth=0.6,
                    capsize=0, alpha=0.8, zorder=2)
        ax.plot(ex[sel], y[sel], ls="", marker=st["marker"], ms=3.2, color=st["color"],
                mfc=st["mfc"], mec="black" if st["mfc"] != "white" else st["color"], mew=0.3,
                zorder=3)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(bottom, top)
    vals = bands["value"].to_numpy(dtype=float)
    ticks = [number_formatter("r")(v) for v in vals]
    if len(set(ticks)) < len(ticks):  # two values that round alike: three decimals
        ticks = [(f"{v:.3f}".replace("0.", ".", 1) if abs(v) < 1 else f"{v:.3f}")
                 .replace("-", "\u2212") for v in vals]
    ax.set_yticks(bands["centre"].to_numpy(dtype=float))
    ax.set_yticklabels(ticks)
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("Ordering (Spearman \u03c1)\nbands not to scale")
    ax.set_xlabel("Exaggeration ln k [95% CI]\n(< 0 flattens, > 0 exaggerates)")
    format_axes(ax, x="d2")
    handles = [Line2D([], [], ls="", marker=VERDICT_STYLE[v]["marker"], ms=3.5,
                      color=VERDICT_STYLE[v]["color"], mfc=VERDICT_STYLE[v]["mfc"],
                      mec="black" if VERDICT_STYLE[v]["mfc"] != "white"
                      else VERDICT_STYLE[v]["color"], mew=0.3, label=v) for v in present]
    if has_margin:
        handles.append(Line2D([], [], color="0.55", lw=0.5, ls=":", label="calibration margin"))
    ax.legend(handles=handles, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=3, fontsize=MIN_FONT_PT, columnspacing=1.0, handletextpad=0.3,
              borderaxespad=0.2)
    fig.tight_layout(pad=0.3)
    # labels after the final layout: on the model's own row, right of its CI (left for
    # ln k < 0, or where it fits); a name where it fits, else a number explained in a key
    cand = [i for i in _label_candidates(b, int(np.sum(shown))) if shown[i]]
    names = [str(b["display_name"].iloc[i] if isinstance(b["display_name"].iloc[i], str)
                 else b["model_id"].iloc[i]) for i in cand]
    renderer = _draw(fig)
    r_px = 2.0 * fig.dpi / 72.0
    pts = ax.transData.transform(np.c_[np.where(shown, ex, 0.0), np.where(shown, y, 0.0)])
    marks = {i: Bbox([[u - r_px, v - r_px], [u + r_px, v + r_px]])
             for i, (u, v) in enumerate(pts) if shown[i]}
    taken = [quad.get_window_extent(renderer)] if quad is not None else []
    axbox = ax.get_window_extent(renderer)
    key: list[str] = []
    n_labels = 0
    for i, name in zip(cand, names, strict=True):
        if n_labels >= max_labels:
            break
        right = max(hi[i], ex[i]) if np.isfinite(hi[i]) else ex[i]
        left = min(lo[i], ex[i]) if np.isfinite(lo[i]) else ex[i]
        sides = [(right, 1), (left, -1)] if ex[i] >= 0 else [(left, -1), (right, 1)]
        for text, weight in ((name, "normal"), (str(len(key) + 1), "bold")):
            others = taken + [m for j, m in marks.items() if j != i]
            box = _fit_row_label(ax, text, weight, sides, y[i], others, axbox, renderer)
            if box is not None:
                taken.append(box)
                n_labels += 1
                if weight == "bold":
                    key.append(f"{text}: {name}")
                break
    if key:
        _add_key(fig, ax, key, renderer)
    return fig


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _fit_row_label(ax, text: str, weight: str, sides, y: float, taken, axbox, renderer):
    """Put ``text`` at height ``y`` beside the first of ``sides`` ((x, +1 right / -1
    left) in data units) where its box stays inside the axes and touches no box of
    ``taken``; return its box (display units), or None (nothing drawn)."""
    from .plotting import MIN_FONT_PT

    for x, direction in sides:
        t = ax.annotate(text, xy=(x, y), xytext=(2.0 * direction, 0), textcoords="offset points",
                        ha="left" if direction > 0 else "right", va="center",
                        fontsize=MIN_FONT_PT, fontweight=weight, zorder=6)
        box = t.get_window_extent(renderer)
        inside = (box.x0 >= axbox.x0 and box.x1 <= axbox.x1 and box.y0 >= axbox.y0
                  and box.y1 <= axbox.y1)
        if inside and not any(box.overlaps(o) for o in taken):
            return box
        t.remove()
    return None


def _add_key(fig, ax, entries: Sequence[str], renderer) -> None:
    """Numbered key below the panel, entries wrapped to the figure width; the figure
    grows downwards and the axes keep their size and place in inches (so the labels
    placed beside the points stay where they are)."""
    from .plotting import MIN_FONT_PT

    width_px = fig.bbox.width - 8 * fig.dpi / 72.0
    lines, line = [], ""
    for e in entries:
        trial = f"{line};  {e}" if line else e
        probe = fig.text(0, 0, trial, fontsize=MIN_FONT_PT)
        fits = probe.get_window_extent(renderer).width <= width_px
        probe.remove()
        if fits or not line:
            line = trial
        else:
            lines.append(line)
            line = e
    lines.append(line)
    extra = (len(lines) * 1.3 * MIN_FONT_PT + 4) / 72.0
    w, h = fig.get_size_inches()
    pos = ax.get_position()
    fig.set_size_inches(w, h + extra)
    ax.set_position([pos.x0, (pos.y0 * h + extra) / (h + extra), pos.width,
                     pos.height * h / (h + extra)])
    fig.text(4.0 / 72.0 / w, 2.0 / 72.0 / (h + extra), "\n".join(lines), ha="left",
             va="bottom", fontsize=MIN_FONT_PT, linespacing=1.3)


def plot_characteristics(fidelity: pd.DataFrame, tests: pd.DataFrame, tiers: Sequence[str],
                         fmt: str, seed: int = 0):
    """Fidelity against size (log scale), release date and tier (three panels).

    Each panel is titled with its test (Spearman rho, or Kruskal-Wallis H) and n;
    models without a value are left out (their number is printed). Tier panel:
    boxes with the models as points (deterministic horizontal jitter from ``seed``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from .plotting import DOUBLE, MIN_FONT_PT, format_axes, panel_letters, tier_style

    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)].copy()
    style = tier_style(list(tiers))
    y = pd.to_numeric(d["fidelity"], errors="coerce")
    params = pd.to_numeric(d["params_b"], errors="coerce")
    year = decimal_year(d["release_date"])
    fig, axes = plt.subplots(1, 3, figsize=(DOUBLE, 2.6), sharey=True)

    def title(pred: str, test: str) -> str:
        r = tests[(tests["predictor"] == pred) & (tests["test"] == test)]
        if not len(r) or not _finite(r["statistic"].iloc[0]):
            return "not computable"
        r = r.iloc[0]
        miss = f", {int(r['n_missing'])} left out" if r["n_missing"] else ""
        sym = "\u03c1" if test.startswith("Spearman") else "H"
        return (f"{sym} = {apa(r['statistic'], 'r' if sym != 'H' else 'd2')}, "
                f"p = {format_p(r['p']).replace('< ', '<')} (n = {int(r['n'])}{miss})")

    for t in tiers:
        sel = (d["tier"].astype(str) == t).to_numpy() & params.notna().to_numpy()
        if sel.any():
            axes[0].scatter(params[sel], y[sel], marker=style[t]["marker"], s=12,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3, label=t)
        sel2 = (d["tier"].astype(str) == t).to_numpy() & year.notna().to_numpy()
        if sel2.any():
            axes[1].scatter(year[sel2], y[sel2], marker=style[t]["marker"], s=12,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3)
    axes[0].set_xscale("log")
    axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes[0].xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_xlabel("Parameters (billions, log scale)")
    axes[0].set_ylabel("Profile fidelity")
    axes[0].set_title(title("log10(parameters)", "Spearman rho"), fontsize=MIN_FONT_PT,
                      loc="right")
    axes[1].set_xlabel("Release date (year)")
    axes[1].set_title(title("release date", "Spearman rho"), fontsize=MIN_FONT_PT, loc="right")
    axes[1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    rng = np.random.default_rng(seed)
    data, pos = [], []
    for i, t in enumerate(tiers):
        v = y[(d["tier"].astype(str) == t).to_numpy()].dropna().to_numpy()
        if v.size:
            data.append(v)
            pos.append(i)
            jit = rng.uniform(-0.15, 0.15, v.size)
            axes[2].scatter(i + jit, v, marker=style[t]["marker"], s=10,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3, zorder=3)
    if data:
        axes[2].boxplot(data, positions=pos, widths=0.5, showfliers=False,
                        medianprops={"color": "black"}, boxprops={"color": "0.4"},
                        whiskerprops={"color": "0.4"}, capprops={"color": "0.4"})
    axes[2].set_xticks(range(len(tiers)))
    axes[2].set_xticklabels(list(tiers))
    axes[2].set_xlim(-0.6, len(tiers) - 0.4)
    axes[2].set_xlabel("Capability tier")
    axes[2].set_title(title("tier", "Kruskal-Wallis H"), fontsize=MIN_FONT_PT, loc="right")
    format_axes(axes[0], y="r")
    panel_letters(axes)
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, frameon=False, fontsize=MIN_FONT_PT, loc="lower center",
                   ncol=len(handles), bbox_to_anchor=(0.5, 0.0), handletextpad=0.3)
    fig.tight_layout(rect=(0, 0.07 if handles else 0, 1, 1))
    return fig


def plot_focal_rank(positions: pd.DataFrame, human_rank: float, label: str, n_models: int,
                    n_humans: int):
    """Where the focal theme (Agency) ranks: share of models and of single humans at
    each rank position (ties shared), with the human-profile rank marked."""
    import matplotlib.pyplot as plt

    from .plotting import MIN_FONT_PT, OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.3))
    x = positions["position"].to_numpy()
    w = 0.38
    ax.bar(x - w / 2, positions["share_models"], width=w, color=OKABE_ITO[1], edgecolor="black",
           lw=0.4, hatch="///", label=f"Models (n = {n_models})")
    ax.bar(x + w / 2, positions["share_humans"], width=w, color=OKABE_ITO[0], edgecolor="black",
           lw=0.4, label=f"Single humans (n = {n_humans})")
    if _finite(human_rank):
        ax.axvline(human_rank, color="black", ls="--", lw=0.8, label="Rank in the human profile")
    ax.set_xticks(x)
    ax.set_xlabel(f"Rank of {label} (1 = most important)")
    ax.set_ylabel("Share")
    ax.set_ylim(0, 1.05)
    format_axes(ax, y="r")
    ax.legend(frameon=False, loc="upper left", fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig


def plot_respondent_level(loo_values: np.ndarray, sessions: np.ndarray, profiles: np.ndarray):
    """Empirical CDFs of fidelity: single humans (leave-one-out), single model
    sessions, and model profiles (means over sessions)."""
    import matplotlib.pyplot as plt

    from .plotting import MIN_FONT_PT, OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.4))
    series = [("Single humans (leave-one-out)", loo_values, "black", "-"),
              ("Single model sessions", sessions, OKABE_ITO[0], "--"),
              ("Model profiles", profiles, OKABE_ITO[5], ":")]
    for name, v, col, ls in series:
        v = np.sort(np.asarray(v, dtype=float)[np.isfinite(np.asarray(v, dtype=float))])
        if v.size:
            ax.step(np.r_[0, v], np.r_[0, np.arange(1, v.size + 1) / v.size], where="post",
                    color=col, ls=ls, lw=1.1, label=f"{name} (n = {v.size})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Profile fidelity")
    ax.set_ylabel("Cumulative share")
    format_axes(ax, x="r", y="r")
    ax.legend(frameon=False, loc="upper left", fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig
