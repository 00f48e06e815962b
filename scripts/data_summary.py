"""Rule data_summary: per-model sessions and parse statuses; human sample flow."""

import pandas as pd

from valueaudit.datastage import data_summary_tables
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk, function=data_summary_tables) as log:
    models = pd.read_csv(smk.input.models)
    status = pd.read_csv(smk.input.status)
    flow = pd.read_csv(smk.input.flow, keep_default_na=False)
    tables = data_summary_tables(models, status, flow)
    for name, table in tables.items():
        write_table(stem=getattr(smk.output, name)[0].removesuffix(".csv"), **table)
    log.info("summary of %d models; %d analysed humans",
             tables["summary"]["df"]["model_id"].nunique(), int(flow["remaining"].iloc[-1]))
