"""Study 1 validity against the simulator's truth (resources/demo, read by tests only).

The demo corpus (``valueaudit.simulate._study1``) plants, per response, which themes are
present (truth/study1_presence.csv, rates truth/humans.csv ``true_prevalence_study1``)
and lets each coder code independently given the response:

* each present theme has 1 segment, or 2 with probability ``P_TWO`` (distinct codes,
  at most the theme's number of codes);
* a coder detects a segment with ``p_detect``; a detected segment gets its own code
  with ``p_right_code``, otherwise another code of the same theme with probability
  ``P_SAME`` (if the theme has one) or a code of a uniformly drawn other theme;
* for each absent theme a coder adds a false coding with ``p_false_theme``;
* a response with no theme drawn gets one uniformly drawn theme.

(``P_TWO`` and ``P_SAME`` are constants of the generator, not in params.json.)

True expected agreement, derived analytically
---------------------------------------------
Given the latent state Z of a response (present themes and their segment counts), the
coders are independent with the same probability ``p_t(Z)`` of coding theme t:
``p_t(Z) = 1 - (1 - f)^[t absent] * prod_segments (1 - q_seg->t)``. With
``m_t = E p_t(Z)``, the population agreement tables give

    kappa_t = alpha_t = Var(p_t(Z)) / (m_t (1 - m_t))

(Cohen's kappa = Scott's pi = Krippendorff's alpha in the population, since both
coders have the same marginal ``m_t``), and for the pooled response x theme units
``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o = 1 - 2 mean_t(m_t - E p_t^2)`` and
``p_e = mbar^2 + (1 - mbar)^2``. Z has at most 2^T x 2^T states, so E is an exact sum.
:func:`test_analytic_truth_matches_the_simulator` checks the derivation against the
generator itself on 8000 simulated responses.

Tolerance: an estimate on N = 300 responses differs from the population value by
sampling error. Its SD is obtained by simulating the estimator on N-response samples
drawn from the exact latent distribution (2000 replicates, seeded); an estimate must lie
within 3 SD (a two-sided 99.7% band under normality, so that a correct estimator fails
one of these 14 checks with probability about 4% on a fresh data set), the pooled CI
must contain the truth, and the bootstrap SE must agree with the simulated SD within a
factor 1.35.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueaudit import study1 as s1
from valueaudit.instrument import load_instrument

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "resources" / "demo"
INSTRUMENT = REPO / "resources" / "instrument" / "optimal_ai_v1.yaml"
P_TWO, P_SAME = 0.4, 0.7
N_BOOT = 2000
SEED = 20261129 + 1101


def coder_probabilities(prev, n_codes, p_detect, p_right, p_false):
    """(weights w_z, P[z, t] = P(a coder codes theme t | Z = z)) over all latent states."""
    prev = np.asarray(prev, dtype=float)
    n_t = len(prev)
    same = np.array([P_SAME if k > 1 else 0.0 for k in n_codes])
    own = p_detect * (p_right + (1 - p_right) * same)  # segment coded to its own theme
    other = p_detect * (1 - p_right) * (1 - same) / (n_t - 1)  # to one given other theme
    weights, probs = [], []
    for pres in itertools.product([False, True], repeat=n_t):
        pres = np.array(pres)
        if not pres.any():
            continue  # its mass goes to the single-theme states below
        w = np.prod(np.where(pres, prev, 1 - prev))
        if pres.sum() == 1:
            w += np.prod(1 - prev) / n_t
        idx = np.flatnonzero(pres)
        options = [[(1, 1 - P_TWO), (2, P_TWO)] if n_codes[t] > 1 else [(1, 1.0)] for t in idx]
        for combo in itertools.product(*options):
            miss = np.where(pres, 1.0, 1 - p_false)
            for t, (n_seg, _) in zip(idx, combo, strict=True):
                q = np.full(n_t, other[t])
                q[t] = own[t]
                miss = miss * (1 - q) ** n_seg
            weights.append(w * np.prod([c[1] for c in combo]))
            probs.append(1 - miss)
    return np.array(weights), np.array(probs)


def true_agreement(weights, probs):
    """(m_t, kappa_t, pooled kappa) of the population (module docstring)."""
    m = weights @ probs
    e2 = weights @ probs**2
    kappa = (e2 - m**2) / (m * (1 - m))
    p_o = 1 - 2 * np.mean(m - e2)
    mbar = m.mean()
    p_e = mbar**2 + (1 - mbar) ** 2
    return m, kappa, (p_o - p_e) / (1 - p_e)


def _kappa_2x2(a, b, axis):
    """Cohen's kappa of binary arrays along ``axis`` (vectorised, for the simulation)."""
    po = np.mean(a == b, axis=axis)
    pa, pb = a.mean(axis=axis), b.mean(axis=axis)
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe)


