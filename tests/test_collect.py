"""Live collection against the local mock server: resume, retries, faults, repair, files, usage, keys."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.collect import (
    AdaptiveLimiter,
    CollectError,
    CollectSettings,
    MissingKeyError,
    RawStore,
    StoreLockedError,
    backoff_delay,
    collect_model,
    estimate,
    export_prompts,
    manifest,
    parse_retry_after,
    plan_sessions,
    read_records,
    session_keys,
    usage_table,
)
from valueaudit.contracts import read_raw_records
from valueaudit.mockserver import FaultPlan, MockLLMServer
from valueaudit.parse import final_attempts, parse_record, parse_records

KEY = "sk-collect-test-7f3a9c"
ENV = {"VA_TEST_KEY": KEY}
FAST = CollectSettings(max_retries=3, timeout_s=5.0, backoff_base_s=0.01, backoff_max_s=0.05,
                       concurrency=8, jitter_seed=1)


@pytest.fixture(scope="module")
def server(instrument):
    with MockLLMServer(instrument, api_key=KEY, seed=11) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _reset(server):
    server.set_faults(None)
    server.reset_stats()
    yield
    server.set_faults(None)


def spec_for(server, provider="openai", mid="m-test", sessions=3, open_sessions=1, **kw):
    spec = {"id": mid, "provider": provider, "model": f"{mid}-model",
            "base_url": server.openai_base_url if provider == "openai" else server.anthropic_base_url,
            "api_key_env": "VA_TEST_KEY", "params": {"temperature": 1.0, "max_tokens": 800},
            "sessions": sessions, "open_sessions": open_sessions, "tasks": ["rating", "ranking", "open"],
            "concurrency": 4, "recollect": False, "path": None}
    spec.update(kw)
    return spec


def run(spec, instrument, path, settings=FAST, env=ENV, **kw):
    return collect_model(spec, instrument, path, seed=5, settings=settings, env=env,
                         progress_stream=None, **kw)


def statuses(records, instrument):
    return {(r["task"], r["session"]): parse_record(r, instrument).status
            for r in final_attempts(records) if r["task"] != "open"}


# ---------------------------------------------------------------------------
# the basic contract
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_collects_every_session_once_with_valid_records(server, instrument, tmp_path, provider):
    spec = spec_for(server, provider)
    path = tmp_path / "m-test.jsonl"
    summary = run(spec, instrument, path)
    assert summary.done == summary.planned == len(session_keys(spec)) == 7
    recs = read_raw_records(path)  # validates every record against the raw-record schema
    assert Counter((r["task"], r["session"]) for r in recs) == Counter(session_keys(spec))
    for r in recs:
        assert r["attempt"] == 1 and r["error"] is None and r["retries"] == []
        assert r["api"] == ("openai.chat.completions" if provider == "openai" else "anthropic.messages")
        assert r["model_version"] == "m-test-model-2026-01-15"
        assert r["record_id"] == f"m-test.{r['task']}.s{r['session']:03d}.a1"
        # the request is stored as sent: seeded item order, the instrument's prompt, no credentials
        assert r["request"]["params"] == spec["params"]
        assert KEY not in json.dumps(r)
        if r["task"] != "open":
            user = r["request"]["messages"][-1]["content"]
            assert [i for i in r["item_order"]] == sorted(r["item_order"], key=lambda i: user.index(f"[{i}]"))
    if provider == "anthropic":
        assert all(r["request"]["system"] and all(m["role"] != "system" for m in r["request"]["messages"])
                   for r in recs)
    assert set(statuses(recs, instrument).values()) <= {"ok", "repaired"}
    # each session is a fresh conversation: one request per session, no shared cache key
    assert len(server.calls()) == 7 and set(server.calls().values()) == {1}
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only again


def test_rerun_queries_only_missing_sessions(server, instrument, tmp_path):
    path = tmp_path / "m-test.jsonl"
    spec = spec_for(server, sessions=2, open_sessions=0)
    run(spec, instrument, path)
    first = path.read_bytes()
    server.reset_stats()
    assert run(spec, instrument, path).requests == 0 and server.requests == []
    assert path.read_bytes() == first
    bigger = {**spec, "sessions": 4}
    s = run(bigger, instrument, path)
    assert s.planned == 4 and server.requests and len(server.calls()) == 4
    assert path.read_bytes().startswith(first)  # appended, never rewritten
    keys = Counter((r["task"], r["session"]) for r in read_records(path))
    assert keys == Counter(session_keys(bigger))


def test_concurrency_is_respected(instrument, tmp_path):
    with MockLLMServer(instrument, api_key=KEY, latency_s=0.05) as srv:
        spec = spec_for(srv, sessions=8, open_sessions=0)
        run(spec, instrument, tmp_path / "m-test.jsonl", settings=CollectSettings(concurrency=3))
        assert srv.max_inflight("m-test-model") == 3


# ---------------------------------------------------------------------------
# fault matrix: every fault, both wire protocols
# ---------------------------------------------------------------------------
TRANSIENT = ["rate_limit", "server_error", "unavailable", "reset", "timeout", "malformed_json", "truncated"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_faults_are_retried_and_recorded(server, instrument, tmp_path, provider, fault):
    server.set_faults(FaultPlan(first=[fault], retry_after_s=0.2, hang_s=1.5))
    settings = CollectSettings(max_retries=3, timeout_s=0.4 if fault == "timeout" else 5.0,
                               backoff_base_s=0.01, backoff_max_s=0.05, concurrency=8, jitter_seed=2)
    spec = spec_for(server, provider, sessions=2, open_sessions=1)
    path = tmp_path / "m-test.jsonl"
    summary = run(spec, instrument, path, settings=settings)
    recs = read_raw_records(path)
    assert Counter((r["task"], r["session"]) for r in recs) == Counter(session_keys(spec))  # none lost or doubled
    kinds = {"rate_limit": "rate_limit", "server_error": "server_error", "unavailable": "server_error",
             "reset": "connection", "timeout": "timeout", "malformed_json": "malformed_response",
             "truncated": "connection"}
    for r in recs:
        assert r["error"] is None and r["response_body"] is not None
        assert len(r["retries"]) == 1 and r["retries"][0]["error"]["type"] == kinds[fault]
        assert r["collection"]["tries"] == 2
        if fault == "rate_limit":  # Retry-After honoured
            assert r["retries"][0]["error"]["retry_after_s"] == 0.2 and r["retries"][0]["wait_s"] >= 0.2
    assert set(statuses(recs, instrument).values()) <= {"ok", "repaired"}
    assert summary.retries == len(recs)
    if fault == "rate_limit":
        log = server.requests
        for key in {e["key"] for e in log}:
            t = sorted(e["t"] for e in log if e["key"] == key)
            assert t[1] - t[0] >= 0.2


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_answer_faults_get_their_status(server, instrument, tmp_path, provider):
    spec = spec_for(server, provider, sessions=2, open_sessions=1)
    out = {}
    for fault in ("refusal", "garbage", "model_version"):
        server.reset_stats()
        server.set_faults(FaultPlan(first=[fault]))
        path = tmp_path / fault / "m-test.jsonl"
        run(spec, instrument, path)
        recs = read_raw_records(path)
        assert Counter((r["task"], r["session"]) for r in recs) == Counter(session_keys(spec))
        out[fault] = recs
    # unreadable answers: one repair request that quotes the parse error
    for r in out["garbage"]:
        if r["task"] == "open":
            assert r["repair"] is None
            continue
        assert r["repair"]["reason"] and r["repair"]["reason"] in r["repair"]["request"]["messages"][-1]["content"]
    assert set(statuses(out["garbage"], instrument).values()) == {"repaired"}
    # refusals are kept as refusals, never retried or repaired
    assert set(statuses(out["refusal"], instrument).values()) == {"refused"}
    assert all(r["repair"] is None and r["retries"] == [] for r in out["refusal"])
    # a changed model version string is recorded per record and in the manifest
    versions = {r["model_version"] for r in out["model_version"]}
    assert versions == {"m-test-model-2026-01-15-rev2"}
    assert manifest(spec, tmp_path / "model_version" / "m-test.jsonl")["model_versions"] == sorted(versions)


def test_exhausted_retries_give_error_records_that_the_next_run_retries(server, instrument, tmp_path):
    server.set_faults(FaultPlan(first=["server_error"] * 3))
    settings = CollectSettings(max_retries=2, timeout_s=5, backoff_base_s=0.01, backoff_max_s=0.02, concurrency=4)
    spec = spec_for(server, sessions=2, open_sessions=0)
    path = tmp_path / "m-test.jsonl"
    s = run(spec, instrument, path, settings=settings)
    recs = read_raw_records(path)
    assert s.failed == len(recs) == 4
    assert all(r["error"]["type"] == "server_error" and r["error"]["tries"] == 3 and len(r["retries"]) == 2
               and r["response_body"] is None for r in recs)
    assert set(statuses(recs, instrument).values()) == {"error"}
    assert manifest(spec, path)["missing"] == 4
    server.set_faults(None)
    s2 = run(spec, instrument, path, settings=settings)
    assert s2.planned == 4
    recs = read_raw_records(path)
    assert len(recs) == 8  # the error records are kept
    assert sorted(r["attempt"] for r in final_attempts(recs)) == [2, 2, 2, 2]
    assert set(statuses(recs, instrument).values()) <= {"ok", "repaired"}
    assert manifest(spec, path)["missing"] == 0


def test_fatal_auth_error_stops_the_model_and_keeps_what_was_written(server, instrument, tmp_path):
    spec = spec_for(server, sessions=2)
    with pytest.raises(CollectError, match="VA_TEST_KEY") as exc:
        run(spec, instrument, tmp_path / "m-test.jsonl", env={"VA_TEST_KEY": "wrong-key"})
    assert "wrong-key" not in str(exc.value)
    assert read_records(tmp_path / "m-test.jsonl") == []


def test_missing_key_variable_fails_before_any_call_naming_the_variable(server, instrument, tmp_path):
    spec = spec_for(server, api_key_env="VA_UNSET_VARIABLE_XYZ")
    with pytest.raises(MissingKeyError, match="VA_UNSET_VARIABLE_XYZ"):
        run(spec, instrument, tmp_path / "m-test.jsonl", env={})
    assert server.requests == [] and not (tmp_path / "m-test.jsonl").exists()


def test_key_never_reaches_records_logs_or_progress(server, instrument, tmp_path):
    server.set_faults(FaultPlan(first=["server_error", "rate_limit"], retry_after_s=0.01))
    logger = logging.getLogger("va-test-keys")
    buf, progress = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(buf)
    logging.getLogger().addHandler(handler)
    old = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        collect_model(spec_for(server), instrument, tmp_path / "m-test.jsonl", seed=5, settings=FAST, env=ENV,
                      progress_stream=progress, log=logger)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(old)
    assert "[collect] m-test: 7/7 sessions done" in progress.getvalue()
    for text in (buf.getvalue(), progress.getvalue(), (tmp_path / "m-test.jsonl").read_text()):
        assert KEY not in text


# ---------------------------------------------------------------------------
# resume after kill -9, recollection
# ---------------------------------------------------------------------------
_CHILD = """
import json, sys
from valueaudit.collect import CollectSettings, collect_model
from valueaudit.instrument import load_instrument
spec = json.loads(sys.argv[1])
collect_model(spec, load_instrument(sys.argv[2]), sys.argv[3], seed=5,
              settings=CollectSettings(concurrency=4, timeout_s=30), progress_stream=None)
