"""Rule study2_clusters: Ward clustering of centred profiles, heatmap with dendrogram, 2-D map."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import clusters_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=clusters_step) as log:
    ins = load_instrument(smk.input.instrument)
    scores = pd.read_csv(smk.input.scores)
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    p = smk.params
    out = clusters_step(scores, models, ins, p.response_format, p.min_sessions, p.max_clusters)
    out.write(smk.output)
    log.info("%s", out.log)
