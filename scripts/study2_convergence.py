"""Rule study2_convergence: cross-model W, rho, alpha, Friedman, pairwise tests, consensus."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import convergence_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=convergence_step) as log:
    ins = load_instrument(smk.input.instrument)
    scores = pd.read_csv(smk.input.scores)
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    p = smk.params
    out = convergence_step(scores, models, ins, p.seed, p.response_format, p.min_sessions,
                           p.bootstrap)
    out.write(smk.output)
    log.info("%s", out.log)
