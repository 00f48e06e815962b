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
import logging
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
    "warn_input",
    "check_raw_files",
    "check_raw_records",
    "check_inputs",
    "load_schema",
    "read_table",
    "validate_frame",
    "check_model_names",
    "read_models",
    "model_names",
    "names_note",
    "with_names_note",
    "SIMULATED_SUFFIX",
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

    Attributes: ``file``; ``row`` (1-based data row) and ``column`` for a table;
    ``line`` (a line of a JSONL, YAML or XML file, or the CSV line of ``row``);
    ``key`` (a key path such as ``humans.items.rating.perf_1``) for a config or
    YAML file; ``element`` (an XML element) for a REFI-QDA project; ``rule``
    (what is wrong); ``fix`` (what to do). Any of them but ``rule`` may be None.

    ``str(err)`` is one line; :meth:`block` is the short block the user sees.
    Messages never hold a direct identifier: callers pass ``value`` only for
    cells that cannot be personal data.
    """

    def __init__(self, file=None, rule=None, row=None, column=None, value=None, header_lines=1,
                 *, fix=None, line=None, key=None, element=None):
        if rule is None:  # a preformatted message
            file, rule = None, str(file)
        self.file = None if file is None else str(file)
        self.rule, self.row, self.column, self.value = rule, row, column, value
        self.key, self.element, self.fix = key, element, fix
        if line is None and row is not None and header_lines is not None:
            line = row + header_lines
        self.line = line
        super().__init__(self.one_line())

    def where(self) -> str:
        """Row/line, column, key path or element, as words ('' for a file-level problem)."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}" + (f" (line {self.line})" if self.line is not None
                                                else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.key is not None:
            parts.append(f"key {self.key}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        return ", ".join(parts)

    def one_line(self) -> str:
        head = ", ".join(x for x in (self.file, self.where()) if x)
        msg = f"{head}: {self.rule}" if head else str(self.rule)
        if self.value is not None:
            msg += f" (found {self.value!r})"
        return msg

    def block(self) -> str:
        """The short block shown to the user: file, where, rule, what to do."""
        rule = str(self.rule) + (f" (found {self.value!r})" if self.value is not None else "")
        lines = ["valueaudit: input error"]
        if self.file:
            lines.append(f"  file:  {self.file}")
        if self.where():
            lines.append(f"  where: {self.where()}")
        lines.append(f"  rule:  {rule}")
        if self.fix:
            lines.append(f"  fix:   {self.fix}")
        return "\n".join(lines)


def warn_input(message: str) -> None:
    """A warning about an input that the user must see (terminal and job log)."""
    logging.getLogger("valueaudit.input").warning("%s", message)


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
RESAVE = "re-save it as UTF-8 CSV with commas (in Excel: Save As > 'CSV UTF-8 (Comma delimited)')"


def decode_text(path: Path, raw: bytes | None = None, kind: str = "CSV") -> str:
    """The text of a file that must be UTF-8; UTF-16 and other encodings stop with a fix."""
    raw = path.read_bytes() if raw is None else raw
    fix = RESAVE if kind == "CSV" else "re-save the file as UTF-8"
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and b"\x00" in raw[:200]):
        raise DataValidationError(path, "the file is UTF-16 encoded (detected a UTF-16 byte "
                                  "order mark or NUL bytes), not UTF-8", header_lines=None, fix=fix)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            path, f"not valid UTF-8 at byte {exc.start}", header_lines=None, line=line,
            fix=fix) from None


