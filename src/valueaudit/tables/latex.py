"""The booktabs LaTeX renderer: float, ``tabularx`` or ``longtable``, split into parts when
no layout fits (see :mod:`valueaudit.tables`)."""

from __future__ import annotations

import logging

import pandas as pd

from .latex_text import latex_text
from .layout import _TABCOLSEP, _choose, _Col, _columns, _Layout

__all__ = ["to_latex", "PREAMBLE_PACKAGES"]

log = logging.getLogger("valueaudit.tables")

#: LaTeX packages the tables need (loaded by the preamble file, :func:`preamble_path`).
PREAMBLE_PACKAGES = ("inputenc", "textcomp", "array", "booktabs", "longtable", "tabularx",
                     "pdflscape", "caption")


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
