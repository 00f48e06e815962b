"""Bootstrap intervals and calibration verdicts of profile fidelity (METHODS 6).

See :func:`bootstrap_fidelity` for the method; ``scripts/bench/bench_coverage.py``
measures its coverage on the stress simulator :mod:`valueaudit.stress`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import
from .metrics import (
    METRICS,
    _check_T,
    _clean_rows,
    _flat,
    _profile_spread,
    _rank_corr,
    _tie_round,
    profile_fidelity,
)

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = [
    "bootstrap_fidelity",
    "verdict",
    "VERDICTS",
    "FIDELITY_CI",
    "DEFAULT_MARGIN",
]

#: calibration verdicts (plus "undetermined" when ln k has no interval)
VERDICTS: tuple[str, ...] = ("exaggerates", "flattens", "calibrated", "inconclusive")
#: fidelity interval methods
FIDELITY_CI: tuple[str, ...] = ("joint", "product")
#: smallest spread ratio of interest: k within [1/1.25, 1.25] counts as calibrated
DEFAULT_MARGIN = 1.25
_CI_STATS = ("fidelity", "ordering", "exaggeration", "k", "calibration")
_EPS = 1e-12


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


def _rescaled(X: np.ndarray) -> np.ndarray:
    """Units moved away from their mean by sqrt(n / (n - 1)) (rescaled residuals).

    The bootstrap mean of n draws from the rescaled units has variance s^2 / n (s^2 the
    sample variance, ddof 1) instead of the plain bootstrap's (n - 1) s^2 / n^2
    (Davison & Hinkley, 1997, sec. 2.4 and 6.2.3).
    """
    n = X.shape[-2]
    mean = X.mean(axis=-2, keepdims=True)
    return mean + math.sqrt(n / (n - 1)) * (X - mean)


def _ln_sd_var(W: np.ndarray | None, X: np.ndarray, M: np.ndarray, sd: np.ndarray) -> np.ndarray:
    r"""Delta-method variance of ln sd(mean profile) from the units X (..., n, T).

    With units centred over themes :math:`y_i` and the centred mean profile
    :math:`\bar y`, :math:`d\ln sd = \bar y \cdot d\bar y / (T V)` (V = sd^2), so
    :math:`\mathrm{Var} = s^2_p / (n T^2 V^2)` with :math:`s^2_p` the sample variance
    (ddof 1) of the projections :math:`p_i = y_i \cdot \bar y`. ``W`` (..., B, n)
    are resample counts (None: the sample itself); ``M`` the mean profiles and ``sd``
    the SDs used for k, matching ``W``.
    """
    n, T = X.shape[-2], X.shape[-1]
    Y = X - X.mean(axis=-1, keepdims=True)
    Ybar = M - M.mean(axis=-1, keepdims=True)
    if W is None:
        s2 = np.einsum("...nt,...t->...n", Y, Ybar).var(axis=-1, ddof=1)
    else:
        p = np.einsum("...nt,...bt->...bn", Y, Ybar)
        pbar = (W * p).sum(axis=-1) / n
        s2 = np.maximum((W * p * p).sum(axis=-1) - n * pbar**2, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return s2 / (n * T**2 * sd**4)


def _quantiles(vals: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """alpha/2 and 1 - alpha/2 quantiles over the last axis, ignoring NaN replicates."""
    defined = np.isfinite(vals).any(axis=-1)
    with np.errstate(invalid="ignore"):
        safe = np.where(defined[..., None], vals, 0.0)
        lo, hi = np.nanquantile(safe, [alpha / 2, 1 - alpha / 2], axis=-1)
    return np.where(defined, lo, np.nan), np.where(defined, hi, np.nan)


def _calibration_ci(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image of the ln k interval [lo, hi] under calibration = exp(-|ln k|).

    |ln k| lies in [0, max(|lo|, |hi|)] when the ln k interval contains 0, else in
    [min(|lo|, |hi|), max(|lo|, |hi|)]; calibration decreases in |ln k|, so the
    interval covers whenever the ln k interval does, k = 1 included (upper limit 1).
    """
    a, b = np.abs(lo), np.abs(hi)
    far = np.maximum(a, b)
    near = np.where((lo <= 0) & (hi >= 0), 0.0, np.minimum(a, b))
    return np.exp(-far), np.exp(-near)


