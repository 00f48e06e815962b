"""The human survey: answers with planted exclusions, rendered as a Qualtrics CSV export."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import numpy as np

from ..instrument import Instrument
from .params import SimParams


def _survey(rng, instrument: Instrument, p: SimParams, h: np.ndarray, t0):
    T = instrument.n_themes
    lo, hi = instrument.scale
    items = list(instrument.items)
    tidx = np.array([instrument.theme_ids.index(i.theme) for i in items])
    n = p.n_humans
    offsets = rng.normal(0, p.sd_item_offset, len(items))
    u = rng.normal(0, p.sd_person, (n, 1))
    v = rng.normal(0, p.sd_theme, (n, T))
    latent = h[None, :] + u + v
    ratings = np.clip(np.rint(latent[:, tidx] + offsets + rng.normal(0, p.sd_item, (n, len(items)))), lo, hi)
    rank_latent = latent + rng.normal(0, p.sd_rank_noise, (n, T))
    ranks = (-rank_latent).argsort(axis=1).argsort(axis=1) + 1
    # valid respondents must not straight-line by chance
    for i in range(n):
        while ratings[i].std() == 0:
            ratings[i] = np.clip(np.rint(latent[i, tidx] + offsets + rng.normal(0, p.sd_item, len(items))), lo, hi)
    # planted exclusions on disjoint sets, in rule order
    order = rng.permutation(n)
    k = 0
    groups = {}
    for name, cnt in (("attention", p.n_fail_attention), ("fast", p.n_too_fast),
                      ("straight", p.n_straightline), ("duplicate", p.n_duplicate)):
        groups[name] = set(order[k : k + cnt].tolist())
        k += cnt
    valid = [i for i in range(n) if not any(i in g for g in groups.values())]
    attn_expected = 3
    durations = np.rint(rng.lognormal(np.log(540), 0.35, n)).astype(int)
    durations = np.maximum(durations, p.min_seconds + 60)
    attn = np.full(n, attn_expected)
    for i in groups["attention"]:
        attn[i] = int(rng.choice([x for x in range(lo, hi + 1) if x != attn_expected]))
    for i in groups["fast"]:
        durations[i] = int(rng.integers(45, p.min_seconds))
    for i in groups["straight"]:
        ratings[i] = int(rng.integers(lo + 2, hi + 1))
    pids = [hashlib.sha256(f"pid{p.seed}{i}".encode()).hexdigest()[:24] for i in range(n)]
    dup_sources = rng.choice(valid, size=len(groups["duplicate"]), replace=False)
    for i, src in zip(sorted(groups["duplicate"]), dup_sources, strict=True):
        pids[i] = pids[src]
    # timestamps: duplicates recorded after their source
    starts = [t0 + np.timedelta64(int(x), "s") for x in np.sort(rng.integers(0, 14 * 86400, n))]
    starts = np.array(starts)
    for i, src in zip(sorted(groups["duplicate"]), dup_sources, strict=True):
        starts[i] = starts[src] + np.timedelta64(int(rng.integers(3600, 86400)), "s")
    genders = rng.choice(["Woman", "Man", "Non-binary", "Prefer not to say"], n, p=[0.49, 0.47, 0.03, 0.01])
    edu = rng.choice(["Secondary", "Vocational", "Bachelor", "Master or higher"], n, p=[0.25, 0.15, 0.38, 0.22])
    ages = np.clip(np.rint(rng.normal(39, 12, n)), 18, 80).astype(int)
    return dict(ratings=ratings, ranks=ranks, attn=attn, durations=durations, pids=pids, starts=starts,
                genders=genders, edu=edu, ages=ages, groups=groups, offsets=offsets, attn_expected=attn_expected)


def _qualtrics_csv(instrument: Instrument, s: dict, p: SimParams) -> tuple[str, dict]:
    """Render the survey as a Qualtrics 'CSV export' (three header rows)."""
    items = list(instrument.items)
    themes = list(instrument.themes)
    rating_cols = [f"Q1_{n + 1}" for n in range(len(items))]
    rank_cols = [f"Q3_{n + 1}" for n in range(len(themes))]
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
            "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
            "UserLanguage", "PROLIFIC_PID"]
    cols = meta + rating_cols + ["Q2"] + rank_cols + ["Q4", "Q5", "Q6", "Q7"]
    texts = dict(zip(meta, ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
                            "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
                            "Recipient Last Name", "Recipient First Name", "Recipient Email",
                            "External Data Reference", "Location Latitude", "Location Longitude",
                            "Distribution Channel", "User Language", "PROLIFIC_PID"], strict=True))
    intro = instrument.survey.get("rating_intro", "How important is each of the following?")
    rintro = instrument.survey.get("ranking_intro", "Rank the following aspects.")
    for c, it in zip(rating_cols, items, strict=True):
        texts[c] = f"{intro} - {it.wording}"
    texts["Q2"] = f"{intro} - To show you are reading carefully, please select 3 for this statement."
    for c, th in zip(rank_cols, themes, strict=True):
        texts[c] = f"{rintro} - {th.label}"
    texts.update({"Q4": "What is your age (in years)?", "Q5": "What is your gender?",
                  "Q6": "What is your highest completed level of education?",
                  "Q7": "Any other comments about this survey?"})
    import_ids = {c: json.dumps({"ImportId": c}) for c in meta}
    import_ids.update({c: json.dumps({"ImportId": f"QID1_{n + 1}"}) for n, c in enumerate(rating_cols)})
    import_ids["Q2"] = json.dumps({"ImportId": "QID2"})
    import_ids.update({c: json.dumps({"ImportId": f"QID3_{n + 1}"}) for n, c in enumerate(rank_cols)})
    import_ids.update({f"Q{n}": json.dumps({"ImportId": f"QID{n}_TEXT" if n in (4, 7) else f"QID{n}"})
                       for n in (4, 5, 6, 7)})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    w.writerow([texts[c] for c in cols])
    w.writerow([import_ids[c] for c in cols])
    n = len(s["pids"])
    comments = ["", "", "", "Interesting survey.", "", "Some statements were hard to separate."]
    for i in range(n):
        start = s["starts"][i]
        end = start + np.timedelta64(int(s["durations"][i]), "s")
        fmt = lambda t: str(t)[:19].replace("T", " ")  # noqa: E731
        rid = "R_" + hashlib.sha256(f"resp{p.seed}{i}".encode()).hexdigest()[:15]
        row = [fmt(start), fmt(end), "IP Address",
               f"10.{(i * 7) % 250}.{(i * 13) % 250}.{(i * 31) % 250 + 1}", "100",
               str(int(s["durations"][i])), "True", fmt(end), rid, "", "", "", "",
               f"{51.5 + (i % 17) * 0.01:.4f}", f"{-0.12 + (i % 11) * 0.01:.4f}", "anonymous", "EN",
               s["pids"][i]]
        row += [str(int(x)) for x in s["ratings"][i]]
        row += [str(int(s["attn"][i]))]
        row += [str(int(x)) for x in s["ranks"][i]]
        row += [str(int(s["ages"][i])), str(s["genders"][i]), str(s["edu"][i]), comments[i % len(comments)]]
        w.writerow(row)
    mapping = {
        "rating": {it.id: c for it, c in zip(items, rating_cols, strict=True)},
        "ranking": {th.id: c for th, c in zip(themes, rank_cols, strict=True)},
    }
    return buf.getvalue(), mapping
