"""Reference points that let a reader judge a fidelity value (METHODS 6).

Human noise ceiling (random halves of the human sample), single humans against the
rest (leave-one-out), single sessions of a model, a model's percentile among humans,
and the shuffled-label null.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import
from .metrics import METRICS, _as_profile, _check_T, _clean_rows, fidelity_matrix, profile_fidelity

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = [
    "human_noise_ceiling",
    "leave_one_out_humans",
    "session_level",
    "human_percentile",
    "shuffled_null",
]


def _summary(values: np.ndarray, alpha: float) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = np.quantile(v, [alpha / 2, 1 - alpha / 2])
    return float(v.mean()), float(lo), float(hi)


def human_noise_ceiling(
    human_scores: Any, n_splits: int = 1000, seed: int = 20240601, alpha: float = 0.05
) -> dict[str, Any]:
    """Fidelity between random halves of the human sample (the human noise ceiling).

    Parameters
    ----------
    human_scores : array_like (n_humans, T)
        One row per respondent (rows with non-finite values dropped), n >= 4.
    n_splits : int
        Random splits into halves of sizes floor(n/2) and ceil(n/2).
    seed : int
        Seed of the random splits.
    alpha : float
        The interval is the central 1 - alpha share of the split values.

    Returns
    -------
    dict
        ``fidelity`` (mean over splits), ``lo``, ``hi`` (alpha/2 and 1 - alpha/2
        quantiles over splits), ``ordering`` and ``exaggeration`` (means),
        ``n_half`` (size of the smaller half), ``n_splits`` and ``values``
        (fidelity per split).

    Notes
    -----
    For each split the two half-sample mean profiles are compared with the
    plug-in :func:`profile_fidelity` metrics (fidelity is symmetric in its two
    arguments). All splits are computed at once: a split is a 0/1 membership
    matrix ``A`` (n_splits x n), half profiles are ``A X / n_A`` and
    ``(1 - A) X / n_B``. The value is the agreement between two independent
    samples of n/2 respondents; a model profile that reaches it agrees with
    the humans as well as half of the human sample does.
    """
    X = _clean_rows(human_scores, "human_scores")
    n, T = X.shape
    _check_T(T)
    if n < 4:
        raise ValueError("need at least 4 respondents to split into halves")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    n_a = n // 2
    order = np.argsort(rng.random((n_splits, n)), axis=1)
    A = np.zeros((n_splits, n))
    np.put_along_axis(A, order[:, :n_a], 1.0, axis=1)
    half_a = A @ X / n_a
    half_b = (1.0 - A) @ X / (n - n_a)
    res = fidelity_matrix(half_a, half_b)
    mean, lo, hi = _summary(res["fidelity"], alpha)
    return {
        "fidelity": mean,
        "lo": lo,
        "hi": hi,
        "ordering": float(np.nanmean(res["ordering"])),
        "exaggeration": float(np.nanmean(res["exaggeration"])),
        "n_half": n_a,
        "n_splits": int(n_splits),
        "values": res["fidelity"],
    }


def _frame(res: dict[str, np.ndarray], index: dict[str, Any]) -> pd.DataFrame:
    data = dict(index)
    data.update({key: res[key] for key in METRICS})
    df = pd.DataFrame(data)
    df["reason"] = pd.Series(res["reason"], dtype=object)
    return df


def leave_one_out_humans(human_scores: Any) -> pd.DataFrame:
    r"""Fidelity of each single respondent against the mean profile of the others.

    Parameters
    ----------
    human_scores : array_like (n_humans, T)
        One row per respondent; rows with non-finite values are dropped.

    Returns
    -------
    pandas.DataFrame
        One row per retained respondent: ``row`` (position in the input) and
        the :data:`METRICS` plus ``reason`` (e.g. a straight-lining respondent
        has zero spread and NaN fidelity).

    Notes
    -----
    Vectorised: the mean of the others is :math:`(\sum_j x_j - x_i)/(n-1)`
    for all i at once; respondent i plays the "model" role.
    """
    A = np.asarray(human_scores, dtype=float)
    if A.ndim != 2:
        raise ValueError("human_scores must be 2-D (respondents x themes)")
    keep = np.flatnonzero(np.isfinite(A).all(axis=1))
    X = A[keep]
    n = X.shape[0]
    if n < 2:
        raise ValueError("need at least 2 respondents with complete scores")
    rest = (X.sum(axis=0)[None, :] - X) / (n - 1)
    return _frame(fidelity_matrix(X, rest), {"row": keep})


def session_level(
    model_sessions: Mapping[Any, Any] | Sequence[Any] | np.ndarray, human_profile: Any
) -> pd.DataFrame:
    """Fidelity of every single session of a model against the human profile.

    Parameters
    ----------
    model_sessions : array_like (n_sessions, T), or mapping model_id -> such an
        array, or a sequence of such arrays (ids 0, 1, ...).
    human_profile : array_like (T,)
        The human (mean) profile.

    Returns
    -------
    pandas.DataFrame
        One row per session: ``model_id`` (when several models are given),
        ``session`` (row position within its model), the :data:`METRICS` and
        ``reason``. Computed with :func:`fidelity_matrix` on all sessions at
        once; this is the model-side counterpart of :func:`leave_one_out_humans`.
    """
    h = _as_profile(human_profile, "human")
    if isinstance(model_sessions, np.ndarray) and model_sessions.ndim == 2:
        X = np.asarray(model_sessions, dtype=float)
        return _frame(fidelity_matrix(X, h), {"session": np.arange(X.shape[0])})
    if isinstance(model_sessions, Mapping):
        pairs = list(model_sessions.items())
    else:
        pairs = list(enumerate(model_sessions))
    mats = [np.asarray(x, dtype=float).reshape(-1, h.size) for _, x in pairs]
    ids = (
        np.concatenate(
            [
                np.repeat(np.array([mid], dtype=object), len(x))
                for (mid, _), x in zip(pairs, mats, strict=True)
            ]
        )
        if mats
        else np.array([], dtype=object)
    )
    sess = np.concatenate([np.arange(len(x)) for x in mats]) if mats else np.array([], dtype=int)
    X = np.concatenate(mats) if mats else np.empty((0, h.size))
    return _frame(fidelity_matrix(X, h), {"model_id": ids, "session": sess})


def human_percentile(value: Any, loo_values: Any) -> float | np.ndarray:
    """Percentile (0-100) of a fidelity value among the leave-one-out human values.

    Parameters
    ----------
    value : float or array_like
        Fidelity of a model (or of its sessions).
    loo_values : array_like
        Fidelity of single humans against the rest (:func:`leave_one_out_humans`);
        NaN values (undefined respondents) are ignored.

    Returns
    -------
    float or numpy.ndarray
        ``scipy.stats.percentileofscore(loo, value, kind="mean")``: the share of
        humans below the value plus half the share equal to it, times 100. NaN
        where the value is NaN or no human value is defined.
    """
    loo = np.asarray(loo_values, dtype=float).ravel()
    loo = loo[np.isfinite(loo)]
    v = np.asarray(value, dtype=float)
    if loo.size == 0:
        out = np.full(v.shape, np.nan)
    else:
        finite = np.isfinite(v)
        out = np.full(v.shape, np.nan)
        if finite.any():
            out[finite] = sps.percentileofscore(loo, v[finite], kind="mean")
    return float(out) if out.ndim == 0 else out


def shuffled_null(
    model_profile: Any,
    human_profile: Any,
    n_perm: int = 1000,
    seed: int = 20240601,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Fidelity under random relabelling of the model's themes (the null reference).

    Parameters
    ----------
    model_profile, human_profile : array_like (T,)
    n_perm : int
        Random permutations; when ``T! <= n_perm`` all ``T!`` permutations are
        enumerated instead (exact null).
    seed : int
        Seed of the random permutations.
    alpha : float
        The interval is the central 1 - alpha share of the null values.

    Returns
    -------
    dict
        ``observed`` (fidelity of the real labelling), ``mean``, ``lo``, ``hi``
        of the null values, ``p`` (share of null values >= observed; with random
        permutations (1 + count) / (1 + n_perm)), ``exact`` (bool),
        ``n_perm`` and ``values``.

    Notes
    -----
    Permuting the theme labels keeps the model's spread, so k and calibration
    are fixed and the null fidelity is ``max(rho_perm, 0) * calibration``: how
    high a fidelity a profile with the model's calibration reaches with an
    arbitrary ordering. Computed with :func:`fidelity_matrix` on all
    permutations at once.
    """
    m = _as_profile(model_profile, "model")
    h = _as_profile(human_profile, "human")
    if m.shape != h.shape:
        raise ValueError("model and human profiles differ in length")
    T = m.size
    _check_T(T)
    observed = profile_fidelity(m, h)["fidelity"]
    exact = math.factorial(T) <= n_perm
    if exact:
        perms = np.array(list(itertools.permutations(range(T))))
    else:
        rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
        perms = np.argsort(rng.random((n_perm, T)), axis=1)
    values = fidelity_matrix(m[perms], h)["fidelity"]
    mean, lo, hi = _summary(values, alpha)
    if np.isfinite(observed):
        count = int(np.sum(values >= observed - 1e-12))
        p = count / values.size if exact else (1 + count) / (1 + values.size)
    else:
        p = float("nan")
    return {
        "observed": observed,
        "mean": mean,
        "lo": lo,
        "hi": hi,
        "p": float(p),
        "exact": bool(exact),
        "n_perm": int(values.size),
        "values": values,
    }
