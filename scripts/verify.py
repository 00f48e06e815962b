"""Rule verify: recompute the hashes of every recorded input and output; name what changed."""

from valueaudit.contracts import write_csv
from valueaudit.provenance import verify
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=verify) as log:
    report = verify(smk.input.manifest, smk.input.lineage_doc, smk.params.config,
                    smk.input.config, "the workflow's config")
    write_csv(report, smk.output.report)
    bad = report[report["status"] != "ok"]
    for row in bad.itertuples():
        log.warning("%s %s: %s %s", row.kind, row.path, row.status, row.detail)
    counts = report["status"].value_counts()
    log.info("verified %d entries: %d ok, %d changed, %d stale, %d missing", len(report),
             counts.get("ok", 0), counts.get("changed", 0), counts.get("stale", 0),
             counts.get("missing", 0))
