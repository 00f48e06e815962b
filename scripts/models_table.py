"""Rule models_table: validate the model metadata and add the live models' metadata."""

from valueaudit.contracts import write_csv
from valueaudit.datastage import models_with_live
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=models_with_live) as log:
    table, n_live = models_with_live(smk.input.table, smk.params.tiers, smk.params.live)
    write_csv(table, smk.output.models)
    log.info("%d models (%d live)", len(table), n_live)
