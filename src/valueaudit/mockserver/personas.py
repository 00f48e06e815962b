"""Simulated respondents behind the mock server and the ways they write an answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from ..instrument import Instrument

__all__ = ["Persona", "persona_for"]


@dataclass
class Persona:
    """A simulated respondent: latent theme importance on the rating scale.

    ``profile`` maps theme id -> latent mean; answers add item and session
    noise, round and clip (rating) or order the noisy latents (ranking).
    ``styles`` gives the probability of each way of writing the JSON answer.
    """

    profile: dict
    item_sd: float = 0.45
    session_sd: float = 0.15
    rank_sd: float = 0.3
    refusal_rate: float = 0.0
    styles: dict = field(default_factory=lambda: {"bare": 0.8, "fence": 0.1, "prose": 0.05,
                                                  "list": 0.05})
    version: str = ""


def _stable_int(*parts) -> int:
    blob = "|".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


def persona_for(model: str, instrument: Instrument, seed: int = 0) -> Persona:
    """The default persona of a model name: a human-like profile, exaggerated or
    flattened by a seeded factor and with a seeded idiosyncratic shape."""
    from ..simulate import _human_profile  # the simulator's realistic human profile

    h = np.asarray(_human_profile(instrument), dtype=float)
    rng = np.random.default_rng(_stable_int(seed, "persona", model))
    lo, hi = instrument.scale
    k = float(rng.uniform(0.7, 1.8))
    centre = float(rng.uniform(4.4, 5.4))
    mu = centre + k * (h - h.mean() + rng.normal(0, 0.15, len(h)))
    mu = np.clip(mu, lo, hi)
    return Persona(profile=dict(zip(instrument.theme_ids, map(float, mu), strict=True)),
                   version=f"{model}-2026-01-15")


_REFUSAL_TEXT = "I'm sorry, but I don't have personal preferences, so I can't rate or rank these."
_GARBAGE_TEXT = "Every one of these matters, and it really depends on the context of use."

def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _unique(seq):
    out = []
    for s in seq:
        if s not in out:
            out.append(s)
    return out


def _pick(rng, probs: dict) -> str:
    names = list(probs)
    p = np.array([probs[k] for k in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _style(values: dict, style: str, rng) -> str:
    compact = json.dumps(values)
    if style == "fence":
        return f"```json\n{json.dumps(values, indent=2)}\n```"
    if style == "prose":
        return f"Here are my answers:\n\n{compact}\n\nLet me know if you need more detail."
    if style == "list":
        return "\n".join(f"{n + 1}. {k}: {v}" for n, (k, v) in enumerate(values.items()))
    return compact if rng.random() < 0.5 else json.dumps(values, indent=2)
