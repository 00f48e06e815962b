"""Rule study2_convergence: cross-model W, rho, alpha, Friedman, pairwise tests, consensus."""

import pandas as pd

from valueaudit.contracts import write_csv
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import (
    SEED_OFFSETS,
    consensus_display,
    consensus_ordering,
    convergence,
    convergence_table,
    model_profiles,
    pairwise_display,
    pairwise_theme_tests,
)
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    labels = ins.label_of()
    fmt = smk.params.response_format
    min_sessions = int(smk.params.min_sessions)
    n_boot = int(smk.params.bootstrap)
    scores = pd.read_csv(smk.input.scores)
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    profiles, excluded = model_profiles(scores, ins, fmt, min_sessions, models["model_id"])
    write_csv(profiles.reset_index(), smk.output.profiles)
    left_out = (f" Left out: {len(excluded)} model(s) with fewer than {min_sessions} valid "
                f"sessions ({', '.join(excluded['model_id'])})." if len(excluded) else "")

    conv = convergence(profiles)
    full, disp = convergence_table(conv)
    write_table(
        full, smk.output.convergence[0].removesuffix(".csv"), display=disp,
        caption=f"Cross-model convergence of the theme profiles ({fmt} format; "
        f"{conv['n_models']} models x {conv['n_themes']} themes).",
        note="Kendall's W tie-corrected, chi2 = m(n - 1)W on n - 1 df; Krippendorff's alpha with "
        "models as coders and themes as units; Friedman test with models as blocks." + left_out,
    )
    pw = pairwise_theme_tests(profiles)
    write_table(
        pw, smk.output.pairwise[0].removesuffix(".csv"), display=pairwise_display(pw, labels),
        caption="Pairwise differences between themes across models: Wilcoxon signed-rank tests.",
        note=f"n = {conv['n_models']} models; p values Holm-corrected over {len(pw)} pairs; "
        "r(rb) = matched-pairs rank-biserial correlation (positive: Theme A higher); "
        "CLES = common-language effect size.",
    )
    seed = int(smk.params.seed) + SEED_OFFSETS["consensus"]
    cons = consensus_ordering(profiles, n_boot, seed)
    write_table(
        cons, smk.output.consensus[0].removesuffix(".csv"),
        display=consensus_display(cons, labels),
        caption="Consensus ordering of the themes across models.",
        note=f"Ranks within each model (1 = highest priority); 95% percentile bootstrap CIs over "
        f"models ({n_boot} resamples). Ranked first: share of models ranking the theme first "
        "(ties shared)." + left_out,
    )
    log.info("convergence over %d models: W %.3f (p %.3g), alpha %.3f; consensus %s",
             conv["n_models"], conv["W"], conv["p"], conv["alpha_interval"],
             " > ".join(cons["theme"]))
