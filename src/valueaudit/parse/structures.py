"""JSON-like answers: objects and arrays inside the text, read leniently.

Strict JSON first; then the forms models write instead: Python dicts (single
quotes, ``None``), ``//`` and ``#`` comments, trailing commas, bare keys.
Objects keep every (key, value) pair, so a key given twice is seen.
"""

from __future__ import annotations

import ast
import json
import re

from .keys import Spec
from .values import rank_token

__all__ = ["Obj", "scan_structures", "decode", "entries_of"]


class Obj(list):
    """A decoded object as its list of (key, value) pairs, in order."""


_START = re.compile(r"[{\[]")
_PARTIAL_OK = re.compile(r"[{\[]\s*[\"'{\[A-Za-z]")
_MAX = 50_000


def scan_structures(text: str):
    """Yield ``(start, end, closed)`` of top-level ``{...}``/``[...]`` blocks.

    String-aware for double and single quotes. A block still open at the end of
    the text is yielded with ``closed=False`` (a cut answer).
    """
    n = len(text)
    i = 0
    while True:
        m = _START.search(text, i)
        if m is None:
            return
        start = m.start()
        stack = []
        quote = None
        j = start
        while j < n:
            ch = text[j]
            if quote:
                if ch == "\\":
                    j += 2
                    continue
                if ch == quote or (ch == "\n" and quote == "'"):
                    quote = None
            elif ch == '"' or (ch == "'" and _opens_single(text, j)):
                quote = ch
            elif ch in "{[":
                stack.append("}" if ch == "{" else "]")
            elif ch in "}]":
                if not stack or stack[-1] != ch:
                    break
                stack.pop()
                if not stack:
                    yield start, j + 1, True
                    break
            j += 1
        else:
            if _PARTIAL_OK.match(text, start):
                yield start, n, False
            return
        i = max(j, start) + 1


def _opens_single(text: str, j: int) -> bool:
    """A single quote opens a string after ``{ [ , :`` (not an apostrophe in a word)."""
    k = j - 1
    while k >= 0 and text[k] in " \t\r\n":
        k -= 1
    return k < 0 or text[k] in "{[,:"


def _pairs(pairs):
    return Obj(pairs)


