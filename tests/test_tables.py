"""The table renderers: APA symbols and escaping in LaTeX, layout chosen from the content,
Markdown alignment, CSV untouched, macros (no TeX needed; compiling is tests/test_latex.py)."""

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit import tables as T
from valueaudit.tables import LatexTextError, latex_text, to_latex, to_markdown, write_table


# ------------------------------------------------------------------ text -> LaTeX
@pytest.mark.parametrize("raw, tex", [
    ("p < .001", r"\textit{p} $<$ .001"),
    ("rho >= .58 (p <= .05 for T = 6)",
     r"$\rho$ $\geq$ .58 (\textit{p} $\leq$ .05 for \textit{T} = 6)"),
    ("Cohen's kappa [95% CI]", r"Cohen's $\kappa$ [95\% CI]"),
    ("Krippendorff's alpha, Kendall's tau", r"Krippendorff's $\alpha$, Kendall's $\tau$"),
    ("Kendall's tau-b", r"Kendall's $\tau_b$"),
    ("chi2(5) = 3.2; chi^2", r"$\chi^2$(5) = 3.2; $\chi^2$"),
    ("M (SD)", r"\textit{M} (\textit{SD})"),
    ("n (%)", r"\textit{n} (\%)"),
    ("k = SD(model)/SD(human)", r"\textit{k} = \textit{SD}(model)/\textit{SD}(human)"),
    ("r_rb: rank-biserial", r"\textit{r}\textsubscript{rb}: rank-biserial"),
    ("rho_crit", r"$\rho_{\mathrm{crit}}$"),
    ("D2 = elevation", r"\textit{D}\textsuperscript{2} = elevation"),
    ("max(ordering, 0) x calibration", r"max(ordering, 0) $\times$ calibration"),
    ("ln k [95% CI]", r"ln \textit{k} [95\% CI]"),
    ("b = -0.12, F = 3.1", r"\textit{b} = $-$0.12, \textit{F} = 3.1"),
])
def test_prose_symbols(raw, tex):
    assert latex_text(raw, prose=True) == tex


@pytest.mark.parametrize("raw", [
    "sim-alpha-2 (too few valid sessions)", "Theme A and Theme B", "n/a", "N/A",
    "the model's W-shaped curve", "k-means", "don't", "keeps_order".replace("_", " "),
])
def test_prose_leaves_words_alone(raw):
    assert latex_text(raw, prose=True) == latex_text(raw)


@pytest.mark.parametrize("raw, tex", [
    ("-0.12 [-0.30, 0.05]", r"$-$0.12 [$-$0.30, 0.05]"),
    ("(-1)", r"($-$1)"),
    ("sim-borealis-4-frontier", "sim-borealis-4-frontier"),
    (".25-.50", ".25--.50"),
    ("18-65", "18--65"),
    ("2026-05-01", "2026-05-01"),
    ("p < .001", r"p $<$ .001"),
    ("<= 3 and >= 4", r"$\leq$ 3 and $\geq$ 4"),
    ("a_b & c% #1 $2", r"a\_b \& c\% \#1 \$2"),
    ("~^\\{}|", r"\textasciitilde{}\textasciicircum{}\textbackslash{}\{\}\textbar{}"),
    ('he said "yes"', "he said ``yes''"),
    ("Why?`", "Why?{}`"),
    ("line\nbreak\ttab", "line break tab"),
    ("café – naïve — x…", "café -- naïve --- x\\ldots{}"),
    ("≥ ≤ − ± × α κ ρ", r"$\geq$ $\leq$ $-$ $\pm$ $\times$ $\alpha$ $\kappa$ $\rho$"),
    ("“quote” ‘a’", "``quote'' `a'"),
])
def test_cell_escaping(raw, tex):
    assert latex_text(raw) == tex


def test_characters_pdflatex_cannot_typeset():
    with pytest.raises(LatexTextError, match=r"U\+4F60 \(CJK UNIFIED IDEOGRAPH-4F60\)"):
        latex_text("ni 你好", non_latin="raise", where="table x, cell")
    lost = []
    assert latex_text("ni 你 🙂 ą ħ", _lost=lost) == "ni [?] [?] a [?]"
    assert len(lost) == 4 and lost[0].startswith("U+4F60")
    with pytest.raises(ValueError, match="non_latin"):
        latex_text("x", non_latin="drop")


_MATH = re.compile(r"\$[^$]*\$")


def _unsafe_left(tex: str) -> list[str]:
    """Characters that would misprint or break pdflatex outside math mode (~ is a tie)."""
    text = _MATH.sub("", tex.replace(r"\$", ""))
    text = re.sub(r"\\(?:[A-Za-z]+|[&%$#_{}])", "", text)  # commands and escaped specials
    return [c for c in text if c in "<>|&%#_^$" or not (c == " " or c.isprintable())]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.booleans())
def test_any_text_becomes_safe_latex(s, prose):
    tex = latex_text(s, prose=prose)
    assert _unsafe_left(tex) == []
    assert tex.replace(r"\$", "").count("$") % 2 == 0
    assert all(" " <= c <= "~" or c in T._PDFLATEX_SAFE for c in tex)


