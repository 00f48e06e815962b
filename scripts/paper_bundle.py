"""Rule paper_bundle: copy every table and figure into results/paper/, merge the macros, write summary.md."""

import json
from pathlib import Path

from valueaudit.contracts import atomic_path
from valueaudit.paper import copy_into_bundle, merge_macros, summary_markdown
from valueaudit.provenance import lineage_index
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.tables import write_preamble

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    lineage_dir = Path(smk.output.lineage).parent
    copy_into_bundle(list(smk.input.files), list(smk.output.files), lineage_index(lineage_dir))
    macros = merge_macros(list(smk.input.macros), smk.output.macros)
    write_preamble(smk.output.preamble)
    simulated = False
    for path in smk.input.raw:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        if first.strip() and json.loads(first).get("provenance", "").startswith("SIMULATED"):
            simulated = True
            break
    with atomic_path(smk.output.summary) as tmp:
        tmp.write_text(summary_markdown(macros, simulated), encoding="utf-8")
    log.info("bundled %d files and %d macros (simulated data: %s)", len(smk.output.files), len(macros),
             simulated)
