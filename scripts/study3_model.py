"""Rule study3_model: profile fidelity of ONE model against the humans (both formats).

Bootstrap CIs and calibration verdicts (valueaudit.fidelity.bootstrap_fidelity), single-session
fidelity and the shuffled-label null; the human resamples depend only on the seed,
so per-model jobs reproduce one joint (paired) bootstrap exactly.
"""

import pandas as pd

from valueaudit.contracts import read_responses, write_csv
from valueaudit.instrument import FORMATS, load_instrument
from valueaudit.profiles import theme_scores
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import model_fidelity, session_matrices, unit_matrix

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    themes = ins.theme_ids
    responses = read_responses(smk.input.responses, ins)
    model_id = str(smk.wildcards.model)
    ids = set(responses["model_id"].astype(str))
    if ids - {model_id}:
        raise ValueError(f"{smk.input.responses}: responses of {sorted(ids)}, expected {model_id}")
    scores = pd.concat([theme_scores(responses, ins, ["model_id", "session"], f) for f in FORMATS],
                       ignore_index=True)
    hs = pd.read_csv(smk.input.humans, dtype={"respondent_id": str})
    humans = {f: unit_matrix(hs, themes, "respondent_id", f).to_numpy() for f in FORMATS}
    p = smk.params
    out = model_fidelity(
        model_id, session_matrices(scores, themes), humans, themes, n_boot=int(p.bootstrap),
        seed=int(p.seed), bias_correct=bool(p.bias_correct), fidelity_ci=str(p.fidelity_ci),
        boot_bias_correct=bool(p.boot_bias_correct),
        calibration_margin=float(p.calibration_margin),
        n_perm=int(p.null_permutations), null_seed=int(p.null_seed),
    )
    write_csv(out["fidelity"], smk.output.fidelity)
    write_csv(out["sessions"], smk.output.sessions)
    write_csv(out["profile"], smk.output.profile)
    for _, r in out["fidelity"].iterrows():
        log.info("%s %s: %s sessions, fidelity %.3f [%.3f, %.3f], ln k %.3f, verdict %s", model_id,
                 r["format"], r["n_sessions"], r.get("fidelity", float("nan")),
                 r.get("fidelity_lo", float("nan")), r.get("fidelity_hi", float("nan")),
                 r.get("exaggeration", float("nan")), r["flag"])