def csv_header(path: Path, text: str, header_line: int = 1) -> list[str]:
    """The column names of a CSV text; stops on another delimiter or a repeated name."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < header_line:
        raise DataValidationError(path, "no header row", header_lines=None)
    header = rows[header_line - 1]
    first = text.splitlines()[header_line - 1] if text.splitlines() else ""
    for sep, name in ((";", "semicolon"), ("\t", "tab")):
        if first.count(sep) >= max(1, first.count(",") + 1):
            raise DataValidationError(
                path, f"the file is {name}-separated (detected '{sep}' between the column "
                "names), not comma-separated", header_lines=None, line=header_line, fix=RESAVE)
    seen: dict[str, int] = {}
    for n, c in enumerate(header, start=1):
        c = c.strip()
        if c in seen:
            raise DataValidationError(
                path, f"duplicate column name (columns {seen[c]} and {n} are both named {c!r})",
                column=c, header_lines=None, line=header_line,
                fix="rename or remove one of the two columns")
        seen[c] = n
    return header


def _read_text_frame(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV/Parquet file with every cell as a string ('' = missing)."""
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None,
                                  fix="check the path in config.yaml")
    if path.stat().st_size == 0:
        raise DataValidationError(path, "file is empty", header_lines=None)
    if path.suffix.lower() in (".parquet", ".pq"):
        df = pd.read_parquet(path)
        df = df.astype(object).where(df.notna(), "")
        return df.map(lambda v: "" if v is None else str(v)), 0
    text = decode_text(path)
    csv_header(path, text)
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(path, f"not a readable CSV table: {exc}", header_lines=None,
                                  fix=RESAVE) from None
    if df.shape[0] == 0:
        raise DataValidationError(path, "table has a header but no rows", header_lines=None)
    df.columns = [str(c).strip() for c in df.columns]
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


def _utc(text):
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def read_raw_records(path: str | Path, model_id: str | None = None, instrument=None,
                     torn_ok: bool = False) -> list[dict]:
    """Read a JSONL file of raw LLM records, validating each against its schema and meaning.

    Every record must belong to the file's model (``model_id``, by default the
    file name without ``.jsonl``: ``<raw_dir>/<model_id>.jsonl``); ``record_id``
    is unique, and so is (task, session, attempt); a record does not finish
    before it starts. With ``instrument``, the item order of a rating or
    ranking record names each of the task's targets once, and a record made
    with another version of the instrument is reported with :func:`warn_input`.
    Errors name the file, the line and the JSON path of the broken field.
    With ``torn_ok``, an unreadable last line without a newline (a write the
    collection was interrupted in, which it repairs) is left out.
    """
    import jsonschema

    path = Path(path)
    model_id = path.name.removesuffix(".jsonl") if model_id is None else model_id
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)

    def err(rule, n, field=None, value=None, fix=None):
        return DataValidationError(path, rule, n, field, value, header_lines=0, fix=fix)

    validator = jsonschema.Draft202012Validator(load_schema("raw_record"))
    records = []
    seen_id: dict[str, int] = {}
    seen_key: dict[tuple, int] = {}
    other_version: dict[str, int] = {}
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            if n == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise err("the file is UTF-16 encoded, not UTF-8", n,
                          fix="re-save it as UTF-8 JSON lines")
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                if torn_ok and not raw.endswith(b"\n"):
                    break
                raise err(f"line is not valid UTF-8 JSON ({exc})", n,
                          fix="each line must hold one complete JSON object") from None
            errs = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
            if errs:
                e = errs[0]
                field = "/".join(str(p) for p in e.path) or "(record)"
                raise err(e.message, n, field,
                          fix="correct the field (see workflow/schemas/raw_record.schema.yaml)")
            if rec["model_id"] != model_id:
                raise err(f"record of another model in the file of model '{model_id}'", n,
                          "model_id", rec["model_id"],
                          fix=f"move the record to {rec['model_id']}.jsonl or correct its model_id")
            rid = rec["record_id"]
            if rid in seen_id:
                raise err(f"duplicate record_id: lines {seen_id[rid]} and {n} have the same "
                          f"record_id {rid!r}", n, "record_id",
                          fix="raw files are append-only: remove the copied line")
            seen_id[rid] = n
            key = (rec["task"], rec["session"], rec["attempt"])
            if key in seen_key:
                raise err(f"lines {seen_key[key]} and {n} claim the same model, task, session and "
                          f"attempt ({model_id}, {key[0]}, session {key[1]}, attempt {key[2]})",
                          n, "attempt", fix="remove the duplicated record or correct its attempt")
            seen_key[key] = n
            t0, t1 = _utc(rec["started_utc"]), _utc(rec["finished_utc"])
            if t0 is None or t1 is None:
                field = "started_utc" if t0 is None else "finished_utc"
                raise err("not an ISO 8601 UTC timestamp", n, field, rec[field])
            if t1 < t0:
                raise err("negative duration: finished_utc is before started_utc", n,
                          "finished_utc", rec["finished_utc"])
            if instrument is not None:
                if rec["task"] in ("rating", "ranking"):
                    targets = instrument.targets(rec["task"])
                    order = rec["item_order"]
                    unknown = [x for x in order if x not in targets]
                    if unknown:
                        raise err(f"item_order names {unknown[0]!r}, which is not a "
                                  f"{rec['task']} id of the instrument {instrument.path.name}",
                                  n, "item_order",
                                  fix="the record was made with another instrument: configure "
                                  "that instrument or remove the record")
                    if sorted(order) != sorted(targets):
                        raise err(f"item_order must name each of the {len(targets)} "
                                  f"{rec['task']} ids once", n, "item_order")
                if rec["instrument_sha256"] != instrument.sha256:
                    other_version.setdefault(rec["instrument_sha256"], n)
            records.append(rec)
    if not records:
        raise DataValidationError(path, "no records in file", header_lines=None)
    for sha, n in sorted(other_version.items(), key=lambda kv: kv[1]):
        count = sum(r["instrument_sha256"] == sha for r in records)
        warn_input(f"{path}, line {n}: {count} record(s) made with another version of the "
                   f"instrument (sha256 {sha[:12]}..., configured {instrument.path.name} has "
                   f"{instrument.sha256[:12]}...); their answers are parsed with the configured "
                   "version")
    return records


