"""Rule study3_leaderboard: the fidelity leaderboard, the reference points, the
respondent-level comparison, the forest plot and the ordering-exaggeration plot."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import leaderboard_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=leaderboard_step):
    p, i = smk.params, smk.input
    out = leaderboard_step(
        pd.read_csv(i.fidelity, dtype={"model_id": str, "tier": str}),
        pd.read_csv(i.models, dtype=str, keep_default_na=False),
        pd.read_csv(i.sessions, dtype={"model_id": str}), pd.read_csv(i.reference),
        pd.read_csv(i.loo, dtype={"respondent_id": str}),
        pd.read_csv(i.themes, keep_default_na=False),
        fmt=str(p.fmt), tiers=list(p.tiers), boot_seed=int(p.boot_seed),
    )
    out.write(smk.output)
