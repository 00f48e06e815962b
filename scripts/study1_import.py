"""Rule study1_import: coded data (.qdpx or coding CSV) -> validated coding and presence."""

import pandas as pd

from valueaudit.contracts import read_codebook
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import import_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=import_step):
    codebook = read_codebook(smk.input.codebook, load_instrument(smk.input.instrument))
    answers = smk.input.get("answers") if smk.params.fmt == "csv" else None
    out = import_step(smk.input.source, codebook, pd.read_csv(smk.input.themes),
                      fmt=smk.params.fmt, answers=answers)
    out.write(smk.output)
