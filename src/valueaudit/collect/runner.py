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
   try goes into the record's ``retries`` list. A 200 without answer text (no
   choices, Anthropic ``content: []``, empty or blank text) is a failed try of
   kind ``empty_response`` like any fault. A session's tries over all runs are
   capped by ``max_attempts_per_session``; with a request/token budget
   (:mod:`.budget`) every try first waits for its share of the provider's
   per-minute limits, shared with every other collector on the host;
   a 401/403 stops the model at once: no further request is sent, the
   scheduled ones are cancelled, and the error names the key variable;
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
import json
import logging
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
from .budget import BucketFile, RateBudget, budget_limits, budget_name, budget_path
from .providers import CallError, Reply, make_provider
from .store import (
    GroupCommitWriter,
    RawStore,
    SessionTask,
    given_up_sessions,
    is_empty_reply,
    plan_sessions,
    recollect_tag,
)
from .usage import token_counts

_log = logging.getLogger("valueaudit.collect")

#: what to do after ``kill -9`` of a Snakemake run (its lock stays behind)
UNLOCK_HINT = ("if a previous run was killed, Snakemake's lock stays behind: run "
               "`snakemake --unlock` once, then the same command again (collected records are kept)")

__all__ = [
    "CollectSettings",
    "CollectSummary",
    "CollectError",
    "MissingKeyError",
    "collect_model",
    "backoff_delay",
    "AdaptiveLimiter",
    "Progress",
    "UNLOCK_HINT",
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
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


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
    #: every HTTP try of one session in one round (retries, reruns), at most
    max_attempts_per_session: int | None = 18
    #: ``{"requests": per minute, "tokens": per minute, "burst_s": s}`` or None
    rate_limits: dict | None = None
    #: folder of the shared budget state files (default: ``<raw dir>/.state``)
    state_dir: str | None = None

    @classmethod
    def from_config(cls, collection: dict | None, spec: dict | None = None,
                    concurrency: int | None = None) -> CollectSettings:
        c = collection or {}
        s = cls()
        for k in ("max_retries", "timeout_s", "backoff_base_s", "backoff_max_s", "repair",
                  "max_attempts_per_session", "state_dir"):
            if k in c:
                setattr(s, k, c[k])
        conc = concurrency or (spec or {}).get("concurrency") or s.concurrency
        s.concurrency = max(1, int(conc))
        if spec is not None:
            s.rate_limits = budget_limits(c, spec)
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
    empty: int = 0  # replies without answer text (tries)
    given_up: int = 0  # sessions without an answer that reached max_attempts_per_session
    budget_wait_s: float = 0.0

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


def _api_key(spec: dict, env) -> str:
    name = spec.get("api_key_env")
    if not name:
        if spec.get("base_url") and spec["provider"] == "openai":
            return ""  # a local OpenAI-compatible server (vLLM, Ollama, llama.cpp): no key
        raise MissingKeyError(f"models.live '{spec['id']}': api_key_env is empty; name the "
                              "environment variable that holds the API key (only a local "
                              "OpenAI-compatible server, given by base_url, needs no key)")
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
    cap = settings.max_attempts_per_session
    try:
        store_cm = RawStore(raw_path)
        store = store_cm.__enter__()
    except BaseException:
        asyncio.run(provider.aclose())
        raise
    budget = None
    try:
        plan = plan_sessions(spec, store.records, cap)
        summary.planned = len(plan)
        log = log or _log
        log.info("%s: %d records on file, %d sessions to query (%s)", spec["id"],
                 len(store.records), len(plan),
                 ", ".join(f"{t}: {sum(p.task == t for p in plan)}"
                           for t in dict.fromkeys(p.task for p in plan)) or "nothing missing")
        if plan and settings.rate_limits:
            lim = dict(settings.rate_limits)
            burst = lim.pop("burst_s", 1.0)
            state_dir = settings.state_dir or Path(raw_path).parent / ".state"
            budget = RateBudget(BucketFile(budget_path(state_dir, budget_name(spec)), lim, burst))
            log.info("%s: budget '%s': %s per minute, shared by every collector using %s",
                     spec["id"], budget_name(spec),
                     ", ".join(f"{v:g} {k}" for k, v in lim.items()), budget.bucket.path)
        if plan:
            log.info("%s: every answer is on disk as soon as it arrives; an interrupted run is "
                     "resumed by running the same command again (%s)", spec["id"], UNLOCK_HINT)
            progress = Progress(spec["id"], len(plan), progress_stream, settings.progress_every_s)
            try:
                asyncio.run(_collect(spec, instrument, seed, settings, provider, store, plan,
                                     progress, summary, budget, log))
            finally:
                progress.update(force=True)
        else:
            asyncio.run(provider.aclose())
        given_up = given_up_sessions(spec, store.records, cap)
    finally:
        store_cm.__exit__(None, None, None)
        if budget is not None:
            summary.budget_wait_s = round(budget.waited_s, 3)
            budget.close()
    summary.given_up = len(given_up)
    summary.elapsed_s = round(time.monotonic() - t0, 3)
    log.info(summary.line())
    if summary.empty:
        log.warning("%s: %d replies carried no answer text (empty_response); they were retried "
                    "like faults and count as missing until a reply has text", spec["id"],
                    summary.empty)
    if given_up:
        log.warning("%s: %d sessions have no answer after max_attempts_per_session (%s) tries "
                    "and are not queried again (raise collection.max_attempts_per_session to try "
                    "again): %s", spec["id"], len(given_up), cap,
                    ", ".join(f"{t} {s}" for t, s in given_up))
    if len(summary.model_versions) > 1:
        log.warning("%s: the provider reported several model versions: %s", spec["id"],
                    summary.model_versions)
    return summary


_HINTS = {
    "auth": "check the key in the environment variable {var} (api_key_env) and that it is "
            "valid for {endpoint}; no further request was sent for this model",
    "not_found": "check models.live '{id}'.model ({model!r}) and base_url ({endpoint})",
}


async def _collect(spec, instrument, seed, settings, provider, store, plan, progress, summary,
                   budget=None, log=None):
    writer = GroupCommitWriter(store)
    run = _Run(spec, instrument, seed, settings, provider, writer, progress, summary, budget, log)
    run.tasks = [asyncio.create_task(run.session(st)) for st in plan]
    try:
        for fut in asyncio.as_completed(run.tasks):
            try:
                await fut
            except CallError as err:  # fatal: stop the model, keep what is written
                run._stop_all(err)
                break
            except asyncio.CancelledError:
                if run.fatal is not None:
                    break
                raise
    finally:
        for t in run.tasks:
            t.cancel()
        await asyncio.gather(*run.tasks, return_exceptions=True)
        await writer.drain()
        await provider.aclose()
    if run.fatal is not None:
        err = run.fatal
        summary.stopped = str(err)
        var = spec.get("api_key_env")
        if err.kind == "auth" and not var:
            hint = (f"the server at {provider.endpoint} wants a key: set models.live "
                    f"'{spec['id']}'.api_key_env to the environment variable that holds it; no "
                    "further request was sent for this model")
        else:
            hint = _HINTS.get(err.kind, "").format(var=var, endpoint=provider.endpoint,
                                                    id=spec["id"], model=spec["model"])
        raise CollectError(f"models.live '{spec['id']}': collection stopped after "
                           f"{summary.done} sessions: {err}. {hint}".strip()
                           + f". The records written are kept; fix the cause and run the same "
                           f"command again ({UNLOCK_HINT})")
