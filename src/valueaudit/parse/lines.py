"""Answers written as text: ``id: value`` lines, markdown tables, ``A > B > C`` chains.

Each reader returns entries ``(target|None, raw value, key kind, how, offset)``
grouped into blocks; a block is one candidate answer.
"""

from __future__ import annotations

import bisect
import re

from .keys import Spec
from .structures import _Bad
from .values import TIE_WORDS, rank_token, read_value

__all__ = ["line_blocks", "table_blocks", "chain_blocks"]

_MARKER = re.compile(
    r"^\s*(?:>\s*)*(?:#{1,6}\s+)?(?:(?P<bullet>[-*•+·▪●◦])\s+|(?P<num>\d{1,3})\s*(?:[.)]\s+|、\s*)"
    r"|\((?P<num2>\d{1,3})\)\s+|#(?P<num3>\d{1,3})[.):]?\s+)?"
)
_EMPH_NUM = re.compile(r"^(\s*)(\*\*|__)(\d{1,3}[.)])\2")
_SEP = re.compile(r"\s*(?::|=>|->|→|=|\t|\s[-–—]+\s|[–—])\s*")
_TRAIL = re.compile(
    r"^(?P<k>.*?\S)\s*[(\[]?\s*(?P<v>(?:rank\s*)?-?\d+(?:[.,]\d+)?(?:\s*/\s*\d+)?\s*(?:分|点|位|名)?)"
    r"\s*[)\]]?\s*[.]?$",
    re.I,
)
_EMPH = re.compile(r"\*\*|__|`")
_DIGIT = re.compile(r"\d")


def _split(body: str):
    m = _SEP.search(body)
    if m is None or m.start() == 0:
        return body, None
    return body[: m.start()], body[m.end() :]


_KEY_TAIL = re.compile(
    r"[\s.,:(-]*(?:rating|score|rank(?:ing)?|importance|bewertung|wert|rang|puntuaci[oó]n|"
    r"valoraci[oó]n|calificaci[oó]n|评分|分数|排名)\s*\)?$", re.I)
_ORDER_KEY = re.compile(r"rank|order|reihenfolge|rangfolge|clasificaci|orden|排名|排序|顺序", re.I)
_LIST_SPLIT = re.compile(r"\s*[,;、]\s*")


def _read_line(line: str, spec: Spec) -> list[tuple]:
    """Entries ``(target, raw, kind, how, position, bullet)`` of one line."""
    line = _EMPH_NUM.sub(r"\1\3", line)
    m = _MARKER.match(line)
    num = m.group("num") or m.group("num2") or m.group("num3")
    bullet = m.group("bullet") is not None
    body = _EMPH.sub("", line[m.end() :]).strip()
    if not body or body.startswith("|"):
        return []
    if len(body) > 40 and re.search(r"[,;|]", body):
        many = _several(body, spec)
        if many:
            return many
    got = _read_body(body, spec, num, bullet)
    if got and spec.fmt == "ranking" and got[0] is not None and TIE_WORDS.search(body):
        # "Rank 1: Ethics (tied with Performance)": the line shares its rank
        got = (got[0], _Bad("tie"), *got[2:4], None, False)
    return [got] if got else []


def _several(body: str, spec: Spec) -> list[tuple]:
    """``perf_1: 6, perf_2: 5, ...`` on one line; ``Ranking: A, B, C`` (all themes)."""
    if len(re.findall(r"[:=]", body)) >= 2:
        parts = [p for p in re.split(r"\s*[;,|]\s*", body) if p.strip()]
        got = [_read_body(p, spec, None, False) for p in parts]
        if got and got[0] is None and ":" in parts[0]:
            got[0] = _read_body(parts[0].split(":", 1)[1].strip(), spec, None, False)
        if len(got) >= 2 and all(g and g[0] is not None and g[1] is not None for g in got):
            return got
    key, val = _split(body)
    if spec.fmt == "ranking" and val is not None and _ORDER_KEY.search(key):
        parts = [p.strip().rstrip(".") for p in _LIST_SPLIT.split(val) if p.strip()]
        hits = [spec.resolve(p) for p in parts]
        names = {h.target for h in hits}
        if len(parts) == len(spec.targets) and None not in names and len(names) == len(parts):
            return [(h.target, n + 1, h.kind, "ordered_list", None, False)
                    for n, h in enumerate(hits)]
    return []


