"""Rule verify: recompute the hashes of every recorded input and output; name what changed."""

from valueaudit.contracts import write_csv
from valueaudit.provenance import verify
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    report = verify(smk.input.manifest, smk.input.lineage_doc)
    write_csv(report, smk.output.report)
    bad = report[report["status"] != "ok"]
    for row in bad.itertuples():
        log.warning("%s %s: %s", row.kind, row.path, row.status)
    log.info("verified %d files: %d ok, %d changed, %d missing", len(report),
             (report["status"] == "ok").sum(), (report["status"] == "changed").sum(),
             (report["status"] == "missing").sum())
