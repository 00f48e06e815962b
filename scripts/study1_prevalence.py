"""Rule study1_prevalence: theme prevalence (overall, per model) and inter-coder reliability."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import prevalence_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=prevalence_step):
    out = prevalence_step(
        pd.read_csv(smk.input.presence, dtype={"response_id": str, "model_id": str}),
        pd.read_csv(smk.input.themes, keep_default_na=False),
        pd.read_csv(smk.input.models, dtype=str, keep_default_na=False),
        rule=smk.params.rule, n_boot=int(smk.params.bootstrap), seed=int(smk.params.seed))
    out.write(smk.output)
