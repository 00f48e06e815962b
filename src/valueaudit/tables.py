"""Paper-ready tables: CSV (full precision), LaTeX (booktabs), Markdown and HTML.

Numbers follow APA style in LaTeX and Markdown: two decimals; no leading
zero for statistics that cannot exceed 1 in absolute value (correlations,
reliabilities, proportions, fidelity, p values); ``p < .001``. The CSV keeps
full precision so that other tools can read it; all four are written
atomically. The HTML page is self-contained (inline style, no script, no
external resource; a Content-Security-Policy forbids loading any) and is the
form the Snakemake report shows.

The LaTeX renderer lays every table out from the frame itself: text columns
are left-aligned, numeric columns right-aligned; a table wider than the text
block first wraps its column headers, then its text columns (``p``/``X``
columns sized from their content), then goes to a smaller font, then to a
landscape page (``pdflscape``), and as a last resort is split into parts
that repeat the identifying columns; a table taller than a page becomes a
``longtable``. Comparison signs, minus signs and statistical symbols in
headers, captions and notes are typeset in APA style (``$<$``, ``$\\geq$``,
``$-$``, ``$\\rho$``, ``\\textit{M}``, ...). The packages the output needs are
loaded by :func:`preamble_path` (``\\input`` it after ``\\documentclass``).
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .contracts import atomic_path, write_csv

__all__ = ["apa", "format_frame", "to_latex", "to_markdown", "to_html", "write_table",
           "write_macros",
           "macro_name", "latex_text", "preamble_path", "write_preamble", "LatexTextError",
           "PREAMBLE_PACKAGES", "TEXT_WIDTH_PT", "TEXT_HEIGHT_PT"]

log = logging.getLogger(__name__)

#: LaTeX packages the tables need (loaded by the preamble file, :func:`preamble_path`).
PREAMBLE_PACKAGES = ("inputenc", "textcomp", "array", "booktabs", "longtable", "tabularx",
                     "pdflscape", "caption")
#: The text block the layout is computed for: the standard ``article`` class at 10 pt
#: (portrait 345 pt x 550 pt; a landscape page swaps the two).
TEXT_WIDTH_PT = 345.0
TEXT_HEIGHT_PT = 550.0


def apa(x, kind: str = "d2") -> str:
    """Format one number APA-style.

    kind: ``"d2"`` two decimals; ``"r"`` two decimals without a leading zero
    (bounded statistics); ``"p"`` p value (three decimals, ``< .001``);
    ``"int"`` integer; ``"pct"`` percentage with one decimal; ``"d3"`` three
    decimals; ``"str"`` as is. Missing -> ``NA``.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "NA"
    if kind == "str":
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "NA"
    if kind == "int":
        return f"{int(round(v))}"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "p":
        if v < 0.001:
            return "< .001"
        return f"{v:.3f}".replace("0.", ".", 1)
    if kind == "d3":
        return f"{v:.3f}"
    s = f"{v:.2f}"
    if s in ("-0.00",):
        s = "0.00"
    if kind == "r":
        s = s.replace("0.", ".", 1) if abs(v) < 1 else s
    return s


