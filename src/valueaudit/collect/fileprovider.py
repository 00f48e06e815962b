"""The ``file`` provider: answers collected elsewhere (a chat UI, another harness).

``format`` chooses the reader: ``jsonl`` (below, the default), or one of
the importers in :mod:`.importers` (``inspect_ai`` logs, ``edsl`` results,
a plain ``csv``), which map each answer to the instrument prompt it answers
and recover its item order from the prompt text.

The ``jsonl`` answers file holds one answer per line::

    {"task": "rating", "session": 1, "text": "{\\"perf_1\\": 6, ...}",
     "item_order": ["perf_3", ...],          # optional: the order shown
     "model_version": "vendor-model-2026-01", # optional
     "collected_utc": "2026-03-01T10:00:00Z", # optional
     "finish_reason": "stop", "usage": {...}} # optional

``task`` is ``rating``, ``ranking`` or ``open``; ``session`` a 1-based
replicate index; ``text`` the model's answer exactly as given. Without
``item_order`` the order is the seeded shuffle that :func:`export_prompts`
gives for that session (administer those prompts to make it true).

Each line becomes one raw record (``api: file``) whose ``provenance`` says
where it came from (file, line, sha256 of the line). Importing is
idempotent: a line already imported (same sha256) is skipped, a new line for
a session that has one becomes its next attempt, and old records are kept.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..instrument import TASKS, Instrument, item_order

__all__ = ["read_answers", "answers_to_records", "export_prompts"]


def read_answers(path: str | Path) -> list[tuple[int, str, dict]]:
    """(line number, sha256 of the line, answer) for every answer in ``path``."""
    path = Path(path)
    out = []
    for n, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            ans = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: line {n} is not valid UTF-8 JSON ({exc})") from None
        where = f"{path}: line {n}"
        if not isinstance(ans, dict):
            raise ValueError(f"{where}: expected a JSON object")
        if ans.get("task") not in TASKS:
            raise ValueError(f"{where}: task must be one of {TASKS}, got {ans.get('task')!r}")
        if not isinstance(ans.get("session"), int) or isinstance(ans.get("session"), bool) \
                or ans["session"] < 1:
            raise ValueError(f"{where}: session must be an integer >= 1")
        if not isinstance(ans.get("text"), str):
            raise ValueError(f"{where}: text (the answer) must be a string")
        out.append((n, hashlib.sha256(raw.strip()).hexdigest(), ans))
    return out


def export_prompts(spec: dict, instrument: Instrument, seed: int) -> list[dict]:
    """The prompts to administer elsewhere, one per session (seeded item order)."""
    from .store import session_keys

    out = []
    for task, s in session_keys(spec):
        order = item_order(instrument, task, seed, spec["id"], s)
        out.append({"model_id": spec["id"], "task": task, "session": s, "item_order": order,
                    "messages": instrument.messages(task, order)})
    return out


def _jsonl_answers(spec: dict, instrument: Instrument, seed: int, path: Path):
    from .importers import ImportedAnswer, SourceAnswer

    out = []
    for n, sha, ans in read_answers(path):
        task, s = ans["task"], int(ans["session"])
        if task not in spec.get("tasks", TASKS):
            raise ValueError(f"{path}: line {n}: task {task!r} is not in models.live "
                             f"'{spec['id']}'.tasks {spec.get('tasks')}")
        seeded = item_order(instrument, task, seed, spec["id"], s)
        order = ans.get("item_order")
        if order is None:
            order, how = seeded, "item order assumed to be the seeded shuffle (not given in the file)"
        else:
            if sorted(order) != sorted(seeded):
                raise ValueError(f"{path}: line {n}: item_order must list each of "
                                 f"{sorted(seeded)} once")
            how = "item order as given in the file"
        src = SourceAnswer(row=n, line=n, column="text", model=None, user=None, text=ans["text"],
                           session=s, task=task, item_order=list(order),
                           model_version=ans.get("model_version"), usage=ans.get("usage"),
                           finish_reason=ans.get("finish_reason"),
                           collected_utc=ans.get("collected_utc"), key=sha, where=f"line {n}")
        out.append(ImportedAnswer(task, s, list(order), how, src))
    return out


def answers_to_records(spec: dict, instrument: Instrument, seed: int, path: str | Path,
                       existing: list[dict], now_utc: str, version: str) -> list[dict]:
    """Raw records for the answers in ``path`` that are not in ``existing`` yet.

    ``spec['format']`` chooses the reader (:mod:`.importers`); every record
    carries the sha256 of the whole source file (``collection.source_file_sha256``
    and the provenance) and of its own answer (``collection.source_sha256``,
    which makes importing idempotent). An answer without text (or one the
    source marks as failed) is recorded with error ``empty_response`` (or
    ``source_error``): no answer, counted as missing.
    """
    from .importers import file_sha256, read_source
    from .store import REFUSAL_FINISH

    path = Path(path)
    fmt = spec.get("format") or "jsonl"
    answers = (_jsonl_answers(spec, instrument, seed, path) if fmt == "jsonl"
               else read_source(spec, instrument, path))
    file_sha = file_sha256(path)
    seen = {(r.get("collection") or {}).get("source_sha256") for r in existing}
    attempts: dict[tuple[str, int], int] = {}
    for r in existing:
        k = (r["task"], int(r["session"]))
        attempts[k] = max(attempts.get(k, 0), int(r["attempt"]))
    out = []
    for a in answers:
        src, task, s = a.src, a.task, a.session
        if src.key in seen:
            continue
        seen.add(src.key)
        attempts[(task, s)] = attempts.get((task, s), 0) + 1
        n = attempts[(task, s)]
        ts = str(src.collected_utc or now_utc)
        error = None
        if src.error:
            error = {"type": "source_error", "status": None, "retryable": False,
                     "message": "the source records this call as failed"}
        elif not (src.text or "").strip() and src.finish_reason not in REFUSAL_FINISH:
            error = {"type": "empty_response", "status": None, "retryable": False,
                     "message": "the source holds no answer text for this prompt"}
        out.append({
            "schema_version": 1,
            "record_id": f"{spec['id']}.{task}.s{s:03d}.a{n}",
            "model_id": spec["id"],
            "task": task,
            "prompt_id": task,
            "session": s,
            "attempt": n,
            "provider": "file",
            "api": "file",
            "request": {"model": spec["model"], "messages": instrument.messages(task, a.order),
                        "params": dict(spec.get("params") or {})},
            "item_order": list(a.order),
            "response_body": {"text": src.text, "finish_reason": src.finish_reason},
            "model_version": src.model_version,
            "usage": src.usage,
            "latency_s": None,
            "started_utc": ts,
            "finished_utc": ts,
            "error": error,
            "retries": [],
            "repair": None,
            "instrument_sha256": instrument.sha256,
            "prompt_sha256": instrument.prompt_sha256(task),
            "provenance": (f"file provider ({fmt}): answer collected outside valueaudit, imported "
                           f"by valueaudit {version} from {path.name} {src.where} (file sha256 "
                           f"{file_sha}); {a.how}"),
            "collection": {"source": str(path), "source_format": fmt, "source_line": src.row,
                           "source_where": src.where, "source_sha256": src.key,
                           "source_file_sha256": file_sha, "imported_utc": now_utc,
                           "recollect": None},
        })
    return out