def decode(s: str):
    """Decode a JSON-like block; ``(value, lenient)`` or ``(None, False)``."""
    if len(s) > _MAX:
        return None, False
    try:
        return json.loads(s, object_pairs_hook=_pairs), False
    except (ValueError, RecursionError):
        pass
    py = _pythonish(s)
    if py is None:
        return None, False
    try:
        tree = ast.parse(py, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, False
    try:
        return _convert(tree.body), True
    except (ValueError, RecursionError):
        return None, False


_LITERALS = {"true": "True", "false": "False", "null": "None", "None": "None",
             "True": "True", "False": "False"}


def _pythonish(s: str) -> str | None:
    """Rewrite a JSON-like block as a Python literal (comments out, bare keys quoted)."""
    out = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in "\"'":
            j = i + 1
            while j < n and s[j] != ch:
                j += 2 if s[j] == "\\" else 1
            out.append(s[i : j + 1])
            i = j + 1
            continue
        if ch == "#" or s.startswith("//", i):
            j = s.find("\n", i)
            i = n if j < 0 else j
            continue
        if s.startswith("/*", i):
            j = s.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (s[j].isalnum() or s[j] in "_.-"):
                j += 1
            word = s[i:j]
            k = j
            while k < n and s[k] in " \t":
                k += 1
            if k < n and s[k] == ":":
                out.append(repr(word))
            elif word in _LITERALS:
                out.append(_LITERALS[word])
            else:
                return None
            i = j
            continue
        out.append(ch)
        i += 1
    text = "".join(out)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def _convert(node):
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("dict unpacking")
        return Obj((_convert(k), _convert(v)) for k, v in zip(node.keys, node.values, strict=True))
    if isinstance(node, ast.List | ast.Tuple):
        return [_convert(e) for e in node.elts]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _convert(node.operand)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else v
    raise ValueError("not a literal")


# ---------------------------------------------------------------------------
# structure -> entries
# ---------------------------------------------------------------------------
_VALUE_KEYS = {"rating", "score", "rank", "value", "importance", "rate", "ranking", "position",
               "valor", "puntuacion", "puntaje", "calificacion", "nota", "posicion", "rango",
               "bewertung", "wert", "rang", "punkte", "note", "platz", "评分", "分数", "得分",
               "排名", "名次", "评级", "分"}
_ID_KEYS = {"id", "item", "item id", "itemid", "statement", "statement id", "aspect", "aspect id",
            "theme", "theme id", "name", "key", "label", "value id", "aspekt", "aussage",
            "aspecto", "afirmacion", "tema", "项目", "编号", "方面", "陈述"}


def _is_num(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, str) and re.match(r"\s*\**\s*-?\d", v) is not None


_RANK_KEYS = {"rank", "ranking", "position", "posicion", "rango", "rang", "platz", "排名", "名次"}


def _pick_value(obj: Obj, fmt: str):
    """The value field of a per-item object ``{"rating": 6, "reason": "..."}``.

    With several value fields, the one the format asks for is taken (a rank
    for a ranking, a rating or score for a rating); more than one such field
    is a conflict.
    """
    from .text import norm

    named = [(norm(k), v) for k, v in obj if norm(k) in _VALUE_KEYS]
    if len(named) > 1:
        ranky = fmt == "ranking"
        named = [(k, v) for k, v in named if (k in _RANK_KEYS) == ranky]
        if len(named) != 1:
            return _Bad("conflict")
    if len(named) == 1:
        return named[0][1]
    nums = [v for _, v in obj if _is_num(v)]
    if len(nums) == 1:
        return nums[0]
    return _Bad("invalid_value" if nums else "missing_item")


class _Bad:
    """A value that cannot be read (reason code)."""

    def __init__(self, reason: str):
        self.reason = reason


def entries_of(node, spec: Spec):
    """Entries ``(target|None, raw value, key kind, how)`` of a decoded block, or None.

    ``target`` is None with kind ``ambiguous`` or ``unknown`` for keys that name
    no single target. Returns None when the block is not an answer at all.
    """
    from .text import norm

    if isinstance(node, Obj):
        entries, wrapped = [], []
        ranks = []
        for k, v in node:
            hit = spec.resolve(k)
            if hit.target is not None or hit.kind == "ambiguous":
                how = ""
                if isinstance(v, Obj):
                    v, how = _pick_value(v, spec.fmt), "nested"
                entries.append((hit.target, v, hit.kind, how))
                continue
            if isinstance(v, Obj | list):
                wrapped.append(v)
            elif _is_num(v) and not isinstance(k, int | float):
                entries.append((None, v, "unknown", ""))
            if spec.fmt == "ranking" and isinstance(v, str):
                r = rank_token(str(k), spec.hi)
                t = spec.resolve(v)
                if r is not None and (t.target is not None or t.kind == "ambiguous"):
                    ranks.append((t.target, r, t.kind, "ranks_as_keys"))
        known = [e for e in entries if e[2] != "unknown"]
        if ranks and len(ranks) * 2 > len(node) and not known:
            return ranks
        if known:
            return [(t, v, kind, how) for t, v, kind, how in entries
                    if kind != "unknown" or _is_num(v)]
        for w in wrapped:
            got = entries_of(w, spec)
            if got:
                return [(t, v, kind, how or "nested") for t, v, kind, how in got]
        if entries:
            return entries
        return None
    if isinstance(node, list):
        if not node:
            return None
        if all(isinstance(e, Obj) for e in node):
            out = []
            for e in node:
                target, value, kind = None, None, "unknown"
                idf = [v for k, v in e if norm(k) in _ID_KEYS and isinstance(v, str)]
                if not idf:
                    idf = [v for _, v in e if isinstance(v, str) and spec.resolve(v).kind != "unknown"]
                if len(idf) != 1:
                    return None
                hit = spec.resolve(idf[0])
                target, kind = hit.target, hit.kind
                rest = Obj((k, v) for k, v in e if v is not idf[0])
                value = _pick_value(rest, spec.fmt)
                out.append((target, value, kind, "nested"))
            return out if any(k != "unknown" for _, _, k, _ in out) else None
        if all(isinstance(e, list | tuple) and len(e) == 2 for e in node):
            out = [(spec.resolve(k).target, v, spec.resolve(k).kind, "nested") for k, v in node]
            return out if any(k != "unknown" for _, _, k, _ in out) else None
        if spec.fmt == "ranking" and all(isinstance(e, str) for e in node):
            hits = [spec.resolve(e) for e in node]
            if all(h.kind != "unknown" for h in hits):
                return [(h.target, n + 1, h.kind, "ordered_list") for n, h in enumerate(hits)]
        return None
    return None
