"""Study 3 rule steps: for each rule, the one function that turns the inputs it has read
into everything it writes (:class:`~valueaudit.study3.report.Outputs`, or frames).

The function defaults mirror the config schema's defaults (``study3.*``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import fidelity as fid
from ..instrument import FORMATS
from ..profiles import theme_scores
from ..tables import format_p
from . import report
from .benchmark import (
    analysed_profiles,
    analysed_values,
    assemble_fidelity,
    consensus_profile,
    fidelity_table,
    leaderboard,
    model_fidelity,
    ordering_threshold,
    reference_points,
    reference_points_table,
    respondent_level,
)
from .focal import focal_theme_analysis, resolve_focal_theme
from .leaderboard_robustness import robustness
from .model_characteristics import characteristics
from .reference import (
    demographics_table,
    human_profile,
    human_theme_tests,
    model_session_matrices,
    sample_flow_table,
    unit_matrix,
)

__all__ = ["model_step", "model_step_args", "prefetch_model_steps", "prefetch_step_jobs",
           "fidelity_step", "humans_step", "leaderboard_step", "profiles_step",
           "characteristics_step", "agency_step", "robustness_step"]

log = logging.getLogger(__name__)


def _labels(themes: pd.DataFrame) -> dict[str, str]:
    return dict(zip(themes["theme"].astype(str), themes["label"].astype(str), strict=True))


def _human_matrix(humans: pd.DataFrame, themes: Sequence[str], fmt: str) -> pd.DataFrame:
    """The respondents x themes matrix of one format (once per process for the same table)."""
    from ..memo import frame_key, memo

    key = ("human_matrix", frame_key(humans), tuple(themes), fmt)
    return memo(key, lambda: unit_matrix(humans, themes, "respondent_id", fmt),
                copy=pd.DataFrame.copy)


def _figures():
    from ..plotting import setup

    setup()
    from . import figures, quadrant

    return figures, quadrant


# model_step results computed ahead in one joint bootstrap (prefetch_model_steps), by the
# key of their inputs and params; each is handed out once
_PREFETCHED: dict[tuple, dict[str, pd.DataFrame]] = {}


def _step_key(model_id: str, responses: pd.DataFrame, instrument, humans: pd.DataFrame,
              params: dict) -> tuple:
    from ..memo import frame_key

    return ("study3.model_step", str(model_id), frame_key(responses), frame_key(humans),
            getattr(instrument, "sha256", None), repr(instrument), tuple(sorted(params.items())))


def _fidelity_params(bootstrap, seed, bias_correct, fidelity_ci, boot_bias_correct,
                     calibration_margin, null_permutations, null_seed) -> dict:
    """model_step's params under the names of :func:`fidelity_table`."""
    return {"n_boot": bootstrap, "seed": seed, "bias_correct": bias_correct,
            "fidelity_ci": fidelity_ci, "boot_bias_correct": boot_bias_correct,
            "calibration_margin": calibration_margin, "n_perm": null_permutations,
            "null_seed": null_seed}


def _shared_key(instrument, humans: pd.DataFrame, params: dict) -> tuple:
    from ..memo import frame_key

    return (frame_key(humans), getattr(instrument, "sha256", None), repr(instrument),
            tuple(sorted(params.items())))


def _sessions_of(responses: pd.DataFrame, instrument) -> dict[str, pd.DataFrame]:
    scores = pd.concat([theme_scores(responses, instrument, ["model_id", "session"], f)
                        for f in FORMATS], ignore_index=True)
    return model_session_matrices(scores, instrument.theme_ids)


