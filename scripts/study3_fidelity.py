"""Rule study3_fidelity: gather the per-model fidelity, add metadata, the analysed flag,
the human reference points (noise ceiling, leave-one-out humans) and human percentiles."""

import pandas as pd

from valueaudit.contracts import read_models, write_csv
from valueaudit.instrument import FORMATS
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import assemble_fidelity, reference_points, unit_matrix

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    themes = pd.read_csv(smk.input.themes, keep_default_na=False)["theme"].astype(str).tolist()
    models = read_models(smk.input.models, list(p.tiers))
    per = pd.concat([pd.read_csv(f) for f in smk.input.fidelity], ignore_index=True)
    sessions = pd.concat([pd.read_csv(f) for f in smk.input.sessions], ignore_index=True)
    profiles = pd.concat([pd.read_csv(f) for f in smk.input.profile], ignore_index=True)
    hs = pd.read_csv(smk.input.humans, dtype={"respondent_id": str})
    refs, loos, loo_vals = [], [], {}
    for fmt in FORMATS:
        X = unit_matrix(hs, themes, "respondent_id", fmt)
        if len(X) < 4:
            log.warning("format %s: %d respondents, no reference points", fmt, len(X))
            continue
        ceil, loo = reference_points(X.to_numpy(), n_splits=int(p.noise_ceiling_splits),
                                     seed=int(p.seed))
        refs.append({"format": fmt, **ceil})
        loo.insert(0, "respondent_id", X.index.to_numpy()[loo["row"].to_numpy()])
        loo.insert(0, "format", fmt)
        loos.append(loo.drop(columns="row"))
        loo_vals[fmt] = loo["fidelity"].to_numpy()
    fidelity = assemble_fidelity(per, models, loo_vals, int(p.min_sessions), len(themes))
    sessions = sessions.sort_values(["format", "model_id", "session"], kind="mergesort")
    profiles = profiles.sort_values(["format", "model_id"], kind="mergesort")
    write_csv(fidelity, smk.output.fidelity)
    write_csv(sessions, smk.output.sessions)
    write_csv(profiles, smk.output.profiles)
    write_csv(pd.DataFrame(refs), smk.output.reference)
    write_csv(pd.concat(loos, ignore_index=True), smk.output.loo)
    for fmt in FORMATS:
        f = fidelity[fidelity["format"] == fmt]
        an = f[f["analysed"]]
        log.info("%s: %d models, %d analysed, %d exaggerate, %d flatten", fmt, len(f), len(an),
                 int((an["flag"] == "exaggerates").sum()), int((an["flag"] == "flattens").sum()))
