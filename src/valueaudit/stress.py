"""A stress simulator for Study 3 inference, with truth on the instrument's observed scale.

Written separately from :mod:`valueaudit.simulate` (the demo-data generator) so that
the fidelity intervals and verdicts are checked against a data-generating process
they were not tuned on. It plants the conditions that break naive intervals:

* item ratings rounded and clipped to 1..7, with human theme means near the ceiling;
* two human themes a hair apart (near-tied), whose order no sample resolves;
* heavy-tailed human person effects (scaled Student t) and acquiescence: a per-person
  elevation shared by all items, and a per-session elevation for the models;
* few sessions per model (3, 5, 10 or any number) and T = 5..8 themes;
* a model whose spread ratio k is planted exactly on the observed scale, or whose
  order swaps two adjacent human themes (a clearly separated pair, or the near-tied
  pair: the model's estimated order then matches the human sample's in about half the
  samples, which collapses a reflected interval of the ordering).

Estimand
--------
A profile is the vector of expected theme scores on the instrument's observed scale:
the expected mean of the item ratings *as answered* (after rounding and clipping),
not a latent mean. Every truth here is computed on that scale, exactly (normal CDFs
and a quantile-grid quadrature over the person effect), and the latent means are
solved so that the observed-scale profiles are exactly the planted ones:
``true human profile = h``, ``true model profile = centre + k * (h - mean h)`` (or
with two adjacent themes swapped). True fidelity, ordering, calibration and ln k
are :func:`valueaudit.fidelity.profile_fidelity` of those profiles.

Generating process
------------------
Human i, theme t, item q: ``y = clip(round(mu_t + a_i + v_it + e_itq), 1, 7)`` with
``a_i = person_scale * t(person_df)``, ``v_it ~ N(0, person_theme_sd)`` and
``e ~ N(0, item_sd)``. Model session s: ``y = clip(round(nu_t + b_s + w_st + e_stq),
1, 7)`` with ``b_s ~ N(0, session_shift_sd)``, ``w_st ~ N(0, session_theme_sd)``,
``e ~ N(0, session_item_sd)``. A theme score is the mean of its items.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import t as student_t

__all__ = [
    "StressScenario",
    "SCENARIOS",
    "K_VALUES",
    "human_profile",
    "model_profile",
    "expected_human",
    "expected_model",
    "StressWorld",
    "QUANTITIES",
    "coverage_records",
    "coverage_table",
    "ranking_check",
]

#: spread ratios planted in the coverage study (observed scale), plus a rank swap
K_VALUES: tuple[float, ...] = (0.7, 0.95, 1.0, 1.05, 1.3, 2.0)

_CUTS = np.arange(1.5, 7.0, 1.0)  # thresholds between the categories 1..7
_QUAD = 2001  # quantile-grid points of the person-effect quadrature


@dataclass(frozen=True)
class StressScenario:
    """One data-generating condition of the stress simulator (see module docstring)."""

    name: str
    T: int = 7
    n_humans: int = 376
    n_sessions: int = 9
    items: int = 3
    top: float = 6.3  # observed-scale mean of the most important human theme
    step: float = 0.3  # gap between adjacent human themes
    near_tie: float = 0.02  # gap of the near-tied pair (themes 2 and 3)
    person_df: float = 3.0
    person_scale: float = 0.6
    person_theme_sd: float = 0.9
    item_sd: float = 0.8
    session_shift_sd: float = 0.25
    session_theme_sd: float = 0.15
    session_item_sd: float = 0.35
    elevation: float = -0.15  # model centre minus human centre (observed scale)


#: scenarios of the coverage benchmark; "paper" is the paper's scale
SCENARIOS: tuple[StressScenario, ...] = (
    StressScenario("paper"),
    StressScenario("sessions3", n_sessions=3),
    StressScenario("sessions5", n_sessions=5),
    StressScenario("sessions10", n_sessions=10),
    StressScenario("T5", T=5, step=0.4),
    StressScenario("T8", T=8, step=0.25),
    StressScenario("ceiling", top=6.7, step=0.25, elevation=0.0),
)


def human_profile(sc: StressScenario) -> np.ndarray:
    """Planted human profile: evenly spaced from ``top`` down, themes 2-3 near-tied."""
    h = sc.top - sc.step * np.arange(sc.T, dtype=float)
    h[2:] += sc.step - sc.near_tie  # theme 3 sits near_tie below theme 2
    return h


def model_profile(sc: StressScenario, k: float, swap: bool | tuple[int, int] = False
                  ) -> np.ndarray:
    """Planted model profile ``centre + k (h - mean h)``; ``swap`` exchanges themes 4 and 5
    (``True``) or the two themes at the given 0-based positions (e.g. ``(1, 2)``, the
    near-tied pair).

    The centre is the human centre plus ``elevation``, lowered where needed to keep
    every expected score within 1.1..6.9 (a target beyond the scale is unreachable).
    """
    h = human_profile(sc)
    dev = h - h.mean()
    if swap:
        i, j = (3, 4) if swap is True else swap
        dev[[i, j]] = dev[[j, i]]
    centre = h.mean() + sc.elevation
    centre = min(centre, 6.9 - k * dev.max())
    centre = max(centre, 1.1 - k * dev.min())
    return centre + k * dev


def _person_grid(sc: StressScenario) -> np.ndarray:
    u = (np.arange(_QUAD) + 0.5) / _QUAD
    return sc.person_scale * student_t.ppf(u, sc.person_df)


def expected_human(mu: np.ndarray, sc: StressScenario) -> np.ndarray:
    """Expected observed item rating of latent theme means ``mu`` for the human process."""
    s = np.hypot(sc.person_theme_sd, sc.item_sd)
    a = _person_grid(sc)
    z = (np.asarray(mu, float)[..., None, None] + a[:, None] - _CUTS) / s
    return 1.0 + ndtr(z).sum(axis=-1).mean(axis=-1)


def expected_model(nu: np.ndarray, sc: StressScenario) -> np.ndarray:
    """Expected observed item rating of latent theme means ``nu`` for the session process."""
    s = np.sqrt(sc.session_shift_sd**2 + sc.session_theme_sd**2 + sc.session_item_sd**2)
    z = (np.asarray(nu, float)[..., None] - _CUTS) / s
    return 1.0 + ndtr(z).sum(axis=-1)


def _invert(f, target: np.ndarray) -> np.ndarray:
    """Latent means whose expected observed score is ``target`` (bisection; f increasing)."""
    lo = np.full(target.shape, -15.0)
    hi = np.full(target.shape, 25.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = f(mid) < target
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return 0.5 * (lo + hi)


class StressWorld:
    """Latent means and samplers of one scenario, with planted observed-scale truth.

    Parameters
    ----------
    sc : StressScenario
    cells : sequence of (label, k, swap)
        The models of the world; default one per :data:`K_VALUES` plus
        ``("swap", 1.0, True)`` and ``("swap_tied", 1.0, (1, 2))``.

    Attributes
    ----------
    h : numpy.ndarray (T,)
        True human profile (observed scale).
    truth : dict label -> numpy.ndarray (T,)
        True model profiles (observed scale).
    """

    def __init__(self, sc: StressScenario, cells=None):
        self.sc = sc
        if cells is None:
            cells = [(f"k={k:g}", k, False) for k in K_VALUES]
            cells += [("swap", 1.0, True), ("swap_tied", 1.0, (1, 2))]
        self.cells = list(cells)
        self.h = human_profile(sc)
        self.mu = _invert(lambda x: expected_human(x, sc), self.h)
        self.truth = {lab: model_profile(sc, k, sw) for lab, k, sw in self.cells}
        self.nu = {
            lab: _invert(lambda x: expected_model(x, sc), m) for lab, m in self.truth.items()
        }

    def humans(self, rng: np.random.Generator) -> np.ndarray:
        """One human sample: n_humans x T theme scores (means of rounded, clipped items)."""
        sc = self.sc
        a = sc.person_scale * rng.standard_t(sc.person_df, size=(sc.n_humans, 1, 1))
        v = rng.normal(0.0, sc.person_theme_sd, size=(sc.n_humans, sc.T, 1))
        e = rng.normal(0.0, sc.item_sd, size=(sc.n_humans, sc.T, sc.items))
        y = np.clip(np.rint(self.mu[None, :, None] + a + v + e), 1, 7)
        return y.mean(axis=-1)

    def sessions(self, rng: np.random.Generator, label: str, n: int | None = None) -> np.ndarray:
        """Sessions of one model: n x T theme scores (default n = the scenario's n_sessions)."""
        sc = self.sc
        n = sc.n_sessions if n is None else n
        b = rng.normal(0.0, sc.session_shift_sd, size=(n, 1, 1))
        w = rng.normal(0.0, sc.session_theme_sd, size=(n, sc.T, 1))
        e = rng.normal(0.0, sc.session_item_sd, size=(n, sc.T, sc.items))
        y = np.clip(np.rint(self.nu[label][None, :, None] + b + w + e), 1, 7)
        return y.mean(axis=-1)

    def with_models(self, cells) -> StressWorld:
        """The same scenario with other models (e.g. a spread of k for a ranking check)."""
        return StressWorld(replace(self.sc), cells)


# ----------------------------------------------------------------- coverage study
#: quantities whose intervals the coverage study checks
QUANTITIES: tuple[str, ...] = ("fidelity", "calibration", "ordering", "exaggeration")


def _truth(world: StressWorld) -> dict[str, dict[str, float]]:
    from .fidelity import profile_fidelity

    return {lab: profile_fidelity(m, world.h) for lab, m in world.truth.items()}


def coverage_records(
    sc: StressScenario, reps: int, B: int = 2000, seed: int = 1, **kwargs
) -> pd.DataFrame:
    """One row per replication x model of ``StressWorld(sc)``: estimates, limits and truth.

    Each replication draws a new human sample and new sessions for every model, then
    runs :func:`valueaudit.fidelity.bootstrap_fidelity` once (``kwargs`` passed on).
    Columns: ``scenario, rep, cell, k`` (planted), ``flag``, and per quantity of
    :data:`QUANTITIES` the estimate, ``_lo``, ``_hi`` and ``_true``; ``fidelity_raw``
    and ``calibration_raw`` (before the bootstrap bias correction) and the ``product``
    fidelity limits ``fidelity_plo, fidelity_phi``.
    """
    from .fidelity import bootstrap_fidelity

    world = StressWorld(sc)
    truth = _truth(world)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), sc.T, sc.n_sessions]))
    ks = {lab: k for lab, k, _ in world.cells}
    out = []
    for r in range(reps):
        humans = world.humans(rng)
        sessions = {lab: world.sessions(rng, lab) for lab in world.truth}
        res = bootstrap_fidelity(sessions, humans, B=B, seed=int(rng.integers(2**31)), **kwargs)
        d = pd.DataFrame({"scenario": sc.name, "rep": r, "cell": res["model_id"],
                          "k": [ks[c] for c in res["model_id"]], "flag": res["flag"]})
        for q in QUANTITIES:
            d[q] = res[q].to_numpy()
            d[f"{q}_lo"] = res[f"{q}_lo"].to_numpy()
            d[f"{q}_hi"] = res[f"{q}_hi"].to_numpy()
            d[f"{q}_true"] = [truth[c][q] for c in res["model_id"]]
        d["fidelity_raw"] = res["fidelity_uncorrected"].to_numpy()
        d["calibration_raw"] = res["calibration_uncorrected"].to_numpy()
        d["fidelity_plo"] = (np.maximum(res["ordering_lo"], 0) * res["calibration_lo"]).to_numpy()
        d["fidelity_phi"] = (np.maximum(res["ordering_hi"], 0) * res["calibration_hi"]).to_numpy()
        out.append(d)
    return pd.concat(out, ignore_index=True)


