"""Rule provenance: input hashes, environment, effective config, merged lineage, session accounting."""

import datetime as dt
from pathlib import Path

import pandas as pd
import snakemake as _snakemake

from valueaudit.contracts import atomic_path, write_csv
from valueaudit.provenance import (
    effective_config_yaml,
    environment,
    input_manifest,
    merge_lineage,
    write_json,
)
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    groups = {g: list(smk.input.get(g) if isinstance(smk.input.get(g), list) else [smk.input.get(g)])
              for g in smk.params.groups}
    write_json(input_manifest(groups), smk.output.manifest)

    models = set(smk.params.models)
    files = []
    for p in sorted(Path(smk.params.lineage_dir).rglob("*.json")):
        # per-model lineage of a model that is no longer configured is stale: skip it
        if p.parent.name != "lineage" and p.stem not in models:
            continue
        files.append(p)
    write_json(merge_lineage(files), smk.output.lineage_doc)

    env = environment()
    env["snakemake"] = _snakemake.__version__
    env["seed"] = smk.params.config["seed"]
    write_json(env, smk.output.environment)
    with atomic_path(smk.output.config) as tmp:
        tmp.write_text(effective_config_yaml(smk.params.config), encoding="utf-8")

    status = pd.read_csv(smk.input.status)
    status["valid"] = status["status"].isin(["ok", "repaired"])
    acc = (status.groupby(["model_id", "format"])
           .agg(sessions=("session", "size"), used=("valid", "sum"))
           .reset_index())
    reasons = (status[~status["valid"]].groupby(["model_id", "format", "status"]).size()
               .unstack("status", fill_value=0))
    acc = acc.merge(reasons.add_prefix("excluded_").reset_index(), on=["model_id", "format"], how="left")
    acc = acc.fillna(0)
    for c in acc.columns:
        if c.startswith("excluded_") or c in ("used", "sessions"):
            acc[c] = acc[c].astype(int)
    write_csv(acc, smk.output.sessions)
    # the only timestamp of the run lives here
    write_json({"finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}, smk.output.run)
    log.info("provenance: %d input groups, %d lineage records", len(groups), len(files))
