"""Importers of answers collected elsewhere: inspect_ai logs, EDSL results, plain CSV.

The fixtures in tests/data/imports/ were written by the tools themselves
(inspect_ai 0.3.285 ``write_eval_log``, EDSL 1.0.9 ``Results.to_json`` /
``to_csv``; see tests/data/imports/make_fixtures.py); ``sessions.json`` holds
what was administered (prompts with their item orders, and the answers).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.collect import collect_model, manifest
from valueaudit.collect.importers.match import PromptMismatch, match_prompt
from valueaudit.contracts import DataValidationError, read_raw_records
from valueaudit.parse import final_attempts, parse_record

DATA = Path(__file__).parent / "data" / "imports"
SESSIONS = json.loads((DATA / "sessions.json").read_text())

CASES = [
    ("inspect_ai", "alpha.json", "alpha-chat"),
    ("inspect_ai", "alpha_deflate.eval", "alpha-chat"),
    ("inspect_ai", "alpha_deflate.eval", "openai/alpha-chat"),
    ("edsl", "edsl_results.json", "alpha-chat"),
    ("edsl", "edsl_results.json", "beta-chat"),
    ("edsl", "edsl_results.csv", "beta-chat"),
    ("csv", "plain.csv", "alpha-chat"),
    ("csv", "plain.csv", "beta-chat"),
]


def file_spec(path, fmt, select=None, mid="imported", model="vendor-model", **kw):
    spec = {"id": mid, "provider": "file", "model": model, "path": str(path), "format": fmt,
            "select": select, "params": {}, "sessions": 2, "open_sessions": 2,
            "tasks": ["rating", "ranking", "open"], "recollect": False}
    spec.update(kw)
    return spec


def run_import(spec, instrument, tmp_path):
    raw = tmp_path / f"{spec['id']}.jsonl"
    return collect_model(spec, instrument, raw, seed=5, env={}, progress_stream=None), raw


@pytest.mark.parametrize("fmt,name,select", CASES)
def test_import_maps_answers_to_prompts_and_recovers_the_item_order(instrument, tmp_path, fmt,
                                                                    name, select):
    src = tmp_path / name
    shutil.copy(DATA / name, src)
    spec = file_spec(src, fmt, select)
    summary, raw = run_import(spec, instrument, tmp_path)
    assert summary.done == 6
    recs = read_raw_records(raw)  # schema-valid raw records
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    model = select.split("/")[-1]
    truth = {(x["task"], x["session"]): x for x in SESSIONS if x["model"] == model}
    assert {(r["task"], r["session"]) for r in recs} == set(truth)
    for r in recs:
        x = truth[(r["task"], r["session"])]
        assert r["collection"]["source_file_sha256"] == sha and sha in r["provenance"]
        assert r["item_order"] == x["item_order"]
        assert r["request"]["messages"] == x["messages"]  # the prompt exactly as administered
        assert r["response_body"]["text"] == x["answer"]
        assert r["api"] == "file" and r["error"] is None
        if r["task"] != "open":
            res = parse_record(r, instrument)
            assert res.status == "ok"
            assert res.values == json.loads(x["answer"])
    if fmt == "inspect_ai":
        assert {r["model_version"] for r in recs} == {"alpha-chat-2026-02"}
    # importing again adds nothing; the manifest counts every session as answered
    assert run_import(spec, instrument, tmp_path)[0].done == 0
    m = manifest(spec, raw)
    assert m["missing"] == 0 and all(t["failed"] == 0 for t in m["tasks"].values())


def test_current_inspect_eval_zip_is_read_or_refused_with_a_fix(instrument, tmp_path):
    """inspect_ai writes zstd-compressed members; without the zstandard package the error
    says how to convert the log, with it the answers are read like the deflate zip's."""
    spec = file_spec(DATA / "alpha.eval", "inspect_ai", "alpha-chat")
    try:
        import zstandard  # noqa: F401
    except ImportError:
        with pytest.raises(DataValidationError, match="zstd-compressed") as exc:
            run_import(spec, instrument, tmp_path)
        assert "inspect log convert --to json" in exc.value.fix
        return
    assert run_import(spec, instrument, tmp_path)[0].done == 6


