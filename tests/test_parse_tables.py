"""Parsed tables: reason/repair/parser-version columns, the schema, the parse audit,
and reasoning kept out of Study 1's open answers."""

import json
from pathlib import Path

import pandas as pd
import yaml

from valueaudit.contracts import read_responses, write_csv
from valueaudit.parse import (
    PARSER_VERSION,
    REASONS,
    REPAIRS,
    SESSION_COLUMNS,
    parse_record,
    parse_sessions,
    strip_reasoning,
)
from valueaudit.parse_audit import AUDIT_COLUMNS, parse_audit, write_parse_audit
from valueaudit.study1 import open_answers

ROOT = Path(__file__).resolve().parents[1]


def _rec(task, session, text, finish="stop", model="m"):
    return {"model_id": model, "task": task, "session": session, "attempt": 1,
            "api": "openai.chat.completions", "error": None, "repair": None,
            "record_id": f"{model}.{task}.{session}",
            "response_body": {"choices": [{"finish_reason": finish,
                                           "message": {"role": "assistant", "content": text}}]}}


def _records(instrument):
    vals = {i: 5 for i in instrument.item_ids}
    ranks = {t: n + 1 for n, t in enumerate(instrument.theme_ids)}
    return [
        _rec("rating", 1, json.dumps(vals)),
        _rec("rating", 2, "```json\n" + json.dumps(vals) + "\n```"),
        _rec("rating", 3, json.dumps(vals)[:60], finish="length"),
        _rec("rating", 4, "I'm sorry, I can't rate these."),
        _rec("ranking", 1, json.dumps({**ranks, instrument.theme_ids[0]: 2})),
        _rec("ranking", 2, "<think>draft</think>" + json.dumps(ranks)),
    ]


def test_sessions_and_responses_carry_reason_repair_and_version(instrument, tmp_path):
    responses, sessions = parse_sessions(_records(instrument), instrument)
    assert list(sessions.columns) == SESSION_COLUMNS
    got = {(r.format, r.session): (r.status, r.reason, r.repair) for r in sessions.itertuples()}
    assert got == {
        ("rating", 1): ("ok", "", ""), ("rating", 2): ("repaired", "", "fence"),
        ("rating", 3): ("unparseable", "truncated", ""), ("rating", 4): ("refused", "refusal", ""),
        ("ranking", 1): ("unparseable", "tie", ""),
        ("ranking", 2): ("repaired", "", "reasoning_stripped"),
    }
    assert (sessions["parser_version"] == PARSER_VERSION).all()
    assert (responses["parser_version"] == PARSER_VERSION).all()
    bad = sessions[sessions["status"] != "ok"]
    assert (bad[bad.status.isin(["unparseable", "refused"])]["excerpt"].str.len() > 0).all()
    path = tmp_path / "responses.csv"
    write_csv(responses, path)
    back = read_responses(path, instrument)  # the contract accepts the new columns
    assert len(back) == len(responses)


def test_schema_lists_every_reason():
    schema = yaml.safe_load((ROOT / "src/valueaudit/schemas/responses.schema.yaml").read_text())
    assert set(schema["properties"]["reason"]["enum"]) == set(REASONS)
    assert {"reason", "repair", "parser_version"} <= set(schema["properties"])
    assert len(REPAIRS) == len(set(REPAIRS))


def test_message_reads_as_a_sentence(instrument):
    res = parse_record(_rec("rating", 1, json.dumps({"perf_1": 5})), instrument)
    assert res.reason == "missing_item"
    assert res.message.startswith("a value is missing") and "statement" in res.message


def test_parse_audit_counts_and_excerpts(instrument, tmp_path):
    _, s1 = parse_sessions(_records(instrument), instrument)
    _, s2 = parse_sessions([{**r, "model_id": "n"} for r in _records(instrument)], instrument)
    status = pd.concat([s1, s2], ignore_index=True)
    table = parse_audit(status)
    assert list(table.columns) == AUDIT_COLUMNS
    assert table.groupby(["model_id", "format"])["sessions"].sum().to_dict() == {
        ("m", "ranking"): 2, ("m", "rating"): 4, ("n", "ranking"): 2, ("n", "rating"): 4}
    row = table[(table.model_id == "m") & (table.reason == "truncated")].iloc[0]
    assert row.sessions == 1 and row.share == 0.25 and row.excerpt
    assert (table.loc[table.status.isin(["ok", "repaired"]), "excerpt"] == "").all()
    paths = write_parse_audit(table, tmp_path / "parse_audit", caption="Parse audit.")
    tex, md = paths[1].read_text(), paths[2].read_text()
    assert "truncated" in tex and row.excerpt[:20] not in tex  # counts only in LaTeX
    assert row.excerpt[:20].replace("|", r"\|") in md
    assert list(pd.read_csv(paths[0], keep_default_na=False).columns) == AUDIT_COLUMNS


def test_study1_open_answers_leave_reasoning_out():
    recs = [_rec("open", 1, "<think>\nLet me plan the answer.\n</think>\n\nAccuracy matters."),
            _rec("open", 2, "<think>only reasoning, cut"), _rec("open", 3, "  Plain answer. ")]
    ans = open_answers(recs)
    assert list(ans["session"]) == [1, 3]
    assert list(ans["text"]) == ["Accuracy matters.", "  Plain answer. "]
    assert strip_reasoning("x</think>y") == "y"
