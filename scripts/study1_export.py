"""Rule study1_export: the open-ended answers as a REFI-QDA project and a CSV for coders."""

import pandas as pd

from valueaudit.contracts import read_codebook
from valueaudit.instrument import load_instrument
from valueaudit.shards import model_parts
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import export_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=export_step):
    codebook = read_codebook(smk.input.codebook, load_instrument(smk.input.instrument))
    parts = model_parts([pd.read_csv(p, dtype={"text": str, "model_version": str},
                                     keep_default_na=False) for p in smk.input.answers],
                        list(smk.params.models))
    export_step(parts, codebook, smk.output.qdpx, smk.output.csv)