def model_step(model_id: str, responses: pd.DataFrame, instrument, humans: pd.DataFrame,
               source: str = "responses", bootstrap: int = 2000, seed: int = 0,
               bias_correct: bool = True, fidelity_ci: str = "joint",
               boot_bias_correct: bool = True, calibration_margin: float = fid.DEFAULT_MARGIN,
               null_permutations: int = 2000, null_seed: int = 1) -> dict[str, pd.DataFrame]:
    """Rule study3_model: profile fidelity of ONE model in both formats.

    ``responses`` are the model's parsed responses (``source`` names their file in the
    error raised when they hold another model), ``humans`` the long human scores.
    Returns :func:`valueaudit.study3.model_fidelity`'s ``fidelity, sessions, profile``
    (the result :func:`prefetch_model_steps` computed for the same inputs and params, if
    it did).
    """
    ids = set(responses["model_id"].astype(str))
    if ids - {model_id}:
        raise ValueError(f"{source}: responses of {sorted(ids)}, expected {model_id}")
    params = _fidelity_params(bootstrap, seed, bias_correct, fidelity_ci, boot_bias_correct,
                              calibration_margin, null_permutations, null_seed)
    out = (_PREFETCHED.pop(_step_key(model_id, responses, instrument, humans, params), None)
           if _PREFETCHED else None)
    if out is None:
        themes = instrument.theme_ids
        H = {f: _human_matrix(humans, themes, f).to_numpy() for f in FORMATS}
        out = model_fidelity(model_id, _sessions_of(responses, instrument), H, themes, **params)
    for _, r in out["fidelity"].iterrows():
        log.info("%s %s: %s sessions, fidelity %.3f [%.3f, %.3f], ln k %.3f, verdict %s",
                 model_id, r["format"], r["n_sessions"], r.get("fidelity", np.nan),
                 r.get("fidelity_lo", np.nan), r.get("fidelity_hi", np.nan),
                 r.get("exaggeration", np.nan), r["flag"])
    return out


def model_step_args(smk) -> dict:
    """The arguments of :func:`model_step` from a study3_model job (``snakemake`` object):
    its inputs read (the instrument, the model's validated responses, the human scores;
    each read once per process for the same bytes) and its params."""
    from ..contracts import read_responses
    from ..instrument import load_instrument
    from ..memo import file_key, memo

    p, i = smk.params, smk.input
    ins = load_instrument(i.instrument)
    humans = memo(("human_scores", file_key(i.humans)),
                  lambda: pd.read_csv(i.humans, dtype={"respondent_id": str}),
                  copy=pd.DataFrame.copy)
    return {
        "model_id": str(smk.wildcards.model), "responses": read_responses(i.responses, ins),
        "instrument": ins, "humans": humans, "source": str(i.responses),
        "bootstrap": int(p.bootstrap), "seed": int(p.seed), "bias_correct": bool(p.bias_correct),
        "fidelity_ci": str(p.fidelity_ci), "boot_bias_correct": bool(p.boot_bias_correct),
        "calibration_margin": float(p.calibration_margin),
        "null_permutations": int(p.null_permutations), "null_seed": int(p.null_seed),
    }


def prefetch_model_steps(calls: Sequence[dict]) -> int:
    """Compute many :func:`model_step` calls (``calls``: their keyword arguments, as
    :func:`model_step_args` gives) in joint bootstraps, one per set of calls with the same
    humans, instrument and params, and keep each result for the one :func:`model_step` call
    with the same inputs, which then returns it instead of computing it.

    The numbers are those of separate calls: a model's session resamples depend only on
    the seed and its id, and every model shares the human resample of replicate b
    (:func:`valueaudit.fidelity.bootstrap_fidelity`); the joint call draws that human
    resample once instead of once per model; the frames have the same values and write
    the same CSV bytes (a text column without values can be typed differently in memory).
    A call whose responses hold another model is left out (its own call raises). Returns
    the number of results kept.
    """
    groups: dict[tuple, list[dict]] = {}
    for c in calls:
        if set(c["responses"]["model_id"].astype(str)) - {c["model_id"]}:
            continue
        params = _fidelity_params(c["bootstrap"], c["seed"], c["bias_correct"],
                                  c["fidelity_ci"], c["boot_bias_correct"],
                                  c["calibration_margin"], c["null_permutations"],
                                  c["null_seed"])
        groups.setdefault(_shared_key(c["instrument"], c["humans"], params), []).append(
            {**c, "_params": params})
    kept = 0
    for members in groups.values():
        first = members[0]
        ins, humans, params = first["instrument"], first["humans"], first["_params"]
        themes = ins.theme_ids
        H = {f: _human_matrix(humans, themes, f).to_numpy() for f in FORMATS}
        ids = [c["model_id"] for c in members]
        if len(set(ids)) != len(ids):
            continue
        joint = fidelity_table({c["model_id"]: _sessions_of(c["responses"], ins) for c in members},
                               H, themes, **params)
        parts = {name: dict(tuple(frame.groupby("model_id", sort=False)))
                 for name, frame in joint.items()}
        for c in members:
            mid = c["model_id"]
            out = {}
            for name, frame in joint.items():
                rows = parts[name].get(mid)
                out[name] = (rows if rows is not None else frame.iloc[0:0]).reset_index(drop=True)
            _PREFETCHED[_step_key(mid, c["responses"], ins, humans, params)] = out
            kept += 1
    return kept


