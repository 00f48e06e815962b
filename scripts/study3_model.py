"""Step study3_model of the shard jobs (workflow/rules/models.smk).

Profile fidelity of ONE model against the humans (both formats).

Bootstrap CIs, calibration verdicts, single-session fidelity and the shuffled-label null
(valueaudit.study3.model_step); per-model jobs reproduce one joint bootstrap exactly.
"""

import pandas as pd

from valueaudit.contracts import read_responses, write_csv
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import model_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=model_step):
    p = smk.params
    ins = load_instrument(smk.input.instrument)
    out = model_step(
        str(smk.wildcards.model), read_responses(smk.input.responses, ins), ins,
        pd.read_csv(smk.input.humans, dtype={"respondent_id": str}),
        source=str(smk.input.responses), bootstrap=int(p.bootstrap), seed=int(p.seed),
        bias_correct=bool(p.bias_correct), fidelity_ci=str(p.fidelity_ci),
        boot_bias_correct=bool(p.boot_bias_correct),
        calibration_margin=float(p.calibration_margin),
        null_permutations=int(p.null_permutations), null_seed=int(p.null_seed),
    )
    for name, frame in out.items():
        write_csv(frame, getattr(smk.output, name))
