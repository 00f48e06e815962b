"""Rule study3_profiles: human and consensus-LLM theme profiles with 95% CIs (table, figure)."""

import pandas as pd

from valueaudit.instrument import load_instrument
from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import analysed_profiles, consensus_profile, format_rank, plot_profiles
from valueaudit.tables import apa, write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    fmt, B, seed = str(p.fmt), int(p.bootstrap), int(p.seed)
    th = pd.read_csv(smk.input.themes, keep_default_na=False)
    themes = th["theme"].astype(str).tolist()
    human = pd.read_csv(smk.input.human, keep_default_na=False)
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str})
    prof = pd.read_csv(smk.input.profiles, dtype={"model_id": str})
    mp = analysed_profiles(fidelity, prof, fmt, themes)
    cons = consensus_profile(mp, n_boot=B, seed=seed)
    table = human[["theme", "label", "mean", "ci_low", "ci_high", "rank"]].rename(
        columns={"mean": "human_mean", "ci_low": "human_low", "ci_high": "human_high",
                 "rank": "human_rank"}).merge(
        cons.rename(columns={"mean": "llm_mean", "ci_low": "llm_low", "ci_high": "llm_high",
                             "rank": "llm_rank", "sd": "llm_sd"}), on="theme")
    table["difference"] = table["llm_mean"] - table["human_mean"]
    disp = pd.DataFrame({
        "Theme": table["label"],
        "Humans M [95% CI]": [f"{apa(m)} [{apa(a)}, {apa(b)}]" for m, a, b in
                              zip(table["human_mean"], table["human_low"], table["human_high"],
                                  strict=True)],
        "Rank": [format_rank(v) for v in table["human_rank"]],
        "LLMs M [95% CI]": [f"{apa(m)} [{apa(a)}, {apa(b)}]" for m, a, b in
                            zip(table["llm_mean"], table["llm_low"], table["llm_high"],
                                strict=True)],
        "LLM rank": [format_rank(v) for v in table["llm_rank"]],
        "Difference": [apa(v) for v in table["difference"]],
    })
    write_table(table, smk.output.table[0].removesuffix(".csv"), display=disp,
                caption="Study 3: human and consensus-LLM theme profiles.",
                note=f"{fmt} format. Humans: mean over respondents, CI from resampling "
                     f"respondents; LLMs: mean of the {len(mp)} analysed model profiles, CI "
                     f"from {B} resamples of models (seed {seed}). Rank 1 = most important.")
    setup()
    lo, hi = load_instrument(smk.input.instrument).scale
    scale = (float(lo), float(hi)) if fmt == "rating" else (1.0, float(len(themes)))
    ylabel = "Mean rating" if fmt == "rating" else "T + 1 - rank"
    save_figure(plot_profiles(human, cons, mp, scale=scale, ylabel=ylabel),
                smk.output.figure[0].removesuffix(".pdf"))
    log.info("consensus profile of %d models: %s", len(mp),
             dict(zip(cons["theme"], cons["mean"].round(3), strict=True)))
