"""Rule collect_usage: token usage and cost per live model and in total."""

from pathlib import Path

from valueaudit.collect import read_records, usage_table
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.tables import write_table

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    raw = list(smk.input.raw) if isinstance(smk.input.raw, list) else [smk.input.raw]
    by_model = {Path(p).stem: read_records(p) for p in raw}
    prices = dict(smk.params.prices or {})
    df = usage_table(by_model, prices)
    stem = Path(smk.output.table[0]).with_suffix("")
    priced = [m for m in by_model if m in prices]
    write_table(
        df,
        stem,
        caption="Requests, tokens and cost of the live collection, per model and in total.",
        kinds={"sessions": "int", "records": "int", "requests": "int", "repairs": "int",
               "input_tokens": "int", "output_tokens": "int", "cost_usd": "d3"},
        note=("Requests count every HTTP try (retries and repair requests included). Tokens as "
              "reported by the providers. Cost in USD from collection.prices "
              f"({len(priced)} of {len(by_model)} models priced; NA = no price)."),
    )
    log.info("usage of %d live models: %d requests, %d input and %d output tokens", len(by_model),
             int(df["requests"].iloc[-1]) if len(df) else 0,
             int(df["input_tokens"].iloc[-1]) if len(df) else 0,
             int(df["output_tokens"].iloc[-1]) if len(df) else 0)
