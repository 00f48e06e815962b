"""Study 2 display tables and macros: APA-formatted frames of the analyses' results and
the key numbers for the paper, keyed by the tables' column values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import model_names
from ..tables import apa, format_ci, macro_name
from .clusters import cluster_centroids

__all__ = ["STAT_W", "STAT_RHO", "STAT_ALPHA", "STAT_FRIEDMAN", "MACRO_PREFIX",
           "stability_table", "stability_formats_display", "convergence_table",
           "pairwise_display", "consensus_display", "clusters_display", "study2_macros",
           "macro_aliases"]

#: Values of the ``statistic`` column of the convergence table (its row keys).
STAT_W = "Kendall's W (models as judges)"
STAT_RHO = "Mean pairwise Spearman rho"
STAT_ALPHA = "Krippendorff's alpha (interval)"
STAT_FRIEDMAN = "Friedman test, effect size W"

#: Prefix of every Study 2 macro key (macros read ``\\studyTwo...``).
MACRO_PREFIX = "study_two_"


def _names(models: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    if models is None or not len(models):
        return {}, {}
    m = models.astype({"model_id": str})
    return (model_names(m),
            dict(zip(m["model_id"], m["tier"].astype(str), strict=True)))


def stability_table(within: pd.DataFrame, models: pd.DataFrame | None,
                    fmt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-model stability in one format: the full table (CSV) and its APA display.

    Rows sorted by ICC(A,1) (highest first; models without an estimate last, by id).
    """
    names, tiers = _names(models)
    d = within[within["format"] == fmt].copy()
    d.insert(1, "display_name", [names.get(m, m) for m in d["model_id"]])
    d.insert(2, "tier", [tiers.get(m, "") for m in d["model_id"]])
    d = (d.assign(_v=-d["icc_a1"].astype(float).fillna(-np.inf))
         .sort_values(["_v", "model_id"], kind="mergesort").drop(columns="_v")
         .reset_index(drop=True))
    disp = pd.DataFrame({
        "Model": d["display_name"], "Tier": d["tier"],
        "Valid sessions": [f"{v}/{n}" for v, n in zip(d["n_valid"], d["n_sessions"], strict=True)],
        "ICC(A,1) [95% CI]": [format_ci(a, b, c) for a, b, c in
                              zip(d["icc_a1"], d["icc_a1_low"], d["icc_a1_high"], strict=True)],
        "ICC(A,k) [95% CI]": [format_ci(a, b, c) for a, b, c in
                              zip(d["icc_ak"], d["icc_ak_low"], d["icc_ak_high"], strict=True)],
        "W": [apa(v, "r") for v in d["w"]],
        "Mean rho": [apa(v, "r") for v in d["mean_rho"]],
        "Parse rate": [apa(v, "r") for v in d["parse_rate"]],
        "Refusal rate": [apa(v, "r") for v in d["refusal_rate"]],
        "Note": d["note"].fillna("").astype(str),
    })
    return d, disp


def stability_formats_display(summary: pd.DataFrame) -> pd.DataFrame:
    """APA display of :func:`stability_summary`."""
    return pd.DataFrame({
        "Format": summary["format"],
        "Models": summary["n_models"].astype(int).astype(str),
        "Estimated": summary["n_estimated"].astype(int).astype(str),
        "ICC(A,1) Mdn [IQR]": [format_ci(a, b, c) for a, b, c in zip(
            summary["icc_a1_median"], summary["icc_a1_q1"], summary["icc_a1_q3"], strict=True)],
        "ICC(A,1) min": [apa(v, "r") for v in summary["icc_a1_min"]],
        "ICC(A,k) Mdn": [apa(v, "r") for v in summary["icc_ak_median"]],
        "W Mdn": [apa(v, "r") for v in summary["w_median"]],
        "Mean rho Mdn": [apa(v, "r") for v in summary["rho_median"]],
        "Parse rate Mdn": [apa(v, "r") for v in summary["parse_rate_median"]],
    })


