"""Step study3_model of the shard jobs (workflow/rules/models.smk).

Profile fidelity of ONE model against the humans (both formats).

Bootstrap CIs, calibration verdicts, single-session fidelity and the shuffled-label null
(valueaudit.study3.model_step); per-model jobs reproduce one joint bootstrap exactly.
"""

from valueaudit.contracts import write_csv
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3.steps import model_step, model_step_args

smk = snakemake_or_cli(globals())
with log_to(smk, function=model_step):
    out = model_step(**model_step_args(smk))
    for name, frame in out.items():
        write_csv(frame, getattr(smk.output, name))
