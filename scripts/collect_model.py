"""Rule collect_model: query the missing sessions of one live model, then write its manifest.

The raw records are appended in place to params.raw (append-only JSONL, not a rule output;
see workflow/rules/collect.smk). Operational settings (retries, timeouts, backoff) are read
from config["collection"], so changing them reruns nothing; what is sent (model, params,
sessions, tasks, repair) comes through params.
"""

import sys

from valueaudit.collect.rules import collect_job
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=collect_job) as log:
    spec = smk.params.spec
    resources = getattr(smk, "resources", None)
    slots = resources.get(f"api_{spec['provider']}") if resources is not None else None
    collect_job(spec, load_instrument(smk.input.instrument), smk.params.raw, smk.params.seed,
                smk.params.repair, (getattr(smk, "config", None) or {}).get("collection", {}),
                slots, smk.output.manifest, log, progress_stream=sys.stderr)
