"""Rule study1_export: the open-ended answers as a REFI-QDA project and a CSV for coders."""

import pandas as pd

from valueaudit.contracts import read_codebook
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import export_answers

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    codebook = read_codebook(smk.input.codebook, ins)
    parts = [pd.read_csv(p, dtype={"text": str, "model_version": str}, keep_default_na=False)
             for p in smk.input.answers]
    answers = pd.concat(parts, ignore_index=True).sort_values(
        ["model_id", "prompt_id", "session"], kind="mergesort").reset_index(drop=True)
    export_answers(answers, smk.output.qdpx, smk.output.csv, codebook=codebook)
    log.info("exported %d answers of %d models (prompts %s) with %d codes",
             len(answers), answers["model_id"].nunique(), sorted(answers["prompt_id"].unique()),
             len(codebook))
