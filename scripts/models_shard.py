"""Rule models_shard_N: the per-model steps of one shard of the models, in one process.

Each model's parse, Study 1 answers, Study 2 within-model and Study 3 per-model steps run
as their rule scripts would in their own jobs (valueaudit.shards.run_shard), writing the
same per-model outputs, logs and lineage records.
"""

from valueaudit.shards import run_shard
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=run_shard) as log:
    done = run_shard(list(smk.params.jobs), smk.config, smk.threads)
    log.info("%s: %s", smk.rule, ", ".join(f"{n} {k}" for k, n in done.items()))
