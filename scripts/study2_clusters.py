"""Rule study2_clusters: Ward clustering of centred profiles, heatmap with dendrogram, 2-D map."""

import pandas as pd

from valueaudit.contracts import model_names, with_names_note
from valueaudit.instrument import load_instrument
from valueaudit.plotting import save_figure, setup
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import (
    cluster_profiles,
    clusters_display,
    model_profiles,
    plot_profile_heatmap,
    plot_profile_map,
    profile_map,
)
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    tlabels = ins.label_of()
    fmt = smk.params.response_format
    min_sessions = int(smk.params.min_sessions)
    k_max = int(smk.params.max_clusters)
    scores = pd.read_csv(smk.input.scores)
    models = pd.read_csv(smk.input.models, keep_default_na=False)
    names = model_names(models)
    tiers = dict(zip(models["model_id"], models["tier"], strict=True))
    profiles, excluded = model_profiles(scores, ins, fmt, min_sessions, models["model_id"])

    main = cluster_profiles(profiles, "centre", k_max=k_max)
    shape = cluster_profiles(profiles, "standardise", k_max=k_max)
    tabs = clusters_display(main, shape, names, tiers, tlabels)
    why = f" {main['reason']}." if main["reason"] else ""
    write_table(
        tabs["clusters"], smk.output.clusters[0].removesuffix(".csv"), display=tabs["clusters_disp"],
        caption=f"Clusters of models by their centred theme profiles ({fmt} format; Ward "
        f"linkage, k = {main['k']} by mean silhouette width): size, mean silhouette and "
        "centroid (centred theme scores).",
        note="Centred score = theme score minus the model's mean over themes." + why,
    )
    write_table(
        tabs["members"], smk.output.members[0].removesuffix(".csv"), display=tabs["members_disp"],
        caption="Cluster membership of each model (centred profiles) and, as a sensitivity "
        "analysis, of its standardised profile (shape only, spread removed).",
        note=with_names_note("Silhouette: the model's silhouette width in its centred-profile "
                             "cluster.", models),
    )
    write_table(
        tabs["selection"], smk.output.selection[0].removesuffix(".csv"),
        display=tabs["selection_disp"],
        caption="Choice of the number of clusters: mean silhouette width for each k.",
        note=f"k = 2 .. min({k_max}, models - 1); the k with the largest width is kept (marked *). "
        "Standardised: each profile divided by its standard deviation over themes.",
    )
    setup()
    save_figure(plot_profile_heatmap(main, names, tlabels),
                smk.output.heatmap[0].removesuffix(".pdf"))
    pmap = profile_map(main["X"])
    save_figure(plot_profile_map(pmap, main["labels"], tlabels),
                smk.output.map[0].removesuffix(".pdf"))
    log.info("clusters: k=%s (silhouette %s); standardised k=%s; PCA explained %s",
             main["k"], main["silhouette"].to_dict("list"), shape["k"], pmap["explained"])
