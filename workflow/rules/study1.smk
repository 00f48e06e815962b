# Study 1 (METHODS 4): export the open-ended answers for coders, import their
# coding (.qdpx or coding CSV), and report the codebook, theme prevalence,
# inter-coder reliability, saturation and co-occurrence.

S1 = f"{RES}/study1"
S1_CAT = "Study 1: thematic coding"
# how the coders' presence judgements are combined for prevalence and co-occurrence
S1_RULE = config["study1"]["prevalence_rule"]


rule study1_export:
    input:
        answers=shard_tables("answers"),
        codebook=config["coding"]["codebook"],
        instrument=config["instrument"],
    output:
        qdpx=f"{S1}/export/open_answers.qdpx",
        csv=f"{S1}/export/open_answers.csv",
        lineage=lineage("study1_export"),
    log:
        f"{RES}/logs/study1/export.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        models=MODELS,
    script:
        "../../scripts/study1_export.py"


rule study1_import:
    input:
        source=config["coding"]["source"],
        codebook=config["coding"]["codebook"],
        instrument=config["instrument"],
        themes=f"{RES}/data/themes.csv",
        # a coding CSV carries no texts: the answers it codes are coding.answers, else
        # (null) the answers exported here from the raw records
        answers=lambda wc: (
            (config["coding"]["answers"] or rules.study1_export.output.csv)
            if config["coding"]["format"] == "csv"
            else []
        ),
    output:
        sources=f"{S1}/sources.csv",
        coding=f"{S1}/coding.csv",
        presence=f"{S1}/presence.csv",
        lineage=lineage("study1_import"),
    log:
        f"{RES}/logs/study1/import.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        fmt=config["coding"]["format"],
    script:
        "../../scripts/study1_import.py"


rule study1_codebook:
    input:
        codebook=config["coding"]["codebook"],
        themes=f"{RES}/data/themes.csv",
        coding=f"{S1}/coding.csv",
    output:
        table=table_outputs(f"{S1}/tables/codebook"),
        table_html=report_table(
            f"{S1}/tables/codebook",
            "../report/study1/codebook.rst",
            S1_CAT,
            "Codebook",
        ),
        lineage=lineage("study1_codebook"),
    log:
        f"{RES}/logs/study1/codebook.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        seed=seed("study1.exemplar"),
    script:
        "../../scripts/study1_codebook.py"


rule study1_prevalence:
    input:
        presence=f"{S1}/presence.csv",
        themes=f"{RES}/data/themes.csv",
        models=f"{RES}/data/models.csv",
    output:
        prevalence=f"{S1}/prevalence.csv",
        by_coder=f"{S1}/prevalence_by_coder.csv",
        reliability=f"{S1}/reliability.csv",
        table=table_outputs(f"{S1}/tables/prevalence_reliability"),
        table_html=report_table(
            f"{S1}/tables/prevalence_reliability",
            "../report/study1/prevalence_reliability.rst",
            S1_CAT,
            "Theme prevalence and inter-coder reliability",
        ),
        by_model=table_outputs(f"{S1}/tables/prevalence_by_model"),
        by_model_html=report_table(
            f"{S1}/tables/prevalence_by_model",
            "../report/study1/prevalence_by_model.rst",
            S1_CAT,
            "Theme prevalence by model",
        ),
        heatmap=report_figure(
            f"{S1}/figures/prevalence_heatmap",
            "../report/study1/prevalence_heatmap.rst",
            S1_CAT,
            "Theme prevalence by model",
        ),
        lineage=lineage("study1_prevalence"),
    log:
        f"{RES}/logs/study1/prevalence.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        rule=S1_RULE,
        bootstrap=config["study1"]["bootstrap"],
        seed=seed("study1.bootstrap"),
    script:
        "../../scripts/study1_prevalence.py"


rule study1_saturation:
    input:
        sources=f"{S1}/sources.csv",
        coding=f"{S1}/coding.csv",
    output:
        curve=f"{S1}/saturation_curve.csv",
        table=table_outputs(f"{S1}/tables/saturation"),
        table_html=report_table(
            f"{S1}/tables/saturation",
            "../report/study1/saturation_table.rst",
            S1_CAT,
            "Code saturation",
        ),
        figure=report_figure(
            f"{S1}/figures/saturation",
            "../report/study1/saturation.rst",
            S1_CAT,
            "Code saturation curve",
        ),
        lineage=lineage("study1_saturation"),
    log:
        f"{RES}/logs/study1/saturation.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        orders=config["study1"]["saturation_orders"],
        threshold=config["study1"]["saturation_threshold"],
        seed=seed("study1.saturation"),
    script:
        "../../scripts/study1_saturation.py"


rule study1_cooccurrence:
    input:
        presence=f"{S1}/presence.csv",
        themes=f"{RES}/data/themes.csv",
    output:
        table=table_outputs(f"{S1}/tables/cooccurrence"),
        table_html=report_table(
            f"{S1}/tables/cooccurrence",
            "../report/study1/cooccurrence_table.rst",
            S1_CAT,
            "Theme co-occurrence",
        ),
        figure=report_figure(
            f"{S1}/figures/cooccurrence",
            "../report/study1/cooccurrence.rst",
            S1_CAT,
            "Theme co-occurrence",
        ),
        lineage=lineage("study1_cooccurrence"),
    log:
        f"{RES}/logs/study1/cooccurrence.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        rule=S1_RULE,
    script:
        "../../scripts/study1_cooccurrence.py"


rule study1_macros:
    input:
        prevalence=f"{S1}/prevalence.csv",
        themes=f"{RES}/data/themes.csv",
        reliability=f"{S1}/reliability.csv",
        saturation=f"{S1}/tables/saturation.csv",
        sources=f"{S1}/sources.csv",
        coding=f"{S1}/coding.csv",
    output:
        macros=f"{S1}/macros.tex",
        lineage=lineage("study1_macros"),
    log:
        f"{RES}/logs/study1/macros.log",
    conda:
        "../../envs/valueaudit.yaml"
    script:
        "../../scripts/study1_macros.py"


STUDY1_TARGETS = [
    f"{S1}/export/open_answers.qdpx",
    f"{S1}/export/open_answers.csv",
    *multiext(f"{S1}/tables/codebook", ".csv", ".tex", ".md"),
    *multiext(f"{S1}/tables/prevalence_reliability", ".csv", ".tex", ".md"),
    *multiext(f"{S1}/tables/prevalence_by_model", ".csv", ".tex", ".md"),
    *multiext(f"{S1}/tables/saturation", ".csv", ".tex", ".md"),
    *multiext(f"{S1}/tables/cooccurrence", ".csv", ".tex", ".md"),
    *multiext(f"{S1}/figures/prevalence_heatmap", ".pdf", ".png"),
    *multiext(f"{S1}/figures/saturation", ".pdf", ".png"),
    *multiext(f"{S1}/figures/cooccurrence", ".pdf", ".png"),
    f"{S1}/macros.tex",
]