"""


def test_kill_9_loses_at_most_the_calls_in_flight(instrument, tmp_path):
    with MockLLMServer(instrument, api_key=KEY, latency_s=0.05) as srv:
        spec = spec_for(srv, sessions=20, open_sessions=0, concurrency=4)
        path = tmp_path / "m-test.jsonl"
        child = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(spec), str(instrument.path), str(path)],
                                 env={**os.environ, **ENV})
        t0 = time.monotonic()
        while time.monotonic() - t0 < 300 and child.poll() is None:
            if path.exists() and path.read_bytes().count(b"\n") >= 12:
                break
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        on_file = {r["record_id"] for r in read_records(path)}
        assert 12 <= len(on_file) < 40
        before = srv.calls()
        s = run(spec, instrument, path)
        after = srv.calls() - before
        assert s.planned == 40 - len(on_file)
        assert not set(after) & on_file  # nothing on file is asked again
        assert len(set(after) & set(before)) <= 4  # only the calls in flight at the kill
        recs = read_raw_records(path)
        assert Counter((r["task"], r["session"]) for r in recs) == Counter(session_keys(spec))


def test_recollect_round_queries_again_once_and_keeps_old_records(server, instrument, tmp_path):
    path = tmp_path / "m-test.jsonl"
    spec = spec_for(server, sessions=2, open_sessions=0)
    run(spec, instrument, path)
    again = {**spec, "recollect": True}
    assert run(again, instrument, path).planned == 4
    assert run(again, instrument, path).planned == 0  # one round per tag
    assert run({**spec, "recollect": "2026-06"}, instrument, path).planned == 4
    recs = read_records(path)
    assert len(recs) == 12
    assert sorted(r["attempt"] for r in final_attempts(recs)) == [3, 3, 3, 3]
    assert run(spec, instrument, path).planned == 0


# ---------------------------------------------------------------------------
# the store and the planner
# ---------------------------------------------------------------------------
def _rec(task, session, attempt, answered=True, mid="m", tag=None, tries=1):
    return {"model_id": mid, "task": task, "session": session, "attempt": attempt,
            "api": "openai.chat.completions", "error": None if answered else {"type": "timeout"},
            "response_body": {"choices": [{"message": {"content": "x"}, "finish_reason": "stop"}]}
            if answered else None, "collection": {"recollect": tag, "tries": tries}}


def test_store_recovers_a_torn_line_and_locks(tmp_path):
    path = tmp_path / "m-test.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": ')
    with RawStore(path) as store:
        assert store.records == [{"a": 1}, {"b": 2}] and store.torn_bytes == 6
        with pytest.raises(StoreLockedError):
            RawStore(path).__enter__()
        store.append([{"d": 4}])
    assert path.read_bytes() == b'{"a": 1}\n{"b": 2}\n{"d": 4}\n'
    assert (tmp_path / "m-test.jsonl.torn").read_bytes() == b'{"c": \n'
    assert read_records(path) == [{"a": 1}, {"b": 2}, {"d": 4}]
    path.chmod(0o644)
    path.write_bytes(b'{"a": 1}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        read_records(path)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_plan_is_exactly_the_sessions_without_an_answer(data):
    spec = {"id": "m", "tasks": ["rating", "open"], "sessions": 5, "open_sessions": 2, "recollect": False}
    keys = session_keys(spec)
    records = []
    for task, s in keys:
        for a in range(1, data.draw(st.integers(0, 3)) + 1):
            records.append(_rec(task, s, a, answered=data.draw(st.booleans())))
    random.Random(0).shuffle(records)
    plan = plan_sessions(spec, records)
    last = {}
    for r in records:
        k = (r["task"], r["session"])
        if k not in last or r["attempt"] > last[k]["attempt"]:
            last[k] = r
    want = [k for k in keys if k not in last or last[k]["response_body"] is None]
    assert [(p.task, p.session) for p in plan] == want
    for p in plan:
        assert p.attempt == 1 + (last[(p.task, p.session)]["attempt"] if (p.task, p.session) in last else 0)


def test_plan_ignores_other_models_records():
    spec = {"id": "m", "tasks": ["rating"], "sessions": 2, "recollect": False}
    assert len(plan_sessions(spec, [_rec("rating", 1, 1, mid="other")])) == 2


# ---------------------------------------------------------------------------
# backoff, Retry-After, adaptive concurrency
# ---------------------------------------------------------------------------
@given(st.integers(1, 12), st.floats(0.001, 5), st.floats(0.01, 120),
       st.one_of(st.none(), st.floats(0, 300)), st.integers(0, 2**32))
def test_backoff_is_bounded_and_honours_retry_after(try_no, base, cap, retry_after, seed):
    d = backoff_delay(try_no, base, cap, retry_after, random.Random(seed))
    assert d >= 0
    if retry_after is None:
        assert d <= min(cap, base * 2 ** (try_no - 1)) + 1e-9
    else:
        assert retry_after <= d <= max(min(cap, base * 2 ** (try_no - 1)), retry_after * 1.1) + 1e-9


def test_parse_retry_after():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    assert 100 < parse_retry_after({"retry-after": future}) <= 121
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_adaptive_limiter_halves_on_rate_limit_and_recovers():
    import asyncio

    async def go():
        lim = AdaptiveLimiter(8)
        lim.rate_limited(0.05)
        assert lim.limit == 4
        t0 = asyncio.get_running_loop().time()
        await lim.acquire()  # waits out the pause
        assert asyncio.get_running_loop().time() - t0 >= 0.04
        await lim.release()
        for _ in range(4 + 5 + 6 + 7):
            lim.succeeded()
        return lim.limit

    assert asyncio.run(go()) == 8


# ---------------------------------------------------------------------------
# file provider, estimate, usage, settings
# ---------------------------------------------------------------------------
def test_file_provider_imports_answers_idempotently(instrument, tmp_path):
    spec = {"id": "chat-ui", "provider": "file", "model": "vendor-chat", "path": str(tmp_path / "answers.jsonl"),
            "params": {}, "sessions": 2, "open_sessions": 1, "tasks": ["rating", "ranking", "open"],
            "recollect": False}
    prompts = export_prompts(spec, instrument, 5)
    assert [(p["task"], p["session"]) for p in prompts] == session_keys(spec)
    lines = []
    for p in prompts:
        if p["task"] == "rating":
            text = json.dumps({i: 5 for i in p["item_order"]})
        elif p["task"] == "ranking":
            text = "\n".join(f"{n + 1}. [{t}]" for n, t in enumerate(p["item_order"]))
        else:
            text = "Being honest and useful."
        lines.append(json.dumps({"task": p["task"], "session": p["session"], "text": text,
                                 "model_version": "vendor-chat-2026"}))
    Path(spec["path"]).write_text("\n".join(lines) + "\n")
    raw = tmp_path / "chat-ui.jsonl"
    assert collect_model(spec, instrument, raw, seed=5, env={}).done == 5
    assert collect_model(spec, instrument, raw, seed=5, env={}).done == 0  # same lines: nothing new
    recs = read_raw_records(raw)
    assert all(r["api"] == "file" and "file provider" in r["provenance"] for r in recs)
    assert set(statuses(recs, instrument).values()) == {"ok", "repaired"}
    df = parse_records(recs, instrument)
    assert df["value"].notna().all()
    with open(spec["path"], "a") as fh:  # a second answer for session 1 becomes attempt 2
        fh.write(json.dumps({"task": "rating", "session": 1, "text": "I'm sorry, I can't rate these."}) + "\n")
    collect_model(spec, instrument, raw, seed=5, env={})
    recs = read_raw_records(raw)
    assert len(recs) == 6
    assert statuses(recs, instrument)[("rating", 1)] == "refused"
    Path(spec["path"]).write_text('{"task": "rating", "session": 0, "text": "x"}\n')
    with pytest.raises(ValueError, match="line 1: session"):
        collect_model(spec, instrument, tmp_path / "other.jsonl", seed=5, env={})


def test_estimate_counts_missing_requests_before_and_after(server, instrument, tmp_path):
    spec = spec_for(server, sessions=3, open_sessions=1)
    cfg = {"instrument": str(instrument.path), "seed": 5, "models": {"live": [spec]},
           "collection": {"raw_dir": str(tmp_path), "prices": {"m-test": {"input_per_mtok": 2.0,
                                                                         "output_per_mtok": 10.0}}}}
    est = estimate(cfg, instrument=instrument)
    total = est[est["model_id"] == "total"].iloc[0]
    assert total["requests"] == 7 and server.requests == []
    assert total["input_tokens"] > 7 * 40 and 0 < total["output_tokens"] <= total["output_tokens_max"]
    assert total["cost_usd"] == pytest.approx((total["input_tokens"] * 2 + total["output_tokens"] * 10) / 1e6)
    run(spec, instrument, tmp_path / "m-test.jsonl")
    assert estimate(cfg, instrument=instrument).query("model_id == 'total'")["requests"].iloc[0] == 0
    spec["sessions"] = 5
    assert estimate(cfg, instrument=instrument).query("model_id == 'total'")["requests"].iloc[0] == 4


def test_usage_table_sums_answers_and_repairs(server, instrument, tmp_path):
    server.set_faults(FaultPlan(first=["garbage"]))
    spec = spec_for(server, sessions=1, open_sessions=0)
    run(spec, instrument, tmp_path / "m-test.jsonl")
    recs = read_records(tmp_path / "m-test.jsonl")
    df = usage_table({"m-test": recs}, {"m-test": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}})
    row = df.iloc[0]
    assert list(df["model_id"]) == ["m-test", "total"]
    assert row["repairs"] == 2 and row["requests"] == 4 == len(server.requests)
    tin = sum(r["usage"]["prompt_tokens"] + r["repair"]["usage"]["prompt_tokens"] for r in recs)
    assert row["input_tokens"] == tin and row["cost_usd"] == pytest.approx((tin + row["output_tokens"]) / 1e6)
    assert df.iloc[1]["requests"] == 4


def test_settings_from_config():
    s = CollectSettings.from_config({"max_retries": 2, "timeout_s": 9, "repair": False}, {"concurrency": 6})
    assert (s.max_retries, s.timeout_s, s.repair, s.concurrency) == (2, 9, False, 6)
    assert CollectSettings.from_config({}, {"concurrency": 6}, concurrency=2).concurrency == 2


def test_anthropic_needs_max_tokens(server, instrument, tmp_path):
    spec = spec_for(server, "anthropic", params={"temperature": 0.5})
    with pytest.raises(ValueError, match="max_tokens"):
        run(spec, instrument, tmp_path / "m-test.jsonl")


# ---------------------------------------------------------------------------
# rule helpers and the command line
# ---------------------------------------------------------------------------
def test_rule_helpers():
    from valueaudit.collect import rules

    spec = {"id": "m", "provider": "openai", "model": "x", "concurrency": 8, "sessions": 10,
            "open_sessions": 4, "tasks": ["rating", "ranking", "open"], "metadata": {"tier": "small"}}
    assert "metadata" not in rules.rule_params(spec) and "concurrency" not in rules.rule_params(spec)
    assert rules.slots(spec, {"provider_concurrency": {"openai": 3}}, "openai") == 3
    assert rules.slots(spec, {}, "openai") == 8
    assert rules.slots(spec, {"provider_concurrency": {"openai": 3}}, "anthropic") == 0
    assert rules.runtime_minutes(spec) == 10 + (24 * 30) // (60 * 8)
    assert rules.requests_to_send({**spec, "recollect": False}, "/nonexistent/m.jsonl") == 24
    warn = rules.key_warnings([{**spec, "api_key_env": "VA_NOT_SET_1"}], env={})
    assert len(warn) == 1 and "VA_NOT_SET_1" in warn[0]
    assert rules.key_warnings([{**spec, "api_key_env": "K"}], env={"K": "v"}) == []


def test_estimate_and_prompts_commands(tmp_path, monkeypatch, capsys):
    import argparse

    import yaml

    from valueaudit.collect.cli import register_cli

    from .conftest import REPO

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["models"]["live"] = [{"id": "cli-model", "provider": "openai", "model": "x", "api_key_env": "VA_CLI_UNSET",
                              "sessions": 2, "open_sessions": 1}]
    cfg["collection"] = {"raw_dir": str(tmp_path / "raw"),
                         "prices": {"cli-model": {"input_per_mtok": 1.0, "output_per_mtok": 4.0}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("VA_CLI_UNSET", raising=False)
    ap = argparse.ArgumentParser()
    register_cli(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["estimate", "--config", str(tmp_path / "c.yaml"), "--csv", str(tmp_path / "e.csv")])
    assert args.func(args) == 0
    out = capsys.readouterr()
    assert "next collection: 5 requests" in out.out and "$" in out.out
    assert "VA_CLI_UNSET is not set" in out.err
    assert (tmp_path / "e.csv").exists()
    args = ap.parse_args(["prompts", "cli-model", "--config", str(tmp_path / "c.yaml"),
                          "--out", str(tmp_path / "p.jsonl")])
    assert args.func(args) == 0
    lines = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert [(p["task"], p["session"]) for p in lines] == [("rating", 1), ("rating", 2), ("ranking", 1),
                                                          ("ranking", 2), ("open", 1)]


# ---------------------------------------------------------------------------
# empty replies, attempt cap, authentication stop, local servers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", ["empty", "no_choices", "blank"])
def test_empty_reply_is_no_answer_and_is_retried(server, instrument, tmp_path, provider, fault):
    server.set_faults(FaultPlan(first=[fault]))
    spec = spec_for(server, provider, sessions=2, open_sessions=1)
    path = tmp_path / "m-test.jsonl"
    summary = run(spec, instrument, path)
    recs = read_raw_records(path)
    assert len(recs) == 5 and summary.empty == 5 and summary.failed == 0
    for r in recs:  # every task, the open question included, is asked again
        assert r["error"] is None and r["collection"]["tries"] == 2
        assert r["retries"][0]["error"]["type"] == "empty_response"
        assert r["retries"][0]["error"]["status"] == 200
    assert set(statuses(recs, instrument).values()) <= {"ok", "repaired"}
    assert manifest(spec, path)["missing"] == 0


def test_persistent_empty_reply_is_an_error_record_counted_missing_and_requeried(
        server, instrument, tmp_path):
    server.set_faults(FaultPlan(first=["no_choices"] * 3))
    settings = CollectSettings(max_retries=1, timeout_s=5, backoff_base_s=0.01, backoff_max_s=0.02,
                               concurrency=4)
    spec = spec_for(server, sessions=1, open_sessions=1)
    path = tmp_path / "m-test.jsonl"
    s = run(spec, instrument, path, settings=settings)
    recs = read_raw_records(path)
    assert s.failed == len(recs) == 3 and s.empty == 6
    for r in recs:  # recorded as received, with the error that makes it no answer
        assert r["response_body"]["choices"] == [] and r["error"]["type"] == "empty_response"
        if r["task"] != "open":
            assert parse_record(r, instrument).status == "error"
        assert r["repair"] is None
    m = manifest(spec, path)
    assert m["missing"] == 3 and sum(t["failed"] for t in m["tasks"].values()) == 3
    assert all(t["answered"] == 0 for t in m["tasks"].values())
    assert len(plan_sessions(spec, recs)) == 3
    server.set_faults(None)  # the 3rd request of each conversation answers
    assert run(spec, instrument, path, settings=settings).planned == 3
    assert manifest(spec, path)["missing"] == 0


def test_refusal_without_text_is_an_answer():
    from valueaudit.collect.store import has_answer, is_empty_reply

    body = {"type": "message", "content": [], "stop_reason": "refusal"}
    assert not is_empty_reply("anthropic.messages", body)
    rec = {"api": "anthropic.messages", "response_body": body, "error": None}
    assert has_answer(rec)
    assert not has_answer({**rec, "response_body": {**body, "stop_reason": "end_turn"}})


def test_attempt_cap_counts_every_try_across_runs_and_rounds(server, instrument, tmp_path):
    server.set_faults(FaultPlan(first=["server_error"] * 20))
    settings = CollectSettings(max_retries=2, timeout_s=5, backoff_base_s=0.001, backoff_max_s=0.002,
                               concurrency=4, max_attempts_per_session=5)
    spec = spec_for(server, sessions=1, open_sessions=0, tasks=["rating"])
    path = tmp_path / "m-test.jsonl"
    assert run(spec, instrument, path, settings=settings).requests == 3
    s2 = run(spec, instrument, path, settings=settings)
    assert s2.requests == 2 and s2.given_up == 1  # 3 + 2 = the cap
    s3 = run(spec, instrument, path, settings=settings)
    assert s3.planned == 0 and s3.requests == 0 and s3.given_up == 1
    assert len(server.requests) == 5
    m = manifest(spec, path, 5)
    assert m["missing"] == 1 and m["given_up"] == 1
    # a recollect round has its own count; parse failures are answers and are never asked again
    server.set_faults(None)
    assert run({**spec, "recollect": "r2"}, instrument, path, settings=settings).planned == 1
    assert manifest(spec, path, 5)["missing"] == 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_plan_with_a_cap_never_exceeds_it(data):
    cap = data.draw(st.integers(1, 8))
    spec = {"id": "m", "tasks": ["rating"], "sessions": 4, "recollect": False}
    records = []
    for _, s in session_keys(spec):
        for a in range(1, data.draw(st.integers(0, 3)) + 1):
            records.append(_rec("rating", s, a, answered=data.draw(st.booleans()),
                                tries=data.draw(st.integers(1, 4))))
    plan = plan_sessions(spec, records, cap)
    for p in plan:
        used = sum(r["collection"]["tries"] for r in records if r["session"] == p.session)
        assert p.tries_left == cap - used > 0
    planned = {p.session for p in plan}
    for _, s in session_keys(spec):
        recs = [r for r in records if r["session"] == s]
        last = max(recs, key=lambda r: r["attempt"]) if recs else None
        missing = last is None or last["response_body"] is None
        used = sum(r["collection"]["tries"] for r in recs)
        assert (s in planned) == (missing and used < cap)


@pytest.mark.parametrize("fault,status", [("unauthorized", 401), ("forbidden", 403)])
def test_auth_error_stops_the_model_at_once(instrument, tmp_path, fault, status):
    with MockLLMServer(instrument, api_key=KEY, latency_s=0.05) as srv:
        srv.set_faults(FaultPlan(first=[fault]))
        spec = spec_for(srv, sessions=30, open_sessions=0, concurrency=4)
        with pytest.raises(CollectError, match="VA_TEST_KEY") as exc:
            run(spec, instrument, tmp_path / "m-test.jsonl",
                settings=CollectSettings(concurrency=4, max_retries=3, timeout_s=5))
        assert f"HTTP {status}" in str(exc.value) and "no further request" in str(exc.value)
        assert KEY not in str(exc.value)
        time.sleep(0.2)  # nothing scheduled goes out after the stop
        assert len(srv.requests) <= 4  # only the calls already in flight with the first error
    assert read_records(tmp_path / "m-test.jsonl") == []


def test_local_openai_compatible_server_without_a_key(instrument, tmp_path, monkeypatch):
    """vLLM / Ollama / llama.cpp server: base_url and api_key_env: null. No Authorization
    header goes out, and OPENAI_API_KEY in the environment is never used."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-be-sent-4471")
    with MockLLMServer(instrument, api_key=None, seed=2) as srv:
        spec = spec_for(srv, mid="local-llama", api_key_env=None, sessions=2, open_sessions=1,
                        model="llama3.1:8b")
        path = tmp_path / "local-llama.jsonl"
        s = collect_model(spec, instrument, path, seed=5, settings=FAST, env={}, progress_stream=None)
        assert s.done == 5 and s.failed == 0
        assert srv.requests and not any(e["auth_header"] for e in srv.requests)
        recs = read_raw_records(path)
        assert all(r["provenance"].endswith(srv.openai_base_url) for r in recs)
        assert "sk-must-not-be-sent-4471" not in path.read_text()
        assert set(statuses(recs, instrument).values()) <= {"ok", "repaired"}
    with pytest.raises(MissingKeyError, match="local OpenAI-compatible"):
        collect_model({**spec, "provider": "anthropic"}, instrument, tmp_path / "x.jsonl", seed=5,
                      settings=FAST, env={}, progress_stream=None)


