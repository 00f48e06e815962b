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

Modules
-------
format
    APA numbers: :func:`apa`, :func:`format_ci`, :func:`format_p`, :func:`format_rank`,
    :func:`format_frame`.
latex_text
    Text as LaTeX: :func:`latex_text`, :class:`LatexTextError`.
layout
    Widths, heights and the layout attempts of a LaTeX table.
latex
    The booktabs renderer :func:`to_latex`.
markdown_html
    :func:`to_markdown` and :func:`to_html`.
outputs
    :class:`Table` and :class:`Outputs`: what one rule writes.
write
    :func:`write_table`, :func:`write_macros`, :func:`macro_name`, the preamble.
"""

from .format import _finite as _finite
from .format import apa, format_ci, format_frame, format_p, format_rank
from .latex import PREAMBLE_PACKAGES, to_latex
from .latex_text import _PDFLATEX_SAFE as _PDFLATEX_SAFE
from .latex_text import LatexTextError, latex_text
from .layout import TEXT_HEIGHT_PT, TEXT_WIDTH_PT
from .markdown_html import to_html, to_markdown
from .outputs import Outputs, Table
from .write import macro_name, preamble_path, write_macros, write_preamble, write_table

__all__ = ["apa", "format_ci", "format_p", "format_rank", "format_frame", "to_latex", "to_markdown",
           "to_html", "write_table", "write_macros", "macro_name", "latex_text", "preamble_path",
           "write_preamble", "LatexTextError", "Table", "Outputs", "PREAMBLE_PACKAGES", "TEXT_WIDTH_PT", "TEXT_HEIGHT_PT"]
