"""Concordance of rankings: Kendall's W and the mean pairwise Spearman correlation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import lazy_import
from ._common import _float_array

_sps = lazy_import("scipy.stats")

__all__ = ["kendalls_w", "spearman_mean_pairwise"]


def _tie_term(a: np.ndarray) -> np.ndarray:
    """Per row, sum over tie groups of (t^3 - t), t = size of the group of equal values."""
    s = np.sort(a, axis=1)
    m = s.shape[0]
    start = np.ones(s.shape, dtype=bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]
    run_id = np.cumsum(start.ravel()) - 1
    t = np.bincount(run_id).astype(float)
    row_of_run = np.repeat(np.arange(m), start.sum(axis=1))
    return np.bincount(row_of_run, weights=t**3 - t, minlength=m)


def kendalls_w(x: Any, correct_ties: bool = True) -> dict[str, Any]:
    """Kendall's coefficient of concordance W with its chi-square test.

    Scores are ranked within each judge (row) with average ranks for ties. With
    ``m`` judges, ``n`` objects and rank sums ``R_j``::

        S  = sum_j (R_j - m (n + 1) / 2)^2
        W  = 12 S / (m^2 (n^3 - n) - m T),   T = sum over judges of sum (t^3 - t)
        chi2 = m (n - 1) W  on  n - 1 df

    where ``t`` are the sizes of groups of tied ranks within a judge (``T = 0`` when
    ``correct_ties`` is False). The tie-corrected chi2 is Friedman's statistic.

    Parameters
    ----------
    x : array-like, shape (m_judges, n_objects)
        Scores or ranks; any monotone scoring gives the same W.
    correct_ties : bool, default True
        Apply the tie correction (Kendall & Babington Smith, 1939; Siegel &
        Castellan, 1988).

    Returns
    -------
    dict
        ``W``, ``chi2``, ``df`` (= n - 1), ``p`` (upper tail of chi-square), plus ``m``,
        ``n`` and ``reason``: None when computed, else why W is NaN (missing values,
        fewer than 2 judges or objects, no variance within any judge). NaN results have
        ``chi2`` and ``p`` NaN as well.

    References
    ----------
    Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings. Annals of
    Mathematical Statistics, 10(3), 275-287.
    Siegel, S., & Castellan, N. J. (1988). Nonparametric statistics for the behavioral
    sciences (2nd ed.), ch. 9. McGraw-Hill.

    Examples
    --------
    Three judges ranking four objects; rank sums 4, 6, 8, 12 give S = 35 and
    W = 12 * 35 / (9 * 60) = 0.778, chi2 = 3 * 3 * W = 7 on 3 df:

    >>> from valueaudit.stats import kendalls_w
    >>> res = kendalls_w([[1, 2, 3, 4], [1, 3, 2, 4], [2, 1, 3, 4]])
    >>> round(res["W"], 3), res["chi2"], res["df"], round(res["p"], 3)
    (0.778, 7.0, 3, 0.072)
    """
    arr = _float_array(x, 2, "x")
    m, n = arr.shape
    out: dict[str, Any] = {
        "W": np.nan,
        "chi2": np.nan,
        "df": max(n - 1, 0),
        "p": np.nan,
        "m": m,
        "n": n,
        "reason": None,
    }
    if m < 2 or n < 2:
        out["reason"] = f"needs at least 2 judges and 2 objects, got {m} x {n}"
        return out
    if np.isnan(arr).any():
        out["reason"] = "missing values (NaN) in x"
        return out
    if not np.isfinite(arr).all():
        out["reason"] = "infinite values in x"
        return out
    if np.all(arr == arr[:, :1]):
        out["reason"] = "no variance: every judge gives all objects the same score"
        return out
    ranks = _sps.rankdata(arr, axis=1)
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - m * (n + 1) / 2.0) ** 2).sum())
    ties = float(_tie_term(arr).sum()) if correct_ties else 0.0
    denom = m**2 * (n**3 - n) - m * ties
    w = 12.0 * s / denom
    chi2 = m * (n - 1) * w
    out.update(W=w, chi2=chi2, p=float(_sps.chi2.sf(chi2, n - 1)))
    return out


def spearman_mean_pairwise(x: Any) -> dict[str, Any]:
    """Mean of the pairwise Spearman correlations between the rows of ``x``.

    Each row (a judge, session or model) is ranked with average ranks; rho for every
    pair of rows is the Pearson correlation of their ranks, and ``mean_rho`` is the
    arithmetic mean over the ``r (r - 1) / 2`` pairs of usable rows. Rows with a
    missing value or zero variance have no defined rho and are excluded (counted in
    ``n_excluded``). Without ties, ``mean_rho = (m W - 1) / (m - 1)`` with W the
    uncorrected Kendall's W (Kendall & Babington Smith, 1939).

    Parameters
    ----------
    x : array-like, shape (n_rows, n_objects)

    Returns
    -------
    dict
        ``mean_rho`` (NaN with fewer than 2 usable rows), ``n_pairs``, ``n_excluded``
        and ``n_rows`` (usable rows).
    """
    arr = _float_array(x, 2, "x")
    usable = np.isfinite(arr).all(axis=1)
    if arr.shape[1] > 0:
        usable &= ~np.all(arr == arr[:, :1], axis=1)
    else:
        usable[:] = False
    kept = arr[usable]
    r = kept.shape[0]
    result: dict[str, Any] = {
        "mean_rho": np.nan,
        "n_pairs": r * (r - 1) // 2,
        "n_excluded": int(arr.shape[0] - r),
        "n_rows": int(r),
    }
    if r < 2:
        return result
    ranks = _sps.rankdata(kept, axis=1)
    z = ranks - ranks.mean(axis=1, keepdims=True)
    z /= np.sqrt((z**2).sum(axis=1, keepdims=True))
    corr = z @ z.T
    iu = np.triu_indices(r, 1)
    result["mean_rho"] = float(np.clip(corr[iu], -1.0, 1.0).mean())
    return result
