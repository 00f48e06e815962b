"""Rule provenance: input hashes, environment, effective config, merged lineage, session accounting."""

import pandas as pd

from valueaudit.contracts import atomic_path, write_csv
from valueaudit.provenance import provenance_documents, write_json
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=provenance_documents) as log:
    groups = {g: list(smk.input.get(g) if isinstance(smk.input.get(g), list) else [smk.input.get(g)])
              for g in smk.params.groups}
    docs = provenance_documents(groups, smk.params.lineage_dir, smk.params.models,
                                smk.params.config, pd.read_csv(smk.input.status))
    for name in ("manifest", "lineage_doc", "environment", "run"):
        write_json(docs[name], getattr(smk.output, name))
    with atomic_path(smk.output.config) as tmp:
        tmp.write_text(docs["config"], encoding="utf-8")
    write_csv(docs["sessions"], smk.output.sessions)
    log.info("provenance: %d input groups, %d lineage records", len(groups),
             len({job["lineage_file"] for job in docs["lineage_doc"].values()}))
