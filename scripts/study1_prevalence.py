"""Rule study1_prevalence: theme prevalence (overall, per model) and inter-coder reliability."""

import logging

import pandas as pd

from valueaudit.contracts import with_names_note
from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import (
    plot_prevalence_heatmap,
    prevalence,
    prevalence_by_coder,
    reliability,
    table_prevalence_by_model,
    table_prevalence_reliability,
    write_frame,
)
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    presence = pd.read_csv(smk.input.presence, dtype={"response_id": str, "model_id": str})
    themes = pd.read_csv(smk.input.themes, keep_default_na=False)
    models = pd.read_csv(smk.input.models, dtype=str, keep_default_na=False)
    rule, n_boot, seed = smk.params.rule, int(smk.params.bootstrap), int(smk.params.seed)
    prev = prevalence(presence, rule=rule)
    by_coder = prevalence_by_coder(presence)
    by_model = prevalence(presence, rule=rule, by="model_id")
    rel = reliability(presence, n_boot=n_boot, seed=seed)
    write_frame(prev, smk.output.prevalence)
    write_frame(by_coder, smk.output.by_coder)
    write_frame(rel, smk.output.reliability)

    n_resp = presence["response_id"].nunique()
    coders = sorted(presence["coder"].unique())
    full, display = table_prevalence_reliability(prev, by_coder, rel, themes)
    if len(coders) < 2:
        rel_note = (f"Inter-coder reliability is not computable: one coder ({coders[0]}). ")
        log.warning("only one coder (%s): reliability not computable", coders[0])
    else:
        rel_note = (f"{rel['statistic'].iloc[0]} and Krippendorff's alpha (nominal) on theme "
                    f"presence per response ({len(coders)} coders); percentile CIs from {n_boot} "
                    f"bootstrap resamples of responses (seed {seed}); the pooled row treats "
                    "every response x theme pair as a unit. ")
    note = (f"N = {n_resp} responses. Prevalence: share of responses with at least one segment "
            f"coded to the theme, coders combined by the '{rule}' rule, Wilson 95% CI; Coders "
            f"(range): each coder's own prevalence. {rel_note}Agreement: share of units on "
            "which all coders agree.")
    write_table(full, smk.output.table[0].removesuffix(".csv"), display=display, note=note,
                caption="Study 1: theme prevalence and inter-coder reliability.")
    full_m, display_m = table_prevalence_by_model(by_model, themes, models)
    write_table(full_m, smk.output.by_model[0].removesuffix(".csv"), display=display_m,
                caption="Study 1: theme prevalence per model with Wilson 95% CIs.",
                note=with_names_note(f"Coders combined by the '{rule}' rule; n = responses of "
                                     "the model.", models))
    setup()
    fig = plot_prevalence_heatmap(by_model, themes, models)
    save_figure(fig, smk.output.heatmap[0].removesuffix(".pdf"))
    pooled = rel.iloc[-1]
    log.info("prevalence of %d themes over %d responses (rule %s); pooled %s = %.3f, alpha = %.3f",
             len(themes), n_resp, rule, pooled["statistic"], pooled["kappa"], pooled["alpha"])