def sampling_sd(weights, probs, n, reps=2000, seed=7):
    """SD of the per-theme and pooled kappa estimates on samples of n responses."""
    rng = np.random.default_rng(seed)
    z = rng.choice(len(weights), size=(reps, n), p=weights / weights.sum())
    p = probs[z]  # reps x n x T
    a = rng.random(p.shape) < p
    b = rng.random(p.shape) < p
    per_theme = _kappa_2x2(a, b, axis=1)
    pooled = _kappa_2x2(a.reshape(reps, -1), b.reshape(reps, -1), axis=1)
    return np.nanstd(per_theme, axis=0, ddof=1), float(np.std(pooled, ddof=1))


@pytest.fixture(scope="module")
def demo():
    params = json.loads((DEMO / "truth" / "params.json").read_text())["params"]
    truth = pd.read_csv(DEMO / "truth" / "humans.csv")
    ins = load_instrument(INSTRUMENT)
    themes = pd.DataFrame({"theme": ins.theme_ids})
    codebook = pd.read_csv(DEMO / "coding" / "codebook.csv")
    sources, coding = s1.load_coding(DEMO / "coding" / "study1.qdpx", "qdpx", codebook)
    presence = s1.presence_table(coding, sources, themes["theme"])
    prev = truth.set_index("theme").loc[ins.theme_ids, "true_prevalence_study1"].to_numpy()
    n_codes = [int((codebook["theme"] == t).sum()) for t in ins.theme_ids]
    w, p = coder_probabilities(prev, n_codes, params["p_detect"], params["p_right_code"],
                               params["p_false_theme"])
    return {"params": params, "ins": ins, "themes": ins.theme_ids, "prev": prev,
            "n_codes": n_codes, "w": w, "p": p, "sources": sources, "coding": coding,
            "presence": presence, "codebook": codebook}


def test_analytic_truth_matches_the_simulator(demo):
    """The derivation reproduces the generator's agreement on 8000 fresh responses."""
    from valueaudit.simulate import SimParams, _study1

    p = SimParams()
    n_models = 2000
    models = pd.DataFrame({"model_id": [f"m{i}" for i in range(n_models)],
                           "_version": ["v"] * n_models})
    _, sources, coding, codebook, _, prev = _study1(
        np.random.default_rng(11), demo["ins"], models, p, p.seed,
        np.datetime64("2026-01-01T00:00:00"))
    coding = coding.merge(codebook[["code", "theme"]], on="code")
    pres = s1.presence_table(coding, sources, demo["themes"])
    w, probs = coder_probabilities(prev, demo["n_codes"], p.p_detect, p.p_right_code,
                                   p.p_false_theme)
    m, kappa, pooled = true_agreement(w, probs)
    rel = s1.reliability(pres, n_boot=100, seed=1)
    sd_theme, sd_pooled = sampling_sd(w, probs, len(sources), reps=500)
    assert np.all(np.abs(rel["kappa"].to_numpy()[:-1] - kappa) < 3.5 * sd_theme)
    assert abs(rel["kappa"].iloc[-1] - pooled) < 3.5 * sd_pooled
    share = s1.prevalence(pres, rule="mean")["prevalence"].to_numpy()
    assert np.all(np.abs(share - m) < 3.5 * np.sqrt(m * (1 - m) / len(sources)))


