# Shared set-up: validate the config (defaults from the schema), list the
# models, and define the helpers the rules use. Loaded first by the Snakefile.
import os
from pathlib import Path

from valueaudit.config import ConfigError, validate_config
from valueaudit.contracts import read_models

try:
    _validated = validate_config(config)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None
config.clear()
config.update(_validated)

RES = config["results"]
LIVE = {m["id"]: m for m in config["models"]["live"]}
# the metadata table is validated while the workflow loads: a bad table stops
# here with the file, row, column and rule broken
_MODEL_TABLE = read_models(config["models"]["table"], config["models"]["tiers"])
MODELS = list(_MODEL_TABLE["model_id"]) + [
    m for m in LIVE if m not in set(_MODEL_TABLE["model_id"])
]


wildcard_constraints:
    model="[a-z0-9][a-z0-9._-]*",


def raw_path(model):
    """Raw records of one model: collected models live in collection.raw_dir."""
    if model in LIVE:
        return f"{config['collection']['raw_dir']}/{model}.jsonl"
    return f"{config['models']['raw_dir']}/{model}.jsonl"


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


def per_model(pattern):
    return expand(pattern, model=MODELS)


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
