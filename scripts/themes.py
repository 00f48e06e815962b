"""Rule themes: the theme and item tables of the instrument (read once, used everywhere)."""

from valueaudit.contracts import write_csv
from valueaudit.datastage import instrument_tables
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=instrument_tables) as log:
    ins = load_instrument(smk.input.instrument)
    themes, items = instrument_tables(ins)
    write_csv(themes, smk.output.themes)
    write_csv(items, smk.output.item_table)
    log.info("instrument %s v%s (sha256 %s): %d themes, %d items", ins.id, ins.version, ins.sha256,
             len(themes), len(items))
