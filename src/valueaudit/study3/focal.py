"""Study 3 focal theme (Agency): which theme, its rank in humans and models, and
paired tests against the other themes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import stats as vstats
from .._lazy import lazy_import

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["resolve_focal_theme", "rank_positions", "focal_theme_analysis"]


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
