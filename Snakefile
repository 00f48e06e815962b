# valueaudit: audit the value priorities that LLMs express against a human reference.
# `snakemake --cores 8` reproduces every table and figure of Studies 1-3.
from snakemake.utils import min_version

min_version("9.11")


# a YAML syntax error in config.yaml stops with the file and line (one short block)
from valueaudit.config import read_yaml
from valueaudit.contracts import DataValidationError

try:
    read_yaml("config.yaml")
except DataValidationError as _exc:
    sys.exit(print(_exc.block(), file=sys.stderr) or 1)


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/models.smk"
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


# A failed run (the default profile keeps going after a failure) leaves
# results/INCOMPLETE.md: the failed jobs with their error blocks, and the outputs of
# earlier runs that are now stale or missing. A run that completes the default
# target removes it.
onerror:
    from valueaudit.provenance import write_incomplete

    _marker = write_incomplete(RES, log)
    print(
        f"valueaudit: the run is INCOMPLETE; failed jobs and stale outputs: {_marker}",
        file=sys.stderr,
    )


onsuccess:
    from valueaudit.provenance import remove_incomplete

    if any(j.rule.name == workflow.default_target for j in workflow.dag.targetjobs):
        if remove_incomplete(RES):
            print(
                "valueaudit: the default target is complete again", file=sys.stderr
            )
