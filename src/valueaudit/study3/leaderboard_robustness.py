"""Study 3 robustness: leaderboards under alternative indices and the other response
format, with Kendall's tau-b between them.

References
----------
Kendall, M. G. (1945). The treatment of ties in ranking problems. Biometrika, 33,
239-251 (tau-b).
"""

from __future__ import annotations

import itertools
import math

import pandas as pd

from .._lazy import lazy_import
from ..instrument import FORMATS

sps = lazy_import("scipy.stats")  # imported when a test statistic is first computed

__all__ = ["robustness"]


def robustness(fidelity: pd.DataFrame, fmt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leaderboards under alternative indices and the other format; Kendall's tau-b.

    Indices (analysed models of ``fmt``; higher is better except D^2): fidelity (the
    leaderboard's), fidelity as the plug-in METHODS value (no noise correction),
    Lin's CCC, Pearson r, D^2 (ranked ascending), and fidelity in the other response
    format (models analysed in both). Kendall's tau-b (``scipy.stats.kendalltau``,
    ties corrected; Kendall, 1945) between every pair of leaderboards, on the models
    with both values, with its two-sided p.

    Returns
    -------
    (ranks, taus)
        ``ranks``: model_id and the rank under each index (1 = best);
        ``taus``: ``index_a, index_b, tau, p, n``.
    """
    other = [f for f in FORMATS if f != fmt]
    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)]
    d = d.set_index("model_id")
    ix: dict[str, pd.Series] = {
        "fidelity": pd.to_numeric(d["fidelity"], errors="coerce"),
        "fidelity (plug-in)": pd.to_numeric(d["fidelity_plugin"], errors="coerce"),
        "Lin's CCC": pd.to_numeric(d["ccc"], errors="coerce"),
        "Pearson r": pd.to_numeric(d["pearson"], errors="coerce"),
        "D2": -pd.to_numeric(d["d2"], errors="coerce"),
    }
    for o in other:
        od = fidelity[(fidelity["format"] == o) & fidelity["analysed"].astype(bool)]
        ix[f"fidelity ({o})"] = pd.to_numeric(
            od.set_index("model_id")["fidelity"], errors="coerce").reindex(d.index)
    vals = pd.DataFrame(ix, index=d.index).sort_index()
    ranks = vals.rank(ascending=False, method="min")
    ranks.insert(0, "model_id", ranks.index.astype(str))
    ranks = ranks.reset_index(drop=True)
    rows = []
    for a, b in itertools.combinations(vals.columns, 2):
        ok = vals[a].notna() & vals[b].notna()
        n = int(ok.sum())
        tau, p = math.nan, math.nan
        if n >= 3 and vals.loc[ok, a].nunique() > 1 and vals.loc[ok, b].nunique() > 1:
            r = sps.kendalltau(vals.loc[ok, a], vals.loc[ok, b])
            tau, p = float(r.statistic), float(r.pvalue)
        rows.append({"index_a": a, "index_b": b, "tau": tau, "p": p, "n": n})
    return ranks, pd.DataFrame(rows)
