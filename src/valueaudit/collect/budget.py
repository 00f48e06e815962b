"""Request- and token-per-minute budgets shared by every collector on one host.

A provider publishes its limits per minute (requests per minute, tokens per
minute) and enforces them over shorter windows too. Each budget here is a set
of token buckets (one per limit) kept in a small JSON state file; every
collection job on the host, in any process, takes from the same buckets under
an exclusive ``fcntl.flock`` of that file, so all of them together stay under
the limits instead of learning them from 429 responses.

A bucket holds at most ``rate * burst_s / 60`` units (at least one request's
worth) and refills continuously at ``rate / 60`` units per second. A request
may start when every bucket holds what it costs (or is full); it then takes
its cost, which may drive the token bucket below zero for a request larger
than the bucket, so that later requests wait for the debt to be repaid and the
rate over any minute stays within the limit. Tokens are charged before the
call at an upper estimate (prompt characters / 4 + ``max_tokens``) and the
difference to the usage the provider reports is given back afterwards.

The state file is tiny and rewritten in place under the lock with a single
``pwrite`` at offset 0, padded with spaces (JSON whitespace) to the length it
had, so it is never truncated and never empty between two holders of the
lock. A file that cannot be read (a crash while it was written) restarts with
empty buckets, which errs on the side of sending later.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["BucketFile", "RateBudget", "budget_limits", "budget_name", "budget_path"]

#: config keys of one budget (``collection.rate_limits.<name>``) -> bucket name
LIMIT_KEYS = {"requests_per_minute": "requests", "tokens_per_minute": "tokens"}


def budget_name(spec: Mapping) -> str:
    """The budget a live model draws from: its ``rate_limit`` entry, else its provider."""
    return str(spec.get("rate_limit") or spec.get("provider") or "")


def budget_limits(collection: Mapping | None, spec: Mapping) -> dict | None:
    """``{"requests": per_minute, "tokens": per_minute, "burst_s": s}`` of the model's
    budget, or ``None`` when ``collection.rate_limits`` sets none for it."""
    conf = ((collection or {}).get("rate_limits") or {}).get(budget_name(spec))
    if not conf:
        return None
    out = {LIMIT_KEYS[k]: float(v) for k, v in conf.items() if k in LIMIT_KEYS and v}
    if not out:
        return None
    out["burst_s"] = float(conf.get("burst_s", 1.0))
    return out


def budget_path(state_dir: str | Path, name: str) -> Path:
    return Path(state_dir) / f"budget-{name}.json"


class BucketFile:
    """Token buckets in one JSON file, read and updated under an exclusive flock.

    ``limits`` maps a bucket name to its rate per minute; ``burst_s`` sets the
    capacity (``rate * burst_s / 60``, at least 1).
    """

    def __init__(self, path: str | Path, limits: Mapping[str, float], burst_s: float = 1.0,
                 clock=time.time):
        self.path = Path(path)
        self.rates = {k: float(v) / 60.0 for k, v in limits.items()}
        self.capacity = {k: max(1.0, r * float(burst_s)) for k, r in self.rates.items()}
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        self._size = 0  # bytes of the state file when last read (under the lock)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def _load(self, now: float) -> dict:
        raw = os.pread(self._fd, 65536, 0)
        while len(chunk := os.pread(self._fd, 65536, len(raw))):
            raw += chunk
        self._size = len(raw)
        try:
            state = json.loads(raw) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            state = {"buckets": {k: {"level": 0.0, "t": now} for k in self.rates}}
        if not isinstance(state, dict) or not isinstance(state.get("buckets"), dict):
            state = {"buckets": {}}
        buckets = state["buckets"]
        for k, rate in self.rates.items():
            b = buckets.get(k)
            if not isinstance(b, dict) or not isinstance(b.get("level"), int | float):
                b = buckets[k] = {"level": self.capacity[k], "t": now}
            t = float(b.get("t", now))
            elapsed = max(0.0, now - t) if t <= now + 1.0 else 0.0
            b["level"] = min(self.capacity[k], float(b["level"]) + elapsed * rate)
            b["t"] = now
        return state

    def _save(self, state: dict) -> None:
        data = json.dumps(state, sort_keys=True).encode("utf-8")
        data = data.ljust(self._size, b" ")  # overwrite every byte of the longer old state
        view = memoryview(data)
        while view:
            view = view[os.pwrite(self._fd, view, len(data) - len(view)):]

    def _locked(self, fn):
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            now = self.clock()
            state = self._load(now)
            result = fn(state["buckets"], now)
            self._save(state)
            return result
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def take(self, cost: Mapping[str, float], refund: Mapping[str, float] | None = None) -> float:
        """Take ``cost`` from the buckets if they allow it now and return 0.0; else
        take nothing and return the seconds to wait before trying again. ``refund``
        (units charged in excess earlier) is given back first, in the same lock."""

        def go(buckets, now):
            for k, v in (refund or {}).items():
                if k in buckets and v:
                    buckets[k]["level"] = min(self.capacity[k], buckets[k]["level"] + float(v))
            wait = 0.0
            for k, rate in self.rates.items():
                need = min(float(cost.get(k, 0.0)), self.capacity[k])
                short = need - buckets[k]["level"]
                if short > 1e-9:
                    wait = max(wait, short / rate)
            if wait > 0:
                return wait
            for k in self.rates:
                buckets[k]["level"] -= float(cost.get(k, 0.0))
            return 0.0

        return self._locked(go)

    def give_back(self, amounts: Mapping[str, float]) -> None:
        """Return units charged in excess (a negative amount charges more)."""

        def go(buckets, now):
            for k in self.rates:
                if amounts.get(k):
                    buckets[k]["level"] = min(self.capacity[k],
                                              buckets[k]["level"] + float(amounts[k]))

        self._locked(go)

    def levels(self) -> dict[str, float]:
        """Current bucket levels (for tests and diagnostics)."""
        return self._locked(lambda buckets, now: {k: b["level"] for k, b in buckets.items()
                                                  if k in self.rates})


class RateBudget:
    """Asynchronous front of a :class:`BucketFile` for one collector."""

    def __init__(self, bucket: BucketFile):
        self.bucket = bucket
        self.waited_s = 0.0
        self._owed = 0.0  # tokens to give back with the next take (one lock per request)

    async def acquire(self, tokens: float) -> None:
        """Wait until one request of about ``tokens`` tokens fits the budget, and take it."""
        cost = {"requests": 1.0, "tokens": float(tokens)}
        while True:
            refund, self._owed = {"tokens": self._owed}, 0.0
            wait = self.bucket.take(cost, refund)
            if wait <= 0:
                return
            wait = min(wait, 5.0) + 0.001
            self.waited_s += wait
            await asyncio.sleep(wait)

    def settle(self, charged_tokens: float, used_tokens: float | None) -> None:
        """Give back the tokens charged beyond what the provider reports as used
        (with the next request's take, or at :meth:`close`)."""
        if used_tokens is None or "tokens" not in self.bucket.rates:
            return
        self._owed += float(charged_tokens) - float(used_tokens)

    def close(self) -> None:
        if abs(self._owed) > 1e-9:
            self.bucket.give_back({"tokens": self._owed})
            self._owed = 0.0
        self.bucket.close()
