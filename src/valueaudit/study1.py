"""Study 1: import of the inductive coding, prevalence, reliability, saturation (METHODS 4).

Researchers code the models' open-ended answers by hand in a QDA program. This module
exports the answers for them (:func:`open_answers`, :func:`export_answers`), imports
their coding from a REFI-QDA project or a coding CSV (:func:`load_coding`), and turns
it into the Study 1 results. Every function takes and returns pandas objects and works
without Snakemake; the theme set is whatever the theme list passed in holds (T >= 1
here; nothing assumes six themes).

Data flow
---------
``sources``
    One row per analysed answer: ``response_id, model_id, prompt_id, text``.
``coding``
    One row per (segment, coder, code) with ``theme`` (from the codebook) and the
    segment as code-point offsets ``start, end`` (end exclusive) and ``segment`` text.
``presence``
    Long table ``response_id, model_id, coder, theme, present``: did coder c code at
    least one segment of response r to a code of theme t. Every coder is taken to
    have read every analysed answer (full double coding), so a coder without a coding
    of theme t in response r says "absent". This is the unit of prevalence,
    reliability and co-occurrence.

Combining coders (``rule``)
---------------------------
Prevalence and co-occurrence need one value per response and theme; with several
coders the pipeline combines them by a rule (config ``study1.prevalence_rule``):

``mean`` (default)
    The coders' judgements are averaged, so prevalence is the mean over coders of each
    coder's share of responses with the theme: the expected prevalence for one coder.
    It neither rewards one coder's false positives (``any``) nor one coder's misses
    (``all``). Its Wilson interval uses ``count = N * prevalence`` out of ``N``
    responses; this is conservative, because the per-response coder mean ``Y`` has
    ``Var(Y) <= E(Y) - E(Y)^2`` (``Y^2 <= Y`` on [0, 1]), the binomial variance.
    Co-occurrence is each coder's Jaccard index averaged over coders.
``any`` / ``all`` / ``majority``
    Present when at least one coder, every coder, or more than half of the coders
    coded it; prevalence is then a plain binomial share.

References
----------
Cohen, J. (1960). Educational and Psychological Measurement, 20, 37-46.
Fleiss, J. L. (1971). Psychological Bulletin, 76(5), 378-382.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
for Communication, University of Pennsylvania.
Wilson, E. B. (1927). JASA, 22(158), 209-212.
Guest, G., Bunce, A., & Johnson, L. (2006). How many interviews are enough?
Field Methods, 18(1), 59-82 (saturation as the cumulative share of codes).
Jaccard, P. (1912). The distribution of the flora in the alpine zone. New
Phytologist, 11(2), 37-50.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .contracts import model_names, read_coding, write_csv
from .parse import response_text, strip_reasoning
from .stats import (
    bootstrap_weights,
    cohens_kappa,
    cohens_kappa_boot,
    fleiss_kappa,
    fleiss_kappa_boot,
    krippendorff_alpha,
    krippendorff_alpha_boot,
    percentile_ci,
    wilson_ci,
)

__all__ = [
    "RULES",
    "ANSWER_COLUMNS",
    "CodingError",
    "open_answers",
    "export_answers",
    "load_coding",
    "validate_coding",
    "presence_table",
    "prevalence",
    "prevalence_by_coder",
    "reliability",
    "saturation",
    "cooccurrence",
    "codebook_table",
    "plot_prevalence_heatmap",
    "plot_saturation",
    "plot_cooccurrence",
    "table_prevalence_reliability",
    "table_prevalence_by_model",
    "table_cooccurrence",
    "table_saturation",
    "study1_macros",
    "write_frame",
]

RULES = ("mean", "any", "all", "majority")
ANSWER_COLUMNS = ["response_id", "model_id", "prompt_id", "session", "model_version", "text"]
CODING_OUT = ["response_id", "model_id", "prompt_id", "coder", "code", "theme", "start", "end",
              "segment"]
POOLED = "all themes (pooled)"


class CodingError(ValueError):
    """The coded data are inconsistent; the message names file, code, source, position."""


# ---------------------------------------------------------------------------
# export for coders
# ---------------------------------------------------------------------------
def open_answers(records: Sequence[dict], task: str = "open") -> pd.DataFrame:
    """The open-ended answers in raw LLM records, one row per session.

    The final attempt of each (model, prompt, session) of ``task`` is kept; reasoning
    blocks (``<think>...</think>`` and the like, :func:`valueaudit.parse.strip_reasoning`)
    are not part of the answer. A session whose final attempt returned no answer text (a
    transport error, or reasoning only) has no answer and is left out. ``response_id`` is
    the record id of that attempt, so a coder's file refers back to the exact raw record.

    Parameters
    ----------
    records : sequence of dict
        Raw records (``workflow/schemas/raw_record.schema.yaml``).
    task : str
        The task of the open-ended prompt.

    Returns
    -------
    DataFrame
        ``response_id, model_id, prompt_id, session, model_version, text`` sorted by
        model, prompt and session.
    """
    last: dict[tuple, dict] = {}
    for r in records:
        if r.get("task") != task:
            continue
        key = (r["model_id"], r.get("prompt_id") or task, int(r["session"]))
        if key not in last or r["attempt"] >= last[key]["attempt"]:
            last[key] = r
    rows = []
    for key in sorted(last):
        rec = last[key]
        text, _ = response_text(rec["api"], rec.get("response_body"))
        text = strip_reasoning(text)
        if not text.strip():
            continue
        rows.append({"response_id": rec["record_id"], "model_id": key[0], "prompt_id": key[1],
                     "session": key[2], "model_version": rec.get("model_version") or "",
                     "text": str(text)})
    df = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    df["session"] = df["session"].astype("int64")
    return df


def export_answers(
    answers: pd.DataFrame,
    qdpx_path: str | Path,
    csv_path: str | Path,
    codebook: pd.DataFrame | None = None,
    project_name: str = "valueaudit Study 1: open-ended answers to code",
) -> None:
    """Write the answers for coders: a REFI-QDA project and a CSV.

    One source per answer (named by ``response_id``) with ``model_id``,
    ``prompt_id``, ``session`` and ``model_version`` as source attributes. With a
    codebook, its codes are nested under one non-codable code per theme, so the
    coded project imports back through the same codebook. See
    :func:`valueaudit.qdpx.write_qdpx` and :func:`valueaudit.qdpx.write_coding_csv`.
    """
    from .qdpx import write_coding_csv, write_qdpx

    if answers.empty:
        raise CodingError("no open-ended answers to export (no records of the open task)")
    cols = [c for c in ANSWER_COLUMNS if c in answers.columns]
    src = answers[cols].reset_index(drop=True)
    cb = None
    if codebook is not None:
        cb = codebook[[c for c in ("code", "theme", "definition") if c in codebook.columns]]
    write_qdpx(qdpx_path, src, codebook=cb, project_name=project_name)
    write_coding_csv(csv_path, src)


# ---------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------
def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and math.isnan(v)


def validate_coding(
    coding: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    file: str | Path = "coding",
    row_offset: int = 1,
    row_label: str = "row",
) -> pd.DataFrame:
    """Check coded segments against the answers and the codebook; add theme and offsets.

    Every code must map to a theme through the codebook; every coded ``response_id``
    must be an answer in ``sources`` (with the same ``model_id``/``prompt_id`` when
    the coding gives them); offsets must lie inside the answer's text and agree with
    the segment text when both are given; a segment without offsets is located at its
    first occurrence in the text.

    Parameters
    ----------
    coding : DataFrame
        ``response_id, coder, code`` and ``start, end`` and/or ``segment``.
    sources : DataFrame
        ``response_id, model_id, prompt_id, text``.
    codebook : DataFrame
        ``code, theme``.
    file : str or Path
        Named in error messages.
    row_offset : int
        Added to the 0-based row index to give the row (line) named in errors; 2 for a
        CSV with a header line.
    row_label : str
        What a row is called in errors ("row" for a CSV line, "coding" for the n-th
        coding of a project).

    Returns
    -------
    DataFrame
        ``response_id, model_id, prompt_id, coder, code, theme, start, end, segment``
        (``model_id``/``prompt_id`` from the source), sorted by response, start, end,
        coder and code; exact duplicates removed.

    Raises
    ------
    CodingError
        Naming the file, the row, the code, the source and the position.
    """
    themes = {}
    for code, theme in zip(codebook["code"], codebook["theme"], strict=True):
        themes[str(code)] = None if _missing(theme) or str(theme).strip() == "" else str(theme)
    src = sources.set_index("response_id")
    texts = src["text"].to_dict()
    has_pos = {"start", "end"} <= set(coding.columns)
    has_seg = "segment" in coding.columns
    rows = []
    for i, row in enumerate(coding.to_dict("records")):
        where = f"{file}, {row_label} {i + row_offset}"
        rid, code, coder = row["response_id"], row["code"], row["coder"]
        s = row.get("start") if has_pos else None
        e = row.get("end") if has_pos else None
        at = "" if _missing(s) or _missing(e) else f" at [{int(s)}, {int(e)})"
        if _missing(coder) or str(coder) == "":
            raise CodingError(f"{where}: code {code!r} on source {rid!r}{at} has no coder")
        rid, code = str(rid), str(code)
        if themes.get(code) is None:
            what = ("is not in the codebook" if code not in themes
                    else "has no theme in the codebook")
            raise CodingError(f"{where}: code {code!r} (on source {rid!r}{at}) {what}")
        if rid not in texts:
            raise CodingError(
                f"{where}: code {code!r}{at} codes unknown source {rid!r} (not among the "
                f"{len(texts)} answers)")
        for col in ("model_id", "prompt_id"):
            if col in row and not _missing(row[col]) and str(row[col]) != str(src.at[rid, col]):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: {col} {row[col]!r} differs from "
                    f"the answer's {src.at[rid, col]!r}")
        text = str(texts[rid])
        seg = row.get("segment") if has_seg else None
        if not _missing(s) and not _missing(e):
            start, end = int(s), int(e)
            if not 0 <= start < end <= len(text):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: position [{start}, {end}) is "
                    f"outside the text ({len(text)} characters) or empty")
            if not _missing(seg) and str(seg) != "" and text[start:end] != str(seg):
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: segment text does not match "
                    f"the text at [{start}, {end})")
        elif not _missing(seg) and str(seg) != "":
            start = text.find(str(seg))
            if start < 0:
                raise CodingError(
                    f"{where}: code {code!r} on source {rid!r}: segment {str(seg)[:60]!r} "
                    "is not in the text (no start/end given)")
            end = start + len(str(seg))
        else:
            raise CodingError(
                f"{where}: code {code!r} on source {rid!r}: needs start and end, or a segment")
        rows.append({"response_id": rid, "model_id": str(src.at[rid, "model_id"]),
                     "prompt_id": str(src.at[rid, "prompt_id"]), "coder": str(coder),
                     "code": code, "theme": themes[code], "start": start, "end": end,
                     "segment": text[start:end]})
    out = pd.DataFrame(rows, columns=CODING_OUT)
    out["start"] = out["start"].astype("int64")
    out["end"] = out["end"].astype("int64")
    order = {r: k for k, r in enumerate(sources["response_id"])}
    out["_o"] = out["response_id"].map(order)
    out = (out.drop_duplicates(["response_id", "start", "end", "coder", "code"])
           .sort_values(["_o", "start", "end", "coder", "code"], kind="mergesort")
           .drop(columns="_o").reset_index(drop=True))
    return out


def _read_answers(path: str | Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"response_id", "model_id", "prompt_id", "text"} - set(df.columns)
    if missing:
        raise CodingError(f"{path}: answers file lacks column(s) {sorted(missing)}")
    dup = df["response_id"].duplicated()
    if dup.any():
        raise CodingError(f"{path}: response_id {df['response_id'][dup].iloc[0]!r} appears "
                          "more than once")
    return df


def load_coding(
    source: str | Path,
    fmt: str,
    codebook: pd.DataFrame,
    answers: str | Path | pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Import the coded data from a REFI-QDA project or a coding CSV.

    Parameters
    ----------
    source : str or Path
        ``.qdpx`` file (``fmt="qdpx"``) or coding CSV (``fmt="csv"``, METHODS 3).
    fmt : {"qdpx", "csv"}
    codebook : DataFrame
        ``code, theme[, definition]``.
    answers : path or DataFrame, optional
        The answers that were coded (``response_id, model_id, prompt_id, text``);
        required for ``csv`` (a CSV carries no texts), ignored for ``qdpx`` (the
        project holds them).

    Returns
    -------
    (sources, coding)
        ``sources``: ``response_id, model_id, prompt_id, text`` of every analysed
        answer; ``coding``: as returned by :func:`validate_coding`.
    """
    if fmt == "qdpx":
        from .qdpx import QdpxError, read_qdpx

        try:
            # the codebook is applied below, so that errors name code, source and position
            sources, raw = read_qdpx(source)
        except QdpxError as exc:
            raise CodingError(str(exc)) from None
        row_offset, row_label = 1, "coding"
    elif fmt == "csv":
        if answers is None:
            raise CodingError(f"{source}: a coding CSV needs the answers it refers to")
        sources = answers if isinstance(answers, pd.DataFrame) else _read_answers(answers)
        raw = read_coding(source)
        row_offset, row_label = 2, "row"
    else:
        raise ValueError(f"fmt must be 'qdpx' or 'csv', got {fmt!r}")
    sources = sources[["response_id", "model_id", "prompt_id", "text"]].reset_index(drop=True)
    if sources.empty:
        raise CodingError(f"{source}: no answers (sources) to analyse")
    coding = validate_coding(raw, sources, codebook, file=source, row_offset=row_offset,
                             row_label=row_label)
    if coding.empty:
        raise CodingError(f"{source}: no codings")
    return sources, coding


