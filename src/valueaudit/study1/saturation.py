"""Study 1 code saturation over random orders of the responses (METHODS 4)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..stats import percentile_ci

__all__ = ["saturation"]


def saturation(
    coding: pd.DataFrame,
    sources: pd.DataFrame,
    n_orders: int = 200,
    seed: int = 0,
    threshold: float = 0.95,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Code saturation: distinct codes found against responses analysed.

    For each of ``n_orders`` random orders of the responses (seeded permutations),
    ``D_o(n)`` is the number of distinct codes (any coder) among the first ``n``
    responses. The curve is the mean of ``D_o(n)`` over orders with a percentile
    ``1 - alpha`` band. The saturation point of an order is the smallest ``n`` with
    ``D_o(n) >= ceil(threshold * C)``, ``C`` the number of distinct codes in the
    corpus (Guest, Bunce & Johnson, 2006, count codes the same way). The headline
    point is where the mean curve first reaches ``threshold * C``: after that many
    responses, on average ``threshold`` of the codes have appeared.

    Returns
    -------
    curve : DataFrame
        ``n_responses, mean, low, high, share_mean`` for ``n = 1..N``
        (``share_mean = mean / C``).
    summary : dict
        ``n_codes``, ``n_responses``, ``n_orders``, ``threshold``,
        ``codes_needed`` (``ceil(threshold * C)``), ``n_at_threshold`` (first ``n``
        where the mean curve reaches ``threshold * C``),
        ``n_at_threshold_median``/``_low``/``_high`` (median and percentile interval
        of the per-order saturation points).
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    responses = list(sources["response_id"])
    codes = sorted(coding["code"].unique())
    n_r, n_codes = len(responses), len(codes)
    inc = np.zeros((n_r, n_codes), dtype=bool)
    ri = pd.Index(responses).get_indexer(coding["response_id"])
    ci = pd.Index(codes).get_indexer(coding["code"])
    inc[ri, ci] = True
    rng = np.random.default_rng(seed)
    ranks = np.empty((n_orders, n_r), dtype=np.int64)
    for o in range(n_orders):
        ranks[o, rng.permutation(n_r)] = np.arange(1, n_r + 1)
    first = np.stack([ranks[:, inc[:, c]].min(axis=1) for c in range(n_codes)], axis=1)
    curves = np.zeros((n_orders, n_r), dtype=np.int64)
    for o in range(n_orders):
        curves[o] = np.bincount(first[o], minlength=n_r + 1)[1:].cumsum()
    need = max(1, math.ceil(threshold * n_codes - 1e-9))
    points = (curves >= need).argmax(axis=1) + 1
    mean = curves.mean(axis=0)
    low, high = percentile_ci(curves, alpha=alpha, axis=0)
    curve = pd.DataFrame({"n_responses": np.arange(1, n_r + 1), "mean": mean, "low": low,
                          "high": high, "share_mean": mean / n_codes})
    plo, phi = np.quantile(points, [alpha / 2, 1 - alpha / 2])
    summary = {"n_codes": n_codes, "n_responses": n_r, "n_orders": n_orders,
               "threshold": threshold, "codes_needed": need,
               "n_at_threshold": int(np.argmax(mean >= threshold * n_codes - 1e-9) + 1),
               "n_at_threshold_median": float(np.median(points)),
               "n_at_threshold_low": float(plo), "n_at_threshold_high": float(phi)}
    return curve, summary

