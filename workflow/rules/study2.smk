# Study 2: within-model stability (per model) and cross-model convergence
# (aggregates). METHODS section 5; statistics in src/valueaudit/study2/.

S2 = f"{RES}/study2"
S2T = f"{RES}/study2/tables"
S2F = f"{RES}/study2/figures"
S2_CAT = "Study 2: stability and convergence"


rule study2_stability:
    input:
        within=shard_tables("within"),
        models=f"{RES}/data/models.csv",
    output:
        within_all=f"{S2}/within_all.csv",
        table=table_outputs(f"{S2T}/stability"),
        table_html=report_table(
            f"{S2T}/stability",
            "../report/study2/stability.rst",
            S2_CAT,
            "Within-model stability per model",
        ),
        formats=table_outputs(f"{S2T}/stability_formats"),
        formats_html=report_table(
            f"{S2T}/stability_formats",
            "../report/study2/stability_formats.rst",
            S2_CAT,
            "Within-model stability by response format",
        ),
        figure=report_figure(
            f"{S2F}/stability",
            "../report/study2/fig_stability.rst",
            S2_CAT,
            "Within-model stability per model",
        ),
        lineage=lineage("study2_stability"),
    log:
        f"{RES}/logs/study2/stability.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        models=MODELS,
        response_format=config["profiles"]["response_format"],
        min_sessions=config["study2"]["min_sessions"],
        tiers=config["models"]["tiers"],
    script:
        "../../scripts/study2_stability.py"


rule study2_convergence:
    input:
        scores=f"{RES}/data/session_scores.csv",
        models=f"{RES}/data/models.csv",
        instrument=config["instrument"],
    output:
        profiles=f"{S2}/model_profiles.csv",
        convergence=table_outputs(f"{S2T}/convergence"),
        convergence_html=report_table(
            f"{S2T}/convergence",
            "../report/study2/convergence.rst",
            S2_CAT,
            "Cross-model convergence",
        ),
        pairwise=table_outputs(f"{S2T}/pairwise_themes"),
        pairwise_html=report_table(
            f"{S2T}/pairwise_themes",
            "../report/study2/pairwise_themes.rst",
            S2_CAT,
            "Pairwise theme comparisons across models",
        ),
        consensus=table_outputs(f"{S2T}/consensus"),
        consensus_html=report_table(
            f"{S2T}/consensus",
            "../report/study2/consensus.rst",
            S2_CAT,
            "Consensus ordering of the themes",
        ),
        lineage=lineage("study2_convergence"),
    log:
        f"{RES}/logs/study2/convergence.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        response_format=config["profiles"]["response_format"],
        min_sessions=config["study2"]["min_sessions"],
        bootstrap=config["study2"]["bootstrap"],
        seed=seed("study2.consensus"),
    script:
        "../../scripts/study2_convergence.py"


rule study2_clusters:
    input:
        scores=f"{RES}/data/session_scores.csv",
        models=f"{RES}/data/models.csv",
        instrument=config["instrument"],
    output:
        clusters=table_outputs(f"{S2T}/clusters"),
        clusters_html=report_table(
            f"{S2T}/clusters",
            "../report/study2/clusters.rst",
            S2_CAT,
            "Clusters of models",
        ),
        members=table_outputs(f"{S2T}/cluster_members"),
        members_html=report_table(
            f"{S2T}/cluster_members",
            "../report/study2/cluster_members.rst",
            S2_CAT,
            "Cluster membership of the models",
        ),
        selection=table_outputs(f"{S2T}/cluster_selection"),
        selection_html=report_table(
            f"{S2T}/cluster_selection",
            "../report/study2/cluster_selection.rst",
            S2_CAT,
            "Choice of the number of clusters",
        ),
        heatmap=report_figure(
            f"{S2F}/profile_heatmap",
            "../report/study2/fig_profile_heatmap.rst",
            S2_CAT,
            "Centred theme profiles and clusters",
        ),
        map=report_figure(
            f"{S2F}/profile_map",
            "../report/study2/fig_profile_map.rst",
            S2_CAT,
            "Map of the models (principal components)",
        ),
        lineage=lineage("study2_clusters"),
    log:
        f"{RES}/logs/study2/clusters.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        response_format=config["profiles"]["response_format"],
        min_sessions=config["study2"]["min_sessions"],
        max_clusters=config["study2"]["max_clusters"],
    script:
        "../../scripts/study2_clusters.py"


rule study2_macros:
    input:
        formats=f"{S2T}/stability_formats.csv",
        convergence=f"{S2T}/convergence.csv",
        pairwise=f"{S2T}/pairwise_themes.csv",
        consensus=f"{S2T}/consensus.csv",
        selection=f"{S2T}/cluster_selection.csv",
        instrument=config["instrument"],
    output:
        macros=f"{S2}/macros.tex",
        lineage=lineage("study2_macros"),
    log:
        f"{RES}/logs/study2/macros.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        response_format=config["profiles"]["response_format"],
    script:
        "../../scripts/study2_macros.py"


STUDY2_TARGETS = [
    *multiext(f"{S2T}/stability", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/stability_formats", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/convergence", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/pairwise_themes", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/consensus", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/clusters", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/cluster_members", ".csv", ".tex", ".md"),
    *multiext(f"{S2T}/cluster_selection", ".csv", ".tex", ".md"),
    *multiext(f"{S2F}/stability", ".pdf", ".png"),
    *multiext(f"{S2F}/profile_heatmap", ".pdf", ".png"),
    *multiext(f"{S2F}/profile_map", ".pdf", ".png"),
    f"{S2}/macros.tex",
    *multiext(f"{S2T}/parse_audit", ".csv", ".tex", ".md"),
]


rule study2_parse_audit:
    input:
        status=f"{RES}/data/parse_status.csv",
    output:
        table=table_outputs(f"{S2T}/parse_audit"),
        table_html=report_table(
            f"{S2T}/parse_audit",
            "../report/study2/parse_audit.rst",
            S2_CAT,
            "Parse audit",
        ),
        lineage=lineage("study2_parse_audit"),
    log:
        f"{RES}/logs/study2/parse_audit.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        parser_version=PARSER_VERSION,
    script:
        "../../scripts/study2_parse_audit.py"
