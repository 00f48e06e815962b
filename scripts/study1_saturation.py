"""Rule study1_saturation: distinct codes against responses analysed over random orders."""

import logging

import pandas as pd

from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import plot_saturation, saturation, table_saturation, write_frame
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    sources = pd.read_csv(smk.input.sources, dtype={"response_id": str})
    coding = pd.read_csv(smk.input.coding, dtype={"response_id": str, "code": str},
                         keep_default_na=False)
    curve, summary = saturation(coding, sources, n_orders=int(smk.params.orders),
                                seed=int(smk.params.seed), threshold=float(smk.params.threshold))
    write_frame(curve, smk.output.curve)
    full, display = table_saturation(summary)
    write_table(full, smk.output.table[0].removesuffix(".csv"), display=display,
                caption="Study 1: code saturation.",
                note=f"Distinct codes (any coder) against responses analysed, over "
                f"{summary['n_orders']} random orders of the responses (seed {smk.params.seed}).")
    setup()
    save_figure(plot_saturation(curve, summary), smk.output.figure[0].removesuffix(".pdf"))
    log.info("saturation: %s", summary)