# ---------------------------------------------------------------------------
# presence
# ---------------------------------------------------------------------------
def presence_table(
    coding: pd.DataFrame, sources: pd.DataFrame, themes: Sequence[str]
) -> pd.DataFrame:
    """Theme presence per response and coder.

    ``present`` is True when the coder coded at least one segment of the response to
    a code of the theme. Every coder found in ``coding`` is taken to have coded every
    response in ``sources``.

    Returns
    -------
    DataFrame
        ``response_id, model_id, coder, theme, present``, one row per
        response x coder x theme, in source, coder (sorted) and theme order.
    """
    themes = list(themes)
    coders = sorted(coding["coder"].unique())
    if not coders:
        raise CodingError("no coders: the coding has no rows")
    unknown = sorted(set(coding["theme"]) - set(themes))
    if unknown:
        raise CodingError(f"codes map to theme(s) {unknown} that are not in the theme list")
    hit = set(zip(coding["response_id"], coding["coder"], coding["theme"], strict=True))
    rows = [(r, m, c, t, (r, c, t) in hit)
            for r, m in zip(sources["response_id"], sources["model_id"], strict=True)
            for c in coders for t in themes]
    return pd.DataFrame(rows, columns=["response_id", "model_id", "coder", "theme", "present"])


def _cube(presence: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """(array coders x responses x themes of 0/1, coders, responses, themes)."""
    coders = list(dict.fromkeys(presence["coder"]))
    responses = list(dict.fromkeys(presence["response_id"]))
    themes = list(dict.fromkeys(presence["theme"]))
    ci = pd.Index(coders).get_indexer(presence["coder"])
    ri = pd.Index(responses).get_indexer(presence["response_id"])
    ti = pd.Index(themes).get_indexer(presence["theme"])
    cube = np.zeros((len(coders), len(responses), len(themes)))
    cube[ci, ri, ti] = presence["present"].to_numpy(dtype=float)
    return cube, coders, responses, themes


def _combine(cube: np.ndarray, rule: str) -> np.ndarray:
    """responses x themes values in [0, 1] combining the coders by ``rule``."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    share = cube.mean(axis=0)
    if rule == "mean":
        return share
    if rule == "any":
        return (share > 0).astype(float)
    if rule == "all":
        return (share >= 1).astype(float)
    return (share > 0.5).astype(float)


def prevalence(
    presence: pd.DataFrame, rule: str = "mean", by: str | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Share of responses in which each theme is present, with Wilson CIs.

    ``prevalence_t = (1/N) sum_r y_rt`` where ``y_rt`` combines the coders' presence
    judgements by ``rule`` (module docstring); the ``1 - alpha`` interval is Wilson's
    score interval (Wilson, 1927) for ``count = N * prevalence`` of ``N``, via
    :func:`valueaudit.stats.wilson_ci` (statsmodels).

    Parameters
    ----------
    presence : DataFrame
        From :func:`presence_table`.
    rule : {"mean", "any", "all", "majority"}
    by : str, optional
        A column of ``presence`` (e.g. ``"model_id"``) to compute it per group.

    Returns
    -------
    DataFrame
        ``[by,] theme, n_responses, count, prevalence, ci_low, ci_high``.
    """
    cube, _, responses, themes = _cube(presence)
    y = _combine(cube, rule)
    if by is None:
        groups = {None: np.arange(len(responses))}
    else:
        key = presence.drop_duplicates("response_id").set_index("response_id")[by]
        labels = key.reindex(responses).to_numpy()
        groups = {g: np.flatnonzero(labels == g) for g in dict.fromkeys(labels)}
    rows = []
    for g, idx in groups.items():
        n = len(idx)
        count = y[idx].sum(axis=0)
        lo, hi = wilson_ci(count, np.full(len(themes), n), alpha=alpha)
        for k, t in enumerate(themes):
            row = {} if by is None else {by: g}
            row.update({"theme": t, "n_responses": n, "count": float(count[k]),
                        "prevalence": float(count[k] / n), "ci_low": float(lo[k]),
                        "ci_high": float(hi[k])})
            rows.append(row)
    return pd.DataFrame(rows)


def prevalence_by_coder(presence: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Each coder's prevalence of each theme (binomial share, Wilson CI).

    Returns
    -------
    DataFrame
        ``coder, theme, n_responses, count, prevalence, ci_low, ci_high``.
    """
    g = presence.groupby(["coder", "theme"], sort=False)["present"]
    out = pd.DataFrame({"n_responses": g.size(), "count": g.sum().astype("int64")}).reset_index()
    out["prevalence"] = out["count"] / out["n_responses"]
    lo, hi = wilson_ci(out["count"], out["n_responses"], alpha=alpha)
    out["ci_low"], out["ci_high"] = lo, hi
    return out


# ---------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------
def reliability(
    presence: pd.DataFrame, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> pd.DataFrame:
    """Inter-coder reliability of theme presence per response, with bootstrap CIs.

    Units are responses (per theme) or response x theme pairs (``all themes
    (pooled)``); the value is present/absent. Statistics (METHODS 4):

    * Cohen's kappa for two coders, ``kappa = (p_o - p_e) / (1 - p_e)`` with
      ``p_e`` from each coder's own marginals (Cohen, 1960); Fleiss' kappa for three
      or more, ``p_e = sum_j p_j^2`` from the pooled marginals (Fleiss, 1971).
    * Krippendorff's alpha (nominal), ``1 - D_o / D_e`` (Krippendorff, 2011).
    * Percent agreement: share of units on which all coders agree.

    CIs are percentile intervals over ``n_boot`` bootstrap resamples of responses
    (the same resamples for every row; the pooled row resamples whole responses with
    all their themes), computed with the vectorised ``*_boot`` functions of
    :mod:`valueaudit.stats`; replicates where a coefficient is undefined are dropped
    and counted in ``n_boot_valid``.

    With one coder nothing is computable: every coefficient is NaN and ``note`` says
    why. A theme with no variation (all units in one category) has NaN coefficients
    and a note.

    Returns
    -------
    DataFrame
        ``theme, n_units, n_coders, statistic, kappa, kappa_low, kappa_high, alpha,
        alpha_low, alpha_high, agreement, n_boot_valid, note``; the themes in order,
        then the pooled row.
    """
    cube, coders, responses, themes = _cube(presence)
    n_c, n_r, n_t = cube.shape
    statistic = "Cohen's kappa" if n_c == 2 else "Fleiss' kappa"
    rows = []
    if n_c < 2:
        note = (f"not computable: one coder ({coders[0]}); inter-coder reliability needs "
                "at least two coders")
        for t in [*themes, POOLED]:
            rows.append({"theme": t, "n_units": n_r * (n_t if t == POOLED else 1),
                         "n_coders": n_c, "statistic": "none", "kappa": np.nan,
                         "kappa_low": np.nan, "kappa_high": np.nan, "alpha": np.nan,
                         "alpha_low": np.nan, "alpha_high": np.nan, "agreement": np.nan,
                         "n_boot_valid": 0, "note": note})
        return pd.DataFrame(rows)
    w = bootstrap_weights(np.random.default_rng(seed), n_r, n_boot)
    pooled_w = w[:, np.repeat(np.arange(n_r), n_t)]
    sets = [(t, cube[:, :, k], w) for k, t in enumerate(themes)]
    sets.append((POOLED, cube.reshape(n_c, n_r * n_t), pooled_w))
    for t, x, wt in sets:  # x: coders x units
        agree = float(np.mean(np.all(x == x[:1], axis=0)))
        if np.unique(x).size < 2:
            kap = alp = np.nan
            kb = ab = np.full(n_boot, np.nan)
            note = "not computable: every unit in one category (no variation)"
        else:
            if n_c == 2:
                kap = cohens_kappa(x[0], x[1])
                kb = cohens_kappa_boot(x[0], x[1], wt)
            else:
                kap = fleiss_kappa(x.T)
                kb = fleiss_kappa_boot(x.T, wt)
            alp = krippendorff_alpha(x, level="nominal")
            ab = krippendorff_alpha_boot(x, wt, level="nominal")
            note = ""
        klo, khi = percentile_ci(kb, alpha=alpha)
        alo, ahi = percentile_ci(ab, alpha=alpha)
        valid = int(np.sum(np.isfinite(kb) & np.isfinite(ab)))
        rows.append({"theme": t, "n_units": x.shape[1], "n_coders": n_c, "statistic": statistic,
                     "kappa": float(kap), "kappa_low": klo, "kappa_high": khi,
                     "alpha": float(alp), "alpha_low": alo, "alpha_high": ahi,
                     "agreement": agree, "n_boot_valid": valid, "note": note})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# saturation
# ---------------------------------------------------------------------------
def saturation(
    coding: pd.DataFrame,
    sources: pd.DataFrame,
    n_orders: int = 200,
    seed: int = 0,
    threshold: float = 0.95,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Code saturation: distinct codes found against responses analysed.

    For each of ``n_orders`` random orders of the responses (seeded permutations),
    ``D_o(n)`` is the number of distinct codes (any coder) among the first ``n``
    responses. The curve is the mean of ``D_o(n)`` over orders with a percentile
    ``1 - alpha`` band. The saturation point of an order is the smallest ``n`` with
    ``D_o(n) >= ceil(threshold * C)``, ``C`` the number of distinct codes in the
    corpus (Guest, Bunce & Johnson, 2006, count codes the same way). The headline
    point is where the mean curve first reaches ``threshold * C``: after that many
    responses, on average ``threshold`` of the codes have appeared.

    Returns
    -------
    curve : DataFrame
        ``n_responses, mean, low, high, share_mean`` for ``n = 1..N``
        (``share_mean = mean / C``).
    summary : dict
        ``n_codes``, ``n_responses``, ``n_orders``, ``threshold``,
        ``codes_needed`` (``ceil(threshold * C)``), ``n_at_threshold`` (first ``n``
        where the mean curve reaches ``threshold * C``),
        ``n_at_threshold_median``/``_low``/``_high`` (median and percentile interval
        of the per-order saturation points).
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    responses = list(sources["response_id"])
    codes = sorted(coding["code"].unique())
    n_r, n_codes = len(responses), len(codes)
    inc = np.zeros((n_r, n_codes), dtype=bool)
    ri = pd.Index(responses).get_indexer(coding["response_id"])
    ci = pd.Index(codes).get_indexer(coding["code"])
    inc[ri, ci] = True
    rng = np.random.default_rng(seed)
    ranks = np.empty((n_orders, n_r), dtype=np.int64)
    for o in range(n_orders):
        ranks[o, rng.permutation(n_r)] = np.arange(1, n_r + 1)
    first = np.stack([ranks[:, inc[:, c]].min(axis=1) for c in range(n_codes)], axis=1)
    curves = np.zeros((n_orders, n_r), dtype=np.int64)
    for o in range(n_orders):
        curves[o] = np.bincount(first[o], minlength=n_r + 1)[1:].cumsum()
    need = max(1, math.ceil(threshold * n_codes - 1e-9))
    points = (curves >= need).argmax(axis=1) + 1
    mean = curves.mean(axis=0)
    low, high = percentile_ci(curves, alpha=alpha, axis=0)
    curve = pd.DataFrame({"n_responses": np.arange(1, n_r + 1), "mean": mean, "low": low,
                          "high": high, "share_mean": mean / n_codes})
    plo, phi = np.quantile(points, [alpha / 2, 1 - alpha / 2])
    summary = {"n_codes": n_codes, "n_responses": n_r, "n_orders": n_orders,
               "threshold": threshold, "codes_needed": need,
               "n_at_threshold": int(np.argmax(mean >= threshold * n_codes - 1e-9) + 1),
               "n_at_threshold_median": float(np.median(points)),
               "n_at_threshold_low": float(plo), "n_at_threshold_high": float(phi)}
    return curve, summary


# ---------------------------------------------------------------------------
# co-occurrence
# ---------------------------------------------------------------------------
def _jaccard(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard matrix, joint counts) of a responses x themes 0/1 matrix."""
    both = y.T @ y
    n = np.diag(both)
    union = n[:, None] + n[None, :] - both
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, both / union, np.nan)
    return jac, both


def cooccurrence(presence: pd.DataFrame, rule: str = "mean") -> pd.DataFrame:
    """Response-level co-occurrence of themes (Jaccard index).

    ``J(a, b) = |R_a & R_b| / |R_a | R_b|``, ``R_t`` the responses where theme t is
    present (Jaccard, 1912); NaN when neither theme occurs. With ``rule="mean"`` the
    index and the counts are averaged over coders; otherwise they are computed on the
    presence combined by ``rule``.

    Returns
    -------
    DataFrame
        ``theme_a, theme_b, n_a, n_b, n_both, jaccard`` for every ordered pair
        (diagonal included: J = 1 when the theme occurs).
    """
    cube, _, _, themes = _cube(presence)
    if rule == "mean":
        parts = [_jaccard(cube[c]) for c in range(cube.shape[0])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            jac = np.nanmean(np.stack([p[0] for p in parts]), axis=0)
        both = np.mean(np.stack([p[1] for p in parts]), axis=0)
    else:
        jac, both = _jaccard(_combine(cube, rule))
    n = np.diag(both)
    rows = [{"theme_a": a, "theme_b": b, "n_a": float(n[i]), "n_b": float(n[j]),
             "n_both": float(both[i, j]), "jaccard": float(jac[i, j])}
            for i, a in enumerate(themes) for j, b in enumerate(themes)]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# codebook table
# ---------------------------------------------------------------------------
def codebook_table(
    codebook: pd.DataFrame, themes: pd.DataFrame, coding: pd.DataFrame, seed: int = 0
) -> pd.DataFrame:
    """Codebook summary: theme, definition, codes, coded segments and an exemplar quote.

    ``segments`` counts coded segments (one per coder and code). The exemplar is drawn
    reproducibly: among the segments of the theme that the largest number of coders
    coded to it (all coders, where any), sorted by response, start and end, one is
    picked by a ``numpy`` Generator seeded with ``seed``.

    Parameters
    ----------
    codebook : DataFrame
        ``code, theme``.
    themes : DataFrame
        ``theme, label, definition`` in instrument order.

    Returns
    -------
    DataFrame
        ``theme, label, definition, codes, n_codes, segments, exemplar,
        exemplar_response_id`` in theme order; ``codes`` lists each code with its
        segment count, e.g. ``accuracy (12); reliability (3)``.
    """
    rng = np.random.default_rng(seed)
    per_code = coding.groupby("code").size()
    rows = []
    for t, label, definition in zip(themes["theme"], themes["label"], themes["definition"],
                                    strict=True):
        codes = [str(c) for c in codebook.loc[codebook["theme"] == t, "code"]]
        segs = coding[coding["theme"] == t]
        quote, qid = "", ""
        if len(segs):
            agree = (segs.groupby(["response_id", "start", "end", "segment"], sort=False)["coder"]
                     .nunique().rename("k").reset_index())
            order = {r: k for k, r in enumerate(dict.fromkeys(coding["response_id"]))}
            agree["_o"] = agree["response_id"].map(order)
            best = (agree[agree["k"] == agree["k"].max()]
                    .sort_values(["_o", "start", "end"], kind="mergesort"))
            pick = best.iloc[int(rng.integers(len(best)))]
            quote, qid = str(pick["segment"]), str(pick["response_id"])
        rows.append({"theme": t, "label": label, "definition": definition,
                     "codes": "; ".join(f"{c} ({int(per_code.get(c, 0))})" for c in codes),
                     "n_codes": len(codes), "segments": len(segs), "exemplar": quote,
                     "exemplar_response_id": qid})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------
#: rows per block of the prevalence heatmap before it is split into side-by-side blocks,
#: and the least height of one row (in): room for a 7 pt name with no overlap
_HEATMAP_ROWS = 40
_ROW_PITCH_IN = 0.125


def _text_width_in(labels: Sequence[str], fontsize: float | str) -> float:
    """Width (in) of the widest label set at ``fontsize`` in the current font."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(size=fontsize)
    return max((TextPath((0, 0), s, prop=prop).get_extents().width for s in labels if s),
               default=0.0) / 72.0


def plot_prevalence_heatmap(
    by_model: pd.DataFrame, themes: pd.DataFrame, models: pd.DataFrame | None = None
):
    """Heatmap of theme prevalence: one row per model, one column per theme.

    ``by_model`` is :func:`prevalence` with ``by="model_id"``; ``models`` (optional,
    ``model_id`` and ``short_name`` or ``display_name``, named as
    :func:`valueaudit.contracts.model_names` gives) orders and names the rows (else the
    model ids). Every
    model is named at the figure's tick size: the figure grows by 0.125 in (for a few
    models up to 0.22 in) per row, and a list longer than 40 models is split into
    side-by-side blocks (as many as fit in two columns). Sequential colour-blind-safe
    map (cividis, monotone in lightness, so it reads in greyscale); colour-bar numbers
    in the tables' format.
    """
    import matplotlib.pyplot as plt

    from .plotting import DOUBLE, SINGLE, fit_rows, number_formatter

    present = list(dict.fromkeys(by_model["model_id"]))
    if models is not None:
        order = [m for m in models["model_id"] if m in set(present)]
        order += [m for m in present if m not in set(order)]
        names = model_names(models)
    else:
        order, names = present, {}
    mat = (by_model.pivot(index="model_id", columns="theme", values="prevalence")
           .reindex(index=order, columns=list(themes["theme"])).to_numpy(dtype=float))
    labels = [str(names.get(m, m)) for m in order]
    n_m, n_t = len(order), len(themes)
    # a block: the names, a gap, at least 0.12 in per theme; the colour bar sits below
    block_in = _text_width_in(labels, plt.rcParams["ytick.labelsize"]) + 0.15 + 0.12 * n_t
    fits = max(1, int((DOUBLE - 0.1) // block_in))
    n_blocks = max(1, min(math.ceil(n_m / _HEATMAP_ROWS), fits))
    per = math.ceil(n_m / n_blocks) if n_m else 1
    width = SINGLE if n_blocks * block_in + 0.3 <= SINGLE else DOUBLE
    fig, axes = plt.subplots(1, n_blocks, figsize=(width, 3.0), squeeze=False,
                             layout="constrained")
    axes = list(axes[0])
    im = None
    for b, ax in enumerate(axes):
        rows = slice(b * per, min((b + 1) * per, n_m))
        block = np.full((per, n_t), np.nan)
        block[: rows.stop - rows.start] = mat[rows]
        im = ax.imshow(block, aspect="auto", cmap="cividis", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set_yticks(range(rows.stop - rows.start), labels[rows])
        ax.set_ylim(per - 0.5, -0.5)
        ax.set_xticks(range(n_t), list(themes["label"]), rotation=45, ha="left",
                      rotation_mode="anchor")
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
    axes[0].set_ylabel(f"Model (n = {n_m})")
    cb = fig.colorbar(im, ax=axes, location="bottom", shrink=min(1.0, 2.4 / width),
                      aspect=30, pad=0.02)
    cb.ax.xaxis.set_major_formatter(number_formatter("r"))
    cb.set_label("Prevalence")
    fit_rows(fig, axes[0], per, max(_ROW_PITCH_IN, min(0.22, 1.5 / per)))
    return fig


def plot_saturation(curve: pd.DataFrame, summary: dict[str, Any]):
    """Saturation curve: mean distinct codes with its band, the threshold and its point.

    The x axis is logarithmic, so the early rise and the plateau are both visible.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from .plotting import OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.5))
    x = curve["n_responses"].to_numpy()
    ax.fill_between(x, curve["low"], curve["high"], color=OKABE_ITO[0], alpha=0.25, lw=0,
                    label="95% band over orders")
    ax.plot(x, curve["low"], color=OKABE_ITO[0], lw=0.6, ls=":")
    ax.plot(x, curve["high"], color=OKABE_ITO[0], lw=0.6, ls=":")
    ax.plot(x, curve["mean"], color=OKABE_ITO[0], lw=1.4, ls="-", label="Mean")
    level = summary["threshold"] * summary["n_codes"]
    ax.axhline(level, color="black", lw=0.8, ls="--",
               label=f"{summary['threshold']:.0%} of {summary['n_codes']} codes")
    ax.axvline(summary["n_at_threshold"], color=OKABE_ITO[5], lw=0.8, ls="-.",
               label=f"Reached at n = {summary['n_at_threshold']}")
    ax.set_xscale("log")
    format_axes(ax, x="int", y="int")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Responses analysed (log scale)")
    ax.set_ylabel("Distinct codes")
    ax.set_ylim(0, summary["n_codes"] * 1.05)
    ax.set_xlim(1, max(int(x.max()), 2))
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def plot_cooccurrence(cooc: pd.DataFrame, themes: pd.DataFrame):
    """Theme co-occurrence (Jaccard) heatmap, lower triangle, values printed; cells and
    colour bar in the tables' number format."""
    import matplotlib.pyplot as plt

    from .plotting import SINGLE, number_formatter
    from .tables import apa

    ids = list(themes["theme"])
    mat = (cooc.pivot(index="theme_a", columns="theme_b", values="jaccard")
           .reindex(index=ids, columns=ids).to_numpy(dtype=float))
    n = len(ids)
    # rows 2..T against columns 1..T-1: the strict lower triangle without empty margins
    show = np.where(np.tril(np.ones((n, n), dtype=bool), k=-1), mat, np.nan)[1:, :-1]
    fig, ax = plt.subplots(figsize=(SINGLE, SINGLE * 0.9))
    im = ax.imshow(show, cmap="cividis", vmin=0, vmax=1, interpolation="nearest")
    for i in range(n - 1):
        for j in range(i + 1):
            v = show[i, j]
            if np.isfinite(v):
                ax.text(j, i, apa(v, "r"), ha="center", va="center", fontsize=6,
                        color="white" if v < 0.5 else "black")
    labels = list(themes["label"])
    ax.set_xticks(range(n - 1), labels[:-1], rotation=45, ha="right")
    ax.set_yticks(range(n - 1), labels[1:])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    cb.ax.yaxis.set_major_formatter(number_formatter("r"))
    cb.set_label("Jaccard index")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# paper tables (full-precision frame + APA-formatted display frame)
