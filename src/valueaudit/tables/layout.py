"""The layout of a LaTeX table computed from its text: estimated widths and heights, wrapped
headers and text columns, font size, landscape page (see :mod:`valueaudit.tables`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["TEXT_WIDTH_PT", "TEXT_HEIGHT_PT"]

#: The text block the layout is computed for: the standard ``article`` class at 10 pt
#: (portrait 345 pt x 550 pt; a landscape page swaps the two).
TEXT_WIDTH_PT = 345.0
TEXT_HEIGHT_PT = 550.0



# ---------------------------------------------------------------------------
# widths: Computer Modern Roman 10 pt advance widths (pt); OT1 and T1 agree to 0.01 pt except
# for _ and ~, given at their (wider) T1 widths
# ---------------------------------------------------------------------------
_CHAR_PT: dict[str, float] = {}
for _chars, _w in (("!',.:;[]`il|", 2.78), ("fj", 3.06), (" -", 3.33), ("I", 3.61),
                   ("()t", 3.89), ("r", 3.92), ("s", 3.94), ("cez", 4.44), ("?", 4.72),
                   ("*/0123456789ago\"$^\\{}", 5.0), ("J", 5.14), ("kqvxy", 5.28),
                   ("Sbdhnpu", 5.56), ("Z~", 6.11), ("L", 6.25), ("F", 6.53), ("EP", 6.81),
                   ("B", 7.08), ("CTw", 7.22), ("R", 7.36), ("AHNUVXY", 7.5), ("D", 7.64),
                   ("+=@KOQ<>&_", 7.78), ("G", 7.85), ("m%#", 8.33), ("M", 9.17), ("W", 10.28)):
    for _c in _chars:
        _CHAR_PT[_c] = _w
_MINUS_EXTRA = 7.78 - 3.33
_OTHER_PT = 5.6


def _width10(s: str) -> float:
    """Estimated width (pt) of ``s`` set in Computer Modern Roman at 10 pt."""
    w = sum(_CHAR_PT.get(c, _OTHER_PT) for c in s)
    return w + _MINUS_EXTRA * len(re.findall(r"(?<![\w.)\]])-(?=\.?\d)", s))


def _break_parts(s: str) -> list[str]:
    """The pieces TeX can break a ragged-right cell into (spaces, after explicit hyphens)."""
    return [p for w in s.split() for p in re.findall(r"[^-]*-|[^-]+", w)] or [""]


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------
_NUMERIC_CELL = re.compile(r"(?:NA|[-+−<>=≤≥.,%\d\s\[\]()–/]+)")
_SIZES = {"small": (9.0, 11.0), "footnotesize": (8.0, 9.5)}
_TABCOLSEP = 6.0  # \tabcolsep of the standard classes; dense tables use _TIGHT
_TIGHT = 4.0  # the gap between two columns is 2\tabcolsep; the outer edges have @{}
_SAFETY = 1.05  # width estimates are inflated by this factor (plus 1 pt)
_MIN_WRAP = 60.0  # a wrapped text column is not made narrower than this (10 pt units)
_NO_WRAP = 100.0  # a text column narrower than this (about 20 letters) is never wrapped


@dataclass
class _Col:
    head: str
    cells: list[str]
    numeric: bool

    def __post_init__(self):
        self.cell_w = [_width10(c) for c in self.cells]
        self.nat = max(self.cell_w, default=0.0)
        self.head_w = _width10(self.head)
        self.head_lines = self._head_split()
        self.head_wrapped_w = max(_width10(h) for h in self.head_lines)
        self.min_w = max([_width10(p) for c in self.cells + [self.head] for p in _break_parts(c)],
                         default=0.0)

    def _head_split(self) -> list[str]:
        """The header in two lines at the space that makes the wider line narrowest."""
        words = self.head.split(" ")
        if len(words) < 2:
            return [self.head]
        best = min(range(1, len(words)), key=lambda i: max(_width10(" ".join(words[:i])),
                                                           _width10(" ".join(words[i:]))))
        return [" ".join(words[:best]), " ".join(words[best:])]

    def width(self, hwrap: bool) -> float:
        head = self.head_wrapped_w if hwrap and self.numeric else self.head_w
        return max(self.nat, head)


@dataclass
class _Layout:
    font: str
    landscape: bool
    hwrap: bool
    tabcolsep: float
    widths: list[float]          # pt at the table's font size
    wrapped: list[bool]          # text column set as a wrapped p/X column
    height: float                # estimated, pt
    page_height: float

    @property
    def long(self) -> bool:
        return self.landscape or self.height > 0.85 * self.page_height


def _layout(cols: list[_Col], font: str, landscape: bool, hwrap: bool, twrap: bool,
            tabcolsep: float, caption: str, note: str) -> _Layout | None:
    size, skip = _SIZES[font]
    f = size / 10.0
    page_w, page_h = ((TEXT_HEIGHT_PT, TEXT_WIDTH_PT) if landscape
                      else (TEXT_WIDTH_PT, TEXT_HEIGHT_PT))
    seps = 2 * tabcolsep * (len(cols) - 1)
    nat = [c.width(hwrap) * f * _SAFETY + 1 for c in cols]
    wrapped = [False] * len(cols)
    widths = list(nat)
    if sum(nat) + seps > page_w:
        if not twrap:
            return None
        text = [i for i, c in enumerate(cols) if not c.numeric]
        fixed = sum(nat[i] for i in range(len(cols)) if i not in text)
        room = page_w - seps - fixed
        floor = {i: nat[i] if nat[i] <= _NO_WRAP * f else
                 min(nat[i], max(cols[i].min_w * f * _SAFETY + 1, _MIN_WRAP * f)) for i in text}
        if not text or sum(floor.values()) > room:
            return None
        # columns narrower than their fair share keep their width; the others share the rest
        # in proportion to their content, none below its floor
        rest, left = set(text), room
        while True:
            share = left / len(rest)
            small = {i for i in rest if nat[i] <= share}
            if not small:
                break
            for i in small:
                widths[i] = nat[i]
                left -= nat[i]
            rest -= small
            if not rest:
                break
        if rest:
            total = sum(nat[i] for i in rest)
            alloc = {i: left * nat[i] / total for i in rest}
            for _ in range(len(rest)):
                low = {i for i in alloc if alloc[i] < floor[i]}
                if not low:
                    break
                for i in low:
                    alloc[i] = floor[i]
                free = [i for i in alloc if i not in low and alloc[i] > floor[i]]
                excess = sum(alloc.values()) - left
                base = sum(alloc[i] for i in free)
                for i in free:
                    alloc[i] -= excess * alloc[i] / base
            if any(alloc[i] < floor[i] - 0.01 for i in alloc):
                return None
            for i, w in alloc.items():
                widths[i], wrapped[i] = w, True
    # height: header, rows (wrapped cells take several lines), rules, caption, note
    def lines(c: _Col, i: int, w10: float) -> int:
        return max(1, math.ceil(w10 * f * _SAFETY / widths[i])) if wrapped[i] else 1

    head = max(len(c.head_lines) if (hwrap and c.numeric) else
               (max(1, math.ceil(c.head_w * f * _SAFETY / widths[i])) if wrapped[i] else 1)
               for i, c in enumerate(cols))
    body = sum(max(lines(c, i, c.cell_w[r]) for i, c in enumerate(cols))
               for r in range(len(cols[0].cells)))
    cap = math.ceil(_width10(caption) / page_w) * 12 + 10 if caption else 0
    nt = math.ceil(_width10("Note. " + note) * 0.8 / page_w) * 9.5 + 4 if note else 0
    height = (head + body) * skip + 18 + cap + nt
    return _Layout(font, landscape, hwrap, tabcolsep, widths, wrapped, height, page_h)


# font, landscape, header wrap, text wrap, \tabcolsep: the first that fits is used
_ATTEMPTS = (
    ("small", False, False, False, _TABCOLSEP), ("small", False, True, False, _TABCOLSEP),
    ("small", False, True, True, _TABCOLSEP), ("footnotesize", False, True, True, _TABCOLSEP),
    ("footnotesize", False, True, True, _TIGHT), ("small", True, True, False, _TABCOLSEP),
    ("small", True, True, True, _TABCOLSEP), ("footnotesize", True, True, True, _TABCOLSEP),
    ("footnotesize", True, True, True, _TIGHT),
)


def _choose(cols: list[_Col], caption: str, note: str) -> _Layout | None:
    for font, land, hw, tw, sep in _ATTEMPTS:
        lay = _layout(cols, font, land, hw, tw, sep, caption, note)
        if lay is not None:
            return lay
    return None


def _missing(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _columns(text: pd.DataFrame) -> list[_Col]:
    cols = []
    for j, c in enumerate(text.columns):
        cells = ["" if _missing(v) else str(v) for v in text.iloc[:, j]]
        filled = [v.strip() for v in cells if v.strip()]
        numeric = bool(filled) and all(_NUMERIC_CELL.fullmatch(v) for v in filled) and any(
            ch.isdigit() for v in filled for ch in v)
        cols.append(_Col(str(c), cells, numeric))
    return cols
