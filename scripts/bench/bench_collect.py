"""Benchmark: collection throughput against the local mock server, and resume without duplicates.

The mock server (valueaudit.mockserver) runs in its own process and answers
every request after a fixed latency (default 100 ms). First a bare HTTP
client (httpx, asyncio, a semaphore of the same concurrency, no retries,
records or budgets) sends the same number of chat-completion requests with
the collector's request bodies, timed like the collector from creating its
client to the last answer: the throughput this machine allows. Then one
live model is collected at that concurrency (default 16) with request and
token budgets enabled but not binding (``--rpm``/``--tpm``, far above what
the run sends), and the ratio collector / bare client is printed (the
target is 0.9 or more). The bound on throughput is concurrency / latency
requests per second. Then:

* resume after a complete run: calls sent (must be 0);
* resume after ``kill -9`` of a collector mid-run: sessions on file after
  the kill, calls the resume sent for sessions already on file (must be 0),
  sessions sent twice (at most the calls in flight at the kill), and whether
  every session has exactly one record in the end.

Prints, e.g.::

    bare client: 300 requests in 2.05 s = 146.3 req/s
    throughput: 300 requests in 2.15 s = 139.5 req/s; bound 160.0 req/s (...); ratio 0.87;
        vs bare client 0.95; budget wait 0.00 s
    resume after a complete run: 0 calls
    kill -9 mid-run: 120 of 300 sessions on file; resume sent 180 calls, 0 for sessions on file;
        16 calls lost (in flight at the kill, <= concurrency 16), 16 sessions sent twice; 300 sessions,
        300 records, max records per session 1

Usage: python scripts/bench/bench_collect.py [--latency 0.1] [--concurrency 16] [--sessions 150]
       [--kill-at 0.4] [--rpm 1000000] [--tpm 1000000000] [--repeat 3]

With ``--repeat N`` the bare client and the collector are each measured N
times, alternately, and the best of each is compared (the machine is shared).
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


def bare_client(url: str, bodies: list[dict], concurrency: int, key: str) -> float:
    """Seconds a bare httpx client needs to post ``bodies`` with ``concurrency`` in flight."""
    import asyncio

    import httpx

    async def go() -> None:
        sem = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=f"{url}/v1", limits=limits, timeout=30,
                                     headers={"Authorization": f"Bearer {key}"}) as client:

            async def one(i: int, body: dict) -> None:
                async with sem:
                    r = await client.post("/chat/completions", json=body,
                                          headers={"X-Valueaudit-Request": f"bare.{i}"})
                    r.raise_for_status()
                    r.json()

            await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))

    # timed like the collector: from creating the client (and its connections) to the last
    # answer, inside one asyncio.run
    t0 = time.perf_counter()
    asyncio.run(go())
    return time.perf_counter() - t0


def request_bodies(spec: dict, ins, seed: int) -> list[dict]:
    from valueaudit.collect.store import session_keys
    from valueaudit.instrument import item_order

    out = []
    for task, s in session_keys(spec):
        msgs = ins.messages(task, item_order(ins, task, seed, spec["id"], s))
        out.append({"model": spec["model"], "messages": msgs, **spec["params"]})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sessions", type=int, default=150, help="sessions per task (rating, ranking)")
    ap.add_argument("--kill-at", type=float, default=0.4,
                    help="kill -9 the collector once this share of the sessions is on file")
    ap.add_argument("--rpm", type=float, default=1e6, help="requests-per-minute budget")
    ap.add_argument("--tpm", type=float, default=1e9, help="tokens-per-minute budget")
    ap.add_argument("--repeat", type=int, default=1, help="measure both clients this many times")
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
            settings = CollectSettings(
                concurrency=args.concurrency, timeout_s=30, state_dir=str(Path(tmp) / "state"),
                rate_limits={"requests": args.rpm, "tokens": args.tpm, "burst_s": 60.0})
            # warm-up (imports, connection pool) on a separate file
            collect_model({**spec, "sessions": 2}, ins, Path(tmp) / "warm.jsonl", seed=1,
                          settings=settings, env=env, progress_stream=None)
            bodies = request_bodies(spec, ins, 1)
            best_bare = best = float("inf")
            for r in range(args.repeat):
                best_bare = min(best_bare, bare_client(url, bodies, args.concurrency, env[KEY_ENV]))
                target = raw if r == args.repeat - 1 else Path(tmp) / f"rep{r}" / "bench-model.jsonl"
                before = stats(url)["requests"]
                t0 = time.perf_counter()
                summary = collect_model(spec, ins, target, seed=1, settings=settings, env=env,
                                        progress_stream=None)
                best = min(best, time.perf_counter() - t0)
                sent = stats(url)["requests"] - before
                assert summary.done == n, summary.line()
            bare_rps = len(bodies) / best_bare
            print(f"bare client: {len(bodies)} requests in {best_bare:.2f} s = {bare_rps:.1f} req/s "
                  f"(httpx, concurrency {args.concurrency})")
            bound = args.concurrency / args.latency
            rps = sent / best
            print(f"throughput: {sent} requests in {best:.2f} s = {rps:.1f} req/s; bound {bound:.1f} req/s "
                  f"(concurrency {args.concurrency} / latency {args.latency * 1000:.0f} ms); "
                  f"ratio {rps / bound:.2f}; vs bare client {rps / bare_rps:.2f}; budgets "
                  f"{args.rpm:g} requests and {args.tpm:g} tokens per minute, waited "
                  f"{summary.budget_wait_s:.2f} s; server max in flight "
                  f"{stats(url)['max_inflight'].get('bench-model')}")
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
