"""Rule import_survey: survey export -> tidy humans, respondents, sample flow, theme scores.

Only pseudonymised ids, mapped answers and the demographics named in config
are written; platform ids and other direct identifiers never leave this step.
"""

import pandas as pd

from valueaudit.contracts import write_csv
from valueaudit.instrument import FORMATS, load_instrument
from valueaudit.profiles import theme_scores
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.survey import import_survey

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    cfg = dict(smk.params.humans)
    cfg["export"] = smk.input.export
    if cfg.get("layout") == "tidy":
        cfg["respondents"] = smk.input.respondents[0]
    out = import_survey(cfg, ins)
    included = set(out["respondents"].loc[out["respondents"]["included"], "respondent_id"])
    analysed = out["humans"][out["humans"]["respondent_id"].isin(included)]
    scores = pd.concat(
        [theme_scores(analysed, ins, ["respondent_id"], fmt) for fmt in FORMATS
         if (analysed["format"] == fmt).any()],
        ignore_index=True,
    )
    write_csv(out["humans"], smk.output.humans)
    write_csv(out["respondents"], smk.output.respondents)
    write_csv(out["flow"], smk.output.flow)
    write_csv(scores, smk.output.scores)
    log.info("survey %s: %d collected, %d analysed", cfg["export"], out["meta"]["n_collected"],
             out["meta"]["n_analysed"])
