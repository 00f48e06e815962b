# Provenance: input hashes, environment, effective config, merged lineage of
# every table and figure, per-model session accounting, and verification.


rule provenance:
    input:
        **provenance_inputs(),
        targets=DATA_TARGETS
        + STUDY1_TARGETS
        + STUDY2_TARGETS
        + STUDY3_TARGETS
        + COLLECT_TARGETS
        + PAPER_TARGETS,
        status=f"{RES}/data/parse_status.csv",
    output:
        manifest=f"{RES}/provenance/inputs.json",
        lineage_doc=f"{RES}/provenance/lineage.json",
        environment=f"{RES}/provenance/environment.json",
        config=f"{RES}/provenance/config.effective.yaml",
        sessions=f"{RES}/provenance/sessions.csv",
        run=f"{RES}/provenance/run.json",
    log:
        f"{RES}/logs/provenance.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        config=config,
        groups=list(provenance_inputs()),
        models=MODELS,
        lineage_dir=lambda w, output: str(Path(output.manifest).parent / "lineage"),
    script:
        "../../scripts/provenance.py"


rule verify:
    input:
        manifest=f"{RES}/provenance/inputs.json",
        lineage_doc=f"{RES}/provenance/lineage.json",
        config=f"{RES}/provenance/config.effective.yaml",
    output:
        report=f"{RES}/provenance/verify.csv",
    log:
        f"{RES}/logs/verify.log",
    conda:
        "../../envs/valueaudit.yaml"
    params:
        config=config,
    script:
        "../../scripts/verify.py"


PROVENANCE_TARGETS = [
    str(rules.provenance.output.manifest),
    str(rules.verify.output.report),
]
