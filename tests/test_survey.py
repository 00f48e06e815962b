"""Survey import: Qualtrics layout, tidy layout, exclusion rules, pseudonymisation."""

import pandas as pd
import pytest
import yaml

from valueaudit.config import load_config
from valueaudit.contracts import DataValidationError
from valueaudit.survey import apply_exclusions, import_survey, pseudonymise

from .conftest import REPO


@pytest.fixture(scope="module")
def humans_cfg(small_project):
    cfg = load_config(small_project / "config.yaml")["humans"]
    cfg["export"] = str(small_project / cfg["export"])
    return cfg


def test_qualtrics_import_applies_planted_exclusions(humans_cfg, instrument, small_project):
    out = import_survey(humans_cfg, instrument)
    flow = out["flow"].set_index("step")
    truth = yaml.safe_load((small_project / "resources/demo/truth/params.json").read_text())
    assert flow.loc["collected", "remaining"] == truth["params"]["n_humans"]
    assert flow.loc["excluded: attention_check", "excluded"] == truth["planted_exclusions"]["attention"]
    assert flow.loc["excluded: too_fast", "excluded"] == truth["planted_exclusions"]["fast"]
    assert flow.loc["excluded: straightlining", "excluded"] == truth["planted_exclusions"]["straight"]
    assert flow.loc["excluded: duplicate", "excluded"] == truth["planted_exclusions"]["duplicate"]
    assert flow.loc["analysed", "remaining"] == truth["n_included"]
    r = out["respondents"]
    assert r["included"].sum() == truth["n_included"]
    assert set(r.columns) == {"respondent_id", "included", "exclusion_reason", "age", "gender", "education"}
    h = out["humans"]
    n_targets = len(instrument.item_ids) + instrument.n_themes
    assert len(h) == len(r) * n_targets


def test_no_direct_identifier_leaves_the_import(humans_cfg, instrument):
    raw = pd.read_csv(humans_cfg["export"], dtype=str, keep_default_na=False).iloc[2:]
    out = import_survey(humans_cfg, instrument)
    text = "".join(df.to_csv() for k, df in out.items() if isinstance(df, pd.DataFrame))
    for col in ("ResponseId", "PROLIFIC_PID", "IPAddress"):
        for value in raw[col].head(50):
            assert value not in text, (col, value)


def test_default_demo_export_gives_exactly_376():
    cfg = load_config(REPO / "config.yaml")["humans"]
    cfg["export"] = str(REPO / cfg["export"])
    from valueaudit.instrument import load_instrument

    ins = load_instrument(REPO / "resources/instrument/optimal_ai_v1.yaml")
    out = import_survey(cfg, ins)
    assert int(out["respondents"]["included"].sum()) == 376
    assert int(out["flow"]["remaining"].iloc[0]) == 420


def test_tidy_layout_gives_the_same_result(humans_cfg, instrument, tmp_path):
    q = import_survey(humans_cfg, instrument)
    raw = pd.read_csv(humans_cfg["export"], dtype=str, keep_default_na=False).iloc[2:]
    humans = q["humans"].copy()
    humans["respondent_id"] = humans["respondent_id"]  # already pseudonymised ids
    ids = pseudonymise(raw["ResponseId"], humans_cfg["pseudonym_salt"])
    resp = pd.DataFrame({"respondent_id": ids, "attn": raw["Q2"].to_numpy(),
                         "secs": raw["Duration (in seconds)"].to_numpy(),
                         "pid": raw["PROLIFIC_PID"].to_numpy(), "when": raw["RecordedDate"].to_numpy(),
                         "age": raw["Q4"].to_numpy()})
    humans.to_csv(tmp_path / "humans.csv", index=False)
    resp.to_csv(tmp_path / "resp.csv", index=False)
    cfg = {"export": str(tmp_path / "humans.csv"), "respondents": str(tmp_path / "resp.csv"),
           "layout": "tidy", "pseudonym_salt": "", "demographics": {"age": "age"},
           "exclusions": [{"rule": "attention_check", "column": "attn", "expected": 3},
                          {"rule": "too_fast", "column": "secs", "min_seconds": 180},
                          {"rule": "straightlining", "max_sd": 0},
                          {"rule": "duplicate", "column": "pid", "order_by": "when"}]}
    t = import_survey(cfg, instrument)
    assert t["flow"]["excluded"].tolist() == q["flow"]["excluded"].tolist()


def test_exclusions_are_sequential_and_add_up():
    wide = pd.DataFrame({"rating:a": [1, 3, 5, 4, 2], "rating:b": [1, 4, 5, 2, 6],
                         "attn": [3, 2, 3, 3, 3], "secs": [50, 400, 400, 400, 400],
                         "pid": ["x", "y", "z", "z", "w"], "t": ["1", "2", "3", "4", "5"]})
    rules = [{"rule": "attention_check", "column": "attn", "expected": 3},
             {"rule": "too_fast", "column": "secs", "min_seconds": 100},
             {"rule": "straightlining", "max_sd": 0},
             {"rule": "duplicate", "column": "pid", "order_by": "t"}]
    inc, reason, flow = apply_exclusions(wide, rules)
    assert inc.tolist() == [False, False, False, False, True]
    assert reason[:4] == ["too_fast", "attention_check", "straightlining", "duplicate"]
    # row 0 is too fast AND straight-lines: charged once, to the first rule that removes it;
    # row 3 repeats row 2's panel id: a second attempt is excluded even though the first was too
    assert flow["excluded"].tolist() == [0, 1, 1, 1, 1, 4]


def test_bad_export_is_named(humans_cfg, instrument, tmp_path):
    text = open(humans_cfg["export"], encoding="utf-8").read().splitlines()
    bad = text[:3] + [text[3].replace(",", ",x", 1)] + text[4:]
    # break a rating: replace the first rating column of respondent 2 with 9
    rows = [r.split(",") for r in text]
    col = rows[0].index(humans_cfg["items"]["rating"]["perf_1"])
    rows[4][col] = "9"
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as e:
        import_survey({**humans_cfg, "export": str(p)}, instrument)
    assert e.value.row == 2 and e.value.column == humans_cfg["items"]["rating"]["perf_1"]
    assert "out of range" in e.value.rule
    assert f"line {2 + 3}" in str(e.value)
    del bad
    p2 = tmp_path / "noheader.csv"
    p2.write_text("\n".join([text[0]] + text[3:]) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="import ids"):
        import_survey({**humans_cfg, "export": str(p2)}, instrument)
