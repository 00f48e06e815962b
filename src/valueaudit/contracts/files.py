"""Atomic writes, and reading a CSV or Parquet file as text with the checks every table gets
(encoding, delimiter, header)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import DataValidationError

__all__ = ["atomic_path", "write_csv", "decode_text", "csv_header", "RESAVE"]


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
# reading a table as text
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
