"""Rule merge_responses: all models' parsed responses -> responses, session scores, statuses."""

import pandas as pd

from valueaudit.contracts import read_responses, write_csv
from valueaudit.instrument import FORMATS, load_instrument
from valueaudit.profiles import theme_scores
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    parts = [read_responses(p, ins) for p in smk.input.responses]
    responses = pd.concat(parts, ignore_index=True)
    scores = pd.concat(
        [theme_scores(responses, ins, ["model_id", "session"], fmt) for fmt in FORMATS],
        ignore_index=True,
    )
    text = {"model_id": str, "format": str, "status": str, "reason": str, "repair": str,
            "excerpt": str, "parser_version": str}
    status = pd.concat([pd.read_csv(p, dtype=text, keep_default_na=False)
                        for p in smk.input.status], ignore_index=True)
    write_csv(responses, smk.output.responses)
    write_csv(scores[["model_id", "format", "session", "theme", "score"]], smk.output.scores)
    write_csv(status, smk.output.status)
    log.info("%d response rows from %d models; %d valid sessions", len(responses), len(parts),
             scores.groupby(["model_id", "format", "session"]).ngroups)
