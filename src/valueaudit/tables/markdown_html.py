"""A table as GitHub-flavoured Markdown and as a self-contained HTML page."""

from __future__ import annotations

import html
import re

import pandas as pd

from .layout import _columns, _missing

__all__ = ["to_markdown", "to_html"]


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
