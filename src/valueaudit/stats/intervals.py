"""Confidence intervals for proportions and bootstrap replicates, and bootstrap resamples."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._lazy import lazy_import

_proportion = lazy_import("statsmodels.stats.proportion")

__all__ = ["wilson_ci", "percentile_ci", "bootstrap_indices", "bootstrap_weights"]


def wilson_ci(count: Any, nobs: Any, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score confidence interval for a binomial proportion.

    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`` with ``p = count/nobs``
    and ``z`` the ``1 - alpha/2`` normal quantile (Wilson, 1927; Newcombe, 1998), via
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Parameters
    ----------
    count, nobs : array-like (broadcastable)
        Successes and trials; ``nobs == 0`` gives NaN limits.
    alpha : float, default 0.05

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
    """
    count_arr = np.asarray(count, dtype=float)
    nobs_arr = np.asarray(nobs, dtype=float)
    count_arr, nobs_arr = np.broadcast_arrays(count_arr, nobs_arr)
    if np.any(count_arr < 0) or np.any(count_arr > nobs_arr):
        raise ValueError("count must lie in [0, nobs]")
    ok = nobs_arr > 0
    low = np.full(count_arr.shape, np.nan)
    high = np.full(count_arr.shape, np.nan)
    if ok.any():
        lo, hi = _proportion.proportion_confint(count_arr[ok], nobs_arr[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def percentile_ci(samples: Any, alpha: float = 0.05, axis: int = 0) -> tuple[Any, Any]:
    """Percentile bootstrap confidence interval, ignoring NaN replicates.

    Returns the ``alpha/2`` and ``1 - alpha/2`` quantiles (linear interpolation, numpy
    default) of the finite replicates along ``axis`` (Efron & Tibshirani, 1993, ch. 13).
    Replicates where the statistic is undefined (NaN) are dropped, so callers should
    report how many there were; a slice without any finite replicate gives NaN.

    Parameters
    ----------
    samples : array-like
        Bootstrap replicates, replicates along ``axis``.
    alpha : float, default 0.05
    axis : int, default 0

    Returns
    -------
    (low, high)
        Floats for 1-D input, otherwise arrays without ``axis``.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    arr = np.asarray(samples, dtype=float)
    arr = np.where(np.isfinite(arr), arr, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices -> NaN
        low, high = np.nanquantile(arr, [alpha / 2.0, 1.0 - alpha / 2.0], axis=axis)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def bootstrap_indices(rng: np.random.Generator | int, n: int, B: int) -> np.ndarray:
    """``B x n`` matrix of indices drawn with replacement from ``0 .. n-1``.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        A Generator (consumed) or a seed for ``numpy.random.default_rng``.
    n, B : int
        Sample size and number of bootstrap replicates.
    """
    if n < 1 or B < 1:
        raise ValueError(f"n and B must be positive, got n={n}, B={B}")
    return np.random.default_rng(rng).integers(0, n, size=(B, n))


def bootstrap_weights(rng: np.random.Generator | int, n: int, B: int) -> np.ndarray:
    """``B x n`` float matrix of bootstrap resample counts (each row sums to ``n``).

    Row ``b`` counts how often each unit is drawn in replicate ``b``; it is the
    ``bincount`` of row ``b`` of :func:`bootstrap_indices` called with the same seed, so
    both helpers give the same replicates. A replicate mean of ``data`` (n x ...) is
    ``weights @ data / n``.
    """
    idx = bootstrap_indices(rng, n, B)
    offsets = (np.arange(B, dtype=np.int64) * n)[:, None]
    counts = np.bincount((idx + offsets).ravel(), minlength=B * n)
    return counts.reshape(B, n).astype(float)
