# Shared set-up: validate the config (defaults from the schema) and every input
# (instrument, model table, raw records, survey, codebook, coded data) before any
# job runs, list the models, and define the helpers the rules use. Loaded first by
# the Snakefile. A bad input stops here with one short block (file, where, rule,
# what to do) and no traceback; inputs that passed before with the same bytes are
# not parsed again (.snakemake/valueaudit/).
import logging
import os
import sys
from pathlib import Path

from valueaudit.config import validate_config
from valueaudit.contracts import (
    DataValidationError,
    check_inputs,
    check_raw_files,
    check_raw_records,
    read_models,
)
from valueaudit.instrument import load_instrument
from valueaudit.provenance import INCOMPLETE_NAME
from valueaudit.seeds import seed_for


def seed(stream):
    """The seed of a registered random stream (valueaudit.seeds): config seed + offset."""
    return seed_for(config["seed"], stream)


def raw_path(model):
    """Raw records of one model: collected models live in collection.raw_dir."""
    if model in LIVE:
        return f"{config['collection']['raw_dir']}/{model}.jsonl"
    return f"{config['models']['raw_dir']}/{model}.jsonl"


# warnings about inputs (e.g. records made with another instrument version) reach the terminal
_input_warnings = logging.StreamHandler(sys.stderr)
_input_warnings.setFormatter(logging.Formatter("valueaudit: WARNING %(message)s"))
logging.getLogger("valueaudit.input").addHandler(_input_warnings)


def _stop(exc):
    print(exc.block(), file=sys.stderr)
    sys.exit(1)


try:
    _validated = validate_config(
        config, source=" + ".join(map(str, workflow.configfiles)) or None
    )
    config.clear()
    config.update(_validated)
    RES = config["results"]
    LIVE = {m["id"]: m for m in config["models"]["live"]}
    if workflow.is_main_process:
        check_inputs(config, cache_dir=".snakemake/valueaudit")
    _MODEL_TABLE = read_models(config["models"]["table"], config["models"]["tiers"])
    check_raw_files(
        _MODEL_TABLE["model_id"],
        config["models"]["raw_dir"],
        config["models"]["table"],
        live_ids=LIVE,
    )
    MODELS = list(_MODEL_TABLE["model_id"]) + [
        m for m in LIVE if m not in set(_MODEL_TABLE["model_id"])
    ]
    if workflow.is_main_process:
        # every raw file is validated here, before any job runs (files that passed
        # before with the same bytes are skipped: .snakemake/valueaudit/)
        check_raw_records(
            {m: raw_path(m) for m in MODELS},
            load_instrument(config["instrument"]),
            cache=".snakemake/valueaudit/raw_validated.json",
            torn_ok=LIVE,
        )
except DataValidationError as exc:
    _stop(exc)

if Path(RES, INCOMPLETE_NAME).is_file():
    print(
        f"valueaudit: {RES}/{INCOMPLETE_NAME} exists: the last run failed, some results "
        "are missing or stale (a complete run of the default target removes the file)",
        file=sys.stderr,
    )


wildcard_constraints:
    model="[a-z0-9][a-z0-9._-]*",


def collect_manifest(model):
    """Collection manifest of a live model (checkpoint collect_model); [] for others."""
    if model in LIVE:
        return [f"{RES}/collect/manifest/{model}.json"]
    return []


def collected_raw(model):
    """A model's raw records, for input functions: a live model's only after its
    collection has run (checkpoint), so a new model's file is not a missing input."""
    if model in LIVE:
        checkpoints.collect_model.get(model=model)
    return raw_path(model)


def lineage(rule, per_model=False):
    """Path of the lineage record of one job (rule, inputs+hashes, outputs+hashes, params, script)."""
    if per_model:
        return f"{RES}/provenance/lineage/{rule}/{{model}}.json"
    return f"{RES}/provenance/lineage/{rule}.json"


