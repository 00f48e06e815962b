"""Rule study3_humans: the human reference (sample flow, demographics, theme profile with
bootstrap CIs and ranks, Friedman test and Holm-corrected pairwise Wilcoxon tests)."""

import pandas as pd

from valueaudit.contracts import read_respondents
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import humans_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=humans_step):
    p, i = smk.params, smk.input
    out = humans_step(
        pd.read_csv(i.humans, dtype={"respondent_id": str}),
        pd.read_csv(i.flow, keep_default_na=False),
        read_respondents(i.respondents, list(p.demographics)),
        pd.read_csv(i.themes, keep_default_na=False), fmt=str(p.fmt),
        bootstrap=int(p.bootstrap), seed=int(p.seed), demographics=list(p.demographics),
    )
    out.write(smk.output)
