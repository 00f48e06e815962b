"""Rule study3_agency: the focal theme (Agency) in humans and models."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import agency_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=agency_step):
    p, i = smk.params, smk.input
    out = agency_step(
        pd.read_csv(i.humans, dtype={"respondent_id": str}),
        pd.read_csv(i.fidelity, dtype={"model_id": str}),
        pd.read_csv(i.profiles, dtype={"model_id": str}),
        pd.read_csv(i.themes, keep_default_na=False), fmt=str(p.fmt), focal=str(p.focal),
    )
    out.write(smk.output)