def test_keyless_server_that_wants_a_key_says_what_to_set(instrument, tmp_path):
    with MockLLMServer(instrument, api_key=KEY) as srv:
        spec = spec_for(srv, mid="local-llama", api_key_env=None, sessions=1, open_sessions=0)
        with pytest.raises(CollectError, match="api_key_env"):
            collect_model(spec, instrument, tmp_path / "local-llama.jsonl", seed=5, settings=FAST,
                          env={}, progress_stream=None)


def test_pending_marker_changes_exactly_when_sessions_are_left(server, instrument, tmp_path):
    from valueaudit.collect import rules

    spec = spec_for(server, sessions=2, open_sessions=0, tasks=["rating"])
    path = tmp_path / "m-test.jsonl"
    marker = Path(rules.pending_marker(spec, str(path), 18)[0])
    assert json.loads(marker.read_text())["pending"] == 2
    server.set_faults(FaultPlan(first=["server_error"] * 2))
    run(spec, instrument, path, settings=CollectSettings(max_retries=0, concurrency=2))
    assert rules.mark_collected(spec, str(path), 18) == 2
    after_run = marker.read_bytes()
    rules.pending_marker(spec, str(path), 18)  # the planner's view differs: a rerun is due
    assert marker.read_bytes() != after_run
    server.set_faults(None)
    run(spec, instrument, path, settings=CollectSettings(max_retries=0, concurrency=2))
    assert rules.mark_collected(spec, str(path), 18) == 0
    done = marker.read_bytes()
    rules.pending_marker(spec, str(path), 18)  # same bytes: no rerun
    assert marker.read_bytes() == done
    assert rules.pending_marker({**spec, "provider": "file"}, str(path)) == []
    msg = rules.plan_message({**spec, "sessions": 3}, str(path),
                             {"prices": {"m-test": {"input_per_mtok": 1, "output_per_mtok": 1}}},
                             str(instrument.path), 5)
    assert msg.startswith("1 sessions without an answer (rating 1") and "$" in msg


@pytest.mark.parametrize("syncs", [1, 2, 4])
def test_group_commit_writer_writes_every_record_whole_and_drains(tmp_path, syncs):
    """Records handed over in bursts and one by one, with several fsyncs at once: each
    ``write`` returns with its line on file, no record waits for a flusher that is gone."""
    import asyncio

    from valueaudit.collect.store import GroupCommitWriter

    path = tmp_path / "w.jsonl"

    async def go(store):
        writer = GroupCommitWriter(store, syncs)

        async def one(i):
            await asyncio.sleep((i % 7) * 0.002)
            await writer.write({"i": i, "text": "x" * (i * 37 % 500)})
            assert any(r["i"] == i for r in store.records)

        await asyncio.gather(*(one(i) for i in range(120)))
        for i in range(120, 130):  # one at a time: each finds the last flusher finished
            await writer.write({"i": i, "text": ""})
        await writer.drain()

    with RawStore(path) as store:
        asyncio.run(go(store))
    recs = read_records(path)
    assert sorted(r["i"] for r in recs) == list(range(130))
    assert path.read_bytes().count(b"\n") == 130
