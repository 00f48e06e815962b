"""Rule study1_cooccurrence: response-level theme co-occurrence (Jaccard)."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import cooccurrence_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=cooccurrence_step):
    out = cooccurrence_step(
        pd.read_csv(smk.input.presence, dtype={"response_id": str, "model_id": str}),
        pd.read_csv(smk.input.themes, keep_default_na=False), rule=smk.params.rule)
    out.write(smk.output)
