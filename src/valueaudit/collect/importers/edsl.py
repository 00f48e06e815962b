"""EDSL results exported with ``Results.to_json()`` or ``Results.to_csv()``.

One EDSL ``Result`` is one agent x scenario x model x iteration answering
every question of the survey; each question it answered is one answer here:
the user prompt ``prompt.<q>_user_prompt`` (and ``prompt.<q>_system_prompt``,
which must be the instrument's system prompt: give the agent that
instruction), the raw text ``generated_tokens.<q>_generated_tokens`` (else
``answer.<q>``), and the model ``model.model`` (what ``select`` matches). The
session is ``scenario.session`` when the scenario has one, else answers are
numbered per task in file order. JSON rows are the results (``data[i]``, 1-based);
CSV rows are data rows (cells may span lines).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ...contracts import DataValidationError, csv_header, decode_text
from . import SourceAnswer, csv_rows

__all__ = ["read_edsl"]

_USER, _SYSTEM, _TOKENS = "_user_prompt", "_system_prompt", "_generated_tokens"


def _prompt_text(v):
    if isinstance(v, dict):
        return v.get("text")
    return v if isinstance(v, str) else None


def _session(path, v, row, column, line=None):
    if v is None or v == "":
        return None
    try:
        s = int(v) if not isinstance(v, bool) else None
    except (TypeError, ValueError):
        s = None
    if s is None or (isinstance(v, float) and v != s):
        raise DataValidationError(path, "scenario session must be an integer >= 1", row, column,
                                  header_lines=None, line=line)
    return s


def _answer(path, *, row, line, column, model, user, system, tokens, answer, session, where,
            ident) -> SourceAnswer:
    text = tokens if isinstance(tokens, str) and tokens.strip() else (
        answer if isinstance(answer, str) else (None if answer is None else json.dumps(answer)))
    key = hashlib.sha256(json.dumps([ident, user, system, text], sort_keys=True,
                                    default=str).encode("utf-8")).hexdigest()
    return SourceAnswer(row=row, line=line, column=column, model=model, user=user, text=text,
                        system=system, session=session, key=key, where=where)


def _from_json(path: Path) -> list[SourceAnswer]:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataValidationError(path, f"not valid UTF-8 JSON ({exc})", header_lines=None) \
            from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise DataValidationError(path, "not EDSL Results JSON (no 'data' list of results)",
                                  header_lines=None, fix="export with Results.to_json()")
    out = []
    for n, res in enumerate(doc["data"], start=1):
        if not isinstance(res, dict) or not isinstance(res.get("answer"), dict):
            raise DataValidationError(path, "a result without an 'answer' object", n, "answer",
                                      header_lines=None)
        model = (res.get("model") or {}).get("model")
        if not isinstance(model, str) or not model:
            raise DataValidationError(path, "a result without model.model", n, "model.model",
                                      header_lines=None)
        scen = res.get("scenario") if isinstance(res.get("scenario"), dict) else {}
        session = _session(path, scen.get("session"), n, "scenario.session")
        prompts = res.get("prompt") or {}
        tokens = res.get("generated_tokens") or {}
        for q, ans in res["answer"].items():
            out.append(_answer(
                path, row=n, line=None, column=f"prompt.{q}{_USER}", model=model,
                user=_prompt_text(prompts.get(q + _USER)),
                system=_prompt_text(prompts.get(q + _SYSTEM)), tokens=tokens.get(q + _TOKENS),
                answer=ans, session=session, where=f"result {n} question {q}",
                ident=[q, model, res.get("iteration"),
                       {k: v for k, v in scen.items() if not k.startswith("edsl_")}]))
    return out


def _from_csv(path: Path) -> list[SourceAnswer]:
    text = decode_text(path)
    header = [c.strip() for c in csv_header(path, text)]
    if "model.model" not in header:
        raise DataValidationError(path, "no column model.model (not an EDSL Results CSV?)",
                                  header_lines=None, line=1, fix="export with Results.to_csv()")
    questions = [c.removeprefix("answer.") for c in header if c.startswith("answer.")]
    if not questions:
        raise DataValidationError(path, "no answer.<question> column", header_lines=None, line=1)
    for q in questions:
        if f"prompt.{q}{_USER}" not in header:
            raise DataValidationError(path, f"no column prompt.{q}{_USER} (the prompt answered)",
                                      header_lines=None, line=1)
    out = []
    for n, line, row in csv_rows(path, text, header):
        model = row["model.model"].strip()
        if not model:
            raise DataValidationError(path, "must not be empty", n, "model.model",
                                      header_lines=None, line=line)
        session = _session(path, row.get("scenario.session"), n, "scenario.session", line)
        scen = {k: v for k, v in row.items() if k.startswith("scenario.")}
        for q in questions:
            out.append(_answer(
                path, row=n, line=line, column=f"prompt.{q}{_USER}", model=model,
                user=row.get(f"prompt.{q}{_USER}") or None,
                system=row.get(f"prompt.{q}{_SYSTEM}") or None,
                tokens=row.get(f"generated_tokens.{q}{_TOKENS}"), answer=row.get(f"answer.{q}"),
                session=session, where=f"row {n} question {q}",
                ident=[q, model, row.get("iteration.iteration"), scen]))
    return out


def read_edsl(path: Path) -> list[SourceAnswer]:
    if path.suffix.lower() == ".csv":
        return _from_csv(path)
    return _from_json(path)
