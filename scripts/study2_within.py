"""Step study2_within of the shard jobs (workflow/rules/models.smk).

One model's within-model stability (ICC, W, rho, parse rates) per format.
"""

import pandas as pd

from valueaudit.contracts import read_responses, write_csv
from valueaudit.instrument import FORMATS, load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import within_model_table

smk = snakemake_or_cli(globals())
with log_to(smk, function=within_model_table) as log:
    ins = load_instrument(smk.input.instrument)
    responses = read_responses(smk.input.responses, ins)
    status = pd.read_csv(smk.input.status)
    table = within_model_table(responses, status, ins, int(smk.params.min_sessions), FORMATS)
    write_csv(table, smk.output.within)
    for _, r in table.iterrows():
        log.info("%s %s: %d/%d valid sessions, ICC(A,1) %.3f, W %.3f %s", r["model_id"],
                 r["format"], r["n_valid"], r["n_sessions"], r["icc_a1"], r["w"], r["note"])
