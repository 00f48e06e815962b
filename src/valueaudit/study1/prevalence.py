"""Study 1 theme presence per response and coder, and theme prevalence (METHODS 4).

The coders' presence judgements are combined by a rule (:data:`RULES`; the package
docstring explains each) for prevalence and co-occurrence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..stats import wilson_ci
from .importing import CodingError

__all__ = ["RULES", "presence_table", "prevalence", "prevalence_by_coder"]

RULES = ("mean", "any", "all", "majority")


def presence_table(
    coding: pd.DataFrame, sources: pd.DataFrame, themes: Sequence[str]
) -> pd.DataFrame:
    """Theme presence per response and coder.

    ``present`` is True when the coder coded at least one segment of the response to
    a code of the theme. Every coder found in ``coding`` is taken to have coded every
    response in ``sources``.

    Returns
    -------
    DataFrame
        ``response_id, model_id, coder, theme, present``, one row per
        response x coder x theme, in source, coder (sorted) and theme order.
    """
    themes = list(themes)
    coders = sorted(coding["coder"].unique())
    if not coders:
        raise CodingError("no coders: the coding has no rows")
    unknown = sorted(set(coding["theme"]) - set(themes))
    if unknown:
        raise CodingError(f"codes map to theme(s) {unknown} that are not in the theme list")
    hit = set(zip(coding["response_id"], coding["coder"], coding["theme"], strict=True))
    rows = [(r, m, c, t, (r, c, t) in hit)
            for r, m in zip(sources["response_id"], sources["model_id"], strict=True)
            for c in coders for t in themes]
    return pd.DataFrame(rows, columns=["response_id", "model_id", "coder", "theme", "present"])


def _cube(presence: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """(array coders x responses x themes of 0/1, coders, responses, themes)."""
    coders = list(dict.fromkeys(presence["coder"]))
    responses = list(dict.fromkeys(presence["response_id"]))
    themes = list(dict.fromkeys(presence["theme"]))
    ci = pd.Index(coders).get_indexer(presence["coder"])
    ri = pd.Index(responses).get_indexer(presence["response_id"])
    ti = pd.Index(themes).get_indexer(presence["theme"])
    cube = np.zeros((len(coders), len(responses), len(themes)))
    cube[ci, ri, ti] = presence["present"].to_numpy(dtype=float)
    return cube, coders, responses, themes


def _combine(cube: np.ndarray, rule: str) -> np.ndarray:
    """responses x themes values in [0, 1] combining the coders by ``rule``."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    share = cube.mean(axis=0)
    if rule == "mean":
        return share
    if rule == "any":
        return (share > 0).astype(float)
    if rule == "all":
        return (share >= 1).astype(float)
    return (share > 0.5).astype(float)


def prevalence(
    presence: pd.DataFrame, rule: str = "mean", by: str | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Share of responses in which each theme is present, with Wilson CIs.

    ``prevalence_t = (1/N) sum_r y_rt`` where ``y_rt`` combines the coders' presence
    judgements by ``rule`` (package docstring); the ``1 - alpha`` interval is Wilson's
    score interval (Wilson, 1927) for ``count = N * prevalence`` of ``N``, via
    :func:`valueaudit.stats.wilson_ci` (statsmodels).

    Parameters
    ----------
    presence : DataFrame
        From :func:`presence_table`.
    rule : {"mean", "any", "all", "majority"}
    by : str, optional
        A column of ``presence`` (e.g. ``"model_id"``) to compute it per group.

    Returns
    -------
    DataFrame
        ``[by,] theme, n_responses, count, prevalence, ci_low, ci_high``.
    """
    cube, _, responses, themes = _cube(presence)
    y = _combine(cube, rule)
    if by is None:
        groups = {None: np.arange(len(responses))}
    else:
        key = presence.drop_duplicates("response_id").set_index("response_id")[by]
        labels = key.reindex(responses).to_numpy()
        groups = {g: np.flatnonzero(labels == g) for g in dict.fromkeys(labels)}
    rows = []
    for g, idx in groups.items():
        n = len(idx)
        count = y[idx].sum(axis=0)
        lo, hi = wilson_ci(count, np.full(len(themes), n), alpha=alpha)
        for k, t in enumerate(themes):
            row = {} if by is None else {by: g}
            row.update({"theme": t, "n_responses": n, "count": float(count[k]),
                        "prevalence": float(count[k] / n), "ci_low": float(lo[k]),
                        "ci_high": float(hi[k])})
            rows.append(row)
    return pd.DataFrame(rows)


def prevalence_by_coder(presence: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Each coder's prevalence of each theme (binomial share, Wilson CI).

    Returns
    -------
    DataFrame
        ``coder, theme, n_responses, count, prevalence, ci_low, ci_high``.
    """
    g = presence.groupby(["coder", "theme"], sort=False)["present"]
    out = pd.DataFrame({"n_responses": g.size(), "count": g.sum().astype("int64")}).reset_index()
    out["prevalence"] = out["count"] / out["n_responses"]
    lo, hi = wilson_ci(out["count"], out["n_responses"], alpha=alpha)
    out["ci_low"], out["ci_high"] = lo, hi
    return out