def check_raw_files(model_ids, raw_dir: str | Path, table: str | Path,
                    live_ids=()) -> None:
    """Every model of the metadata table has a raw file, and every raw file a model."""
    raw_dir = Path(raw_dir)
    ids = list(model_ids)
    for n, m in enumerate(ids, start=1):
        if m in set(live_ids):
            continue
        if not (raw_dir / f"{m}.jsonl").is_file():
            raise DataValidationError(
                table, f"model '{m}' has no raw records ({raw_dir / (m + '.jsonl')} does not "
                "exist)", n, "model_id",
                fix="add the raw file, remove the model from the table, or collect it live")
    if raw_dir.is_dir():
        for f in sorted(raw_dir.glob("*.jsonl")):
            if f.stem not in set(ids) | set(live_ids):
                raise DataValidationError(
                    f, f"raw file for model '{f.stem}', which is not in the models table {table}",
                    1, "model_id", header_lines=0,
                    fix=f"add a row for '{f.stem}' to {table}, or move the file out of {raw_dir}")


def _cache_key(paths, *extra) -> str:
    import hashlib

    h = hashlib.sha256(_validator_version().encode())
    for p in paths:
        h.update(Path(p).read_bytes() if p and Path(p).is_file() else b"-")
        h.update(b"\0")
    h.update("|".join(map(str, extra)).encode())
    return h.hexdigest()