def verdict(lo: float, hi: float, margin: float = DEFAULT_MARGIN) -> str:
    """Calibration verdict from the interval [lo, hi] of ln k and the margin (a ratio k).

    ``calibrated``: the interval lies within [-ln margin, ln margin] (equivalence: the
    spread ratio differs from 1 by less than the smallest difference of interest).
    Otherwise ``exaggerates`` if it lies above 0, ``flattens`` if below 0, else
    ``inconclusive``; ``undetermined`` if the interval is not finite.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "undetermined"
    d = math.log(margin)
    if lo >= -d and hi <= d:
        return "calibrated"
    if lo > 0:
        return "exaggerates"
    if hi < 0:
        return "flattens"
    return "inconclusive"


def _group(
    S: np.ndarray,
    W: np.ndarray,
    hum: dict[str, Any],
    bias_correct: bool,
    boot_bias_correct: bool,
    fidelity_ci: str,
    alpha: float,
) -> dict[str, np.ndarray]:
    """Point estimates, intervals and pivot replicates of g models with n sessions each."""
    m_pt, sdm_raw_pt, sdm_pt = _profile_spread(None, S, bias_correct)  # (g,T), (g,)
    Sr = _rescaled(S)
    m_bs, sdm_raw_bs, sdm_bs = _profile_spread(W, Sr, bias_correct)  # (g,B,T)
    ok_pt = ~_flat(sdm_raw_pt, m_pt) & (not hum["flat_pt"])
    ok_bs = ~_flat(sdm_raw_bs, m_bs) & ~hum["flat_bs"][None, :] & ok_pt[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        l_hat = np.where(ok_pt, np.log(sdm_pt / hum["sd_pt"]), np.nan)
    rho_hat = np.where(ok_pt, _rank_corr(sps.rankdata(_tie_round(m_pt), axis=-1),
                                         hum["rank_pt"]), np.nan)
    rho_bs = _rank_corr(sps.rankdata(_tie_round(m_bs), axis=-1), hum["rank_bs"])
    rho_bs = np.where(ok_bs, rho_bs, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        # replicate error of ln sd(model); bootstrap world: the raw SD of the sample mean
        e_m = np.where(ok_bs, np.log(sdm_bs) - np.log(sdm_raw_pt)[:, None], np.nan)
    e_l = e_m - hum["e_h"][None, :]  # replicate error of ln k
    # studentized pivot (bootstrap-t): error over its delta-method standard error
    se_pt = np.sqrt(_ln_sd_var(None, S, m_pt, sdm_pt) + hum["var_pt"])
    se_bs = np.sqrt(_ln_sd_var(W, Sr, m_bs, sdm_bs) + hum["var_bs"][None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = e_l / se_bs * se_pt[:, None]
    # symmetric bootstrap-t: every studentized error with both signs (2B pivots)
    lk = l_hat[:, None] - np.concatenate([z, -z], axis=-1)  # pivot replicates of ln k
    e_r = rho_bs - rho_hat[:, None]
    rk = rho_hat[:, None] - e_r  # pivot replicates of ordering
    rk2 = np.concatenate([rk, rk], axis=-1)  # paired with both signs of the ln k pivot
    rho_bs2 = np.concatenate([rho_bs, rho_bs], axis=-1)

    out: dict[str, np.ndarray] = {"n_def": ok_bs.sum(axis=-1)}
    lo, hi = _quantiles(lk, alpha)
    out["exaggeration"], out["exaggeration_lo"], out["exaggeration_hi"] = l_hat, lo, hi
    with np.errstate(over="ignore"):
        out["k"], out["k_lo"], out["k_hi"] = np.exp(l_hat), np.exp(lo), np.exp(hi)
    out["calibration_lo"], out["calibration_hi"] = _calibration_ci(lo, hi)
    r_lo, r_hi = _quantiles(rk, alpha)
    p_lo, p_hi = _quantiles(rho_bs, alpha)
    r_lo, r_hi = np.fmin(r_lo, p_lo), np.fmax(r_hi, p_hi)
    out["ordering"] = rho_hat
    out["ordering_lo"], out["ordering_hi"] = np.clip(r_lo, -1, 1), np.clip(r_hi, -1, 1)

    side = np.where(l_hat >= 0, 1.0, -1.0)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        fk = np.maximum(rk2, 0.0) * np.exp(-side * lk)
        fp = np.maximum(rho_bs2, 0.0) * np.exp(-side * lk)
    prod_lo = np.maximum(out["ordering_lo"], 0.0) * out["calibration_lo"]
    prod_hi = np.maximum(out["ordering_hi"], 0.0) * out["calibration_hi"]
    if fidelity_ci == "joint":
        f_lo, f_hi = _quantiles(fk, alpha)
        f_lo = np.fmin(f_lo, _quantiles(fp, alpha)[0])
        f_hi = np.fmax(f_hi, _quantiles(fp, alpha)[1])
        f_hi = np.fmax(f_hi, prod_hi)
    else:
        f_lo, f_hi = prod_lo, prod_hi
    out["fidelity_lo"], out["fidelity_hi"] = np.clip(f_lo, 0, 1), np.clip(f_hi, 0, 1)

    cal = np.exp(-np.abs(l_hat))
    fid = np.maximum(rho_hat, 0.0) * cal
    out["calibration_uncorrected"], out["fidelity_uncorrected"] = cal, fid
    if boot_bias_correct:
        n_def = np.maximum(ok_bs.sum(axis=-1), 1)
        with np.errstate(invalid="ignore"):
            cal_b = np.where(ok_bs, np.exp(-np.abs(l_hat[:, None] + e_l)), 0.0)
            fid_b = np.where(ok_bs, np.maximum(rho_hat[:, None] + e_r, 0.0), 0.0) * cal_b
            some = ok_bs.any(axis=-1)
            cal = np.where(some, np.clip(2 * cal - cal_b.sum(axis=-1) / n_def, 0, 1), np.nan)
            fid = np.where(some, np.clip(2 * fid - fid_b.sum(axis=-1) / n_def, 0, 1), np.nan)
    out["calibration"], out["fidelity"] = cal, fid
    B = rk.shape[-1]
    out["rep_exaggeration"], out["rep_ordering"] = lk[..., :B], rk
    out["rep_k"] = np.exp(lk[..., :B])
    out["rep_calibration"] = np.exp(-np.abs(lk[..., :B]))
    out["rep_fidelity"] = np.maximum(rk, 0.0) * out["rep_calibration"]
    return out


def bootstrap_fidelity(
    model_sessions: Mapping[Any, Any] | Sequence[Any],
    human_scores: Any,
    B: int = 2000,
    seed: int = 20240601,
    alpha: float = 0.05,
    bias_correct: bool = True,
    boot_bias_correct: bool = True,
    calibration_margin: float = DEFAULT_MARGIN,
    fidelity_ci: str = "joint",
    return_replicates: bool = False,
    chunk_elements: int = 4_000_000,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, np.ndarray]]:
    r"""Fidelity per model with bootstrap 95% intervals and a calibration verdict.

    Parameters
    ----------
    model_sessions : mapping model_id -> array_like (n_sessions_j, T), or a sequence
        of such arrays (ids 0, 1, ...). Rows with a non-finite value are dropped.
    human_scores : array_like (n_humans, T)
        One row per human respondent (rows with non-finite values dropped).
    B : int
        Bootstrap replicates (config ``study3.bootstrap``).
    seed : int
        Seed of all random draws (``numpy.random.SeedSequence``).
    alpha : float
        1 - confidence level of the intervals.
    bias_correct : bool
        Noise-corrected between-theme SDs (:func:`corrected_sd`) for k, exaggeration,
        calibration and fidelity, in the estimate and in every replicate (config
        ``study3.bias_correct``).
    boot_bias_correct : bool
        Bootstrap bias correction of the calibration and fidelity point estimates
        (config ``study3.boot_bias_correct``; see Notes).
    calibration_margin : float
        Smallest difference of interest as a spread ratio (> 1): a model whose ln k
        interval lies within [-ln margin, ln margin] is "calibrated" (config
        ``study3.calibration_margin``).
    fidelity_ci : {"joint", "product"}
        ``"joint"`` (default): interval from the joint bootstrap of ordering and ln k.
        ``"product"``: ``[max(ordering_lo, 0) calibration_lo, max(ordering_hi, 0)
        calibration_hi]`` (config ``study3.fidelity_ci``).
    return_replicates : bool
        Also return the pivot replicates (see Returns).
    chunk_elements : int
        Upper bound on B x models x sessions per batch (memory only; results do not
        depend on it).

    Returns
    -------
    pandas.DataFrame
        One row per model, in input order: ``model_id, n_sessions, n_humans, B``;
        ``fidelity, ordering, exaggeration, k, calibration`` each with ``_lo`` and
        ``_hi``; ``flag`` (the verdict: exaggerates, flattens, calibrated,
        inconclusive, or undetermined when not estimable); ``fidelity_uncorrected``
        and ``calibration_uncorrected`` (before the bootstrap bias correction); the
        plug-in METHODS values ``fidelity_plugin, exaggeration_plugin, k_plugin,
        calibration_plugin`` and ``pearson, ccc, d2, elevation, scatter, shape``
        (:func:`profile_fidelity` of the full-sample mean profiles);
        ``n_boot_defined``, ``bias_corrected``, ``boot_bias_corrected``,
        ``fidelity_ci``, ``calibration_margin`` and ``reason``.
    dict, only if ``return_replicates``
        ``{stat: ndarray (n_models, B)}`` for fidelity, ordering, exaggeration, k and
        calibration: the pivot replicates whose quantiles give the intervals (NaN rows
        for models without a bootstrap). Column b of every model used the same human
        resample, so differences between rows are paired contrasts.

    Notes
    -----
    Estimand: the metrics of METHODS 6 evaluated at the expected profiles on the
    instrument's observed scale (the expected item means as answered, after rounding
    and clipping), for the model and for the human population:

    .. math:: \rho = \rho_S(m, h),\quad \ln k = \ln\frac{sd(m)}{sd(h)},\quad
              c = e^{-|\ln k|} = \min(k, 1/k),\quad f = \max(\rho, 0)\, c.

    Resampling: replicate b draws humans and, independently, each model's sessions
    with replacement (multinomial counts, all replicates at once as ``W X / n``), one
    human resample shared by all models. Units are resampled as rescaled residuals
    (moved from their mean by :math:`\sqrt{n/(n-1)}`), so that the bootstrap variance
    of a mean is :math:`s^2/n` rather than :math:`(n-1)s^2/n^2` (Davison & Hinkley,
    1997).

    Intervals are pivotal intervals: with the replicate error :math:`e^*_b =
    \hat\theta^*_b - \theta^{\dagger}`, where :math:`\theta^{\dagger}` is the quantity
    in the bootstrap world (the sample mean profiles, without the noise correction,
    which is what the corrected replicates estimate without bias), the pivot
    replicates are :math:`\hat\theta - e^*_b` and the interval is their
    :math:`\alpha/2, 1-\alpha/2` quantiles ("basic" interval, Davison & Hinkley, 1997,
    eq. 5.6). ln k uses the symmetric studentized form (bootstrap-t; Hall, 1988): the
    error is divided by its delta-method standard error in the replicate and
    multiplied by the sample's, :math:`z_b = e^*_b\,\widehat{se}/se^*_b`, and both
    :math:`\pm z_b` enter, so the interval is :math:`\ln\hat k \pm q_{1-\alpha}(|z|)`.
    Studentizing matters because a replicate's spread is smaller exactly when the
    noise-corrected SD of the sample came out large (few sessions, noise estimate
    low), which shifts a plain pivotal interval of ln k upward; it also widens the
    interval with few sessions as a t quantile would. The delta-method variance of ln
    sd is :math:`s^2_p / (n T^2 V^2)` with :math:`p_i = y_i \cdot \bar y` the projection
    of each unit's centred profile on the centred mean profile. k's interval is exp of
    ln k's; calibration's is the image of ln k's under :math:`e^{-|x|}` (upper limit 1
    when ln k's interval contains 0), so it covers at k = 1. Ordering: the union of the
    pivotal and the percentile interval (near-tied human themes make the replicate
    distribution of rho two-point; reflection alone then excludes the true order when
    the model keeps the human order, and collapses to [1, 1] when the model swaps a
    near-tied pair, whose estimate is then 1 in about half the samples). Fidelity
    (``joint``): the same union rule applied to the pivot and percentile replicates
    :math:`\max(\tilde\rho_b, 0) \exp(-s\,\tilde\ell_b)` with :math:`s` the sign of :math:`\ln\hat k`: the smooth
    branch of :math:`e^{-|x|}` on the estimate's side, so that replicates on the other
    side of k = 1 raise the upper limit instead of folding back below the truth (a
    percentile interval of :math:`\min(k, 1/k)` replicates never contains 1), with the
    upper limit raised to the ``product`` interval's when that is higher (a two-point
    ordering distribution with few themes otherwise caps it below the truth); limits
    clipped to [0, 1].

    Verdict from ln k's interval :math:`[a, b]` and :math:`d = \ln(\mathrm{margin})`:
    "calibrated" if :math:`-d \le a` and :math:`b \le d` (equivalence); else
    "exaggerates" if :math:`a > 0`, "flattens" if :math:`b < 0`, else "inconclusive".
    "Exaggerates" thus means the interval lies above 0 (and not inside the margin),
    not above the margin: a one-sided test of k <= 1 at level alpha/2, so a
    calibrated model is called "exaggerates" in at most alpha/2 of samples and a
    clearly exaggerating model is detected with the power of the interval itself;
    requiring the interval to clear the margin would test k <= margin and miss
    models with k between 1 and about margin + 2 standard errors.

    Point estimates: ordering is Spearman's rho of the mean profiles; ln k and k use
    the (noise-corrected) SDs. Calibration and fidelity are bias-corrected by the
    bootstrap when ``boot_bias_correct`` (Efron & Tibshirani, 1993, sec. 10.6):
    :math:`2\hat\theta - \overline{\theta(\hat\rho + e^\rho_b, \ln\hat k + e^\ell_b)}`,
    clipped to [0, 1]; near k = 1 the fold of :math:`e^{-|x|}` biases the plug-in
    downward, and the correction removes part of that bias.

    Reproducibility: the human draws depend only on ``seed``; a model's session draws
    only on ``seed`` and ``str(model_id)``, so adding or removing a model does not
    change another model's results.

    A model with fewer than 2 valid sessions gets plug-in values (if its single
    profile is estimable) but NaN for the estimates with intervals, flag
    "undetermined" and a reason.

    References
    ----------
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
    Cambridge University Press.
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
    Hall, P. (1988). On symmetric bootstrap confidence intervals. Journal of the Royal
    Statistical Society B, 50, 35-45.
    Lakens, D., Scheel, A. M., & Isager, P. M. (2018). Equivalence testing for
    psychological research. Advances in Methods and Practices in Psychological
    Science, 1, 259-269.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> humans = np.array([6.0, 5.5, 5.0, 4.5, 4.0]) + rng.normal(0, 1, (300, 5))
    >>> sessions = {"m": np.array([6.5, 5.75, 5.0, 4.25, 3.5]) + rng.normal(0, .2, (9, 5))}
    >>> row = bootstrap_fidelity(sessions, humans, B=500, seed=2).iloc[0]
    >>> row["flag"], bool(row["exaggeration_lo"] > 0)
    ('exaggerates', True)
    """
    if B < 1:
        raise ValueError("B must be a positive integer")
    if fidelity_ci not in FIDELITY_CI:
        raise ValueError(f"fidelity_ci must be one of {FIDELITY_CI}, got {fidelity_ci!r}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    if not calibration_margin > 1:
        raise ValueError("calibration_margin must be a spread ratio > 1")
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

    Wh = _resample_counts(_stream(seed, "humans"), B, n_h)
    h_pt, sdh_raw_pt, sdh_pt = _profile_spread(None, Xh, bias_correct)
    h_bs, sdh_raw_bs, sdh_bs = _profile_spread(Wh, _rescaled(Xh), bias_correct)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_h = np.log(sdh_bs) - np.log(sdh_raw_pt)  # replicate error of ln sd(humans)
    hum = {
        "sd_pt": sdh_pt,
        "flat_pt": bool(_flat(sdh_raw_pt, h_pt)),
        "flat_bs": _flat(sdh_raw_bs, h_bs),
        "rank_pt": sps.rankdata(_tie_round(h_pt)),
        "rank_bs": sps.rankdata(_tie_round(h_bs), axis=-1),
        "e_h": e_h,
        "var_pt": _ln_sd_var(None, Xh, h_pt, sdh_pt),
        "var_bs": _ln_sd_var(Wh, _rescaled(Xh), h_bs, sdh_bs),
    }

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
        row["reason"] = plug["reason"]
        rows[pos] = row
        if n >= 2:
            groups.setdefault(n, []).append(pos)
        else:
            for key in _CI_STATS:
                row[key] = row[f"{key}_lo"] = row[f"{key}_hi"] = float("nan")
            row["fidelity_uncorrected"] = row["calibration_uncorrected"] = float("nan")
            row["ordering"] = plug["ordering"]
            row["n_boot_defined"] = 0
            row["reason"] = (plug["reason"] + "; " if plug["reason"] else "") + (
                "fewer than 2 valid sessions: no bootstrap"
            )

    keys = [f"{key}{sfx}" for key in _CI_STATS for sfx in ("", "_lo", "_hi")]
    keys += ["fidelity_uncorrected", "calibration_uncorrected"]
    for n, members in sorted(groups.items()):
        step = max(1, chunk_elements // (B * n))
        for start in range(0, len(members), step):
            batch = members[start : start + step]
            S = np.stack([items[p][1] for p in batch])  # (g, n, T)
            W = np.stack(
                [_resample_counts(_stream(seed, "model", str(items[p][0])), B, n) for p in batch]
            )  # (g, B, n)
            res = _group(S, W, hum, bias_correct, boot_bias_correct, fidelity_ci, alpha)
            for key, store in replicates.items():
                store[batch] = res[f"rep_{key}"]
            for i, p in enumerate(batch):
                row = rows[p]
                for key in keys:
                    row[key] = float(res[key][i])
                row["n_boot_defined"] = int(res["n_def"][i])

    for row in rows.values():
        if not np.isfinite(row.get("fidelity", np.nan)):
            row["flag"] = "undetermined"
        else:
            row["flag"] = verdict(row["exaggeration_lo"], row["exaggeration_hi"],
                                  calibration_margin)
        row["bias_corrected"] = bool(bias_correct)
        row["boot_bias_corrected"] = bool(boot_bias_correct)
        row["fidelity_ci"] = fidelity_ci
        row["calibration_margin"] = float(calibration_margin)
    columns = ["model_id", "n_sessions", "n_humans", "B"]
    for key in _CI_STATS:
        columns += [key, f"{key}_lo", f"{key}_hi"]
    columns += [
        "flag",
        "fidelity_uncorrected",
        "calibration_uncorrected",
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
        "boot_bias_corrected",
        "fidelity_ci",
        "calibration_margin",
        "reason",
    ]
    df = pd.DataFrame([rows[p] for p in range(len(items))], columns=columns)
    df["reason"] = pd.Series([rows[p]["reason"] for p in range(len(items))], dtype=object)
    if return_replicates:
        return df, replicates
    return df
