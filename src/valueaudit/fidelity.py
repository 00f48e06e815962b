"""Profile fidelity of a model's value-priority profile against a human profile.

METHODS section 6 (Study 3). For a model profile ``m`` and a human profile
``h`` over the same ``T >= 3`` themes::

    ordering     = Spearman rho(m, h)              (average ranks for ties)
    k            = sd(m) / sd(h)                   (population SDs, ddof = 0)
    exaggeration = ln k                            (> 0 exaggerates, < 0 flattens)
    calibration  = min(k, 1 / k)                   (in (0, 1])
    fidelity     = max(ordering, 0) * calibration  (in [0, 1])

plus Pearson r, Lin's (1989) concordance correlation and the Cronbach and
Gleser (1953) decomposition of ``D^2 = sum (m - h)^2``.

Functions
---------
profile_fidelity
    All metrics for one pair of profiles (scipy for Spearman and Pearson).
fidelity_matrix
    The same metrics for stacks of profiles, vectorised along leading axes.
bootstrap_fidelity
    Point estimates and percentile bootstrap CIs per model, resampling humans
    and (independently) each model's sessions, vectorised over replicates.
corrected_sd
    Between-theme SD of a mean profile corrected for sampling noise.
human_noise_ceiling, leave_one_out_humans, session_level, human_percentile,
shuffled_null
    Reference points (METHODS 6) so that a reader can judge a fidelity value.

References
----------
Spearman, C. (1904). The proof and measurement of association between two
things. American Journal of Psychology, 15, 72-101.
Lin, L. I.-K. (1989). A concordance correlation coefficient to evaluate
reproducibility. Biometrics, 45, 255-268.
Cronbach, L. J., & Gleser, G. C. (1953). Assessing similarity between
profiles. Psychological Bulletin, 50, 456-473.
Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap.
Chapman & Hall (percentile interval, ch. 13).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

__all__ = [
    "METRICS",
    "profile_fidelity",
    "fidelity_matrix",
    "corrected_sd",
    "bootstrap_fidelity",
    "human_noise_ceiling",
    "leave_one_out_humans",
    "session_level",
    "human_percentile",
    "shuffled_null",
]

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


# ------------------------------------------------------------------- bootstrap
def _stream(seed: int, *key: str) -> np.random.Generator:
    """Independent generator for (seed, key): SeedSequence entropy from a SHA-256 of key."""
    words: list[int] = []
    for part in key:
        digest = hashlib.sha256(part.encode("utf-8")).digest()
        words.extend(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words]))


def _resample_counts(rng: np.random.Generator, B: int, n: int) -> np.ndarray:
    """B x n multinomial(n; 1/n, ..., 1/n) counts: how often each unit is drawn.

    Drawn as B x n uniform unit indices counted per row (one ``bincount``),
    which is exactly the multinomial count matrix of the n-out-of-n bootstrap.
    """
    idx = rng.integers(0, n, size=(B, n))
    idx += (np.arange(B) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=B * n).reshape(B, n).astype(float)


def _clean_rows(X: Any, name: str) -> np.ndarray:
    A = np.asarray(X, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (units x themes), got shape {A.shape}")
    return A[np.isfinite(A).all(axis=1)]


def _percentile_ci(vals: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the replicate axis (-1), ignoring undefined replicates."""
    defined = np.isfinite(vals).any(axis=-1)
    with np.errstate(invalid="ignore"):
        safe = np.where(defined[..., None], vals, 0.0)
        lo, hi = np.nanquantile(safe, [alpha / 2, 1 - alpha / 2], axis=-1)
    return np.where(defined, lo, np.nan), np.where(defined, hi, np.nan)


