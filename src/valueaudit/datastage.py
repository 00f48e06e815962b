"""The data stage of the workflow: one function per rule, from inputs read to tables to write.

Each function takes what its rule script has read (the instrument, data frames, params) and
returns every table the rule writes; the scripts in ``scripts/`` only read, call and write.
"""

from __future__ import annotations

import logging

import pandas as pd

from .contracts import (
    check_model_names,
    load_schema,
    model_names,
    read_models,
    validate_frame,
    with_names_note,
)
from .instrument import FORMATS
from .parse import PARSER_VERSION, STATUSES, parse_sessions
from .profiles import theme_scores

__all__ = [
    "STATUS_TEXT",
    "instrument_tables",
    "models_with_live",
    "parse_model_records",
    "merge_responses",
    "data_summary_tables",
]

log = logging.getLogger("valueaudit.input")

# the text columns of a per-model status table (results/data/status/<model>.csv)
STATUS_TEXT = {"model_id": str, "format": str, "status": str, "reason": str, "repair": str,
               "excerpt": str, "parser_version": str}


def instrument_tables(ins) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The theme table (id, label, definition, order) and the item table of the instrument."""
    themes = pd.DataFrame(
        [{"theme": t.id, "label": t.label, "definition": t.definition, "order": n + 1}
         for n, t in enumerate(ins.themes)]
    )
    items = pd.DataFrame([{"item_id": i.id, "theme": i.theme, "wording": i.wording}
                          for i in ins.items])
    return themes, items


def models_with_live(table_path, tiers: list[str], live: list[dict]) -> tuple[pd.DataFrame, int]:
    """The validated model table plus the live models that it does not list; and their count.

    ``live`` holds one dict per configured live model: ``id``, ``provider`` and its
    ``metadata`` keys. Their rows are validated against the models schema and the shown names
    of all models are checked to be distinct (:func:`~valueaudit.contracts.check_model_names`).
    """
    table = read_models(table_path, list(tiers))
    extra = [m for m in live if m["id"] not in set(table["model_id"])]
    if extra:
        rows = pd.DataFrame(
            [{"model_id": m["id"], "display_name": m.get("display_name", m["id"]),
              "short_name": m.get("short_name", ""),
              "family": m.get("family", m["id"]), "provider": m.get("provider"),
              "params_b": "" if m.get("params_b") is None else str(m["params_b"]),
              "release_date": m.get("release_date", ""), "tier": m.get("tier", ""),
              "open_weights": str(m.get("open_weights", "")).lower()} for m in extra]
        )
        checked = validate_frame(rows.astype(str), load_schema("models"),
                                 "config models.live[].metadata")
        table = pd.concat([table.astype({"tier": str}), checked], ignore_index=True)
        table["short_name"] = check_model_names(table, "config models + models.live[].metadata")
    return table, len(extra)


def parse_model_records(records: list[dict], ins, parser_version: str,
                        source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parsed responses and session statuses of one model's raw records (read from ``source``).

    Refuses a workflow that asks for another parser version than the installed one, and a file
    holding the records of several models; records made with another instrument version are
    parsed with a warning.
    """
    if str(parser_version) != PARSER_VERSION:
        raise ValueError(f"the workflow asks for parser version {parser_version}, the "
                         f"installed valueaudit parser is version {PARSER_VERSION}; reinstall the "
                         "package (pip install -e .) so both agree")
    stale = {r["instrument_sha256"] for r in records} - {ins.sha256}
    if stale:
        log.warning("records made with another instrument version (sha256 %s)", sorted(stale))
    df, status = parse_sessions(records, ins)
    ids = set(df["model_id"])
    if len(ids) > 1:
        raise ValueError(f"{source}: records of several models {sorted(ids)} in one file")
    return df, status


def merge_responses(parts: list[pd.DataFrame], statuses: list[pd.DataFrame],
                    ins) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """All models' parsed responses, their per-session theme scores, and all session statuses."""
    responses = pd.concat(parts, ignore_index=True)
    scores = pd.concat(
        [theme_scores(responses, ins, ["model_id", "session"], fmt) for fmt in FORMATS],
        ignore_index=True,
    )
    status = pd.concat(statuses, ignore_index=True)
    return responses, scores[["model_id", "format", "session", "theme", "score"]], status


def data_summary_tables(models: pd.DataFrame, status: pd.DataFrame,
                        flow: pd.DataFrame) -> dict[str, dict]:
    """The data-summary and human-flow tables, each as ``tables.write_table`` keyword arguments.

    ``summary``: sessions per model and response format by parse status, the valid sessions
    and the parse rate; ``flow``: the human sample flow (its display with worded columns).
    Each value holds ``df`` and the ``caption``, ``kinds``, ``note`` or ``display`` to write.
    """
    from .study3 import sample_flow_table

    counts = (
        status.groupby(["model_id", "format", "status"]).size().unstack("status", fill_value=0)
        .reindex(columns=list(STATUSES), fill_value=0)
    )
    counts["sessions"] = counts.sum(axis=1)
    counts["valid"] = counts["ok"] + counts["repaired"]
    counts["parse_rate"] = counts["valid"] / counts["sessions"]
    wide = counts.reset_index()
    wide = wide.merge(models[["model_id", "tier"]], on="model_id", how="left")
    wide["display_name"] = wide["model_id"].map(model_names(models))
    cols = ["model_id", "display_name", "tier", "format", "sessions", *STATUSES, "valid",
            "parse_rate"]
    summary = wide[cols].sort_values(["model_id", "format"], kind="mergesort")
    shown = sample_flow_table(flow).rename(columns={
        "step": "Step", "criterion": "Criterion", "n_excluded": "Excluded",
        "n_remaining": "Remaining"})
    return {
        "summary": {
            "df": summary.reset_index(drop=True),
            "caption": "Data summary: sessions per model and response format, by parse status.",
            "kinds": {"parse_rate": "r"}, "note": with_names_note("", models),
        },
        "flow": {
            "df": flow, "display": shown.astype(str),
            "caption": "Human sample flow: respondents collected, excluded by each rule (in "
                       "order), analysed.",
        },
    }
