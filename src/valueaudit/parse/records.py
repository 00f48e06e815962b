"""Raw LLM records to the parsed responses table (METHODS 3)."""

from __future__ import annotations

import pandas as pd

from .answer import ParseResult, parse_text
from .keys import spec_for

__all__ = ["response_text", "parse_record", "final_attempts", "parse_records", "parse_sessions",
           "RESPONSE_COLUMNS", "SESSION_COLUMNS", "PARSER_VERSION"]

PARSER_VERSION = "3"

SESSION_COLUMNS = ["model_id", "format", "session", "status", "reason", "repair", "excerpt",
                   "parser_version", "attempts"]

RESPONSE_COLUMNS = ["model_id", "format", "session", "item_id", "theme", "value", "status",
                    "reason", "repair", "parser_version"]


def response_text(api: str, body: dict | None) -> tuple[str | None, str | None]:
    """Extract (answer text, finish reason) from a provider response body."""
    if not isinstance(body, dict):
        return None, None
    try:
        if api == "openai.chat.completions":
            choice = body["choices"][0]
            msg = choice.get("message") or {}
            text = msg.get("content")
            if not text and msg.get("refusal"):
                return msg.get("refusal"), "refusal"
            if isinstance(text, list):
                text = "".join(p.get("text", "") for p in text if isinstance(p, dict))
            return text, choice.get("finish_reason")
        if api == "anthropic.messages":
            parts = [b.get("text", "") for b in body.get("content", []) if b.get("type") == "text"]
            return ("".join(parts) if parts else None), body.get("stop_reason")
        if api == "file":
            return body.get("text"), body.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None, None
    return None, None


def _meta(spec) -> dict:
    return {"unit": "statement" if spec.fmt == "rating" else "aspect", "scale": (spec.lo, spec.hi)}


def _no_text(finish: str | None, spec) -> ParseResult:
    if finish in ("content_filter", "refusal"):
        return ParseResult(None, "refused", "refusal", detail=f"provider reported {finish}",
                           **_meta(spec))
    return ParseResult(None, "error", "empty_response", **_meta(spec))


def parse_record(record: dict, instrument) -> ParseResult:
    """Parse one raw record (the final attempt of a session).

    A failed request is ``error`` (reason ``api_error``); a response without
    text is ``error`` (``empty_response``) unless the provider reports a
    refusal or content filter (``refused``). A provider cut at the token limit
    (``finish_reason: length``, ``stop_reason: max_tokens``) is known to the
    text parser. When the answer is unparseable and the collector's one repair
    request was answered, that answer is parsed instead (repair
    ``repair_request``).
    """
    fmt = record["task"]
    spec = spec_for(instrument, fmt)
    text, finish = response_text(record["api"], record.get("response_body"))
    if record.get("error") and text is None:
        err = record["error"] if isinstance(record["error"], dict) else {}
        detail = str(err.get("type", "error"))[:60]
        reason = "empty_response" if detail == "empty_response" else "api_error"
        return ParseResult(None, "error", reason, detail=detail, **_meta(spec))
    if text is None or not str(text).strip():
        res = _no_text(finish, spec)
    else:
        res = parse_text(text, spec, finish)
        if res.status == "unparseable" and finish in ("content_filter", "refusal"):
            res = ParseResult(None, "refused", "refusal", excerpt=res.excerpt,
                              detail=f"provider reported {finish}", **_meta(spec))
    repair = record.get("repair")
    if res.status == "unparseable" and isinstance(repair, dict):
        rtext, rfinish = response_text(record["api"], repair.get("response_body"))
        if rtext is not None and str(rtext).strip():
            rres = parse_text(rtext, spec, rfinish)
            if rres.values is not None:
                return ParseResult(rres.values, "repaired", "",
                                   tuple(dict.fromkeys((*rres.repairs, "repair_request"))),
                                   **_meta(spec))
    return res


def final_attempts(records: list[dict]) -> list[dict]:
    """Keep the last attempt of each (model, task, session); sorted by key."""
    last: dict[tuple, dict] = {}
    for r in records:
        key = (r["model_id"], r["task"], r["session"])
        if key not in last or r["attempt"] >= last[key]["attempt"]:
            last[key] = r
    return [last[k] for k in sorted(last)]


def parse_records(records: list[dict], instrument) -> pd.DataFrame:
    """Parsed responses table for the rating/ranking records in ``records``.

    One row per (model, format, session, target); sessions that did not parse
    have empty values, their status and reason. ``repair`` lists what a
    ``repaired`` session needed (``;``-joined); ``parser_version`` is
    :data:`PARSER_VERSION`.
    """
    return parse_sessions(records, instrument)[0]


def parse_sessions(records: list[dict], instrument) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The responses table and the session table of ``records``.

    The session table has one row per (model, format, session): ``status``,
    ``reason``, ``repair``, ``excerpt`` (at most 80 characters of the answer
    around the problem, for the parse audit), ``parser_version`` and
    ``attempts`` (how many attempts the session took).
    """
    theme_of = instrument.theme_of()
    n_attempts: dict[tuple, int] = {}
    for r in records:
        if r["task"] in ("rating", "ranking"):
            key = (r["model_id"], r["task"], int(r["session"]))
            n_attempts[key] = n_attempts.get(key, 0) + 1
    rows, sessions = [], []
    for rec in final_attempts(records):
        fmt = rec["task"]
        if fmt not in ("rating", "ranking"):
            continue
        res = parse_record(rec, instrument)
        repair = ";".join(res.repairs)
        session = int(rec["session"])
        sessions.append({"model_id": rec["model_id"], "format": fmt, "session": session,
                         "status": res.status, "reason": res.reason, "repair": repair,
                         "excerpt": res.excerpt if res.values is None else "",
                         "parser_version": PARSER_VERSION,
                         "attempts": n_attempts[(rec["model_id"], fmt, session)]})
        for t in instrument.targets(fmt):
            rows.append(
                {
                    "model_id": rec["model_id"],
                    "format": fmt,
                    "session": session,
                    "item_id": t,
                    "theme": theme_of.get(t, t),
                    "value": None if res.values is None else float(res.values[t]),
                    "status": res.status,
                    "reason": res.reason,
                    "repair": repair,
                    "parser_version": PARSER_VERSION,
                }
            )
    df = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    df["value"] = df["value"].astype("float64")
    df["session"] = df["session"].astype("int64")
    st = pd.DataFrame(sessions, columns=SESSION_COLUMNS)
    st["session"] = st["session"].astype("int64")
    st["attempts"] = st["attempts"].astype("int64")
    return df, st
