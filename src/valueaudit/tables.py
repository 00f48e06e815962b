"""Paper-ready tables: CSV (full precision), LaTeX (booktabs) and Markdown.

Numbers follow APA style in LaTeX and Markdown: two decimals; no leading
zero for statistics that cannot exceed 1 in absolute value (correlations,
reliabilities, proportions, fidelity, p values); ``p < .001``. The CSV keeps
full precision so that other tools can read it; all three are written
atomically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .contracts import atomic_path, write_csv

__all__ = ["apa", "format_frame", "to_latex", "to_markdown", "write_table", "write_macros", "macro_name"]

_LATEX_ESC = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
              "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


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


def _esc(s: str) -> str:
    return "".join(_LATEX_ESC.get(ch, ch) for ch in str(s))


def to_latex(text: pd.DataFrame, caption: str = "", label: str = "", note: str = "") -> str:
    """A booktabs table from an all-text frame (see :func:`format_frame`)."""
    align = "".join("l" if n == 0 else "r" for n in range(text.shape[1]))
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small"]
    if caption:
        lines.append(rf"\caption{{{_esc(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule",
              " & ".join(_esc(c) for c in text.columns) + r" \\", r"\midrule"]
    for _, row in text.iterrows():
        lines.append(" & ".join(_esc(v).replace("< ", "$<$ ") for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if note:
        lines.append(rf"\par\smallskip{{\footnotesize\emph{{Note.}} {_esc(note)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_markdown(text: pd.DataFrame, caption: str = "", note: str = "") -> str:
    """A GitHub-flavoured Markdown table from an all-text frame."""
    def cell(v):
        return str(v).replace("|", r"\|")

    out = []
    if caption:
        out += [f"**{caption}**", ""]
    out.append("| " + " | ".join(cell(c) for c in text.columns) + " |")
    out.append("|" + "|".join(":---" if n == 0 else "---:" for n in range(text.shape[1])) + "|")
    for _, row in text.iterrows():
        out.append("| " + " | ".join(cell(v) for v in row) + " |")
    if note:
        out += ["", f"*Note.* {note}"]
    return "\n".join(out) + "\n"


def write_table(
    df: pd.DataFrame,
    stem: str | Path,
    caption: str = "",
    kinds: Mapping[str, str] | None = None,
    note: str = "",
    label: str | None = None,
    display: pd.DataFrame | None = None,
) -> list[Path]:
    """Write ``stem``.csv (full precision), ``stem``.tex and ``stem``.md.

    ``display`` is an optional pre-formatted frame (e.g. with ``M [CI]``
    cells) used for the LaTeX and Markdown versions instead of ``df``.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    write_csv(df, stem.with_suffix(".csv"))
    text = display if display is not None else format_frame(df, kinds)
    lab = label if label is not None else "tab:" + re.sub(r"[^A-Za-z0-9]+", "-", stem.name)
    for suffix, body in ((".tex", to_latex(text, caption, lab, note)), (".md", to_markdown(text, caption, note))):
        with atomic_path(stem.with_suffix(suffix)) as tmp:
            tmp.write_text(body, encoding="utf-8")
    return [stem.with_suffix(s) for s in (".csv", ".tex", ".md")]


def macro_name(name: str) -> str:
    """LaTeX macro names are letters only: ``human_n`` -> ``humanN``."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    words = [parts[0]] + [p[:1].upper() + p[1:] for p in parts[1:] if p]
    joined = "".join(words)
    digits = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six",
              "7": "Seven", "8": "Eight", "9": "Nine"}
    return "".join(digits.get(ch, ch) for ch in joined)


def write_macros(values: Mapping[str, str], path: str | Path, header: str = "") -> Path:
    """Write ``\\newcommand`` lines for already formatted values (sorted by name)."""
    lines = [f"% {header}" if header else "% generated by valueaudit; do not edit"]
    for k in sorted(values):
        name = macro_name(k)
        if not re.fullmatch(r"[A-Za-z]+", name):
            raise ValueError(f"macro name {name!r} (from {k!r}) must contain letters only")
        v = str(values[k])
        if "$" not in v:
            v = _esc(v).replace("<", "$<$").replace(">", "$>$")
        lines.append(rf"\newcommand{{\{name}}}{{{v}}}")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
