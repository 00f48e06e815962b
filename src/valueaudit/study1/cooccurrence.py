"""Study 1 theme co-occurrence at response level (Jaccard index; METHODS 4)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .prevalence import _combine, _cube

__all__ = ["cooccurrence"]


def _jaccard(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard matrix, joint counts) of a responses x themes 0/1 matrix."""
    both = y.T @ y
    n = np.diag(both)
    union = n[:, None] + n[None, :] - both
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, both / union, np.nan)
    return jac, both


def cooccurrence(presence: pd.DataFrame, rule: str = "mean") -> pd.DataFrame:
    """Response-level co-occurrence of themes (Jaccard index).

    ``J(a, b) = |R_a & R_b| / |R_a | R_b|``, ``R_t`` the responses where theme t is
    present (Jaccard, 1912); NaN when neither theme occurs. With ``rule="mean"`` the
    index and the counts are averaged over coders; otherwise they are computed on the
    presence combined by ``rule``.

    Returns
    -------
    DataFrame
        ``theme_a, theme_b, n_a, n_b, n_both, jaccard`` for every ordered pair
        (diagonal included: J = 1 when the theme occurs).
    """
    cube, _, _, themes = _cube(presence)
    if rule == "mean":
        parts = [_jaccard(cube[c]) for c in range(cube.shape[0])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            jac = np.nanmean(np.stack([p[0] for p in parts]), axis=0)
        both = np.mean(np.stack([p[1] for p in parts]), axis=0)
    else:
        jac, both = _jaccard(_combine(cube, rule))
    n = np.diag(both)
    rows = [{"theme_a": a, "theme_b": b, "n_a": float(n[i]), "n_b": float(n[j]),
             "n_both": float(both[i, j]), "jaccard": float(jac[i, j])}
            for i, a in enumerate(themes) for j, b in enumerate(themes)]
    return pd.DataFrame(rows)

