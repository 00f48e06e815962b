"""Rule study1_saturation: distinct codes against responses analysed over random orders."""

import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import saturation_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=saturation_step):
    out = saturation_step(
        pd.read_csv(smk.input.coding, dtype={"response_id": str, "code": str},
                    keep_default_na=False),
        pd.read_csv(smk.input.sources, dtype={"response_id": str}),
        n_orders=int(smk.params.orders), seed=int(smk.params.seed),
        threshold=float(smk.params.threshold))
    out.write(smk.output)
