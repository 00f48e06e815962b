"""Study 3 LaTeX macros: the key numbers of the benchmark, keyed ``study_three_...``.

Rows are found by the values of their key columns (the constants of
:mod:`valueaudit.study3.model_characteristics` and :data:`valueaudit.study3.REFERENCE_ROWS`);
a row that should be there and is not raises ``ValueError`` naming it. Every macro keeps
its former name (without the ``studyThree`` prefix) as an alias (:func:`macro_aliases`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..tables import apa, macro_name
from . import model_characteristics as ch
from .benchmark import reference_value

__all__ = ["PREFIX", "macro_values", "macro_aliases", "macros_step"]

#: key prefix of every Study 3 macro (macros read ``\studyThree...``)
PREFIX = "study_three_"
#: the leaderboard compared with fidelity in the robustness table -> macro key
_TAUS = {"fidelity (plug-in)": "tau_plugin", "Lin's CCC": "tau_ccc", "Pearson r": "tau_pearson",
         "D2": "tau_d_two"}


def _pval(p: Any) -> str:
    if p is None or not np.isfinite(p):
        return "NA"
    return "$<$ .001" if p < 0.001 else apa(p, "p")


def _group(agency: pd.DataFrame, group: str) -> pd.Series:
    sel = agency[agency["group"] == group]
    if not len(sel):
        raise ValueError(f"focal-theme summary: no row with group {group!r}")
    return sel.iloc[0]


def _characteristics(v: dict[str, str], chars: pd.DataFrame) -> None:
    for key, pred in (("size", ch.SIZE), ("recency", ch.RECENCY), ("tier_rho", ch.TIER_ORDINAL)):
        c = ch.characteristic_row(chars, pred, ch.SPEARMAN)
        v[f"{key}_rho" if key != "tier_rho" else key] = apa(c["statistic"], "r")
        v[f"{key}_p" if key != "tier_rho" else "tier_rho_p"] = _pval(c["p"])
        v[f"{key}_n" if key != "tier_rho" else "tier_rho_n"] = apa(c["n"], "int")
        if key == "size":
            v["size_missing"] = apa(c["n_missing"], "int")
    c = ch.characteristic_row(chars, ch.TIER, ch.KRUSKAL)
    v["tier_h"], v["tier_p"] = apa(c["statistic"]), _pval(c["p"])
    v["tier_df"] = apa(c["df"], "int")
    fitted = not ((chars["test"] == ch.OLS) & (chars["predictor"] == ch.OLS_MODEL)).any()
    if not fitted:  # the OLS was not computable: no OLS macros
        return
    for key, pred in (("ols_size", ch.OLS_SIZE), ("ols_recency", ch.OLS_RECENCY)):
        c = ch.characteristic_row(chars, pred, ch.OLS)
        v[f"{key}_b"], v[f"{key}_p"] = apa(c["estimate"], "d3"), _pval(c["p"])
    tier_terms = chars["predictor"].astype(str).str.startswith("tier: ") & (chars["test"] == ch.OLS)
    if tier_terms.any():
        c = ch.characteristic_row(chars, ch.TIER_JOINT, ch.WALD)
        v["ols_tier_f"], v["ols_tier_p"] = apa(c["statistic"]), _pval(c["p"])


def macro_values(flow: pd.DataFrame, board: pd.DataFrame, reference: pd.DataFrame,
                 chars: pd.DataFrame, agency: pd.DataFrame, taus: pd.DataFrame,
                 pairwise: pd.DataFrame, themes: pd.DataFrame, fmt: str) -> dict[str, str]:
    """The Study 3 macro values (formatted), keyed ``study_three_...``.

    Inputs are the Study 3 tables as written: sample flow, leaderboard, reference
    points, characteristics, focal-theme summary, robustness (taus), human pairwise
    tests, and the themes. The OLS macros exist only when the OLS was fitted (the
    characteristics table has no "not computable" model row), the Wald F macros only
    when it has tier terms.
    """
    an = board[board["analysed"]]
    n_an = len(an)
    v: dict[str, str] = {}
    v["human_collected"] = apa(flow["n_remaining"].iloc[0], "int")
    v["human_n"] = apa(flow["n_remaining"].iloc[-1], "int")
    v["human_excluded"] = apa(flow["n_excluded"].iloc[-1], "int")
    v["n_themes"] = apa(len(themes), "int")
    v["models_total"] = apa(len(board), "int")
    v["models_n"] = apa(n_an, "int")
    v["models_not_analysed"] = apa(len(board) - n_an, "int")
    v["response_format"] = fmt
    v["bootstrap_b"] = apa(an["B"].iloc[0], "int") if n_an else "NA"

    def share(k):
        return apa(k / n_an, "pct") if n_an else "NA"

    fv = an["fidelity"].to_numpy(dtype=float)
    v["fidelity_median"] = apa(np.median(fv), "r") if n_an else "NA"
    v["fidelity_min"] = apa(np.min(fv), "r") if n_an else "NA"
    v["fidelity_max"] = apa(np.max(fv), "r") if n_an else "NA"
    v["ordering_crit"] = apa(an["ordering_crit"].iloc[0], "r") if n_an else "NA"
    counts = {"ordered": int(an["keeps_order"].sum()),
              "exaggerating": int((an["flag"] == "exaggerates").sum()),
              "flattening": int((an["flag"] == "flattens").sum()),
              "calibrated": int((an["flag"] == "calibrated").sum()),
              "inconclusive": int((an["flag"] == "inconclusive").sum()),
              "ordered_exaggerating": int((an["keeps_order"] & (an["flag"] == "exaggerates"))
                                          .sum())}
    for key, k in counts.items():
        v[f"{key}_n"], v[f"{key}_share"] = apa(k, "int"), share(k)
    margins = pd.to_numeric(an.get("calibration_margin"), errors="coerce")
    v["calibration_margin"] = (apa(float(margins.iloc[0])) if n_an and margins.notna().any()
                               else "NA")
    v["human_percentile_median"] = apa(an["human_percentile"].median(), "int") if n_an else "NA"
    v["null_median"] = apa(an["null_mean"].median(), "r") if n_an else "NA"
    v["null_beaten_n"] = apa(int((an["null_p"] < 0.05).sum()), "int")
    for key in ("ceiling", "loo", "session"):
        r = reference_value(reference, key)
        v[f"{key}_fidelity"] = apa(r["centre"], "r")
        v[f"{key}_low"] = apa(r["low"], "r")
        v[f"{key}_high"] = apa(r["high"], "r")
    _characteristics(v, chars)
    h, m = _group(agency, "human profile"), _group(agency, "models")
    v["agency_label"] = str(h["label"])
    v["agency_human_rank"] = (apa(h["rank"], "int") if float(h["rank"]).is_integer()
                              else apa(h["rank"], "d2"))
    v["agency_models_last_n"] = apa(m["n_last"], "int")
    v["agency_models_last_share"] = apa(m["share_last"], "pct")
    v["agency_binom_p"] = _pval(m["binom_p"])
    v["agency_model_median_rank"] = apa(m["rank"], "d2")
    if not len(pairwise):
        raise ValueError("human pairwise tests: no row (the Friedman test is stored in each row)")
    f = pairwise.iloc[0]
    v["human_friedman_q"] = apa(f["friedman_Q"])
    v["human_friedman_df"] = apa(f["friedman_df"], "int")
    v["human_friedman_p"] = _pval(f["friedman_p"])
    v["human_friedman_w"] = apa(f["friedman_W"], "r")
    for t in taus[taus["index_a"] == "fidelity"].itertuples():
        v[_TAUS.get(t.index_b, "tau_other_format")] = apa(t.tau, "r")
    return {PREFIX + k: val for k, val in v.items()}


def macro_aliases(values: Mapping[str, str]) -> dict[str, str]:
    """Former macro name -> key, for every key of :func:`macro_values`: the former name is
    the key without :data:`PREFIX` as a macro name (``study_three_human_n`` ->
    ``humanN``, written as ``\\humanN`` standing for ``\\studyThreeHumanN``)."""
    return {macro_name(k.removeprefix(PREFIX)): k for k in values if k.startswith(PREFIX)}


def macros_step(flow: pd.DataFrame, board: pd.DataFrame, reference: pd.DataFrame,
                chars: pd.DataFrame, agency: pd.DataFrame, taus: pd.DataFrame,
                pairwise: pd.DataFrame, themes: pd.DataFrame,
                fmt: str = "rating") -> tuple[dict[str, str], dict[str, str]]:
    """Rule study3_macros: ``(values, aliases)`` for :func:`valueaudit.tables.write_macros`
    (:func:`macro_values`, :func:`macro_aliases`)."""
    values = macro_values(flow, board, reference, chars, agency, taus, pairwise, themes, fmt)
    return values, macro_aliases(values)
