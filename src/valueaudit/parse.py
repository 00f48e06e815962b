"""Turn raw LLM records into the parsed responses table (METHODS 3).

Statuses, per session:

``ok``
    The answer text is exactly one JSON object with every expected id and a
    valid value for each (strict parse).
``repaired``
    The strict parse failed but the complete set of values was recovered by
    the lenient readers (JSON inside a markdown fence, JSON with prose around
    it, a numbered or bulleted list of ``id: value`` lines, rankings given as
    an ordered list), or by the one repair request the collector may send.
``refused``
    No values could be read and the answer declines to take part (refusal
    wording, or the provider reports a refusal / content filter).
``unparseable``
    An answer came back but no complete, valid set of values could be read
    (truncated, missing items, out-of-range values, ties in a ranking, ...).
``error``
    No answer: the final attempt ended in an API or transport error.

A session that does not parse contributes no values: nothing is ever filled
with a default, and a partial answer is never used.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["ParseResult", "parse_answer", "response_text", "parse_record", "parse_records", "STATUSES"]

STATUSES = ("ok", "repaired", "refused", "unparseable", "error")

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_REFUSAL = re.compile(
    r"\b(i'?m sorry|i am sorry|i can(?:'|no)t|i cannot|i won'?t|i will not|i'?m (?:not able|unable)|"
    r"i am (?:not able|unable)|unable to (?:provide|comply|answer|rate|rank)|"
    r"i (?:do not|don'?t) have (?:personal|opinions|preferences)|as an ai\b[^.]*\b(?:not|cannot|can't)|"
    r"not comfortable|decline to)",
    re.I,
)
_LINE = re.compile(
    r"^\s*(?:[-*\u2022]|\d+[.)])?\s*[\[\(\"'`*]*\s*(?P<id>[a-z0-9][a-z0-9._-]*)\s*[\]\)\"'`*]*"
    r"(?:[^\n:=\-\u2013\u2014]*?)?\s*(?:[:=\-\u2013\u2014]|\s)\s*\**\s*(?P<val>-?\d+(?:\.\d+)?)\s*\**"
    r"(?:\s*/\s*\d+)?\s*[.,;]?\s*$",
    re.M,
)


@dataclass(frozen=True)
class ParseResult:
    values: dict[str, int] | None
    status: str
    reason: str = ""


# ---------------------------------------------------------------------------
# text-level parsing
# ---------------------------------------------------------------------------
def _as_int(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+(?:\.0+)?\s*", v):
        return int(float(v))
    return None


def _check(obj, targets: list[str], fmt: str, lo: int, hi: int, strict: bool) -> tuple[dict | None, str]:
    """Validate a decoded object; return (values, reason-if-invalid)."""
    if fmt == "ranking" and isinstance(obj, dict) and len(obj) == 1:
        (only,) = obj.values()
        if isinstance(only, list) and not strict:
            obj = only
    if fmt == "ranking" and isinstance(obj, list) and not strict:
        ids = [str(x).strip().strip("[]").lower() for x in obj]
        if sorted(ids) == sorted(targets):
            obj = {t: n + 1 for n, t in enumerate(ids)}
    if not isinstance(obj, dict):
        return None, "answer is not a JSON object"
    norm = {}
    for k, v in obj.items():
        key = str(k) if strict else str(k).strip().strip("[]").lower()
        norm[key] = v
    missing = [t for t in targets if t not in norm]
    if missing:
        return None, f"missing ids: {', '.join(missing[:5])}"
    extra = [k for k in norm if k not in targets]
    if extra and strict:
        return None, f"unexpected ids: {', '.join(extra[:5])}"
    values = {}
    for t in targets:
        iv = _as_int(norm[t]) if not strict or isinstance(norm[t], int | float) else None
        if iv is None or not (lo <= iv <= hi):
            return None, f"invalid value for {t}: {norm[t]!r} (expected an integer {lo}..{hi})"
        values[t] = iv
    if fmt == "ranking" and sorted(values.values()) != list(range(1, len(targets) + 1)):
        return None, "ranks are not a permutation of 1..T (ties or gaps)"
    return values, ""


def _balanced_objects(text: str):
    """Yield substrings that are balanced {...} blocks (string-aware)."""
    depth, start, in_str, esc = 0, None, False, False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                yield text[start : i + 1]


def parse_answer(text: str | None, targets: list[str], fmt: str, lo: int, hi: int) -> ParseResult:
    """Read the values of one answer text.

    Parameters
    ----------
    text : the model's answer.
    targets : the ids that must all be answered (items for ``rating``, themes
        for ``ranking``).
    fmt : ``"rating"`` or ``"ranking"``.
    lo, hi : the valid value range (inclusive).
    """
    if text is None or not str(text).strip():
        return ParseResult(None, "unparseable", "empty answer")
    text = str(text)
    reasons = []
    # 1. strict: the whole answer is one JSON object
    try:
        obj = json.loads(text.strip())
    except (json.JSONDecodeError, RecursionError, ValueError):
        reasons.append("not a bare JSON object")
    else:
        values, why = _check(obj, targets, fmt, lo, hi, strict=True)
        if values is not None:
            return ParseResult(values, "ok")
        reasons.append(why)
    # 2. lenient: fenced JSON, then JSON blocks inside prose
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + list(_balanced_objects(text))
    for cand in candidates:
        try:
            obj = json.loads(cand.strip())
        except (json.JSONDecodeError, RecursionError, ValueError):
            continue
        values, why = _check(obj, targets, fmt, lo, hi, strict=False)
        if values is not None:
            return ParseResult(values, "repaired", "lenient JSON extraction")
        reasons.append(why)
    # 3. lenient: list lines "id: value"
    found: dict[str, str] = {}
    conflict = False
    for m in _LINE.finditer(text):
        key = m.group("id").lower()
        if key in targets:
            if key in found and found[key] != m.group("val"):
                conflict = True
            found[key] = m.group("val")
    if found and not conflict:
        values, why = _check(found, targets, fmt, lo, hi, strict=False)
        if values is not None:
            return ParseResult(values, "repaired", "lenient list extraction")
        reasons.append(why)
    elif conflict:
        reasons.append("conflicting values for the same id")
    # 4. ranking given as an ordered list of ids, one per line
    if fmt == "ranking":
        order = [t.lower() for t in re.findall(r"\[?\b([a-z0-9][a-z0-9._-]*)\b\]?", text.lower())]
        seq = []
        for t in order:
            if t in targets and t not in seq:
                seq.append(t)
        lines_with_ids = [ln for ln in text.splitlines() if any(t in ln.lower() for t in targets)]
        if len(seq) == len(targets) and len(lines_with_ids) == len(targets):
            return ParseResult({t: n + 1 for n, t in enumerate(seq)}, "repaired", "ordered list")
    if _REFUSAL.search(text):
        return ParseResult(None, "refused", "refusal wording")
    return ParseResult(None, "unparseable", "; ".join(r for r in reasons if r) or "no values found")


# ---------------------------------------------------------------------------
# record-level parsing
# ---------------------------------------------------------------------------
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
            return text, choice.get("finish_reason")
        if api == "anthropic.messages":
            parts = [b.get("text", "") for b in body.get("content", []) if b.get("type") == "text"]
            return ("".join(parts) if parts else None), body.get("stop_reason")
        if api == "file":
            return body.get("text"), body.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None, None
    return None, None


def parse_record(record: dict, instrument) -> ParseResult:
    """Parse one raw record (the final attempt of a session)."""
    fmt = record["task"]
    targets = instrument.targets(fmt)
    lo, hi = instrument.value_range(fmt)
    text, finish = response_text(record["api"], record.get("response_body"))
    if record.get("error") and text is None:
        err = record["error"]
        return ParseResult(None, "error", f"{err.get('type', 'error')}: {err.get('message', '')}"[:200])
    res = parse_answer(text, targets, fmt, lo, hi)
    if res.status == "unparseable" and finish in ("content_filter", "refusal"):
        res = ParseResult(None, "refused", f"provider reported {finish}")
    repair = record.get("repair")
    if res.status == "unparseable" and isinstance(repair, dict):
        rtext, _ = response_text(record["api"], repair.get("response_body"))
        rres = parse_answer(rtext, targets, fmt, lo, hi)
        if rres.values is not None:
            return ParseResult(rres.values, "repaired", "repair request")
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

    One row per (model, format, session, target); sessions that did not
    parse have empty values and their status.
    """
    theme_of = instrument.theme_of()
    rows = []
    for rec in final_attempts(records):
        fmt = rec["task"]
        if fmt not in ("rating", "ranking"):
            continue
        res = parse_record(rec, instrument)
        for t in instrument.targets(fmt):
            rows.append(
                {
                    "model_id": rec["model_id"],
                    "format": fmt,
                    "session": int(rec["session"]),
                    "item_id": t,
                    "theme": theme_of.get(t, t),
                    "value": None if res.values is None else float(res.values[t]),
                    "status": res.status,
                }
            )
    cols = ["model_id", "format", "session", "item_id", "theme", "value", "status"]
    df = pd.DataFrame(rows, columns=cols)
    df["value"] = df["value"].astype("float64")
    df["session"] = df["session"].astype("int64")
    return df