# ------------------------------------------------------------------ layout
def _frame(n_rows=5, n_num=3, text_len=10, head="Value"):
    return pd.DataFrame({"Model": [f"Model {i}" + "x" * max(0, text_len - 7) for i in range(n_rows)],
                         **{f"{head} {j}": [f"{(i - 2) / 10:.2f}" for i in range(n_rows)]
                            for j in range(n_num)}})


def test_small_table_is_a_float_with_aligned_columns():
    tex = to_latex(_frame(), "A caption", "tab:x", "p < .05.")
    assert tex.startswith(r"\begin{table}[htbp]")
    assert r"\begin{tabular}{@{}lrrr@{}}" in tex
    assert r"\caption{A caption}" in tex and r"\label{tab:x}" in tex
    assert r"\textit{Note.} \textit{p} $<$ .05." in tex
    assert r"\begin{minipage}{\ifdim\wd0<.5\linewidth .5\linewidth\else\wd0\fi}" in tex
    assert "$-$0.20" in tex and "longtable" not in tex and "landscape" not in tex


def test_long_table_breaks_across_pages():
    tex = to_latex(_frame(n_rows=150), "Long", "tab:long", "A note.")
    assert r"\begin{longtable}" in tex and r"\begin{table}" not in tex
    assert r"\endhead" in tex and "(continued)" in tex
    assert tex.count(r"\caption{Long}") == 1
    body = tex.split(r"\endlastfoot")[1]
    assert body.index(r"\\*") < body.index(r"\bottomrule") < body.index(r"\textit{Note.}")


def test_wide_table_goes_landscape_or_is_split():
    wide = to_latex(_frame(n_num=16, head="Fidelity [95% CI]"), "Wide", "tab:w")
    assert r"\begin{landscape}" in wide
    assert r"\begin{tabular}[b]{@{}r@{}}Fidelity\\{}[95\% CI]" in wide  # header in two lines
    wider = to_latex(_frame(n_num=40, head="Fidelity [95% CI]"), "Wider", "tab:v", "Note.")
    assert wider.count(r"\caption{") >= 2 and r"\label{tab:v-2}" in wider
    assert wider.count(r"\textit{Note.}") == 1
    parts = wider.split(r"\end{longtable}")[:-1]
    assert all("Model" in p.split(r"\midrule")[0] for p in parts)  # the key column repeats


def test_long_text_columns_wrap():
    df = pd.DataFrame({"Theme": ["Performance", "Social good"],
                       "Definition": ["Doing the task well: accuracy, reliability, competence " * 3] * 2,
                       "Segments": ["669", "489"],
                       "Exemplar": ["It must work reliably, every time it is used, for everyone. " * 2] * 2})
    tex = to_latex(df, "Codebook", "tab:cb")
    assert r"\begin{tabularx}{\linewidth}" in tex
    spec = re.search(r"\\begin\{tabularx\}\{\\linewidth\}\{(.*)\}\n", tex).group(1)
    assert spec.count("X") == 2 and "r" in spec


def test_cells_starting_with_a_bracket_do_not_become_row_options():
    df = pd.DataFrame({"CI": ["[.10, .20]", "[.30, .40]"], "x": ["1", "*2"]})
    tex = to_latex(df)
    assert r"{}[.10, .20]" in tex and r"{}*2" in tex


def test_markdown_aligns_by_column_type():
    md = to_markdown(pd.DataFrame({"Model": ["a|b"], "n": ["3"], "CI": [".1 [.0, .2]"]}), "Cap", "N.")
    lines = md.splitlines()
    assert lines[0] == "**Cap**" and lines[3] == "|:---|---:|---:|" and r"a\|b" in lines[4]
    assert lines[-1] == "*Note.* N."


def test_write_table_keeps_the_csv_and_refuses_atomically(tmp_path):
    df = pd.DataFrame({"model_id": ["m-1", "m-2"], "fidelity": [0.123456789012, -0.5]})
    write_table(df, tmp_path / "a")
    write_table(df, tmp_path / "b", caption="C", note="N", display=pd.DataFrame({"M": ["x", "y"]}))
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes() == (
        b"model_id,fidelity\nm-1,0.123456789\nm-2,-0.5\n")
    with pytest.raises(LatexTextError, match="cell"):
        write_table(df, tmp_path / "c", display=pd.DataFrame({"M": ["你", "y"]}), non_latin="raise")
    assert not list(tmp_path.glob("c.*"))


def test_macros_escape_and_use_a_true_minus(tmp_path):
    p = T.write_macros({"b_low": "-0.12", "p": "< .001", "tex": "$x$", "name": "a_b & c"},
                       tmp_path / "m.tex")
    text = p.read_text()
    assert r"\newcommand{\bLow}{$-$0.12}" in text and r"\newcommand{\p}{$<$ .001}" in text
    assert r"\newcommand{\tex}{$x$}" in text and r"\newcommand{\name}{a\_b \& c}" in text


def test_preamble_loads_every_package_the_tables_use(tmp_path):
    text = T.preamble_path().read_text()
    for pkg in T.PREAMBLE_PACKAGES:
        assert re.search(rf"\\usepackage(\[[^]]*\])?\{{{pkg}\}}", text), pkg
    assert T.write_preamble(tmp_path / "p.tex").read_text() == text
