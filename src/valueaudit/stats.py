"""Reliability, agreement and concordance statistics (METHODS sections 4, 5 and 8).

Every function takes numpy arrays or array-likes (pandas objects work) and returns
plain Python/numpy types or pandas objects. Library implementations are used where
they exist (``krippendorff``, ``statsmodels``, ``scipy``); the module computes a
statistic itself only where a vectorised form is needed (ICC for many models at
once, bootstrap replicates from resample weights). Each such function is tested
against the library and a published worked example (``tests/test_stats.py``).

Conventions
-----------
* ``icc``: targets (rows) x raters (columns).
* ``kendalls_w`` and ``spearman_mean_pairwise``: judges (rows) x objects (columns).
* ``krippendorff_alpha``: coders (rows) x units (columns), NaN = missing.
* ``fleiss_kappa``: subjects (rows) x raters (columns) of category labels.
* Bootstrap helpers: ``bootstrap_indices`` gives a ``B x n`` index matrix and
  ``bootstrap_weights`` the matching ``B x n`` resample-count matrix, so a replicate
  mean is ``weights @ data / n``. The ``*_boot`` functions evaluate a statistic for
  every replicate from such count weights without materialising resampled data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._lazy import lazy_import

# imported on first use: a job that calls none of them (the per-model Study 1 job) does not pay
# for scipy.stats, statsmodels and krippendorff (about 0.5 s per job)
_kd = lazy_import("krippendorff")
_sps = lazy_import("scipy.stats")
_ir = lazy_import("statsmodels.stats.inter_rater")
_proportion = lazy_import("statsmodels.stats.proportion")

__all__ = [
    "ICC_TYPES",
    "icc",
    "icc_many",
    "kendalls_w",
    "krippendorff_alpha",
    "krippendorff_alpha_boot",
    "cohens_kappa",
    "cohens_kappa_boot",
    "fleiss_kappa",
    "fleiss_kappa_boot",
    "wilson_ci",
    "spearman_mean_pairwise",
    "percentile_ci",
    "bootstrap_indices",
    "bootstrap_weights",
]

#: Row labels of :func:`icc` (McGraw & Wong, 1996, naming). ICC(A,1) is Shrout &
#: Fleiss (1979) ICC(2,1) and ICC(C,1) is their ICC(3,1); likewise for the k forms.
ICC_TYPES: tuple[str, ...] = (
    "ICC(1,1)",
    "ICC(A,1)",
    "ICC(C,1)",
    "ICC(1,k)",
    "ICC(A,k)",
    "ICC(C,k)",
)
_ICC_COLUMNS = ("icc", "F", "df1", "df2", "p", "ci_low", "ci_high")
_LEVELS = ("nominal", "ordinal", "interval", "ratio")


# ----------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------
# intraclass correlation
# ----------------------------------------------------------------------------------
def _icc_core(x: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """Vectorised two-way ANOVA ICCs for a stack of matrices ``x`` (M x n x k)."""
    _, n, k = x.shape
    scale = np.max(np.abs(x), axis=(1, 2))
    grand = x.mean(axis=(1, 2))
    row_means = x.mean(axis=2)
    col_means = x.mean(axis=1)
    ss_r = k * ((row_means - grand[:, None]) ** 2).sum(axis=1)
    ss_c = n * ((col_means - grand[:, None]) ** 2).sum(axis=1)
    resid = x - row_means[:, :, None] - col_means[:, None, :] + grand[:, None, None]
    ss_e = (resid**2).sum(axis=(1, 2))
    # sums of squares that are pure floating-point noise (e.g. a constant matrix of
    # non-representable values) are set to exactly zero, so they give NaN, not junk
    tiny = (64.0 * np.finfo(float).eps * np.maximum(scale, np.finfo(float).tiny)) ** 2 * n * k
    ss_r, ss_c, ss_e = (np.where(s <= tiny, 0.0, s) for s in (ss_r, ss_c, ss_e))

    df_r, df_c, df_e, df_w = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    msr, msc, mse = ss_r / df_r, ss_c / df_c, ss_e / df_e
    msw = (ss_c + ss_e) / df_w
    q = 1.0 - alpha / 2.0
    f = _sps.f
    # an estimate whose denominator (an estimated variance sum) is not positive is
    # undefined: NaN instead of +-inf or a meaningless ratio (pingouin returns the ratio)
    tol = 1e-12 * (msr + msc + mse + msw)

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return np.where(den > tol, num / np.where(den > tol, den, 1.0), np.nan)

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        icc1 = ratio(msr - msw, msr + (k - 1) * msw)
        icc2 = ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = ratio(msr - mse, msr + (k - 1) * mse)
        icc1k = ratio(msr - msw, msr)
        icc2k = ratio(msr - mse, msr + (msc - mse) / n)
        icc3k = ratio(msr - mse, msr)
        f1 = msr / msw
        f3 = msr / mse
        p1 = f.sf(f1, df_r, df_w)
        p3 = f.sf(f3, df_r, df_e)
        # exact F-based limits (Shrout & Fleiss, 1979; McGraw & Wong, 1996, Table 7)
        f1l = f1 / f.ppf(q, df_r, df_w)
        f1u = f1 * f.ppf(q, df_w, df_r)
        f3l = f3 / f.ppf(q, df_r, df_e)
        f3u = f3 * f.ppf(q, df_e, df_r)
        # (F - 1) / (F + k - 1) written so that F = inf gives 1
        l1, u1 = 1.0 - k / (f1l + k - 1), 1.0 - k / (f1u + k - 1)
        l3, u3 = 1.0 - k / (f3l + k - 1), 1.0 - k / (f3u + k - 1)
        l1k, u1k = 1.0 - 1.0 / f1l, 1.0 - 1.0 / f1u
        l3k, u3k = 1.0 - 1.0 / f3l, 1.0 - 1.0 / f3u
        # ICC(A,1): Satterthwaite df of McGraw & Wong (1996, Table 7, case 2A), with
        # numerator and denominator multiplied by MSE^2 so that MSE = 0 is handled
        a_term = k * icc2 * msc
        b_term = (n * (1 + (k - 1) * icc2) - k * icc2) * mse
        ab = a_term + b_term
        ab = np.where(np.abs(ab) <= 1e-12 * (np.abs(a_term) + np.abs(b_term)), 0.0, ab)
        v_num = df_e * ab**2
        v_den = df_r * a_term**2 + b_term**2
        v = v_num / v_den
        # MSE = MSC = 0 (raters identical): any finite v gives the limits [1, 1]
        v = np.where((v_den == 0) & (msr > 0), float(df_e) / df_r, v)
        f2u = f.ppf(q, df_r, v)
        f2l = f.ppf(q, v, df_r)
        l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
        u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
        # Spearman-Brown maps (-1/(k-1), 1] onto (-inf, 1]; a limit at or below the
        # pole maps to -inf (pingouin's direct formula flips sign there)
        l2k = np.where(1 + l2 * (k - 1) > 0, l2 * k / (1 + l2 * (k - 1)), -np.inf)
        u2k = np.where(1 + u2 * (k - 1) > 0, u2 * k / (1 + u2 * (k - 1)), -np.inf)
        l2k, u2k = np.where(np.isnan(l2), np.nan, l2k), np.where(np.isnan(u2), np.nan, u2k)

    M = x.shape[0]
    ones = np.ones(M)
    est = np.column_stack([icc1, icc2, icc3, icc1k, icc2k, icc3k])
    undefined = np.isnan(est)
    return {
        "icc": est,
        "F": np.column_stack([f1, f3, f3, f1, f3, f3]),
        "df1": np.full((M, 6), df_r, dtype=np.int64),
        "df2": np.column_stack([df_w * ones, df_e * ones, df_e * ones] * 2).astype(np.int64),
        "p": np.column_stack([p1, p3, p3, p1, p3, p3]),
        "ci_low": np.where(undefined, np.nan, np.column_stack([l1, l2, l3, l1k, l2k, l3k])),
        "ci_high": np.where(undefined, np.nan, np.column_stack([u1, u2, u3, u1k, u2k, u3k])),
    }


def _check_icc_input(arr: np.ndarray, what: str) -> None:
    n, k = arr.shape[-2:]
    if n < 2 or k < 2:
        raise ValueError(
            f"{what} needs at least 2 targets (rows) and 2 raters (columns), got {n} x {k}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        kind = "NaN (missing)" if np.isnan(arr).any() else "infinite"
        raise ValueError(
            f"{what}: x contains {int(bad.sum())} {kind} value(s); ICC needs a complete "
            "targets x raters matrix (drop incomplete targets or raters first)"
        )


def icc(x: Any, alpha: float = 0.05) -> pd.DataFrame:
    """Intraclass correlations for a complete targets x raters matrix.

    Two-way ANOVA with ``n`` targets and ``k`` raters: mean squares for targets
    (MSR, df n-1), raters (MSC, df k-1), residual (MSE, df (n-1)(k-1)) and within
    targets (MSW, df n(k-1)). Then (McGraw & Wong, 1996, naming; S&F = Shrout &
    Fleiss, 1979)::

        ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW)                     S&F ICC(1,1)
        ICC(A,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)   S&F ICC(2,1)
        ICC(C,1) = (MSR - MSE) / (MSR + (k-1) MSE)                     S&F ICC(3,1)
        ICC(1,k) = (MSR - MSW) / MSR
        ICC(A,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n)
        ICC(C,k) = (MSR - MSE) / MSR

    F tests of ICC = 0: F = MSR/MSW on (n-1, n(k-1)) df for the one-way forms and
    F = MSR/MSE on (n-1, (n-1)(k-1)) df for the A and C forms. Confidence limits are
    the exact F-based limits for the one-way and consistency forms and the
    Satterthwaite approximation for absolute agreement (McGraw & Wong, 1996, Table 7).
    The numbers equal ``pingouin.intraclass_corr`` (ICC1..ICC3k), except that an
    estimate whose denominator is not positive (possible in degenerate tiny samples,
    e.g. MSR = 0) is reported as NaN, with NaN limits, rather than as +-inf or a
    meaningless ratio, and an ICC(A,k) limit is -inf where the ICC(A,1) limit lies at or
    below -1/(k-1), the pole of the Spearman-Brown step.

    Parameters
    ----------
    x : array-like, shape (n_targets, n_raters)
        Ratings, targets in rows and raters in columns. No missing values.
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha`` (95% by default).

    Returns
    -------
    pandas.DataFrame
        Indexed by :data:`ICC_TYPES`; columns ``icc, F, df1, df2, p, ci_low, ci_high``.
        A matrix without variance gives NaN (no warning); identical raters give 1.

    Raises
    ------
    ValueError
        If ``x`` is not 2-D, has NaN or infinite values, or fewer than 2 targets or raters.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing
    rater reliability. Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
    correlation coefficients. Psychological Methods, 1(1), 30-46.
    """
    arr = _float_array(x, 2, "x")
    _check_icc_input(arr, "icc")
    res = _icc_core(arr[None], alpha)
    frame = pd.DataFrame(
        {c: res[c][0] for c in _ICC_COLUMNS}, index=pd.Index(ICC_TYPES, name="type")
    )
    return frame


def icc_many(x3d: Any, names: Sequence[Any] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`icc` for a stack of equally shaped matrices in one vectorised pass.

    Parameters
    ----------
    x3d : array-like, shape (n_models, n_targets, n_raters)
        One complete targets x raters matrix per model.
    names : sequence, optional
        Labels for the first axis (default ``0 .. n_models-1``).
    alpha : float, default 0.05
        Confidence level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        Long table with a MultiIndex (``model``, ``type``) and the columns of :func:`icc`;
        ``icc_many(x3d).loc[name]`` equals ``icc(x3d[i])``.

    Raises
    ------
    ValueError
        If any matrix has NaN/infinite values (the offending models are named) or
        fewer than 2 targets or raters.
    """
    arr = _float_array(x3d, 3, "x3d")
    labels = list(range(arr.shape[0])) if names is None else list(names)
    if len(labels) != arr.shape[0]:
        raise ValueError(f"names has {len(labels)} labels for {arr.shape[0]} matrices")
    bad = ~np.isfinite(arr).all(axis=(1, 2))
    if bad.any():
        which = [labels[i] for i in np.flatnonzero(bad)]
        raise ValueError(f"icc_many: missing or infinite values in the matrices of {which}")
    _check_icc_input(arr, "icc_many")
    if arr.shape[0] == 0:
        empty = pd.MultiIndex.from_arrays([[], []], names=["model", "type"])
        return pd.DataFrame({c: [] for c in _ICC_COLUMNS}, index=empty)
    res = _icc_core(arr, alpha)
    index = pd.MultiIndex.from_product([labels, ICC_TYPES], names=["model", "type"])
    return pd.DataFrame({c: res[c].reshape(-1) for c in _ICC_COLUMNS}, index=index)


