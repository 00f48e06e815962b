"""Study 1 presentation: display tables with their captions and notes, and the macros.

Each ``table_*`` function returns the full-precision frame (for the CSV) and the
APA-formatted display frame (for LaTeX, Markdown and HTML); each ``*_note`` function
the table's note. :func:`study1_macros` formats the key numbers for ``macros.tex``;
it finds its rows by their column values and raises ``ValueError`` naming a row
that is missing, so no macro is ever dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import model_names, with_names_note, write_csv
from ..tables import Outputs, Table, apa, format_ci
from .reliability import POOLED

__all__ = [
    "Table",
    "Outputs",
    "codebook_display",
    "table_prevalence_reliability",
    "table_prevalence_by_model",
    "table_cooccurrence",
    "table_saturation",
    "prevalence_note",
    "by_model_note",
    "cooccurrence_note",
    "saturation_note",
    "study1_macros",
    "write_frame",
    "CODEBOOK_CAPTION",
    "CODEBOOK_NOTE",
    "EXEMPLAR_CHARACTERS",
]

#: longest exemplar quote shown in the codebook's display table (longer ones are cut)
EXEMPLAR_CHARACTERS = 160
CODEBOOK_CAPTION = ("Study 1 codebook: themes, their definitions and inductive codes, the number "
                    "of coded segments (all coders) and one exemplar quote per theme.")
CODEBOOK_NOTE = ("Exemplars are drawn reproducibly (seeded) among the segments coded to the theme "
                 "by the most coders.")


def codebook_display(table: pd.DataFrame, max_quote: int = EXEMPLAR_CHARACTERS) -> pd.DataFrame:
    """The codebook as shown: theme label, definition, codes, segments and the exemplar
    (cut to ``max_quote`` characters with ``...``)."""
    cut = max_quote - 3
    return pd.DataFrame({
        "Theme": table["label"], "Definition": table["definition"],
        "Codes (segments)": table["codes"], "Segments": table["segments"].astype(str),
        "Exemplar": [q if len(q) <= max_quote else q[:cut] + "..." for q in table["exemplar"]],
    })


def table_prevalence_reliability(
    prev: pd.DataFrame, by_coder: pd.DataFrame, rel: pd.DataFrame, themes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prevalence (rule-combined, per-coder range) and reliability per theme + pooled row.

    Returns the full-precision frame (for the CSV) and the APA display frame.
    """
    rng_c = by_coder.groupby("theme")["prevalence"].agg(["min", "max"])
    full = prev.merge(rng_c.rename(columns={"min": "coder_min", "max": "coder_max"}),
                      left_on="theme", right_index=True, how="left")
    full = full.merge(rel, on="theme", how="outer", suffixes=("", "_rel"))
    order = {t: k for k, t in enumerate([*themes["theme"], POOLED])}
    full = full.sort_values("theme", key=lambda s: s.map(order), kind="mergesort")
    full = full.reset_index(drop=True)
    labels = dict(zip(themes["theme"], themes["label"], strict=True))
    statistic = rel["statistic"].iloc[0]
    kap_head = "Kappa [95% CI]" if statistic == "none" else f"{statistic} [95% CI]"
    disp = pd.DataFrame({
        "Theme": [labels.get(t, "All themes (pooled)") for t in full["theme"]],
        "Prevalence [95% CI]": [format_ci(p, lo, hi) if t != POOLED else ""
                                for t, p, lo, hi in zip(full["theme"], full["prevalence"],
                                                        full["ci_low"], full["ci_high"],
                                                        strict=True)],
        "Coders (range)": ["" if t == POOLED else
                           (apa(a, "r") if a == b else f"{apa(a, 'r')}-{apa(b, 'r')}")
                           for t, a, b in zip(full["theme"], full["coder_min"],
                                              full["coder_max"], strict=True)],
        kap_head: [format_ci(k, lo, hi) for k, lo, hi in
                   zip(full["kappa"], full["kappa_low"], full["kappa_high"], strict=True)],
        "Krippendorff's alpha [95% CI]": [format_ci(a, lo, hi) for a, lo, hi in
                                          zip(full["alpha"], full["alpha_low"],
                                              full["alpha_high"], strict=True)],
        "Agreement": [apa(a, "r") for a in full["agreement"]],
    })
    return full, disp


