"""Rule study3_profiles: human and consensus-LLM theme profiles with 95% CIs (table, figure)."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import profiles_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=profiles_step):
    p, i = smk.params, smk.input
    out = profiles_step(
        pd.read_csv(i.human, keep_default_na=False),
        pd.read_csv(i.fidelity, dtype={"model_id": str}),
        pd.read_csv(i.profiles, dtype={"model_id": str}),
        pd.read_csv(i.themes, keep_default_na=False), load_instrument(i.instrument),
        fmt=str(p.fmt), bootstrap=int(p.bootstrap), seed=int(p.seed),
    )
    out.write(smk.output)
