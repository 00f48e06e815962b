"""Rule parse_model: raw LLM records of one model -> parsed responses + session statuses."""

import pandas as pd

from valueaudit.contracts import read_raw_records, write_csv
from valueaudit.instrument import load_instrument
from valueaudit.parse import parse_records
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    records = read_raw_records(smk.input.raw)
    stale = {r["instrument_sha256"] for r in records} - {ins.sha256}
    if stale:
        log.warning("records made with another instrument version (sha256 %s)", sorted(stale))
    df = parse_records(records, ins)
    ids = set(df["model_id"])
    if len(ids) > 1:
        raise ValueError(f"{smk.input.raw}: records of several models {sorted(ids)} in one file")
    status = (
        df.drop_duplicates(["model_id", "format", "session"])
        .loc[:, ["model_id", "format", "session", "status"]]
        .reset_index(drop=True)
    )
    attempts = pd.DataFrame(
        [{"format": r["task"], "session": r["session"], "attempt": r["attempt"]} for r in records
         if r["task"] in ("rating", "ranking")]
    )
    if len(attempts):
        n_att = attempts.groupby(["format", "session"])["attempt"].count().rename("attempts").reset_index()
        status = status.merge(n_att, on=["format", "session"], how="left")
    write_csv(df, smk.output.responses)
    write_csv(status, smk.output.status)
    log.info("%s: %d records, %d sessions; statuses %s", smk.input.raw, len(records), len(status),
             status["status"].value_counts().to_dict())
