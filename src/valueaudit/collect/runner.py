"""Collect one live model: resume, concurrency, retries with backoff, repair, progress.

:func:`collect_model` is the whole collection of one ``models.live`` entry:

1. the API key is read from the environment variable the config names (and
   only from there); an unset variable stops this model before any call,
   with a message naming the variable;
2. the model's raw-record file is opened append-only and locked, and the
   sessions still missing are planned (:func:`~valueaudit.collect.store.plan_sessions`);
3. each missing session is a fresh conversation (system + user prompt with
   the session's seeded item order), sent with at most ``concurrency``
   requests in flight;
4. failed tries are retried up to ``max_retries`` times with exponential
   backoff and full jitter, never sooner than the provider's ``Retry-After``;
   a 429 also pauses the model's other requests and halves its concurrency,
   which then grows back by one per window of successes (AIMD); every failed
   try goes into the record's ``retries`` list;
5. a rating/ranking answer that neither the strict nor the lenient parser
   can read gets at most one repair request that quotes the parse error
   (stored in the record's ``repair`` field); refusals are kept as refusals;
6. each record is appended (write + flush + fsync) as soon as its session
   ends, so an interrupted run loses at most the calls in flight.

A progress line per model (sessions done, failed, retries) goes to stderr.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from ..instrument import Instrument, item_order
from ..parse import parse_record
from .providers import CallError, Reply, make_provider
from .store import GroupCommitWriter, RawStore, SessionTask, plan_sessions, recollect_tag

__all__ = [
    "CollectSettings",
    "CollectSummary",
    "CollectError",
    "MissingKeyError",
    "collect_model",
    "backoff_delay",
    "AdaptiveLimiter",
    "Progress",
]


class CollectError(RuntimeError):
    """Collection of a model stopped (the message names the model and the cause)."""


class MissingKeyError(CollectError):
    """The environment variable that should hold the API key is unset or empty."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("valueaudit")
    except Exception:  # noqa: BLE001 - not installed: running from a checkout
        return "dev"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class CollectSettings:
    """Operational settings (``collection`` in the config, ``concurrency`` per model)."""

    max_retries: int = 5
    timeout_s: float = 60.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    repair: bool = True
    concurrency: int = 4
    progress_every_s: float = 5.0
    jitter_seed: int | None = None

    @classmethod
    def from_config(cls, collection: dict | None, spec: dict | None = None,
                    concurrency: int | None = None) -> CollectSettings:
        c = collection or {}
        s = cls()
        for k in ("max_retries", "timeout_s", "backoff_base_s", "backoff_max_s", "repair"):
            if k in c:
                setattr(s, k, c[k])
        conc = concurrency or (spec or {}).get("concurrency") or s.concurrency
        s.concurrency = max(1, int(conc))
        return s


@dataclass
class CollectSummary:
    model_id: str
    planned: int = 0
    done: int = 0
    failed: int = 0
    retries: int = 0
    repairs: int = 0
    requests: int = 0
    elapsed_s: float = 0.0
    model_versions: list = field(default_factory=list)
    stopped: str | None = None

    def line(self) -> str:
        rate = self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (f"[collect] {self.model_id}: {self.done}/{self.planned} sessions done, "
                f"{self.failed} failed, {self.retries} retries, {self.repairs} repairs, "
                f"{self.requests} requests, {rate:.1f} req/s")

    def as_dict(self) -> dict:
        return asdict(self)


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
            self._cond.notify_all()

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
    def __init__(self, spec, instrument, seed, settings, provider, writer, progress, summary):
        self.spec, self.ins, self.seed, self.s = spec, instrument, seed, settings
        self.provider, self.writer, self.progress, self.summary = provider, writer, progress, summary
        self.limiter = AdaptiveLimiter(settings.concurrency)
        self.rng = random.Random(settings.jitter_seed)
        self.run_id = uuid.uuid4().hex[:12]
        self.tag = recollect_tag(spec)
        self.version = _version()
        self.fatal: CallError | None = None

    async def call(self, request: dict, tag: str, slot: _Slot
                   ) -> tuple[Reply | None, list[dict], CallError | None, int]:
        """Send with retries; return (reply, retry history, final error, tries).

        Each try runs holding ``slot`` (one unit of the model's concurrency),
        which is given up only while a backoff is waited out; the caller
        releases it once the record is on disk, so the calls whose answers are
        not yet durable never exceed the concurrency.
        """
        history: list[dict] = []
        tries = 0
        while True:
            tries += 1
            at = utc_now()
            await slot.acquire()
            try:
                self.progress.requests += 1
                self.summary.requests += 1
                reply = await self.provider.send(request, tag)
            except CallError as err:
                if err.fatal:
                    raise
                if not err.retryable or tries > self.s.max_retries:
                    return None, history, err, tries
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
            "prompt_sha256": self.ins.prompt_sha256(st.task),
            "provenance": (f"collected live by valueaudit {self.version} ({self.provider.client_version}) "
                           f"from {self.provider.api} at {self.provider.endpoint}"),
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
        order = item_order(self.ins, st.task, self.seed, self.spec["id"], st.session)
        messages = self.ins.messages(st.task, order)
        request = self.provider.build_request(messages, self.spec.get("params") or {})
        rec = self._base_record(st, order, request)
        rec["started_utc"] = utc_now()
        slot = _Slot(self.limiter)
        try:  # the slot is held until the record is on disk
            reply, history, err, tries = await self.call(request, rec["record_id"], slot)
            self._fill(rec, reply, err, history, tries)
            rec["finished_utc"] = utc_now()
            rec["repair"] = None
            rec["collection"] = {"run_id": self.run_id, "recollect": self.tag, "tries": tries,
                                 "client": self.provider.client_version}
            if reply is not None and st.task != "open" and self.s.repair:
                res = parse_record(rec, self.ins)
                if res.status == "unparseable":
                    rec["repair"] = await self.repair(rec, messages, res.reason, slot)
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


