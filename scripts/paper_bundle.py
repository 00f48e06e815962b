"""Rule paper_bundle: copy every table and figure into results/paper/, merge the macros,
write the LaTeX preamble and summary.md."""

from pathlib import Path

from valueaudit.contracts import atomic_path
from valueaudit.paper import bundle_step
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=bundle_step):
    out = bundle_step(list(smk.input.files), list(smk.output.files),
                      Path(smk.output.lineage).parent, list(smk.input.macros),
                      smk.output.macros, smk.output.preamble, list(smk.input.raw))
    with atomic_path(smk.output.summary) as tmp:
        tmp.write_text(out.summary, encoding="utf-8")
