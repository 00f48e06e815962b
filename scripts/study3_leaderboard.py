"""Rule study3_leaderboard: the fidelity leaderboard, the reference points, the
respondent-level comparison, the forest plot and the ordering-exaggeration plot."""

import numpy as np
import pandas as pd

from valueaudit.contracts import with_names_note
from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import (
    format_ci,
    leaderboard,
    ordering_threshold,
    plot_forest,
    plot_ordering_exaggeration,
    plot_respondent_level,
    respondent_level,
)
from valueaudit.tables import apa, write_table


def stem(out, ext=".csv"):
    return out[0].removesuffix(ext)


def iqr(med, q25, q75):
    return f"{apa(med, 'r')} [{apa(q25, 'r')}, {apa(q75, 'r')}]"


smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    p = smk.params
    fmt, tiers = str(p.fmt), list(p.tiers)
    T = len(pd.read_csv(smk.input.themes, keep_default_na=False))
    models = pd.read_csv(smk.input.models, dtype=str, keep_default_na=False)
    fidelity = pd.read_csv(smk.input.fidelity, dtype={"model_id": str, "tier": str})
    sessions = pd.read_csv(smk.input.sessions, dtype={"model_id": str})
    ref = pd.read_csv(smk.input.reference).set_index("format").loc[fmt].to_dict()
    loo = pd.read_csv(smk.input.loo, dtype={"respondent_id": str})
    loo_v = loo.loc[loo["format"] == fmt, "fidelity"].to_numpy(dtype=float)
    crit = ordering_threshold(T)
    board = leaderboard(fidelity, fmt)
    an = board[board["analysed"]]
    B = int(fidelity["B"].dropna().iloc[0])
    bias = bool(fidelity["bias_corrected"].dropna().astype(str).str.lower().eq("true").any())
    margins = pd.to_numeric(fidelity["calibration_margin"], errors="coerce").dropna()
    margin = apa(float(margins.iloc[0])) if len(margins) else "NA"

    disp = pd.DataFrame({
        "Rank": [apa(v, "int") if pd.notna(v) else "" for v in board["rank"]],
        "Model": board["display_name"].fillna(board["model_id"]),
        "Tier": board["tier"],
        "n": [apa(v, "int") for v in board["n_sessions"]],
        "Fidelity [95% CI]": [format_ci(r.fidelity, r.fidelity_lo, r.fidelity_hi) if r.analysed
                              else "NA" for r in board.itertuples()],
        "Ordering [95% CI]": [format_ci(r.ordering, r.ordering_lo, r.ordering_hi) if r.analysed
                              else "NA" for r in board.itertuples()],
        "ln k [95% CI]": [format_ci(r.exaggeration, r.exaggeration_lo, r.exaggeration_hi, "d2")
                          if r.analysed else "NA" for r in board.itertuples()],
        "Calibration": [apa(r.calibration, "r") if r.analysed else "NA"
                        for r in board.itertuples()],
        "r": [apa(r.pearson, "r") if r.analysed else "NA" for r in board.itertuples()],
        "CCC": [apa(r.ccc, "r") if r.analysed else "NA" for r in board.itertuples()],
        "D2": [apa(r.d2) if r.analysed else "NA" for r in board.itertuples()],
        "Elev.": [apa(r.elevation) if r.analysed else "NA" for r in board.itertuples()],
        "Scat.": [apa(r.scatter) if r.analysed else "NA" for r in board.itertuples()],
        "Shape": [apa(r.shape) if r.analysed else "NA" for r in board.itertuples()],
        "Human pct": [apa(r.human_percentile, "int") if r.analysed else "NA"
                      for r in board.itertuples()],
        "Verdict": board["flag"],
    })
    not_an = board[~board["analysed"]]
    na_note = ("" if not len(not_an) else " Not analysed: " + "; ".join(
        f"{r.model_id} ({r.reason})" for r in not_an.itertuples()) + ".")
    crit_txt = (f"rho >= {apa(crit['rho_crit'], 'r')}" if np.isfinite(crit["rho_crit"])
                else "never reached")
    note = (f"{fmt} format; {len(an)} of {len(board)} models analysed. Fidelity = max(ordering, "
            "0) x calibration; ordering = Spearman rho of model and human profiles; "
            "k = SD(model)/SD(human) across themes"
            + (" (between-theme SDs corrected for sampling noise)" if bias else "")
            + "; calibration = min(k, 1/k); calibration and fidelity bootstrap bias-corrected"
            + " when so configured. Pivotal 95% CIs (valueaudit.fidelity.bootstrap_fidelity) "
            f"from {B} bootstrap resamples of humans and, independently, of each model's "
            f"sessions (seed {int(p.boot_seed)}). Verdict from the CI of ln k and the margin "
            f"{margin}: calibrated when the CI of k lies within [1/{margin}, {margin}]; else "
            "exaggerates / flattens when the CI of ln k lies above / below 0; else "
            "inconclusive. r: Pearson; "
            "CCC: Lin's concordance; D2 = elevation + scatter + shape (Cronbach & Gleser). "
            "Human pct: percentile of the model's median single session among single humans "
            f"(leave-one-out). Keeps the human order (CSV column keeps_order): {crit_txt} "
            f"(exact one-sided p <= .05 for T = {T})." + na_note)
    write_table(board, stem(smk.output.board), display=disp, note=with_names_note(note, models),
                caption="Study 3: profile-fidelity leaderboard.")

    # reference points
    an_f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"]]
    s_f = sessions[(sessions["format"] == fmt) & sessions["model_id"].isin(an_f["model_id"])]
    sv = s_f["fidelity"].to_numpy(dtype=float)
    sv = sv[np.isfinite(sv)]
    mv = an_f["fidelity"].to_numpy(dtype=float)
    rows = [
        {"reference": "Human noise ceiling (random halves)", "n": int(ref["n_splits"]),
         "unit": f"splits into halves of {int(ref['n_half'])}", "centre": ref["fidelity"],
         "low": ref["lo"], "high": ref["hi"], "summary": "mean [2.5%, 97.5%]"},
        {"reference": "Single humans vs the rest (leave-one-out)", "n": int(ref["loo_n"]),
         "unit": "respondents", "centre": ref["loo_median"], "low": ref["loo_q25"],
         "high": ref["loo_q75"], "summary": "median [IQR]"},
        {"reference": "Single model sessions", "n": int(sv.size), "unit": "sessions",
         "centre": float(np.median(sv)) if sv.size else np.nan,
         "low": float(np.quantile(sv, 0.25)) if sv.size else np.nan,
         "high": float(np.quantile(sv, 0.75)) if sv.size else np.nan, "summary": "median [IQR]"},
        {"reference": "Model profiles", "n": int(mv.size), "unit": "models",
         "centre": float(np.median(mv)) if mv.size else np.nan,
         "low": float(np.quantile(mv, 0.25)) if mv.size else np.nan,
         "high": float(np.quantile(mv, 0.75)) if mv.size else np.nan, "summary": "median [IQR]"},
        {"reference": "Shuffled-label null (per model, mean over relabellings)",
         "n": int(an_f["null_mean"].notna().sum()), "unit": "models",
         "centre": float(an_f["null_mean"].median()), "low": float(an_f["null_mean"].quantile(.25)),
         "high": float(an_f["null_mean"].quantile(.75)), "summary": "median [IQR]"},
    ]
    refs = pd.DataFrame(rows)
    n_beat = int((an_f["null_p"] < 0.05).sum())
    disp = pd.DataFrame({"Reference": refs["reference"], "n": [apa(v, "int") for v in refs["n"]],
                         "Unit": refs["unit"],
                         "Fidelity": [iqr(c, lo, hi) for c, lo, hi in
                                      zip(refs["centre"], refs["low"], refs["high"], strict=True)],
                         "Summary": refs["summary"]})
    write_table(refs, stem(smk.output.reference), display=disp,
                caption="Study 3: reference points for profile fidelity.",
                note=f"{fmt} format. Plug-in fidelity for halves, single humans and single "
                     f"sessions. {n_beat} of {len(an_f)} models exceed their shuffled-label null "
                     "at p < .05 (exact over all relabellings when T! <= the number of "
                     "permutations).")

    # respondent level
    rl = respondent_level(fidelity, sessions, loo_v, fmt)
    disp = pd.DataFrame({
        "Model": rl["display_name"].fillna(rl["model_id"]),
        "Tier": rl["tier"].fillna(""), "n": [apa(v, "int") for v in rl["n"]],
        "Median [IQR]": [iqr(a, b, c) for a, b, c in zip(rl["median"], rl["q25"], rl["q75"],
                                                        strict=True)],
        "> human median": [apa(v, "pct") for v in rl["share_above_human_median"]],
        "Human pct": [apa(v, "int") for v in rl["human_percentile"]],
    })
    write_table(rl, stem(smk.output.respondent), display=disp,
                caption="Study 3: single sessions against single humans (respondent level).",
                note=with_names_note(
                     "Fidelity of each single session of a model against the human mean profile, "
                     "beside each single respondent against the mean of the others "
                     "(leave-one-out, first row). > human median: share of the model's sessions "
                     "above the median single human. Human pct: percentile of the model's median "
                     "session among the single humans.", models))

    setup()
    null_med = float(an_f["null_mean"].median()) if len(an_f) else None
    save_figure(plot_forest(board, tiers, ref, null_med), stem(smk.output.forest, ".pdf"))
    save_figure(plot_ordering_exaggeration(board, tiers, crit["rho_crit"]),
                stem(smk.output.quadrant, ".pdf"))
    save_figure(plot_respondent_level(loo_v, sv, mv), stem(smk.output.respondent_fig, ".pdf"))
    log.info("%s: %d analysed; median fidelity %.3f; ceiling %.3f; %d exaggerate, %d keep order",
             fmt, len(an), float(np.median(mv)) if mv.size else float("nan"), ref["fidelity"],
             int((an["flag"] == "exaggerates").sum()), int(an["keeps_order"].sum()))
