"""Rank tests of repeated measures: Friedman, Wilcoxon signed-rank, Holm adjustment.

The tests come from pingouin (``friedman``, ``wilcoxon``, ``multicomp``); this module
fixes the layout (blocks in rows, treatments in columns), says when a test is
undefined (NaN results instead of an error) and reads pingouin's result columns
under both of their spellings (``W_val``/``W-val``, ``p_val``/``p-val``,
``p_unc``/``p-unc``).
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .._lazy import lazy_import

_pg = lazy_import("pingouin")

__all__ = ["PAIRWISE_COLUMNS", "friedman_test", "wilcoxon_signed_rank", "holm", "pairwise_wilcoxon"]

#: columns of :func:`pairwise_wilcoxon`
PAIRWISE_COLUMNS = ("a", "b", "mean_a", "mean_b", "mean_diff", "median_diff", "n", "W", "p",
                    "p_holm", "reject", "rbc", "cles")


def _column(row: pd.Series, *names: str) -> float:
    """The first of ``names`` present in a pingouin result row, as float."""
    for name in names:
        if name in row:
            return float(row[name])
    raise KeyError(f"none of {names} in the pingouin result")


def friedman_test(x: pd.DataFrame) -> dict[str, Any]:
    """Friedman test of differences between treatments (columns) with rows as blocks.

    ``Q = 12 / (n k (k+1)) sum_j R_j^2 - 3 n (k+1)`` on within-block ranks,
    tie-corrected, chi-square on ``k - 1`` df (Friedman, 1937), with effect size
    Kendall's ``W = Q / (n (k - 1))``; computed by ``pingouin.friedman``.

    Parameters
    ----------
    x : DataFrame, shape (n_blocks, k_treatments)
        Complete scores; the index names the blocks, the columns the treatments.

    Returns
    -------
    dict
        ``Q, df, p, W, n, k``; ``Q``, ``p`` and ``W`` are NaN with fewer than 2 blocks
        or treatments, or when every block gives all treatments the same score.

    References
    ----------
    Friedman, M. (1937). The use of ranks to avoid the assumption of normality
    implicit in the analysis of variance. JASA, 32(200), 675-701.
    """
    n, k = x.shape
    out: dict[str, Any] = {"Q": math.nan, "df": max(k - 1, 0), "p": math.nan, "W": math.nan,
                           "n": int(n), "k": int(k)}
    if n < 2 or k < 2 or np.all(x.to_numpy() == x.to_numpy()[:, :1]):
        return out
    wide = x.rename_axis(index="block", columns=None).reset_index()
    long = wide.melt(id_vars="block", var_name="treatment", value_name="score")
    long = long.astype({"block": str, "treatment": str, "score": float})
    row = _pg.friedman(long, dv="score", within="treatment", subject="block").iloc[0]
    out.update(Q=float(row["Q"]), df=int(row["ddof1"]), p=_column(row, "p_unc", "p-unc"),
               W=float(row["W"]))
    return out


def wilcoxon_signed_rank(a: Any, b: Any) -> dict[str, float]:
    """Wilcoxon signed-rank test of paired samples ``a`` and ``b``.

    The differences ``a - b`` are tested with ``pingouin.wilcoxon`` (scipy's exact
    distribution for small samples without ties, else the normal approximation;
    zero differences dropped; Wilcoxon, 1945). Effect sizes: the matched-pairs
    rank-biserial correlation ``r = (sum R+ - sum R-) / sum R`` (Kerby, 2014) and
    the common-language effect size.

    Returns
    -------
    dict
        ``W, p, rbc, cles``; all NaN with fewer than 2 pairs or when every
        difference is zero.
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = {"W": math.nan, "p": math.nan, "rbc": math.nan, "cles": math.nan}
    if len(xa) >= 2 and np.any(xa - xb != 0):
        row = _pg.wilcoxon(xa, xb).iloc[0]
        out.update(W=_column(row, "W_val", "W-val"), p=_column(row, "p_val", "p-val"),
                   rbc=float(row["RBC"]), cles=float(row["CLES"]))
    return out


def holm(p: Any, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm (1979) step-down adjustment over the finite p values.

    NaN p values (undefined tests) stay NaN, are never rejected and do not count
    in the family. Computed by ``pingouin.multicomp(method="holm")``.

    Returns
    -------
    (p_holm, reject) : tuple of numpy.ndarray (float, bool), in the order of ``p``.
    """
    p = np.asarray(p, dtype=float)
    adjusted = np.full(len(p), np.nan)
    reject = np.zeros(len(p), dtype=bool)
    ok = np.isfinite(p)
    if ok.any():
        rej, padj = _pg.multicomp(p[ok], alpha=alpha, method="holm")
        adjusted[ok] = padj
        reject[ok] = rej
    return adjusted, reject


def pairwise_wilcoxon(x: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`wilcoxon_signed_rank` for every pair of columns, Holm-adjusted.

    Parameters
    ----------
    x : DataFrame, shape (n_blocks, k_treatments)
        Paired scores, blocks in rows.
    alpha : float, default 0.05
        Family-wise level of ``reject``.

    Returns
    -------
    DataFrame
        :data:`PAIRWISE_COLUMNS`: one row per pair ``(a, b)`` of columns in column
        order (a before b), with both means, the mean and median of ``a - b``, the
        number of pairs, the test results and the Holm-adjusted p value over all
        ``k (k - 1) / 2`` pairs.
    """
    rows = []
    for a, b in combinations(list(x.columns), 2):
        xa = x[a].to_numpy(dtype=float)
        xb = x[b].to_numpy(dtype=float)
        d = xa - xb
        row = {"a": a, "b": b, "mean_a": float(xa.mean()) if len(xa) else math.nan,
               "mean_b": float(xb.mean()) if len(xb) else math.nan,
               "mean_diff": float(d.mean()) if len(d) else math.nan,
               "median_diff": float(np.median(d)) if len(d) else math.nan, "n": int(len(d))}
        row.update(wilcoxon_signed_rank(xa, xb))
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in PAIRWISE_COLUMNS if c not in ("p_holm", "reject")])
    adjusted, reject = holm(out["p"].to_numpy(dtype=float), alpha=alpha)
    out.insert(out.columns.get_loc("p") + 1, "p_holm", adjusted)
    out.insert(out.columns.get_loc("p_holm") + 1, "reject", reject)
    return out
