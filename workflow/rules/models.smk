# Per-model work (METHODS 3-6): one job per non-empty shard of the models, each running
# parse, Study 1 answers, Study 2 within-model and Study 3 per-model steps for its models
# in one process (valueaudit.shards.run_shard). Each step writes its model's files, log
# and lineage record; the job's declared outputs are the shard's tables (one per kind of
# per-model output, what the aggregate rules read) and their lineage record, so that
# Snakemake's bookkeeping does not grow with the models. A failed shard removes every
# per-model output of its models. A model's shard comes from its id alone, so adding a
# model reruns only its shard. The step scripts are inputs, so a changed step reruns every
# shard.


for _shard, _models in SHARDS.items():

    rule:
        name:
            f"models_shard_{_shard}"
        input:
            raw=lambda wc, ms=_models: [collected_raw(m) for m in ms],
            collected=[f for m in _models for f in collect_manifest(m)],
            instrument=config["instrument"],
            humans=f"{RES}/data/human_scores.csv",
            steps=MODEL_STEP_SCRIPTS,
        output:
            **{kind: shard_table(_shard, kind) for kind in SHARD_TABLES},
            tables_lineage=lineage(f"models_shard_{_shard}"),
        log:
            f"{RES}/logs/shards/models_shard_{_shard}.log",
        conda:
            "../../envs/valueaudit.yaml"
        params:
            models=_models,
            live=[m for m in _models if m in LIVE],
            layout=SHARD_LAYOUT,
            tables=list(SHARD_TABLES),
        script:
            "../../scripts/models_shard.py"