def _api_key(spec: dict, env) -> str:
    name = spec.get("api_key_env")
    if not name:
        raise MissingKeyError(f"models.live '{spec['id']}': api_key_env is empty; name the "
                              "environment variable that holds the API key")
    key = env.get(name)
    if not key:
        raise MissingKeyError(
            f"models.live '{spec['id']}': the environment variable {name} (api_key_env) is not set; "
            f"export {name}=<your key> and run again (the key is read only from {name})")
    return key


def collect_model(spec: dict, instrument: Instrument, raw_path: str | Path, *, seed: int,
                  settings: CollectSettings | None = None, env=None,
                  progress_stream: TextIO | None = sys.stderr, log=None) -> CollectSummary:
    """Collect every missing session of one ``models.live`` entry into ``raw_path``.

    Parameters
    ----------
    spec : the validated ``models.live[]`` entry (id, provider, model, base_url,
        api_key_env, params, sessions, open_sessions, tasks, recollect, path).
    instrument : the loaded instrument (prompts, items, themes).
    raw_path : the model's append-only JSONL file.
    seed : the global seed (item orders derive from it, the model id and the session).
    settings : retries, timeouts, backoff, repair, concurrency.
    env : mapping to read the key from (default ``os.environ``).

    Returns
    -------
    CollectSummary with the sessions planned/done/failed, retries, repairs and requests.

    Raises
    ------
    MissingKeyError before any call if the key variable is unset; CollectError
    if the provider rejects the key or the model (HTTP 401/403/404) - records
    written before that are kept.
    """
    settings = settings or CollectSettings()
    env = os.environ if env is None else env
    summary = CollectSummary(spec["id"])
    t0 = time.monotonic()
    if spec["provider"] == "file":
        from .fileprovider import answers_to_records

        if not spec.get("path"):
            raise CollectError(f"models.live '{spec['id']}': provider file needs path")
        with RawStore(raw_path) as store:
            new = answers_to_records(spec, instrument, seed, spec["path"], store.records,
                                     utc_now(), _version())
            store.append(new)
        summary.planned = summary.done = len(new)
        summary.model_versions = sorted({r["model_version"] for r in new if r["model_version"]})
        summary.elapsed_s = round(time.monotonic() - t0, 3)
        if log:
            log.info("%s: imported %d answers from %s", spec["id"], len(new), spec["path"])
        return summary
    key = _api_key(spec, env)
    provider = make_provider(spec, key, settings.timeout_s)
    del key
    with RawStore(raw_path) as store:
        plan = plan_sessions(spec, store.records)
        summary.planned = len(plan)
        if log:
            log.info("%s: %d records on file, %d sessions to query (%s)", spec["id"],
                     len(store.records), len(plan),
                     ", ".join(f"{t}: {sum(p.task == t for p in plan)}"
                               for t in dict.fromkeys(p.task for p in plan)) or "nothing missing")
        if plan:
            progress = Progress(spec["id"], len(plan), progress_stream, settings.progress_every_s)
            try:
                asyncio.run(_collect(spec, instrument, seed, settings, provider, store, plan,
                                     progress, summary))
            finally:
                progress.update(force=True)
        else:
            asyncio.run(provider.aclose())
    summary.elapsed_s = round(time.monotonic() - t0, 3)
    if log:
        log.info(summary.line())
        if len(summary.model_versions) > 1:
            log.warning("%s: the provider reported several model versions: %s", spec["id"],
                        summary.model_versions)
    return summary


async def _collect(spec, instrument, seed, settings, provider, store, plan, progress, summary):
    writer = GroupCommitWriter(store)
    run = _Run(spec, instrument, seed, settings, provider, writer, progress, summary)
    tasks = [asyncio.create_task(run.session(st)) for st in plan]
    try:
        for fut in asyncio.as_completed(tasks):
            try:
                await fut
            except CallError as err:  # fatal: stop the model, keep what is written
                run.fatal = err
                break
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await writer.drain()
        await provider.aclose()
    if run.fatal is not None:
        err = run.fatal
        summary.stopped = str(err)
        hint = {"auth": "check the key in the environment variable "
                        f"{spec.get('api_key_env')} and that it is valid for {provider.endpoint}",
                "not_found": f"check models.live '{spec['id']}'.model ({spec['model']!r}) and "
                             f"base_url ({provider.endpoint})"}.get(err.kind, "")
        raise CollectError(f"models.live '{spec['id']}': collection stopped after "
                           f"{summary.done} sessions: {err}. {hint}".strip())
