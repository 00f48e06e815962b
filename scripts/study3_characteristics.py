"""Rule study3_characteristics: fidelity against size, release date and tier."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import characteristics_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=characteristics_step):
    p = smk.params
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str, "tier": str,
                                                      "release_date": str})
    out = characteristics_step(fidelity, fmt=str(p.fmt), tiers=list(p.tiers), seed=int(p.seed))
    out.write(smk.output)
