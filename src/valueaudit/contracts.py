"""Data contracts: validate every table on load (METHODS section 3).

Each table has a JSON-Schema file (one row = one object) under
``workflow/schemas/`` (shipped in the package as ``valueaudit/schemas``).
:func:`read_table` reads a CSV or Parquet file as text, checks it column by
column against its schema with vectorised pandas operations, and either
returns a typed DataFrame or raises :class:`DataValidationError` naming the
file, the row, the column and the rule broken.

Rows are counted from 1 for the first data row; for CSV files the error also
names the line (row + number of header lines).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = [
    "DataValidationError",
    "load_schema",
    "read_table",
    "validate_frame",
    "read_models",
    "read_responses",
    "read_humans",
    "read_respondents",
    "read_coding",
    "read_codebook",
    "read_raw_records",
    "atomic_path",
    "write_csv",
    "SLUG",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


class DataValidationError(ValueError):
    """An input breaks its data contract.

    Attributes ``file``, ``row`` (1-based data row, or None for a file-level
    problem), ``column`` and ``rule`` say exactly what is wrong.
    """

    def __init__(self, file, rule, row=None, column=None, value=None, header_lines=1):
        self.file, self.row, self.column, self.rule, self.value = str(file), row, column, rule, value
        where = [str(file)]
        if row is not None:
            line = f" (line {row + header_lines})" if header_lines is not None else ""
            where.append(f"row {row}{line}")
        if column is not None:
            where.append(f"column '{column}'")
        msg = ", ".join(where) + f": {rule}"
        if value is not None:
            msg += f" (found {value!r})"
        super().__init__(msg)


@cache
def load_schema(name: str) -> dict:
    """Load ``<name>.schema.yaml`` from the package's schema folder."""
    path = SCHEMA_DIR / f"{name}.schema.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------
@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed, so no half-written output
    is ever left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_csv(df: pd.DataFrame, path: str | Path, float_format: str = "%.10g") -> None:
    """Write ``df`` as UTF-8 CSV atomically, with a stable float format."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format=float_format, lineterminator="\n")


# ---------------------------------------------------------------------------
# reading and validation
# ---------------------------------------------------------------------------
def _read_text_frame(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV/Parquet file with every cell as a string ('' = missing)."""
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)
    if path.stat().st_size == 0:
        raise DataValidationError(path, "file is empty", header_lines=None)
    if path.suffix.lower() in (".parquet", ".pq"):
        df = pd.read_parquet(path)
        df = df.astype(object).where(df.notna(), "")
        return df.map(lambda v: "" if v is None else str(v)), 0
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            path, f"not valid UTF-8 at byte {exc.start} (line {line}); save the file as UTF-8",
            header_lines=None,
        ) from None
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(path, f"not a readable CSV table: {exc}", header_lines=None) from None
    if df.shape[0] == 0:
        raise DataValidationError(path, "table has a header but no rows", header_lines=None)
    return df, 1


def _first_bad(mask: pd.Series) -> int | None:
    idx = np.flatnonzero(mask.to_numpy())
    return int(idx[0]) if idx.size else None


def _types(spec: dict) -> tuple[list[str], bool]:
    t = spec.get("type", "string")
    types = [t] if isinstance(t, str) else list(t)
    return [x for x in types if x != "null"], "null" in types


