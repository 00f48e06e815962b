"""Request/token-per-minute budgets shared by collectors in several processes on one host."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.collect import CollectSettings, read_records
from valueaudit.collect.budget import BucketFile, budget_limits, budget_name
from valueaudit.mockserver import MockLLMServer


class Clock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self):
        return self.t


def test_bucket_capacity_refill_and_debt(tmp_path):
    clock = Clock()
    b = BucketFile(tmp_path / "b.json", {"requests": 60, "tokens": 6000}, burst_s=2, clock=clock)
    assert b.capacity == {"requests": 2.0, "tokens": 200.0}
    assert b.take({"requests": 1, "tokens": 50}) == 0
    assert b.take({"requests": 1, "tokens": 50}) == 0
    wait = b.take({"requests": 1, "tokens": 50})
    assert wait == pytest.approx(1.0)  # one request per second
    clock.t += 1.0
    assert b.take({"requests": 1, "tokens": 50}) == 0
    # a request larger than the bucket goes when the bucket is full, and leaves a debt
    clock.t += 10
    assert b.take({"requests": 1, "tokens": 500}) == 0
    assert b.levels()["tokens"] == pytest.approx(-300)
    assert b.take({"requests": 1, "tokens": 10}) == pytest.approx(3.1)  # (10 + 300) / 100 per s
    b.give_back({"tokens": 400})  # the provider reported fewer tokens than charged
    assert b.levels()["tokens"] == pytest.approx(100)
    b.close()


def test_bucket_state_is_shared_between_handles_and_survives_a_torn_file(tmp_path):
    clock = Clock()
    a = BucketFile(tmp_path / "b.json", {"requests": 60}, burst_s=1, clock=clock)
    b = BucketFile(tmp_path / "b.json", {"requests": 60}, burst_s=1, clock=clock)
    assert a.take({"requests": 1}) == 0
    assert b.take({"requests": 1}) > 0  # the other handle sees the empty bucket
    (tmp_path / "b.json").write_bytes(b'{"buckets": {"requ')
    assert b.take({"requests": 1}) > 0  # unreadable state restarts empty (send later, not sooner)
    a.close()
    b.close()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 3), st.integers(1, 400)), min_size=1, max_size=40),
       st.floats(0.2, 5))
def test_granted_tokens_never_exceed_capacity_plus_rate_times_time(tmp_path_factory, steps, burst):
    clock = Clock()
    rate = 1200.0  # tokens per minute
    path = tmp_path_factory.mktemp("bucket") / "b.json"
    b = BucketFile(path, {"tokens": rate}, burst_s=burst, clock=clock)
    t0, granted = clock.t, 0.0
    for dt, cost in steps:
        clock.t += dt
        if b.take({"tokens": cost}) == 0:
            granted += cost
            # the debt rule: what went out is bounded by the bucket plus the refill, plus the
            # last request (which may overdraw)
            assert granted <= b.capacity["tokens"] + (clock.t - t0) * rate / 60 + cost + 1e-6
    b.close()


def test_budget_config():
    coll = {"rate_limits": {"openai": {"requests_per_minute": 500, "tokens_per_minute": 30000},
                            "local": {"requests_per_minute": 60, "burst_s": 2}}}
    assert budget_limits(coll, {"provider": "openai"}) == {"requests": 500, "tokens": 30000,
                                                           "burst_s": 1.0}
    assert budget_limits(coll, {"provider": "openai", "rate_limit": "local"}) == {
        "requests": 60, "burst_s": 2.0}
    assert budget_limits(coll, {"provider": "anthropic"}) is None
    assert budget_name({"provider": "openai", "rate_limit": None}) == "openai"
    s = CollectSettings.from_config({**coll, "max_attempts_per_session": 4}, {"provider": "openai"})
    assert s.rate_limits["requests"] == 500 and s.max_attempts_per_session == 4


_CHILD = """
import json, sys
from valueaudit.collect import CollectSettings, collect_model
from valueaudit.instrument import load_instrument
spec, coll = json.loads(sys.argv[1]), json.loads(sys.argv[2])
collect_model(spec, load_instrument(sys.argv[3]), sys.argv[4], seed=5,
              settings=CollectSettings.from_config(coll, spec), progress_stream=None, env={})
"""


def test_concurrent_collectors_share_one_request_budget(instrument, tmp_path):
    """Three collector processes, one provider budget of 120 requests per minute (2/s, burst
    of 1): together they never send more than the budget allows in any window."""
    rpm, burst = 120.0, 0.5
    coll = {"rate_limits": {"openai": {"requests_per_minute": rpm, "burst_s": burst}},
            "state_dir": str(tmp_path / "state"), "timeout_s": 10}
    with MockLLMServer(instrument, api_key=None) as srv:
        procs = []
        for i in range(3):
            spec = {"id": f"job-{i}", "provider": "openai", "model": f"job-{i}-model",
                    "base_url": srv.openai_base_url, "api_key_env": None,
                    "params": {"max_tokens": 400}, "sessions": 4, "open_sessions": 0,
                    "tasks": ["rating"], "concurrency": 3, "recollect": False, "path": None}
            procs.append(subprocess.Popen(
                [sys.executable, "-c", _CHILD, json.dumps(spec), json.dumps(coll),
                 str(instrument.path), str(tmp_path / f"job-{i}.jsonl")], env=dict(os.environ)))
        for p in procs:
            assert p.wait(timeout=120) == 0
        times = sorted(e["t"] for e in srv.requests)
    assert len(times) == 12
    assert all(len(read_records(tmp_path / f"job-{i}.jsonl")) == 4 for i in range(3))
    rate = rpm / 60
    cap = max(1.0, rate * burst)
    # the server sees a request when it arrives: up to the time a process needs to open its
    # first connection after the grant (without the budget all 12 would arrive within ~0.1 s)
    slack = 0.35
    for i, t in enumerate(times):
        for j in range(i, len(times)):
            window = times[j] - t
            assert j - i + 1 <= cap + rate * (window + slack) + 1e-9, (i, j, window)
    assert (tmp_path / "state" / "budget-openai.json").exists()


def test_state_file_is_rewritten_in_place_and_never_empty(tmp_path):
    """The state is overwritten at offset 0 and padded to its old length: the file never
    shrinks or passes through an empty state, and stays readable JSON."""
    clock = Clock()
    path = tmp_path / "b.json"
    b = BucketFile(path, {"requests": 600, "tokens": 1e7}, burst_s=1, clock=clock)
    sizes = []
    for i in range(30):
        clock.t += 0.013 * i
        b.take({"requests": 1, "tokens": 10 ** (i % 6)}, {"tokens": 0.5 * i})
        sizes.append(path.stat().st_size)
        assert set(json.loads(path.read_bytes())["buckets"]) == {"requests", "tokens"}
    assert sizes == sorted(sizes) and sizes[0] > 0
    b.close()