def provenance_inputs():
    files = {
        "instrument": [config["instrument"]],
        "models": [config["models"]["table"]],
        "raw_records": lambda wc: [collected_raw(m) for m in MODELS],
        "survey": [config["humans"]["export"]]
        + (
            [config["humans"]["respondents"]]
            if config["humans"]["layout"] == "tidy"
            else []
        ),
        "coding": [config["coding"]["source"], config["coding"]["codebook"]],
    }
    return files


def paper_name(path):
    """Where a study table or figure lands in the paper bundle."""
    from valueaudit.paper import bundle_name

    return bundle_name(path, f"{RES}/paper")


# The report (snakemake --report): one titled entry per table (its HTML page) and per
# figure (its PNG), category = the study, subcategory = "Tables" or "Figures", the
# caption from workflow/report/. The CSV, LaTeX, Markdown and PDF files are outputs
# beside them, not report entries.
def table_outputs(stem):
    """The CSV, LaTeX and Markdown files of one table (written with its HTML page)."""
    return multiext(stem, ".csv", ".tex", ".md")


def report_table(stem, caption, category, title):
    """The HTML page of one table as a report entry titled ``title``."""
    return report(
        f"{stem}.html",
        caption=caption,
        category=category,
        subcategory="Tables",
        labels={"Title": title},
    )


def report_figure(stem, caption, category, title):
    """One figure: the PDF, and the PNG as a report entry titled ``title``."""
    png = report(
        f"{stem}.png",
        caption=caption,
        category=category,
        subcategory="Figures",
        labels={"Title": title},
    )
    return [f"{stem}.pdf", png]


# Per-model steps, run in shard jobs (workflow/rules/models.smk). A model's shard is a
# stable hash of its id (valueaudit.shards.shard_of), so adding a model moves no other and
# the number of shard jobs is at most models.shards, whatever the number of models. Each
# step is the rule script of that step with the files, params and log a per-model job of
# it would have (valueaudit.shards.model_steps); its outputs and lineage record stay one
# set of files per model.
from valueaudit.parse import PARSER_VERSION
from valueaudit.shards import SHARD_TABLES, STEPS, assign_shards

SHARDS = assign_shards(MODELS, config["models"]["shards"])


def _step_script(name):
    return os.path.relpath(Path(workflow.basedir, "scripts", f"{name}.py"))


# what every model's steps share (valueaudit.shards.model_steps builds a model's steps
# from it): a shard rule's params are its models and this, so they stay small
_c3 = config["study3"]
SHARD_LAYOUT = {
    "results": RES,
    "instrument": config["instrument"],
    "humans": f"{RES}/data/human_scores.csv",
    "raw_dir": config["models"]["raw_dir"],
    "live_raw_dir": config["collection"]["raw_dir"],
    "scripts": {s: _step_script(s) for s in STEPS},
    "params": {
        "parse_model": {"parser_version": PARSER_VERSION},
        "study1_answers": {"task": "open"},
        "study2_within": {"min_sessions": config["study2"]["min_sessions"]},
        "study3_model": {
            "bootstrap": _c3["bootstrap"],
            "bias_correct": _c3["bias_correct"],
            "fidelity_ci": _c3["fidelity_ci"],
            "boot_bias_correct": _c3["boot_bias_correct"],
            "calibration_margin": _c3["calibration_margin"],
            "null_permutations": _c3["null_permutations"],
            "seed": seed("study3.bootstrap"),
            "null_seed": seed("study3.null"),
        },
    },
}
MODEL_STEP_SCRIPTS = list(SHARD_LAYOUT["scripts"].values())


# Each shard job writes one table per kind of per-model output (the rows of its models'
# files, bytes unchanged; valueaudit.shards.write_shard_tables): its declared outputs. The
# aggregate rules read these, a few files per shard whatever the number of models, and
# take each model's rows back out in the order of MODELS (params.models).
def shard_table(shard, kind):
    return f"{RES}/shards/{shard}/{kind}.csv"


def shard_tables(kind):
    """The tables of one kind of every shard (an aggregate rule's input)."""
    return [shard_table(k, kind) for k in SHARDS]