# ----------------------------------------------------------------------------------
# Kendall's W and Spearman
# ----------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------
# Krippendorff's alpha
# ----------------------------------------------------------------------------------
def _coded_units(x: Any, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (values, counts): sorted distinct values and a units x values count matrix."""
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {_LEVELS}, got {level!r}")
    raw = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if raw.ndim != 2:
        raise ValueError(f"x must be 2-D (coders x units), got shape {np.shape(x)}")
    if raw.shape[0] < 2:
        raise ValueError(f"x needs at least 2 coders (rows), got {raw.shape[0]}")
    missing = _is_missing(raw)
    try:
        numeric = np.where(missing, np.nan, raw).astype(float)
        if not np.isfinite(numeric[~missing]).all():
            raise ValueError("x contains infinite values") from None
        values = np.unique(numeric[~missing])
        codes = np.searchsorted(values, np.where(missing, 0.0, numeric))
    except (TypeError, ValueError) as exc:
        if "infinite" in str(exc):
            raise
        if level != "nominal":
            raise ValueError(
                f"non-numeric labels only support level='nominal', not {level!r}"
            ) from None
        flat, values = pd.factorize(pd.Series(raw[~missing].astype(str)), sort=True)
        codes = np.zeros(raw.shape, dtype=np.int64)
        codes[~missing] = flat
        values = np.arange(len(values), dtype=float)
    n_values = max(len(values), 1)
    counts = np.zeros((raw.shape[1], n_values), dtype=np.int64)
    unit_idx = np.broadcast_to(np.arange(raw.shape[1]), raw.shape)
    np.add.at(counts, (unit_idx[~missing], np.asarray(codes)[~missing]), 1)
    return np.asarray(values, dtype=float), counts


def _delta2(level: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Squared difference function delta^2(c, k), broadcast over leading replicate axes."""
    c, k = values[:, None], values[None, :]
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(len(values)), n_c.shape[:-1] + (len(values),) * 2)
    if level == "interval":
        return np.broadcast_to((c - k) ** 2, n_c.shape[:-1] + (len(values),) * 2)
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(c + k == 0, 0.0, ((c - k) / (c + k)) ** 2)
        return np.broadcast_to(d, n_c.shape[:-1] + (len(values),) * 2)
    # ordinal: (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 using the marginal value counts
    cum = np.cumsum(n_c, axis=-1)
    diff = cum[..., None, :] - cum[..., :, None] + (n_c[..., :, None] - n_c[..., None, :]) / 2.0
    return diff**2


