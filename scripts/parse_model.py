"""Rule parse_model: raw LLM records of one model -> parsed responses + session statuses."""

from valueaudit.contracts import read_raw_records, write_csv
from valueaudit.instrument import load_instrument
from valueaudit.parse import PARSER_VERSION, parse_sessions
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    ins = load_instrument(smk.input.instrument)
    if str(smk.params.parser_version) != PARSER_VERSION:
        raise ValueError(f"the workflow asks for parser version {smk.params.parser_version}, the "
                         f"installed valueaudit parser is version {PARSER_VERSION}; reinstall the "
                         "package (pip install -e .) so both agree")
    records = read_raw_records(smk.input.raw)
    stale = {r["instrument_sha256"] for r in records} - {ins.sha256}
    if stale:
        log.warning("records made with another instrument version (sha256 %s)", sorted(stale))
    df, status = parse_sessions(records, ins)
    ids = set(df["model_id"])
    if len(ids) > 1:
        raise ValueError(f"{smk.input.raw}: records of several models {sorted(ids)} in one file")
    write_csv(df, smk.output.responses)
    write_csv(status, smk.output.status)
    log.info("%s: %d records, %d sessions (parser %s); statuses %s; reasons %s", smk.input.raw,
             len(records), len(status), PARSER_VERSION, status["status"].value_counts().to_dict(),
             status.loc[status["reason"] != "", "reason"].value_counts().to_dict())
