"""The models table: the name each model is shown under, and the note for synthetic names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataValidationError
from .schema import _check_membership, _first_bad, read_table

__all__ = ["model_names", "SIMULATED_SUFFIX", "names_note", "with_names_note",
           "check_model_names", "read_models"]


def model_names(models: pd.DataFrame) -> dict[str, str]:
    """The name every table and figure shows for each model id, taken as given.

    ``short_name`` where the column exists and the cell is filled, else
    ``display_name``, else the model id. No name is shortened or rewritten.
    """
    ids = models["model_id"].astype(str)
    names = ids.copy()
    for col in ("display_name", "short_name"):
        if col in models.columns:
            v = models[col]
            filled = v.notna() & (v.astype(str).str.strip() != "")
            names = names.where(~filled.to_numpy(), v.astype(str).str.strip().to_numpy())
    return dict(zip(ids, names, strict=True))


SIMULATED_SUFFIX = " (simulated)"


def names_note(models: pd.DataFrame | None) -> str:
    """The sentence a table note or caption adds when the model names are synthetic.

    The simulator (:mod:`valueaudit.simulate`) marks its models table by ending every
    ``display_name`` with :data:`SIMULATED_SUFFIX`; for such a table this returns
    "Model names are synthetic: the data set is simulated.", for any other ''.
    """
    if models is None or not len(models) or "display_name" not in models.columns:
        return ""
    shown = models["display_name"].astype(str).str.strip()
    if shown.str.endswith(SIMULATED_SUFFIX.strip()).all():
        return "Model names are synthetic: the data set is simulated."
    return ""


def with_names_note(note: str, models: pd.DataFrame | None) -> str:
    """``note`` followed by :func:`names_note` (when it applies)."""
    extra = names_note(models)
    return f"{note} {extra}".strip() if extra else note


def check_model_names(df: pd.DataFrame, source: str | Path) -> pd.Series:
    """The shown name of every model (:func:`model_names`); two models may not share one.

    A shared name stops with :class:`DataValidationError` naming ``source``, both rows
    and the column, so a table or figure never shows two models under one name.
    """
    names = pd.Series(list(model_names(df).values()), index=df.index, dtype=object)
    dup = _first_bad(names.duplicated(keep="first"))
    if dup is not None:
        first = int(np.flatnonzero((names == names.iloc[dup]).to_numpy())[0])
        col = "short_name" if "short_name" in df.columns else "display_name"
        raise DataValidationError(
            source, f"duplicate model name: rows {first + 1} and {dup + 1} would be shown under "
            "the same name in every table and figure", dup + 1, col, names.iloc[dup],
            fix="give each model its own short_name (the name tables and figures show)")
    return names


def read_models(path: str | Path, tiers: list[str]) -> pd.DataFrame:
    """Model metadata; ``tier`` must be one of the ordered ``tiers`` from config.

    The returned ``short_name`` column holds the name tables and figures show
    (:func:`model_names`: the table's ``short_name``, else its ``display_name``);
    two models may not share it.
    """
    df = read_table(path, "models")
    _check_membership(df, "tier", tiers, path, f"unknown tier; config models.tiers lists {tiers}")
    df["short_name"] = check_model_names(df, path)
    cols = [c for c in df.columns if c != "short_name"]
    cols.insert(cols.index("display_name") + 1, "short_name")
    df = df[cols].copy()
    df["tier"] = pd.Categorical(df["tier"], categories=list(tiers), ordered=True)
    return df