def test_a_file_of_several_models_is_read_by_one_entry_per_model(instrument, tmp_path):
    a = file_spec(DATA / "plain.csv", "csv", "alpha-chat", mid="alpha")
    b = file_spec(DATA / "plain.csv", "csv", "beta-chat", mid="beta")
    ra, rb = run_import(a, instrument, tmp_path)[1], run_import(b, instrument, tmp_path)[1]
    texts = {m: {r["response_body"]["text"] for r in read_raw_records(p)}
             for m, p in (("alpha-chat", ra), ("beta-chat", rb))}
    for m, got in texts.items():
        assert got == {x["answer"] for x in SESSIONS if x["model"] == m}
    with pytest.raises(DataValidationError, match=r"no answers of model 'gamma'.*alpha-chat"):
        run_import(file_spec(DATA / "plain.csv", "csv", "gamma", mid="gamma"), instrument,
                   tmp_path)


def _plain_rows():
    return list(csv.reader(io.StringIO((DATA / "plain.csv").read_text())))


def _write_rows(path, rows):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue())


def _line_of_row(rows, n):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows[:n])
    return buf.getvalue().count("\n") + 1


def test_an_answer_to_another_prompt_is_refused_naming_row_line_and_column(instrument, tmp_path):
    rows = _plain_rows()
    n = 4
    rows[n][2] = rows[n][2].replace("Rate", "Score", 1) if "Rate" in rows[n][2] else \
        rows[n][2] + " Be brief."
    path = tmp_path / "answers.csv"
    _write_rows(path, rows)
    with pytest.raises(DataValidationError) as exc:
        run_import(file_spec(path, "csv", rows[n][0]), instrument, tmp_path)
    err = exc.value
    assert (err.row, err.column) == (n, "prompt") and err.line == _line_of_row(rows, n)
    assert "not one of the instrument's prompts" in str(err)
    assert rows[n][3] not in str(err)  # the answer text is never quoted
    assert not (tmp_path / "imported.jsonl").exists() or not read_raw_records_or_empty(
        tmp_path / "imported.jsonl")


def read_raw_records_or_empty(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_an_item_dropped_from_the_prompt_is_refused(instrument, tmp_path):
    rows = _plain_rows()
    n = next(i for i, r in enumerate(rows) if i and "[perf_1]" in r[2])
    lines = rows[n][2].split("\n")
    rows[n][2] = "\n".join(x for x in lines if "[perf_1]" not in x)
    path = tmp_path / "answers.csv"
    _write_rows(path, rows)
    with pytest.raises(DataValidationError, match="not one of the instrument's prompts"):
        run_import(file_spec(path, "csv", rows[n][0]), instrument, tmp_path)


def test_edsl_answer_under_another_system_prompt_is_refused(instrument, tmp_path):
    doc = json.loads((DATA / "edsl_results.json").read_text())
    doc["data"][1]["prompt"]["q_open_system_prompt"]["text"] = (
        "You are answering questions as if you were a human. Do not break character.")
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    model = doc["data"][1]["model"]["model"]
    with pytest.raises(DataValidationError) as exc:
        run_import(file_spec(path, "edsl", model), instrument, tmp_path)
    assert exc.value.row == 2 and exc.value.column == "prompt.q_open_user_prompt"
    assert "system prompt" in str(exc.value)


def test_inspect_log_validation(instrument, tmp_path):
    doc = json.loads((DATA / "alpha.json").read_text())
    doc["samples"][2]["metadata"]["session"] = "two"
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataValidationError) as exc:
        run_import(file_spec(path, "inspect_ai", "alpha-chat"), instrument, tmp_path)
    assert (exc.value.row, exc.value.column) == (3, "metadata.session")
    # explicit sessions are used as given
    for i, smp in enumerate(doc["samples"]):
        smp["metadata"]["session"] = 7 + i
    path.write_text(json.dumps(doc))
    _, raw = run_import(file_spec(path, "inspect_ai", "alpha-chat", sessions=12,
                                  open_sessions=12), instrument, tmp_path)
    assert sorted(r["session"] for r in read_raw_records(raw)) == list(range(7, 13))
    (tmp_path / "broken.eval").write_bytes(b"not a zip")
    with pytest.raises(DataValidationError, match="not a zip file"):
        run_import(file_spec(tmp_path / "broken.eval", "inspect_ai", "alpha-chat", mid="b"),
                   instrument, tmp_path)
    # a deflate .eval whose sample member is not JSON
    bad = tmp_path / "bad.eval"
    with zipfile.ZipFile(DATA / "alpha_deflate.eval") as src, \
            zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, b"{oops" if info.filename.startswith("samples/open-1")
                         else data)
    with pytest.raises(DataValidationError, match="samples/open-1_epoch_1.json is not valid"):
        run_import(file_spec(bad, "inspect_ai", "alpha-chat", mid="c"), instrument, tmp_path)


