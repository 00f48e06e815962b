"""Study 2 rule steps: for each rule, the one function that takes the inputs already read
and the rule's params and returns everything the rule writes (tables with their display
frames, captions and notes; data CSVs; figures; macros) and the line it logs.

The rule scripts only read, call one of these and write; the functions can be used
without Snakemake as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..contracts import model_names, with_names_note
from ..instrument import FORMATS
from ..tables import Outputs, Table
from .clusters import cluster_profiles, profile_map
from .convergence import consensus_ordering, convergence, model_profiles, pairwise_theme_tests
from .report import (
    clusters_display,
    consensus_display,
    convergence_table,
    macro_aliases,
    pairwise_display,
    stability_formats_display,
    stability_table,
    study2_macros,
)
from .within import stability_summary

__all__ = ["Table", "Outputs", "stability_step", "convergence_step", "clusters_step",
           "macros_step", "parse_audit_step"]


def _format_order(fmt: str) -> list[str]:
    """The response formats with ``fmt`` (the one that feeds the cross-model analyses) first."""
    return [fmt, *[f for f in FORMATS if f != fmt]]


def _tiers(models: pd.DataFrame) -> dict[str, str]:
    return dict(zip(models["model_id"], models["tier"], strict=True))


def stability_step(
    within: Sequence[pd.DataFrame],
    models: pd.DataFrame,
    response_format: str = "rating",
    min_sessions: int = 3,
    tiers: Sequence[str] = ("small", "mid", "frontier"),
) -> Outputs:
    """Rule ``study2_stability``: the per-model tables of
    :func:`~valueaudit.study2.within_model_table` combined (``within_all``), the per-model
    stability table (``table``), its distribution by format (``formats``) and the dot plot
    (``figure``)."""
    from ..plotting import setup
    from .figures import plot_stability

    fmt = response_format
    min_sessions = int(min_sessions)
    w = pd.concat(list(within), ignore_index=True)
    w["note"] = w["note"].fillna("")
    w = w.sort_values(["model_id", "format"], kind="mergesort").reset_index(drop=True)
    full, disp = stability_table(w, models, fmt)
    target = "items" if fmt == "rating" else "themes"
    table = Table(
        full, disp,
        caption=f"Within-model stability across sessions ({fmt} format): absolute-agreement "
        f"ICCs with {target} as targets and sessions as raters, Kendall's W and the mean pairwise "
        "Spearman correlation between the sessions' theme profiles.",
        note=with_names_note(
            "ICC(A,1) and ICC(A,k) (McGraw and Wong, 1996) with 95% CIs; W tie-corrected. "
            f"Models with fewer than {min_sessions} valid sessions are NA with the reason stated. "
            "Parse rate: share of sessions answered in a readable form (ok or repaired).", models),
    )
    summary = stability_summary(w)
    order = {f: i for i, f in enumerate(_format_order(fmt))}
    summary = summary.sort_values("format", key=lambda s: s.map(order)).reset_index(drop=True)
    formats = Table(
        summary, stability_formats_display(summary),
        caption="Within-model stability by response format: distribution over models.",
        note=f"Mdn = median over models with an estimate; IQR = interquartile range. Models with "
        f"fewer than {min_sessions} valid sessions are not estimated.",
    )
    setup()
    fig = plot_stability(w, model_names(models), _tiers(models), list(tiers), _format_order(fmt))
    records = summary[["format", "n_estimated", "icc_a1_median"]].to_dict("records")
    log = f"stability of {w['model_id'].nunique()} models; {records}"
    return Outputs(tables={"table": table, "formats": formats}, frames={"within_all": w},
                       figures={"figure": fig}, log=log)


def _left_out(excluded: pd.DataFrame, min_sessions: int) -> str:
    if not len(excluded):
        return ""
    return (f" Left out: {len(excluded)} model(s) with fewer than {min_sessions} valid "
            f"sessions ({', '.join(excluded['model_id'])}).")


def convergence_step(
    scores: pd.DataFrame,
    models: pd.DataFrame,
    instrument,
    seed: int,
    response_format: str = "rating",
    min_sessions: int = 3,
    bootstrap: int = 2000,
) -> Outputs:
    """Rule ``study2_convergence``: the models' mean profiles (``profiles``), the
    convergence statistics (``convergence``), the pairwise theme tests (``pairwise``) and
    the consensus ordering (``consensus``; bootstrap with ``seed``, the seed of the
    ``study2.consensus`` stream)."""
    fmt = response_format
    min_sessions, n_boot = int(min_sessions), int(bootstrap)
    labels = instrument.label_of()
    profiles, excluded = model_profiles(scores, instrument, fmt, min_sessions,
                                        models["model_id"])
    left_out = _left_out(excluded, min_sessions)
    conv = convergence(profiles)
    full, disp = convergence_table(conv)
    conv_table = Table(
        full, disp,
        caption=f"Cross-model convergence of the theme profiles ({fmt} format; "
        f"{conv['n_models']} models x {conv['n_themes']} themes).",
        note="Kendall's W tie-corrected, chi2 = m(n - 1)W on n - 1 df; Krippendorff's alpha with "
        "models as coders and themes as units; Friedman test with models as blocks." + left_out,
    )
    pw = pairwise_theme_tests(profiles)
    pw_table = Table(
        pw, pairwise_display(pw, labels),
        caption="Pairwise differences between themes across models: Wilcoxon signed-rank tests.",
        note=f"n = {conv['n_models']} models; p values Holm-corrected over {len(pw)} pairs; "
        "r(rb) = matched-pairs rank-biserial correlation (positive: Theme A higher); "
        "CLES = common-language effect size.",
    )
    cons = consensus_ordering(profiles, n_boot, int(seed))
    cons_table = Table(
        cons, consensus_display(cons, labels),
        caption="Consensus ordering of the themes across models.",
        note=f"Ranks within each model (1 = highest priority); 95% percentile bootstrap CIs over "
        f"models ({n_boot} resamples). Ranked first: share of models ranking the theme first "
        "(ties shared)." + left_out,
    )
    log = (f"convergence over {conv['n_models']} models: W {conv['W']:.3f} "
           f"(p {conv['p']:.3g}), alpha {conv['alpha_interval']:.3f}; "
           f"consensus {' > '.join(cons['theme'])}")
    return Outputs(
        tables={"convergence": conv_table, "pairwise": pw_table, "consensus": cons_table},
        frames={"profiles": profiles.reset_index()}, log=log)


def clusters_step(
    scores: pd.DataFrame,
    models: pd.DataFrame,
    instrument,
    response_format: str = "rating",
    min_sessions: int = 3,
    max_clusters: int = 8,
) -> Outputs:
    """Rule ``study2_clusters``: Ward clustering of the centred profiles (``clusters``,
    ``members``, ``selection``; standardised profiles as the sensitivity analysis), the
    heatmap with its dendrogram (``heatmap``) and the principal-component map (``map``)."""
    from ..plotting import setup
    from .figures import plot_profile_heatmap, plot_profile_map

    fmt = response_format
    k_max = int(max_clusters)
    tlabels = instrument.label_of()
    names = model_names(models)
    profiles, _ = model_profiles(scores, instrument, fmt, int(min_sessions), models["model_id"])
    main = cluster_profiles(profiles, "centre", k_max=k_max)
    shape = cluster_profiles(profiles, "standardise", k_max=k_max)
    tabs = clusters_display(main, shape, names, _tiers(models), tlabels)
    why = f" {main['reason']}." if main["reason"] else ""
    tables = {
        "clusters": Table(
            tabs["clusters"], tabs["clusters_disp"],
            caption=f"Clusters of models by their centred theme profiles ({fmt} format; Ward "
            f"linkage, k = {main['k']} by mean silhouette width): size, mean silhouette and "
            "centroid (centred theme scores).",
            note="Centred score = theme score minus the model's mean over themes." + why),
        "members": Table(
            tabs["members"], tabs["members_disp"],
            caption="Cluster membership of each model (centred profiles) and, as a sensitivity "
            "analysis, of its standardised profile (shape only, spread removed).",
            note=with_names_note("Silhouette: the model's silhouette width in its "
                                 "centred-profile cluster.", models)),
        "selection": Table(
            tabs["selection"], tabs["selection_disp"],
            caption="Choice of the number of clusters: mean silhouette width for each k.",
            note=f"k = 2 .. min({k_max}, models - 1); the k with the largest width is kept "
            "(marked *). Standardised: each profile divided by its standard deviation over "
            "themes."),
    }
    setup()
    heatmap = plot_profile_heatmap(main, names, tlabels)
    pmap = profile_map(main["X"])
    figure_map = plot_profile_map(pmap, main["labels"], tlabels)
    log = (f"clusters: k={main['k']} (silhouette {main['silhouette'].to_dict('list')}); "
           f"standardised k={shape['k']}; PCA explained {pmap['explained']}")
    return Outputs(tables=tables, figures={"heatmap": heatmap, "map": figure_map}, log=log)


def macros_step(
    formats: pd.DataFrame,
    convergence: pd.DataFrame,
    pairwise: pd.DataFrame,
    consensus: pd.DataFrame,
    selection: pd.DataFrame,
    instrument,
    response_format: str = "rating",
) -> Outputs:
    """Rule ``study2_macros``: the key numbers (:func:`~valueaudit.study2.study2_macros`)
    and the former macro names as aliases (:func:`~valueaudit.study2.macro_aliases`)."""
    values = study2_macros(formats, convergence, pairwise, consensus, selection,
                           response_format, instrument.label_of())
    return Outputs(macros=values, aliases=macro_aliases(values),
                       log=f"{len(values)} macros")


def parse_audit_step(status: pd.DataFrame) -> Outputs:
    """Rule ``study2_parse_audit``: sessions per model, format, status and reason
    (:func:`valueaudit.parse_audit.parse_audit`) with its caption and note (``table``)."""
    from ..parse_audit import parse_audit

    table = parse_audit(status)
    versions = sorted(set(status["parser_version"])) if "parser_version" in status else []
    out = Table(
        table,
        caption="Parse audit: sessions per model and response format by parse status and reason "
        "(repaired sessions by what was repaired).",
        note=f"Parser version {', '.join(versions) or 'NA'}. Share: of the model's sessions in "
        "that format. Reasons: truncated (cut off before complete), missing_item, out_of_range, "
        "non_integer, invalid_value, tie, conflict (two different values for one target), "
        "ambiguous_key, unknown_key, refusal, empty_response, no_answer_found, api_error. "
        "Excerpts of the answers are in the CSV and Markdown versions.",
    )
    reasons = table.loc[table["reason"] != ""].groupby("reason")["sessions"].sum().to_dict()
    log = (f"parse audit: {len(table)} rows for {table['model_id'].nunique()} models; "
           f"reasons {reasons}")
    return Outputs(tables={"table": out}, log=log)