def prefetch_step_jobs(jobs: Sequence) -> int:
    """:func:`prefetch_model_steps` for the study3_model steps of a shard job (their job
    objects); returns the number of results kept."""
    return prefetch_model_steps([model_step_args(j) for j in jobs])


def fidelity_step(per_model: pd.DataFrame, sessions: pd.DataFrame, profiles: pd.DataFrame,
                  models: pd.DataFrame, humans: pd.DataFrame, themes: Sequence[str],
                  min_sessions: int = 3, noise_ceiling_splits: int = 1000,
                  seed: int = 0) -> dict[str, pd.DataFrame]:
    """Rule study3_fidelity: all models' fidelity with metadata, the analysed flag, the
    human reference points (noise ceiling, leave-one-out humans) and human percentiles.

    Returns frames ``fidelity, sessions, profiles, reference, loo`` (a format with fewer
    than 4 respondents has no reference points; a warning says so).
    """
    refs, loos, loo_vals = [], [], {}
    for fmt in FORMATS:
        X = _human_matrix(humans, themes, fmt)
        if len(X) < 4:
            log.warning("format %s: %d respondents, no reference points", fmt, len(X))
            continue
        ceil, loo = reference_points(X.to_numpy(), n_splits=noise_ceiling_splits, seed=seed)
        refs.append({"format": fmt, **ceil})
        loo.insert(0, "respondent_id", X.index.to_numpy()[loo["row"].to_numpy()])
        loo.insert(0, "format", fmt)
        loos.append(loo.drop(columns="row"))
        loo_vals[fmt] = loo["fidelity"].to_numpy()
    fidelity = assemble_fidelity(per_model, models, loo_vals, min_sessions, len(themes))
    for fmt in FORMATS:
        f = fidelity[fidelity["format"] == fmt]
        an = f[f["analysed"]]
        log.info("%s: %d models, %d analysed, %d exaggerate, %d flatten", fmt, len(f), len(an),
                 int((an["flag"] == "exaggerates").sum()), int((an["flag"] == "flattens").sum()))
    return {"fidelity": fidelity,
            "sessions": sessions.sort_values(["format", "model_id", "session"], kind="mergesort"),
            "profiles": profiles.sort_values(["format", "model_id"], kind="mergesort"),
            "reference": pd.DataFrame(refs), "loo": pd.concat(loos, ignore_index=True)}


def humans_step(humans: pd.DataFrame, flow: pd.DataFrame, respondents: pd.DataFrame,
                themes: pd.DataFrame, fmt: str = "rating", bootstrap: int = 2000, seed: int = 0,
                demographics: Sequence[str] = ()) -> report.Outputs:
    """Rule study3_humans: sample flow, demographics, the human theme profile (bootstrap
    CIs and ranks) and the Friedman and pairwise Wilcoxon tests (tables ``flow,
    demographics, profile, pairwise``)."""
    labels = _labels(themes)
    X = _human_matrix(humans, themes["theme"].astype(str).tolist(), fmt)
    demo = demographics_table(respondents, list(demographics))
    n_an = int(respondents["included"].astype(str).str.lower().isin(["true", "1"]).sum())
    prof = human_profile(X, labels, n_boot=bootstrap, seed=seed)
    fr, pw = human_theme_tests(X)
    log.info("humans (%s): N = %d; Friedman Q = %.2f, p = %.3g; profile %s", fmt, len(X),
             fr["Q"], fr["p"], dict(zip(prof["theme"], prof["mean"].round(3), strict=True)))
    return report.Outputs(tables={
        "flow": report.sample_flow_display(sample_flow_table(flow)),
        "demographics": report.demographics_display(demo, n_an, len(respondents)),
        "profile": report.human_profile_display(prof, fr, len(X), fmt, bootstrap, seed),
        "pairwise": report.human_pairwise_display(pw, fr, labels, len(X)),
    })


