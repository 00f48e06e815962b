"""From an answer text to values, status, reason and repairs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .keys import Spec
from .lines import chain_blocks, line_blocks, table_blocks
from .structures import _Bad, decode, entries_of, scan_structures
from .text import (
    blank_reasoning,
    correction_marks,
    echo_intro,
    excerpt,
    fence_spans,
    fold_width,
    refusal_at,
    reversed_scale,
    strong_marks,
    unbox,
)
from .values import read_value

__all__ = ["ParseResult", "STATUSES", "REASONS", "REPAIRS", "parse_text"]

STATUSES = ("ok", "repaired", "refused", "unparseable", "error")

#: machine-readable reasons of a non-``ok`` status, with the sentence a repair
#: request or a report shows for each
REASONS = {
    "truncated": "the answer was cut off before it was complete",
    "missing_item": "a value is missing for at least one {unit}",
    "out_of_range": "a value is outside {lo}..{hi}",
    "non_integer": "a value is not a whole number",
    "invalid_value": "a value is not a number from {lo} to {hi}",
    "tie": "two aspects share a rank; each rank from 1 to {hi} must be used exactly once",
    "conflict": "the answer gives different values for the same {unit}",
    "ambiguous_key": "a key does not name exactly one {unit}",
    "unknown_key": "a key is not one of the {unit} ids",
    "refusal": "the answer declines to give values",
    "empty_response": "the response contained no text",
    "no_answer_found": "no values for the {unit}s could be found",
    "api_error": "the request failed",
}

#: what a ``repaired`` answer needed, in the order they are reported
REPAIRS = ("reasoning_stripped", "fence", "prose", "json_syntax", "fullwidth", "key_case",
           "label_keys", "wording_keys", "nested", "value_text", "ordinal_words", "table",
           "lines", "ordered_list", "chain", "last_of_several", "truncated", "repair_request")


@dataclass(frozen=True)
class ParseResult:
    """What one answer says.

    ``values`` maps every target to its value, or is None. ``status`` is one of
    :data:`STATUSES`. ``reason`` is a code from :data:`REASONS` (empty for
    ``ok`` and ``repaired``); ``repairs`` lists what a ``repaired`` answer
    needed (codes from :data:`REPAIRS`); ``excerpt`` is at most 80 characters
    of the text around the problem (audit only); ``detail`` is a short
    human-readable precision (an id, a value).
    """

    values: dict[str, int] | None
    status: str
    reason: str = ""
    repairs: tuple[str, ...] = ()
    excerpt: str = ""
    detail: str = ""
    unit: str = field(default="statement", repr=False, compare=False)
    scale: tuple[int, int] = field(default=(1, 7), repr=False, compare=False)

    @property
    def message(self) -> str:
        """One readable sentence for ``reason`` (used in the repair request)."""
        if not self.reason:
            return ""
        lo, hi = self.scale
        text = REASONS.get(self.reason, self.reason.replace("_", " "))
        text = text.format(unit=self.unit, lo=lo, hi=hi)
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class _Cand:
    kind: str
    start: int
    end: int
    entries: list
    closed: bool = True
    lenient: bool = False
    values: dict | None = None
    reason: str = ""
    detail: str = ""
    where: int = 0
    readable: dict = field(default_factory=dict)
    hows: set = field(default_factory=set)


_PRIORITY = ("ambiguous_key", "unknown_key", "conflict", "out_of_range", "non_integer",
             "invalid_value", "missing_item", "tie")


def _evaluate(c: _Cand, spec: Spec) -> None:
    problems: dict[str, tuple[str, int]] = {}

    def bad(reason, detail, off):
        problems.setdefault(reason, (detail, off))

    got: dict[str, int] = {}
    for target, raw, kind, how, off in c.entries:
        if kind == "ambiguous":
            bad("ambiguous_key", "", off)
            continue
        if kind == "unknown":
            bad("unknown_key", "", off)
            continue
        if kind == "id_case":
            c.hows.add("key_case")
        elif kind in ("label", "wording"):
            c.hows.add(f"{kind}_keys")
        if how:
            c.hows.add(how)
        if isinstance(raw, _Bad):
            bad(raw.reason, target, off)
            got.setdefault(target, None)
            continue
        v, why, how2 = read_value(raw, spec.fmt, spec.lo, spec.hi)
        if how2 and not (how2 == "value_text" and isinstance(raw, str) and c.kind != "json"):
            c.hows.add(how2)
        if v is None:
            bad(why, target, off)
            if target in got:
                bad("conflict", target, off)
            got.setdefault(target, None)
            continue
        if target in got and got[target] != v:
            bad("conflict", target, off)
        got[target] = v
        c.readable.setdefault(target, v)
    if not c.closed:
        c.reason, c.where = "truncated", c.end
        return
    missing = [t for t in spec.targets if t not in got]
    if missing:
        bad("missing_item", missing[0], c.end)
    if not problems and spec.fmt == "ranking":
        ranks = sorted(got.values())
        if ranks != list(range(1, len(spec.targets) + 1)):
            dup = next(r for n, r in enumerate(ranks) if n and ranks[n - 1] == r)
            bad("tie", f"rank {dup}", c.start)
    for reason in _PRIORITY:
        if reason in problems:
            c.reason = reason
            c.detail, c.where = problems[reason]
            c.detail = c.detail or ""
            return
    c.values = {t: got[t] for t in spec.targets}


def _strict(text: str, spec: Spec) -> dict | None:
    """Values when the whole text is exactly one JSON object of ids and integers."""
    s = text.strip()
    if not (s.startswith("{") and s.endswith("}")):
        return None
    try:
        pairs = json.loads(s, object_pairs_hook=list)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, list) or len(pairs) != len(spec.targets):
        return None
    out = {}
    for k, v in pairs:
        if k not in spec.targets or k in out or isinstance(v, bool) or not isinstance(v, int):
            return None
        if not spec.lo <= v <= spec.hi:
            return None
        out[k] = v
    if spec.fmt == "ranking" and sorted(out.values()) != list(range(1, len(spec.targets) + 1)):
        return None
    return {t: out[t] for t in spec.targets}


def _candidates(text: str, spec: Spec, marks: list[int]) -> list[_Cand]:
    cands: list[_Cand] = []
    skip: list[tuple[int, int]] = []
    for start, end, closed in scan_structures(text):
        if closed:
            node, lenient = decode(text[start:end])
            if node is None:
                continue
            entries = entries_of(node, spec)
            if not entries:
                continue
            ents = [(t, v, k, h, start) for t, v, k, h in entries]
            cands.append(_Cand("json", start, end, ents, True, lenient))
            skip.append((start, end))
        else:
            cands.append(_Cand("json", start, end, [], False))
            skip.append((start, end))
    for start, end, entries in table_blocks(text, spec):
        if not any(s <= start < e for s, e in skip):
            cands.append(_Cand("table", start, end, entries))
            skip.append((start, end))
    for start, end, entries in chain_blocks(text, spec, skip):
        cands.append(_Cand("chain", start, end, entries))
        skip.append((start, end))
    for entries in line_blocks(text, spec, skip, marks):
        start = entries[0][4]
        if all(e[3] == "ordered_list" for e in entries) and echo_intro(text, start):
            continue
        end = text.find("\n", max(e[4] for e in entries))
        cands.append(_Cand("lines", start, len(text) if end < 0 else end, entries))
    cands.sort(key=lambda c: c.start)
    return cands


def _agrees(c: _Cand, values: dict) -> bool:
    return all(values.get(t) == v for t, v in c.readable.items())


def parse_text(text: str | None, spec: Spec, finish: str | None = None) -> ParseResult:
    """Parse one answer text against ``spec`` (see :func:`valueaudit.parse.parse_answer`)."""
    unit = "statement" if spec.fmt == "rating" else "aspect"
    meta = {"unit": unit, "scale": (spec.lo, spec.hi)}

    def fail(status, reason, pos=0, detail="", src=None):
        return ParseResult(None, status, reason, (), excerpt(src if src is not None else original, pos),
                           str(detail or ""), **meta)

    if text is None or not str(text).strip():
        return ParseResult(None, "error", "empty_response", **meta)
    original = str(text)
    cut = finish in ("length", "max_tokens")
    strict = _strict(original, spec)
    if strict is not None:
        return ParseResult(strict, "ok", **meta)
    work, wide = fold_width(original)
    work, reasoned, unclosed = blank_reasoning(work)
    work = unbox(work)
    repairs: set[str] = set()
    if reasoned:
        repairs.add("reasoning_stripped")
    if wide:
        repairs.add("fullwidth")
    if not work.strip():
        return fail("unparseable", "truncated" if (cut or unclosed) else "no_answer_found")
    marks = correction_marks(work)
    cands = _candidates(work, spec, marks)
    for c in cands:
        if c.closed:
            _evaluate(c, spec)
        else:
            c.reason, c.where = "truncated", c.end
    live = [c for c in cands if c.readable or c.values is not None or not c.closed
            or c.reason in ("ambiguous_key", "unknown_key", "truncated")]
    if not live:
        r = refusal_at(work)
        if r >= 0 and not any(c.kind in ("json", "table") for c in cands):
            return fail("refused", "refusal", r)
        if not cands:
            return fail("unparseable", "truncated" if cut else "no_answer_found", 0)
        live = cands
    # explicit corrections: the answers after the last mark that is followed by one
    final = live
    superseded = []
    for m in reversed(marks):
        after = [c for c in live if c.start >= m]
        before = [c for c in live if c.end <= m]
        if after and before:
            final, superseded = after, before
            break
    cut_after = cut and any(m > max(c.end for c in final) for m in marks)
    valid = [c for c in final if c.values is not None]
    if not valid:
        seen: dict[str, int] = {}
        for c in final:
            for t, v in c.readable.items():
                if seen.setdefault(t, v) != v:
                    return fail("unparseable", "conflict", c.where, t)
        worst = max(final, key=lambda c: (not c.closed, len(c.readable), c.start))
        reason = "truncated" if (cut and worst.reason in ("missing_item", "truncated")) else worst.reason
        return fail("unparseable", reason, worst.where, worst.detail)
    answer = valid[-1]
    for c in valid:
        if c.values != answer.values:
            return fail("unparseable", "conflict", c.start)
    for c in final:
        if c.values is None and not _agrees(c, answer.values):
            if not c.closed:
                return fail("unparseable", "truncated", c.start)
            return fail("unparseable", "conflict", c.where)
        if c.values is None and not c.closed and c.start > answer.start:
            return fail("unparseable", "truncated", c.start)
    if cut_after:
        return fail("unparseable", "truncated", len(work) - 1)
    later = _later_change(work, answer, cands, spec)
    if later < 0 and spec.fmt == "ranking":
        later = _later_extreme(work, answer, cands, spec)
    if later < 0:
        later = next((m for m in strong_marks(work) if m >= answer.end), -1)
    if later >= 0:
        return fail("unparseable", "conflict", later)
    if cut and answer.kind != "json" and not work[answer.end :].strip():
        # a list, table or chain that runs into the cut may have lost its last value
        return fail("unparseable", "truncated", answer.end)
    flip, said = reversed_scale(work, spec.fmt, spec.lo, spec.hi)
    if flip >= 0:
        return fail("unparseable", "invalid_value", flip, f"scale reversed: {said}")
    for c in valid:
        repairs |= c.hows
        if c.lenient:
            repairs.add("json_syntax")
    if superseded and any(c.values != answer.values for c in superseded):
        repairs.add("last_of_several")
    fences = fence_spans(work)
    if any(s <= answer.start < e for s, e in fences):
        repairs.add("fence")
    outside = _outside(work, [(c.start, c.end) for c in cands], fences)
    if outside:
        repairs.add("prose")
    if cut:
        repairs.add("truncated")
    if answer.kind == "json" and not repairs:
        repairs.add("json_syntax")
    order = [r for r in REPAIRS if r in repairs]
    return ParseResult(dict(answer.values), "repaired", "", tuple(order), **meta)


_SENTENCE = re.compile(r"[^.!?\n。！？]+")
_INT = re.compile(r"(?<![\d.,])\d{1,3}(?![\d]|[.,]\d)")
_MENTIONS: dict[tuple, re.Pattern] = {}


def _mention_pattern(spec: Spec) -> re.Pattern:
    key = (spec.targets, spec.fmt)
    pat = _MENTIONS.get(key)
    if pat is None:
        ids = sorted(spec.targets, key=len, reverse=True)
        pat = re.compile(r"(?<![\w])(" + "|".join(re.escape(t) for t in ids) + r")(?![\w])", re.I)
        _MENTIONS[key] = pat
    return pat


def _tail(text: str, answer: _Cand, cands: list[_Cand]) -> str:
    """The text after the answer, other answer blocks blanked (offsets kept)."""
    tail_start = answer.end
    tail = text[tail_start:]
    for c in cands:
        if c.start >= tail_start:
            a, b = c.start - tail_start, c.end - tail_start
            tail = tail[:a] + " " * (b - a) + tail[b:]
    return tail


_MOST = re.compile(
    r"(?:matters?|counts?) (?:the )?most|most (?:important|essential|crucial)|top priority|"
    r"highest priority|\bmost\s*(?:[.,;!]|$)|am wichtigsten|más importante|最重要", re.I)
_LEAST = re.compile(
    r"(?:matters?|counts?) (?:the )?least|least (?:important|essential|crucial)|"
    r"lowest priority|\bleast\s*(?:[.,;!]|$)|comes? last|ranked last|am wenigsten|"
    r"menos importante|最不重要", re.I)


def _name_pattern(spec: Spec) -> re.Pattern:
    """Ids and theme labels of ``spec`` as they may be written in prose."""
    pat = spec.patterns.get("names")
    if pat is None:
        names = sorted((a for a, (kind, ts) in spec.aliases.items()
                        if kind in ("id", "label") and len(ts) == 1), key=len, reverse=True)
        alt = "|".join(r"[\W_]+".join(re.escape(w) for w in a.split()) for a in names)
        pat = re.compile(r"(?<![\w])(" + alt + r")(?![\w])", re.I)
        spec.patterns["names"] = pat
    return pat


def _later_extreme(text: str, answer: _Cand, cands: list[_Cand], spec: Spec) -> int:
    """Offset of a sentence after a ranking that calls an aspect the most or least
    important when its rank is not 1 or the last, or -1.

    ("Agency matters least to me." after a ranking that gives agency rank 1.)
    """
    tail = _tail(text, answer, cands)
    if not tail.strip():
        return -1
    pat = _name_pattern(spec)
    last = len(spec.targets)
    for m in _SENTENCE.finditer(tail):
        sent = m.group()
        hits = list(pat.finditer(sent))
        if not hits:
            continue
        ends = [x.start() for x in hits[1:]] + [len(sent)]
        for x, e in zip(hits, ends, strict=True):
            target = spec.resolve(x.group(1)).target
            if target is None:
                continue
            piece = sent[x.end() : e]
            rank = answer.values[target]
            if (_MOST.search(piece) and rank != 1) or (_LEAST.search(piece) and rank != last):
                return answer.end + m.start()
    return -1


def _later_change(text: str, answer: _Cand, cands: list[_Cand], spec: Spec) -> int:
    """Offset of a sentence after the answer that gives one of its ids another value, or -1.

    ("Hmm, I think perf_3 should be 7." after a JSON answer with perf_3 = 5.)
    """
    tail_start = answer.end
    tail = _tail(text, answer, cands)
    if not tail.strip():
        return -1
    pat = _mention_pattern(spec)
    lower = {t.lower(): t for t in spec.targets}
    for m in _SENTENCE.finditer(tail):
        sent = m.group()
        hits = list(pat.finditer(sent))
        ids = {x.group(1).lower() for x in hits}
        if not ids:
            continue
        if len(ids) == 1:
            pieces = [(lower[ids.pop()], pat.sub(" ", sent))]
        else:
            # "I gave eth_1 a 7 and agen_2 a 3": each id with the words up to the next id
            ends = [x.start() for x in hits[1:]] + [len(sent)]
            pieces = [(lower[x.group(1).lower()], sent[x.end() : e]) for x, e in zip(hits, ends,
                                                                                      strict=True)]
        for target, piece in pieces:
            nums = [int(x) for x in _INT.findall(piece) if spec.lo <= int(x) <= spec.hi]
            if nums and answer.values[target] not in nums:
                return tail_start + m.start()
    return -1


def _outside(text: str, spans, fences) -> bool:
    """Any words outside the answer blocks and fence markers."""
    keep = []
    last = 0
    for s, e in sorted(spans):
        if s > last:
            keep.append(text[last:s])
        last = max(last, e)
    keep.append(text[last:])
    rest = "".join(keep)
    rest = rest.replace("```json", " ").replace("```JSON", " ").replace("```python", " ")
    rest = rest.replace("```", " ")
    return any(ch.isalnum() for ch in rest)
