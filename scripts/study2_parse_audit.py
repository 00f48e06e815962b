"""Rule study2_parse_audit: what each model's answers lost in parsing, and why."""

import pandas as pd

from valueaudit.parse_audit import parse_audit, write_parse_audit
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    text = {"model_id": str, "format": str, "status": str, "reason": str, "repair": str,
            "excerpt": str, "parser_version": str}
    status = pd.read_csv(smk.input.status, dtype=text, keep_default_na=False)
    table = parse_audit(status)
    versions = sorted(set(status["parser_version"])) if "parser_version" in status else []
    write_parse_audit(
        table, smk.output.table[0].removesuffix(".csv"),
        caption="Parse audit: sessions per model and response format by parse status and reason "
        "(repaired sessions by what was repaired).",
        note=f"Parser version {', '.join(versions) or 'NA'}. Share: of the model's sessions in "
        "that format. Reasons: truncated (cut off before complete), missing_item, out_of_range, "
        "non_integer, invalid_value, tie, conflict (two different values for one target), "
        "ambiguous_key, unknown_key, refusal, empty_response, no_answer_found, api_error. "
        "Excerpts of the answers are in the CSV and Markdown versions.",
    )
    log.info("parse audit: %d rows for %d models; reasons %s", len(table),
             table["model_id"].nunique(),
             table.loc[table["reason"] != ""].groupby("reason")["sessions"].sum().to_dict())
