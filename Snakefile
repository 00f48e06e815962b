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