def table_prevalence_by_model(
    by_model: pd.DataFrame, themes: pd.DataFrame, models: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-model prevalence (long, full precision) and a model x theme display."""
    ids = list(dict.fromkeys(by_model["model_id"]))
    if models is not None:
        ids = [m for m in models["model_id"] if m in set(ids)] + [
            m for m in ids if m not in set(models["model_id"])]
        names = model_names(models)
    else:
        names = {}
    full = by_model.copy()
    full["_m"] = full["model_id"].map({m: k for k, m in enumerate(ids)})
    full["_t"] = full["theme"].map({t: k for k, t in enumerate(themes["theme"])})
    full = full.sort_values(["_m", "_t"], kind="mergesort").drop(columns=["_m", "_t"])
    full = full.reset_index(drop=True)
    cells = {(m, t): format_ci(p, lo, hi) for m, t, p, lo, hi in
             zip(full["model_id"], full["theme"], full["prevalence"], full["ci_low"],
                 full["ci_high"], strict=True)}
    n = full.drop_duplicates("model_id").set_index("model_id")["n_responses"]
    disp = pd.DataFrame({"Model": [names.get(m, m) for m in ids],
                         "n": [str(int(n[m])) for m in ids]})
    for t, label in zip(themes["theme"], themes["label"], strict=True):
        disp[label] = [cells.get((m, t), "NA") for m in ids]
    return full, disp


def table_cooccurrence(cooc: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """Lower-triangle display of the Jaccard matrix (APA, no leading zero)."""
    ids, labels = list(themes["theme"]), list(themes["label"])
    jac = cooc.set_index(["theme_a", "theme_b"])["jaccard"]
    disp = pd.DataFrame({"Theme": labels[1:]})
    for j, b in enumerate(ids[:-1]):
        disp[labels[j]] = ["" if i <= j else apa(jac[(a, b)], "r")
                           for i, a in enumerate(ids) if i > 0]
    return disp


def table_saturation(summary: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Saturation summary as a one-row frame and a two-column display."""
    full = pd.DataFrame([summary])
    pct = f"{summary['threshold']:.0%}"
    disp = pd.DataFrame({
        "Quantity": ["Responses analysed", "Distinct codes", "Random orders",
                     f"Responses until {pct} of codes (mean curve)",
                     f"Responses until {pct} of codes, per order: median [95% interval]"],
        "Value": [str(summary["n_responses"]), str(summary["n_codes"]),
                  str(summary["n_orders"]), str(summary["n_at_threshold"]),
                  f"{apa(summary['n_at_threshold_median'], 'int')} "
                  f"[{apa(summary['n_at_threshold_low'], 'int')}, "
                  f"{apa(summary['n_at_threshold_high'], 'int')}]"],
    })
    return full, disp


def prevalence_note(n_responses: int, coders: Sequence[str], statistic: str, rule: str,
                    n_boot: int, seed: int) -> str:
    """Note of the prevalence and reliability table: N, the combining rule, the
    reliability statistic with its bootstrap (or why it is not computable)."""
    coders = list(coders)
    if len(coders) < 2:
        rel_note = f"Inter-coder reliability is not computable: one coder ({coders[0]}). "
    else:
        rel_note = (f"{statistic} and Krippendorff's alpha (nominal) on theme presence per "
                    f"response ({len(coders)} coders); percentile CIs from {n_boot} bootstrap "
                    f"resamples of responses (seed {seed}); the pooled row treats every "
                    "response x theme pair as a unit. ")
    return (f"N = {n_responses} responses. Prevalence: share of responses with at least one "
            f"segment coded to the theme, coders combined by the '{rule}' rule, Wilson 95% CI; "
            f"Coders (range): each coder's own prevalence. {rel_note}Agreement: share of units "
            "on which all coders agree.")


def by_model_note(rule: str, models: pd.DataFrame | None) -> str:
    """Note of the per-model prevalence table (with the model-names note, where it applies)."""
    return with_names_note(f"Coders combined by the '{rule}' rule; n = responses of the model.",
                           models)


def cooccurrence_note(rule: str) -> str:
    """Note of the co-occurrence table."""
    return ("Jaccard index of the sets of responses in which each theme is present; coders "
            f"combined by the '{rule}' rule"
            + (" (index averaged over coders)." if rule == "mean" else "."))


def saturation_note(n_orders: int, seed: int) -> str:
    """Note of the saturation table."""
    return (f"Distinct codes (any coder) against responses analysed, over {n_orders} random "
            f"orders of the responses (seed {seed}).")


def _row(frame: pd.DataFrame, column: str, value: Any, what: str) -> pd.Series:
    """The one row of ``frame`` whose ``column`` is ``value``; ``ValueError`` naming it if none."""
    if column not in frame.columns:
        raise ValueError(f"{what} has no column {column!r}")
    hit = frame[frame[column] == value]
    if hit.empty:
        raise ValueError(f"{what} has no row with {column} = {value!r}")
    return hit.iloc[0]


def _bracket(row: pd.Series, est: str, low: str, high: str) -> str:
    if not np.isfinite(row[est]):
        return "NA"
    return f"[{apa(row[low], 'r')}, {apa(row[high], 'r')}]"


def study1_macros(
    prevalence: pd.DataFrame,
    reliability: pd.DataFrame,
    saturation: pd.DataFrame,
    sources: pd.DataFrame,
    coding: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Formatted key numbers for ``macros.tex`` (keys ``study_one_...``, macros ``\\studyOne...``).

    ``prevalence``: overall :func:`~valueaudit.study1.prevalence`; ``reliability``:
    :func:`~valueaudit.study1.reliability` (its pooled row is the one whose ``theme`` is
    :data:`POOLED`); ``saturation``: the one-row summary of
    :func:`~valueaudit.study1.saturation`. Coefficients that are not computable (one
    coder) are ``NA``. ``labels`` (theme id -> label, from the instrument) adds a
    ``study_one_prev_<theme>_label`` macro beside each prevalence. A missing pooled or
    saturation row raises ``ValueError`` naming it.
    """
    pooled = _row(reliability, "theme", POOLED, "the reliability table")
    if saturation.empty:
        raise ValueError("the saturation summary has no row")
    sat = saturation.iloc[0]
    out = {
        "study_one_responses": str(len(sources)),
        "study_one_models": str(sources["model_id"].nunique()),
        "study_one_coders": str(coding["coder"].nunique()),
        "study_one_segments": str(len(coding)),
        "study_one_codes": str(int(sat["n_codes"])),
        "study_one_kappa": apa(pooled["kappa"], "r"),
        "study_one_kappa_ci": _bracket(pooled, "kappa", "kappa_low", "kappa_high"),
        "study_one_alpha": apa(pooled["alpha"], "r"),
        "study_one_alpha_ci": _bracket(pooled, "alpha", "alpha_low", "alpha_high"),
        "study_one_saturation_n": str(int(sat["n_at_threshold"])),
    }
    for t, p, lo, hi in zip(prevalence["theme"], prevalence["prevalence"],
                            prevalence["ci_low"], prevalence["ci_high"], strict=True):
        out[f"study_one_prev_{t}"] = apa(p, "r")
        out[f"study_one_prev_{t}_ci"] = f"[{apa(lo, 'r')}, {apa(hi, 'r')}]"
        if labels is not None:
            if t not in labels:
                raise ValueError(f"theme {t!r} of the prevalence table has no label")
            out[f"study_one_prev_{t}_label"] = str(labels[t])
    return out


def write_frame(df: pd.DataFrame, path: str | Path) -> None:
    """Write an intermediate table atomically (thin wrapper of contracts.write_csv)."""
    write_csv(df, path)