def validate_frame(
    df: pd.DataFrame, schema: dict, file: str | Path, header_lines: int = 1
) -> pd.DataFrame:
    """Check a string-valued frame against a row schema; return it typed.

    Supported keywords: ``required``, ``additionalProperties: false``,
    ``type`` (string, integer, number, boolean, each optionally with null),
    ``enum``, ``const``, ``pattern``, ``minLength``, ``minimum``, ``maximum``,
    ``exclusiveMinimum``, ``exclusiveMaximum`` and the extension
    ``x-primary-key`` (no duplicate keys).
    """
    props: dict = schema.get("properties", {})
    cols = list(df.columns)

    def err(rule, row=None, column=None, value=None):
        r = None if row is None else row + 1
        return DataValidationError(file, rule, r, column, value, header_lines=header_lines)

    for c in schema.get("required", []):
        if c not in cols:
            raise err(f"missing required column (expected columns: {', '.join(props)})", column=c)
    if schema.get("additionalProperties", True) is False:
        extra = [c for c in cols if c not in props]
        if extra:
            raise err(f"unexpected column (allowed: {', '.join(props)})", column=extra[0])
    dup = [c for c in cols if cols.count(c) > 1]
    if dup:
        raise err("duplicate column name", column=dup[0])

    out = {}
    for c in cols:
        s = df[c].astype(str)
        if c not in props:
            out[c] = s.where(s != "", None)
            continue
        spec = props[c]
        types, nullable = _types(spec)
        s = s.str.strip()
        empty = s == ""
        if not nullable:
            bad = _first_bad(empty)
            if bad is not None:
                raise err("missing value in a required column", bad, c)
        kind = types[0] if types else "string"
        if kind in ("integer", "number"):
            num = pd.to_numeric(s.where(~empty, None), errors="coerce")
            bad = _first_bad(num.isna() & ~empty)
            if bad is not None:
                raise err(f"not a {kind}", bad, c, s.iloc[bad])
            if kind == "integer":
                bad = _first_bad(~empty & (num != np.floor(num)))
                if bad is not None:
                    raise err("not an integer", bad, c, s.iloc[bad])
            for key, op, word in (
                ("minimum", np.less, ">="),
                ("maximum", np.greater, "<="),
                ("exclusiveMinimum", np.less_equal, ">"),
                ("exclusiveMaximum", np.greater_equal, "<"),
            ):
                if key in spec:
                    bad = _first_bad(~empty & op(num, spec[key]))
                    if bad is not None:
                        raise err(f"out of range: must be {word} {spec[key]}", bad, c, s.iloc[bad])
            if kind == "integer":
                col = num.astype("Int64") if nullable else num.astype("int64")
            else:
                col = num.astype("float64")
        elif kind == "boolean":
            low = s.str.lower()
            bad = _first_bad(~empty & ~low.isin(_TRUE | _FALSE))
            if bad is not None:
                raise err("not a boolean (true/false)", bad, c, s.iloc[bad])
            col = low.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
            col = col.astype("boolean") if nullable else col.astype(bool)
        else:
            col = s
            if "minLength" in spec:
                bad = _first_bad(~empty & (s.str.len() < spec["minLength"]))
                if bad is not None:
                    raise err(f"shorter than {spec['minLength']} characters", bad, c, s.iloc[bad])
            if "pattern" in spec:
                bad = _first_bad(~empty & ~s.str.match(spec["pattern"]))
                if bad is not None:
                    raise err(f"does not match pattern {spec['pattern']}", bad, c, s.iloc[bad])
            col = s.astype(object).where(~empty, None)
        if "enum" in spec:
            bad = _first_bad(~empty & ~s.isin([str(v) for v in spec["enum"]]))
            if bad is not None:
                raise err(f"not one of {spec['enum']}", bad, c, s.iloc[bad])
        out[c] = col
    typed = pd.DataFrame(out, index=df.index)
    pk = schema.get("x-primary-key")
    if pk:
        d = typed.duplicated(subset=pk, keep="first")
        bad = _first_bad(d)
        if bad is not None:
            key = ", ".join(f"{k}={typed[k].iloc[bad]}" for k in pk)
            raise err(f"duplicate key ({', '.join(pk)}): {key}", bad, pk[0])
    return typed.reset_index(drop=True)


def read_table(path: str | Path, schema_name: str) -> pd.DataFrame:
    """Read ``path`` and validate it against the named schema."""
    path = Path(path)
    df, header_lines = _read_text_frame(path)
    return validate_frame(df, load_schema(schema_name), path, header_lines)


def _check_membership(df, col, allowed, file, rule, header_lines=1):
    bad = _first_bad(~df[col].isin(list(allowed)) & df[col].notna())
    if bad is not None:
        raise DataValidationError(file, rule, bad + 1, col, df[col].iloc[bad], header_lines)


def read_models(path: str | Path, tiers: list[str]) -> pd.DataFrame:
    """Model metadata; ``tier`` must be one of the ordered ``tiers`` from config."""
    df = read_table(path, "models")
    _check_membership(df, "tier", tiers, path, f"unknown tier; config models.tiers lists {tiers}")
    df["tier"] = pd.Categorical(df["tier"], categories=list(tiers), ordered=True)
    return df


def read_responses(path: str | Path, instrument) -> pd.DataFrame:
    """Parsed responses; item and theme ids must belong to the instrument."""
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


def read_humans(path: str | Path, instrument) -> pd.DataFrame:
    """Tidy human answers; item ids known, values within the format's range or empty."""
    df = read_table(path, "humans")
    for fmt in ("rating", "ranking"):
        sel = df["format"] == fmt
        targets = set(instrument.targets(fmt))
        bad = _first_bad(sel & ~df["item_id"].isin(list(targets)))
        if bad is not None:
            raise DataValidationError(
                path, f"unknown {fmt} item id (not in the instrument)", bad + 1, "item_id",
                df["item_id"].iloc[bad],
            )
        lo, hi = instrument.value_range(fmt)
        bad = _first_bad(sel & df["value"].notna() & ((df["value"] < lo) | (df["value"] > hi)))
        if bad is not None:
            raise DataValidationError(
                path, f"{fmt} value out of range {lo}..{hi}", bad + 1, "value", df["value"].iloc[bad]
            )
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


def read_raw_records(path: str | Path) -> list[dict]:
    """Read a JSONL file of raw LLM records, validating each against its schema.

    Errors name the file, the line and the JSON path of the broken field.
    """
    import jsonschema

    path = Path(path)
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)
    validator = jsonschema.Draft202012Validator(load_schema("raw_record"))
    records = []
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DataValidationError(
                    path, f"line is not valid UTF-8 JSON ({exc})", n, header_lines=0
                ) from None
            errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
            if errs:
                e = errs[0]
                field = "/".join(str(p) for p in e.path) or "(record)"
                raise DataValidationError(path, e.message, n, field, header_lines=0)
            records.append(rec)
    if not records:
        raise DataValidationError(path, "no records in file", header_lines=None)
    return records
