"""Benchmark: collection throughput against the local mock server, and resume without duplicates.

The mock server (valueaudit.mockserver) runs in its own process and answers
every request after a fixed latency (default 100 ms). One live model is
collected at a given concurrency (default 16); the bound on throughput is
concurrency / latency requests per second. Then:

* resume after a complete run: calls sent (must be 0);
* resume after ``kill -9`` of a collector mid-run: sessions on file after
  the kill, calls the resume sent for sessions already on file (must be 0),
  sessions sent twice (at most the calls in flight at the kill), and whether
  every session has exactly one record in the end.

Prints, e.g.::

    throughput: 300 requests in 2.31 s = 129.9 req/s; bound 160.0 req/s; ratio 0.81
    resume after a complete run: 0 calls
    kill -9 mid-run: 120 of 300 sessions on file; resume sent 180 calls, 0 for sessions on file;
        16 calls lost (in flight at the kill, <= concurrency 16), 16 sessions sent twice; 300 sessions,
        300 records, max records per session 1

Usage: python scripts/bench/bench_collect.py [--latency 0.1] [--concurrency 16] [--sessions 150]
       [--kill-at 0.4]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTRUMENT = REPO / "resources" / "instrument" / "optimal_ai_v1.yaml"
KEY_ENV = "VALUEAUDIT_BENCH_KEY"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_mock/stats", timeout=10) as r:
        return json.loads(r.read())


def spec_for(url: str, sessions: int, concurrency: int) -> dict:
    return {"id": "bench-model", "provider": "openai", "model": "bench-model", "base_url": f"{url}/v1",
            "api_key_env": KEY_ENV, "params": {"temperature": 1.0, "max_tokens": 800},
            "sessions": sessions, "open_sessions": 0, "tasks": ["rating", "ranking"],
            "concurrency": concurrency, "recollect": False, "path": None}


_CHILD = """
import json, sys
from valueaudit.collect import CollectSettings, collect_model
from valueaudit.instrument import load_instrument
spec = json.loads(sys.argv[1])
collect_model(spec, load_instrument(sys.argv[2]), sys.argv[3], seed=1,
              settings=CollectSettings(concurrency=spec["concurrency"], timeout_s=30), progress_stream=None)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sessions", type=int, default=150, help="sessions per task (rating, ranking)")
    ap.add_argument("--kill-at", type=float, default=0.4,
                    help="kill -9 the collector once this share of the sessions is on file")
    args = ap.parse_args(argv)

    from valueaudit.collect import CollectSettings, collect_model, read_records
    from valueaudit.instrument import load_instrument

    ins = load_instrument(INSTRUMENT)
    env = {**os.environ, KEY_ENV: "bench-key"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "valueaudit.mockserver", "--instrument", str(INSTRUMENT), "--port", str(port),
         "--latency", str(args.latency), "--api-key-env", KEY_ENV],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        server.stdout.readline()  # "mock LLM server on ..."
        spec = spec_for(url, args.sessions, args.concurrency)
        n = 2 * args.sessions
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "bench-model.jsonl"
            settings = CollectSettings(concurrency=args.concurrency, timeout_s=30)
            # warm-up (imports, connection pool) on a separate file
            collect_model({**spec, "sessions": 2}, ins, Path(tmp) / "warm.jsonl", seed=1,
                          settings=settings, env=env, progress_stream=None)
            before = stats(url)["requests"]
            t0 = time.perf_counter()
            summary = collect_model(spec, ins, raw, seed=1, settings=settings, env=env, progress_stream=None)
            dt = time.perf_counter() - t0
            sent = stats(url)["requests"] - before
            bound = args.concurrency / args.latency
            rps = sent / dt
            print(f"throughput: {sent} requests in {dt:.2f} s = {rps:.1f} req/s; bound {bound:.1f} req/s "
                  f"(concurrency {args.concurrency} / latency {args.latency * 1000:.0f} ms); "
                  f"ratio {rps / bound:.2f}; server max in flight {stats(url)['max_inflight'].get('bench-model')}")
            assert summary.done == n, summary.line()
            before = stats(url)["requests"]
            collect_model(spec, ins, raw, seed=1, settings=settings, env=env, progress_stream=None)
            print(f"resume after a complete run: {stats(url)['requests'] - before} calls")

            # kill -9 mid-run, then resume
            raw2 = Path(tmp) / "killed" / "bench-model.jsonl"
            raw2.parent.mkdir()
            calls0 = Counter(stats(url)["calls"])
            child = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(spec), str(INSTRUMENT), str(raw2)],
                                     env=env)
            t_kill = time.perf_counter()
            while time.perf_counter() - t_kill < 60 and child.poll() is None:
                if raw2.exists() and raw2.read_bytes().count(b"\n") >= n * args.kill_at:
                    break
                time.sleep(0.01)
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            on_file = {r["record_id"] for r in read_records(raw2)}
            calls1 = Counter(stats(url)["calls"])
            collect_model(spec, ins, raw2, seed=1, settings=settings, env=env, progress_stream=None)
            calls2 = Counter(stats(url)["calls"])
            resumed = calls2 - calls1
            before_kill = calls1 - calls0
            dup_on_file = sum(v for k, v in resumed.items() if k in on_file)
            lost = sum(1 for k in before_kill if k not in on_file)  # sent, never written
            twice = sum(1 for k in resumed if k in before_kill)
            recs = read_records(raw2)
            keys = Counter((r["task"], r["session"]) for r in recs)
            print(f"kill -9 mid-run: {len(on_file)} of {n} sessions on file; resume sent "
                  f"{sum(resumed.values())} calls, {dup_on_file} for sessions on file; {lost} calls lost "
                  f"(in flight at the kill, <= concurrency {args.concurrency}), {twice} sessions sent twice; "
                  f"{len(keys)} sessions, "
                  f"{len(recs)} records, max records per session {max(keys.values())}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
