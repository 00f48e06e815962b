"""Rule models_table: validate the model metadata and add the live models' metadata."""

import pandas as pd

from valueaudit.contracts import (
    check_model_names,
    load_schema,
    read_models,
    validate_frame,
    write_csv,
)
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    tiers = list(smk.params.tiers)
    table = read_models(smk.input.table, tiers)
    live = [m for m in smk.params.live if m["id"] not in set(table["model_id"])]
    if live:
        rows = pd.DataFrame(
            [{"model_id": m["id"], "display_name": m.get("display_name", m["id"]),
              "short_name": m.get("short_name", ""),
              "family": m.get("family", m["id"]), "provider": m.get("provider"),
              "params_b": "" if m.get("params_b") is None else str(m["params_b"]),
              "release_date": m.get("release_date", ""), "tier": m.get("tier", ""),
              "open_weights": str(m.get("open_weights", "")).lower()} for m in live]
        )
        extra = validate_frame(rows.astype(str), load_schema("models"), "config models.live[].metadata")
        table = pd.concat([table.astype({"tier": str}), extra], ignore_index=True)
        table["short_name"] = check_model_names(table, "config models + models.live[].metadata")
    write_csv(table, smk.output.models)
    log.info("%d models (%d live)", len(table), len(live))
