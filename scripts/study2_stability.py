"""Rule study2_stability: per-model stability tables and the stability dot plot."""

import pandas as pd

from valueaudit.shards import model_parts
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import stability_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=stability_step) as log:
    within = model_parts([pd.read_csv(p, keep_default_na=True) for p in smk.input.within],
                         list(smk.params.models))
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    p = smk.params
    out = stability_step(within, models, p.response_format, p.min_sessions, p.tiers)
    out.write(smk.output)
    log.info("%s", out.log)