def coverage_table(records: pd.DataFrame, tol: float = 1e-9) -> pd.DataFrame:
    """Coverage, mean width, bias, RMSE and verdict rates per scenario x cell x quantity.

    ``bias_raw`` / ``rmse_raw`` (fidelity and calibration only) are those of the
    estimate before the bootstrap bias correction; ``coverage_product`` (fidelity
    only) is the coverage of the product interval. Verdict shares ``p_exaggerates,
    p_flattens, p_calibrated, p_inconclusive`` are per cell (repeated per quantity).
    An interval covers when ``lo - tol <= truth <= hi + tol``.
    """
    rows = []
    for (scn, cell), g in records.groupby(["scenario", "cell"], sort=False):
        flags = g["flag"].value_counts(normalize=True)
        for q in QUANTITIES:
            t = g[f"{q}_true"].to_numpy()
            lo, hi = g[f"{q}_lo"].to_numpy(), g[f"{q}_hi"].to_numpy()
            err = g[q].to_numpy() - t
            row = {"scenario": scn, "cell": cell, "k": float(g["k"].iloc[0]), "quantity": q,
                   "reps": len(g), "truth": float(t[0]),
                   "coverage": float(np.mean((lo - tol <= t) & (t <= hi + tol))),
                   "width": float(np.mean(hi - lo)), "bias": float(np.mean(err)),
                   "rmse": float(np.sqrt(np.mean(err**2))),
                   "bias_raw": np.nan, "rmse_raw": np.nan, "coverage_product": np.nan}
            if q in ("fidelity", "calibration"):
                e0 = g[f"{q}_raw"].to_numpy() - t
                row["bias_raw"] = float(np.mean(e0))
                row["rmse_raw"] = float(np.sqrt(np.mean(e0**2)))
            if q == "fidelity":
                plo, phi = g["fidelity_plo"].to_numpy(), g["fidelity_phi"].to_numpy()
                row["coverage_product"] = float(np.mean((plo - tol <= t) & (t <= phi + tol)))
            for v in ("exaggerates", "flattens", "calibrated", "inconclusive"):
                row[f"p_{v}"] = float(flags.get(v, 0.0))
            rows.append(row)
    return pd.DataFrame(rows)


