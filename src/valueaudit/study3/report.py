"""Study 3 display tables: the APA-formatted frames, captions and notes of every table.

Each ``*_table`` function takes the analysis frame (and what its note states) and
returns a :class:`Table`; :class:`Outputs` gathers what one rule writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import with_names_note
from ..tables import Outputs, Table, apa, format_ci, format_p, format_rank

__all__ = ["Table", "Outputs", "sample_flow_display", "demographics_display",
           "human_profile_display", "human_pairwise_display", "leaderboard_display",
           "reference_points_display", "respondent_level_display", "profiles_display",
           "characteristics_display", "agency_display", "agency_tests_display",
           "robustness_display", "robustness_ranks_display"]


def _iqr(med, q25, q75) -> str:
    return f"{apa(med, 'r')} [{apa(q25, 'r')}, {apa(q75, 'r')}]"


def sample_flow_display(flow: pd.DataFrame) -> Table:
    """The sample flow (:func:`valueaudit.study3.sample_flow_table`) for display."""
    disp = pd.DataFrame({
        "Step": flow["step"], "Criterion": flow["criterion"],
        "Excluded": [("" if s in ("Collected",) else apa(v, "int"))
                     for s, v in zip(flow["step"], flow["n_excluded"], strict=True)],
        "Remaining": [apa(v, "int") for v in flow["n_remaining"]],
    })
    return Table(flow, disp, "Study 3: human sample flow.",
                 "Exclusion rules applied in order; each respondent is counted under the "
                 "first rule that removes them. The Analysed row gives all exclusions.")


def demographics_display(demo: pd.DataFrame, n_analysed: int, n_collected: int) -> Table:
    """The demographics (:func:`valueaudit.study3.demographics_table`) for display."""

    def cell(r, g):
        if r["statistic"] == "mean":
            return f"{apa(r[g], 'd2')} ({apa(r[g + '_sd'], 'd2')})"
        if r["statistic"] == "range":
            return f"{apa(r[g], 'int')}-{apa(r[g + '_sd'], 'int')}"
        return f"{apa(r[g], 'int')} ({apa(r[g + '_pct'], 'pct')})"

    disp = pd.DataFrame({
        "Variable": [v if i == 0 or demo["variable"].iloc[i - 1] != v else ""
                     for i, v in enumerate(demo["variable"])],
        "Level": demo["level"],
        f"Analysed (N = {n_analysed})": [cell(r, "analysed") for _, r in demo.iterrows()],
        f"Collected (N = {n_collected})": [cell(r, "collected") for _, r in demo.iterrows()],
    })
    return Table(demo, disp, "Study 3: demographics of the human sample.",
                 "Numeric variables: M (SD) and range; categorical: n (%). Variables as "
                 "named in the configuration (humans.demographics).")


def friedman_text(fr: Mapping[str, Any]) -> str:
    """The Friedman test in words for a table note."""
    if pd.isna(fr["Q"]):
        return "Friedman test not computable."
    return (f"Friedman test across themes: Q({fr['df']}) = {apa(fr['Q'])}, "
            f"p {'< .001' if fr['p'] < 0.001 else '= ' + format_p(fr['p'])}, Kendall's W = "
            f"{apa(fr['W'], 'r')}.")


def human_profile_display(prof: pd.DataFrame, fr: Mapping[str, Any], n: int, fmt: str,
                          n_boot: int, seed: int) -> Table:
    """The human theme profile (:func:`valueaudit.study3.human_profile`) for display."""
    disp = pd.DataFrame({
        "Theme": prof["label"], "M": [apa(v) for v in prof["mean"]],
        "SD": [apa(v) for v in prof["sd"]],
        "95% CI": [f"[{apa(a)}, {apa(b)}]" for a, b in zip(prof["ci_low"], prof["ci_high"],
                                                          strict=True)],
        "Rank [95% CI]": [f"{format_rank(r)} [{format_rank(a)}, {format_rank(b)}]"
                          for r, a, b in zip(prof["rank"], prof["rank_low"], prof["rank_high"],
                                             strict=True)],
    })
    return Table(prof, disp, "Study 3: human theme profile.",
                 f"N = {n} analysed respondents, {fmt} format. Percentile bootstrap "
                 f"95% CIs of the mean and of the rank (1 = most important) from {n_boot} "
                 f"resamples of respondents (seed {seed}). {friedman_text(fr)}")


def human_pairwise_display(pw: pd.DataFrame, fr: Mapping[str, Any], labels: Mapping[str, str],
                           n: int) -> Table:
    """The pairwise theme tests in humans with the Friedman test in every row."""
    out = pw.assign(label_a=pw["theme_a"].map(labels), label_b=pw["theme_b"].map(labels),
                    friedman_Q=fr["Q"], friedman_df=fr["df"], friedman_p=fr["p"],
                    friedman_W=fr["W"])
    disp = pd.DataFrame({
        "Theme A": out["label_a"], "Theme B": out["label_b"],
        "M diff": [apa(v) for v in pw["mean_diff"]], "W": [apa(v) for v in pw["W"]],
        "p (Holm)": [format_p(v) for v in pw["p_holm"]],
        "r_rb": [apa(v, "r") for v in pw["rbc"]], "CLES": [apa(v, "r") for v in pw["cles"]],
    })
    return Table(out, disp, "Study 3: pairwise comparisons of the themes in humans.",
                 f"Wilcoxon signed-rank tests (N = {n}), p values Holm-adjusted over "
                 f"all {len(pw)} pairs; r_rb: matched-pairs rank-biserial correlation "
                 f"(positive: Theme A higher); CLES: common-language effect size. "
                 f"{friedman_text(fr)}")


def leaderboard_display(board: pd.DataFrame, fidelity: pd.DataFrame, models: pd.DataFrame,
                        fmt: str, T: int, rho_crit: float, boot_seed: int) -> Table:
    """The leaderboard (:func:`valueaudit.study3.leaderboard`) for display, with the note
    stating the bootstrap, the verdict rule and the order criterion."""
    an = board[board["analysed"]]
    B = int(fidelity["B"].dropna().iloc[0])
    bias = bool(fidelity["bias_corrected"].dropna().astype(str).str.lower().eq("true").any())
    margins = pd.to_numeric(fidelity["calibration_margin"], errors="coerce").dropna()
    margin = apa(float(margins.iloc[0])) if len(margins) else "NA"
    rows = list(board.itertuples())

    def col(f):
        return [f(r) if r.analysed else "NA" for r in rows]

    disp = pd.DataFrame({
        "Rank": [apa(v, "int") if pd.notna(v) else "" for v in board["rank"]],
        "Model": board["display_name"].fillna(board["model_id"]),
        "Tier": board["tier"],
        "n": [apa(v, "int") for v in board["n_sessions"]],
        "Fidelity [95% CI]": col(lambda r: format_ci(r.fidelity, r.fidelity_lo, r.fidelity_hi)),
        "Ordering [95% CI]": col(lambda r: format_ci(r.ordering, r.ordering_lo, r.ordering_hi)),
        "ln k [95% CI]": col(lambda r: format_ci(r.exaggeration, r.exaggeration_lo,
                                                 r.exaggeration_hi, "d2")),
        "Calibration": col(lambda r: apa(r.calibration, "r")),
        "r": col(lambda r: apa(r.pearson, "r")),
        "CCC": col(lambda r: apa(r.ccc, "r")),
        "D2": col(lambda r: apa(r.d2)),
        "Elev.": col(lambda r: apa(r.elevation)),
        "Scat.": col(lambda r: apa(r.scatter)),
        "Shape": col(lambda r: apa(r.shape)),
        "Human pct": col(lambda r: apa(r.human_percentile, "int")),
        "Verdict": board["flag"],
    })
    not_an = board[~board["analysed"]]
    na_note = ("" if not len(not_an) else " Not analysed: " + "; ".join(
        f"{r.model_id} ({r.reason})" for r in not_an.itertuples()) + ".")
    crit_txt = (f"rho >= {apa(rho_crit, 'r')}" if np.isfinite(rho_crit) else "never reached")
    note = (f"{fmt} format; {len(an)} of {len(board)} models analysed. Fidelity = max(ordering, "
            "0) x calibration; ordering = Spearman rho of model and human profiles; "
            "k = SD(model)/SD(human) across themes"
            + (" (between-theme SDs corrected for sampling noise)" if bias else "")
            + "; calibration = min(k, 1/k); calibration and fidelity bootstrap bias-corrected"
            + " when so configured. Pivotal 95% CIs (valueaudit.fidelity.bootstrap_fidelity) "
            f"from {B} bootstrap resamples of humans and, independently, of each model's "
            f"sessions (seed {int(boot_seed)}). Verdict from the CI of ln k and the margin "
            f"{margin}: calibrated when the CI of k lies within [1/{margin}, {margin}]; else "
            "exaggerates / flattens when the CI of ln k lies above / below 0; else "
            "inconclusive. r: Pearson; "
            "CCC: Lin's concordance; D2 = elevation + scatter + shape (Cronbach & Gleser). "
            "Human pct: percentile of the model's median single session among single humans "
            f"(leave-one-out). Keeps the human order (CSV column keeps_order): {crit_txt} "
            f"(exact one-sided p <= .05 for T = {T})." + na_note)
    return Table(board, disp, "Study 3: profile-fidelity leaderboard.",
                 with_names_note(note, models))


def reference_points_display(refs: pd.DataFrame, fidelity: pd.DataFrame, fmt: str) -> Table:
    """The reference points (:func:`valueaudit.study3.reference_points_table`) for display."""
    an_f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"]]
    n_beat = int((an_f["null_p"] < 0.05).sum())
    disp = pd.DataFrame({"Reference": refs["reference"], "n": [apa(v, "int") for v in refs["n"]],
                         "Unit": refs["unit"],
                         "Fidelity": [_iqr(c, lo, hi) for c, lo, hi in
                                      zip(refs["centre"], refs["low"], refs["high"], strict=True)],
                         "Summary": refs["summary"]})
    return Table(refs, disp, "Study 3: reference points for profile fidelity.",
                 f"{fmt} format. Plug-in fidelity for halves, single humans and single "
                 f"sessions. {n_beat} of {len(an_f)} models exceed their shuffled-label null "
                 "at p < .05 (exact over all relabellings when T! <= the number of "
                 "permutations).")


def respondent_level_display(rl: pd.DataFrame, models: pd.DataFrame) -> Table:
    """The respondent-level comparison (:func:`valueaudit.study3.respondent_level`)."""
    disp = pd.DataFrame({
        "Model": rl["display_name"].fillna(rl["model_id"]),
        "Tier": rl["tier"].fillna(""), "n": [apa(v, "int") for v in rl["n"]],
        "Median [IQR]": [_iqr(a, b, c) for a, b, c in zip(rl["median"], rl["q25"], rl["q75"],
                                                         strict=True)],
        "> human median": [apa(v, "pct") for v in rl["share_above_human_median"]],
        "Human pct": [apa(v, "int") for v in rl["human_percentile"]],
    })
    return Table(rl, disp, "Study 3: single sessions against single humans (respondent level).",
                 with_names_note(
                     "Fidelity of each single session of a model against the human mean profile, "
                     "beside each single respondent against the mean of the others "
                     "(leave-one-out, first row). > human median: share of the model's sessions "
                     "above the median single human. Human pct: percentile of the model's median "
                     "session among the single humans.", models))


def profiles_display(table: pd.DataFrame, fmt: str, n_models: int, n_boot: int,
                     seed: int) -> Table:
    """The human and consensus-LLM profiles side by side for display."""

    def ci(m, a, b):
        return [f"{apa(x)} [{apa(lo)}, {apa(hi)}]" for x, lo, hi in
                zip(table[m], table[a], table[b], strict=True)]

    disp = pd.DataFrame({
        "Theme": table["label"],
        "Humans M [95% CI]": ci("human_mean", "human_low", "human_high"),
        "Rank": [format_rank(v) for v in table["human_rank"]],
        "LLMs M [95% CI]": ci("llm_mean", "llm_low", "llm_high"),
        "LLM rank": [format_rank(v) for v in table["llm_rank"]],
        "Difference": [apa(v) for v in table["difference"]],
    })
    return Table(table, disp, "Study 3: human and consensus-LLM theme profiles.",
                 f"{fmt} format. Humans: mean over respondents, CI from resampling "
                 f"respondents; LLMs: mean of the {n_models} analysed model profiles, CI "
                 f"from {n_boot} resamples of models (seed {seed}). Rank 1 = most important.")


def characteristics_display(tests: pd.DataFrame, n_analysed: int, fmt: str,
                            tiers: Sequence[str]) -> Table:
    """The model-characteristics tests (:func:`valueaudit.study3.characteristics`)."""

    def est(r):
        if pd.isna(r["estimate"]):
            return ""
        bounded = r["test"].startswith(("Spearman", "Kruskal")) or "squared" in r["test"]
        kind = "r" if bounded else "d2"
        s = apa(r["estimate"], kind)
        if pd.notna(r["ci_low"]):
            s += f" [{apa(r['ci_low'], kind)}, {apa(r['ci_high'], kind)}]"
        return s

    def opt(v, kind="d2"):
        return apa(v, kind) if pd.notna(v) else ""

    disp = pd.DataFrame({
        "Predictor": tests["predictor"], "Test": tests["test"],
        "Estimate [95% CI]": [est(r) for _, r in tests.iterrows()],
        "SE": [opt(v) for v in tests["se"]], "Statistic": [opt(v) for v in tests["statistic"]],
        "df": [opt(v, "int") for v in tests["df"]],
        "p": [format_p(v) if pd.notna(v) else "" for v in tests["p"]],
        "n": [apa(v, "int") for v in tests["n"]],
        "Left out": [apa(v, "int") for v in tests["n_missing"]],
    })
    return Table(tests, disp, "Study 3: profile fidelity against model characteristics.",
                 f"{n_analysed} analysed models ({fmt} format). Spearman rho with Fisher-z 95% "
                 "CI; Kruskal-Wallis H across tiers (estimate: epsilon squared); OLS of "
                 "fidelity on log10(parameters), release date (years) and tier (reference: "
                 f"{tiers[0]}) with HC3 standard errors and z tests, and the joint Wald F "
                 "test of the tier terms. Models without a value (e.g. undisclosed size) "
                 "are left out, never imputed (column Left out).")


def agency_display(summ: pd.DataFrame, label: str, how: str, fmt: str, T: int) -> Table:
    """The focal-theme rank summary (:func:`valueaudit.study3.focal_theme_analysis`)."""

    def blank(v, f):
        return "" if pd.isna(v) else f(v)

    disp = pd.DataFrame({
        "Group": summ["group"].str.capitalize(), "n": [apa(v, "int") for v in summ["n"]],
        f"Rank of {label} (of {T})": [format_rank(v) for v in summ["rank"]],
        "Ranked last": [blank(k, lambda k, s=s: f"{int(k)} ({apa(s, 'pct')})")
                        for k, s in zip(summ["n_last"], summ["share_last"], strict=True)],
        "95% CI": [blank(a, lambda a, b=b: f"[{apa(a, 'pct')}, {apa(b, 'pct')}]")
                   for a, b in zip(summ["share_last_low"], summ["share_last_high"], strict=True)],
        "Tied last": [blank(v, lambda v: apa(v, "int")) for v in summ["n_tied_last"]],
        f"p (binomial, 1/{T})": [blank(v, format_p) for v in summ["binom_p"]],
    })
    return Table(summ, disp, f"Study 3: the rank of {label} in humans and models.",
                 f"{fmt} format; focal theme chosen by {how}. Human profile: rank "
                 "of the theme in the mean human profile; single humans and models: median "
                 "rank. Ranked last: score strictly below every other theme (ties at the "
                 "bottom counted separately, not as last); Wilson 95% CI; exact two-sided "
                 f"binomial test of the share of models against 1/{T}.")


def agency_tests_display(tests: pd.DataFrame, label: str, fmt: str, n: int) -> Table:
    """The focal theme against every other theme in humans (Wilcoxon, Holm)."""
    disp = pd.DataFrame({
        "Theme": tests["label"], f"M {label}": [apa(v) for v in tests["mean_focal"]],
        "M theme": [apa(v) for v in tests["mean_other"]],
        "M diff": [apa(v) for v in tests["mean_diff"]], "W": [apa(v) for v in tests["W"]],
        "p (Holm)": [format_p(v) for v in tests["p_holm"]],
        "r_rb": [apa(v, "r") for v in tests["rbc"]], "CLES": [apa(v, "r") for v in tests["cles"]],
    })
    return Table(tests, disp, f"Study 3: {label} against every other theme in humans.",
                 f"Wilcoxon signed-rank tests, N = {n} respondents ({fmt} format), p "
                 f"Holm-adjusted over the {len(tests)} comparisons; r_rb: matched-pairs "
                 f"rank-biserial correlation (negative: {label} lower); CLES: "
                 f"common-language effect size (probability that {label} scores "
                 "higher).")


def robustness_display(ranks: pd.DataFrame, taus: pd.DataFrame, fmt: str) -> Table:
    """Kendall's tau-b between leaderboards as a lower-triangular matrix (row: the later
    leaderboard, column: the earlier one; * p < .05)."""
    names = [c for c in ranks.columns if c != "model_id"]
    mat = pd.DataFrame("", index=names[1:], columns=names[:-1])
    for r in taus.itertuples():
        cell = "NA" if not np.isfinite(r.tau) else apa(r.tau, "r") + ("*" if r.p < 0.05 else "")
        mat.loc[r.index_b, r.index_a] = cell
    disp = mat.reset_index().rename(columns={"index": "Leaderboard"})
    lo_n, hi_n = (int(taus["n"].min()), int(taus["n"].max())) if len(taus) else (0, 0)
    n_txt = f"n = {lo_n}" if lo_n == hi_n else f"n = {lo_n} to {hi_n}"
    return Table(taus, disp, "Study 3: agreement between leaderboards (Kendall's tau-b).",
                 f"Analysed models ({fmt} format; {n_txt} per pair, models with both "
                 "values). Fidelity: the leaderboard's index; "
                 "plug-in: without the noise correction of k; D2 ranked ascending (smaller "
                 "is closer); the other response format uses its own sessions and human "
                 "profile. * p < .05 (two-sided).")


def robustness_ranks_display(ranks: pd.DataFrame) -> Table:
    """The model ranks under each leaderboard, ordered by the first (fidelity)."""
    names = [c for c in ranks.columns if c != "model_id"]
    disp = ranks.copy()
    for c in names:
        disp[c] = [apa(v, "int") if pd.notna(v) else "NA" for v in ranks[c]]
    disp = disp.rename(columns={"model_id": "Model"})
    order = np.argsort(ranks[names[0]].to_numpy(dtype=float), kind="mergesort")
    return Table(ranks.iloc[order].reset_index(drop=True),
                 disp.iloc[order].reset_index(drop=True),
                 "Study 3: model ranks under each leaderboard.",
                 "Rank 1 = closest to the humans; ties share the better rank.")
