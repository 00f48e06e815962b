"""The whole simulated data set: models, sessions, Study 1 corpus, survey and truth, written
under one folder."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ..instrument import item_order, load_instrument
from .corpus import _study1
from .humans import _qualtrics_csv, _survey
from .params import SIM_NOTE, SimParams
from .population import _archetypes, _human_profile, _models_table, expected_rating
from .records import _answer_text, _record

__all__ = ["simulate"]


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.6g")


def simulate(instrument_path: str | Path, out_dir: str | Path, params: SimParams | None = None) -> dict:
    """Generate the full simulated data set under ``out_dir``.

    Returns a dict of the paths written. Same instrument and params ->
    byte-identical files.
    """
    from ..fidelity import profile_fidelity

    p = params or SimParams()
    instrument = load_instrument(instrument_path)
    out = Path(out_dir)
    rng = np.random.default_rng(p.seed)
    T = instrument.n_themes
    lo, hi = instrument.scale
    t0 = np.datetime64("2026-03-02T09:00:00")

    h = _human_profile(instrument)
    models = _models_table(rng, p)
    n = len(models)
    # planted exaggeration groups
    idx = rng.permutation(n)
    n_ex = int(round(p.share_exaggerate * n))
    ex, fl = idx[:n_ex], idx[n_ex : n_ex + p.n_flatten]
    k = rng.uniform(*p.k_typical, n)
    k[ex] = rng.uniform(*p.k_exaggerate, len(ex))
    k[fl] = rng.uniform(*p.k_flatten, len(fl))
    disordered = rng.choice(n, size=min(p.n_disordered, n), replace=False)
    arche = rng.choice(3, size=n, p=list(p.archetype_shares))
    shapes = _archetypes(instrument, p.archetype_size)
    eps = rng.normal(0, p.sd_shape, (n, T))
    eps[disordered] = rng.normal(0, p.sd_shape_disordered, (len(disordered), T))
    centre = rng.uniform(*p.centre, n)
    centre[ex] = np.clip(centre[ex] - 0.25, lo + 1, hi - 1)
    hc = h - h.mean()
    mu = centre[:, None] + k[:, None] * (hc[None, :] + shapes[arche] + eps)
    guarded = set(rng.choice(np.setdiff1d(np.arange(n), ex), size=p.n_guarded, replace=False).tolist())
    models["_version"] = [f"{m}-2026-0{1 + j % 9}-sim" for j, m in enumerate(models["model_id"])]

    items = list(instrument.items)
    tidx = np.array([instrument.theme_ids.index(i.theme) for i in items])
    item_off = rng.normal(0, 0.1, (n, len(items)))
    variants = list(p.p_variant)
    probs = np.array([p.p_variant[v] for v in variants])
    probs = probs / probs.sum()
    raw: dict[str, list] = {m: [] for m in models["model_id"]}
    for j, mid in enumerate(models["model_id"]):
        mver = models["_version"][j]
        for fmt in ("rating", "ranking"):
            for s in range(1, p.n_sessions + 1):
                order = item_order(instrument, fmt, p.seed, mid, s)
                lat = mu[j] + rng.normal(0, p.sd_session, T)
                if fmt == "rating":
                    vals = np.clip(np.rint(lat[tidx] + item_off[j] + rng.normal(0, p.sd_item_model, len(items))), lo, hi)
                    values = {it.id: int(v) for it, v in zip(items, vals, strict=True)}
                else:
                    r = (-(lat + rng.normal(0, p.sd_rank_noise_model, T))).argsort().argsort() + 1
                    values = {t: int(v) for t, v in zip(instrument.theme_ids, r, strict=True)}
                variant = variants[rng.choice(len(variants), p=probs)]
                if j in guarded and rng.random() < 0.8:
                    variant = "refusal"
                ts = t0 + np.timedelta64(int(rng.integers(0, 30 * 86400)), "s")
                if variant in ("retry_then_ok", "error"):
                    err = ({"type": "RateLimitError", "status": 429, "message": "Too Many Requests"}
                           if rng.random() < 0.5 else
                           {"type": "InternalServerError", "status": 503, "message": "Service Unavailable"})
                    raw[mid].append(_record(mid, mver, fmt, fmt, s, 1, instrument, p.seed, None, None,
                                            rng, ts, error=err))
                    if variant == "error":
                        raw[mid].append(_record(mid, mver, fmt, fmt, s, 2, instrument, p.seed, None, None,
                                                rng, ts + np.timedelta64(30, "s"), error=err,
                                                retries=[{"attempt": 1, "error": err}]))
                        continue
                    text, finish = _answer_text(rng, "bare", values, order, fmt)
                    raw[mid].append(_record(mid, mver, fmt, fmt, s, 2, instrument, p.seed, text, finish,
                                            rng, ts + np.timedelta64(30, "s"),
                                            retries=[{"attempt": 1, "error": err}]))
                    continue
                text, finish = _answer_text(rng, variant, values, order, fmt)
                raw[mid].append(_record(mid, mver, fmt, fmt, s, 1, instrument, p.seed, text, finish, rng, ts))

    # Study 1 corpus
    open_recs, sources, coding, codebook, s1_truth, prev = _study1(rng, instrument, models, p, p.seed, t0)
    for rec in open_recs:
        raw[rec["model_id"]].append(rec)

    # humans
    survey = _survey(rng, instrument, p, h, t0 - np.timedelta64(60, "D"))
    qcsv, mapping = _qualtrics_csv(instrument, survey, p)

    # ------------------------------------------------------------------ truth
    sd_h = np.sqrt(p.sd_person**2 + p.sd_theme**2 + p.sd_item**2)
    h_items = expected_rating(h[tidx] + survey["offsets"], sd_h, lo, hi)
    h_true = np.array([h_items[tidx == t].mean() for t in range(T)])
    sd_m = np.sqrt(p.sd_session**2 + p.sd_item_model**2)
    truth_rows = []
    for j, mid in enumerate(models["model_id"]):
        m_items = expected_rating(mu[j][tidx] + item_off[j], sd_m, lo, hi)
        m_true = np.array([m_items[tidx == t].mean() for t in range(T)])
        f = profile_fidelity(m_true, h_true)
        row = {"model_id": mid, "archetype": int(arche[j]), "k_planted": float(k[j]),
               "disordered": bool(j in set(disordered.tolist())), "guarded": bool(j in guarded),
               "true_fidelity": f["fidelity"], "true_ordering": f["ordering"],
               "true_k": f["k"], "true_ln_k": f["exaggeration"]}
        row.update({f"true_{t}": v for t, v in zip(instrument.theme_ids, m_true, strict=True)})
        truth_rows.append(row)
    truth_models = pd.DataFrame(truth_rows)
    truth_humans = pd.DataFrame({"theme": instrument.theme_ids, "latent_mean": h, "true_score": h_true,
                                 "true_prevalence_study1": prev})

    # ------------------------------------------------------------------ write
    if out.exists():
        for sub in ("raw", "survey", "coding", "truth"):
            shutil.rmtree(out / sub, ignore_errors=True)
    models_out = models.drop(columns="_version")
    _write_text(out / "models.csv", _csv(models_out))
    for mid, recs in raw.items():
        recs.sort(key=lambda r: (r["started_utc"], r["task"], r["session"], r["attempt"]))
        _write_text(out / "raw" / f"{mid}.jsonl",
                    "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in recs))
    _write_text(out / "survey" / "qualtrics_export.csv", qcsv)
    _write_text(out / "survey" / "column_map.json", json.dumps(mapping, indent=2) + "\n")
    _write_text(out / "coding" / "coding.csv", _csv(coding))
    _write_text(out / "coding" / "codebook.csv", _csv(codebook))
    _write_text(out / "coding" / "answers.csv", _csv(sources))
    try:
        from ..qdpx import write_qdpx
    except ImportError:  # pragma: no cover - the qdpx module ships with the package
        write_qdpx = None
    if write_qdpx is not None:
        write_qdpx(out / "coding" / "study1.qdpx", sources, coding=coding, codebook=codebook,
                   project_name="valueaudit simulated Study 1 corpus")
    _write_text(out / "truth" / "models.csv", _csv(truth_models))
    _write_text(out / "truth" / "humans.csv", _csv(truth_humans))
    _write_text(out / "truth" / "study1_presence.csv", _csv(s1_truth))
    excl = {g: sorted(int(i) for i in v) for g, v in survey["groups"].items()}
    params_doc = {"note": SIM_NOTE, "instrument": instrument.id, "instrument_version": instrument.version,
                  "instrument_sha256": instrument.sha256, "params": asdict(p),
                  "planted_exclusions": {g: len(v) for g, v in excl.items()},
                  "n_included": p.n_humans - sum(len(v) for v in excl.values()),
                  "archetypes": ["human-like", "capability-first", "care-first"],
                  "attention_expected": survey["attn_expected"]}
    _write_text(out / "truth" / "params.json", json.dumps(params_doc, indent=2, sort_keys=True, default=list) + "\n")
    return {"out": str(out), "n_models": n, "n_included": params_doc["n_included"]}
