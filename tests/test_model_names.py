"""One form of model name, taken as given; exclusion rules and themes in words."""

import pandas as pd
import pytest

from valueaudit import study3 as s3
from valueaudit.contracts import (
    DataValidationError,
    model_names,
    names_note,
    read_models,
    with_names_note,
)
from valueaudit.paper import summary_markdown, theme_label
from valueaudit.study1 import POOLED, study1_macros
from valueaudit.survey import EXCLUSION_RULES, apply_exclusions, describe_exclusion

from .conftest import REPO

TIERS = ["small", "mid", "frontier"]
HEAD = "model_id,display_name,{extra}family,provider,params_b,release_date,tier,open_weights\n"


def _table(tmp_path, rows, short=True):
    extra = "short_name," if short else ""
    body = "".join(
        f"{mid},{disp},{(sn + ',') if short else ''}fam,lab,7,2024-05,small,true\n"
        for mid, disp, sn in rows)
    p = tmp_path / "models.csv"
    p.write_text(HEAD.format(extra=extra) + body, encoding="utf-8")
    return p


def test_short_name_is_shown_and_names_pass_through_untouched(tmp_path):
    p = _table(tmp_path, [("m-a", "Model A (simulated)", "A"),
                          ("m-b", "Model B (simulated)", ""),
                          ("m-c", "Model C (vLLM; 8B)", "Model C (simulated)")])
    m = read_models(p, TIERS)
    assert list(m.columns[:3]) == ["model_id", "display_name", "short_name"]
    # an empty cell falls back to the display name; nothing is shortened or rewritten
    assert model_names(m) == {"m-a": "A", "m-b": "Model B (simulated)",
                              "m-c": "Model C (simulated)"}
    assert list(m["short_name"]) == ["A", "Model B (simulated)", "Model C (simulated)"]


def test_table_without_short_name_shows_the_display_name(tmp_path):
    p = _table(tmp_path, [("m-a", "Model A", None), ("m-b", "Model B", None)], short=False)
    m = read_models(p, TIERS)
    assert list(m["short_name"]) == ["Model A", "Model B"]
    assert model_names(pd.DataFrame({"model_id": ["x"]})) == {"x": "x"}


@pytest.mark.parametrize("short,col,row", [(True, "short_name", 3), (False, "display_name", 2)])
def test_two_models_under_one_name_stop_with_file_row_column_rule(tmp_path, short, col, row):
    rows = ([("m-a", "A one", "A"), ("m-b", "B", "B"), ("m-c", "A two", "A")] if short
            else [("m-a", "Same", None), ("m-b", "Same", None)])
    p = _table(tmp_path, rows, short=short)
    with pytest.raises(DataValidationError) as e:
        read_models(p, TIERS)
    err = e.value
    assert err.file == str(p) and err.row == row and err.column == col
    assert "duplicate model name" in err.rule and "fix" in err.block()


def test_the_names_note_follows_the_simulator_mark():
    demo = pd.read_csv(REPO / "resources/demo/models.csv")
    assert not demo["short_name"].str.contains("(simulated)", regex=False).any()
    assert names_note(demo) == "Model names are synthetic: the data set is simulated."
    assert with_names_note("N.", demo) == "N. Model names are synthetic: the data set is simulated."
    own = demo.assign(display_name=demo["short_name"])
    assert names_note(own) == "" and with_names_note("N.", own) == "N."


def test_forest_shows_the_names_as_given():
    n = 4
    f = pd.DataFrame({
        "model_id": [f"m{i}" for i in range(n)], "format": "rating",
        "display_name": [f"Own model {i} (simulated)" for i in range(n)],
        "tier": TIERS[:2] * 2, "analysed": True, "n_sessions": 10,
        "fidelity": [0.9, 0.8, 0.7, 0.6], "fidelity_lo": [0.8, 0.7, 0.6, 0.5],
        "fidelity_hi": [0.95, 0.85, 0.75, 0.65], "flag": "calibrated",
    })
    fig = s3.plot_forest(f, TIERS, {"fidelity": 0.9, "lo": 0.85, "hi": 0.95}, 0.2)
    shown = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert set(f["display_name"]) <= shown


