"""Rule study3_fidelity: gather the per-model fidelity, add metadata, the analysed flag,
the human reference points (noise ceiling, leave-one-out humans) and human percentiles."""

import pandas as pd

from valueaudit.contracts import read_models, write_csv
from valueaudit.shards import model_parts
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import fidelity_step


def concat(files, models):
    """The rows of every model, in the order of ``models``, from the shards' tables."""
    return pd.concat(model_parts([pd.read_csv(f) for f in files], models), ignore_index=True)


smk = snakemake_or_cli(globals())
with log_to(smk, function=fidelity_step):
    p, i = smk.params, smk.input
    models = list(p.models)
    themes = pd.read_csv(i.themes, keep_default_na=False)["theme"].astype(str).tolist()
    out = fidelity_step(
        concat(i.fidelity, models), concat(i.sessions, models), concat(i.profile, models),
        read_models(i.models, list(p.tiers)),
        pd.read_csv(i.humans, dtype={"respondent_id": str}), themes,
        min_sessions=int(p.min_sessions), noise_ceiling_splits=int(p.noise_ceiling_splits),
        seed=int(p.seed),
    )
    for name, frame in out.items():
        write_csv(frame, getattr(smk.output, name))
