"""Rule merge_responses: all models' parsed responses -> responses, session scores, statuses."""

import pandas as pd

from valueaudit.contracts import read_responses, write_csv
from valueaudit.datastage import STATUS_TEXT, merge_responses
from valueaudit.instrument import load_instrument
from valueaudit.shards import model_parts
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=merge_responses) as log:
    ins = load_instrument(smk.input.instrument)
    models = list(smk.params.models)
    parts = model_parts([read_responses(p, ins) for p in smk.input.responses], models)
    statuses = model_parts([pd.read_csv(p, dtype=STATUS_TEXT, keep_default_na=False)
                            for p in smk.input.status], models)
    responses, scores, status = merge_responses(parts, statuses, ins)
    write_csv(responses, smk.output.responses)
    write_csv(scores, smk.output.scores)
    write_csv(status, smk.output.status)
    log.info("%d response rows from %d models; %d valid sessions", len(responses), len(parts),
             scores.groupby(["model_id", "format", "session"]).ngroups)