def ranking_check(
    sc: StressScenario, n_models: int = 60, reps: int = 20, B: int = 2000, seed: int = 1,
    **kwargs,
) -> pd.DataFrame:
    """Spearman rho between estimated and true fidelity across ``n_models`` models.

    The models spread k log-uniformly over [0.5, 2] (a fixed grid), every third with
    two adjacent themes swapped; one row per replication: ``rep, spearman`` (estimate
    with the bootstrap bias correction), ``spearman_raw`` (without) and
    ``spearman_plugin`` (the METHODS plug-in), ``spearman_oracle`` (the true model
    profiles against the human sample mean: the ceiling set by human sampling alone)
    and ``reliability_bound`` (``sqrt(var(true) / (var(true) + mean squared error))``,
    the correlation that estimates with this error can reach across these models).
    """
    from scipy.stats import spearmanr

    from .fidelity import bootstrap_fidelity, profile_fidelity

    ks = np.exp(np.linspace(np.log(0.5), np.log(2.0), n_models))
    cells = [(f"m{j:02d}", float(k), j % 3 == 2) for j, k in enumerate(ks)]
    world = StressWorld(sc, cells)
    truth = _truth(world)
    true_f = np.array([truth[lab]["fidelity"] for lab, _, _ in cells])
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 60, sc.n_sessions]))
    out = []
    for r in range(reps):
        humans = world.humans(rng)
        sessions = {lab: world.sessions(rng, lab) for lab, _, _ in cells}
        res = bootstrap_fidelity(sessions, humans, B=B, seed=int(rng.integers(2**31)), **kwargs)
        hbar = humans.mean(axis=0)
        oracle = [profile_fidelity(world.truth[lab], hbar)["fidelity"] for lab, _, _ in cells]
        err2 = float(np.mean((res["fidelity"].to_numpy() - true_f) ** 2))
        out.append({"rep": r,
                    "reliability_bound": float(np.sqrt(np.var(true_f) / (np.var(true_f) + err2))),
                    "spearman": spearmanr(res["fidelity"], true_f).statistic,
                    "spearman_raw": spearmanr(res["fidelity_uncorrected"], true_f).statistic,
                    "spearman_plugin": spearmanr(res["fidelity_plugin"], true_f).statistic,
                    "spearman_oracle": spearmanr(oracle, true_f).statistic})
    return pd.DataFrame(out)