def _resolve_key(spec: Spec, key: str):
    key = key.strip().rstrip(".:")
    hit = spec.resolve(key)
    if hit.kind == "unknown" and _KEY_TAIL.search(key):
        hit = spec.resolve(_KEY_TAIL.sub("", key).strip().rstrip(".:"))
    return hit


def _read_body(body: str, spec: Spec, num, bullet):
    key, val = _split(body)
    if spec.fmt == "ranking" and val is not None:
        r = rank_token(key, spec.hi)
        if r is not None:
            head, _ = _split(val)
            for cand in (val, head):
                hit = spec.resolve(cand.strip().rstrip("."))
                if hit.kind != "unknown":
                    return hit.target, r, hit.kind, "lines", None, False
            return None
    hit = _resolve_key(spec, key) if len(key) <= 200 else None
    if hit is None or hit.kind == "unknown":
        if val is None:
            t = _TRAIL.match(body)
            if t is None:
                return None
            hit = _resolve_key(spec, t.group("k"))
            if hit.kind == "unknown":
                return None
            return hit.target, t.group("v"), hit.kind, "lines", None, False
        return None
    position = int(num) if num is not None else None
    if val is None:
        t = _TRAIL.match(body)
        if t is not None and _resolve_key(spec, t.group("k")).kind != "unknown":
            return hit.target, t.group("v"), hit.kind, "lines", None, False
        return hit.target, None, hit.kind, "lines", position, bullet
    return hit.target, val.strip(), hit.kind, "lines", position, False


def line_blocks(text: str, spec: Spec, skip: list[tuple[int, int]], breaks: list[int]):
    """Blocks of ``key: value`` lines (and, for rankings, ordered lists of themes).

    Lines inside ``skip`` spans (JSON blocks, tables) are not read. A block ends
    at a correction mark (offsets in ``breaks``), at a skipped span, or where a
    target comes round again.
    """
    blocks = []
    cur: list[tuple] = []
    seen: set = set()
    cuts = sorted([s for s, _ in skip] + list(breaks))
    prev = -1
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        if len(line) > 400 or not line.strip() or any(s < pos - 1 and start < e for s, e in skip):
            continue
        for got in _read_line(line, spec):
            target = got[0]
            k = bisect.bisect_right(cuts, prev)
            if cur and ((k < len(cuts) and cuts[k] <= start)
                        or (target is not None and target in seen)):
                blocks.append(_finish(cur, spec))
                cur, seen = [], set()
            if target is not None:
                seen.add(target)
            cur.append((*got, start))
            prev = start
    if cur:
        blocks.append(_finish(cur, spec))
    return [b for b in blocks if b]


def _finish(lines: list[tuple], spec: Spec):
    """Entries of one block: explicit values, or positions when the block is an ordering."""
    ranking = spec.fmt == "ranking"
    if ranking and all(ln[5] and ln[1] is None for ln in lines):
        return [(ln[0], n + 1, ln[2], "ordered_list", ln[6]) for n, ln in enumerate(lines)]
    # list numbers are ranks only in a list that writes no numbers of its own
    numbered = ranking and not any(
        isinstance(ln[1], int) or (isinstance(ln[1], str) and _DIGIT.search(ln[1])) for ln in lines)
    entries = []
    last = 0
    for target, raw, kind, how, position, _bullet, off in lines:
        if numbered and position is not None and not isinstance(raw, _Bad):
            # "1. A / 3. B / 2. C": the numbers and the order say different ranks
            raw, how = (position if position > last else _Bad("conflict")), "ordered_list"
            last = max(last, position)
        if raw is not None:
            entries.append((target, raw, kind, how, off))
    return entries


