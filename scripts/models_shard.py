"""Rule models_shard_N: the per-model steps of one shard of the models, in one process.

Each model's parse, Study 1 answers, Study 2 within-model and Study 3 per-model steps run
as their rule scripts would in their own jobs (valueaudit.shards.run_shard), writing the
same per-model outputs, logs and lineage records; then the shard's tables (the rows of its
models' files, one table per kind) and their lineage record (valueaudit.shards.write_shard_tables).
"""

from valueaudit.shards import run_shard, shard_steps, write_shard_tables
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=run_shard) as log:
    jobs = shard_steps(smk.params.models, smk.params.layout, smk.params.live)
    done = run_shard(jobs, smk.config, smk.threads)
    log.info("%s: %s", smk.rule, ", ".join(f"{n} {k}" for k, n in done.items()))
    tables = {kind: getattr(smk.output, kind) for kind in smk.params.tables}
    rows = write_shard_tables(jobs, tables, smk.output.tables_lineage, smk.rule)
    log.info("tables: %s", ", ".join(f"{k} ({n} models)" for k, n in rows.items()))
