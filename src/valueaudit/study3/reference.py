"""Study 3 human reference: score matrices, the human theme profile and its tests,
the sample flow and the demographics (METHODS section 6).

References
----------
Friedman, M. (1937). The use of ranks to avoid the assumption of normality. JASA, 32,
675-701. Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics
Bulletin, 1, 80-83. Holm, S. (1979). A simple sequentially rejective multiple test
procedure. Scand. J. Statist., 6, 65-70. Kerby, D. S. (2014). The simple difference
formula. Comprehensive Psychology, 3. Efron, B., & Tibshirani, R. J. (1993). An
Introduction to the Bootstrap, ch. 13.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .. import stats as vstats
from .._lazy import lazy_import
from ..instrument import FORMATS

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["unit_matrix", "model_session_matrices", "human_profile", "human_theme_tests",
           "sample_flow_table", "demographics_table"]

#: decimals to which theme scores are rounded on input (see unit_matrix)
_DECIMALS = 9


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


def model_session_matrices(scores: pd.DataFrame, themes: Sequence[str]) -> dict[str, pd.DataFrame]:
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
    from ..study2 import pairwise_theme_tests

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
    from ..survey import EXCLUSION_LABELS

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
