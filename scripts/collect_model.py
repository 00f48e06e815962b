"""Rule collect_model: query the missing sessions of one live model, then write its manifest.

The raw records are appended in place to params.raw (append-only JSONL, not a
rule output; see workflow/rules/collect.smk). Operational settings (retries,
timeouts, backoff) are read from config["collection"] directly, so changing
them does not rerun anything; what is sent (model, params, sessions, tasks,
repair) comes through params.
"""

import json
import logging
import sys

from valueaudit.collect import CollectSettings, collect_model, manifest
from valueaudit.collect.rules import mark_collected
from valueaudit.contracts import atomic_path
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "anthropic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    spec = dict(smk.params.spec)
    ins = load_instrument(smk.input.instrument)
    collection = dict((getattr(smk, "config", None) or {}).get("collection", {}))
    collection["repair"] = bool(smk.params.repair)
    resources = getattr(smk, "resources", None)
    slots = None
    if resources is not None:
        slots = resources.get(f"api_{spec['provider']}") or None
    settings = CollectSettings.from_config(collection, spec, concurrency=slots)
    log.info("%s: provider %s, model %s, concurrency %d, max_retries %d, timeout %g s",
             spec["id"], spec["provider"], spec["model"], settings.concurrency,
             settings.max_retries, settings.timeout_s)
    summary = collect_model(spec, ins, smk.params.raw, seed=int(smk.params.seed), settings=settings,
                            progress_stream=sys.stderr, log=log)
    doc = manifest(spec, smk.params.raw, settings.max_attempts_per_session)
    with atomic_path(smk.output.manifest) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    left = mark_collected(spec, smk.params.raw, settings.max_attempts_per_session)
    if left:
        log.warning("%s: %d sessions have no answer with text yet (status error); a plain "
                    "`snakemake` queries them again (up to collection.max_attempts_per_session "
                    "= %s tries each)", spec["id"], left, settings.max_attempts_per_session)
    if doc["given_up"]:
        log.warning("%s: %d sessions used every try (collection.max_attempts_per_session) and "
                    "stay missing", spec["id"], doc["given_up"])
