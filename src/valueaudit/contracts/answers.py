"""The answer tables: parsed LLM responses, human answers and respondents, and the Study 1
codebook and coding, each checked against the instrument."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataValidationError
from .schema import _check_membership, _first_bad, read_table

__all__ = ["check_ranks", "describe_ranks", "read_responses", "read_humans", "read_respondents",
           "read_codebook", "read_coding"]


def check_ranks(values: np.ndarray, n_targets: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a respondents x targets rank matrix that are not a permutation of 1..T.

    Returns ``(bad, empty)``: ``empty`` marks rows with no rank at all (an
    unanswered ranking question), ``bad`` rows with some ranks that are
    missing, tied, or outside 1..T.
    """
    x = np.asarray(values, dtype=float)
    empty = np.isnan(x).all(axis=1)
    want = np.arange(1, n_targets + 1, dtype=float)
    with np.errstate(invalid="ignore"):
        srt = np.sort(np.where(np.isnan(x), np.inf, x), axis=1)
    perm = (srt.shape[1] == n_targets) & np.all(srt == want, axis=1)
    return ~empty & ~perm, empty


def describe_ranks(ranks) -> str:
    """What is wrong with one ranking answer, in words (no identifiers)."""
    vals = [v for v in ranks if not (isinstance(v, float) and np.isnan(v))]
    ints = [int(v) if float(v).is_integer() else v for v in vals]
    ties = sorted({v for v in ints if ints.count(v) > 1})
    parts = [f"ranks given: {sorted(ints)}"]
    if ties:
        parts.append(f"tied rank(s) {ties}")
    if len(vals) < len(ranks):
        parts.append(f"{len(ranks) - len(vals)} rank(s) missing")
    return "; ".join(parts)


def read_responses(path: str | Path, instrument) -> pd.DataFrame:
    """Parsed responses; item and theme ids must belong to the instrument.

    The same bytes checked against the same instrument are read once per process
    (:mod:`valueaudit.memo`); each call gets its own copy.
    """
    from ..memo import file_key, memo

    if not Path(path).is_file():
        return _read_responses(path, instrument)
    key = ("responses", file_key(path), str(path), getattr(instrument, "sha256", None),
           repr(instrument))
    return memo(key, lambda: _read_responses(path, instrument), copy=pd.DataFrame.copy)


def _read_responses(path: str | Path, instrument) -> pd.DataFrame:
    df = read_table(path, "responses")
    theme_of = instrument.theme_of()
    ids = set(theme_of) | set(instrument.theme_ids)
    _check_membership(df, "item_id", ids, path, "unknown item id (not in the instrument)")
    _check_membership(df, "theme", instrument.theme_ids, path, "unknown theme id")
    has_value = df["value"].notna()
    parsed = df["status"].isin(["ok", "repaired"])
    bad = _first_bad(has_value != parsed)
    if bad is not None:
        raise DataValidationError(
            path, "value must be present exactly when status is ok or repaired", bad + 1, "value",
            df["value"].iloc[bad],
        )
    for fmt in ("rating", "ranking"):
        lo, hi = instrument.value_range(fmt)
        sel = (df["format"] == fmt) & has_value
        bad = _first_bad(sel & ((df["value"] < lo) | (df["value"] > hi)))
        if bad is not None:
            raise DataValidationError(
                path, f"{fmt} value out of range {lo}..{hi}", bad + 1, "value", df["value"].iloc[bad]
            )
    return df


def read_humans(path: str | Path, instrument, pseudonym=None) -> pd.DataFrame:
    """Tidy human answers, checked like a survey export.

    Every item id is known to the instrument for its format; every value is
    in the format's range (or empty); each respondent's ranking answer is a
    permutation of 1..T or entirely empty (an unanswered question, left to the
    ``incomplete`` exclusion rule). ``pseudonym`` maps a respondent id to the
    name errors may show (respondent ids are never shown).
    """
    df = read_table(path, "humans")
    for fmt in ("rating", "ranking"):
        sel = df["format"] == fmt
        targets = list(instrument.targets(fmt))
        bad = _first_bad(sel & ~df["item_id"].isin(targets))
        if bad is not None:
            raise DataValidationError(
                path, f"unknown {fmt} item id (not in the instrument {instrument.path.name})",
                bad + 1, "item_id", df["item_id"].iloc[bad],
                fix=f"use one of the instrument's {fmt} ids: {', '.join(targets)}",
            )
        lo, hi = instrument.value_range(fmt)
        bad = _first_bad(sel & df["value"].notna() & ((df["value"] < lo) | (df["value"] > hi)
                                                      | (df["value"] != np.floor(df["value"]))))
        if bad is not None:
            raise DataValidationError(
                path, f"{fmt} value out of range: must be a whole number {lo}..{hi}", bad + 1,
                "value", df["value"].iloc[bad],
                fix="correct the value or leave the cell empty (unanswered)")
    rank = df[df["format"] == "ranking"]
    if len(rank):
        targets = instrument.targets("ranking")
        wide = rank.pivot(index="respondent_id", columns="item_id", values="value")
        wide = wide.reindex(columns=targets)
        bad, _ = check_ranks(wide.to_numpy(), len(targets))
        if bad.any():
            rid = wide.index[int(np.flatnonzero(bad)[0])]
            rows = np.flatnonzero((df["respondent_id"] == rid) & (df["format"] == "ranking"))
            who = f" (respondent {pseudonym(rid)})" if pseudonym else ""
            raise DataValidationError(
                path, f"the ranking answer of the respondent in rows {rows[0] + 1}.."
                f"{rows[-1] + 1}{who} is not a permutation of 1..{len(targets)}: "
                f"{describe_ranks(wide.loc[rid].to_numpy())}", int(rows[0]) + 1, "value",
                fix="ranks must be 1..T, each once; leave all of a respondent's ranks empty for "
                "an unanswered question")
    return df


def read_respondents(path: str | Path, demographics: list[str] = ()) -> pd.DataFrame:
    """Respondents table; the named demographic columns must exist."""
    df = read_table(path, "respondents")
    for c in demographics:
        if c not in df.columns:
            raise DataValidationError(path, "demographic column named in config is missing", column=c)
    incl = df["included"].astype(bool)
    bad = _first_bad(incl == df["exclusion_reason"].notna())
    if bad is not None:
        raise DataValidationError(
            path, "exclusion_reason must be empty exactly when included is true", bad + 1,
            "exclusion_reason", df["exclusion_reason"].iloc[bad],
        )
    return df


def read_codebook(path: str | Path, instrument) -> pd.DataFrame:
    """Study 1 codebook; every code maps to a theme of the instrument."""
    df = read_table(path, "codebook")
    _check_membership(df, "theme", instrument.theme_ids, path, "unknown theme id (not in the instrument)")
    return df


def read_coding(path: str | Path, codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """Study 1 coding CSV; with a codebook, every code must be in it."""
    df = read_table(path, "coding")
    for c in ("segment", "start", "end"):
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype="Int64" if c != "segment" else object)
    no_seg = df["segment"].isna() & (df["start"].isna() | df["end"].isna())
    bad = _first_bad(no_seg)
    if bad is not None:
        raise DataValidationError(path, "segment text or both start and end must be given", bad + 1, "segment")
    both = df["start"].notna() & df["end"].notna()
    bad = _first_bad(both & (df["end"].fillna(0) <= df["start"].fillna(0)))
    if bad is not None:
        raise DataValidationError(path, "end must be greater than start", bad + 1, "end", df["end"].iloc[bad])
    if codebook is not None:
        _check_membership(df, "code", codebook["code"], path, "code not in the codebook")
    return df
