"""Rule study2_macros: key Study 2 numbers as LaTeX macros."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import study2_macros
from valueaudit.tables import write_macros

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    read = {k: pd.read_csv(getattr(smk.input, k), keep_default_na=True)
            for k in ("formats", "convergence", "pairwise", "consensus", "selection")}
    values = study2_macros(read["formats"], read["convergence"], read["pairwise"],
                           read["consensus"], read["selection"], smk.params.response_format,
                           ins.label_of())
    write_macros(values, smk.output.macros, header="Study 2 key numbers; generated, do not edit")
    log.info("%d macros", len(values))