CONFIG_RULES = [
    {"rule": "attention_check", "column": "Q2", "expected": 3},
    {"rule": "too_fast", "column": "Duration (in seconds)", "min_seconds": 180},
    {"rule": "straightlining", "max_sd": 0.0},
    {"rule": "straightlining", "max_sd": 0.5},
    {"rule": "duplicate", "column": "PROLIFIC_PID", "order_by": "RecordedDate"},
    {"rule": "duplicate", "column": "PROLIFIC_PID"},
    {"rule": "incomplete"},
]


@pytest.mark.parametrize("rule", CONFIG_RULES)
def test_exclusion_rules_read_as_words_not_config(rule):
    text = describe_exclusion(rule)
    assert text[0].isupper() and "=" not in text and "!=" not in text
    assert rule["rule"] not in text  # no rule id such as attention_check
    for k, v in rule.items():
        if k not in ("rule", "column", "order_by"):
            assert f"{k}" not in text
            if k != "max_sd" or v:
                assert f"{v:g}" in text  # the threshold itself is stated


def test_every_known_rule_has_a_description_and_a_label():
    from valueaudit.survey import EXCLUSION_LABELS

    assert set(EXCLUSION_LABELS) == set(EXCLUSION_RULES)
    for name in EXCLUSION_RULES:
        rule = next(r for r in CONFIG_RULES if r["rule"] == name)
        assert describe_exclusion(rule) != name


def test_sample_flow_table_speaks_words():
    wide = pd.DataFrame({"Q2": [3, 1, 3], "Duration (in seconds)": [400, 400, 50],
                         "rating:a": [1, 2, 3], "rating:b": [2, 3, 4]})
    rules = CONFIG_RULES[:2]
    _, _, flow = apply_exclusions(wide, rules)
    out = s3.sample_flow_table(flow)
    assert list(out["step"]) == ["Collected", "Excluded: attention check", "Excluded: too fast",
                                 "Analysed"]
    assert out["criterion"].iloc[1] == "Failed an attention check (answer to Q2 other than 3)"
    assert out["criterion"].iloc[2] == "Completed the survey in under 180 seconds"
    assert list(out["n_excluded"]) == [0, 1, 1, 2]


def test_summary_prints_theme_labels_not_ids():
    prev = pd.DataFrame({"theme": ["adaptive_capacity", "agency"], "prevalence": [0.45, 0.2],
                         "ci_low": [0.4, 0.16], "ci_high": [0.51, 0.25]})
    rel = pd.DataFrame({"theme": [POOLED], "kappa": [0.7], "kappa_low": [0.6],
                        "kappa_high": [0.8], "alpha": [0.7], "alpha_low": [0.6],
                        "alpha_high": [0.8]})
    v = study1_macros(prev, rel, pd.DataFrame({"n_codes": [5], "n_at_threshold": [9]}),
                      pd.DataFrame({"model_id": ["m"]}),
                      pd.DataFrame({"coder": ["a"]}),
                      labels={"adaptive_capacity": "Adaptive Capacity", "agency": "Agency"})
    assert v["study_one_prev_adaptive_capacity_label"] == "Adaptive Capacity"
    macros = {"studyOnePrevAdaptiveCapacity": ".45", "studyOnePrevAdaptiveCapacityCi": "[.40, .51]",
              "studyOnePrevAdaptiveCapacityLabel": "Adaptive Capacity",
              "studyOnePrevAgency": ".20", "studyOnePrevAgencyCi": "[.16, .25]",
              "studyThreeExaggeratingN": "0"}
    text = summary_markdown(macros, simulated=False)
    assert "Adaptive Capacity .45 [.40, .51]; Agency .20 [.16, .25]." in text
    assert "AdaptiveCapacity" not in text and "Label" not in text
    # without a label macro the theme part is spaced at its capitals
    assert theme_label({}, "studyOnePrevRelationalIntegration") == "Relational Integration"


def test_models_added_from_config_may_not_share_a_shown_name():
    import pandas as pd

    from valueaudit.contracts import DataValidationError, check_model_names

    table = pd.DataFrame({"model_id": ["a", "b"], "display_name": ["A (x)", "Model B"],
                          "short_name": ["A", ""]})
    assert list(check_model_names(table, "models")) == ["A", "Model B"]
    live = pd.concat([table, pd.DataFrame({"model_id": ["c"], "display_name": ["A"],
                                           "short_name": [""]})], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate model name"):
        check_model_names(live, "config models + models.live[].metadata")
