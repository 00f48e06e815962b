"""Rule study2_parse_audit: what each model's answers lost in parsing, and why."""

import pandas as pd

from valueaudit.parse_audit import write_parse_audit
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study2 import parse_audit_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=parse_audit_step) as log:
    text = {"model_id": str, "format": str, "status": str, "reason": str, "repair": str,
            "excerpt": str, "parser_version": str}
    status = pd.read_csv(smk.input.status, dtype=text, keep_default_na=False)
    out = parse_audit_step(status)
    t = out.tables["table"]
    write_parse_audit(t.data, smk.output.table[0].removesuffix(".csv"), caption=t.caption,
                      note=t.note)
    log.info("%s", out.log)
