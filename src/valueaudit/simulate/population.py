"""The planted population: the human profile, the model archetypes, the models table, and
the exact expected rating of a latent value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..instrument import Instrument
from .params import SimParams

__all__ = ["expected_rating"]

# realistic default human profile for the default instrument's theme ids;
# any other instrument gets an evenly spaced profile with its last theme lowest
_DEFAULT_HUMAN = {
    "ethics_responsibility": 6.25,
    "performance": 6.05,
    "social_good": 5.6,
    "relational_integration": 5.35,
    "adaptive_capacity": 5.15,
    "agency": 3.55,
}
_FAMILIES = [
    "aster", "borealis", "cobalt", "dunlin", "ember", "fjord", "glade", "heron",
    "isobar", "juniper", "kestrel", "lumen", "moraine", "nimbus", "osprey",
]
_PROVIDERS = ["simlab-a", "simlab-b", "simlab-c", "simlab-d", "simlab-e", "simlab-f"]


# ---------------------------------------------------------------------------
def expected_rating(mu, sd, lo: int, hi: int):
    """E[clip(round(X), lo, hi)] for X ~ N(mu, sd), exactly.

    ``E = lo + sum_{j=lo}^{hi-1} P(X >= j + 0.5)``.
    """
    mu = np.asarray(mu, dtype=float)
    thresholds = np.arange(lo, hi) + 0.5
    return lo + norm.sf((thresholds - mu[..., None]) / sd).sum(axis=-1)


def _human_profile(instrument: Instrument) -> np.ndarray:
    ids = instrument.theme_ids
    if set(ids) == set(_DEFAULT_HUMAN):
        return np.array([_DEFAULT_HUMAN[t] for t in ids])
    lo, hi = instrument.scale
    vals = np.linspace(hi - 0.8, (lo + hi) / 2 + 0.6, len(ids))
    vals[-1] = (lo + hi) / 2 - 0.5  # the last theme is planted lowest (Agency-like)
    return vals


def _archetypes(instrument: Instrument, size: float) -> np.ndarray:
    """Three planted shape groups: human-like (0), capability-first, care-first."""
    T = instrument.n_themes
    ids = instrument.theme_ids
    cap = np.zeros(T)
    care = np.zeros(T)
    if set(ids) == set(_DEFAULT_HUMAN):
        for t, v in {"performance": 1, "adaptive_capacity": 1, "social_good": -1,
                     "relational_integration": -1}.items():
            cap[ids.index(t)] = v
        for t, v in {"social_good": 1, "relational_integration": 1, "performance": -1,
                     "adaptive_capacity": -1}.items():
            care[ids.index(t)] = v
    else:
        half = (T - 1) // 2
        cap[:half], cap[half : T - 1] = 1, -1
        care[:half], care[half : T - 1] = -1, 1
    return np.vstack([np.zeros(T), cap * size, care * size])


def _slugify(*parts) -> str:
    return "-".join(str(p) for p in parts).lower().replace(" ", "-")


def _models_table(rng, p: SimParams) -> pd.DataFrame:
    rows = []
    seen = set()
    tiers = np.array(["small", "mid", "frontier"])
    for j in range(p.n_models):
        fam = _FAMILIES[j % len(_FAMILIES)]
        gen = 1 + j // len(_FAMILIES)
        tier = str(rng.choice(tiers, p=[0.35, 0.4, 0.25]))
        base = {"small": (1, 14), "mid": (14, 120), "frontier": (120, 1200)}[tier]
        params = float(np.exp(rng.uniform(np.log(base[0]), np.log(base[1]))))
        open_w = bool(rng.random() < 0.55)
        disclosed = open_w or rng.random() < 0.2
        year = int(rng.integers(2023, 2027))
        month = int(rng.integers(1, 13 if year < 2026 else 11))
        mid = _slugify("sim", fam, gen, tier)
        while mid in seen:
            mid += "x"
        seen.add(mid)
        rows.append(
            {
                "model_id": mid,
                "display_name": f"Sim{fam.capitalize()} {gen} {tier.capitalize()} (simulated)",
                "short_name": f"Sim{fam.capitalize()} {gen} {tier.capitalize()}",
                "family": f"sim-{fam}",
                "provider": _PROVIDERS[j % len(_PROVIDERS)],
                "params_b": round(params, 1) if disclosed else None,
                "release_date": f"{year}-{month:02d}",
                "tier": tier,
                "open_weights": open_w,
            }
        )
    return pd.DataFrame(rows)
