"""Rule themes: the theme and item tables of the instrument (read once, used everywhere)."""

import pandas as pd

from valueaudit.contracts import write_csv
from valueaudit.instrument import load_instrument
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    themes = pd.DataFrame(
        [{"theme": t.id, "label": t.label, "definition": t.definition, "order": n + 1}
         for n, t in enumerate(ins.themes)]
    )
    items = pd.DataFrame([{"item_id": i.id, "theme": i.theme, "wording": i.wording} for i in ins.items])
    write_csv(themes, smk.output.themes)
    write_csv(items, smk.output.item_table)
    log.info("instrument %s v%s (sha256 %s): %d themes, %d items", ins.id, ins.version, ins.sha256,
             len(themes), len(items))
