"""Rule study2_stability: per-model stability tables and the stability dot plot."""

import pandas as pd

from valueaudit.contracts import model_names, with_names_note, write_csv
from valueaudit.instrument import FORMATS
from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import (
    plot_stability,
    stability_formats_display,
    stability_summary,
    stability_table,
)
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    fmt = smk.params.response_format
    min_sessions = int(smk.params.min_sessions)
    within = pd.concat([pd.read_csv(p, keep_default_na=True) for p in smk.input.within],
                       ignore_index=True)
    within["note"] = within["note"].fillna("")
    within = within.sort_values(["model_id", "format"], kind="mergesort").reset_index(drop=True)
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    write_csv(within, smk.output.within_all)

    full, disp = stability_table(within, models, fmt)
    target = "items" if fmt == "rating" else "themes"
    write_table(
        full, smk.output.table[0].removesuffix(".csv"), display=disp,
        caption=f"Within-model stability across sessions ({fmt} format): absolute-agreement "
        f"ICCs with {target} as targets and sessions as raters, Kendall's W and the mean pairwise "
        "Spearman correlation between the sessions' theme profiles.",
        note=with_names_note(
            "ICC(A,1) and ICC(A,k) (McGraw and Wong, 1996) with 95% CIs; W tie-corrected. "
        f"Models with fewer than {min_sessions} valid sessions are NA with the reason stated. "
        "Parse rate: share of sessions answered in a readable form (ok or repaired).", models),
    )
    summary = stability_summary(within)
    order = {f: i for i, f in enumerate([fmt, *[f for f in FORMATS if f != fmt]])}
    summary = summary.sort_values("format", key=lambda s: s.map(order)).reset_index(drop=True)
    write_table(
        summary, smk.output.formats[0].removesuffix(".csv"),
        display=stability_formats_display(summary),
        caption="Within-model stability by response format: distribution over models.",
        note=f"Mdn = median over models with an estimate; IQR = interquartile range. Models with "
        f"fewer than {min_sessions} valid sessions are not estimated.",
    )
    setup()
    labels = model_names(models)
    tiers = dict(zip(models["model_id"], models["tier"], strict=True))
    fig = plot_stability(within, labels, tiers, list(smk.params.tiers),
                         [fmt, *[f for f in FORMATS if f != fmt]])
    save_figure(fig, smk.output.figure[0].removesuffix(".pdf"))
    log.info("stability of %d models; %s", within["model_id"].nunique(),
             summary[["format", "n_estimated", "icc_a1_median"]].to_dict("records"))
