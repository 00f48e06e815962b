"""The plain CSV format: one answer per row, columns ``model, session, prompt, answer``.

``prompt`` is the user prompt exactly as administered (the instrument's
prompt of one task with the session's item order); optional columns:
``system_prompt`` (checked against the instrument's when given),
``model_version``, ``collected_utc``, ``finish_reason``. UTF-8, comma-separated,
one header row; cells may span lines (quoted, as every CSV writer does).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ...contracts import DataValidationError, csv_header, decode_text
from . import SourceAnswer, csv_rows

__all__ = ["read_plain_csv", "REQUIRED", "OPTIONAL"]

REQUIRED = ("model", "session", "prompt", "answer")
OPTIONAL = ("system_prompt", "model_version", "collected_utc", "finish_reason")


def read_plain_csv(path: Path) -> list[SourceAnswer]:
    text = decode_text(path)
    header = [c.strip() for c in csv_header(path, text)]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataValidationError(path, f"missing required column(s) {missing}; the plain CSV "
                                  f"format has columns {list(REQUIRED)}", header_lines=None,
                                  line=1)
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise DataValidationError(path, f"unknown column(s) {unknown}; allowed: "
                                  f"{list(REQUIRED + OPTIONAL)}", header_lines=None, line=1)
    out = []
    for n, line, row in csv_rows(path, text, header):
        for c in ("model", "prompt"):
            if not row[c].strip():
                raise DataValidationError(path, "must not be empty", n, c, header_lines=None,
                                          line=line)
        try:
            session = int(row["session"].strip())
        except ValueError:
            raise DataValidationError(path, "session must be an integer >= 1", n, "session",
                                      header_lines=None, line=line) from None
        blob = "\x1f".join(row.values()).encode("utf-8")
        out.append(SourceAnswer(
            row=n, line=line, column="prompt", model=row["model"].strip(), user=row["prompt"],
            text=row["answer"], system=row.get("system_prompt") or None, session=session,
            model_version=row.get("model_version") or None,
            collected_utc=row.get("collected_utc") or None,
            finish_reason=row.get("finish_reason") or None,
            key=hashlib.sha256(blob).hexdigest(), where=f"row {n} (line {line})"))
    return out
