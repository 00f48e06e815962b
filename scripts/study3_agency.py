"""Rule study3_agency: the focal theme (Agency) in humans and models."""

import pandas as pd

from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import (
    analysed_profiles,
    focal_theme_analysis,
    format_p,
    format_rank,
    plot_focal_rank,
    resolve_focal_theme,
    unit_matrix,
)
from valueaudit.tables import apa, write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    fmt = str(p.fmt)
    th = pd.read_csv(smk.input.themes, keep_default_na=False)
    themes = th["theme"].astype(str).tolist()
    labels = dict(zip(themes, th["label"].astype(str), strict=True))
    hs = pd.read_csv(smk.input.humans, dtype={"respondent_id": str})
    X = unit_matrix(hs, themes, "respondent_id", fmt)
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str})
    prof = pd.read_csv(smk.input.profiles, dtype={"model_id": str})
    mp = analysed_profiles(fidelity, prof, fmt, themes)
    focal = resolve_focal_theme(th, str(p.focal), X.mean(axis=0))
    if not focal["how"].startswith("study3.focal_theme ="):
        log.warning("%s", focal["how"])
    res = focal_theme_analysis(X, mp, focal["theme"], labels)
    summ = res["summary"].assign(theme=focal["theme"], label=focal["label"], chosen_by=focal["how"])
    T = len(themes)
    disp = pd.DataFrame({
        "Group": summ["group"].str.capitalize(), "n": [apa(v, "int") for v in summ["n"]],
        f"Rank of {focal['label']} (of {T})": [format_rank(v) for v in summ["rank"]],
        "Ranked last": [("" if pd.isna(k) else f"{int(k)} ({apa(s, 'pct')})")
                        for k, s in zip(summ["n_last"], summ["share_last"], strict=True)],
        "95% CI": [("" if pd.isna(a) else f"[{apa(a, 'pct')}, {apa(b, 'pct')}]")
                   for a, b in zip(summ["share_last_low"], summ["share_last_high"], strict=True)],
        "Tied last": [("" if pd.isna(v) else apa(v, "int")) for v in summ["n_tied_last"]],
        f"p (binomial, 1/{T})": [("" if pd.isna(v) else format_p(v)) for v in summ["binom_p"]],
    })
    write_table(summ, smk.output.summary[0].removesuffix(".csv"), display=disp,
                caption=f"Study 3: the rank of {focal['label']} in humans and models.",
                note=f"{fmt} format; focal theme chosen by {focal['how']}. Human profile: rank "
                     "of the theme in the mean human profile; single humans and models: median "
                     "rank. Ranked last: score strictly below every other theme (ties at the "
                     "bottom counted separately, not as last); Wilson 95% CI; exact two-sided "
                     f"binomial test of the share of models against 1/{T}.")
    tests = res["tests"].assign(focal=focal["theme"])
    disp = pd.DataFrame({
        "Theme": tests["label"], f"M {focal['label']}": [apa(v) for v in tests["mean_focal"]],
        "M theme": [apa(v) for v in tests["mean_other"]],
        "M diff": [apa(v) for v in tests["mean_diff"]], "W": [apa(v) for v in tests["W"]],
        "p (Holm)": [format_p(v) for v in tests["p_holm"]],
        "r_rb": [apa(v, "r") for v in tests["rbc"]], "CLES": [apa(v, "r") for v in tests["cles"]],
    })
    write_table(tests, smk.output.tests[0].removesuffix(".csv"), display=disp,
                caption=f"Study 3: {focal['label']} against every other theme in humans.",
                note=f"Wilcoxon signed-rank tests, N = {len(X)} respondents ({fmt} format), p "
                     f"Holm-adjusted over the {len(tests)} comparisons; r_rb: matched-pairs "
                     f"rank-biserial correlation (negative: {focal['label']} lower); CLES: "
                     f"common-language effect size (probability that {focal['label']} scores "
                     "higher).")
    setup()
    fig = plot_focal_rank(res["positions"], res["human_rank"], focal["label"], len(mp), len(X))
    save_figure(fig, smk.output.figure[0].removesuffix(".pdf"))
    m = summ[summ["group"] == "models"].iloc[0]
    log.info("focal %s (%s): human rank %s; %d of %d models rank it last (p = %s)",
             focal["theme"], focal["how"], res["human_rank"], m["n_last"], m["n"], m["binom_p"])