def leaderboard_step(fidelity: pd.DataFrame, models: pd.DataFrame, sessions: pd.DataFrame,
                     reference: pd.DataFrame, loo: pd.DataFrame, themes: pd.DataFrame,
                     fmt: str = "rating", tiers: Sequence[str] = (),
                     boot_seed: int = 0) -> report.Outputs:
    """Rule study3_leaderboard: the leaderboard, the reference points, the respondent-level
    comparison (tables ``board, reference, respondent``) and the forest, ordering-exaggeration
    and respondent-level figures (``forest, quadrant, respondent_fig``)."""
    T = len(themes)
    tiers = list(tiers)
    ref = reference.set_index("format").loc[fmt].to_dict()
    loo_v = loo.loc[loo["format"] == fmt, "fidelity"].to_numpy(dtype=float)
    crit = ordering_threshold(T)
    board = leaderboard(fidelity, fmt)
    refs = reference_points_table(ref, fidelity, sessions, fmt)
    rl = respondent_level(fidelity, sessions, loo_v, fmt)
    an_f = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"]]
    sv, mv = analysed_values(fidelity, sessions, fmt)
    out = report.Outputs(tables={
        "board": report.leaderboard_display(board, fidelity, models, fmt, T, crit["rho_crit"],
                                            boot_seed),
        "reference": report.reference_points_display(refs, fidelity, fmt),
        "respondent": report.respondent_level_display(rl, models),
    })
    figures, quadrant = _figures()
    null_med = float(an_f["null_mean"].median()) if len(an_f) else None
    out.figures["forest"] = figures.plot_forest(board, tiers, ref, null_med)
    out.figures["quadrant"] = quadrant.plot_ordering_exaggeration(board, tiers, crit["rho_crit"])
    out.figures["respondent_fig"] = figures.plot_respondent_level(loo_v, sv, mv)
    an = board[board["analysed"]]
    log.info("%s: %d analysed; median fidelity %.3f; ceiling %.3f; %d exaggerate, %d keep order",
             fmt, len(an), float(np.median(mv)) if mv.size else float("nan"), ref["fidelity"],
             int((an["flag"] == "exaggerates").sum()), int(an["keeps_order"].sum()))
    return out


def profiles_step(human: pd.DataFrame, fidelity: pd.DataFrame, profiles: pd.DataFrame,
                  themes: pd.DataFrame, instrument, fmt: str = "rating", bootstrap: int = 2000,
                  seed: int = 0) -> report.Outputs:
    """Rule study3_profiles: the human and consensus-LLM theme profiles with 95% CIs
    (table ``table``, figure ``figure``); ``human`` is the human-profile table."""
    theme_ids = themes["theme"].astype(str).tolist()
    mp = analysed_profiles(fidelity, profiles, fmt, theme_ids)
    cons = consensus_profile(mp, n_boot=bootstrap, seed=seed)
    table = human[["theme", "label", "mean", "ci_low", "ci_high", "rank"]].rename(
        columns={"mean": "human_mean", "ci_low": "human_low", "ci_high": "human_high",
                 "rank": "human_rank"}).merge(
        cons.rename(columns={"mean": "llm_mean", "ci_low": "llm_low", "ci_high": "llm_high",
                             "rank": "llm_rank", "sd": "llm_sd"}), on="theme")
    table["difference"] = table["llm_mean"] - table["human_mean"]
    out = report.Outputs(tables={
        "table": report.profiles_display(table, fmt, len(mp), bootstrap, seed)})
    lo, hi = instrument.scale
    scale = (float(lo), float(hi)) if fmt == "rating" else (1.0, float(len(theme_ids)))
    ylabel = "Mean rating" if fmt == "rating" else "T + 1 - rank"
    figures, _ = _figures()
    out.figures["figure"] = figures.plot_profiles(human, cons, mp, scale=scale, ylabel=ylabel)
    log.info("consensus profile of %d models: %s", len(mp),
             dict(zip(cons["theme"], cons["mean"].round(3), strict=True)))
    return out


