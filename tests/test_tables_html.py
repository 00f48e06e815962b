"""The HTML page of a table (the form the Snakemake report shows): self-contained, with the
caption, column headers, every row and the note of the frame it renders."""

from html.parser import HTMLParser

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.parse_audit import write_parse_audit
from valueaudit.tables import to_html, to_latex, to_markdown, write_table


class _Page(HTMLParser):
    """Caption, header cells, body rows (cell texts and classes) and note of a table page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.caption, self.head, self.rows, self.classes, self.note = "", [], [], [], ""
        self.tags, self.attrs = [], []
        self._where = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        a = dict(attrs)
        if tag == "caption":
            self._where = "caption"
        elif tag == "tr" and "tbody" in self._open:
            self.rows.append([])
            self.classes.append([])
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "td":
                self.classes[-1].append(a.get("class", ""))
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "p" and a.get("class") == "note":
            self._where = "note"
        self._open.append(tag)

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass
        if tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell)
            (self.head.append(text) if tag == "th" else self.rows[-1].append(text))
            self._cell = None
        elif tag in ("caption", "p"):
            self._where = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._where == "caption":
            self.caption += data
        elif self._where == "note":
            self.note += data

    def feed(self, data):
        self._open = []
        super().feed(data)
        self.close()
        return self


def _void_br(page: str) -> str:
    # <br> is a void element: give the parser its end tag so the open-tag stack stays right
    return page.replace("<br>", "<br/>")


def read_page(page: str) -> _Page:
    return _Page().feed(_void_br(page))


DISPLAY = pd.DataFrame({
    "Model": ["sim-a <large>", "sim-b & co", "sim-c"],
    "Tier": ["frontier", "mid", "small"],
    "Fidelity [95% CI]": [".52 [.31, .70]", "−.04 [−.20, .12]", ""],
    "n": ["12", "8", "3"],
})


def test_page_holds_caption_headers_rows_and_note():
    page = read_page(to_html(DISPLAY, "Leaderboard: fidelity", "p < .001; M & SD."))
    assert page.caption == "Leaderboard: fidelity"
    assert page.head == list(DISPLAY.columns)
    assert page.rows == DISPLAY.values.tolist()
    assert page.note == "Note. p < .001; M & SD."


def test_numeric_columns_are_right_aligned_text_columns_are_not():
    page = read_page(to_html(DISPLAY))
    # Model and Tier are short text (kept on one line); the CI column and n hold numbers only
    assert {tuple(c) for c in page.classes} == {("nw", "nw", "num", "num")}
    long = read_page(to_html(pd.DataFrame({"Quote": ["a long answer " * 3], "n": ["1"]})))
    assert long.classes == [["", "num"]]


def test_page_is_self_contained():
    html = to_html(DISPLAY, "T", "N")
    page = read_page(html)
    assert set(page.tags) <= {"html", "head", "meta", "title", "style", "body", "div", "table",
                              "caption", "thead", "tbody", "tr", "th", "td", "p", "em", "br"}
    assert not {k for k, _ in page.attrs} & {"src", "href", "srcset", "action", "data"}
    for token in ("url(", "@import", "http:", "https:", "//"):
        assert token not in html.lower()
    assert "default-src 'none'" in html  # the Content-Security-Policy forbids any load


def test_markup_in_cells_is_text():
    frame = pd.DataFrame({"A": ["<script>alert(1)</script>", "</td></tr>"]})
    html = to_html(frame, "<b>cap</b>", "<i>n</i>")
    assert "<script>" not in html and "<b>" not in html
    page = read_page(html)
    assert page.rows == [["<script>alert(1)</script>"], ["</td></tr>"]]
    assert page.caption == "<b>cap</b>"


def test_line_breaks_in_cells_are_kept():
    page = read_page(to_html(pd.DataFrame({"Quote": ["first line\nsecond line"]})))
    assert page.rows == [["first line\nsecond line"]]


def test_empty_frame_and_missing_values():
    page = read_page(to_html(pd.DataFrame({"A": pd.Series([], dtype=object)}), "Empty"))
    assert page.head == ["A"] and page.rows == []
    page = read_page(to_html(pd.DataFrame({"A": [None, float("nan"), "x"]})))
    assert page.rows == [[""], [""], ["x"]]


_cell = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cell, _cell), max_size=6), _cell, _cell)
def test_any_text_frame_round_trips(rows, caption, note):
    frame = pd.DataFrame(rows, columns=["first", "second"], dtype=object)
    page = read_page(to_html(frame, caption, note))
    assert page.rows == [list(r) for r in rows]
    assert page.caption == caption
    assert page.note == (f"Note. {note}" if note else "")


def test_write_table_writes_the_page_beside_the_other_formats(tmp_path):
    df = pd.DataFrame({"model": ["a", "b"], "rho": [0.51234, -0.1]})
    paths = write_table(df, tmp_path / "t", caption="Cap", note="Note text", kinds={"rho": "r"})
    assert [p.name for p in paths] == ["t.csv", "t.tex", "t.md", "t.html"]
    page = read_page((tmp_path / "t.html").read_text(encoding="utf-8"))
    md_rows = [line for line in (tmp_path / "t.md").read_text().splitlines()
               if line.startswith("| ") and "model" not in line]
    assert [" | ".join(r) for r in page.rows] == [line.strip("| ") for line in md_rows]
    assert page.caption == "Cap" and page.note == "Note. Note text"


def test_write_table_keeps_the_tex_and_md_of_the_renderers(tmp_path):
    disp = pd.DataFrame({"Model": ["a", "b"], "rho": [".51", "−.10"]})
    write_table(pd.DataFrame({"x": [1, 2]}), tmp_path / "t", caption="C", note="N",
                display=disp, label="tab:t")
    assert (tmp_path / "t.tex").read_text(encoding="utf-8") == to_latex(disp, "C", "tab:t", "N")
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == to_markdown(disp, "C", "N")
    assert (tmp_path / "t.html").read_text(encoding="utf-8") == to_html(disp, "C", "N")


def test_same_frame_gives_the_same_bytes(tmp_path):
    write_table(DISPLAY, tmp_path / "a", caption="C", note="N", display=DISPLAY)
    write_table(DISPLAY, tmp_path / "b", caption="C", note="N", display=DISPLAY)
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_parse_audit_page_shows_the_excerpts(tmp_path):
    table = pd.DataFrame({"model_id": ["m"], "format": ["rating"], "status": ["unparseable"],
                          "reason": ["truncated"], "repair": [""], "sessions": [2],
                          "total": [4], "share": [0.5], "excerpt": ["{\"a\": 3, <cut>"]})
    paths = write_parse_audit(table, tmp_path / "parse_audit", caption="Parse audit", note="N")
    assert tmp_path / "parse_audit.html" in paths
    page = read_page((tmp_path / "parse_audit.html").read_text(encoding="utf-8"))
    assert "excerpt" in page.head and page.rows[0][page.head.index("excerpt")] == "{\"a\": 3, <cut>"
