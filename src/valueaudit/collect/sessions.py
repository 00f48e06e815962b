"""The sessions of one live model: concurrency (an AIMD limiter), retries with backoff,
empty replies, repair requests, the records, progress; driven by
:func:`~valueaudit.collect.runner.collect_model`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import sys
import time
import uuid
from typing import TextIO

from ..instrument import item_order
from ..parse import parse_record
from .budget import RateBudget
from .providers import CallError, Reply
from .store import SessionTask, is_empty_reply, recollect_tag
from .usage import token_counts

_log = logging.getLogger("valueaudit.collect")

__all__ = ["backoff_delay", "AdaptiveLimiter", "Progress", "utc_now"]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("valueaudit")
    except Exception:  # noqa: BLE001 - not installed: running from a checkout
        return "dev"


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def backoff_delay(try_no: int, base: float, cap: float, retry_after: float | None,
                  rng: random.Random) -> float:
    """Seconds to wait before try ``try_no + 1``.

    Exponential backoff with full jitter, ``U(0, min(cap, base * 2**(try_no-1)))``
    (Brooker 2015, "Exponential backoff and jitter", AWS Architecture Blog),
    but never less than the provider's ``Retry-After``, to which up to 10 %
    jitter is added so that parallel requests do not return in lockstep.
    """
    expo = rng.uniform(0.0, min(cap, base * 2 ** max(0, try_no - 1)))
    if retry_after is None:
        return expo
    return max(expo, retry_after * (1.0 + 0.1 * rng.random()))


class AdaptiveLimiter:
    """At most ``limit`` requests in flight; AIMD on rate limits, global pause on Retry-After."""

    def __init__(self, max_concurrency: int):
        self.max = max(1, int(max_concurrency))
        self.limit = self.max
        self.active = 0
        self.pause_until = 0.0
        self._ok_streak = 0
        self._cond = asyncio.Condition()

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._cond:
            while True:
                wait = self.pause_until - loop.time()
                if wait > 0:
                    try:
                        await asyncio.wait_for(self._cond.wait(), timeout=wait)
                    except TimeoutError:
                        pass
                    continue
                if self.active < self.limit:
                    self.active += 1
                    return
                await self._cond.wait()

    async def release(self) -> None:
        async with self._cond:
            self.active -= 1
            # wake only as many waiters as there are free slots (a limit raised by
            # succeeded() counts here too): waking every waiter on each release
            # costs a pass over all of them per request
            self._cond.notify(max(1, self.limit - self.active))

    def rate_limited(self, pause_s: float) -> None:
        loop = asyncio.get_running_loop()
        self.limit = max(1, self.limit // 2)
        self._ok_streak = 0
        self.pause_until = max(self.pause_until, loop.time() + max(0.0, pause_s))

    def succeeded(self) -> None:
        if self.limit < self.max:
            self._ok_streak += 1
            if self._ok_streak >= self.limit:
                self.limit += 1
                self._ok_streak = 0


class _Slot:
    """One unit of an :class:`AdaptiveLimiter`, acquired and released at most once each."""

    def __init__(self, limiter: AdaptiveLimiter):
        self.limiter = limiter
        self.held = False

    async def acquire(self) -> None:
        if not self.held:
            await self.limiter.acquire()
            self.held = True

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self.limiter.release()


class Progress:
    """A progress line per model on a stream (rewritten in place on a terminal)."""

    def __init__(self, model_id: str, total: int, stream: TextIO | None = sys.stderr,
                 every_s: float = 5.0):
        self.model_id, self.total, self.stream, self.every_s = model_id, total, stream, every_s
        self.done = self.failed = self.retries = self.repairs = self.requests = 0
        self.t0 = time.monotonic()
        self._last = 0.0
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def text(self) -> str:
        el = max(1e-9, time.monotonic() - self.t0)
        return (f"[collect] {self.model_id}: {self.done}/{self.total} sessions done, "
                f"{self.failed} failed, {self.retries} retries, {self.repairs} repairs "
                f"({self.requests / el:.1f} req/s, {el:.0f} s)")

    def update(self, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.5 if self._tty else self.every_s):
            return
        self._last = now
        end = "\n" if (force or not self._tty) else ""
        self.stream.write(("\r" if self._tty else "") + self.text() + end)
        self.stream.flush()


class _Run:
    def __init__(self, spec, instrument, seed, settings, provider, writer, progress, summary,
                 budget: RateBudget | None = None, log=None):
        self.spec, self.ins, self.seed, self.s = spec, instrument, seed, settings
        self.provider, self.writer, self.progress, self.summary = provider, writer, progress, summary
        self.limiter = AdaptiveLimiter(settings.concurrency)
        self.rng = random.Random(settings.jitter_seed)
        self.run_id = uuid.uuid4().hex[:12]
        self.tag = recollect_tag(spec)
        self.version = _version()
        self.fatal: CallError | None = None
        self.budget = budget
        self.log = log or _log
        self.tasks: list[asyncio.Task] = []
        self._prompt_sha256: dict[str, str] = {}
        self.client = provider.client_version
        self.provenance = (f"collected live by valueaudit {self.version} ({self.client}) "
                           f"from {provider.api} at {provider.endpoint}")
        params = spec.get("params") or {}
        self.max_out = int(params.get("max_tokens") or params.get("max_completion_tokens") or 1000)

    def _stop_all(self, err: CallError) -> None:
        """First authentication/model error: cancel every other session of the model."""
        if self.fatal is None:
            self.fatal = err
        me = asyncio.current_task()
        for t in self.tasks:
            if t is not me and not t.done():
                t.cancel()

    def _charge(self, request: dict) -> float:
        chars = sum(len(str(m.get("content", ""))) for m in request["messages"])
        chars += len(str(request.get("system") or ""))
        return chars / 4 + self.max_out + 8

    async def _send(self, request: dict, tag: str) -> Reply:
        if self.fatal is not None:
            raise asyncio.CancelledError
        charged = 0.0
        if self.budget is not None:
            charged = self._charge(request)
            await self.budget.acquire(charged)
            if self.fatal is not None:
                raise asyncio.CancelledError
        self.progress.requests += 1
        self.summary.requests += 1
        try:
            reply = await self.provider.send(request, tag)
        except CallError:
            if self.budget is not None:
                self.budget.settle(charged, 0.0)
            raise
        if self.budget is not None:
            usage = reply.body.get("usage") if isinstance(reply.body, dict) else None
            self.budget.settle(charged, sum(token_counts(usage)) if usage else None)
        return reply

    async def call(self, request: dict, tag: str, slot: _Slot, max_tries: int | None = None
                   ) -> tuple[Reply | None, list[dict], CallError | None, int]:
        """Send with retries; return (last reply, retry history, final error, tries).

        At most ``max_retries + 1`` tries, and at most ``max_tries`` (the
        session's tries left under ``max_attempts_per_session``). Each try
        runs holding ``slot`` (one unit of the model's concurrency), which is
        given up only while a backoff is waited out; the caller releases it
        once the record is on disk, so the calls whose answers are not yet
        durable never exceed the concurrency. A reply without answer text is
        returned together with its ``empty_response`` error when no try is
        left.
        """
        limit = self.s.max_retries + 1
        if max_tries is not None:
            limit = max(1, min(limit, int(max_tries)))
        history: list[dict] = []
        tries = 0
        while True:
            tries += 1
            at = utc_now()
            await slot.acquire()
            reply = None
            try:
                reply = await self._send(request, tag)
                if is_empty_reply(self.provider.api, reply.body):
                    self.summary.empty += 1
                    self.log.warning("%s: %s: HTTP 200 without answer text (empty_response), try %d",
                                     self.spec["id"], tag, tries)
                    raise CallError("empty_response", "HTTP 200 without answer text (no choices, "
                                    "no content blocks, or empty text)", reply.status,
                                    retryable=True,
                                    body=json.dumps(reply.body, ensure_ascii=False)[:2000])
            except CallError as err:
                if err.fatal:
                    self._stop_all(err)
                    raise
                if not err.retryable or tries >= limit:
                    return reply, history, err, tries
                await slot.release()
                delay = backoff_delay(tries, self.s.backoff_base_s, self.s.backoff_max_s,
                                      err.retry_after, self.rng)
                history.append({"try": tries, "at_utc": at, "error": err.as_dict(),
                                "wait_s": round(delay, 3)})
                if err.kind == "rate_limit":
                    self.limiter.rate_limited(err.retry_after if err.retry_after is not None else delay)
                self.progress.retries += 1
                self.summary.retries += 1
                self.progress.update()
                await asyncio.sleep(delay)
                continue
            self.limiter.succeeded()
            return reply, history, None, tries

    def _prompt_sha(self, task: str) -> str:
        sha = self._prompt_sha256.get(task)
        if sha is None:
            sha = self._prompt_sha256[task] = self.ins.prompt_sha256(task)
        return sha

    def _base_record(self, st: SessionTask, order, request) -> dict:
        mid = self.spec["id"]
        return {
            "schema_version": 1,
            "record_id": f"{mid}.{st.task}.s{st.session:03d}.a{st.attempt}",
            "model_id": mid,
            "task": st.task,
            "prompt_id": st.task,
            "session": st.session,
            "attempt": st.attempt,
            "provider": self.provider.provider,
            "api": self.provider.api,
            "request": request,
            "item_order": order,
            "instrument_sha256": self.ins.sha256,
            "prompt_sha256": self._prompt_sha(st.task),
            "provenance": self.provenance,
        }

    @staticmethod
    def _fill(rec: dict, reply: Reply | None, err: CallError | None, history, tries) -> dict:
        body = reply.body if reply else None
        rec["response_body"] = body
        rec["model_version"] = body.get("model") if isinstance(body, dict) and isinstance(
            body.get("model"), str) else None
        rec["usage"] = body.get("usage") if isinstance(body, dict) else None
        rec["latency_s"] = reply.latency_s if reply else None
        rec["error"] = None if err is None else {**err.as_dict(), "tries": tries}
        rec["retries"] = history
        return rec

    async def session(self, st: SessionTask) -> None:
        slot = _Slot(self.limiter)
        try:  # the slot is held until the record is on disk
            # the session is prepared once it may send: every session waiting for a slot
            # would otherwise be prepared up front, ahead of the first requests' I/O
            await slot.acquire()
            order = item_order(self.ins, st.task, self.seed, self.spec["id"], st.session)
            messages = self.ins.messages(st.task, order)
            request = self.provider.build_request(messages, self.spec.get("params") or {})
            rec = self._base_record(st, order, request)
            rec["started_utc"] = utc_now()
            reply, history, err, tries = await self.call(request, rec["record_id"], slot,
                                                         st.tries_left)
            self._fill(rec, reply, err, history, tries)
            rec["finished_utc"] = utc_now()
            rec["repair"] = None
            rec["collection"] = {"run_id": self.run_id, "recollect": self.tag, "tries": tries,
                                 "client": self.client}
            if reply is not None and err is None and st.task != "open" and self.s.repair:
                res = parse_record(rec, self.ins)
                if res.status == "unparseable":
                    rec["repair"] = await self.repair(rec, messages, res.message, slot)
                    self.progress.repairs += 1
                    self.summary.repairs += 1
            await self.writer.write(rec)
        finally:
            await slot.release()
        mv = rec["model_version"]
        if mv and mv not in self.summary.model_versions:
            self.summary.model_versions.append(mv)
        self.summary.done += 1
        self.progress.done += 1
        if err is not None:
            self.summary.failed += 1
            self.progress.failed += 1
        self.progress.update()

    async def repair(self, rec: dict, messages: list[dict], reason: str, slot: _Slot) -> dict:
        from ..parse import response_text

        text, _ = response_text(rec["api"], rec["response_body"])
        follow = self.ins.prompts["repair"].format(error=reason)
        convo = [dict(m) for m in messages]
        if text:
            convo.append({"role": "assistant", "content": text})
        convo.append({"role": "user", "content": follow})
        request = self.provider.build_request(convo, self.spec.get("params") or {})
        started = utc_now()
        reply, history, err, tries = await self.call(request, rec["record_id"] + ".repair", slot)
        out = {"reason": reason, "request": request, "started_utc": started}
        self._fill(out, reply, err, history, tries)
        out["finished_utc"] = utc_now()
        return out