# ---------------------------------------------------------------------------
def _ci_cell(est: float, lo: float, hi: float, kind: str = "r") -> str:
    from .tables import apa

    if est is None or not np.isfinite(est):
        return "NA"
    return f"{apa(est, kind)} [{apa(lo, kind)}, {apa(hi, kind)}]"


def table_prevalence_reliability(
    prev: pd.DataFrame, by_coder: pd.DataFrame, rel: pd.DataFrame, themes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prevalence (rule-combined, per-coder range) and reliability per theme + pooled row.

    Returns the full-precision frame (for the CSV) and the APA display frame.
    """
    from .tables import apa

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
        "Prevalence [95% CI]": [_ci_cell(p, lo, hi) if t != POOLED else ""
                                for t, p, lo, hi in zip(full["theme"], full["prevalence"],
                                                        full["ci_low"], full["ci_high"],
                                                        strict=True)],
        "Coders (range)": ["" if t == POOLED else
                           (apa(a, "r") if a == b else f"{apa(a, 'r')}-{apa(b, 'r')}")
                           for t, a, b in zip(full["theme"], full["coder_min"],
                                              full["coder_max"], strict=True)],
        kap_head: [_ci_cell(k, lo, hi) for k, lo, hi in
                   zip(full["kappa"], full["kappa_low"], full["kappa_high"], strict=True)],
        "Krippendorff's alpha [95% CI]": [_ci_cell(a, lo, hi) for a, lo, hi in
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
    cells = {(m, t): _ci_cell(p, lo, hi) for m, t, p, lo, hi in
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
    from .tables import apa

    ids, labels = list(themes["theme"]), list(themes["label"])
    jac = cooc.set_index(["theme_a", "theme_b"])["jaccard"]
    disp = pd.DataFrame({"Theme": labels[1:]})
    for j, b in enumerate(ids[:-1]):
        disp[labels[j]] = ["" if i <= j else apa(jac[(a, b)], "r")
                           for i, a in enumerate(ids) if i > 0]
    return disp


def table_saturation(summary: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Saturation summary as a one-row frame and a two-column display."""
    from .tables import apa

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


def study1_macros(
    prevalence: pd.DataFrame,
    reliability: pd.DataFrame,
    saturation: pd.DataFrame,
    sources: pd.DataFrame,
    coding: pd.DataFrame,
    labels: dict[str, str] | None = None,
) -> dict[str, str]:
    """Formatted key numbers for ``macros.tex`` (names become ``\\studyOne...``).

    ``prevalence``: overall :func:`prevalence`; ``reliability``: :func:`reliability`;
    ``saturation``: the one-row summary of :func:`saturation`. Coefficients that are
    not computable (one coder) are ``NA``. ``labels`` (theme id -> label, from the
    instrument) adds a ``study1_prev_<theme>_label`` macro beside each prevalence.
    """
    from .tables import apa

    pooled = reliability[reliability["theme"] == POOLED].iloc[0]
    sat = saturation.iloc[0]
    out = {
        "study1_responses": str(len(sources)),
        "study1_models": str(sources["model_id"].nunique()),
        "study1_coders": str(coding["coder"].nunique()),
        "study1_segments": str(len(coding)),
        "study1_codes": str(int(sat["n_codes"])),
        "study1_kappa": apa(pooled["kappa"], "r"),
        "study1_kappa_ci": (f"[{apa(pooled['kappa_low'], 'r')}, {apa(pooled['kappa_high'], 'r')}]"
                            if np.isfinite(pooled["kappa"]) else "NA"),
        "study1_alpha": apa(pooled["alpha"], "r"),
        "study1_alpha_ci": (f"[{apa(pooled['alpha_low'], 'r')}, {apa(pooled['alpha_high'], 'r')}]"
                            if np.isfinite(pooled["alpha"]) else "NA"),
        "study1_saturation_n": str(int(sat["n_at_threshold"])),
    }
    for t, p, lo, hi in zip(prevalence["theme"], prevalence["prevalence"],
                            prevalence["ci_low"], prevalence["ci_high"], strict=True):
        out[f"study1_prev_{t}"] = apa(p, "r")
        out[f"study1_prev_{t}_ci"] = f"[{apa(lo, 'r')}, {apa(hi, 'r')}]"
        if labels is not None:
            out[f"study1_prev_{t}_label"] = str(labels.get(t, t))
    return out


def write_frame(df: pd.DataFrame, path: str | Path) -> None:
    """Write an intermediate table atomically (thin wrapper of contracts.write_csv)."""
    write_csv(df, path)
