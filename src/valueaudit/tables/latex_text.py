"""Text as LaTeX that pdflatex typesets under OT1 and T1: escaping, Unicode, APA symbols."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LatexTextError", "latex_text"]


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
