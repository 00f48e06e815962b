"""Step study1_answers of the shard jobs (workflow/rules/models.smk).

The open-ended answers in one model's raw LLM records.
"""

from valueaudit.contracts import read_raw_records
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import answers_step

smk = snakemake_or_cli(globals())
with log_to(smk, function=answers_step):
    out = answers_step(read_raw_records(smk.input.raw), task=smk.params.task,
                       source=str(smk.input.raw))
    out.write(smk.output)