def _calibration_ci(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CI of calibration = exp(-|ln k|) mapped from the CI [lo, hi] of ln k.

    |ln k| lies in [0, max(|lo|, |hi|)] when the ln k interval contains 0, else in
    [min(|lo|, |hi|), max(|lo|, |hi|)]; calibration decreases in |ln k|. The
    interval covers whenever the ln k interval does. (A percentile interval of the
    calibration replicates would not: min(k, 1/k) has a kink at k = 1, so for a
    calibrated model every replicate lies below the true value 1.)
    """
    a, b = np.abs(lo), np.abs(hi)
    far = np.maximum(a, b)
    near = np.where((lo <= 0) & (hi >= 0), 0.0, np.minimum(a, b))
    return np.exp(-far), np.exp(-near)


def _flag(lo: float, hi: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "undetermined"
    if lo > 0:
        return "exaggerates"
    if hi < 0:
        return "flattens"
    return "calibrated"


_CI_STATS = ("fidelity", "ordering", "exaggeration", "k", "calibration")


def bootstrap_fidelity(
    model_sessions: Mapping[Any, Any] | Sequence[Any],
    human_scores: Any,
    B: int = 2000,
    seed: int = 20240601,
    alpha: float = 0.05,
    bias_correct: bool = True,
    fidelity_ci: str = "percentile",
    return_replicates: bool = False,
    chunk_elements: int = 4_000_000,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, np.ndarray]]:
    r"""Fidelity per model with percentile bootstrap CIs (vectorised over replicates).

    Parameters
    ----------
    model_sessions : mapping model_id -> array_like (n_sessions_j, T), or a sequence
        of such arrays (ids 0, 1, ...). Rows with a non-finite value are dropped.
    human_scores : array_like (n_humans, T)
        One row per human respondent (rows with non-finite values dropped).
    B : int
        Bootstrap replicates.
    seed : int
        Seed of all random draws (``numpy.random.SeedSequence``).
    alpha : float
        1 - confidence level of the intervals.
    bias_correct : bool
        Use the noise-corrected between-theme SDs of :func:`corrected_sd` for
        k, exaggeration, calibration and fidelity, in the point estimate and in
        every replicate (default True; see Notes).
    fidelity_ci : {"percentile", "product"}
        ``"percentile"`` (METHODS 6, default): percentile interval of the fidelity
        replicates. ``"product"``: ``[max(ordering_lo, 0) * calibration_lo,
        max(ordering_hi, 0) * calibration_hi]``, which covers whenever both the
        ordering and the ln k intervals cover (see Notes).
    return_replicates : bool
        Also return the replicate values (see Returns).
    chunk_elements : int
        Upper bound on B x models x sessions per batch (memory control only;
        results do not depend on it).

    Returns
    -------
    pandas.DataFrame
        One row per model, in input order: ``model_id, n_sessions, n_humans, B``;
        ``fidelity, ordering, exaggeration, k, calibration`` with ``_lo``/``_hi``
        limits; ``flag`` ("exaggerates" if the CI of ln k lies entirely above 0,
        "flattens" if entirely below, "calibrated" if it contains 0, i.e. no
        evidence of miscalibration, "undetermined" if not estimable); the plug-in
        METHODS values ``fidelity_plugin, exaggeration_plugin, k_plugin,
        calibration_plugin`` and ``pearson, ccc, d2, elevation, scatter, shape``
        (all :func:`profile_fidelity` of the full-sample mean profiles);
        ``n_boot_defined`` (replicates in which the metrics are defined; the CIs
        use those), ``bias_corrected``, ``fidelity_ci`` and ``reason``.
    dict, only if ``return_replicates``
        ``{stat: ndarray (n_models, B)}`` for fidelity, ordering, exaggeration, k
        and calibration, rows in the DataFrame's order (NaN rows for models
        without a bootstrap). Column b of every model used the same human
        resample, so differences between rows are paired contrasts.

    Notes
    -----
    Resampling: replicate b draws a multinomial count vector over the n humans
    (n-out-of-n with replacement) and, independently, one over the :math:`n_j`
    sessions of each model; the resampled profiles are :math:`W X / n` (B x n
    count matrix times n x T score matrix) for all replicates at once, and
    models with equal session counts are stacked into one 3-D batch (loops run
    over session-count groups only). Point estimates use the full-sample means.
    Intervals are percentile intervals (Efron & Tibshirani, 1993, ch. 13): the
    :math:`\alpha/2` and :math:`1-\alpha/2` quantiles (linear interpolation) of
    the replicate values. The calibration interval is mapped from the ln k
    interval (calibration :math:`= e^{-|\ln k|}`; a percentile interval of
    min(k, 1/k) cannot contain 1 and under-covers near k = 1).

    Pairing: the human resample of replicate b is shared by every model, so a
    between-model contrast taken replicate by replicate (``return_replicates``)
    carries the human sampling uncertainty once and in common, as a paired
    comparison should. Reproducibility: the human draws depend only on ``seed``;
    a model's session draws only on ``seed`` and ``str(model_id)``, so adding or
    removing a model does not change another model's results. Same inputs and
    seed give identical output.

    Bias correction: the SD of a mean profile includes sampling noise, so the
    plug-in k is biased upward (spurious "exaggerates", missed "flattens") when
    sessions are few or noisy. With ``bias_correct=True`` both SDs are replaced by
    :func:`corrected_sd` (unbiased between-theme variance, floored at
    ``VAR_FLOOR`` x raw variance) in the point estimate and in each replicate.
    In the coverage study (``tests/test_fidelity_coverage.py``, printed by
    ``scripts/bench/bench_fidelity.py``; T = 6, 10 sessions, 100 humans, 200
    replications) the corrected 95% CIs of ln k covered the truth in 0.88-0.95
    of replications in every scenario, the plug-in ones in as few as 0.72 (noisy
    sessions, flattening model), hence the default. ``ordering`` is never
    corrected (Spearman's rho of the means, as METHODS); when the per-theme
    noise of the means is comparable to the gaps between themes, rho is biased
    toward 0 and its CI under-covers (0.73 in the noisiest study scenario).

    Limitation of the METHODS percentile CI of fidelity: near k = 1 every
    replicate has calibration < 1, so fidelity is biased downward and its
    percentile CI misses a well-calibrated model's true fidelity (coverage 0.1-0.3
    in the study, 0 when the true fidelity is exactly 1). ``fidelity_ci="product"``
    covered in 0.88-0.99 of replications in all scenarios, at about 25% more width.

    A model with fewer than 2 valid sessions gets plug-in values (if its single
    profile is estimable) but NaN for corrected values and CIs, flag
    "undetermined" and a reason.
    """
    if B < 1:
        raise ValueError("B must be a positive integer")
    if fidelity_ci not in ("percentile", "product"):
        raise ValueError(f"fidelity_ci must be 'percentile' or 'product', got {fidelity_ci!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    if isinstance(model_sessions, Mapping):
        items = [
            (mid, _clean_rows(x, f"sessions of model {mid!r}")) for mid, x in model_sessions.items()
        ]
    else:
        items = [
            (j, _clean_rows(x, f"sessions of model {j}")) for j, x in enumerate(model_sessions)
        ]
    Xh = _clean_rows(human_scores, "human_scores")
    n_h, T = Xh.shape
    _check_T(T)
    if n_h < 2:
        raise ValueError("need at least 2 human respondents with complete scores")
    for mid, X in items:
        if X.shape[1] != T:
            raise ValueError(f"model {mid!r} has {X.shape[1]} themes, humans have {T}")

    # humans: one resample per replicate, shared by all models (paired)
    Wh = _resample_counts(_stream(seed, "humans"), B, n_h)
    h_pt, sdh_raw_pt, sdh_pt = _profile_spread(None, Xh, bias_correct)
    flat_h_pt = bool(_flat(sdh_raw_pt, h_pt))
    h_bs, sdh_raw_bs, sdh_bs = _profile_spread(Wh, Xh, bias_correct)
    flat_h_bs = _flat(sdh_raw_bs, h_bs)
    rank_h_bs = sps.rankdata(_tie_round(h_bs), axis=-1)

    rows: dict[int, dict[str, Any]] = {}
    groups: dict[int, list[int]] = {}
    replicates = (
        {key: np.full((len(items), B), np.nan) for key in _CI_STATS} if return_replicates else {}
    )
    for pos, (mid, X) in enumerate(items):
        n = X.shape[0]
        row: dict[str, Any] = {"model_id": mid, "n_sessions": n, "n_humans": n_h, "B": B}
        if n >= 1:
            plug = profile_fidelity(X.mean(axis=0), h_pt)
        else:
            plug = dict.fromkeys(METRICS, float("nan"))
            plug["reason"] = "no valid sessions"
        for key in ("fidelity", "exaggeration", "k", "calibration"):
            row[f"{key}_plugin"] = plug[key]
        for key in ("pearson", "ccc", "d2", "elevation", "scatter", "shape"):
            row[key] = plug[key]
        row["ordering"] = plug["ordering"]
        row["reason"] = plug["reason"]
        rows[pos] = row
        if n >= 2:
            groups.setdefault(n, []).append(pos)
        else:
            for key in _CI_STATS:
                row.setdefault(key, float("nan"))
                row[f"{key}_lo"] = row[f"{key}_hi"] = float("nan")
            if not bias_correct:
                for key in ("fidelity", "exaggeration", "k", "calibration"):
                    row[key] = plug[key]
            row["n_boot_defined"] = 0
            row["reason"] = (plug["reason"] + "; " if plug["reason"] else "") + (
                "fewer than 2 valid sessions: no bootstrap"
            )

    for n, members in sorted(groups.items()):
        step = max(1, chunk_elements // (B * n))
        for start in range(0, len(members), step):
            batch = members[start : start + step]
            S = np.stack([items[p][1] for p in batch])  # (g, n, T)
            W = np.stack(
                [_resample_counts(_stream(seed, "model", str(items[p][0])), B, n) for p in batch]
            )  # (g, B, n)
            m_pt, sdm_raw_pt, sdm_pt = _profile_spread(None, S, bias_correct)  # (g,T), (g,)
            m_bs, sdm_raw_bs, sdm_bs = _profile_spread(W, S, bias_correct)  # (g,B,T), (g,B)
            del W
            ok_bs = ~_flat(sdm_raw_bs, m_bs) & ~flat_h_bs[None, :]
            ordering_bs = np.where(
                ok_bs, _rank_corr(sps.rankdata(_tie_round(m_bs), axis=-1), rank_h_bs), np.nan
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                k_bs = np.where(ok_bs, sdm_bs / sdh_bs[None, :], np.nan)
                boot = {"ordering": ordering_bs, "k": k_bs, "exaggeration": np.log(k_bs)}
            boot["calibration"], boot["fidelity"] = _calibrated_fidelity(ordering_bs, k_bs)
            ok_pt = ~_flat(sdm_raw_pt, m_pt) & (not flat_h_pt)
            ord_pt = np.array([rows[p]["ordering"] for p in batch], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                k_pt = np.where(ok_pt, sdm_pt / sdh_pt, np.nan)
                point = {"ordering": ord_pt, "k": k_pt, "exaggeration": np.log(k_pt)}
            point["calibration"], point["fidelity"] = _calibrated_fidelity(ord_pt, k_pt)
            cis = {
                key: _percentile_ci(boot[key], alpha) for key in _CI_STATS if key != "calibration"
            }
            cis["calibration"] = _calibration_ci(*cis["exaggeration"])
            if fidelity_ci == "product":
                cis["fidelity"] = (
                    np.maximum(cis["ordering"][0], 0.0) * cis["calibration"][0],
                    np.maximum(cis["ordering"][1], 0.0) * cis["calibration"][1],
                )
            n_def = ok_bs.sum(axis=-1)
            for key, store in replicates.items():
                store[batch] = boot[key]
            for i, p in enumerate(batch):
                row = rows[p]
                for key in ("fidelity", "exaggeration", "k", "calibration"):
                    row[key] = float(point[key][i])
                for key in _CI_STATS:
                    row[f"{key}_lo"] = float(cis[key][0][i])
                    row[f"{key}_hi"] = float(cis[key][1][i])
                row["n_boot_defined"] = int(n_def[i])

    for row in rows.values():
        if not np.isfinite(row.get("fidelity", np.nan)):
            row["flag"] = "undetermined"
        else:
            row["flag"] = _flag(row["exaggeration_lo"], row["exaggeration_hi"])
        row["bias_corrected"] = bool(bias_correct)
        row["fidelity_ci"] = fidelity_ci
    columns = ["model_id", "n_sessions", "n_humans", "B"]
    for key in _CI_STATS:
        columns += [key, f"{key}_lo", f"{key}_hi"]
    columns += [
        "flag",
        "fidelity_plugin",
        "exaggeration_plugin",
        "k_plugin",
        "calibration_plugin",
        "pearson",
        "ccc",
        "d2",
        "elevation",
        "scatter",
        "shape",
        "n_boot_defined",
        "bias_corrected",
        "fidelity_ci",
        "reason",
    ]
    df = pd.DataFrame([rows[p] for p in range(len(items))], columns=columns)
    df["reason"] = pd.Series([rows[p]["reason"] for p in range(len(items))], dtype=object)
    if return_replicates:
        return df, replicates
    return df


# --------------------------------------------------------------- reference points
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
