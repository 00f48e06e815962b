"""Rule study1_codebook: codebook table (theme, definition, codes, segments, exemplar)."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import codebook_table
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    codebook = pd.read_csv(smk.input.codebook, dtype=str, keep_default_na=False)
    themes = pd.read_csv(smk.input.themes, keep_default_na=False)
    coding = pd.read_csv(smk.input.coding, dtype={"segment": str}, keep_default_na=False)
    table = codebook_table(codebook, themes, coding, seed=smk.params.seed)
    display = pd.DataFrame({
        "Theme": table["label"], "Definition": table["definition"],
        "Codes (segments)": table["codes"], "Segments": table["segments"].astype(str),
        "Exemplar": [q if len(q) <= 160 else q[:157] + "..." for q in table["exemplar"]],
    })
    write_table(
        table, smk.output.table[0].removesuffix(".csv"), display=display,
        caption="Study 1 codebook: themes, their definitions and inductive codes, the number "
        "of coded segments (all coders) and one exemplar quote per theme.",
        note="Exemplars are drawn reproducibly (seeded) among the segments coded to the theme "
        "by the most coders.",
    )
    log.info("codebook of %d themes, %d codes, %d segments", len(table),
             int(table["n_codes"].sum()), int(table["segments"].sum()))
