"""Study 1 rule steps: the one library call behind each rule script.

Each function takes the rule's inputs already read and its params, computes every
number the rule writes and builds its display tables, notes and figures; the script
only reads, calls and writes. The parameters that mirror a config key carry the
schema's default (``study1.*``, ``coding.*``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .codebook import codebook_table
from .cooccurrence import cooccurrence
from .figures import plot_cooccurrence, plot_prevalence_heatmap, plot_saturation
from .importing import export_answers, load_coding, open_answers
from .prevalence import presence_table, prevalence, prevalence_by_coder
from .reliability import reliability
from .report import (
    CODEBOOK_CAPTION,
    CODEBOOK_NOTE,
    Outputs,
    Table,
    by_model_note,
    codebook_display,
    cooccurrence_note,
    prevalence_note,
    saturation_note,
    study1_macros,
    table_cooccurrence,
    table_prevalence_by_model,
    table_prevalence_reliability,
    table_saturation,
)
from .saturation import saturation

__all__ = [
    "answers_step",
    "export_step",
    "import_step",
    "codebook_step",
    "prevalence_step",
    "saturation_step",
    "cooccurrence_step",
    "macros_step",
]

log = logging.getLogger(__name__)


def _styled():
    from ..plotting import setup

    setup()


def answers_step(records: Sequence[dict], task: str = "open", source: str = "raw records"
                 ) -> Outputs:
    """Rule study1_answers: the open-ended answers in one model's raw records
    (:func:`open_answers`), output ``answers``.

    Sessions of ``task`` without answer text are counted in a warning; answers of
    more than one model in ``source`` raise ``ValueError``.
    """
    answers = open_answers(records, task=task)
    ids = set(answers["model_id"])
    if len(ids) > 1:
        raise ValueError(f"{source}: open answers of several models {sorted(ids)}")
    n_sessions = len({(r.get("prompt_id"), r["session"]) for r in records if r["task"] == task})
    if n_sessions > len(answers):
        log.warning("%s: %d open-ended session(s) without answer text (errors) left out",
                    source, n_sessions - len(answers))
    log.info("%s: %d open-ended answers", source, len(answers))
    return Outputs(frames={"answers": answers})


def export_step(parts: Sequence[pd.DataFrame], codebook: pd.DataFrame,
                qdpx_path: str | Path, csv_path: str | Path) -> pd.DataFrame:
    """Rule study1_export: join the models' answers (sorted by model, prompt, session) and
    write them for coders (:func:`export_answers`); returns the joined answers."""
    answers = pd.concat(list(parts), ignore_index=True).sort_values(
        ["model_id", "prompt_id", "session"], kind="mergesort").reset_index(drop=True)
    export_answers(answers, qdpx_path, csv_path, codebook=codebook)
    log.info("exported %d answers of %d models (prompts %s) with %d codes", len(answers),
             answers["model_id"].nunique(), sorted(answers["prompt_id"].unique()), len(codebook))
    return answers


def import_step(source: str | Path, codebook: pd.DataFrame, themes: pd.DataFrame,
                fmt: str = "qdpx", answers: str | Path | pd.DataFrame | None = None) -> Outputs:
    """Rule study1_import: import and validate the coding (:func:`load_coding`) and tabulate
    theme presence (:func:`presence_table`); outputs ``sources``, ``coding``, ``presence``.

    ``sources`` keeps ``response_id, model_id, prompt_id`` and the answer's length
    ``n_characters``, not its text.
    """
    sources, coding = load_coding(source, fmt, codebook, answers=answers)
    presence = presence_table(coding, sources, themes["theme"])
    out = sources[["response_id", "model_id", "prompt_id"]].copy()
    out["n_characters"] = sources["text"].str.len().astype("int64")
    log.info("%s (%s): %d answers of %d models, %d coded segments by %d coder(s) %s",
             source, fmt, len(sources), sources["model_id"].nunique(), len(coding),
             coding["coder"].nunique(), sorted(coding["coder"].unique()))
    return Outputs(frames={"sources": out, "coding": coding, "presence": presence})


def codebook_step(codebook: pd.DataFrame, themes: pd.DataFrame, coding: pd.DataFrame,
                  seed: int = 0) -> Outputs:
    """Rule study1_codebook: the codebook table (:func:`codebook_table`), output ``table``."""
    table = codebook_table(codebook, themes, coding, seed=seed)
    log.info("codebook of %d themes, %d codes, %d segments", len(table),
             int(table["n_codes"].sum()), int(table["segments"].sum()))
    return Outputs(tables={"table": Table(table, codebook_display(table), CODEBOOK_CAPTION,
                                          CODEBOOK_NOTE)})


def prevalence_step(presence: pd.DataFrame, themes: pd.DataFrame, models: pd.DataFrame,
                    rule: str = "mean", n_boot: int = 2000, seed: int = 0) -> Outputs:
    """Rule study1_prevalence: theme prevalence and inter-coder reliability.

    :func:`prevalence` (coders combined by ``rule``), :func:`prevalence_by_coder` and
    :func:`reliability` (``n_boot`` resamples seeded with ``seed``) as the frames
    ``prevalence``, ``by_coder``, ``reliability``; the tables ``table`` (prevalence and
    reliability) and ``by_model``; the figure ``heatmap``.
    """
    prev = prevalence(presence, rule=rule)
    by_coder = prevalence_by_coder(presence)
    by_model = prevalence(presence, rule=rule, by="model_id")
    rel = reliability(presence, n_boot=n_boot, seed=seed)
    n_resp = presence["response_id"].nunique()
    coders = sorted(presence["coder"].unique())
    if len(coders) < 2:
        log.warning("only one coder (%s): reliability not computable", coders[0])
    full, display = table_prevalence_reliability(prev, by_coder, rel, themes)
    full_m, display_m = table_prevalence_by_model(by_model, themes, models)
    tables = {
        "table": Table(full, display, "Study 1: theme prevalence and inter-coder reliability.",
                       prevalence_note(n_resp, coders, rel["statistic"].iloc[0], rule, n_boot,
                                       seed)),
        "by_model": Table(full_m, display_m,
                          "Study 1: theme prevalence per model with Wilson 95% CIs.",
                          by_model_note(rule, models)),
    }
    _styled()
    fig = plot_prevalence_heatmap(by_model, themes, models)
    pooled = rel.iloc[-1]
    log.info("prevalence of %d themes over %d responses (rule %s); pooled %s = %.3f, "
             "alpha = %.3f", len(themes), n_resp, rule, pooled["statistic"], pooled["kappa"],
             pooled["alpha"])
    return Outputs(tables=tables, figures={"heatmap": fig},
                   frames={"prevalence": prev, "by_coder": by_coder, "reliability": rel})


def saturation_step(coding: pd.DataFrame, sources: pd.DataFrame, n_orders: int = 200,
                    seed: int = 0, threshold: float = 0.95) -> Outputs:
    """Rule study1_saturation: code saturation (:func:`saturation`); the frame ``curve``,
    the summary ``table`` and the ``figure``."""
    curve, summary = saturation(coding, sources, n_orders=n_orders, seed=seed,
                                threshold=threshold)
    full, display = table_saturation(summary)
    table = Table(full, display, "Study 1: code saturation.",
                  saturation_note(summary["n_orders"], seed))
    _styled()
    fig = plot_saturation(curve, summary)
    log.info("saturation: %s", summary)
    return Outputs(tables={"table": table}, figures={"figure": fig}, frames={"curve": curve})


def cooccurrence_step(presence: pd.DataFrame, themes: pd.DataFrame, rule: str = "mean"
                      ) -> Outputs:
    """Rule study1_cooccurrence: theme co-occurrence (:func:`cooccurrence`); the ``table``
    (every ordered pair; lower-triangle display) and the ``figure``."""
    cooc = cooccurrence(presence, rule=rule)
    table = Table(cooc, table_cooccurrence(cooc, themes),
                  "Study 1: theme co-occurrence at response level (Jaccard index).",
                  cooccurrence_note(rule))
    _styled()
    fig = plot_cooccurrence(cooc, themes)
    log.info("co-occurrence of %d themes", len(themes))
    return Outputs(tables={"table": table}, figures={"figure": fig})


def macros_step(prevalence: pd.DataFrame, reliability: pd.DataFrame,
                saturation: pd.DataFrame, sources: pd.DataFrame, coding: pd.DataFrame,
                themes: pd.DataFrame) -> dict[str, str]:
    """Rule study1_macros: the macro values (:func:`study1_macros`), theme labels from
    ``themes``."""
    labels = dict(zip(themes["theme"], themes["label"], strict=True))
    values = study1_macros(prevalence, reliability, saturation, sources, coding, labels=labels)
    log.info("%d macros", len(values))
    return values
