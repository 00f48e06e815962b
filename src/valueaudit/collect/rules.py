"""Helpers that ``workflow/rules/collect.smk`` calls (kept here so the rule file holds rules only).

Every function takes the validated ``models.live[]`` entry (``spec``) and,
where needed, the ``collection`` config section, and returns plain values
for the rule's params and resources.

Rerunning a model with sessions still to query: Snakemake records a job's
params before it runs but the checksums of its input files after it ran.
:func:`pending_marker` (an input of ``collect_model``) keeps a small file,
``<raw_dir>/.state/<id>.pending.json``, that names the sessions the planner
would query now (no answer with text yet, tries left under
``max_attempts_per_session``). The collector rewrites it when it ends
(:func:`mark_collected`): with exactly the planner's bytes when nothing is
left to query, and with other bytes when something is. At the next
``snakemake`` the planner's view then differs from the recorded checksum
exactly when sessions are still to query, the file is rewritten (newer than
the manifest, new checksum) and collect_model runs again; a fully collected
model (or one whose failing sessions have used every try) does not.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["rule_params", "slots", "runtime_minutes", "requests_to_send", "key_warnings",
           "pending_path", "pending_marker", "mark_collected", "plan_message", "collect_job",
           "usage_report", "QUIET_LOGGERS"]

#: HTTP client loggers kept at WARNING during a collection (one INFO line per request)
QUIET_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "anthropic")

#: the keys of a live-model entry that decide what is sent; a change to any of
#: them reruns collect_model (metadata and concurrency do not)
SENT_KEYS = ("id", "provider", "model", "base_url", "api_key_env", "params", "sessions",
             "open_sessions", "tasks", "recollect", "path", "format", "select")


def rule_params(spec: Mapping) -> dict:
    """The part of a live-model entry that decides what is sent (params of collect_model)."""
    return {k: spec.get(k) for k in SENT_KEYS}


def slots(spec: Mapping, collection: Mapping, provider: str) -> int:
    """Parallel requests of the model's job, held as resource ``api_<provider>``
    (0 for another provider): its concurrency, capped by
    ``collection.provider_concurrency[provider]``."""
    if spec["provider"] != provider:
        return 0
    cap = (collection.get("provider_concurrency") or {}).get(provider)
    conc = int(spec.get("concurrency") or 1)
    return min(conc, int(cap)) if cap else conc


def runtime_minutes(spec: Mapping) -> int:
    """Minutes to allow the job: 30 s per session over the concurrency, plus 10."""
    n = sum(int(spec.get("open_sessions", 0)) if t == "open" else int(spec.get("sessions", 0))
            for t in spec.get("tasks", []))
    return 10 + (n * 30) // (60 * max(1, int(spec.get("concurrency") or 1)))


def _records(raw_path) -> list[dict]:
    from .store import read_records

    try:
        return read_records(raw_path)
    except (OSError, ValueError):
        return []


def _plan(spec: Mapping, raw_path, max_attempts: int | None):
    from .store import plan_sessions

    return plan_sessions(dict(spec), _records(raw_path), max_attempts)


def requests_to_send(spec: Mapping, raw_path: str, max_attempts: int | None = None) -> int:
    """Sessions the next collection would query (one request each before retries
    and repairs); 0 for a file model. Unreadable files count as empty."""
    if spec["provider"] == "file":
        return 0
    return len(_plan(spec, raw_path, max_attempts))


def pending_path(raw_path: str | Path) -> Path:
    """The pending-sessions marker of a model's raw-record file."""
    raw_path = Path(raw_path)
    return raw_path.parent / ".state" / f"{raw_path.stem}.pending.json"


def _pending_doc(spec: Mapping, raw_path, max_attempts, after_run: bool) -> bytes:
    plan = _plan(spec, raw_path, max_attempts)
    doc = {"model_id": spec["id"], "pending": len(plan)}
    if plan:
        doc["sessions"] = [[p.task, p.session, p.attempt] for p in plan]
        if after_run:
            doc["state"] = "left after the last collection run"
    return (json.dumps(doc, sort_keys=True) + "\n").encode("utf-8")


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    from ..contracts import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)


def pending_marker(spec: Mapping, raw_path: str, max_attempts: int | None = None) -> list[str]:
    """Input of collect_model: the marker naming the sessions to query now (see the
    module docstring); ``[]`` for a file model."""
    if spec["provider"] == "file":
        return []
    path = pending_path(raw_path)
    try:
        _write_if_changed(path, _pending_doc(spec, raw_path, max_attempts, after_run=False))
    except OSError:  # a read-only raw folder: no rerun trigger, collection itself still works
        return [str(path)] if path.exists() else []
    return [str(path)]


def mark_collected(spec: Mapping, raw_path: str, max_attempts: int | None = None) -> int:
    """End of a collection: record what is left to query; returns that number."""
    if spec["provider"] == "file":
        return 0
    data = _pending_doc(spec, raw_path, max_attempts, after_run=True)
    _write_if_changed(pending_path(raw_path), data)
    return json.loads(data)["pending"]


