"""Rule study1_codebook: codebook table (theme, definition, codes, segments, exemplar)."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import codebook_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=codebook_step):
    out = codebook_step(
        pd.read_csv(smk.input.codebook, dtype=str, keep_default_na=False),
        pd.read_csv(smk.input.themes, keep_default_na=False),
        pd.read_csv(smk.input.coding, dtype={"segment": str}, keep_default_na=False),
        seed=smk.params.seed)
    out.write(smk.output)
