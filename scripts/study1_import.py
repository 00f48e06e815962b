"""Rule study1_import: coded data (.qdpx or coding CSV) -> validated coding and presence."""

import pandas as pd

from valueaudit.contracts import read_codebook
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import load_coding, presence_table, write_frame

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    codebook = read_codebook(smk.input.codebook, ins)
    answers = smk.input.get("answers") if smk.params.fmt == "csv" else None
    sources, coding = load_coding(smk.input.source, smk.params.fmt, codebook, answers=answers)
    themes = pd.read_csv(smk.input.themes)
    presence = presence_table(coding, sources, themes["theme"])
    out_sources = sources[["response_id", "model_id", "prompt_id"]].copy()
    out_sources["n_characters"] = sources["text"].str.len().astype("int64")
    write_frame(out_sources, smk.output.sources)
    write_frame(coding, smk.output.coding)
    write_frame(presence, smk.output.presence)
    log.info("%s (%s): %d answers of %d models, %d coded segments by %d coder(s) %s",
             smk.input.source, smk.params.fmt, len(sources), sources["model_id"].nunique(),
             len(coding), coding["coder"].nunique(), sorted(coding["coder"].unique()))