def krippendorff_alpha(x: Any, level: str = "nominal") -> float:
    """Krippendorff's alpha for a coders x units matrix (NaN = missing).

    ``alpha = 1 - D_o / D_e``: observed over expected disagreement computed from the
    coincidence matrix of pairable values with the difference function of ``level``
    (Krippendorff, 2011). Thin wrapper of :func:`krippendorff.alpha`.

    Parameters
    ----------
    x : array-like, shape (n_coders, n_units)
        Codes; NaN/None marks a missing value. Non-numeric labels need ``nominal``.
    level : {"nominal", "ordinal", "interval", "ratio"}

    Returns
    -------
    float
        Alpha; NaN when it is undefined (no unit coded by 2 or more coders, or only one
        distinct value among pairable values, so that ``D_e = 0``).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
    School for Communication, University of Pennsylvania.
    """
    values, counts = _coded_units(x, level)
    pairable = counts.sum(axis=1) >= 2
    if not pairable.any() or np.count_nonzero(counts[pairable].sum(axis=0)) < 2:
        return float("nan")
    # value_counts (units x values) is the package's native input; values give the
    # domain (their numeric positions matter for interval and ratio)
    return float(
        _kd.alpha(value_counts=counts[pairable], value_domain=values, level_of_measurement=level)
    )


