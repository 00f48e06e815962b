"""Point metrics of profile fidelity and the noise-corrected between-theme SD (METHODS 6).

Profiles are vectors of theme scores on the instrument's observed scale (the means of
the items as answered, after any rounding and clipping the response format imposes).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._lazy import lazy_import

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["METRICS", "VAR_FLOOR", "profile_fidelity", "fidelity_matrix", "corrected_sd"]


#: metric names returned by :func:`profile_fidelity` and :func:`fidelity_matrix`
METRICS: tuple[str, ...] = (
    "fidelity",
    "ordering",
    "calibration",
    "exaggeration",
    "k",
    "pearson",
    "ccc",
    "d2",
    "elevation",
    "scatter",
    "shape",
)

#: a profile counts as flat when its population SD <= _REL_TOL * max |value|
_REL_TOL = 1e-12
#: floor of the noise-corrected between-theme variance, as a share of the raw variance
VAR_FLOOR = 0.01
#: metrics that need spread in both profiles
_NEED_SPREAD = ("fidelity", "ordering", "calibration", "exaggeration", "k", "pearson")


# --------------------------------------------------------------------------- helpers
def _as_profile(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} profile must be one-dimensional, got shape {a.shape}")
    return a


def _check_T(T: int) -> None:
    if T < 3:
        raise ValueError(f"profile fidelity needs T >= 3 themes, got T = {T}")


def _flat(sd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """True where a profile has no spread (SD within rounding error of 0)."""
    scale = np.max(np.abs(x), axis=-1)
    return sd <= _REL_TOL * scale


def _reason(flat_m: bool, flat_h: bool, finite: bool) -> str | None:
    if not finite:
        return "non-finite value in profile"
    if flat_m and flat_h:
        return "zero spread in model and human profiles"
    if flat_m:
        return "zero spread in model profile"
    if flat_h:
        return "zero spread in human profile"
    return None


def _calibrated_fidelity(ordering: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """calibration = min(k, 1/k), fidelity = max(ordering, 0) * calibration."""
    with np.errstate(divide="ignore", invalid="ignore"):
        calibration = np.minimum(k, 1.0 / k)
    fidelity = np.maximum(ordering, 0.0) * calibration
    return calibration, fidelity


def _rank_corr(rm: np.ndarray, rh: np.ndarray) -> np.ndarray:
    """Pearson correlation of (rank) vectors along the last axis."""
    cm = rm - rm.mean(axis=-1, keepdims=True)
    ch = rh - rh.mean(axis=-1, keepdims=True)
    num = (cm * ch).sum(axis=-1)
    den = np.sqrt((cm * cm).sum(axis=-1) * (ch * ch).sum(axis=-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(num / den, -1.0, 1.0)


# ------------------------------------------------------------------ point metrics
def _tie_round(x: np.ndarray, decimals: int = 9) -> np.ndarray:
    """Round before ranking so that theme means that are equal in exact arithmetic
    (e.g. 124/27 reached by two summation orders) tie instead of being ordered
    by floating-point noise; ties then get average ranks."""
    return np.round(np.asarray(x, dtype=float), decimals)


def profile_fidelity(model: Any, human: Any) -> dict[str, Any]:
    r"""Profile fidelity of one model profile against one human profile.

    Parameters
    ----------
    model, human : array_like, shape (T,)
        Theme profiles (mean theme scores) in the same theme order, ``T >= 3``.

    Returns
    -------
    dict
        ``fidelity, ordering, calibration, exaggeration, k, pearson, ccc, d2,
        elevation, scatter, shape`` (floats) and ``reason`` (``None`` when all
        are defined, else why some are NaN).

    Notes
    -----
    With population moments (divisor ``T``), :math:`\bar m`, :math:`s_m`,
    :math:`\bar h`, :math:`s_h` and :math:`s_{mh} = \frac1T\sum (m_t-\bar m)(h_t-\bar h)`:

    * ordering :math:`= \rho_S(m, h)`, Spearman's (1904) rho, i.e. Pearson's r of
      the average ranks (ties get the mean of their ranks); ``scipy.stats.spearmanr``.
    * :math:`k = s_m / s_h`; exaggeration :math:`= \ln k`; calibration
      :math:`= \min(k, 1/k)`; fidelity :math:`= \max(\rho_S, 0)\cdot\min(k, 1/k)`.
    * pearson :math:`= s_{mh} / (s_m s_h)`; ``scipy.stats.pearsonr``.
    * Lin's (1989) concordance correlation
      :math:`\rho_c = 2 s_{mh} / (s_m^2 + s_h^2 + (\bar m - \bar h)^2)`.
    * Cronbach and Gleser (1953): :math:`D^2 = \sum_t (m_t - h_t)^2 =`
      elevation :math:`T(\bar m-\bar h)^2` + scatter :math:`T(s_m - s_h)^2` +
      shape :math:`2T s_m s_h (1 - r)`. Shape is computed as
      :math:`2T(s_m s_h - s_{mh})`, which equals :math:`2T s_m s_h(1-r)` and stays
      defined when a profile is flat (then it is 0), so the parts always sum
      to :math:`D^2`.

    A profile with zero spread has no ordering: ordering, pearson, k,
    exaggeration, calibration and fidelity are NaN and ``reason`` says which
    profile is flat. ``d2``, ``elevation``, ``scatter`` and ``shape`` stay
    defined; ``ccc`` is defined unless both profiles are flat (0/0) and is 0
    when exactly one is flat. Non-finite input gives NaN for every metric.

    References
    ----------
    Spearman, C. (1904). American Journal of Psychology, 15, 72-101.
    Lin, L. I.-K. (1989). A concordance correlation coefficient to evaluate
    reproducibility. Biometrics, 45, 255-268.
    Cronbach, L. J., & Gleser, G. C. (1953). Assessing similarity between
    profiles. Psychological Bulletin, 50, 456-473.

    Examples
    --------
    >>> out = profile_fidelity([4, 3, 2, 1], [3, 2.5, 2, 1.5])
    >>> round(out["ordering"], 3), round(out["k"], 3), round(out["fidelity"], 3)
    (1.0, 2.0, 0.5)
    """
    m = _as_profile(model, "model")
    h = _as_profile(human, "human")
    if m.shape != h.shape:
        raise ValueError(f"model and human profiles differ in length: {m.size} vs {h.size}")
    T = m.size
    _check_T(T)
    out: dict[str, Any] = dict.fromkeys(METRICS, float("nan"))
    finite = bool(np.all(np.isfinite(m)) and np.all(np.isfinite(h)))
    if not finite:
        out["reason"] = _reason(False, False, False)
        return out
    mean_m, mean_h = float(m.mean()), float(h.mean())
    sd_m, sd_h = float(m.std(ddof=0)), float(h.std(ddof=0))
    flat_m, flat_h = bool(_flat(np.asarray(sd_m), m)), bool(_flat(np.asarray(sd_h), h))
    cov = 0.0 if (flat_m or flat_h) else float(np.mean((m - mean_m) * (h - mean_h)))

    out["d2"] = float(np.sum((m - h) ** 2))
    out["elevation"] = T * (mean_m - mean_h) ** 2
    out["scatter"] = T * (sd_m - sd_h) ** 2
    out["shape"] = 2.0 * T * (sd_m * sd_h - cov)
    den = sd_m**2 + sd_h**2 + (mean_m - mean_h) ** 2
    out["ccc"] = 2.0 * cov / den if den > 0 else float("nan")
    if not (flat_m or flat_h):
        out["ordering"] = float(sps.spearmanr(_tie_round(m), _tie_round(h)).statistic)
        out["pearson"] = float(sps.pearsonr(m, h).statistic)
        k = sd_m / sd_h
        out["k"] = k
        out["exaggeration"] = math.log(k)
        out["calibration"] = min(k, 1.0 / k)
        out["fidelity"] = max(out["ordering"], 0.0) * out["calibration"]
    out["reason"] = _reason(flat_m, flat_h, True)
    return out


def _metrics(M: np.ndarray, H: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised metrics of broadcast-compatible stacks (..., T); see profile_fidelity."""
    T = M.shape[-1]
    mean_m, mean_h = M.mean(axis=-1), H.mean(axis=-1)
    cm, ch = M - mean_m[..., None], H - mean_h[..., None]
    var_m, var_h = (cm * cm).mean(axis=-1), (ch * ch).mean(axis=-1)
    sd_m, sd_h = np.sqrt(var_m), np.sqrt(var_h)
    flat_m, flat_h = _flat(sd_m, M), _flat(sd_h, H)
    flat_m, flat_h = np.broadcast_arrays(flat_m, flat_h)
    ok = ~flat_m & ~flat_h
    cov = np.where(ok, (cm * ch).mean(axis=-1), 0.0)

    out: dict[str, np.ndarray] = {}
    out["d2"] = ((M - H) ** 2).sum(axis=-1)
    out["elevation"] = T * (mean_m - mean_h) ** 2
    out["scatter"] = T * (sd_m - sd_h) ** 2
    out["shape"] = 2.0 * T * (sd_m * sd_h - cov)
    den = var_m + var_h + (mean_m - mean_h) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ccc"] = np.where(den > 0, 2.0 * cov / den, np.nan)
        out["pearson"] = np.where(ok, np.clip(cov / (sd_m * sd_h), -1.0, 1.0), np.nan)
        k = np.where(ok, sd_m / sd_h, np.nan)
    rm = sps.rankdata(_tie_round(M), axis=-1)
    rh = sps.rankdata(_tie_round(H), axis=-1)
    out["ordering"] = np.where(ok, _rank_corr(rm, rh), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["exaggeration"] = np.log(k)
    out["k"] = k
    out["calibration"], out["fidelity"] = _calibrated_fidelity(out["ordering"], k)
    out["_flat_m"], out["_flat_h"] = flat_m, flat_h
    return out


def fidelity_matrix(M: Any, h: Any) -> dict[str, np.ndarray]:
    """Profile-fidelity metrics for stacks of profiles, without a loop over profiles.

    Parameters
    ----------
    M : array_like, shape (..., T)
        Model profiles along the last axis.
    h : array_like, shape (..., T)
        Human profile(s), broadcastable against ``M`` (e.g. one profile of
        shape ``(T,)``).

    Returns
    -------
    dict of numpy.ndarray
        Every key of :data:`METRICS` with the broadcast leading shape, plus
        ``reason``: an object array holding ``None`` where all metrics are
        defined, else the reason string (as in :func:`profile_fidelity`).

    Notes
    -----
    Same formulas and NA rules as :func:`profile_fidelity`. Spearman's rho is
    computed by ranking along the last axis with
    ``scipy.stats.rankdata(axis=-1)`` (average ranks for ties) and taking
    Pearson's r of the ranks; Pearson, Lin's CCC and the Cronbach-Gleser parts
    use population moments along the last axis. Rows with a non-finite value
    get NaN throughout with reason ``"non-finite value in profile"``.
    """
    M = np.asarray(M, dtype=float)
    H = np.asarray(h, dtype=float)
    if M.ndim == 0 or H.ndim == 0 or M.shape[-1] != H.shape[-1]:
        raise ValueError(f"profiles must share the last (theme) axis: {M.shape} vs {H.shape}")
    _check_T(M.shape[-1])
    shape = np.broadcast_shapes(M.shape, H.shape)[:-1]
    finite = np.broadcast_to(np.isfinite(M).all(axis=-1), shape) & np.broadcast_to(
        np.isfinite(H).all(axis=-1), shape
    )
    with np.errstate(invalid="ignore"):
        raw = _metrics(M, H)
    out = {key: np.where(finite, np.broadcast_to(raw[key], shape), np.nan) for key in METRICS}
    flat_m = np.broadcast_to(raw.pop("_flat_m"), shape)
    flat_h = np.broadcast_to(raw.pop("_flat_h"), shape)
    reason = np.full(shape, None, dtype=object)
    reason[flat_m & ~flat_h] = _reason(True, False, True)
    reason[flat_h & ~flat_m] = _reason(False, True, True)
    reason[flat_m & flat_h] = _reason(True, True, True)
    reason[~finite] = _reason(False, False, False)
    out["reason"] = reason
    return out


# -------------------------------------------------------- noise-corrected spread
def _profile_spread(
    W: np.ndarray | None, X: np.ndarray, bias_correct: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean profile, raw SD and (optionally noise-corrected) SD from weighted rows.

    ``X`` (..., n, T) are unit-level scores; ``W`` (..., B, n) are resample
    counts summing to n (None = the full sample, all weights 1). Returns the
    mean profiles (..., [B,] T), the population SD across themes and the SD
    used for k (corrected when ``bias_correct``).
    """
    n = X.shape[-2]
    Y = X - X.mean(axis=-1, keepdims=True)  # each unit centred over themes
    if W is None:
        M = X.mean(axis=-2)
        Ybar = Y.mean(axis=-2)
        Q = (Y * Y).mean(axis=-2) if bias_correct else None
    else:
        M = W @ X / n
        Ybar = W @ Y / n
        Q = (W @ (Y * Y)) / n if bias_correct else None
    V = (Ybar * Ybar).mean(axis=-1)  # population variance of the mean profile
    sd_raw = np.sqrt(V)
    if not bias_correct:
        return M, sd_raw, sd_raw
    s2 = np.maximum(Q - Ybar * Ybar, 0.0) * (n / (n - 1))  # per-theme sample variance
    noise = s2.mean(axis=-1) / n  # mean squared SE of the centred theme means
    Vc = np.maximum(V - noise, VAR_FLOOR * V)
    return M, sd_raw, np.sqrt(Vc)


def corrected_sd(scores: Any) -> float:
    r"""Between-theme SD of a mean profile, corrected for sampling noise.

    Parameters
    ----------
    scores : array_like, shape (n, T)
        Unit-level theme scores (sessions of one model, or respondents), n >= 2.

    Returns
    -------
    float
        :math:`\sqrt{\max(\hat V_c,\ f\,V(\bar x))}` with :math:`f` = ``VAR_FLOOR``.

    Notes
    -----
    The SD across themes of a mean profile :math:`\bar x` is inflated by the
    sampling noise of the theme means, so ``k = sd(m)/sd(h)`` is biased upward
    for a model with few or noisy sessions. Centre each unit over themes,
    :math:`y_{it} = x_{it} - \frac1T\sum_s x_{is}`; then
    :math:`\bar y_t = \bar x_t - \bar{\bar x}` and the population variance of the
    profile is :math:`V(\bar x) = \frac1T \sum_t \bar y_t^2`. Because
    :math:`E[\bar y_t^2] = (\mu_t - \bar\mu)^2 + \mathrm{Var}(\bar y_t)`,

    .. math:: \hat V_c = V(\bar x) - \frac1T \sum_t \frac{s^2_{y,t}}{n}

    (:math:`s^2_{y,t}` the sample variance, ddof 1, of :math:`y_{it}` over units)
    is unbiased for the between-theme variance of the true profile, whatever
    the covariance of the noise across themes (a unit's overall level, or the
    fixed sum of a ranking, cancel in :math:`y`). With independent noise this is
    :math:`V(\bar x) - \frac{T-1}{T}\,\overline{SE^2}`. The estimate is truncated
    at the floor ``VAR_FLOOR * V(xbar)`` (SD at least 10% of the raw SD) so that
    k stays positive.
    """
    X = np.asarray(scores, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError("scores must be a 2-D array with at least 2 rows (units x themes)")
    _check_T(X.shape[1])
    return float(_profile_spread(None, X, True)[2])


def _clean_rows(X: Any, name: str) -> np.ndarray:
    A = np.asarray(X, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (units x themes), got shape {A.shape}")
    return A[np.isfinite(A).all(axis=1)]