def characteristics_step(fidelity: pd.DataFrame, fmt: str = "rating",
                         tiers: Sequence[str] = (), seed: int = 0) -> report.Outputs:
    """Rule study3_characteristics: fidelity against size, release date and tier (table
    ``table``, figure ``figure``; ``seed`` for the tier panel's jitter)."""
    tiers = list(tiers)
    tests = characteristics(fidelity, tiers, fmt)
    n_an = int(((fidelity["format"] == fmt) & fidelity["analysed"]).sum())
    out = report.Outputs(tables={"table": report.characteristics_display(tests, n_an, fmt,
                                                                         tiers)})
    figures, _ = _figures()
    out.figures["figure"] = figures.plot_characteristics(fidelity, tests, tiers, fmt, seed=seed)
    for _, r in tests.iterrows():
        log.info("%s / %s: stat %s, p %s, n %d (%d left out)", r["predictor"], r["test"],
                 r["statistic"], r["p"], r["n"], r["n_missing"])
    return out


def agency_step(humans: pd.DataFrame, fidelity: pd.DataFrame, profiles: pd.DataFrame,
                themes: pd.DataFrame, fmt: str = "rating",
                focal: str = "agency") -> report.Outputs:
    """Rule study3_agency: the focal theme in humans and models (tables ``summary, tests``,
    figure ``figure``)."""
    theme_ids = themes["theme"].astype(str).tolist()
    labels = _labels(themes)
    X = _human_matrix(humans, theme_ids, fmt)
    mp = analysed_profiles(fidelity, profiles, fmt, theme_ids)
    chosen = resolve_focal_theme(themes, str(focal), X.mean(axis=0))
    if not chosen["how"].startswith("study3.focal_theme ="):
        log.warning("%s", chosen["how"])
    res = focal_theme_analysis(X, mp, chosen["theme"], labels)
    summ = res["summary"].assign(theme=chosen["theme"], label=chosen["label"],
                                 chosen_by=chosen["how"])
    tests = res["tests"].assign(focal=chosen["theme"])
    out = report.Outputs(tables={
        "summary": report.agency_display(summ, chosen["label"], chosen["how"], fmt,
                                         len(theme_ids)),
        "tests": report.agency_tests_display(tests, chosen["label"], fmt, len(X)),
    })
    figures, _ = _figures()
    out.figures["figure"] = figures.plot_focal_rank(res["positions"], res["human_rank"],
                                                    chosen["label"], len(mp), len(X))
    m = summ[summ["group"] == "models"].iloc[0]
    log.info("focal %s (%s): human rank %s; %d of %d models rank it last (p = %s)",
             chosen["theme"], chosen["how"], res["human_rank"], m["n_last"], m["n"], m["binom_p"])
    return out


def robustness_step(fidelity: pd.DataFrame, fmt: str = "rating") -> report.Outputs:
    """Rule study3_robustness: Kendall's tau-b between leaderboards and the ranks under
    each (tables ``table, ranks``)."""
    ranks, taus = robustness(fidelity, fmt)
    for r in taus.itertuples():
        log.info("tau(%s, %s) = %.3f, p = %s, n = %d", r.index_a, r.index_b, r.tau,
                 format_p(r.p), r.n)
    return report.Outputs(tables={"table": report.robustness_display(ranks, taus, fmt),
                                  "ranks": report.robustness_ranks_display(ranks)})

