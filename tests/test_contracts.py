"""Data contracts: bad input stops with file, row, column and rule; nothing half-written."""

import json
import os

import pandas as pd
import pytest

from valueaudit.contracts import (
    DataValidationError,
    atomic_path,
    read_codebook,
    read_coding,
    read_humans,
    read_models,
    read_raw_records,
    read_respondents,
    read_responses,
)

TIERS = ["small", "mid", "frontier"]
MODELS = (
    "model_id,display_name,family,provider,params_b,release_date,tier,open_weights\n"
    "sim-a,Sim A,sim,lab,7,2024-05,small,true\n"
    "sim-b,Sim B,sim,lab,,2025-11,frontier,false\n"
)


def write(tmp_path, text, name="t.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_valid_models_table_is_typed(tmp_path):
    df = read_models(write(tmp_path, MODELS), TIERS)
    assert list(df.model_id) == ["sim-a", "sim-b"]
    assert df.params_b.iloc[0] == 7.0 and pd.isna(df.params_b.iloc[1])
    assert df.open_weights.tolist() == [True, False]
    assert df.tier.cat.ordered and list(df.tier.cat.categories) == TIERS


@pytest.mark.parametrize(
    "mutate,row,column,rule",
    [
        (lambda t: t.replace(",open_weights", ""), None, "open_weights", "missing required column"),
        (lambda t: t.replace("open_weights\n", "open_weights,extra\n").replace("true\n", "true,1\n")
         .replace("false\n", "false,2\n"), None, "extra", "unexpected column"),
        (lambda t: t.replace("sim-b,", "Sim B!,", 1), 2, "model_id", "does not match pattern"),
        (lambda t: t.replace("sim-b,", "../etc,", 1), 2, "model_id", "does not match pattern"),
        (lambda t: t.replace(",7,", ",seven,"), 1, "params_b", "not a number"),
        (lambda t: t.replace(",7,", ",-3,"), 1, "params_b", "out of range"),
        (lambda t: t.replace("2025-11", "2025-13"), 2, "release_date", "does not match pattern"),
        (lambda t: t.replace("true\n", "maybe\n"), 1, "open_weights", "not a boolean"),
        (lambda t: t.replace("sim-b,", "sim-a,", 1), 2, "model_id", "duplicate key"),
        (lambda t: t.replace(",frontier,", ",huge,"), 2, "tier", "unknown tier"),
        (lambda t: t.replace("Sim A", ""), 1, "display_name", "missing value"),
    ],
)
def test_models_table_errors_name_file_row_column_rule(tmp_path, mutate, row, column, rule):
    p = write(tmp_path, mutate(MODELS))
    with pytest.raises(DataValidationError) as e:
        read_models(p, TIERS)
    err = e.value
    assert err.file == str(p)
    assert err.row == row
    assert err.column == column
    assert rule in err.rule
    assert str(p) in str(err) and (row is None or f"row {row}" in str(err))


def test_empty_and_header_only_and_bad_encoding(tmp_path):
    with pytest.raises(DataValidationError, match="file is empty"):
        read_models(write(tmp_path, ""), TIERS)
    with pytest.raises(DataValidationError, match="no rows"):
        read_models(write(tmp_path, MODELS.splitlines()[0] + "\n"), TIERS)
    with pytest.raises(DataValidationError, match="not valid UTF-8"):
        read_models(write(tmp_path, MODELS.replace("Sim A", "Sim Ä"), encoding="latin-1"), TIERS)
    with pytest.raises(DataValidationError, match="does not exist"):
        read_models(tmp_path / "nope.csv", TIERS)


def test_utf8_bom_is_accepted(tmp_path):
    df = read_models(write(tmp_path, "\ufeff" + MODELS), TIERS)
    assert len(df) == 2


RESP_HEAD = "model_id,format,session,item_id,theme,value,status\n"


def test_responses_rules(tmp_path, instrument):
    ok = RESP_HEAD + "m,rating,1,perf_1,performance,5,ok\nm,rating,2,perf_1,performance,,refused\n"
    assert len(read_responses(write(tmp_path, ok), instrument)) == 2
    cases = [
        ("m,rating,1,perf_9,performance,5,ok\n", "item_id", "unknown item id"),
        ("m,rating,1,perf_1,wellness,5,ok\n", "theme", "unknown theme"),
        ("m,rating,1,perf_1,performance,9,ok\n", "value", "out of range"),
        ("m,rating,1,perf_1,performance,,ok\n", "value", "present exactly when"),
        ("m,rating,1,perf_1,performance,3,refused\n", "value", "present exactly when"),
        ("m,rating,0,perf_1,performance,3,ok\n", "session", "out of range"),
        ("m,rating,1,perf_1,performance,3,fine\n", "status", "not one of"),
        ("m,ranking,1,agency,agency,7,ok\n", "value", "out of range"),
    ]
    for row, col, rule in cases:
        with pytest.raises(DataValidationError) as e:
            read_responses(write(tmp_path, RESP_HEAD + row), instrument)
        assert e.value.column == col and rule in e.value.rule and e.value.row == 1, (row, e.value)
    dup = RESP_HEAD + "m,rating,1,perf_1,performance,5,ok\nm,rating,1,perf_1,performance,4,ok\n"
    with pytest.raises(DataValidationError, match="duplicate key") as e:
        read_responses(write(tmp_path, dup), instrument)
    assert e.value.row == 2


def test_humans_respondents_coding_codebook(tmp_path, instrument):
    ranks = "".join(f"P1,ranking,{t},{n}\n" for n, t in enumerate(instrument.theme_ids, 1))
    h = "respondent_id,format,item_id,value\nP1,rating,perf_1,4\n" + ranks
    assert len(read_humans(write(tmp_path, h), instrument)) == 1 + instrument.n_themes
    with pytest.raises(DataValidationError, match="unknown rating item"):
        read_humans(write(tmp_path, h.replace("perf_1", "agency")), instrument)
    r = "respondent_id,included,exclusion_reason,age\nP1,true,,30\nP2,false,too_fast,41\n"
    assert len(read_respondents(write(tmp_path, r), ["age"])) == 2
    with pytest.raises(DataValidationError, match="demographic column"):
        read_respondents(write(tmp_path, r), ["gender"])
    with pytest.raises(DataValidationError, match="exclusion_reason must be empty"):
        read_respondents(write(tmp_path, r.replace("P1,true,,", "P1,true,duplicate,")), [])
    cb = "code,theme,definition\naccuracy,performance,Correctness.\n"
    codebook = read_codebook(write(tmp_path, cb, "cb.csv"), instrument)
    with pytest.raises(DataValidationError, match="unknown theme"):
        read_codebook(write(tmp_path, cb.replace("performance", "speed"), "cb2.csv"), instrument)
    c = ("response_id,model_id,prompt_id,coder,code,segment,start,end\n"
         "r1,m,open,a,accuracy,It is right.,0,12\n")
    assert len(read_coding(write(tmp_path, c, "c.csv"), codebook)) == 1
    with pytest.raises(DataValidationError, match="not in the codebook"):
        read_coding(write(tmp_path, c.replace("accuracy", "speed"), "c2.csv"), codebook)
    with pytest.raises(DataValidationError, match="end must be greater"):
        read_coding(write(tmp_path, c.replace(",0,12", ",12,3"), "c3.csv"), codebook)
    with pytest.raises(DataValidationError, match="segment text or both"):
        read_coding(write(tmp_path, c.replace("It is right.,0,12", ",0,"), "c4.csv"), codebook)


def test_raw_records_errors_name_line_and_field(tmp_path, small_project):
    src = next((small_project / "resources/demo/raw").glob("*.jsonl"))
    recs = read_raw_records(src)
    assert recs and all(r["model_id"] == recs[0]["model_id"] for r in recs)
    bad = dict(recs[1])
    bad["session"] = 0
    lines = [json.dumps(recs[0]), json.dumps(bad)]
    p = write(tmp_path, "\n".join(lines) + "\n", "r.jsonl")
    mid = recs[0]["model_id"]
    with pytest.raises(DataValidationError) as e:
        read_raw_records(p, mid)
    assert e.value.row == 2 and e.value.column == "session"
    p = write(tmp_path, json.dumps(recs[0]) + "\n{not json\n", "r2.jsonl")
    with pytest.raises(DataValidationError, match="not valid UTF-8 JSON") as e:
        read_raw_records(p, mid)
    assert e.value.row == 2
    nokey = {k: v for k, v in recs[0].items() if k != "instrument_sha256"}
    with pytest.raises(DataValidationError, match="instrument_sha256"):
        read_raw_records(write(tmp_path, json.dumps(nokey) + "\n", "r3.jsonl"), mid)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert os.listdir(tmp_path) == []
    with atomic_path(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
