# valueaudit: audit the value priorities that LLMs express against a human reference.
# `snakemake --cores 8` reproduces every table and figure of Studies 1-3.
from snakemake.utils import min_version

min_version("9.11")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/study1.smk"
include: "workflow/rules/study2.smk"
include: "workflow/rules/study3.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/provenance.smk"


# Light bookkeeping rules (well under a second of work each) run on the host that runs
# Snakemake instead of as cluster jobs, which would each pay the scheduler's start-up
# (about 6-7 s per SLURM job). The live-collection rules are local too (collect.smk).
localrules:
    themes,
    models_table,
    data_summary,
    study1_macros,
    study2_macros,
    study3_macros,
    paper_bundle,
    provenance,
    verify,


rule all:
    default_target: True
    input:
        DATA_TARGETS,
        STUDY1_TARGETS,
        STUDY2_TARGETS,
        STUDY3_TARGETS,
        COLLECT_TARGETS,
        PAPER_TARGETS,
        PROVENANCE_TARGETS,
