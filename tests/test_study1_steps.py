"""Study 1 rule steps and rule scripts: each script is a thin adapter around one step
function, which returns exactly the outputs its rule declares; the report raises on a
missing row instead of dropping a macro."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueaudit import study1 as s1

from .test_study1 import CODEBOOK, THEMES, _sources, _valid

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "scripts").glob("study1_*.py"))
RULES_TEXT = (REPO / "workflow/rules/study1.smk").read_text()


def _rule_outputs(rule: str) -> set[str]:
    """The named outputs of ``rule`` in study1.smk (lineage aside)."""
    block = RULES_TEXT.split(f"rule {rule}:")[1].split("\nrule ")[0]
    out = block.split("    output:\n")[1]
    out = re.split(r"\n    [a-z]+:", out)[0]
    return set(re.findall(r"^        ([a-z_]+)=", out, re.M)) - {"lineage"}


def _function_of(script: Path) -> str:
    """The name passed as ``log_to(smk, function=NAME)``."""
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "log_to":
            for kw in node.keywords:
                if kw.arg == "function":
                    return kw.value.id
    raise AssertionError(f"{script.name}: no log_to(smk, function=...)")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_scripts_are_thin_adapters_of_one_step(script):
    text = script.read_text()
    assert len(text.splitlines()) <= 30, script.name
    name = _function_of(script)
    function = getattr(s1, name)
    assert function.__module__ == "valueaudit.study1.steps"
    calls = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)
             and getattr(n.func, "id", "") == name]
    assert len(calls) == 1, f"{script.name} calls {name} {len(calls)} times"


def _presence():
    return s1.presence_table(_valid(), _sources(), THEMES["theme"])


MODELS = pd.DataFrame({"model_id": ["m-a", "m-b"], "short_name": ["Model A", "Model B"]})


def test_prevalence_step_returns_the_rules_outputs():
    out = s1.prevalence_step(_presence(), THEMES, MODELS, rule="mean", n_boot=100, seed=3)
    assert set(out.frames) | set(out.tables) | set(out.figures) == _rule_outputs(
        "study1_prevalence") - {"table_html", "by_model_html"}
    pd.testing.assert_frame_equal(out.frames["prevalence"], s1.prevalence(_presence()))
    pd.testing.assert_frame_equal(out.frames["reliability"],
                                  s1.reliability(_presence(), n_boot=100, seed=3))
    note = out.tables["table"].note
    assert "N = 4 responses" in note and "100 bootstrap resamples" in note and "(seed 3)" in note
    assert list(out.tables["by_model"].display["Model"]) == ["Model A", "Model B"]


def test_saturation_and_cooccurrence_steps_return_the_rules_outputs():
    sat = s1.saturation_step(_valid(), _sources(), n_orders=10, seed=1, threshold=0.9)
    assert set(sat.frames) | set(sat.tables) | set(sat.figures) == _rule_outputs(
        "study1_saturation") - {"table_html"}
    assert "over 10 random orders of the responses (seed 1)" in sat.tables["table"].note
    co = s1.cooccurrence_step(_presence(), THEMES, rule="any")
    assert set(co.tables) | set(co.figures) == _rule_outputs("study1_cooccurrence") - {
        "table_html"}
    assert co.tables["table"].note.endswith("coders combined by the 'any' rule.")


def test_import_and_codebook_steps(tmp_path):
    src = tmp_path / "answers.csv"
    _sources().to_csv(src, index=False)
    coding = tmp_path / "coding.csv"
    _valid().drop(columns="theme").to_csv(coding, index=False)
    out = s1.import_step(coding, CODEBOOK, THEMES, fmt="csv", answers=src)
    assert set(out.frames) == _rule_outputs("study1_import")
    assert "text" not in out.frames["sources"]
    assert list(out.frames["sources"]["n_characters"]) == [len(t) for t in _sources()["text"]]
    cb = s1.codebook_step(CODEBOOK, THEMES, _valid(), seed=5).tables["table"]
    assert set(s1.codebook_step(CODEBOOK, THEMES, _valid()).tables) == {"table"}
    assert list(cb.display.columns) == ["Theme", "Definition", "Codes (segments)", "Segments",
                                        "Exemplar"]


def test_codebook_display_cuts_long_exemplars():
    table = pd.DataFrame({"label": ["A", "B"], "definition": ["a", "b"], "codes": ["", ""],
                          "segments": [1, 2], "exemplar": ["x" * 160, "y" * 161]})
    shown = s1.report.codebook_display(table)["Exemplar"]
    assert shown[0] == "x" * 160 and shown[1] == "y" * 157 + "..."


def test_answers_step_refuses_two_models_and_counts_missing_text(caplog):
    rec = {"record_id": "r", "model_id": "m", "task": "open", "prompt_id": "p", "session": 1,
           "attempt": 1, "api": "openai.chat.completions", "model_version": "v",
           "response_body": {"choices": [{"message": {"content": "An answer."}}]}}
    empty = {**rec, "record_id": "r2", "session": 2, "response_body": None}
    out = s1.answers_step([rec, empty], source="m.jsonl")
    assert list(out.frames) == ["answers"] and len(out.frames["answers"]) == 1
    assert "m.jsonl: 1 open-ended session(s) without answer text" in caplog.text
    with pytest.raises(ValueError, match="several models"):
        s1.answers_step([rec, {**rec, "record_id": "x", "model_id": "other"}])


def _macro_inputs():
    pres = _presence()
    prev = s1.prevalence(pres)
    rel = s1.reliability(pres, n_boot=100, seed=1)
    sat, _ = s1.table_saturation(s1.saturation(_valid(), _sources(), n_orders=10, seed=1)[1])
    return prev, rel, sat


def test_macros_are_keyed_study_one_and_raise_on_a_missing_row():
    prev, rel, sat = _macro_inputs()
    values = s1.macros_step(prev, rel, sat, _sources(), _valid(), THEMES)
    assert all(k.startswith("study_one_") for k in values)
    assert values["study_one_prev_tx_label"] == "Theme X"
    assert values["study_one_responses"] == "4"
    with pytest.raises(ValueError, match=r"no row with theme = 'all themes \(pooled\)'"):
        s1.study1_macros(prev, rel[rel["theme"] != s1.POOLED], sat, _sources(), _valid())
    with pytest.raises(ValueError, match="saturation summary has no row"):
        s1.study1_macros(prev, rel, sat.iloc[:0], _sources(), _valid())
    with pytest.raises(ValueError, match="theme 'tz' of the prevalence table has no label"):
        s1.study1_macros(prev, rel, sat, _sources(), _valid(), labels={"tx": "X", "ty": "Y"})


def test_not_computable_kappa_reads_na_in_the_macros():
    prev, rel, sat = _macro_inputs()
    rel = rel.assign(kappa=np.nan)
    values = s1.study1_macros(prev, rel, sat, _sources(), _valid())
    assert values["study_one_kappa"] == "NA" and values["study_one_kappa_ci"] == "NA"
    assert values["study_one_alpha_ci"] != "NA"