def format_frame(df: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Format every cell as text. Unlisted numeric columns get ``d2``
    (integers ``int``); unlisted text columns are left as they are."""
    kinds = dict(kinds or {})
    out = {}
    for c in df.columns:
        k = kinds.get(c)
        s = df[c]
        if k is None:
            if pd.api.types.is_bool_dtype(s):
                k = "str"
            elif pd.api.types.is_integer_dtype(s):
                k = "int"
            elif pd.api.types.is_numeric_dtype(s):
                k = "d2"
            else:
                k = "str"
        out[c] = [apa(v, k) if not (k == "str" and (v is None or v is pd.NA or
                                                     (isinstance(v, float) and np.isnan(v))))
                  else ("" if k == "str" else "NA") for v in s]
    return pd.DataFrame(out, index=df.index)


# ---------------------------------------------------------------------------
# text -> LaTeX
# ---------------------------------------------------------------------------
class LatexTextError(ValueError):
    """A character that pdflatex cannot typeset (e.g. CJK) met ``non_latin="raise"``."""


_ASCII_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
              "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
              "|": r"\textbar{}", "<": r"$<$", ">": r"$>$"}

_GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψω",
                  r"\alpha \beta \gamma \delta \epsilon \zeta \eta \theta \iota \kappa \lambda \mu "
                  r"\nu \xi \pi \rho \sigma \tau \upsilon \phi \chi \psi \omega".split(), strict=True))
_GREEK.update(zip("ΓΔΘΛΞΠΣΥΦΨΩ", r"\Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi "
                  r"\Psi \Omega".split(), strict=True))
_UNICODE_TEX = {
    **{k: f"${v}$" for k, v in _GREEK.items()},
    "ς": r"$\varsigma$", "µ": r"$\mu$",
    "≤": r"$\leq$", "≥": r"$\geq$", "≠": r"$\neq$", "≈": r"$\approx$", "∼": r"$\sim$",
    "−": r"$-$", "±": r"$\pm$", "×": r"$\times$", "÷": r"$\div$", "∞": r"$\infty$",
    "→": r"$\rightarrow$", "←": r"$\leftarrow$", "↔": r"$\leftrightarrow$", "√": r"$\surd$",
    "′": r"$'$", "″": r"$''$", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "\u00a0": "~", "•": r"\textbullet{}",
}
# Characters beyond ASCII that pdflatex (utf8 inputenc, textcomp) typesets under both the
# default OT1 and the T1 font encoding; checked one by one with TeX Live 2022.
_PDFLATEX_SAFE = frozenset(
    "¡¢£¤¥¦§¨©ª¬®¯°²³´¶·¸¹º¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ"
    "ĀāĂăĆćĈĉĊċČčĎďĒēĔĕĖėĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭİıĲĳĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţ"
    "ŤťŨũŪūŬŭŮůŰűŴŵŶŷŸŹźŻżŽžƒǍǎǏǐǑǒǓǔǢǣǦǧǨǩǰǴǵȘșȚțȲȳȷḂḃḍḞḟḠḡḥḰḱḷṃṅṇṛṣṭẎẏẐẑẞỲỳ"
    "‐‑‒―‖†‡‰※‽⁄€™№"
)
_MISSING_GLYPH = "[?]"


def _char(ch: str, non_latin: str, where: str, lost: list[str]) -> str:
    """One character as LaTeX (ASCII specials escaped, Unicode mapped or checked)."""
    if ch in _ASCII_ESC:
        return _ASCII_ESC[ch]
    if " " <= ch <= "~":
        return ch
    if ch in "\t\n\r\f\v\u2028\u2029":
        return " "
    if ch in _UNICODE_TEX:
        return _UNICODE_TEX[ch]
    if ch in _PDFLATEX_SAFE:
        return ch
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Mn"):  # control, format (zero-width) and stray combining marks
        return ""
    if cat == "Zs":
        return " "
    name = unicodedata.name(ch, "unnamed character")
    if non_latin == "raise":
        raise LatexTextError(
            f"{where or 'text'}: U+{ord(ch):04X} ({name}) cannot be typeset by pdflatex "
            "(utf8 inputenc, OT1/T1 fonts); transliterate or drop it before rendering, or "
            "render with non_latin='replace'")
    lost.append(f"U+{ord(ch):04X} ({name})")
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and all(" " <= c <= "~" and c.isalpha() for c in base):
        return base  # a Latin letter with a diacritic pdflatex lacks: its base letter
    return _MISSING_GLYPH


_NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
# tokens typeset specially in every cell: comparison signs, minus signs, number ranges,
# straight double quotes; plus, in headers, captions and notes ("prose"), statistical symbols
_CELL_TOKENS = [
    ("op", r">=|<=|!=|\+/-"),
    ("range", rf"(?<![\w.\-]){_NUM}-{_NUM}(?![\w.\-])"),
    ("minus", r"(?<![\w.)\]}%'])-(?=\.?\d)"),
    ("quote", r'"'),
    ("bang", r"[?!](?=`)"),
]
_STATS = ("M", "SD", "SE", "Mdn", "n", "N", "p", "r", "k", "W", "Q", "H", "F", "t", "z", "U",
          "d", "T", "df", "b")
_GREEK_WORDS = ("rho", "kappa", "alpha", "tau", "sigma")
_LB = r"(?<![\w\-.\\'])"
_LA = r"(?![\w\-'])"
_PROSE_TOKENS = [
    ("taub", rf"{_LB}tau-b{_LA}"),
    ("greek2", rf"{_LB}(chi|eta|omega)\^?2{_LA}"),
    ("greek", rf"{_LB}({'|'.join(_GREEK_WORDS)})(?:_([A-Za-z0-9]+))?{_LA}"),
    ("sq", rf"{_LB}([DR])\^?2{_LA}"),
    ("stat", rf"{_LB}({'|'.join(_STATS)})(?:_([A-Za-z0-9]+))?{_LA}(?!/[aA]\b)"),
    ("times", r"(?<=\s)x(?=\s)"),
]
_CELL_RE = re.compile("|".join(f"(?P<{n}>{p})" for n, p in _CELL_TOKENS))
_PROSE_RE = re.compile("|".join(f"(?P<{n}>{p})" for n, p in _PROSE_TOKENS + _CELL_TOKENS))
_OPS = {">=": r"$\geq$", "<=": r"$\leq$", "!=": r"$\neq$", "+/-": r"$\pm$"}


def _plain(s: str, non_latin: str, where: str, lost: list[str]) -> str:
    return "".join(_char(ch, non_latin, where, lost) for ch in s)


def latex_text(s, prose: bool = False, non_latin: str = "replace", where: str = "",
               _lost: list[str] | None = None) -> str:
    """``s`` as LaTeX text that compiles with pdflatex under OT1 and T1.

    Special characters are escaped; ``<``, ``>``, ``<=``, ``>=`` and a minus before
    a number are typeset in math mode; ``a-b`` between two numbers becomes an en
    dash. With ``prose`` (headers, captions, notes) Greek names (rho, kappa, alpha,
    tau, sigma, chi2, ...) become Greek letters, statistical symbols (M, SD, n, N,
    p, r, k, W, ...) italics, ``D2``/``R2`` squared and `` x `` a times sign.
    Characters pdflatex cannot typeset (CJK, emoji, ...) raise
    :class:`LatexTextError` with ``non_latin="raise"``, or become ``[?]`` (a Latin
    letter: its base letter) with ``"replace"``, listed in ``_lost``.
    """
    if non_latin not in ("raise", "replace"):
        raise ValueError(f"non_latin must be 'raise' or 'replace', not {non_latin!r}")
    lost = _lost if _lost is not None else []
    s = "" if s is None else str(s)
    rx = _PROSE_RE if prose else _CELL_RE
    out, pos, quote_open = [], 0, False
    for m in rx.finditer(s):
        out.append(_plain(s[pos:m.start()], non_latin, where, lost))
        pos = m.end()
        kind, tok = m.lastgroup, m.group(0)
        if kind == "op":
            out.append(_OPS[tok])
        elif kind == "range":
            a, b = tok.split("-")
            out.append(f"{a}--{b}")
        elif kind == "minus":
            out.append("$-$")
        elif kind == "quote":
            opening = not quote_open and (m.start() == 0 or s[m.start() - 1] in " ([{\t\n")
            out.append("``" if opening else "''")
            quote_open = opening
        elif kind == "bang":
            out.append(tok + "{}")
        elif kind == "taub":
            out.append(r"$\tau_b$")
        elif kind == "greek2":
            out.append(rf"$\{m.group('greek2')[:-1].rstrip('^')}^2$")
        elif kind == "greek":
            name, sub = m.group(m.re.groupindex["greek"] + 1), m.group(m.re.groupindex["greek"] + 2)
            out.append(rf"$\{name}_{{\mathrm{{{sub}}}}}$" if sub else rf"$\{name}$")
        elif kind == "sq":
            out.append(rf"\textit{{{tok[0]}}}\textsuperscript{{2}}")
        elif kind == "stat":
            sym, sub = m.group(m.re.groupindex["stat"] + 1), m.group(m.re.groupindex["stat"] + 2)
            out.append(rf"\textit{{{sym}}}" + (rf"\textsubscript{{{sub}}}" if sub else ""))
        elif kind == "times":
            out.append(r"$\times$")
    out.append(_plain(s[pos:], non_latin, where, lost))
    return "".join(out)


def _esc(s: str) -> str:
    return latex_text(s)


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


def _head_tex(c: _Col, lay: _Layout, conv) -> str:
    if lay.hwrap and c.numeric and len(c.head_lines) > 1:
        a, b = (conv(h) for h in c.head_lines)
        return rf"\begin{{tabular}}[b]{{@{{}}r@{{}}}}{a}\\{{}}{b}\end{{tabular}}"
    return conv(c.head) or "{}"


def _cell_tex(s: str, conv) -> str:
    t = conv(s)
    return "{}" + t if t.startswith(("[", "*")) else t


def _pt(x: float) -> str:
    return f"{x:.1f}pt"


def _render(cols: list[_Col], lay: _Layout, caption: str, label: str, note: str, conv,
            conv_prose) -> str:
    n = len(cols)
    head = " & ".join(_head_tex(c, lay, conv_prose) for c in cols) + r" \\"
    rows = [" & ".join(_cell_tex(v, conv) for v in row) + r" \\"
            for row in zip(*(c.cells for c in cols), strict=True)]
    cap = conv_prose(caption)
    note_tex = (r"\textit{Note.} " + conv_prose(note)) if note else ""
    size = "\\" + lay.font + ("" if lay.tabcolsep == _TABCOLSEP else
                              rf"\setlength{{\tabcolsep}}{{{lay.tabcolsep:g}pt}}")
    out: list[str] = []
    if not lay.long:
        any_wrap = any(lay.wrapped)
        if any_wrap:
            share = [w for w, x in zip(lay.widths, lay.wrapped, strict=True) if x]
            mean = sum(share) / len(share)
        spec = []
        for c, w, x in zip(cols, lay.widths, lay.wrapped, strict=True):
            if x:
                spec.append(rf">{{\raggedright\arraybackslash\hsize={w / mean:.3f}\hsize}}X")
            else:
                spec.append("r" if c.numeric else "l")
        colspec = "@{}" + "".join(spec) + "@{}"
        out += [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            out.append(rf"\caption{{{cap}}}")
        if label:
            out.append(rf"\label{{{label}}}")
        out.append(size)
        if any_wrap:
            body = [rf"\begin{{tabularx}}{{\linewidth}}{{{colspec}}}", r"\toprule", head,
                    r"\midrule", *rows, r"\bottomrule", r"\end{tabularx}"]
            out += body
            if note:
                out += [r"\par\smallskip", rf"{{\footnotesize\raggedright {note_tex}\par}}"]
        elif note:
            # the note is set flush left under the table, as wide as the table (at least half
            # the text width)
            out += [r"\setbox0=\hbox{%", rf"\begin{{tabular}}{{{colspec}}}", r"\toprule", head,
                    r"\midrule", *rows, r"\bottomrule", r"\end{tabular}}%",
                    r"\begin{minipage}{\ifdim\wd0<.5\linewidth .5\linewidth\else\wd0\fi}",
                    r"\box0\par\smallskip",
                    rf"{{\footnotesize\raggedright {note_tex}\par}}", r"\end{minipage}"]
        else:
            out += [rf"\begin{{tabular}}{{{colspec}}}", r"\toprule", head, r"\midrule", *rows,
                    r"\bottomrule", r"\end{tabular}"]
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"
    # longtable: every column has a set width, so the width of the whole table is known
    seps = 2 * lay.tabcolsep * (n - 1)
    fixed = sum(w for w, x in zip(lay.widths, lay.wrapped, strict=True) if not x) + seps
    wrap_total = sum(w for w, x in zip(lay.widths, lay.wrapped, strict=True) if x)
    spec = []
    for c, w, x in zip(cols, lay.widths, lay.wrapped, strict=True):
        if x:
            per_mille = max(1, int(1000 * w / wrap_total))  # rounded down: sum <= 1000
            spec.append(rf">{{\raggedright\arraybackslash}}p{{\dimexpr(\linewidth-{_pt(fixed)})"
                        rf"*{per_mille}/1000\relax}}")
        else:
            align = r"\raggedleft" if c.numeric else r"\raggedright"
            spec.append(rf">{{{align}\arraybackslash}}p{{{_pt(w)}}}")
    full = r"\linewidth" if wrap_total else _pt(fixed)
    colspec = "@{}" + "".join(spec) + "@{}"
    out.append(r"\begin{landscape}" if lay.landscape else r"\begingroup")
    out += [size, r"\setlength{\LTpre}{\bigskipamount}\setlength{\LTpost}{\bigskipamount}",
            rf"\begin{{longtable}}{{{colspec}}}"]
    first = (rf"\caption{{{cap}}}" + (rf"\label{{{label}}}" if label else "") + r"\\"
             if caption else "")
    if first:
        out.append(first)
    out += [r"\toprule", head, r"\midrule", r"\endfirsthead"]
    if caption:
        out.append(r"\caption[]{" + cap + r" (continued)}\\")
    out += [r"\toprule", head, r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot",
            r"\endlastfoot"]
    # the rule and the note close the body (a note in \endlastfoot that does not fit beside
    # the last row would push that row onto a page without the column heads); \\* keeps
    # the last row with them
    if rows:
        rows[-1] = rows[-1][:-2] + r"\\*"
    out += [*rows, r"\bottomrule"]
    if note:
        out.append(rf"\multicolumn{{{n}}}{{@{{}}>{{\footnotesize\raggedright\arraybackslash}}"
                   rf"p{{{full}}}@{{}}}}{{{note_tex}}}\\")
    out += [r"\end{longtable}", r"\end{landscape}" if lay.landscape else r"\endgroup"]
    return "\n".join(out) + "\n"


def _key_columns(cols: list[_Col]) -> int:
    """How many leading columns identify a row (repeated in every part of a split table)."""
    for i, c in enumerate(cols[:3]):
        if not c.numeric:
            return i + 1
    return 1


def to_latex(text: pd.DataFrame, caption: str = "", label: str = "", note: str = "",
             non_latin: str = "replace") -> str:
    """A booktabs table from an all-text frame (see :func:`format_frame`).

    The layout (float or ``longtable``, portrait or landscape, column widths, split
    into parts) follows from the content; see the module docstring. ``non_latin``:
    what to do with characters pdflatex cannot typeset (see :func:`latex_text`).
    """
    if text.shape[1] == 0:
        raise ValueError("a table needs at least one column")
    lost: list[str] = []

    def where(kind):
        return f"table {label or caption[:40]!r}, {kind}"

    def conv(s):
        return latex_text(s, non_latin=non_latin, where=where("cell"), _lost=lost)

    def conv_prose(s):
        return latex_text(s, prose=True, non_latin=non_latin, where=where("header/caption/note"),
                          _lost=lost)

    cols = _columns(text)
    lay = _choose(cols, caption, note)
    if lay is not None:
        body = _render(cols, lay, caption, label, note, conv, conv_prose)
    else:
        body = _split(cols, caption, label, note, conv, conv_prose)
    if lost:
        log.warning("%s: %d character(s) pdflatex cannot typeset were replaced: %s",
                    where("LaTeX"), len(lost), ", ".join(sorted(set(lost))))
    return body


def _split(cols, caption, label, note, conv, conv_prose) -> str:
    k = _key_columns(cols)
    key, rest = cols[:k], cols[k:]
    parts: list[list[_Col]] = []
    cur: list[_Col] = []
    for c in rest:
        if cur and _choose(key + cur + [c], caption, note) is None:
            parts.append(cur)
            cur = []
        cur.append(c)
    if cur:
        parts.append(cur)
    # as many parts as the greedy packing needs, but of about equal width
    target = sum(c.width(True) for c in rest) / len(parts)
    even: list[list[_Col]] = [[]]
    for c in rest:
        if (even[-1] and len(even) < len(parts)
                and sum(x.width(True) for x in even[-1]) + c.width(True) / 2 > target):
            even.append([])
        even[-1].append(c)
    if all(_choose(key + p, caption, note) is not None for p in even):
        parts = even
    out = []
    for i, part in enumerate(parts):
        lay = _choose(key + part, caption, note)
        if lay is None:
            raise ValueError(
                f"table {label or caption!r}: column {part[0].head!r} does not fit beside the "
                "identifying columns even on a landscape page; shorten its content")
        cap = caption if i == 0 else (f"{caption} (continued)" if caption else "")
        lab = label if i == 0 or not label else f"{label}-{i + 1}"
        out.append(_render(key + part, lay, cap, lab, note if i == len(parts) - 1 else "", conv,
                           conv_prose))
    return "\n".join(out)


def to_markdown(text: pd.DataFrame, caption: str = "", note: str = "") -> str:
    """A GitHub-flavoured Markdown table from an all-text frame (text columns
    left-aligned, numeric columns right-aligned)."""
    def cell(v):
        s = "" if _missing(v) else str(v)
        return re.sub(r"\s*[\r\n]+\s*", " ", s).replace("|", r"\|")

    cols = _columns(text)
    out = []
    if caption:
        out += [f"**{caption}**", ""]
    out.append("| " + " | ".join(cell(c) for c in text.columns) + " |")
    out.append("|" + "|".join("---:" if c.numeric else ":---" for c in cols) + "|")
    for _, row in text.iterrows():
        out.append("| " + " | ".join(cell(v) for v in row) + " |")
    if note:
        out += ["", f"*Note.* {note}"]
    return "\n".join(out) + "\n"


_HTML_STYLE = """\
body{margin:0;padding:16px;background:#fff;color:#111;\
font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{overflow-x:auto}
table{border-collapse:collapse;margin:0 0 8px}
caption{caption-side:top;text-align:left;font-weight:600;font-size:15px;padding:0 0 8px}
th,td{padding:3px 10px;vertical-align:top;text-align:left}
th{font-weight:600;border-bottom:1px solid #111}
thead tr:first-child th{border-top:2px solid #111}
tbody tr:last-child td{border-bottom:2px solid #111}
tbody tr:nth-child(even){background:#f4f5f7}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nw{white-space:nowrap}
p.note{max-width:60em;margin:8px 0 0;font-size:13px}
"""


_HTML_NOWRAP = 24  # a text column whose cells are all this short is not wrapped


def to_html(text: pd.DataFrame, caption: str = "", note: str = "") -> str:
    """A self-contained HTML page with the table of an all-text frame: the caption as
    ``<caption>`` and page title, column headers, one row per frame row (text columns
    left-aligned, numeric columns right-aligned; short text columns kept on one line) and
    the note. Inline style only, no script and no external resource."""
    def esc(v) -> str:
        s = "" if _missing(v) else str(v)
        return "<br>".join(html.escape(part) for part in re.split(r"\s*[\r\n]+\s*", s))

    cols = _columns(text)
    cls = [' class="num"' if c.numeric else ' class="nw"'
           if max(map(len, c.cells), default=0) <= _HTML_NOWRAP else "" for c in cols]
    title = html.escape(caption) if caption else "Table"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" '
           "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{title}</title>", f"<style>\n{_HTML_STYLE}</style>", "</head>", "<body>",
           '<div class="wrap">', "<table>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead>")
    out.append("<tr>" + "".join(f'<th scope="col"{k}>{esc(c)}</th>'
                                for c, k in zip(text.columns, cls, strict=True)) + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    for row in text.itertuples(index=False, name=None):
        cells = "".join(f"<td{k}>{esc(v)}</td>" for v, k in zip(row, cls, strict=True))
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody>")
    out.append("</table>")
    out.append("</div>")
    if note:
        out.append(f'<p class="note"><em>Note.</em> {esc(note)}</p>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_table(
    df: pd.DataFrame,
    stem: str | Path,
    caption: str = "",
    kinds: Mapping[str, str] | None = None,
    note: str = "",
    label: str | None = None,
    display: pd.DataFrame | None = None,
    non_latin: str = "replace",
) -> list[Path]:
    """Write ``stem``.csv (full precision), ``stem``.tex, ``stem``.md and ``stem``.html.

    ``display`` is an optional pre-formatted frame (e.g. with ``M [CI]``
    cells) used for the LaTeX, Markdown and HTML versions instead of ``df``.
    ``non_latin``: characters pdflatex cannot typeset are replaced (``"replace"``,
    logged) or refused (``"raise"``); the CSV, Markdown and HTML keep them.
    Returns the paths of the CSV, TeX and Markdown files, then the HTML page.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text = display if display is not None else format_frame(df, kinds)
    lab = label if label is not None else "tab:" + re.sub(r"[^A-Za-z0-9]+", "-", stem.name)
    tex = to_latex(text, caption, lab, note, non_latin=non_latin)
    md = to_markdown(text, caption, note)
    page = to_html(text, caption, note)
    write_csv(df, stem.with_suffix(".csv"))
    for suffix, body in ((".tex", tex), (".md", md), (".html", page)):
        with atomic_path(stem.with_suffix(suffix)) as tmp:
            tmp.write_text(body, encoding="utf-8")
    return [stem.with_suffix(s) for s in (".csv", ".tex", ".md", ".html")]


def macro_name(name: str) -> str:
    """LaTeX macro names are letters only: ``human_n`` -> ``humanN``."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    words = [parts[0]] + [p[:1].upper() + p[1:] for p in parts[1:] if p]
    joined = "".join(words)
    digits = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six",
              "7": "Seven", "8": "Eight", "9": "Nine"}
    return "".join(digits.get(ch, ch) for ch in joined)


def _macro_value(v: str, lost: list[str]) -> str:
    """A macro value as LaTeX: escaped, ``<``/``>`` and minus signs in math mode."""
    out, pos = [], 0
    for m in re.finditer(r"(?<![\w.)\]}%'])-(?=\.?\d)", v):
        out += [_plain(v[pos:m.start()], "replace", "macro", lost), "$-$"]
        pos = m.end()
    out.append(_plain(v[pos:], "replace", "macro", lost))
    return "".join(out)


def write_macros(values: Mapping[str, str], path: str | Path, header: str = "") -> Path:
    """Write ``\\newcommand`` lines for already formatted values (sorted by name).

    A value without ``$`` is escaped (``<``, ``>`` and minus signs in math mode);
    a value with ``$`` is taken to be LaTeX already.
    """
    lines = [f"% {header}" if header else "% generated by valueaudit; do not edit"]
    lost: list[str] = []
    for k in sorted(values):
        name = macro_name(k)
        if not re.fullmatch(r"[A-Za-z]+", name):
            raise ValueError(f"macro name {name!r} (from {k!r}) must contain letters only")
        v = str(values[k])
        if "$" not in v:
            v = _macro_value(v, lost)
        lines.append(rf"\newcommand{{\{name}}}{{{v}}}")
    if lost:
        log.warning("macros %s: %d character(s) pdflatex cannot typeset were replaced: %s",
                    Path(path).name, len(lost), ", ".join(sorted(set(lost))))
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# the preamble the tables need
# ---------------------------------------------------------------------------
def preamble_path() -> Path:
    """The LaTeX preamble shipped with the package (``valueaudit/data/paper_preamble.tex``):
    ``\\input`` it after ``\\documentclass`` to load every package the tables use."""
    return Path(str(resources.files("valueaudit") / "data" / "paper_preamble.tex"))


def write_preamble(dest: str | Path) -> Path:
    """Copy the preamble (:func:`preamble_path`) to ``dest`` atomically; return ``dest``."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.write_bytes(preamble_path().read_bytes())
    return dest

