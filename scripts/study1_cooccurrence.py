"""Rule study1_cooccurrence: response-level theme co-occurrence (Jaccard)."""

import logging

import pandas as pd

from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import cooccurrence, plot_cooccurrence, table_cooccurrence
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    presence = pd.read_csv(smk.input.presence, dtype={"response_id": str, "model_id": str})
    themes = pd.read_csv(smk.input.themes, keep_default_na=False)
    cooc = cooccurrence(presence, rule=smk.params.rule)
    write_table(cooc, smk.output.table[0].removesuffix(".csv"),
                display=table_cooccurrence(cooc, themes),
                caption="Study 1: theme co-occurrence at response level (Jaccard index).",
                note=f"Jaccard index of the sets of responses in which each theme is present; "
                f"coders combined by the '{smk.params.rule}' rule"
                + (" (index averaged over coders)." if smk.params.rule == "mean" else "."))
    setup()
    save_figure(plot_cooccurrence(cooc, themes), smk.output.figure[0].removesuffix(".pdf"))
    log.info("co-occurrence of %d themes", len(themes))
