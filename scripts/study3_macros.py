"""Rule study3_macros: LaTeX macros for the key numbers of Study 3 (\\input them)."""

import numpy as np
import pandas as pd

from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.tables import apa, write_macros


def pval(p):
    if p is None or not np.isfinite(p):
        return "NA"
    return "$<$ .001" if p < 0.001 else apa(p, "p")


def row(df, **kw):
    sel = np.ones(len(df), dtype=bool)
    for k, v in kw.items():
        sel &= (df[k] == v).to_numpy()
    return df[sel].iloc[0] if sel.any() else None


smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    fmt = str(smk.params.fmt)
    flow = pd.read_csv(smk.input.flow, keep_default_na=False)
    board = pd.read_csv(smk.input.leaderboard, dtype={"model_id": str})
    ref = pd.read_csv(smk.input.reference)
    chars = pd.read_csv(smk.input.characteristics)
    agency = pd.read_csv(smk.input.agency, keep_default_na=False, na_values=[""])
    taus = pd.read_csv(smk.input.robustness)
    pairwise = pd.read_csv(smk.input.pairwise)
    themes = pd.read_csv(smk.input.themes, keep_default_na=False)

    an = board[board["analysed"]]
    n_an = len(an)
    v: dict[str, str] = {}
    v["human_collected"] = apa(flow["n_remaining"].iloc[0], "int")
    v["human_n"] = apa(flow["n_remaining"].iloc[-1], "int")
    v["human_excluded"] = apa(flow["n_excluded"].iloc[-1], "int")
    v["n_themes"] = apa(len(themes), "int")
    v["models_total"] = apa(len(board), "int")
    v["models_n"] = apa(n_an, "int")
    v["models_not_analysed"] = apa(len(board) - n_an, "int")
    v["response_format"] = fmt
    v["bootstrap_b"] = apa(an["B"].iloc[0], "int") if n_an else "NA"

    def share(k):
        return apa(k / n_an, "pct") if n_an else "NA"

    fv = an["fidelity"].to_numpy(dtype=float)
    v["fidelity_median"] = apa(np.median(fv), "r") if n_an else "NA"
    v["fidelity_min"] = apa(np.min(fv), "r") if n_an else "NA"
    v["fidelity_max"] = apa(np.max(fv), "r") if n_an else "NA"
    k_ord = int(an["keeps_order"].sum())
    k_ex = int((an["flag"] == "exaggerates").sum())
    k_fl = int((an["flag"] == "flattens").sum())
    v["ordering_crit"] = apa(an["ordering_crit"].iloc[0], "r") if n_an else "NA"
    v["ordered_n"], v["ordered_share"] = apa(k_ord, "int"), share(k_ord)
    v["exaggerating_n"], v["exaggerating_share"] = apa(k_ex, "int"), share(k_ex)
    v["flattening_n"], v["flattening_share"] = apa(k_fl, "int"), share(k_fl)
    k_ca = int((an["flag"] == "calibrated").sum())
    k_in = int((an["flag"] == "inconclusive").sum())
    v["calibrated_n"], v["calibrated_share"] = apa(k_ca, "int"), share(k_ca)
    v["inconclusive_n"], v["inconclusive_share"] = apa(k_in, "int"), share(k_in)
    margins = pd.to_numeric(an.get("calibration_margin"), errors="coerce")
    v["calibration_margin"] = apa(float(margins.iloc[0])) if n_an and margins.notna().any() else (
        "NA")
    k_oe = int((an["keeps_order"] & (an["flag"] == "exaggerates")).sum())
    v["ordered_exaggerating_n"], v["ordered_exaggerating_share"] = apa(k_oe, "int"), share(k_oe)
    v["human_percentile_median"] = apa(an["human_percentile"].median(), "int") if n_an else "NA"
    v["null_median"] = apa(an["null_mean"].median(), "r") if n_an else "NA"
    v["null_beaten_n"] = apa(int((an["null_p"] < 0.05).sum()), "int")

    r = ref.set_index("reference")
    for key, name in (("ceiling", "Human noise ceiling (random halves)"),
                      ("loo", "Single humans vs the rest (leave-one-out)"),
                      ("session", "Single model sessions")):
        if name in r.index:
            v[f"{key}_fidelity"] = apa(r.loc[name, "centre"], "r")
            v[f"{key}_low"] = apa(r.loc[name, "low"], "r")
            v[f"{key}_high"] = apa(r.loc[name, "high"], "r")

    for key, pred, test in (("size", "log10(parameters)", "Spearman rho"),
                            ("recency", "release date", "Spearman rho"),
                            ("tier_rho", "tier (ordinal)", "Spearman rho")):
        c = row(chars, predictor=pred, test=test)
        if c is not None:
            v[f"{key}_rho" if key != "tier_rho" else key] = apa(c["statistic"], "r")
            v[f"{key}_p" if key != "tier_rho" else "tier_rho_p"] = pval(c["p"])
            v[f"{key}_n" if key != "tier_rho" else "tier_rho_n"] = apa(c["n"], "int")
            if key == "size":
                v["size_missing"] = apa(c["n_missing"], "int")
    c = row(chars, test="Kruskal-Wallis H")
    if c is not None:
        v["tier_h"], v["tier_p"] = apa(c["statistic"]), pval(c["p"])
        v["tier_df"] = apa(c["df"], "int")
    for key, pred in (("ols_size", "log10(parameters)"), ("ols_recency", "release date (years)")):
        c = row(chars, predictor=pred, test="OLS (HC3)")
        if c is not None:
            v[f"{key}_b"], v[f"{key}_p"] = apa(c["estimate"], "d3"), pval(c["p"])
    c = row(chars, predictor="tier (joint)")
    if c is not None:
        v["ols_tier_f"], v["ols_tier_p"] = apa(c["statistic"]), pval(c["p"])

    h = row(agency, group="human profile")
    m = row(agency, group="models")
    if h is not None and m is not None:
        v["agency_label"] = str(h["label"])
        v["agency_human_rank"] = apa(h["rank"], "int") if float(h["rank"]).is_integer() \
            else apa(h["rank"], "d2")
        v["agency_models_last_n"] = apa(m["n_last"], "int")
        v["agency_models_last_share"] = apa(m["share_last"], "pct")
        v["agency_binom_p"] = pval(m["binom_p"])
        v["agency_model_median_rank"] = apa(m["rank"], "d2")

    if len(pairwise):
        f = pairwise.iloc[0]
        v["human_friedman_q"] = apa(f["friedman_Q"])
        v["human_friedman_df"] = apa(f["friedman_df"], "int")
        v["human_friedman_p"] = pval(f["friedman_p"])
        v["human_friedman_w"] = apa(f["friedman_W"], "r")

    for t in taus[taus["index_a"] == "fidelity"].itertuples():
        key = {"fidelity (plug-in)": "tau_plugin", "Lin's CCC": "tau_ccc",
               "Pearson r": "tau_pearson", "D2": "tau_d_two"}.get(t.index_b, "tau_other_format")
        v[key] = apa(t.tau, "r")
    write_macros(v, smk.output.macros, header="Study 3 key numbers; generated by valueaudit")
    log.info("%d macros written", len(v))
