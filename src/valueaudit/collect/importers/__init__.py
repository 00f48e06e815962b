"""Readers of answers collected elsewhere, for ``provider: file`` models (``format:``).

=============  ==============================================================
``format``     what ``path`` holds
=============  ==============================================================
``jsonl``      valueaudit's own answers file (one JSON object per line with
               task, session, text; see :mod:`..fileprovider`)
``inspect_ai`` an inspect_ai evaluation log, ``.eval`` (zip) or ``.json``
``edsl``       EDSL ``Results`` exported with ``to_json`` or ``to_csv``
``csv``        a plain CSV with columns model, session, prompt, answer
=============  ==============================================================

A file may hold several models: each ``models.live`` entry reads the rows of
one, named by ``select`` (default: the entry's ``model``). Every reader
returns :class:`SourceAnswer` rows; :func:`read_source` then maps each
answer to the instrument prompt it answers (:func:`.match.match_prompt`:
the task, and the per-session item order recovered from the prompt text),
refuses prompts that are not the instrument's, and checks sessions. Every
problem raises :class:`~valueaudit.contracts.DataValidationError` naming
the file, the row (line, sample), the column (field) and the rule broken;
answer text is never quoted in a message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ...contracts import DataValidationError
from ...instrument import TASKS, Instrument
from .match import PromptMismatch, match_prompt

__all__ = ["SourceAnswer", "ImportedAnswer", "read_source", "FORMATS", "file_sha256",
           "csv_rows"]

FORMATS = ("jsonl", "inspect_ai", "edsl", "csv")


@dataclass
class SourceAnswer:
    """One answer as a reader found it (before matching it to the instrument)."""

    row: int  # 1-based: CSV data row, JSONL line, sample number
    column: str  # where the prompt is (for messages)
    model: str | None
    user: str | None  # the user prompt as administered
    text: str | None  # the answer as given
    system: str | None = None  # the system prompt, when the source recorded one
    session: int | None = None  # the session index, when the source gives one
    task: str | None = None  # the task, when the source gives one (jsonl)
    item_order: list | None = None  # the order, when the source gives it (jsonl)
    model_version: str | None = None
    usage: dict | None = None
    finish_reason: str | None = None
    collected_utc: str | None = None
    key: str = ""  # sha256 of this answer's source content (import idempotency)
    where: str = ""  # e.g. "line 3", "sample rating-1 epoch 1"
    error: str | None = None  # the source says the call failed
    line: int | None = None  # the file line of the row (CSV, JSONL), if it is one
    aliases: tuple = ()  # other names of the model in the file (e.g. "openai/<model>")


@dataclass
class ImportedAnswer:
    task: str
    session: int
    order: list[str]
    how: str
    src: SourceAnswer
    extra: dict = field(default_factory=dict)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def csv_rows(path: Path, text: str, header: list[str]):
    """The data rows of a CSV export as ``(row number, line, {column: cell})``, blank rows
    skipped; a row whose cell count differs from the header's stops with its row and line."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    next(reader)
    start = reader.line_num + 1
    for n, cells in enumerate(reader, start=1):
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise DataValidationError(path, f"{len(cells)} cells, the header has {len(header)}",
                                      n, header_lines=None, line=line)
        yield n, line, dict(zip(header, cells, strict=True))


def _reader(fmt: str):
    if fmt == "inspect_ai":
        from .inspect_log import read_inspect_log

        return read_inspect_log
    if fmt == "edsl":
        from .edsl import read_edsl

        return read_edsl
    if fmt == "csv":
        from .plaincsv import read_plain_csv

        return read_plain_csv
    raise ValueError(f"format {fmt!r}: expected one of {FORMATS}")


def read_source(spec: dict, instrument: Instrument, path: str | Path) -> list[ImportedAnswer]:
    """The answers of one ``models.live`` entry in its ``path`` (format ``spec['format']``,
    not ``jsonl``), each matched to an instrument prompt, in file order."""
    path = Path(path)
    if not path.exists():
        raise DataValidationError(path, "file does not exist", header_lines=None)
    fmt = spec.get("format") or "jsonl"
    rows = _reader(fmt)(path)
    want = spec.get("select") or spec["model"]
    models = sorted({r.model for r in rows if r.model})
    mine = [r for r in rows if r.model == want or want in r.aliases]
    if not mine:
        raise DataValidationError(
            path, f"no answers of model {want!r} (models.live '{spec['id']}'.select, default its "
            f"model); the file holds {models or 'no model names'}", header_lines=None,
            fix="set select to one of the model names in the file")
    tasks = spec.get("tasks", list(TASKS))
    out: list[ImportedAnswer] = []
    next_session: dict[str, int] = {}
    seen: dict[tuple[str, int], int] = {}
    for r in mine:
        if r.task is not None:
            task, order, how = r.task, r.item_order, "item order as given in the file"
        else:
            if r.user is None:
                raise _err(path, "no prompt recorded for this answer", r, r.column)
            try:
                task, order = match_prompt(instrument, r.user, r.system)
            except PromptMismatch as exc:
                raise _err(path, f"{exc}; an answer to another prompt cannot be analysed", r,
                           r.column, fix="import only answers to the prompts `valueaudit prompts "
                           "<model>` writes (the instrument's system and user prompts, any item "
                           "order)") from None
            how = ("item order recovered from the prompt text"
                   + ("" if r.system is not None else "; the source recorded no system prompt"))
        if task not in tasks:
            raise _err(path, f"an answer to the {task} prompt, but models.live "
                       f"'{spec['id']}'.tasks is {tasks}", r, r.column)
        if r.session is None:
            s = next_session.get(task, 0) + 1
            how += "; session numbered in file order"
        else:
            s = int(r.session)
            if s < 1:
                raise _err(path, "session must be an integer >= 1", r, "session")
        next_session[task] = max(next_session.get(task, 0), s)
        if (task, s) in seen:
            raise _err(path, f"a second answer of model {want!r} to {task} session {s} (the "
                       f"first is row {seen[(task, s)]})", r, "session")
        seen[(task, s)] = r.row
        out.append(ImportedAnswer(task, s, list(order or []), how, r))
    return out


def _err(path, rule: str, r: SourceAnswer, column: str | None, fix: str | None = None
         ) -> DataValidationError:
    return DataValidationError(path, rule, r.row, column, header_lines=None, line=r.line, fix=fix)
