"""Rule data_summary: per-model sessions and parse statuses; human sample flow."""

import pandas as pd

from valueaudit.contracts import model_names, with_names_note
from valueaudit.parse import STATUSES
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study3 import sample_flow_table
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    models = pd.read_csv(smk.input.models)
    status = pd.read_csv(smk.input.status)
    counts = (
        status.groupby(["model_id", "format", "status"]).size().unstack("status", fill_value=0)
        .reindex(columns=list(STATUSES), fill_value=0)
    )
    counts["sessions"] = counts.sum(axis=1)
    counts["valid"] = counts["ok"] + counts["repaired"]
    counts["parse_rate"] = counts["valid"] / counts["sessions"]
    wide = counts.reset_index()
    wide = wide.merge(models[["model_id", "tier"]], on="model_id", how="left")
    wide["display_name"] = wide["model_id"].map(model_names(models))
    cols = ["model_id", "display_name", "tier", "format", "sessions", *STATUSES, "valid", "parse_rate"]
    summary = wide[cols].sort_values(["model_id", "format"], kind="mergesort").reset_index(drop=True)
    write_table(
        summary, smk.output.summary[0].removesuffix(".csv"),
        caption="Data summary: sessions per model and response format, by parse status.",
        kinds={"parse_rate": "r"}, note=with_names_note("", models),
    )
    flow = pd.read_csv(smk.input.flow, keep_default_na=False)
    shown = sample_flow_table(flow).rename(columns={
        "step": "Step", "criterion": "Criterion", "n_excluded": "Excluded", "n_remaining": "Remaining"})
    write_table(flow, smk.output.flow[0].removesuffix(".csv"), display=shown.astype(str),
                caption="Human sample flow: respondents collected, excluded by each rule (in order), analysed.")
    log.info("summary of %d models; %d analysed humans", summary["model_id"].nunique(),
             int(flow["remaining"].iloc[-1]))
