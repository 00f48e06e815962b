"""Study 1 codebook summary: codes, coded segments and a reproducible exemplar per theme."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["codebook_table"]


def codebook_table(
    codebook: pd.DataFrame, themes: pd.DataFrame, coding: pd.DataFrame, seed: int = 0
) -> pd.DataFrame:
    """Codebook summary: theme, definition, codes, coded segments and an exemplar quote.

    ``segments`` counts coded segments (one per coder and code). The exemplar is drawn
    reproducibly: among the segments of the theme that the largest number of coders
    coded to it (all coders, where any), sorted by response, start and end, one is
    picked by a ``numpy`` Generator seeded with ``seed``.

    Parameters
    ----------
    codebook : DataFrame
        ``code, theme``.
    themes : DataFrame
        ``theme, label, definition`` in instrument order.

    Returns
    -------
    DataFrame
        ``theme, label, definition, codes, n_codes, segments, exemplar,
        exemplar_response_id`` in theme order; ``codes`` lists each code with its
        segment count, e.g. ``accuracy (12); reliability (3)``.
    """
    rng = np.random.default_rng(seed)
    per_code = coding.groupby("code").size()
    rows = []
    for t, label, definition in zip(themes["theme"], themes["label"], themes["definition"],
                                    strict=True):
        codes = [str(c) for c in codebook.loc[codebook["theme"] == t, "code"]]
        segs = coding[coding["theme"] == t]
        quote, qid = "", ""
        if len(segs):
            agree = (segs.groupby(["response_id", "start", "end", "segment"], sort=False)["coder"]
                     .nunique().rename("k").reset_index())
            order = {r: k for k, r in enumerate(dict.fromkeys(coding["response_id"]))}
            agree["_o"] = agree["response_id"].map(order)
            best = (agree[agree["k"] == agree["k"].max()]
                    .sort_values(["_o", "start", "end"], kind="mergesort"))
            pick = best.iloc[int(rng.integers(len(best)))]
            quote, qid = str(pick["segment"]), str(pick["response_id"])
        rows.append({"theme": t, "label": label, "definition": definition,
                     "codes": "; ".join(f"{c} ({int(per_code.get(c, 0))})" for c in codes),
                     "n_codes": len(codes), "segments": len(segs), "exemplar": quote,
                     "exemplar_response_id": qid})
    return pd.DataFrame(rows)

