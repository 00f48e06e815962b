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

The sessions themselves (steps 3 to 6) run in :mod:`.sessions`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from ..instrument import Instrument
from .budget import BucketFile, RateBudget, budget_limits, budget_name, budget_path
from .providers import CallError, make_provider
from .sessions import AdaptiveLimiter, Progress, _Run, _version, backoff_delay, utc_now
from .store import GroupCommitWriter, RawStore, given_up_sessions, plan_sessions

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