@functools.lru_cache(maxsize=4)
def _instrument(path: str):
    from ..instrument import load_instrument

    return load_instrument(path)


def plan_message(spec: Mapping, raw_path: str, collection: Mapping, instrument_path: str,
                 seed: int) -> str:
    """One line for the job's message (``snakemake -n`` prints it): the sessions
    without an answer the job would query, per task, and their tokens and cost."""
    from .usage import plan_cost

    if spec["provider"] == "file":
        return f"import answers from {spec.get('path')} ({spec.get('format') or 'jsonl'})"
    recs = _records(raw_path)
    from .store import plan_sessions

    plan = plan_sessions(dict(spec), recs, collection.get("max_attempts_per_session"))
    if not plan:
        return "no session without an answer"
    tasks = ", ".join(f"{t} {sum(p.task == t for p in plan)}"
                      for t in dict.fromkeys(p.task for p in plan))
    retry = sum(p.attempt > 1 for p in plan)
    tin, tout, cost = plan_cost(spec, plan, recs, _instrument(str(instrument_path)), seed,
                                (collection.get("prices") or {}).get(spec["id"]))
    cost_txt = "no price in collection.prices" if math.isnan(cost) else f"about ${cost:.4f}"
    return (f"{len(plan)} sessions without an answer ({tasks}; {retry} of them asked again), "
            f"~{tin:,} input + ~{tout:,} output tokens, {cost_txt}")


def key_warnings(specs: Iterable[Mapping], env: Mapping | None = None) -> list[str]:
    """One warning per live model whose key variable is unset (names the variable, never a value)."""
    env = os.environ if env is None else env
    out = []
    for m in specs:
        var = m.get("api_key_env")
        if m["provider"] != "file" and var and not env.get(var):
            out.append(f"valueaudit: models.live '{m['id']}': environment variable {var} is not set; "
                       "collect_model for this model will fail (other models proceed with --keep-going)")
    return out


def collect_job(spec: Mapping, instrument, raw_path: str, seed: int, repair: bool,
                collection: Mapping, slots: int | None, manifest_path: str, log,
                progress_stream=None) -> dict:
    """The collect_model job: query the missing sessions of ``spec``, write its manifest.

    ``collection`` is config ``collection`` (retries, timeouts and backoff are read from it);
    ``repair`` and ``slots`` (the job's ``api_<provider>`` resource, None outside Snakemake)
    override it. Records are appended to ``raw_path``; the manifest goes to ``manifest_path``
    (atomically) and is returned. The pending marker is rewritten after the manifest
    (:func:`mark_collected`: the order keeps the rerun rule described above), and ``log``
    warns about sessions still without an answer.
    """
    import logging

    from ..contracts import atomic_path
    from . import CollectSettings, collect_model, manifest

    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = CollectSettings.from_config({**collection, "repair": bool(repair)}, dict(spec),
                                           concurrency=slots or None)
    log.info("%s: provider %s, model %s, concurrency %d, max_retries %d, timeout %g s",
             spec["id"], spec["provider"], spec["model"], settings.concurrency,
             settings.max_retries, settings.timeout_s)
    collect_model(dict(spec), instrument, raw_path, seed=int(seed), settings=settings,
                  progress_stream=progress_stream, log=log)
    doc = manifest(dict(spec), raw_path, settings.max_attempts_per_session)
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    left = mark_collected(spec, raw_path, settings.max_attempts_per_session)
    if left:
        log.warning("%s: %d sessions have no answer with text yet (status error); a plain "
                    "`snakemake` queries them again (up to collection.max_attempts_per_session "
                    "= %s tries each)", spec["id"], left, settings.max_attempts_per_session)
    if doc["given_up"]:
        log.warning("%s: %d sessions used every try (collection.max_attempts_per_session) and "
                    "stay missing", spec["id"], doc["given_up"])
    return doc


def usage_report(raw_paths: Iterable[str], prices: Mapping | None) -> dict:
    """The usage table of the live models (``tables.write_table`` keyword arguments).

    Token usage, requests and cost per model (the stem of each raw file) and in total;
    ``df``, its ``caption``, column ``kinds`` and ``note`` (how many models are priced).
    """
    from . import read_records, usage_table

    by_model = {Path(p).stem: read_records(p) for p in raw_paths}
    prices = dict(prices or {})
    priced = [m for m in by_model if m in prices]
    return {
        "df": usage_table(by_model, prices),
        "caption": "Requests, tokens and cost of the live collection, per model and in total.",
        "kinds": {"sessions": "int", "records": "int", "requests": "int", "repairs": "int",
                  "input_tokens": "int", "output_tokens": "int", "cost_usd": "d3"},
        "note": ("Requests count every HTTP try (retries and repair requests included). Tokens "
                 "as reported by the providers. Cost in USD from collection.prices "
                 f"({len(priced)} of {len(by_model)} models priced; NA = no price)."),
    }
