"""Study 2, within each model: stability of one model's answers across its sessions
(METHODS section 5).

Within each model (one response format at a time) the valid sessions are the raters:
ICC(A,1) and ICC(A,k) (McGraw & Wong, 1996; Shrout & Fleiss ICC(2,1) and ICC(2,k)) with
95% CIs, items (rating) or themes (ranking) as targets; Kendall's W across sessions
(sessions as judges, themes as objects), tie-corrected, with chi-square = m(n-1)W on n-1
df; the mean pairwise Spearman correlation between the sessions' theme profiles; parse and
refusal rates. A model with fewer valid sessions than ``min_sessions``, or without
variance, gets NA and a stated reason (column ``note``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import stats as vstats
from ..profiles import VALID, theme_scores

__all__ = ["WITHIN_COLUMNS", "session_matrices", "within_model", "within_model_table",
           "stability_summary"]

#: Columns of :func:`within_model_table` (one row per model and response format).
WITHIN_COLUMNS: tuple[str, ...] = (
    "model_id", "format", "n_sessions", "n_valid", "parse_rate", "refusal_rate", "n_targets",
    "icc_a1", "icc_a1_low", "icc_a1_high", "icc_ak", "icc_ak_low", "icc_ak_high",
    "icc_F", "icc_df1", "icc_df2", "icc_p", "w", "w_chi2", "w_df", "w_p", "mean_rho",
    "note",
)



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

