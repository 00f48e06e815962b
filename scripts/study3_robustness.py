"""Rule study3_robustness: leaderboards under alternative indices and the other response
format, with Kendall's tau-b between leaderboards."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import robustness_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=robustness_step):
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str})
    out = robustness_step(fidelity, fmt=str(smk.params.fmt))
    out.write(smk.output)
