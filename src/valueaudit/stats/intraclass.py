"""Intraclass correlations (McGraw & Wong, 1996; Shrout & Fleiss, 1979)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import
from ._common import _float_array

_sps = lazy_import("scipy.stats")

__all__ = ["ICC_TYPES", "icc", "icc_many"]

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

    Examples
    --------
    Shrout and Fleiss's (1979) example of six targets rated by four judges; their
    published values are .17, .29, .71, .44, .62 and .91:

    >>> from valueaudit.stats import icc
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> res = icc(x)
    >>> res["icc"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    >>> res.loc["ICC(A,1)", ["F", "df1", "df2"]].round(3).tolist()
    [11.027, 5.0, 15.0]
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
