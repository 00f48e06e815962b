"""The schemas (``src/valueaudit/schemas/``, shipped as package data) and the column-by-column
check of a table against its schema."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import DataValidationError
from .files import _read_text_frame

__all__ = ["SLUG", "SCHEMA_DIR", "load_schema", "validate_frame", "read_table"]

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: The folder of the JSON-Schema files (``valueaudit/schemas`` in the installed package).
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}



@cache
def load_schema(name: str) -> dict:
    """Load ``<name>.schema.yaml`` from the package's schema folder."""
    path = SCHEMA_DIR / f"{name}.schema.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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
    hidden = {c for c, spec in props.items() if spec.get("x-identifier")}

    def err(rule, row=None, column=None, value=None, fix=None):
        r = None if row is None else row + 1
        if column in hidden and value is not None:
            value = None
            rule += " (value not shown: the column holds identifiers)"
        return DataValidationError(file, rule, r, column, value, header_lines=header_lines,
                                   fix=fix)

    dup = [c for c in cols if cols.count(c) > 1]
    if dup:
        raise err("duplicate column name", column=dup[0], fix="rename or remove one of them")
    for c in schema.get("required", []):
        if c not in cols:
            raise err(f"missing required column (expected columns: {', '.join(props)})", column=c,
                      fix=f"add a column named '{c}' (names are case-sensitive)")
    if schema.get("additionalProperties", True) is False:
        extra = [c for c in cols if c not in props]
        if extra:
            raise err(f"unexpected column (allowed: {', '.join(props)})", column=extra[0],
                      fix="remove the column or correct its name")

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
                raise err("missing value in a required column", bad, c, fix="fill in the cell")
        kind = types[0] if types else "string"
        if kind in ("integer", "number"):
            num = pd.to_numeric(s.where(~empty, None), errors="coerce")
            bad = _first_bad(num.isna() & ~empty)
            if bad is not None:
                raise err(f"not a {kind} (text where a {kind} is expected)", bad, c, s.iloc[bad],
                          fix=f"write a {kind} (decimal point '.', no units) or leave it empty "
                          "where the contract allows")
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
            same = (typed[pk] == typed[pk].iloc[bad]).all(axis=1).to_numpy()
            first = int(np.flatnonzero(same)[0])
            shown = [k for k in pk if k not in hidden]
            key = ", ".join(f"{k}={typed[k].iloc[bad]}" for k in shown)
            raise err(f"duplicate key ({', '.join(pk)}): rows {first + 1} and {bad + 1} have the "
                      f"same {'/'.join(pk)}" + (f" ({key})" if key else ""), bad, pk[0],
                      fix="remove or correct one of the two rows")
    return typed.reset_index(drop=True)


def read_table(path: str | Path, schema_name: str) -> pd.DataFrame:
    """Read ``path`` and validate it against the named schema."""
    path = Path(path)
    df, header_lines = _read_text_frame(path)
    return validate_frame(df, load_schema(schema_name), path, header_lines)


def _check_membership(df, col, allowed, file, rule, header_lines=1, fix=None):
    bad = _first_bad(~df[col].isin(list(allowed)) & df[col].notna())
    if bad is not None:
        raise DataValidationError(file, rule, bad + 1, col, df[col].iloc[bad], header_lines,
                                  fix=fix)
