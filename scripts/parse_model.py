"""Step parse_model of the shard jobs (workflow/rules/models.smk).

Raw LLM records of one model -> parsed responses + session statuses.
"""

from valueaudit.contracts import read_raw_records, write_csv
from valueaudit.datastage import parse_model_records
from valueaudit.instrument import load_instrument
from valueaudit.parse import PARSER_VERSION
from valueaudit.smk import log_to, snakemake_or_cli

smk = snakemake_or_cli(globals())
with log_to(smk, function=parse_model_records) as log:
    ins = load_instrument(smk.input.instrument)
    records = read_raw_records(smk.input.raw)
    df, status = parse_model_records(records, ins, smk.params.parser_version, smk.input.raw)
    write_csv(df, smk.output.responses)
    write_csv(status, smk.output.status)
    log.info("%s: %d records, %d sessions (parser %s); statuses %s; reasons %s", smk.input.raw,
             len(records), len(status), PARSER_VERSION, status["status"].value_counts().to_dict(),
             status.loc[status["reason"] != "", "reason"].value_counts().to_dict())