def krippendorff_alpha_boot(
    x: Any, unit_weights: Any, level: str = "nominal"
) -> np.ndarray | float:
    """Krippendorff's alpha for bootstrap replicates given as unit resample counts.

    The coincidence matrix is a sum of per-unit contributions
    ``o_ck = sum_u w_u * n_uc (n_uk - [c == k]) / (m_u - 1)`` over pairable units
    (``m_u >= 2`` values), so a replicate that draws unit ``u`` ``w_u`` times has the
    coincidences ``W @ contributions``. Then (Krippendorff, 2011)::

        n_c = sum_k o_ck,   n = sum_c n_c
        alpha = 1 - (n - 1) sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck

    With all weights 1 this equals :func:`krippendorff_alpha`; row ``b`` equals
    ``krippendorff_alpha(x[:, idx_b])`` for the units drawn in replicate ``b``. To
    resample clusters of units (e.g. responses that each contribute one unit per
    theme) pass ``cluster_weights[:, cluster_of_unit]``.

    Parameters
    ----------
    x : array-like, shape (n_coders, n_units)
        As for :func:`krippendorff_alpha`.
    unit_weights : array-like, shape (B, n_units) or (n_units,)
        Non-negative resample counts, e.g. from :func:`bootstrap_weights`.
    level : {"nominal", "ordinal", "interval", "ratio"}

    Returns
    -------
    numpy.ndarray of shape (B,), or float for 1-D weights
        NaN for replicates where alpha is undefined.
    """
    values, counts = _coded_units(x, level)
    w, one_d = _unit_weights(unit_weights, counts.shape[0])
    m_u = counts.sum(axis=1)
    n_vals = counts.shape[1]
    # exact integer sums per group of units with equal m_u, scaled afterwards, so the
    # result does not depend on summation order (byte-identical across BLAS builds)
    pair = (counts[:, :, None] * counts[:, None, :]).reshape(len(m_u), -1)
    pair -= np.einsum("uc,ck->uck", counts, np.eye(n_vals, dtype=np.int64)).reshape(len(m_u), -1)
    o = np.zeros((w.shape[0], n_vals * n_vals))
    for mu in np.unique(m_u[m_u >= 2]):
        sel = m_u == mu
        o += (w[:, sel] @ pair[sel].astype(float)) / (mu - 1)
    o = o.reshape(-1, n_vals, n_vals)
    n_c = o.sum(axis=2)
    n_tot = n_c.sum(axis=1)
    d2 = _delta2(level, values, n_c)
    observed = (o * d2).sum(axis=(1, 2))
    expected = np.einsum("bc,bk,bck->b", n_c, n_c, d2)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n_tot - 1.0) * observed / expected
    alpha = np.where((expected > 0) & (n_tot > 1), alpha, np.nan)
    return _finish(alpha, one_d)


