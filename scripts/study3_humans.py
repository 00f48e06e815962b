"""Rule study3_humans: the human reference (sample flow, demographics, theme profile with
bootstrap CIs and ranks, Friedman test and Holm-corrected pairwise Wilcoxon tests)."""

import pandas as pd

from valueaudit.contracts import read_respondents
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import (
    demographics_table,
    format_p,
    format_rank,
    human_profile,
    human_theme_tests,
    sample_flow_table,
    unit_matrix,
)
from valueaudit.tables import apa, write_table


def stem(out):
    return out[0].removesuffix(".csv")


smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    fmt, B, seed = str(p.fmt), int(p.bootstrap), int(p.seed)
    th = pd.read_csv(smk.input.themes, keep_default_na=False)
    labels = dict(zip(th["theme"].astype(str), th["label"].astype(str), strict=True))
    hs = pd.read_csv(smk.input.humans, dtype={"respondent_id": str})
    X = unit_matrix(hs, th["theme"].astype(str).tolist(), "respondent_id", fmt)

    # sample flow
    flow = sample_flow_table(pd.read_csv(smk.input.flow, keep_default_na=False))
    disp = pd.DataFrame({
        "Step": flow["step"], "Criterion": flow["criterion"],
        "Excluded": [("" if s in ("Collected",) else apa(v, "int"))
                     for s, v in zip(flow["step"], flow["n_excluded"], strict=True)],
        "Remaining": [apa(v, "int") for v in flow["n_remaining"]],
    })
    write_table(flow, stem(smk.output.flow), display=disp,
                caption="Study 3: human sample flow.",
                note="Exclusion rules applied in order; each respondent is counted under the "
                     "first rule that removes them. The Analysed row gives all exclusions.")

    # demographics
    cols = list(p.demographics)
    resp = read_respondents(smk.input.respondents, cols)
    demo = demographics_table(resp, cols)

    def cell(r, g):
        if r["statistic"] == "mean":
            return f"{apa(r[g], 'd2')} ({apa(r[g + '_sd'], 'd2')})"
        if r["statistic"] == "range":
            return f"{apa(r[g], 'int')}-{apa(r[g + '_sd'], 'int')}"
        return f"{apa(r[g], 'int')} ({apa(r[g + '_pct'], 'pct')})"

    n_an = int(resp["included"].astype(str).str.lower().isin(["true", "1"]).sum())
    disp = pd.DataFrame({
        "Variable": [v if i == 0 or demo["variable"].iloc[i - 1] != v else ""
                     for i, v in enumerate(demo["variable"])],
        "Level": demo["level"],
        f"Analysed (N = {n_an})": [cell(r, "analysed") for _, r in demo.iterrows()],
        f"Collected (N = {len(resp)})": [cell(r, "collected") for _, r in demo.iterrows()],
    })
    write_table(demo, stem(smk.output.demographics), display=disp,
                caption="Study 3: demographics of the human sample.",
                note="Numeric variables: M (SD) and range; categorical: n (%). Variables as "
                     "named in the configuration (humans.demographics).")

    # profile and tests
    prof = human_profile(X, labels, n_boot=B, seed=seed)
    fr, pw = human_theme_tests(X)
    disp = pd.DataFrame({
        "Theme": prof["label"], "M": [apa(v) for v in prof["mean"]],
        "SD": [apa(v) for v in prof["sd"]],
        "95% CI": [f"[{apa(a)}, {apa(b)}]" for a, b in zip(prof["ci_low"], prof["ci_high"],
                                                          strict=True)],
        "Rank [95% CI]": [f"{format_rank(r)} [{format_rank(a)}, {format_rank(b)}]"
                          for r, a, b in zip(prof["rank"], prof["rank_low"], prof["rank_high"],
                                             strict=True)],
    })
    fr_txt = (f"Friedman test across themes: Q({fr['df']}) = {apa(fr['Q'])}, "
              f"p {'< .001' if fr['p'] < 0.001 else '= ' + format_p(fr['p'])}, Kendall's W = "
              f"{apa(fr['W'], 'r')}." if pd.notna(fr["Q"]) else "Friedman test not computable.")
    write_table(prof, stem(smk.output.profile), display=disp,
                caption="Study 3: human theme profile.",
                note=f"N = {len(X)} analysed respondents, {fmt} format. Percentile bootstrap "
                     f"95% CIs of the mean and of the rank (1 = most important) from {B} "
                     f"resamples of respondents (seed {seed}). {fr_txt}")
    pw_out = pw.assign(label_a=pw["theme_a"].map(labels), label_b=pw["theme_b"].map(labels),
                       friedman_Q=fr["Q"], friedman_df=fr["df"], friedman_p=fr["p"],
                       friedman_W=fr["W"])
    disp = pd.DataFrame({
        "Theme A": pw_out["label_a"], "Theme B": pw_out["label_b"],
        "M diff": [apa(v) for v in pw["mean_diff"]], "W": [apa(v) for v in pw["W"]],
        "p (Holm)": [format_p(v) for v in pw["p_holm"]],
        "r_rb": [apa(v, "r") for v in pw["rbc"]], "CLES": [apa(v, "r") for v in pw["cles"]],
    })
    write_table(pw_out, stem(smk.output.pairwise), display=disp,
                caption="Study 3: pairwise comparisons of the themes in humans.",
                note=f"Wilcoxon signed-rank tests (N = {len(X)}), p values Holm-adjusted over "
                     f"all {len(pw)} pairs; r_rb: matched-pairs rank-biserial correlation "
                     f"(positive: Theme A higher); CLES: common-language effect size. {fr_txt}")
    log.info("humans (%s): N = %d; Friedman Q = %.2f, p = %.3g; profile %s", fmt, len(X),
             fr["Q"], fr["p"], dict(zip(prof["theme"], prof["mean"].round(3), strict=True)))
