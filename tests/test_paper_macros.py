"""The paper bundle's macros: reading and merging macro files with alias lines (a renamed
macro keeps its former name as ``\\newcommand{\\former}{\\current}``), and the summary
reading the current names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.paper import merge_macros, read_macros, summary_markdown
from valueaudit.tables import macro_name, write_macros


def _file(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_an_alias_reads_as_its_targets_value(tmp_path):
    p = tmp_path / "m.tex"
    write_macros({"study_two_clust_k": "2", "study_two_conv_p": "< .001"}, p,
                 aliases={"clustK": "study_two_clust_k", "convP": "study_two_conv_p"})
    assert r"\newcommand{\clustK}{\studyTwoClustK}" in p.read_text()
    m = read_macros(p)
    assert m["studyTwoClustK"] == m["clustK"] == "2"
    assert m["convP"] == m["studyTwoConvP"] == "$<$ .001"


def test_merge_keeps_alias_lines_and_resolves_them(tmp_path):
    one = _file(tmp_path / "one.tex", "% study 1\n\\newcommand{\\studyOneKappa}{.85}\n")
    two = tmp_path / "two.tex"
    write_macros({"study_two_clust_k": "2"}, two, aliases={"clustK": "study_two_clust_k"})
    out = tmp_path / "macros.tex"
    values = merge_macros([one, two], out)
    assert values == {"studyOneKappa": ".85", "studyTwoClustK": "2", "clustK": "2"}
    text = out.read_text()
    assert "\\newcommand{\\studyTwoClustK}{2}\n\\newcommand{\\clustK}{\\studyTwoClustK}\n" in text
    assert text.index("% from") < text.index("studyOneKappa")


def test_an_alias_may_point_into_another_file_of_the_merge(tmp_path):
    a = _file(tmp_path / "a.tex", "\\newcommand{\\studyThreeHumanN}{106}\n")
    b = _file(tmp_path / "b.tex", "\\newcommand{\\humanN}{\\studyThreeHumanN}\n")
    assert merge_macros([a, b], tmp_path / "m.tex")["humanN"] == "106"
    with pytest.raises(ValueError, match=r"alias of \\studyThreeHumanN, which is not defined"):
        read_macros(b)


def test_a_name_defined_twice_is_an_error(tmp_path):
    a = _file(tmp_path / "a.tex", "\\newcommand{\\x}{1}\n")
    b = _file(tmp_path / "b.tex", "\\newcommand{\\y}{2}\n\\newcommand{\\x}{\\y}\n")
    with pytest.raises(ValueError, match=r"\\x defined in both .*a\.tex and .*b\.tex"):
        merge_macros([a, b], tmp_path / "m.tex")
    assert not (tmp_path / "m.tex").exists()
    c = _file(tmp_path / "c.tex", "\\newcommand{\\x}{1}\n\\newcommand{\\x}{2}\n")
    with pytest.raises(ValueError, match=r"c\.tex: macro \\x defined twice \(lines 1 and 2\)"):
        read_macros(c)


def test_alias_errors_name_the_macro(tmp_path):
    dangling = _file(tmp_path / "d.tex", "\\newcommand{\\old}{\\studyTwoGone}\n")
    with pytest.raises(ValueError, match=r"\\old is an alias of \\studyTwoGone"):
        merge_macros([dangling], tmp_path / "m.tex")
    cycle = _file(tmp_path / "c.tex", "\\newcommand{\\a}{\\b}\n\\newcommand{\\b}{\\a}\n")
    with pytest.raises(ValueError, match="cycle"):
        read_macros(cycle)


def test_a_value_that_is_latex_is_not_an_alias(tmp_path):
    p = tmp_path / "m.tex"
    write_macros({"p": "$<$ .001", "name": r"A\B"}, p)
    assert read_macros(p) == {"name": r"A\textbackslash{}B", "p": "$<$ .001"}


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}(_[a-z]{1,6}){0,2}", fullmatch=True),
                       st.from_regex(r"[0-9.\[\], A-Za-z]{0,12}", fullmatch=True),
                       min_size=1, max_size=8))
def test_renaming_with_aliases_keeps_every_former_name(tmp_path_factory, values):
    """Study 2/3 rename: new = studyTwo + old name with its first letter upper-cased; the
    former name reads the same value as before the rename."""
    d = tmp_path_factory.mktemp("rename")
    before = read_macros(write_macros(values, d / "before.tex"))
    renamed = {f"study_two_{k}": v for k, v in values.items()}
    aliases = {macro_name(k): f"study_two_{k}" for k in values}
    after = read_macros(write_macros(renamed, d / "after.tex", aliases=aliases))
    for old, v in before.items():
        assert after[old] == v
        assert after["studyTwo" + old[0].upper() + old[1:]] == v


def test_the_summary_reads_the_current_names():
    m = {"studyThreeHumanN": "106", "studyThreeNThemes": "6", "studyTwoClustK": "3",
         "studyTwoStabIccMedian": ".84", "studyThreeExaggeratingN": "0",
         "humanN": "999", "clustK": "999"}
    text = summary_markdown(m, simulated=False)
    assert "Human reference: 106 respondents" in text and "k = 3 (silhouette" in text
    assert "Median ICC(A,1) .84" in text and "999" not in text
    # a macro the studies did not write reads NA, never a number from elsewhere
    assert re.search(r"OLS with HC3 errors: size b = NA", text)
