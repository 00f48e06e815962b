"""Rule import_survey: survey export -> tidy humans, respondents, sample flow, theme scores.

Only pseudonymised ids, mapped answers and the demographics named in config
are written; platform ids and other direct identifiers never leave this step.
"""

from valueaudit.contracts import write_csv
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.survey import import_survey_tables

smk = snakemake_or_cli(globals())
with log_to(smk, function=import_survey_tables) as log:
    ins = load_instrument(smk.input.instrument)
    out = import_survey_tables(smk.params.humans, smk.input.export, smk.input.respondents, ins)
    for name in ("humans", "respondents", "flow", "scores"):
        write_csv(out[name], getattr(smk.output, name))
    log.info("survey %s: %d collected, %d analysed", smk.input.export, out["meta"]["n_collected"],
             out["meta"]["n_analysed"])
