# Per-model work (METHODS 3-6): one job per non-empty shard of the models, each running
# parse, Study 1 answers, Study 2 within-model and Study 3 per-model steps for its models
# in one process (valueaudit.shards.run_shard). The outputs are the per-model files; a
# model's shard comes from its id alone, so adding a model reruns only its shard. The
# step scripts are inputs, so a changed step reruns every shard.


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
            shard_outputs(_models),
        log:
            f"{RES}/logs/shards/models_shard_{_shard}.log",
        conda:
            "../../envs/valueaudit.yaml"
        params:
            jobs=shard_jobs(_models),
        script:
            "../../scripts/models_shard.py"
