# Study 2: within-model stability (per model) and cross-model convergence
# (aggregates). METHODS section 5; statistics in src/valueaudit/study2.py.

S2 = f"{RES}/study2"
S2T = f"{RES}/study2/tables"
S2F = f"{RES}/study2/figures"
S2_CAT = "Study 2: stability and convergence"


rule study2_within:
    input:
        responses=f"{RES}/data/responses/{{model}}.csv",
        status=f"{RES}/data/status/{{model}}.csv",
        instrument=config["instrument"],
    output:
        within=f"{S2}/within/{{model}}.csv",
        lineage=lineage("study2_within", per_model=True),
    log:
        f"{RES}/logs/study2/within/{{model}}.log",
    group:
        "per_model"
    conda:
        "../../envs/valueaudit.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        min_sessions=config["study2"]["min_sessions"],
    script:
        "../../scripts/study2_within.py"


rule study2_stability:
    input:
        within=per_model(f"{S2}/within/{{model}}.csv"),
        models=f"{RES}/data/models.csv",
    output:
        within_all=f"{S2}/within_all.csv",
        table=report(
            multiext(f"{S2T}/stability", ".csv", ".tex", ".md"),
            caption="../report/study2/stability.rst",
            category=S2_CAT,
            subcategory="Within-model stability",
        ),
        formats=report(
            multiext(f"{S2T}/stability_formats", ".csv", ".tex", ".md"),
            caption="../report/study2/stability_formats.rst",
            category=S2_CAT,
            subcategory="Within-model stability",
        ),
        figure=report(
            multiext(f"{S2F}/stability", ".pdf", ".png"),
            caption="../report/study2/fig_stability.rst",
            category=S2_CAT,
            subcategory="Within-model stability",
        ),
        lineage=lineage("study2_stability"),
    log:
        f"{RES}/logs/study2/stability.log",
    conda:
        "../../envs/valueaudit.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
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
        convergence=report(
            multiext(f"{S2T}/convergence", ".csv", ".tex", ".md"),
            caption="../report/study2/convergence.rst",
            category=S2_CAT,
            subcategory="Cross-model convergence",
        ),
        pairwise=report(
            multiext(f"{S2T}/pairwise_themes", ".csv", ".tex", ".md"),
            caption="../report/study2/pairwise_themes.rst",
            category=S2_CAT,
            subcategory="Cross-model convergence",
        ),
        consensus=report(
            multiext(f"{S2T}/consensus", ".csv", ".tex", ".md"),
            caption="../report/study2/consensus.rst",
            category=S2_CAT,
            subcategory="Cross-model convergence",
        ),
        lineage=lineage("study2_convergence"),
    log:
        f"{RES}/logs/study2/convergence.log",
    conda:
        "../../envs/valueaudit.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        response_format=config["profiles"]["response_format"],
        min_sessions=config["study2"]["min_sessions"],
        bootstrap=config["study2"]["bootstrap"],
        seed=config["seed"],
    script:
        "../../scripts/study2_convergence.py"


rule study2_clusters:
    input:
        scores=f"{RES}/data/session_scores.csv",
        models=f"{RES}/data/models.csv",
        instrument=config["instrument"],
    output:
        clusters=report(
            multiext(f"{S2T}/clusters", ".csv", ".tex", ".md"),
            caption="../report/study2/clusters.rst",
            category=S2_CAT,
            subcategory="Clusters of models",
        ),
        members=report(
            multiext(f"{S2T}/cluster_members", ".csv", ".tex", ".md"),
            caption="../report/study2/cluster_members.rst",
            category=S2_CAT,
            subcategory="Clusters of models",
        ),
        selection=report(
            multiext(f"{S2T}/cluster_selection", ".csv", ".tex", ".md"),
            caption="../report/study2/cluster_selection.rst",
            category=S2_CAT,
            subcategory="Clusters of models",
        ),
        heatmap=report(
            multiext(f"{S2F}/profile_heatmap", ".pdf", ".png"),
            caption="../report/study2/fig_profile_heatmap.rst",
            category=S2_CAT,
            subcategory="Clusters of models",
        ),
        map=report(
            multiext(f"{S2F}/profile_map", ".pdf", ".png"),
            caption="../report/study2/fig_profile_map.rst",
            category=S2_CAT,
            subcategory="Clusters of models",
        ),
        lineage=lineage("study2_clusters"),
    log:
        f"{RES}/logs/study2/clusters.log",
    conda:
        "../../envs/valueaudit.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        response_format=config["profiles"]["response_format"],
        min_sessions=config["study2"]["min_sessions"],
        max_clusters=config["study2"].get("max_clusters", 8),
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
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
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
        table=report(
            multiext(f"{S2T}/parse_audit", ".csv", ".tex", ".md"),
            caption="../report/study2/parse_audit.rst",
            category=S2_CAT,
            subcategory="Parsing",
        ),
        lineage=lineage("study2_parse_audit"),
    log:
        f"{RES}/logs/study2/parse_audit.log",
    conda:
        "../../envs/valueaudit.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        parser_version=PARSER_VERSION,
    script:
        "../../scripts/study2_parse_audit.py"