def check_inputs(cfg: dict, cache_dir: str | Path | None = None) -> None:
    """Validate the inputs every run reads (the workflow calls this when it loads).

    The instrument, the human survey (either layout, with every check of
    :func:`valueaudit.survey.read_export`), the Study 1 codebook and coded
    data (every coded segment against its answer and the codebook). Raw
    records: :func:`check_raw_records`. With ``cache_dir``, coded data that
    passed before with the same bytes are not checked again.
    """
    from .instrument import load_instrument
    from .survey import read_export

    ins = load_instrument(cfg["instrument"])
    read_export(cfg["humans"], ins)
    coding = cfg.get("coding", {})
    if coding.get("codebook"):
        codebook = read_codebook(coding["codebook"], ins)
        if coding.get("format") == "csv":
            read_coding(coding["source"], codebook)
            answers = coding.get("answers")
        else:
            answers = None
        if coding.get("format") == "qdpx" or (answers and Path(answers).is_file()):
            files = [coding["source"], coding["codebook"], answers, cfg["instrument"]]
            key = _cache_key(files, coding["format"])
            stamp = None if cache_dir is None else Path(cache_dir) / "coding_validated.txt"
            if stamp is None or not stamp.is_file() or stamp.read_text().strip() != key:
                _check_coding(coding["source"], coding["format"], codebook, answers)
                if stamp is not None:
                    with atomic_path(stamp) as tmp:
                        tmp.write_text(key + "\n", encoding="utf-8")


_CODING_WHERE = re.compile(r"^(?P<file>.+?), (?P<label>row|coding) (?P<row>\d+): (?P<rule>.*)$",
                           re.S)


def _check_coding(source, fmt, codebook, answers) -> None:
    """Every coded segment refers to a known answer, code and position (Study 1 import)."""
    from .study1 import CodingError, load_coding

    try:
        load_coding(source, fmt, codebook, answers=answers)
    except DataValidationError:
        raise
    except CodingError as exc:
        if isinstance(exc.__context__, DataValidationError):  # a QdpxError, re-worded
            raise exc.__context__ from None
        m = _CODING_WHERE.match(str(exc))
        if m is None:
            raise DataValidationError(source, str(exc), header_lines=None) from None
        row = int(m["row"])
        if m["label"] == "row":  # study1 counts CSV rows by their line
            row -= 1
        raise DataValidationError(
            m["file"], m["rule"], row, "code", header_lines=1 if m["label"] == "row" else None,
            fix="correct the coding or the codebook") from None


class _Collect(logging.Handler):
    """A logging handler that keeps the messages it is given."""

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _validator_version() -> str:
    """Hash of the code and schema that validate raw records (a cache key)."""
    import hashlib

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update((SCHEMA_DIR / "raw_record.schema.yaml").read_bytes())
    return h.hexdigest()


def check_raw_records(paths: dict[str, str | Path], instrument, cache: str | Path | None = None,
                      torn_ok=()) -> None:
    """Validate the raw records of every model (``{model_id: path}``) with :func:`read_raw_records`.

    With ``cache`` (a JSON file), a file whose bytes, model, instrument and
    validating code are unchanged since it last passed is not parsed again;
    its warnings are repeated from the cache. Models in ``torn_ok`` (collected
    live) may end in a torn line, which their collection repairs.
    """
    import hashlib

    cache = None if cache is None else Path(cache)
    seen: dict = {}
    if cache is not None and cache.is_file():
        try:
            seen = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = {}
    version = _validator_version()
    out: dict = {}
    for model, path in paths.items():
        path = Path(path)
        if not path.is_file():
            continue
        key = hashlib.sha256(
            path.read_bytes() + f"|{model}|{instrument.sha256}|{version}".encode()).hexdigest()
        entry = seen.get(str(path))
        if entry and entry.get("key") == key:
            for w in entry.get("warnings", []):
                warn_input(w)
            out[str(path)] = entry
            continue
        handler = _Collect()
        log = logging.getLogger("valueaudit.input")
        log.addHandler(handler)
        try:
            read_raw_records(path, model, instrument, torn_ok=model in set(torn_ok))
        finally:
            log.removeHandler(handler)
        out[str(path)] = {"key": key, "warnings": handler.messages}
    if cache is not None and out != seen:
        with atomic_path(cache) as tmp:
            tmp.write_text(json.dumps(out, indent=1, sort_keys=True), encoding="utf-8")
