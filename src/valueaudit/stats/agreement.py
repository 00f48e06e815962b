"""Chance-corrected agreement of coders: Krippendorff's alpha, Cohen's and Fleiss' kappa.

Each coefficient has a ``*_boot`` companion that evaluates it for every bootstrap
replicate from resample-count weights without materialising resampled data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import
from ._common import _finish, _is_missing, _unit_weights

_kd = lazy_import("krippendorff")
_ir = lazy_import("statsmodels.stats.inter_rater")

__all__ = [
    "krippendorff_alpha",
    "krippendorff_alpha_boot",
    "cohens_kappa",
    "cohens_kappa_boot",
    "fleiss_kappa",
    "fleiss_kappa_boot",
]

_LEVELS = ("nominal", "ordinal", "interval", "ratio")


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

    Examples
    --------
    Krippendorff's (2011) worked example, four coders and twelve units with missing
    values; the published alphas are .743 (nominal), .815 (ordinal), .849
    (interval) and .797 (ratio):

    >>> import numpy as np
    >>> from valueaudit.stats import krippendorff_alpha
    >>> n = np.nan
    >>> x = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
    ...      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
    ...      [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
    ...      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    >>> [round(krippendorff_alpha(x, level=lv), 3)
    ...  for lv in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
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

    Examples
    --------
    Two raters agree on 7 of 8 units (p_o = 0.875); their marginals (5/8 and 4/8
    "yes") give p_e = 0.5, so kappa = (0.875 - 0.5) / (1 - 0.5) = 0.75:

    >>> from valueaudit.stats import cohens_kappa
    >>> a = ["yes", "yes", "no", "no", "yes", "no", "yes", "yes"]
    >>> b = ["yes", "no", "no", "no", "yes", "no", "yes", "yes"]
    >>> cohens_kappa(a, b)
    0.75
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

    Examples
    --------
    Five subjects, three raters, three categories: P_bar = 11/15 and P_e = 1/3, so
    kappa = (11/15 - 1/3) / (1 - 1/3) = 0.6:

    >>> from valueaudit.stats import fleiss_kappa
    >>> x = [["a", "a", "a"], ["a", "b", "a"], ["b", "b", "b"],
    ...      ["c", "c", "b"], ["c", "c", "c"]]
    >>> round(fleiss_kappa(x), 3)
    0.6
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
