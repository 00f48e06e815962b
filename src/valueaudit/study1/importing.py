"""Study 1 answers and coding: export of the open-ended answers for coders, import of
their coding from a REFI-QDA project or a coding CSV (METHODS 3, 4)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..contracts import read_coding
from ..parse import response_text, strip_reasoning

__all__ = ["ANSWER_COLUMNS", "CODING_OUT", "CodingError", "open_answers", "export_answers",
           "validate_coding", "load_coding"]

ANSWER_COLUMNS = ["response_id", "model_id", "prompt_id", "session", "model_version", "text"]
CODING_OUT = ["response_id", "model_id", "prompt_id", "coder", "code", "theme", "start", "end",
              "segment"]


class CodingError(ValueError):
    """The coded data are inconsistent; the message names file, code, source, position."""


# ---------------------------------------------------------------------------
# export for coders
# ---------------------------------------------------------------------------
def open_answers(records: Sequence[dict], task: str = "open") -> pd.DataFrame:
    """The open-ended answers in raw LLM records, one row per session.

    The final attempt of each (model, prompt, session) of ``task`` is kept; reasoning
    blocks (``<think>...</think>`` and the like, :func:`valueaudit.parse.strip_reasoning`)
    are not part of the answer. A session whose final attempt returned no answer text (a
    transport error, or reasoning only) has no answer and is left out. ``response_id`` is
    the record id of that attempt, so a coder's file refers back to the exact raw record.

    Parameters
    ----------
    records : sequence of dict
        Raw records (the package schema ``raw_record.schema.yaml``).
    task : str
        The task of the open-ended prompt.

    Returns
    -------
    DataFrame
        ``response_id, model_id, prompt_id, session, model_version, text`` sorted by
        model, prompt and session.
    """
    last: dict[tuple, dict] = {}
    for r in records:
        if r.get("task") != task:
            continue
        key = (r["model_id"], r.get("prompt_id") or task, int(r["session"]))
        if key not in last or r["attempt"] >= last[key]["attempt"]:
            last[key] = r
    rows = []
    for key in sorted(last):
        rec = last[key]
        text, _ = response_text(rec["api"], rec.get("response_body"))
        text = strip_reasoning(text)
        if not text.strip():
            continue
        rows.append({"response_id": rec["record_id"], "model_id": key[0], "prompt_id": key[1],
                     "session": key[2], "model_version": rec.get("model_version") or "",
                     "text": str(text)})
    df = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    df["session"] = df["session"].astype("int64")
    return df


def export_answers(
    answers: pd.DataFrame,
    qdpx_path: str | Path,
    csv_path: str | Path,
    codebook: pd.DataFrame | None = None,
    project_name: str = "valueaudit Study 1: open-ended answers to code",
) -> None:
    """Write the answers for coders: a REFI-QDA project and a CSV.

    One source per answer (named by ``response_id``) with ``model_id``,
    ``prompt_id``, ``session`` and ``model_version`` as source attributes. With a
    codebook, its codes are nested under one non-codable code per theme, so the
    coded project imports back through the same codebook. See
    :func:`valueaudit.qdpx.write_qdpx` and :func:`valueaudit.qdpx.write_coding_csv`.
    """
    from ..qdpx import write_coding_csv, write_qdpx

    if answers.empty:
        raise CodingError("no open-ended answers to export (no records of the open task)")
    cols = [c for c in ANSWER_COLUMNS if c in answers.columns]
    src = answers[cols].reset_index(drop=True)
    cb = None
    if codebook is not None:
        cb = codebook[[c for c in ("code", "theme", "definition") if c in codebook.columns]]
    write_qdpx(qdpx_path, src, codebook=cb, project_name=project_name)
    write_coding_csv(csv_path, src)


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def validate_coding(
    coding: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    file: str | Path = "coding",
    row_offset: int = 1,
    row_label: str = "row",
) -> pd.DataFrame:
    """Check coded segments against the answers and the codebook; add theme and offsets.

    Every code must map to a theme through the codebook; every coded ``response_id``
    must be an answer in ``sources`` (with the same ``model_id``/``prompt_id`` when
    the coding gives them); offsets must lie inside the answer's text and agree with
    the segment text when both are given; a segment without offsets is located at its
    first occurrence in the text.

    Parameters
    ----------
    coding : DataFrame
        ``response_id, coder, code`` and ``start, end`` and/or ``segment``.
    sources : DataFrame
        ``response_id, model_id, prompt_id, text``.
    codebook : DataFrame
        ``code, theme``.
    file : str or Path
        Named in error messages.
    row_offset : int
        Added to the 0-based row index to give the row (line) named in errors; 2 for a
        CSV with a header line.
    row_label : str
        What a row is called in errors ("row" for a CSV line, "coding" for the n-th
        coding of a project).

    Returns
    -------
    DataFrame
        ``response_id, model_id, prompt_id, coder, code, theme, start, end, segment``
        (``model_id``/``prompt_id`` from the source), sorted by response, start, end,
        coder and code; exact duplicates removed.

    Raises
    ------
    CodingError
        Naming the file, the row, the code, the source and the position.
    """
    themes = {}
    for code, theme in zip(codebook["code"], codebook["theme"], strict=True):
        themes[str(code)] = None if _missing(theme) or str(theme).strip() == "" else str(theme)
    src = sources.set_index("response_id")
    texts = src["text"].to_dict()
    has_pos = {"start", "end"} <= set(coding.columns)
    has_seg = "segment" in coding.columns
    rows = []
    for i, row in enumerate(coding.to_dict("records")):
        where = f"{file}, {row_label} {i + row_offset}"
        rid, code, coder = row["response_id"], row["code"], row["coder"]
        s = row.get("start") if has_pos else None
        e = row.get("end") if has_pos else None
        at = "" if _missing(s) or _missing(e) else f" at [{int(s)}, {int(e)})"
        if _missing(coder) or str(coder) == "":
            raise CodingError(f"{where}: code {code!r} on source {rid!r}{at} has no coder")
        rid, code = str(rid), str(code)
        if themes.get(code) is None:
            what = ("is not in the codebook" if code not in themes
                    else "has no theme in the codebook")
            raise CodingError(f"{where}: code {code!r} (on source {rid!r}{at}) {what}")
        if rid not in texts:
            raise CodingError(
                f"{where}: code {code!r}{at} codes unknown source {rid!r} (not among the "
                f"{len(texts)} answers)")
        for col in ("model_id", "prompt_id"):
            if col in row and not _missing(row[col]) and str(row[col]) != str(src.at[rid, col]):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: {col} {row[col]!r} differs from "
                    f"the answer's {src.at[rid, col]!r}")
        text = str(texts[rid])
        seg = row.get("segment") if has_seg else None
        if not _missing(s) and not _missing(e):
            start, end = int(s), int(e)
            if not 0 <= start < end <= len(text):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: position [{start}, {end}) is "
                    f"outside the text ({len(text)} characters) or empty")
            if not _missing(seg) and str(seg) != "" and text[start:end] != str(seg):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: segment text does not match "
                    f"the text at [{start}, {end})")
        elif not _missing(seg) and str(seg) != "":
            start = text.find(str(seg))
            if start < 0:
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: segment {str(seg)[:60]!r} "
                    "is not in the text (no start/end given)")
            end = start + len(str(seg))
        else:
            raise CodingError(
                f"{where}: code {code!r} on source {rid!r}: needs start and end, or a segment")
        rows.append({"response_id": rid, "model_id": str(src.at[rid, "model_id"]),
                     "prompt_id": str(src.at[rid, "prompt_id"]), "coder": str(coder),
                     "code": code, "theme": themes[code], "start": start, "end": end,
                     "segment": text[start:end]})
    out = pd.DataFrame(rows, columns=CODING_OUT)
    out["start"] = out["start"].astype("int64")
    out["end"] = out["end"].astype("int64")
    order = {r: k for k, r in enumerate(sources["response_id"])}
    out["_o"] = out["response_id"].map(order)
    out = (out.drop_duplicates(["response_id", "start", "end", "coder", "code"])
           .sort_values(["_o", "start", "end", "coder", "code"], kind="mergesort")
           .drop(columns="_o").reset_index(drop=True))
    return out


def _read_answers(path: str | Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"response_id", "model_id", "prompt_id", "text"} - set(df.columns)
    if missing:
        raise CodingError(f"{path}: answers file lacks column(s) {sorted(missing)}")
    dup = df["response_id"].duplicated()
    if dup.any():
        raise CodingError(f"{path}: response_id {df['response_id'][dup].iloc[0]!r} appears "
                          "more than once")
    return df


def load_coding(
    source: str | Path,
    fmt: str,
    codebook: pd.DataFrame,
    answers: str | Path | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Import the coded data from a REFI-QDA project or a coding CSV.

    Parameters
    ----------
    source : str or Path
        ``.qdpx`` file (``fmt="qdpx"``) or coding CSV (``fmt="csv"``, METHODS 3).
    fmt : {"qdpx", "csv"}
    codebook : DataFrame
        ``code, theme[, definition]``.
    answers : path or DataFrame, optional
        The answers that were coded (``response_id, model_id, prompt_id, text``);
        required for ``csv`` (a CSV carries no texts), ignored for ``qdpx`` (the
        project holds them).

    Returns
    -------
    (sources, coding)
        ``sources``: ``response_id, model_id, prompt_id, text`` of every analysed
        answer; ``coding``: as returned by :func:`validate_coding`.
    """
    if fmt == "qdpx":
        from ..qdpx import QdpxError, read_qdpx

        try:
            # the codebook is applied below, so that errors name code, source and position
            sources, raw = read_qdpx(source)
        except QdpxError as exc:
            raise CodingError(str(exc)) from None
        row_offset, row_label = 1, "coding"
    elif fmt == "csv":
        if answers is None:
            raise CodingError(f"{source}: a coding CSV needs the answers it refers to")
        sources = answers if isinstance(answers, pd.DataFrame) else _read_answers(answers)
        raw = read_coding(source)
        row_offset, row_label = 2, "row"
    else:
        raise ValueError(f"fmt must be 'qdpx' or 'csv', got {fmt!r}")
    sources = sources[["response_id", "model_id", "prompt_id", "text"]].reset_index(drop=True)
    if sources.empty:
        raise CodingError(f"{source}: no answers (sources) to analyse")
    coding = validate_coding(raw, sources, codebook, file=source, row_offset=row_offset,
                             row_label=row_label)
    if coding.empty:
        raise CodingError(f"{source}: no codings")
    return sources, coding