def test_demo_reliability_recovers_true_agreement(demo):
    m, kappa, pooled = true_agreement(demo["w"], demo["p"])
    rel = s1.reliability(demo["presence"], n_boot=N_BOOT, seed=SEED)
    n = len(demo["sources"])
    sd_theme, sd_pooled = sampling_sd(demo["w"], demo["p"], n)
    truth = np.append(kappa, pooled)
    sd = np.append(sd_theme, sd_pooled)
    for stat in ("kappa", "alpha"):
        est = rel[stat].to_numpy()
        z = (est - truth) / sd
        assert np.all(np.abs(z) < 3), (stat, dict(zip(rel["theme"], np.round(z, 2),
                                                       strict=True)))
        # the bootstrap CI width matches the sampling SD (2 x 1.96 SD for a normal)
        boot_sd = (rel[f"{stat}_high"] - rel[f"{stat}_low"]).to_numpy() / (2 * 1.96)
        assert np.all((boot_sd / sd > 1 / 1.35) & (boot_sd / sd < 1.35)), boot_sd / sd
    pooled_row = rel.iloc[-1]
    assert pooled_row["kappa_low"] < pooled < pooled_row["kappa_high"]
    assert pooled_row["alpha_low"] < pooled < pooled_row["alpha_high"]
    assert set(rel["statistic"]) == {"Cohen's kappa"} and (rel["n_boot_valid"] == N_BOOT).all()


def test_demo_prevalence_recovers_true_rates(demo):
    prev = s1.prevalence(demo["presence"], rule="mean")
    assert list(prev["theme"]) == demo["themes"]
    # the true theme rates lie in the Wilson CIs
    assert np.all((prev["ci_low"] < demo["prev"]) & (demo["prev"] < prev["ci_high"])), prev
    # and the estimate is where coder error puts it: the expected coder-level prevalence
    m, _, _ = true_agreement(demo["w"], demo["p"])
    se = np.sqrt(m * (1 - m) / len(demo["sources"]))
    assert np.all(np.abs(prev["prevalence"].to_numpy() - m) < 3 * se)
    # the presence planted in each response: coders recover it with few misses and
    # false alarms (coder-level sensitivity and specificity)
    real = pd.read_csv(DEMO / "truth" / "study1_presence.csv")
    both = demo["presence"].merge(real, on=["response_id", "model_id", "theme"],
                                  suffixes=("", "_true"))
    assert len(both) == len(demo["presence"])
    sens = both.loc[both["present_true"], "present"].mean()
    spec = 1 - both.loc[~both["present_true"], "present"].mean()
    assert sens > 0.9 and spec > 0.9, (sens, spec)


def test_demo_per_model_prevalence_cis_cover_the_true_rates(demo):
    bym = s1.prevalence(demo["presence"], rule="mean", by="model_id")
    true = bym["theme"].map(dict(zip(demo["themes"], demo["prev"], strict=True)))
    cover = ((bym["ci_low"] <= true) & (true <= bym["ci_high"])).mean()
    assert bym["model_id"].nunique() == 75
    assert cover >= 0.93, cover


def test_demo_qdpx_and_csv_imports_agree(demo):
    sources, coding = s1.load_coding(DEMO / "coding" / "coding.csv", "csv", demo["codebook"],
                                     answers=DEMO / "coding" / "answers.csv")
    pd.testing.assert_frame_equal(coding, demo["coding"])
    pd.testing.assert_frame_equal(sources, demo["sources"])


def test_demo_saturation_and_codebook(demo):
    curve, summ = s1.saturation(demo["coding"], demo["sources"], n_orders=200, seed=1)
    assert summ["n_codes"] == len(demo["codebook"])  # every code of the codebook is used
    assert 1 < summ["n_at_threshold"] < summ["n_responses"]
    themes = pd.DataFrame({"theme": demo["themes"], "label": demo["themes"],
                           "definition": ["d"] * len(demo["themes"])})
    tab = s1.codebook_table(demo["codebook"], themes, demo["coding"], seed=3)
    assert tab["segments"].sum() == len(demo["coding"])
    for t, q in zip(tab["theme"], tab["exemplar"], strict=True):
        assert q in set(demo["coding"].loc[demo["coding"]["theme"] == t, "segment"])
