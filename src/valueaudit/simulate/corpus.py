"""The Study 1 corpus: open answers built from coded sentences, and two coders' coding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instrument import Instrument
from .params import SimParams
from .records import _record

_CODE_SENTENCES = {
    "performance": {
        "accuracy": ["It should give accurate, correct answers.", "Being factually correct is the foundation."],
        "reliability": ["It must work reliably, every time it is used.", "Consistent, dependable results matter."],
        "efficiency": ["It should solve problems quickly and efficiently.", "Good use of time and resources is part of it."],
    },
    "adaptive_capacity": {
        "learning": ["It keeps learning from feedback.", "Improving with experience is essential."],
        "generalisation": ["It copes with situations it has never seen.", "Handling the unexpected is a sign of quality."],
        "personalisation": ["It adapts to each user's needs and context.", "Tailoring answers to the person helps."],
    },
    "social_good": {
        "wellbeing": ["It should improve people's wellbeing.", "Making lives better is the point."],
        "access": ["Its benefits should reach everyone, not only a few.", "Fair access for all communities matters."],
        "global_challenges": ["It can help with health, education and climate.", "Tackling big societal problems is part of its role."],
    },
    "ethics_responsibility": {
        "harm_avoidance": ["Above all it must avoid causing harm.", "Safety comes first."],
        "transparency": ["It should be honest and transparent about its reasoning.", "Being open about limitations builds accountability."],
        "oversight": ["Humans must remain in control and able to correct it.", "Accountability to human oversight is non-negotiable."],
    },
    "relational_integration": {
        "understanding": ["It understands what people actually need.", "Grasping the user's intent is key."],
        "communication": ["It communicates clearly and respectfully.", "Clear, kind communication matters."],
        "trust": ["People should be able to trust it as a partner.", "Collaboration built on trust is important."],
    },
    "agency": {
        "initiative": ["It could take initiative when appropriate.", "Some proactive behaviour can help."],
        "autonomy": ["A degree of autonomy in how it works is useful.", "Working independently on well-defined tasks helps."],
    },
}
_CODE_DEFS = {
    "accuracy": "Correctness and factual accuracy of outputs.",
    "reliability": "Consistent, dependable functioning.",
    "efficiency": "Speed and economy in completing tasks.",
    "learning": "Improvement through feedback and experience.",
    "generalisation": "Coping with novel or unexpected situations.",
    "personalisation": "Adapting to individual users and contexts.",
    "wellbeing": "Improving people's lives and wellbeing.",
    "access": "Broad and fair access to benefits.",
    "global_challenges": "Contributing to large societal problems.",
    "harm_avoidance": "Avoiding harm; safety.",
    "transparency": "Honesty, openness, explainability.",
    "oversight": "Human control, correction and accountability.",
    "understanding": "Understanding people's needs and intent.",
    "communication": "Clear, respectful communication.",
    "trust": "Trustworthy collaboration with people.",
    "initiative": "Acting proactively, on its own initiative.",
    "autonomy": "Working independently, self-direction.",
}
_FILLER = [
    "In short, optimal functioning is about balance.",
    "These qualities depend on each other.",
    "No single property is enough on its own.",
]
_DEFAULT_PREVALENCE = {
    "performance": 0.85, "ethics_responsibility": 0.8, "social_good": 0.6,
    "relational_integration": 0.55, "adaptive_capacity": 0.5, "agency": 0.18,
}


def _generic_codes(instrument: Instrument):
    """Codes for a non-default instrument: two per theme, named after the theme."""
    out = {}
    for t in instrument.themes:
        out[t.id] = {
            f"{t.id}_a": [f"It shows {t.label.lower()} in everyday use."],
            f"{t.id}_b": [f"{t.label} matters for how it works."],
        }
    return out


def _study1(rng, instrument, models, p: SimParams, gseed, t0):
    ids = instrument.theme_ids
    if set(ids) == set(_CODE_SENTENCES):
        codes = _CODE_SENTENCES
        defs = _CODE_DEFS
        prev = np.array([_DEFAULT_PREVALENCE[t] for t in ids])
    else:
        codes = _generic_codes(instrument)
        defs = {c: f"Mentions of {c.replace('_', ' ')}." for t in codes for c in codes[t]}
        prev = np.linspace(0.85, 0.2, len(ids))
    codebook = pd.DataFrame(
        [{"code": c, "theme": t, "definition": defs[c]} for t in ids for c in codes[t]]
    )
    records, sources, coding, truth = [], [], [], []
    for mid, mver in zip(models["model_id"], models["_version"], strict=True):
        for s in range(1, p.n_open_sessions + 1):
            present = rng.random(len(ids)) < prev
            if not present.any():
                present[rng.integers(len(ids))] = True
            segs = []  # (theme, code, sentence)
            for ti in np.flatnonzero(present):
                t = ids[ti]
                names = list(codes[t])
                for c in rng.choice(names, size=min(len(names), 1 + int(rng.random() < 0.4)), replace=False):
                    variants = codes[t][c]
                    segs.append((t, str(c), variants[rng.integers(len(variants))]))
            rng.shuffle(segs)
            parts, pos, spans = [], 0, []
            opener = "Optimal functioning means several things."
            parts.append(opener)
            pos = len(opener) + 1
            for t, c, sent in segs:
                spans.append((t, c, pos, pos + len(sent), sent))
                parts.append(sent)
                pos += len(sent) + 1
            parts.append(_FILLER[rng.integers(len(_FILLER))])
            text = " ".join(parts)
            rec = _record(mid, mver, "open", "optimal_functioning", s, 1, instrument, gseed,
                          text, "stop", rng, t0 + np.timedelta64(int(rng.integers(0, 86400)), "s"))
            records.append(rec)
            rid = rec["record_id"]
            sources.append({"response_id": rid, "model_id": mid, "prompt_id": "optimal_functioning",
                            "text": text})
            for t in ids:
                truth.append({"response_id": rid, "model_id": mid, "theme": t,
                              "present": bool(t in {x[0] for x in spans})})
            for coder in p.coders:
                for t, c, a, b, _sent in spans:
                    if rng.random() > p.p_detect:
                        continue
                    code = c
                    if rng.random() > p.p_right_code:
                        same = [x for x in codes[t] if x != c]
                        if same and rng.random() < 0.7:
                            code = str(rng.choice(same))
                        else:
                            other = [x for x in ids if x != t]
                            code = str(rng.choice(list(codes[str(rng.choice(other))])))
                    coding.append({"response_id": rid, "model_id": mid, "prompt_id": "optimal_functioning",
                                   "coder": coder, "code": code, "segment": text[a:b], "start": a, "end": b})
                for ti, t in enumerate(ids):
                    if not present[ti] and rng.random() < p.p_false_theme:
                        # a coder reads a theme into a generic sentence
                        a = 0
                        b = len(opener)
                        code = str(rng.choice(list(codes[t])))
                        coding.append({"response_id": rid, "model_id": mid,
                                       "prompt_id": "optimal_functioning", "coder": coder, "code": code,
                                       "segment": text[a:b], "start": a, "end": b})
    coding_df = pd.DataFrame(coding).drop_duplicates(
        subset=["response_id", "coder", "code", "start", "end"]
    )
    return records, pd.DataFrame(sources), coding_df, codebook, pd.DataFrame(truth), prev
