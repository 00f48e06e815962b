"""Theme scores and profiles (METHODS section 2).

Theme score of one respondent or session: the mean of its items' ratings for
that theme (``rating``), or ``T + 1 - rank`` (``ranking``), so that higher
always means more important. A profile is the vector of theme scores; a group
profile (a model, the humans) is the mean over its sessions or respondents.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["theme_scores", "VALID"]

#: statuses whose values are used
VALID = ("ok", "repaired")


def theme_scores(long: pd.DataFrame, instrument, unit_cols: list[str], fmt: str) -> pd.DataFrame:
    """Theme scores from a long answers table.

    Parameters
    ----------
    long : rows with ``unit_cols``, ``format``, ``item_id``, ``value`` (and
        optionally ``status``; only ``ok``/``repaired`` rows are used).
    unit_cols : columns identifying one respondent or session, e.g.
        ``["model_id", "session"]`` or ``["respondent_id"]``.
    fmt : ``"rating"`` or ``"ranking"``.

    Returns
    -------
    Long table ``unit_cols + [format, theme, score]``, one row per unit and
    theme, only for units with a complete set of answers in ``fmt``; themes
    in instrument order.
    """
    d = long[long["format"] == fmt]
    if "status" in d.columns:
        d = d[d["status"].isin(VALID)]
    d = d[d["value"].notna()]
    T = instrument.n_themes
    if fmt == "rating":
        theme_of = instrument.theme_of()
        d = d.assign(theme=d["item_id"].map(theme_of))
        n_items = len(theme_of)
        complete = d.groupby(unit_cols, sort=False)["item_id"].transform("nunique") == n_items
        d = d[complete]
        g = d.groupby([*unit_cols, "theme"], sort=False)["value"].mean().rename("score").reset_index()
    elif fmt == "ranking":
        d = d.assign(theme=d["item_id"])
        complete = d.groupby(unit_cols, sort=False)["item_id"].transform("nunique") == T
        d = d[complete]
        g = d[[*unit_cols, "theme"]].assign(score=(T + 1) - d["value"].to_numpy())
    else:
        raise ValueError(f"unknown format {fmt!r}")
    order = {t: n for n, t in enumerate(instrument.theme_ids)}
    g = g.assign(format=fmt, _o=g["theme"].map(order))
    g = g.sort_values([*unit_cols, "_o"], kind="mergesort").drop(columns="_o")
    return g[[*unit_cols, "format", "theme", "score"]].reset_index(drop=True)