def test_plain_csv_validation(instrument, tmp_path):
    rows = _plain_rows()
    path = tmp_path / "a.csv"
    _write_rows(path, [rows[0][:3]] + [r[:3] for r in rows[1:]])
    with pytest.raises(DataValidationError, match=r"missing required column\(s\) \['answer'\]"):
        run_import(file_spec(path, "csv", "alpha-chat"), instrument, tmp_path)
    dup = [rows[0], rows[1], rows[1]]
    _write_rows(path, dup)
    with pytest.raises(DataValidationError, match="a second answer") as exc:
        run_import(file_spec(path, "csv", rows[1][0]), instrument, tmp_path)
    assert (exc.value.row, exc.value.column) == (2, "session")
    bad = [rows[0], [rows[1][0], "x", rows[1][2], rows[1][3]]]
    _write_rows(path, bad)
    with pytest.raises(DataValidationError, match="session must be an integer") as exc:
        run_import(file_spec(path, "csv", rows[1][0]), instrument, tmp_path)
    assert exc.value.row == 1 and exc.value.line == 2
    path.write_text((DATA / "plain.csv").read_text().replace(",", ";"))
    with pytest.raises(DataValidationError, match="semicolon"):
        run_import(file_spec(path, "csv", "alpha-chat"), instrument, tmp_path)


def test_an_empty_answer_is_recorded_as_missing(instrument, tmp_path):
    rows = _plain_rows()
    mine = [rows[0]] + [r for r in rows[1:] if r[0] == "alpha-chat"]
    mine[1][3] = "   "
    path = tmp_path / "a.csv"
    _write_rows(path, mine)
    spec = file_spec(path, "csv", "alpha-chat")
    _, raw = run_import(spec, instrument, tmp_path)
    recs = read_raw_records(raw)
    empty = [r for r in recs if r["error"]]
    assert len(empty) == 1 and empty[0]["error"]["type"] == "empty_response"
    if empty[0]["task"] != "open":
        assert parse_record(empty[0], instrument).status == "error"
    assert manifest(spec, raw)["missing"] == 1
    assert len(final_attempts(recs)) == 6


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["rating", "ranking"]), st.randoms(use_true_random=False))
def test_match_recovers_any_item_order(instrument, task, rnd):
    order = list(instrument.targets(task))
    rnd.shuffle(order)
    msgs = instrument.messages(task, order)
    assert match_prompt(instrument, msgs[1]["content"], msgs[0]["content"]) == (task, order)
    # whitespace differences (line endings, indentation) do not matter
    user = msgs[1]["content"].replace("\n", "\r\n  ")
    assert match_prompt(instrument, user) == (task, order)
    # one word changed anywhere: not the instrument's prompt
    words = msgs[1]["content"].split(" ")
    i = rnd.randrange(len(words))
    words[i] = words[i] + "x"
    with pytest.raises(PromptMismatch):
        match_prompt(instrument, " ".join(words))


def test_match_open_prompt_and_refusals(instrument):
    assert match_prompt(instrument, instrument.render_user_prompt("open")) == ("open", [])
    with pytest.raises(PromptMismatch, match="empty"):
        match_prompt(instrument, "  ")
    with pytest.raises(PromptMismatch, match="system prompt"):
        match_prompt(instrument, instrument.render_user_prompt("open"), "You are a pirate.")
