"""Rule study2_macros: key Study 2 numbers as LaTeX macros (former names as aliases)."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import macros_step
from valueaudit.tables import write_macros

smk = snakemake_or_cli(globals())
with log_to(smk, function=macros_step) as log:
    ins = load_instrument(smk.input.instrument)
    read = {k: pd.read_csv(getattr(smk.input, k), keep_default_na=True)
            for k in ("formats", "convergence", "pairwise", "consensus", "selection")}
    out = macros_step(**read, instrument=ins, response_format=smk.params.response_format)
    write_macros(out.macros, smk.output.macros, aliases=out.aliases,
                 header="Study 2 key numbers; generated, do not edit")
    log.info("%s", out.log)