# ----------------------------------------------------------------------------------
# kappas
# ----------------------------------------------------------------------------------
def _kappa_pairs(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of complete (a, b) pairs over the sorted union of categories."""
    a_arr, b_arr = np.asarray(a, dtype=object).ravel(), np.asarray(b, dtype=object).ravel()
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must have the same length, got {a_arr.size} and {b_arr.size}")
    keep = ~(_is_missing(a_arr) | _is_missing(b_arr))
    a_arr, b_arr = a_arr[keep], b_arr[keep]
    if a_arr.size == 0:
        raise ValueError("no complete (a, b) pairs to compare")
    both = np.concatenate([a_arr, b_arr])
    try:
        cats = np.unique(both.astype(float))
        ia = np.searchsorted(cats, a_arr.astype(float))
        ib = np.searchsorted(cats, b_arr.astype(float))
    except (TypeError, ValueError):
        codes, cats = pd.factorize(pd.Series(both.astype(str)), sort=True)
        ia, ib = codes[: a_arr.size], codes[a_arr.size :]
    return np.asarray(ia), np.asarray(ib), len(cats)


def _check_kappa_weights(weights: str | None) -> None:
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")


def _kappa_from_tables(tables: np.ndarray, weights: str | None) -> np.ndarray:
    """Cohen's kappa for a stack of C x C contingency tables (B x C x C)."""
    n_cat = tables.shape[-1]
    idx = np.arange(n_cat, dtype=float)
    if weights is None:
        dis = 1.0 - np.eye(n_cat)
    elif weights == "linear":
        dis = np.abs(idx[:, None] - idx[None, :])
    else:
        dis = (idx[:, None] - idx[None, :]) ** 2
    total = tables.sum(axis=(1, 2))
    rows, cols = tables.sum(axis=2), tables.sum(axis=1)
    observed = np.einsum("bck,ck->b", tables, dis)
    expected = np.einsum("bc,bk,ck->b", rows, cols, dis)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = 1.0 - total * observed / expected
    return np.where((expected > 0) & (total > 0), kappa, np.nan)


def cohens_kappa(a: Any, b: Any, weights: str | None = None) -> float:
    """Cohen's kappa between two raters, optionally weighted.

    With ``p_ij`` the proportion of units rated i by ``a`` and j by ``b`` and
    disagreement weights ``v_ij`` (0 on the diagonal)::

        kappa = 1 - sum v_ij p_ij / sum v_ij p_i. p_.j

    ``v_ij = 1`` off the diagonal (unweighted, Cohen 1960), ``|i - j|`` (linear) or
    ``(i - j)^2`` (quadratic, Cohen 1968), with i, j the positions of the categories in
    the sorted union of observed labels. Computed by
    :func:`statsmodels.stats.inter_rater.cohens_kappa`.

    Parameters
    ----------
    a, b : array-like, same length
        Labels of the two raters; pairs with a missing label are dropped.
    weights : {None, "linear", "quadratic"}

    Returns
    -------
    float
        Kappa; NaN when undefined (both raters use one and the same category).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20, 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    """
    _check_kappa_weights(weights)
    ia, ib, n_cat = _kappa_pairs(a, b)
    if n_cat < 2:
        return float("nan")
    table = np.zeros((n_cat, n_cat))
    np.add.at(table, (ia, ib), 1.0)
    if weights is None:
        return float(_ir.cohens_kappa(table, return_results=False))
    return float(_ir.cohens_kappa(table, wt=weights, return_results=False))


def cohens_kappa_boot(
    a: Any, b: Any, unit_weights: Any, weights: str | None = None
) -> np.ndarray | float:
    """Cohen's kappa for bootstrap replicates given as unit resample counts.

    The replicate contingency table is ``sum_u w_u e_(a_u, b_u)``; kappa is then
    computed as in :func:`cohens_kappa` (same categories, so same weights). Row ``b``
    equals ``cohens_kappa(a[idx_b], b[idx_b])`` whenever the replicate still contains
    every category of the full sample (otherwise the linear/quadratic spacing can
    differ, since it is fixed here by the full sample's categories).

    Parameters
    ----------
    a, b : array-like, same length (complete pairs only are used)
    unit_weights : array-like, shape (B, n_pairs) or (n_pairs,)
        Resample counts over the complete pairs, in their original order.
    weights : {None, "linear", "quadratic"}

    Returns
    -------
    numpy.ndarray of shape (B,), or float for 1-D weights
    """
    _check_kappa_weights(weights)
    ia, ib, n_cat = _kappa_pairs(a, b)
    w, one_d = _unit_weights(unit_weights, ia.size)
    if n_cat < 2:
        return _finish(np.full(w.shape[0], np.nan), one_d)
    onehot = np.zeros((ia.size, n_cat * n_cat))
    onehot[np.arange(ia.size), ia * n_cat + ib] = 1.0
    tables = (w @ onehot).reshape(-1, n_cat, n_cat)
    return _finish(_kappa_from_tables(tables, weights), one_d)


def _fleiss_counts(x: Any) -> np.ndarray:
    raw = np.asarray(x, dtype=object)
    if raw.ndim != 2:
        raise ValueError(f"x must be 2-D (subjects x raters), got shape {raw.shape}")
    if raw.shape[0] < 1 or raw.shape[1] < 2:
        raise ValueError(f"x needs at least 1 subject and 2 raters, got {raw.shape}")
    missing = _is_missing(raw)
    if missing.any():
        raise ValueError(
            f"x has {int(missing.sum())} missing rating(s); Fleiss' kappa needs every subject "
            "rated by all raters (drop incomplete subjects, or use krippendorff_alpha)"
        )
    try:
        labels = raw.astype(float)
    except (TypeError, ValueError):
        labels = raw.astype(str)
    counts, _ = _ir.aggregate_raters(labels, n_cat=None)
    return np.asarray(counts)


def fleiss_kappa(x: Any) -> float:
    """Fleiss' kappa for a subjects x raters matrix of category labels.

    With ``N`` subjects, ``m`` ratings per subject and ``n_ij`` raters putting subject i
    in category j (Fleiss, 1971)::

        P_i = (sum_j n_ij^2 - m) / (m (m - 1)),   P_bar = mean_i P_i
        p_j = sum_i n_ij / (N m),                 P_e = sum_j p_j^2
        kappa = (P_bar - P_e) / (1 - P_e)

    Computed by ``statsmodels.stats.inter_rater.aggregate_raters`` and
    ``fleiss_kappa(method="fleiss")``.

    Parameters
    ----------
    x : array-like, shape (n_subjects, n_raters)
        Category labels; every subject must be rated by every rater.

    Returns
    -------
    float
        Kappa; NaN when undefined (all ratings in one category).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    Psychological Bulletin, 76(5), 378-382.
    """
    counts = _fleiss_counts(x)
    if np.count_nonzero(counts.sum(axis=0)) < 2:
        return float("nan")
    return float(_ir.fleiss_kappa(counts, method="fleiss"))


def fleiss_kappa_boot(x: Any, unit_weights: Any) -> np.ndarray | float:
    """Fleiss' kappa for bootstrap replicates given as subject resample counts.

    ``P_bar`` and ``p_j`` of :func:`fleiss_kappa` become weighted means over subjects
    with weights ``w_i``; row ``b`` equals ``fleiss_kappa(x[idx_b])``.

    Parameters
    ----------
    x : array-like, shape (n_subjects, n_raters)
    unit_weights : array-like, shape (B, n_subjects) or (n_subjects,)

    Returns
    -------
    numpy.ndarray of shape (B,), or float for 1-D weights
    """
    counts = _fleiss_counts(x)
    w, one_d = _unit_weights(unit_weights, counts.shape[0])
    m = counts[0].sum()
    agree = ((counts**2).sum(axis=1) - m).astype(float)  # integer per subject: exact sums
    total_w = w.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_bar = (w @ agree) / (m * (m - 1) * total_w)
        p_j = (w @ counts.astype(float)) / (m * total_w[:, None])
        p_e = (p_j**2).sum(axis=1)
        kappa = (p_bar - p_e) / (1.0 - p_e)
    kappa = np.where((total_w > 0) & (p_e < 1.0), kappa, np.nan)
    return _finish(kappa, one_d)


# ----------------------------------------------------------------------------------
# proportions and bootstrap helpers
# ----------------------------------------------------------------------------------
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
