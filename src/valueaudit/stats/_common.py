"""Input checks and resample-weight plumbing shared by the statistics modules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _float_array(x: Any, ndim: int, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array with ``ndim`` dimensions or raise ValueError."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def _is_missing(x: np.ndarray) -> np.ndarray:
    """Element-wise missingness for numeric or object arrays (None, NaN, pd.NA)."""
    return np.asarray(pd.isna(x), dtype=bool)


def _unit_weights(unit_weights: Any, n_units: int) -> tuple[np.ndarray, bool]:
    """Validate resample weights; return a 2-D (B x n_units) float array and a 1-D flag."""
    w = np.asarray(unit_weights, dtype=float)
    one_d = w.ndim == 1
    if one_d:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != n_units:
        raise ValueError(
            f"unit_weights must have shape (B, {n_units}) or ({n_units},), got {np.shape(unit_weights)}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("unit_weights must be finite and non-negative")
    return w, one_d


def _finish(values: np.ndarray, one_d: bool) -> np.ndarray | float:
    return float(values[0]) if one_d else values