# ---------------------------------------------------------------------------
_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_HEAD_VALUE = re.compile(
    r"rating|score|rank|value|importance|bewertung|wert|rang|punt|valor|nota|calific|posi[ct]i|"
    r"评分|分数|得分|排名|名次", re.I)


_HEAD_RANK = re.compile(r"rank|rang|posi[ct]i|platz|puesto|排名|名次", re.I)


def table_blocks(text: str, spec: Spec):
    """Markdown tables: ``(start, end, entries)`` per table."""
    out = []
    lines = text.split("\n")
    offs = []
    p = 0
    for ln in lines:
        offs.append(p)
        p += len(ln) + 1
    i = 0
    while i < len(lines) - 1:
        rule = lines[i + 1]
        if (lines[i].lstrip().startswith("|") and _RULE.match(rule)
                and ("|" in rule or "--" in rule)):
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            got = _table(lines[i], lines[i + 2 : j], offs[i + 2 : j], spec)
            end = offs[j - 1] + len(lines[j - 1]) if j - 1 < len(lines) else len(text)
            if got:
                out.append((offs[i], end, got))
            i = j
        else:
            i += 1
    return out


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [_EMPH.sub("", c).strip() for c in row.split("|")]


def _table(header: str, rows: list[str], offs: list[int], spec: Spec):
    head = _cells(header)
    body = [_cells(r) for r in rows]
    body = [(c, o) for c, o in zip(body, offs, strict=True) if any(c)]
    if not body:
        return None
    ncol = len(head)
    keys = [0] * ncol
    vals = [0] * ncol
    for cells, _ in body:
        for j in range(min(ncol, len(cells))):
            if spec.resolve(cells[j]).kind != "unknown":
                keys[j] += 1
            if read_value(cells[j], spec.fmt, spec.lo, spec.hi)[0] is not None:
                vals[j] += 1
    if not any(keys):
        return None
    kcol = max(range(ncol), key=lambda j: (keys[j], -j))
    options = [j for j in range(ncol) if j != kcol and (vals[j] or _HEAD_VALUE.search(head[j]))]
    named = [j for j in options if _HEAD_VALUE.search(head[j])]
    if len(named) > 1:
        # "| Aspect | Rank | Score |": the column the format asks for
        ranky = spec.fmt == "ranking"
        named = [j for j in named if bool(_HEAD_RANK.search(head[j])) == ranky]
        if len(named) != 1:
            return None
    if len(named) == 1:
        vcol = named[0]
    elif options:
        vcol = max(options, key=lambda j: (vals[j], -j))
        if sum(1 for j in options if vals[j] == vals[vcol]) > 1:
            return None
    else:
        return None
    entries = []
    for cells, off in body:
        if len(cells) <= max(kcol, vcol):
            continue
        hit = spec.resolve(cells[kcol])
        if hit.kind == "unknown":
            continue
        entries.append((hit.target, cells[vcol], hit.kind, "table", off))
    return entries or None


# ---------------------------------------------------------------------------
_CHAIN = re.compile(r"[^\n>]*[^\n>\s](?:\s*>{1,2}\s*[^\n>]*[^\n>\s]){2,}")


def chain_blocks(text: str, spec: Spec, skip: list[tuple[int, int]]):
    """``A > B > C`` orderings (rankings only): ``(start, end, entries)``."""
    if spec.fmt != "ranking" or ">" not in text:
        return []
    out = []
    for m in _CHAIN.finditer(text):
        if any(s <= m.start() < e for s, e in skip):
            continue
        parts = re.split(r"\s*>{1,2}\s*", m.group())
        first = parts[0]
        if ":" in first:
            first = first.rsplit(":", 1)[1]
        parts[0] = first
        parts[-1] = parts[-1].strip().rstrip(".!;")
        hits = [spec.resolve(_EMPH.sub("", p).strip()) for p in parts]
        if all(h.kind != "unknown" for h in hits):
            entries = [(h.target, n + 1, h.kind, "chain", m.start()) for n, h in enumerate(hits)]
            out.append((m.start(), m.end(), entries))
    return out
