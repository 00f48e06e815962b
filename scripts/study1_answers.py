"""Rule study1_answers: the open-ended answers in one model's raw LLM records."""

from valueaudit.contracts import read_raw_records
from valueaudit.smk import log_to, snakemake_or_cli
from valueaudit.study1 import open_answers, write_frame

smk = snakemake_or_cli(globals())
with log_to(smk) as log:
    records = read_raw_records(smk.input.raw)
    answers = open_answers(records, task=smk.params.task)
    ids = set(answers["model_id"])
    if len(ids) > 1:
        raise ValueError(f"{smk.input.raw}: open answers of several models {sorted(ids)}")
    task = smk.params.task
    n_sessions = len({(r.get("prompt_id"), r["session"]) for r in records if r["task"] == task})
    if n_sessions > len(answers):
        log.warning("%s: %d open-ended session(s) without answer text (errors) left out",
                    smk.input.raw, n_sessions - len(answers))
    write_frame(answers, smk.output.answers)
    log.info("%s: %d open-ended answers", smk.input.raw, len(answers))
