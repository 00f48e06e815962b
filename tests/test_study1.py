"""Unit tests of valueaudit.study1 on small hand-made data (no demo data, no Snakemake).

The kappa / alpha / Wilson functions themselves are tested against published worked
examples in tests/test_stats.py (Cohen 1960 / Fleiss, Levin & Paik 2003 Table 18.1;
Fleiss 1971 p. 380; Krippendorff 2011 pp. 3-8; Newcombe 1998 Table II); here we test
that Study 1 feeds them the right units and combines the results correctly.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from valueaudit import study1 as s1
from valueaudit.qdpx import NS, read_qdpx
from valueaudit.stats import cohens_kappa, fleiss_kappa, krippendorff_alpha

# three themes with made-up ids: nothing may assume the instrument's six themes
THEMES = pd.DataFrame({"theme": ["tx", "ty", "tz"], "label": ["Theme X", "Theme Y", "Theme Z"],
                       "definition": ["About x.", "About y.", "About z."], "order": [1, 2, 3]})
CODEBOOK = pd.DataFrame({"code": ["x1", "x2", "y1", "z1"], "theme": ["tx", "tx", "ty", "tz"],
                         "definition": ["x one", "x two", "y one", "z one"]})
TEXTS = {
    "r1": "Alpha beta. Gamma delta. Epsilon.",
    "r2": "Café ünïcode 😀 text. Second sentence.",
    "r3": "Nothing to see here.",
    "r4": "One more answer, with x and z.",
}


def _sources() -> pd.DataFrame:
    return pd.DataFrame({"response_id": list(TEXTS), "model_id": ["m-a", "m-a", "m-b", "m-b"],
                         "prompt_id": ["p"] * 4, "text": list(TEXTS.values())})


def _span(rid: str, seg: str) -> tuple[int, int]:
    a = TEXTS[rid].index(seg)
    return a, a + len(seg)


def _coding() -> pd.DataFrame:
    rows = []
    for rid, seg, coder, code in [
        ("r1", "Alpha beta.", "ann", "x1"), ("r1", "Alpha beta.", "bob", "x2"),
        ("r1", "Gamma delta.", "ann", "y1"), ("r2", "😀 text.", "ann", "z1"),
        ("r2", "😀 text.", "bob", "z1"), ("r4", "with x and z", "bob", "x1"),
    ]:
        a, b = _span(rid, seg)
        rows.append({"response_id": rid, "coder": coder, "code": code, "start": a, "end": b,
                     "segment": seg})
    return pd.DataFrame(rows)


def _valid():
    return s1.validate_coding(_coding(), _sources(), CODEBOOK)


# ---------------------------------------------------------------------------
# raw records -> answers -> export -> coded project -> import (round trip)
# ---------------------------------------------------------------------------
def _record(model, task, session, attempt, text, prompt="optimal_functioning", error=None):
    body = None if text is None else {"choices": [{"message": {"content": text},
                                                   "finish_reason": "stop"}]}
    return {"record_id": f"{model}.{task}.s{session}.a{attempt}", "model_id": model,
            "task": task, "prompt_id": prompt, "session": session, "attempt": attempt,
            "api": "openai.chat.completions", "response_body": body, "error": error,
            "model_version": f"{model}-v1"}


def test_open_answers_keeps_final_attempt_and_skips_errors_and_other_tasks():
    recs = [
        _record("m-a", "open", 1, 1, None, error={"type": "timeout"}),
        _record("m-a", "open", 1, 2, "Second try works."),
        _record("m-a", "open", 2, 1, None, error={"type": "server"}),
        _record("m-a", "rating", 1, 1, '{"perf_1": 5}'),
        _record("m-a", "open", 1, 1, "Other prompt.", prompt="p2"),
    ]
    ans = s1.open_answers(recs)
    assert list(ans.columns) == s1.ANSWER_COLUMNS
    assert list(ans["response_id"]) == ["m-a.open.s1.a2", "m-a.open.s1.a1"]
    assert list(ans["prompt_id"]) == ["optimal_functioning", "p2"]
    assert list(ans["text"]) == ["Second try works.", "Other prompt."]
    assert ans["session"].dtype == "int64"


def _add_codings(src_path, dst_path, codings, coders):
    """Add selections + codings to an exported project the way a QDA program does."""
    with zipfile.ZipFile(src_path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    ET.register_namespace("", NS)
    root = ET.fromstring(files["project.qde"])
    q = f"{{{NS}}}"
    code_guid = {c.get("name"): c.get("guid") for c in root.iter(f"{q}Code")}
    users = ET.Element(f"{q}Users")
    user_guid = {}
    for k, name in enumerate(coders):
        user_guid[name] = f"00000000-0000-4000-8000-{k:012d}"
        ET.SubElement(users, f"{q}User", guid=user_guid[name], name=name)
    root.insert(0, users)
    by_name = {s.get("name"): s for s in root.iter(f"{q}TextSource")}
    for k, (rid, start, end, coder, code) in enumerate(codings):
        src = by_name[rid]
        sel = ET.Element(f"{q}PlainTextSelection", guid=f"10000000-0000-4000-8000-{k:012d}",
                         startPosition=str(start), endPosition=str(end),
                         creatingUser=user_guid[coder])
        cod = ET.SubElement(sel, f"{q}Coding", guid=f"20000000-0000-4000-8000-{k:012d}",
                            creatingUser=user_guid[coder])
        ET.SubElement(cod, f"{q}CodeRef", targetGUID=code_guid[code])
        src.insert(0, sel)  # selections come before VariableValues in the schema
    files["project.qde"] = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with zipfile.ZipFile(dst_path, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)


def test_export_add_codings_import_round_trip(tmp_path):
    recs = [_record(m, "open", s, 1, f"{m} answer {s}: Café 😀 helps people. Acts alone.")
            for m in ("m-a", "m-b") for s in (1, 2)]
    answers = s1.open_answers(recs)
    qdpx, csv = tmp_path / "export.qdpx", tmp_path / "export.csv"
    s1.export_answers(answers, qdpx, csv, codebook=CODEBOOK)
    sources, empty = read_qdpx(qdpx, codebook=CODEBOOK)
    assert empty.empty
    assert list(sources["response_id"]) == list(answers["response_id"])
    assert list(sources["model_id"]) == list(answers["model_id"])
    assert list(sources["prompt_id"]) == list(answers["prompt_id"])
    assert list(sources["session"]) == list(answers["session"])
    assert list(sources["text"]) == list(answers["text"])
    exported_csv = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert list(exported_csv["text"]) == list(answers["text"])
    # a coder codes the project and hands it back
    codings = []
    for rid, text in zip(answers["response_id"], answers["text"], strict=True):
        a = text.index("helps people.")
        codings.append((rid, a, a + len("helps people."), "ann", "y1"))
        b = text.index("Acts alone.")
        codings.append((rid, b, b + len("Acts alone."), "bob", "z1"))
    codings.append((answers["response_id"][0], 0, 4, "bob", "x2"))
    coded = tmp_path / "coded.qdpx"
    _add_codings(qdpx, coded, codings, ["ann", "bob"])
    got_sources, got = s1.load_coding(coded, "qdpx", CODEBOOK)
    want = pd.DataFrame(codings, columns=["response_id", "start", "end", "coder", "code"])
    key = ["response_id", "start", "end", "coder", "code"]
    pd.testing.assert_frame_equal(
        got[key].sort_values(key).reset_index(drop=True),
        want.sort_values(key).reset_index(drop=True), check_dtype=False)
    texts = dict(zip(answers["response_id"], answers["text"], strict=True))
    assert all(texts[r][a:b] == seg for r, a, b, seg in
               zip(got["response_id"], got["start"], got["end"], got["segment"], strict=True))
    assert set(got["theme"]) == {"tx", "ty", "tz"}
    # and the CSV route gives the same codings
    csv_coding = tmp_path / "coding.csv"
    want.assign(model_id=want["response_id"].map(dict(zip(answers["response_id"],
                                                          answers["model_id"], strict=True))),
                prompt_id="optimal_functioning").to_csv(csv_coding, index=False)
    _, got_csv = s1.load_coding(csv_coding, "csv", CODEBOOK, answers=csv)
    pd.testing.assert_frame_equal(got, got_csv)


def test_export_without_answers_fails():
    with pytest.raises(s1.CodingError, match="no open-ended answers"):
        s1.export_answers(pd.DataFrame(columns=s1.ANSWER_COLUMNS), "x.qdpx", "x.csv")


# ---------------------------------------------------------------------------
# validation errors name code, source and position
# ---------------------------------------------------------------------------
def test_validate_coding_fills_offsets_and_sorts():
    cod = _coding().drop(columns=["start", "end"])
    out = s1.validate_coding(cod, _sources(), CODEBOOK)
    ref = _valid()
    pd.testing.assert_frame_equal(out, ref)
    assert list(out.columns) == s1.CODING_OUT
    assert out.loc[out["code"] == "z1", "segment"].iloc[0] == "😀 text."
    assert out.loc[out["code"] == "z1", "start"].iloc[0] == TEXTS["r2"].index("😀")


@pytest.mark.parametrize("change, pattern", [
    ({"code": "nope"},
     r"f.csv, row 2: code 'nope' \(on source 'r1' at \[0, 11\)\) is not in the codebook"),
    ({"response_id": "r9"}, r"row 2: code 'x1' at \[0, 11\) codes unknown source 'r9'"),
    ({"start": 30, "end": 99}, r"code 'x1' on source 'r1': position \[30, 99\) is outside"),
    ({"start": 5, "end": 5}, r"position \[5, 5\) is outside the text .* or empty"),
    ({"segment": "not there", "start": None, "end": None},
     r"code 'x1' on source 'r1': segment 'not there' is not in the text"),
    ({"segment": "Alpha"}, r"segment text does not match the text at \[0, 11\)"),
    ({"coder": None}, r"has no coder"),
])
def test_validate_coding_errors(change, pattern):
    cod = _coding()
    for k, v in change.items():
        cod[k] = cod[k].astype(object)
        cod.loc[0, k] = v
    with pytest.raises(s1.CodingError, match=pattern):
        s1.validate_coding(cod, _sources(), CODEBOOK, file="f.csv", row_offset=2)


def test_code_without_theme_is_an_error():
    cb = CODEBOOK.copy()
    cb.loc[0, "theme"] = ""
    with pytest.raises(s1.CodingError, match="code 'x1' .* has no theme in the codebook"):
        s1.validate_coding(_coding(), _sources(), cb)


def test_qdpx_code_without_theme_names_code_source_position(tmp_path):
    path = tmp_path / "p.qdpx"
    from valueaudit.qdpx import write_qdpx

    write_qdpx(path, _sources(), coding=_coding())  # flat codes, no codebook
    cb = CODEBOOK[CODEBOOK["code"] != "z1"]
    with pytest.raises(s1.CodingError,
                       match=r"p.qdpx, coding \d+: code 'z1' \(on source 'r2' at \[\d+, \d+\)\) is "
                       "not in the codebook"):
        s1.load_coding(path, "qdpx", cb)
    _, got = s1.load_coding(path, "qdpx", CODEBOOK)
    pd.testing.assert_frame_equal(got, _valid())


def test_model_id_mismatch_is_an_error():
    cod = _coding().assign(model_id="m-z")
    with pytest.raises(s1.CodingError, match="model_id 'm-z' differs"):
        s1.validate_coding(cod, _sources(), CODEBOOK)


def test_csv_import_needs_answers(tmp_path):
    path = tmp_path / "c.csv"
    _coding().assign(model_id="m-a", prompt_id="p").to_csv(path, index=False)
    with pytest.raises(s1.CodingError, match="needs the answers"):
        s1.load_coding(path, "csv", CODEBOOK)
    with pytest.raises(ValueError, match="fmt must be"):
        s1.load_coding(path, "xlsx", CODEBOOK)


def test_qdpx_error_is_reported_as_coding_error(tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(s1.CodingError, match="not a zip"):
        s1.load_coding(bad, "qdpx", CODEBOOK)


# ---------------------------------------------------------------------------
# presence, prevalence
# ---------------------------------------------------------------------------
def test_presence_table_by_hand():
    pres = s1.presence_table(_valid(), _sources(), THEMES["theme"])
    assert len(pres) == 4 * 2 * 3
    on = set(pres.loc[pres["present"], ["response_id", "coder", "theme"]].itertuples(index=False))
    assert on == {("r1", "ann", "tx"), ("r1", "bob", "tx"), ("r1", "ann", "ty"),
                  ("r2", "ann", "tz"), ("r2", "bob", "tz"), ("r4", "bob", "tx")}


def test_presence_rejects_unknown_theme():
    with pytest.raises(s1.CodingError, match="not in the theme list"):
        s1.presence_table(_valid(), _sources(), ["tx", "ty"])


@pytest.mark.parametrize("rule, counts", [
    ("mean", [1.5, 0.5, 1.0]), ("any", [2, 1, 1]), ("all", [1, 0, 1]), ("majority", [1, 0, 1]),
])
def test_prevalence_rules_and_wilson(rule, counts):
    pres = s1.presence_table(_valid(), _sources(), THEMES["theme"])
    prev = s1.prevalence(pres, rule=rule)
    assert list(prev["theme"]) == ["tx", "ty", "tz"]
    np.testing.assert_allclose(prev["count"], counts)
    np.testing.assert_allclose(prev["prevalence"], np.array(counts) / 4)
    lo, hi = proportion_confint(np.array(counts, float), 4, method="wilson")
    np.testing.assert_allclose(prev["ci_low"], lo)
    np.testing.assert_allclose(prev["ci_high"], hi)


def test_prevalence_by_model_and_by_coder():
    pres = s1.presence_table(_valid(), _sources(), THEMES["theme"])
    bym = s1.prevalence(pres, rule="any", by="model_id")
    got = bym.set_index(["model_id", "theme"])["prevalence"]
    assert got[("m-a", "tx")] == 0.5 and got[("m-b", "tx")] == 0.5 and got[("m-b", "tz")] == 0
    assert set(bym["n_responses"]) == {2}
    byc = s1.prevalence_by_coder(pres).set_index(["coder", "theme"])
    assert byc.loc[("ann", "ty"), "count"] == 1 and byc.loc[("bob", "tx"), "count"] == 2


def test_majority_differs_from_all_with_three_coders():
    cube = np.zeros((3, 1, 1))
    cube[:2] = 1
    assert s1._combine(cube, "majority")[0, 0] == 1 and s1._combine(cube, "all")[0, 0] == 0
    with pytest.raises(ValueError, match="rule must be one of"):
        s1._combine(cube, "median")


# ---------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------
def _presence_from(cube: np.ndarray, coders=("c1", "c2")) -> pd.DataFrame:
    """Long presence table from a coders x responses x themes 0/1 array."""
    rows = [(f"r{r}", "m", coders[c], f"t{t}", bool(cube[c, r, t]))
            for r in range(cube.shape[1]) for c in range(cube.shape[0])
            for t in range(cube.shape[2])]
    return pd.DataFrame(rows, columns=["response_id", "model_id", "coder", "theme", "present"])


def _random_cube(n_coders, n_resp=60, n_themes=3, seed=1):
    rng = np.random.default_rng(seed)
    truth = rng.random((n_resp, n_themes)) < 0.5
    flip = rng.random((n_coders, n_resp, n_themes)) < 0.15
    return (truth[None] ^ flip).astype(int)


def test_reliability_two_coders_matches_library_functions():
    cube = _random_cube(2)
    rel = s1.reliability(_presence_from(cube), n_boot=300, seed=3)
    assert list(rel["theme"]) == ["t0", "t1", "t2", s1.POOLED]
    assert set(rel["statistic"]) == {"Cohen's kappa"}
    for k in range(3):
        row = rel.iloc[k]
        assert row["kappa"] == pytest.approx(cohens_kappa(cube[0, :, k], cube[1, :, k]))
        assert row["alpha"] == pytest.approx(krippendorff_alpha(cube[:, :, k].astype(float)))
        assert row["agreement"] == pytest.approx(np.mean(cube[0, :, k] == cube[1, :, k]))
        assert row["kappa_low"] < row["kappa"] < row["kappa_high"]
        assert row["alpha_low"] < row["alpha"] < row["alpha_high"]
    pooled = rel.iloc[3]
    assert pooled["n_units"] == 180
    assert pooled["kappa"] == pytest.approx(cohens_kappa(cube[0].ravel(), cube[1].ravel()))
    # seeded: same seed same numbers, other seed other CIs
    again = s1.reliability(_presence_from(cube), n_boot=300, seed=3)
    pd.testing.assert_frame_equal(rel, again)
    other = s1.reliability(_presence_from(cube), n_boot=300, seed=4)
    assert not np.allclose(other["kappa_low"], rel["kappa_low"])


def test_reliability_pooled_bootstrap_resamples_whole_responses():
    """The pooled CI equals a brute-force bootstrap over responses (same draws)."""
    cube = _random_cube(2, n_resp=30)
    rel = s1.reliability(_presence_from(cube), n_boot=200, seed=9)
    idx = np.random.default_rng(9).integers(0, 30, size=(200, 30))
    reps = [cohens_kappa(cube[0][i].ravel(), cube[1][i].ravel()) for i in idx]
    lo, hi = np.nanquantile(reps, [0.025, 0.975])
    assert rel.iloc[-1]["kappa_low"] == pytest.approx(lo)
    assert rel.iloc[-1]["kappa_high"] == pytest.approx(hi)


def test_reliability_three_coders_uses_fleiss():
    cube = _random_cube(3)
    rel = s1.reliability(_presence_from(cube, ("a", "b", "c")), n_boot=200, seed=1)
    assert set(rel["statistic"]) == {"Fleiss' kappa"}
    assert rel.iloc[0]["kappa"] == pytest.approx(fleiss_kappa(cube[:, :, 0].T))
    assert rel.iloc[0]["alpha"] == pytest.approx(krippendorff_alpha(cube[:, :, 0].astype(float)))


def test_reliability_single_coder_is_not_computable():
    cube = _random_cube(1)
    rel = s1.reliability(_presence_from(cube, ("solo",)), n_boot=100, seed=1)
    assert rel[["kappa", "alpha", "kappa_low", "alpha_high", "agreement"]].isna().all().all()
    assert rel["note"].str.contains("not computable: one coder \\(solo\\)").all()
    # prevalence still works
    prev = s1.prevalence(_presence_from(cube, ("solo",)))
    assert prev["prevalence"].between(0, 1).all()


def test_reliability_no_variation_is_nan_with_reason():
    cube = np.zeros((2, 20, 2), dtype=int)
    cube[:, :10, 1] = 1
    rel = s1.reliability(_presence_from(cube), n_boot=100, seed=1)
    assert np.isnan(rel.iloc[0]["kappa"]) and "no variation" in rel.iloc[0]["note"]
    assert rel.iloc[0]["agreement"] == 1.0
    assert rel.iloc[1]["kappa"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# saturation, co-occurrence, codebook table
# ---------------------------------------------------------------------------
def _coding_from_sets(sets: list[set[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    sources = pd.DataFrame({"response_id": [f"r{k}" for k in range(len(sets))]})
    rows = [{"response_id": f"r{k}", "code": c} for k, s in enumerate(sets) for c in sorted(s)]
    return pd.DataFrame(rows, columns=["response_id", "code"]), sources


def test_saturation_by_hand():
    # every response holds every code: saturated after one response
    cod, src = _coding_from_sets([{"a", "b"}] * 5)
    curve, summ = s1.saturation(cod, src, n_orders=20, seed=1)
    assert (curve["mean"] == 2).all() and summ["n_at_threshold"] == 1
    # one rare code in a single response out of 4: E[D(n)] = 1 + n/4 (hypergeometric)
    cod, src = _coding_from_sets([{"a"}, {"a"}, {"a"}, {"a", "rare"}])
    curve, summ = s1.saturation(cod, src, n_orders=4000, seed=2, threshold=1.0)
    np.testing.assert_allclose(curve["mean"], 1 + np.arange(1, 5) / 4, atol=0.03)
    assert summ["n_codes"] == 2 and summ["codes_needed"] == 2 and summ["n_at_threshold"] == 4
    assert summ["n_at_threshold_low"] == 1 and summ["n_at_threshold_high"] == 4
    assert 2 <= summ["n_at_threshold_median"] <= 3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sets(st.sampled_from("abcdefg"), max_size=4), min_size=1, max_size=25)
       .filter(lambda s: any(s)), st.integers(0, 10_000))
def test_saturation_curve_properties(sets, seed):
    cod, src = _coding_from_sets(sets)
    curve, summ = s1.saturation(cod, src, n_orders=15, seed=seed)
    n_codes = len(set().union(*sets))
    assert summ["n_codes"] == n_codes
    assert (np.diff(curve["mean"]) >= -1e-12).all()
    assert curve["mean"].iloc[-1] == n_codes
    assert (curve["low"] <= curve["mean"] + 1e-9).all() and (curve["mean"] <= curve["high"] + 1e-9).all()
    assert 1 <= summ["n_at_threshold"] <= len(sets)
    assert curve["mean"].iloc[summ["n_at_threshold"] - 1] >= 0.95 * n_codes - 1e-9
    again, _ = s1.saturation(cod, src, n_orders=15, seed=seed)
    pd.testing.assert_frame_equal(curve, again)


def test_cooccurrence_jaccard_by_hand():
    # coder c1: t0 in r0,r1,r2; t1 in r1,r2,r3 -> J = 2/4; c2: t0 in r0; t1 in r0 -> J = 1
    cube = np.zeros((2, 4, 3), dtype=int)
    cube[0, [0, 1, 2], 0] = 1
    cube[0, [1, 2, 3], 1] = 1
    cube[1, 0, 0] = cube[1, 0, 1] = 1
    pres = _presence_from(cube)
    got = s1.cooccurrence(pres, rule="mean").set_index(["theme_a", "theme_b"])
    assert got.loc[("t0", "t1"), "jaccard"] == pytest.approx((0.5 + 1.0) / 2)
    assert got.loc[("t0", "t1"), "n_both"] == pytest.approx((2 + 1) / 2)
    assert got.loc[("t0", "t2"), "jaccard"] == 0.0
    assert np.isnan(got.loc[("t2", "t2"), "jaccard"])  # t2 never present: undefined
    assert got.loc[("t0", "t0"), "jaccard"] == 1.0
    anyr = s1.cooccurrence(pres, rule="any").set_index(["theme_a", "theme_b"])
    assert anyr.loc[("t0", "t1"), "jaccard"] == pytest.approx(3 / 4)  # {0,1,2} vs {0,1,2,3}
    assert anyr.loc[("t1", "t0"), "jaccard"] == anyr.loc[("t0", "t1"), "jaccard"]


def test_codebook_table_counts_and_reproducible_exemplar():
    coding = _valid()
    tab = s1.codebook_table(CODEBOOK, THEMES, coding, seed=5)
    assert list(tab["theme"]) == ["tx", "ty", "tz"]
    assert list(tab["segments"]) == [3, 1, 2]
    assert tab.loc[0, "codes"] == "x1 (2); x2 (1)"
    assert tab.loc[0, "n_codes"] == 2
    # tz: both coders coded the same span -> that span is the exemplar
    assert tab.loc[2, "exemplar"] == "😀 text." and tab.loc[2, "exemplar_response_id"] == "r2"
    # tx: 'Alpha beta.' coded by 2 coders beats 'with x and z' (1 coder)
    assert tab.loc[0, "exemplar"] == "Alpha beta."
    pd.testing.assert_frame_equal(tab, s1.codebook_table(CODEBOOK, THEMES, coding, seed=5))
    # a theme without segments has no exemplar, not a crash
    tab2 = s1.codebook_table(CODEBOOK, THEMES, coding[coding["theme"] != "ty"], seed=5)
    assert tab2.loc[1, "segments"] == 0 and tab2.loc[1, "exemplar"] == ""


def test_exemplar_choice_depends_only_on_seed_among_ties():
    coding = _valid()
    coding = coding[coding["coder"] == "ann"]  # all ties (one coder each)
    picks = {s1.codebook_table(CODEBOOK, THEMES, coding, seed=s).loc[0, "exemplar"]
             for s in range(20)}
    assert picks == {"Alpha beta."}  # only one tx segment by ann
    shuffled = coding.sample(frac=1, random_state=1)
    assert (s1.codebook_table(CODEBOOK, THEMES, shuffled, seed=3)["exemplar"].tolist()
            == s1.codebook_table(CODEBOOK, THEMES, coding, seed=3)["exemplar"].tolist())


def test_tables_and_macros_with_one_coder():
    coding = _valid()
    coding = coding[coding["coder"] == "ann"]
    pres = s1.presence_table(coding, _sources(), THEMES["theme"])
    rel = s1.reliability(pres, n_boot=100, seed=1)
    prev = s1.prevalence(pres)
    full, disp = s1.table_prevalence_reliability(prev, s1.prevalence_by_coder(pres), rel, THEMES)
    assert list(disp["Theme"]) == ["Theme X", "Theme Y", "Theme Z", "All themes (pooled)"]
    assert (disp["Kappa [95% CI]"] == "NA").all()
    _, summ = s1.saturation(coding, _sources(), n_orders=10, seed=1)
    sat_full, _ = s1.table_saturation(summ)
    mac = s1.study1_macros(prev, rel, sat_full, _sources(), coding)
    assert mac["study_one_kappa"] == "NA" and mac["study_one_kappa_ci"] == "NA"
    assert mac["study_one_prev_tx"] == ".25" and mac["study_one_coders"] == "1"


def test_display_tables():
    pres = s1.presence_table(_valid(), _sources(), THEMES["theme"])
    rel = s1.reliability(pres, n_boot=100, seed=1)
    prev = s1.prevalence(pres)
    full, disp = s1.table_prevalence_reliability(prev, s1.prevalence_by_coder(pres), rel, THEMES)
    assert list(full["theme"]) == ["tx", "ty", "tz", s1.POOLED]
    assert disp.loc[0, "Prevalence [95% CI]"].startswith(".38 [")
    assert disp.loc[0, "Coders (range)"] == ".25-.50"
    assert "Cohen's kappa [95% CI]" in disp.columns
    bym = s1.prevalence(pres, by="model_id")
    models = pd.DataFrame({"model_id": ["m-b", "m-a"], "display_name": ["Model B", "Model A"]})
    full_m, disp_m = s1.table_prevalence_by_model(bym, THEMES, models)
    assert list(disp_m["Model"]) == ["Model B", "Model A"]
    assert list(disp_m.columns) == ["Model", "n", "Theme X", "Theme Y", "Theme Z"]
    cooc = s1.table_cooccurrence(s1.cooccurrence(pres), THEMES)
    assert list(cooc["Theme"]) == ["Theme Y", "Theme Z"]
    assert list(cooc.columns) == ["Theme", "Theme X", "Theme Y"]
    assert cooc.loc[0, "Theme Y"] == ""


def test_figures_build(tmp_path):
    from valueaudit.plotting import save_figure, setup

    setup()
    pres = s1.presence_table(_valid(), _sources(), THEMES["theme"])
    bym = s1.prevalence(pres, by="model_id")
    curve, summ = s1.saturation(_valid(), _sources(), n_orders=10, seed=1)
    figs = {"heat": s1.plot_prevalence_heatmap(bym, THEMES),
            "sat": s1.plot_saturation(curve, summ),
            "cooc": s1.plot_cooccurrence(s1.cooccurrence(pres), THEMES)}
    for name, fig in figs.items():
        paths = save_figure(fig, tmp_path / name)
        assert all(p.stat().st_size > 1000 for p in paths)
    first = (tmp_path / "sat.png").read_bytes()
    save_figure(s1.plot_saturation(curve, summ), tmp_path / "sat")
    assert (tmp_path / "sat.png").read_bytes() == first


def test_nothing_is_mutated():
    coding, sources, cb = _coding(), _sources(), CODEBOOK.copy()
    before = (copy.deepcopy(coding), sources.copy(), cb.copy())
    s1.validate_coding(coding, sources, cb)
    pd.testing.assert_frame_equal(coding, before[0])
    pd.testing.assert_frame_equal(sources, before[1])
    pd.testing.assert_frame_equal(cb, before[2])