def convergence_table(conv: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cross-model convergence summary as a long table and its APA display."""
    rows = [
        (STAT_W, conv["W"], "chi2", conv["chi2"], conv["df"], conv["p"]),
        (STAT_RHO, conv["mean_rho"], "", math.nan, math.nan, math.nan),
        (STAT_ALPHA, conv["alpha_interval"], "", math.nan, math.nan,
         math.nan),
        (STAT_FRIEDMAN, conv["friedman_W"], "Q", conv["friedman_Q"],
         conv["friedman_df"], conv["friedman_p"]),
    ]
    df = pd.DataFrame(rows, columns=["statistic", "estimate", "test", "test_value", "df", "p"])
    df["n_models"] = conv["n_models"]
    df["n_themes"] = conv["n_themes"]
    test_txt = [
        "" if not t else (f"{t}({apa(d, 'int')}) = {apa(v, 'd2')}"
                          if np.isfinite(v) else "NA")
        for t, v, d in zip(df["test"], df["test_value"], df["df"], strict=True)
    ]
    disp = pd.DataFrame({
        "Statistic": df["statistic"], "Estimate": [apa(v, "r") for v in df["estimate"]],
        "Test": test_txt,
        "p": ["" if not t else apa(p, "p") for t, p in zip(df["test"], df["p"], strict=True)],
    })
    return df, disp


def pairwise_display(pw: pd.DataFrame, theme_labels: Mapping[str, str]) -> pd.DataFrame:
    """APA display of :func:`pairwise_theme_tests`."""
    return pd.DataFrame({
        "Theme A": [theme_labels.get(t, t) for t in pw["theme_a"]],
        "Theme B": [theme_labels.get(t, t) for t in pw["theme_b"]],
        "M(A)": [apa(v) for v in pw["mean_a"]], "M(B)": [apa(v) for v in pw["mean_b"]],
        "Mdn diff": [apa(v) for v in pw["median_diff"]],
        "W": [f"{v:.1f}" if np.isfinite(v) else "NA" for v in pw["W"]],
        "p (Holm)": [apa(v, "p") for v in pw["p_holm"]],
        "r(rb)": [apa(v, "r") for v in pw["rbc"]],
        "CLES": [apa(v, "r") for v in pw["cles"]],
    })


def consensus_display(cons: pd.DataFrame, theme_labels: Mapping[str, str]) -> pd.DataFrame:
    """APA display of :func:`consensus_ordering`."""
    return pd.DataFrame({
        "Position": cons["position"].astype(int).astype(str),
        "Theme": [theme_labels.get(t, t) for t in cons["theme"]],
        "Mean rank [95% CI]": [format_ci(a, b, c, "d2") for a, b, c in zip(
            cons["mean_rank"], cons["rank_low"], cons["rank_high"], strict=True)],
        "Mean score [95% CI]": [format_ci(a, b, c, "d2") for a, b, c in zip(
            cons["mean_score"], cons["score_low"], cons["score_high"], strict=True)],
        "Ranked first": [apa(v, "r") for v in cons["p_top"]],
    })


def clusters_display(
    main: Mapping[str, Any],
    shape: Mapping[str, Any] | None,
    names: Mapping[str, str],
    tiers: Mapping[str, str],
    theme_labels: Mapping[str, str],
) -> dict[str, pd.DataFrame]:
    """Cluster tables from :func:`cluster_profiles` results.

    ``main`` is the clustering of centred profiles, ``shape`` (optional) that of
    standardised profiles (sensitivity analysis). Returns ``clusters`` (cluster, n,
    mean silhouette, members, centroid per theme), ``members`` (one row per model),
    ``selection`` (mean silhouette per k for both), each with an APA ``*_disp`` frame.
    """
    X = main["X"]
    themes = list(X.columns)
    lab = main["labels"]
    if len(lab):
        cen = cluster_centroids(X, lab)
        sil = main["sample_silhouette"].groupby(lab).mean()
        members = [";".join(m for m in main["leaves"] if lab[m] == c) for c in cen.index]
        clusters = pd.DataFrame({"cluster": cen.index.astype(int), "n": cen["n"].to_numpy(),
                                 "silhouette": sil.reindex(cen.index).to_numpy(),
                                 "members": members})
        for t in themes:
            clusters[t] = cen[t].to_numpy()
    else:
        clusters = pd.DataFrame(columns=["cluster", "n", "silhouette", "members", *themes])
    clusters_disp = pd.DataFrame({
        "Cluster": clusters["cluster"].astype(str), "n": clusters["n"].astype(str),
        "Silhouette": [apa(v, "r") for v in clusters["silhouette"]],
        **{theme_labels.get(t, t): [apa(v) for v in clusters[t]] for t in themes},
    })
    order = list(main["leaves"])
    shape_lab = shape["labels"] if shape is not None else pd.Series(dtype=int)
    mem = pd.DataFrame({
        "model_id": order, "display_name": [names.get(m, m) for m in order],
        "tier": [tiers.get(m, "") for m in order],
        "cluster": [int(lab[m]) if m in lab.index else pd.NA for m in order],
        "silhouette": [float(main["sample_silhouette"][m]) if m in lab.index else math.nan
                       for m in order],
        "cluster_standardised": [int(shape_lab[m]) if m in shape_lab.index else pd.NA
                                 for m in order],
    })
    if len(lab):
        mem = mem.sort_values("cluster", kind="mergesort").reset_index(drop=True)
    members_disp = pd.DataFrame({
        "Model": mem["display_name"], "Tier": mem["tier"],
        "Cluster": ["NA" if pd.isna(v) else str(v) for v in mem["cluster"]],
        "Silhouette": [apa(v, "r") for v in mem["silhouette"]],
        "Cluster (standardised)": ["NA" if pd.isna(v) else str(v)
                                   for v in mem["cluster_standardised"]],
    })
    sel = main["silhouette"].rename(columns={"silhouette": "silhouette_centred"})
    if shape is not None:
        sel = sel.merge(shape["silhouette"].rename(columns={"silhouette":
                                                            "silhouette_standardised"}),
                        on="k", how="outer")
    else:
        sel["silhouette_standardised"] = math.nan
    sel = sel.sort_values("k").reset_index(drop=True)
    sel["chosen_centred"] = sel["k"] == main["k"]
    sel["chosen_standardised"] = sel["k"] == (shape["k"] if shape is not None else None)
    sel["k"] = sel["k"].astype(int)

    def mark(v, chosen):
        return apa(v, "r") + ("*" if chosen else "")

    selection_disp = pd.DataFrame({
        "k": sel["k"].astype(str),
        "Centred": [mark(v, c) for v, c in zip(sel["silhouette_centred"],
                                               sel["chosen_centred"], strict=True)],
        "Standardised": [mark(v, c) for v, c in zip(sel["silhouette_standardised"],
                                                    sel["chosen_standardised"], strict=True)],
    })
    return {"clusters": clusters, "clusters_disp": clusters_disp, "members": mem,
            "members_disp": members_disp, "selection": sel, "selection_disp": selection_disp}


def _row(frame: pd.DataFrame, column: str, value: Any, table: str) -> pd.Series:
    """The one row of ``frame`` whose ``column`` equals ``value``; ``ValueError`` naming the
    table and the missing (or repeated) row otherwise."""
    if column not in frame.columns:
        raise ValueError(f"{table} table has no column {column!r}")
    hit = frame[frame[column] == value]
    if len(hit) != 1:
        what = "no row" if hit.empty else f"{len(hit)} rows"
        raise ValueError(f"{table} table has {what} with {column} = {value!r} "
                         "(needed for the Study 2 macros)")
    return hit.iloc[0]


def _chosen(selection: pd.DataFrame, flag: str, column: str) -> tuple[str, str]:
    """k and silhouette of the chosen row (``flag`` true), or ``NA`` without a clustering."""
    for c in ("k", flag, column):
        if c not in selection.columns:
            raise ValueError(f"cluster_selection table has no column {c!r}")
    chosen = selection[selection[flag].astype(bool)]
    if chosen.empty:
        return "NA", "NA"
    return apa(chosen["k"].iloc[0], "int"), apa(chosen[column].iloc[0], "r")


def study2_macros(
    formats: pd.DataFrame,
    convergence: pd.DataFrame,
    pairwise: pd.DataFrame,
    consensus: pd.DataFrame,
    selection: pd.DataFrame,
    fmt: str = "rating",
    theme_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Key Study 2 numbers, APA-formatted, read from the Study 2 table CSVs.

    Keys start with :data:`MACRO_PREFIX` (``study_two_stab_icc_median`` is written as
    ``\\studyTwoStabIccMedian`` by :func:`valueaudit.tables.write_macros`). Rows are found
    by their key columns (``format`` of the stability-by-format table, ``statistic`` of the
    convergence table); a missing row raises ``ValueError`` naming it.
    """
    labels = theme_labels or {}
    f = _row(formats, "format", fmt, "stability_formats")
    w = _row(convergence, "statistic", STAT_W, "convergence")
    fr = _row(convergence, "statistic", STAT_FRIEDMAN, "convergence")
    rho = _row(convergence, "statistic", STAT_RHO, "convergence")
    alpha = _row(convergence, "statistic", STAT_ALPHA, "convergence")
    sig = int((pairwise["p_holm"] < 0.05).sum())
    order = [labels.get(t, t) for t in consensus.sort_values("position")["theme"]]
    k_c, sil_c = _chosen(selection, "chosen_centred", "silhouette_centred")
    k_s, sil_s = _chosen(selection, "chosen_standardised", "silhouette_standardised")
    values = {
        "stab_format": fmt,
        "stab_models": apa(f["n_models"], "int"),
        "stab_estimated": apa(f["n_estimated"], "int"),
        "stab_na": apa(f["n_na"], "int"),
        "stab_icc_median": apa(f["icc_a1_median"], "r"),
        "stab_icc_q_low": apa(f["icc_a1_q1"], "r"),
        "stab_icc_q_high": apa(f["icc_a1_q3"], "r"),
        "stab_icc_min": apa(f["icc_a1_min"], "r"),
        "stab_icck_median": apa(f["icc_ak_median"], "r"),
        "stab_w_median": apa(f["w_median"], "r"),
        "stab_rho_median": apa(f["rho_median"], "r"),
        "conv_models": apa(w["n_models"], "int"),
        "conv_w": apa(w["estimate"], "r"),
        "conv_chi": apa(w["test_value"], "d2"),
        "conv_df": apa(w["df"], "int"),
        "conv_p": apa(w["p"], "p"),
        "conv_rho": apa(rho["estimate"], "r"),
        "conv_alpha": apa(alpha["estimate"], "r"),
        "friedman_q": apa(fr["test_value"], "d2"),
        "friedman_df": apa(fr["df"], "int"),
        "friedman_p": apa(fr["p"], "p"),
        "friedman_w": apa(fr["estimate"], "r"),
        "pairs_total": apa(len(pairwise), "int"),
        "pairs_significant": apa(sig, "int"),
        "consensus_order": ", ".join(order),
        "consensus_first": order[0] if order else "NA",
        "consensus_last": order[-1] if order else "NA",
        "clust_k": k_c,
        "clust_sil": sil_c,
        "clust_k_shape": k_s,
        "clust_sil_shape": sil_s,
    }
    return {MACRO_PREFIX + k: v for k, v in values.items()}


def macro_aliases(values: Mapping[str, str]) -> dict[str, str]:
    """The former (unprefixed) macro name of each Study 2 macro key, mapped to that key, for
    :func:`valueaudit.tables.write_macros` ``aliases``: ``stabIccMedian`` ->
    ``study_two_stab_icc_median``."""
    return {macro_name(k.removeprefix(MACRO_PREFIX)): k for k in values
            if k.startswith(MACRO_PREFIX)}
