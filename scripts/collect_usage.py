"""Rule collect_usage: token usage and cost per live model and in total."""

from pathlib import Path

from valueaudit.collect.rules import usage_report
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk, function=usage_report) as log:
    raw = list(smk.input.raw) if isinstance(smk.input.raw, list) else [smk.input.raw]
    table = usage_report(raw, smk.params.prices)
    write_table(stem=Path(smk.output.table[0]).with_suffix(""), **table)
    df = table["df"]
    log.info("usage of %d live models: %d requests, %d input and %d output tokens", len(raw),
             *(int(df[c].iloc[-1]) if len(df) else 0
               for c in ("requests", "input_tokens", "output_tokens")))
