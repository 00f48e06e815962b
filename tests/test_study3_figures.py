"""Study 3 figures drawn from synthetic inputs with 75 models: house style (width, text
of at least 6 pt, nothing cut off, no overlapping text) and the design of the
ordering-exaggeration figure (few labels, no overlapping label boxes, one row per model
in bands of equal ordering, visible CIs, verdict markers)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

from valueaudit import fidelity as fid  # noqa: E402
from valueaudit import study3 as s3  # noqa: E402
from valueaudit.plotting import (  # noqa: E402
    MANY_ROWS_IN,
    MAX_NAMED_ROWS,
    check_figure,
    check_saved_figure,
    find_overlaps,
    save_figure,
    setup,
)
from valueaudit.study3 import quadrant  # noqa: E402

TIERS = ["small", "mid", "frontier"]
T = 6
N_MODELS = 75
MARGIN = 1.25
CRIT = s3.ordering_threshold(T)["rho_crit"]  # 29/35
QUADRANT = "ordered but exaggerated"
FAMILIES = ["Aster", "Borealis", "Cobalt", "Dunlin", "Ember", "Fjord", "Glade", "Heron",
            "Isobar", "Juniper", "Kestrel", "Lumen", "Moraine", "Nimbus", "Osprey"]


@pytest.fixture(autouse=True)
def house_style():
    with plt.rc_context():
        setup()
        yield
    plt.close("all")


def _fidelity(n: int = N_MODELS, seed: int = 7) -> pd.DataFrame:
    """A fidelity / leaderboard-like frame: ordering on the few values Spearman's rho
    takes for T = 6 themes (most models at the top), ln k with CIs, the verdict from
    :func:`valueaudit.fidelity.verdict`, metadata with long display names."""
    rng = np.random.default_rng(seed)
    d2 = rng.choice([0, 0, 0, 2, 2, 4, 6, 8, 12, 20, 50], size=n)
    ordering = 1 - 6 * d2 / (T * (T * T - 1))
    ex = rng.normal(0.15, 0.3, n)
    half = rng.uniform(0.03, 0.3, n)
    lo, hi = ex - half, ex + half
    tier = np.array(TIERS)[np.arange(n) % 3]
    names = [f"Sim{FAMILIES[i % 15]} {i // 15 + 1} {tier[i].capitalize()}" for i in range(n)]
    calib = np.exp(-np.abs(ex))
    fidv = np.maximum(ordering, 0) * calib
    params = np.where(np.arange(n) % 4 == 0, np.nan, np.exp(rng.uniform(0, 7, n)))
    dates = [f"{2023 + i % 4}-{1 + i % 12:02d}" for i in range(n)]
    return pd.DataFrame({
        "model_id": [f"m{i:02d}" for i in range(n)], "format": "rating",
        "display_name": names, "tier": tier, "analysed": True, "n_sessions": 10,
        "fidelity": fidv, "fidelity_lo": fidv * 0.85, "fidelity_hi": np.minimum(fidv * 1.1, 1),
        "ordering": ordering, "ordering_lo": ordering - 0.1, "ordering_hi": ordering,
        "exaggeration": ex, "exaggeration_lo": lo, "exaggeration_hi": hi,
        "flag": [fid.verdict(a, b, MARGIN) for a, b in zip(lo, hi, strict=True)],
        "calibration_margin": MARGIN, "params_b": params, "release_date": dates,
        "human_percentile": rng.uniform(0, 100, n), "keeps_order": ordering >= CRIT - 1e-12,
    })


def _labels(fig):
    ax = fig.axes[0]
    return [t for t in ax.texts if t.get_text() and t.get_text() != QUADRANT]


def _key_entries(fig) -> dict[str, str]:
    out = {}
    for t in fig.texts:
        for line in t.get_text().split("\n"):
            for entry in line.split(";  "):
                num, _, name = entry.partition(": ")
                out[num.strip()] = name
    return out


# ---------------------------------------------------------------- forest
def test_forest_of_75_models_meets_the_house_style():
    f = _fidelity()
    fig = s3.plot_forest(f, TIERS, {"fidelity": 0.9, "lo": 0.85, "hi": 0.95}, 0.2)
    assert check_figure(fig) == []
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(ticks) == N_MODELS and not any("(simulated)" in t for t in ticks)
    fig.canvas.draw()
    xt = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ".40" in xt and "0.40" not in xt  # the tables' format for a bounded statistic


@pytest.mark.parametrize("n", [MAX_NAMED_ROWS, MAX_NAMED_ROWS + 1, 400])
def test_forest_names_models_up_to_the_limit_and_draws_every_model(n):
    f = _fidelity(n)
    fig = s3.plot_forest(f, TIERS, {"fidelity": 0.9, "lo": 0.85, "hi": 0.95}, 0.2)
    ax = fig.axes[0]
    points = sum(len(line.get_xdata()) for line in ax.get_lines()
                 if line.get_marker() not in (None, "None", ""))
    assert points == n
    assert check_figure(fig) == []
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    if n <= MAX_NAMED_ROWS:
        assert len(ticks) == n
    else:
        assert ticks == [] and f"n = {n}" in ax.get_ylabel()
        assert fig.get_figheight() <= 1.0 + MANY_ROWS_IN


# ---------------------------------------------------------------- ordering-exaggeration
def test_ordering_exaggeration_with_75_models_has_few_separate_labels():
    f = _fidelity()
    fig = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    assert check_figure(fig) == []
    labels = _labels(fig)
    assert 1 <= len(labels) <= 10
    quad = [t for t in fig.axes[0].texts if t.get_text() == QUADRANT]
    assert len(quad) == 1
    assert find_overlaps(fig, labels + quad) == []
    # no label covers a point
    ax = fig.axes[0]
    pts = np.vstack([ax.transData.transform(np.c_[ln.get_xdata(), ln.get_ydata()])
                     for ln in ax.lines if ln.get_marker() in {"^", "v", "o", "s", "D"}])
    assert len(pts) == N_MODELS
    for t in labels:
        box = t.get_window_extent()
        assert not any(box.contains(u, v) for u, v in pts), t.get_text()
    # every number on the panel is explained in the key, and only those
    key = _key_entries(fig) if fig.texts else {}
    numbers = {t.get_text() for t in labels if t.get_text().isdigit()}
    assert numbers == set(key)
    names = {t.get_text() for t in labels if not t.get_text().isdigit()} | set(key.values())
    assert names <= set(f["display_name"])
    # the model with the largest ln k is among the named extremes
    top = f.loc[f["exaggeration"].idxmax(), "display_name"]
    assert top in names


def test_ordering_exaggeration_stacks_points_and_draws_visible_cis():
    f = _fidelity()
    fig = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = [seg for c in bars for coll in c.lines[2] for seg in coll.get_segments()]
    assert len(segments) == N_MODELS
    lengths = np.array([abs(s[1][0] - s[0][0]) for s in segments])
    assert (lengths > 0).all()
    px = np.array([abs(ax.transData.transform((s[1][0], 0))[0]
                       - ax.transData.transform((s[0][0], 0))[0]) for s in segments])
    assert px.min() > 1.0  # at least a pixel long at 100 dpi
    # one row per model: no two points share a height; one band (tick) per ordering value
    ys = np.array([s[0][1] for s in segments])
    assert len(np.unique(ys)) == N_MODELS
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == f["ordering"].round(9).nunique()
    assert ticks[-1] == "1.00"


def test_ordering_exaggeration_marks_verdicts_by_colour_and_shape():
    f = _fidelity()
    fig = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    legend = fig.axes[0].get_legend()
    shown = [t.get_text() for t in legend.get_texts()]
    verdicts = [v for v in shown if v in s3.VERDICT_STYLE]
    assert set(verdicts) == set(f["flag"])
    handles = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles,
                                                strict=True)}
    markers = {handles[v].get_marker() for v in verdicts}
    colours = {str(handles[v].get_color()) for v in verdicts}
    assert len(markers) == len(verdicts) and len(colours) == len(verdicts)


def test_ordering_exaggeration_is_deterministic_and_names_small_boards():
    f = _fidelity()
    a = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    b = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    pa = [(t.get_text(), t.get_position(), t.xy) for t in _labels(a)]
    pb = [(t.get_text(), t.get_position(), t.xy) for t in _labels(b)]
    assert pa == pb
    small = s3.plot_ordering_exaggeration(_fidelity(n=4), TIERS, CRIT)
    assert check_figure(small) == []
    # a small board: every model is named, beside its point or in the numbered key
    named = {t.get_text() for t in _labels(small) if not t.get_text().isdigit()}
    key = _key_entries(small) if small.texts else {}
    assert named | set(key.values()) == set(_fidelity(n=4)["display_name"])
    assert not named & set(key.values())


def test_ordering_exaggeration_without_a_reachable_criterion():
    f = _fidelity(n=20)
    fig = s3.plot_ordering_exaggeration(f, TIERS, math.nan)
    assert check_figure(fig) == []
    assert not [t for t in fig.axes[0].texts if t.get_text() == QUADRANT]


def test_ordering_exaggeration_leaves_out_undefined_models_and_empty_boards():
    f = _fidelity(n=8)
    f.loc[[1, 2], "exaggeration"] = np.nan
    f.loc[3, "flag"] = np.nan
    fig = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    assert check_figure(fig) == []
    bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    assert sum(len(coll.get_segments()) for c in bars for coll in c.lines[2]) == 6
    assert "undetermined" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    f["analysed"] = False
    empty = s3.plot_ordering_exaggeration(f, TIERS, CRIT)
    assert check_figure(empty) == [] and not _labels(empty)


def test_saved_ordering_exaggeration_figure_meets_the_house_style(tmp_path):
    fig = s3.plot_ordering_exaggeration(_fidelity(), TIERS, CRIT)
    for path in save_figure(fig, tmp_path / "ordering_exaggeration"):
        assert check_saved_figure(path) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1.0, 0.94, 0.83, 0.77, 0.2]),
                          st.floats(-1, 1, allow_nan=False)), min_size=1, max_size=30))
def test_ordering_rows_one_row_per_model_in_disjoint_sorted_bands(pairs):
    b = pd.DataFrame({"model_id": [f"m{i}" for i in range(len(pairs))],
                      "ordering": [p[0] for p in pairs], "exaggeration": [p[1] for p in pairs]})
    y, bands = quadrant._ordering_rows(b)
    assert len(np.unique(y)) == len(b)
    assert list(bands["value"]) == sorted(set(b["ordering"]))
    assert (bands["low"].to_numpy()[1:] > bands["high"].to_numpy()[:-1]).all()
    for _, band in bands.iterrows():
        sel = (b["ordering"] == band["value"]).to_numpy()
        assert ((y[sel] > band["low"]) & (y[sel] < band["high"])).all()
        ex = b.loc[sel, "exaggeration"].to_numpy()
        assert (np.diff(ex[np.argsort(y[sel])]) >= 0).all()  # ln k ascends upwards


def test_label_candidates_take_the_extremes_in_turn():
    b = pd.DataFrame({"model_id": list("abcdef"), "exaggeration": [0.5, -0.4, 0.1, 0.9, 0, -1],
                      "ordering": [1, 1, 0.2, 0.9, 0.5, 1]})
    assert quadrant._label_candidates(b, 4) == [3, 5, 2, 0]
    assert sorted(quadrant._label_candidates(b, 99)) == list(range(6))


# ---------------------------------------------------------------- other figures
def test_characteristics_figure_has_plain_log_ticks_and_panel_letters():
    f = _fidelity()
    tests = s3.characteristics(f, TIERS, "rating")
    fig = s3.plot_characteristics(f, tests, TIERS, "rating", seed=0)
    assert check_figure(fig) == []
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["A", "B", "C"]
    assert fig.axes[0].get_title(loc="right").startswith("\u03c1 = ")
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert ticks and not any("$" in t for t in ticks)


def test_respondent_level_figure_meets_the_house_style():
    rng = np.random.default_rng(3)
    fig = s3.plot_respondent_level(rng.uniform(0, 1, 300), rng.uniform(0, 1, 750),
                                   rng.uniform(0, 1, N_MODELS))
    assert check_figure(fig) == []
    fig.canvas.draw()
    assert ".40" in [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_focal_rank_figure_meets_the_house_style():
    pos = pd.DataFrame({"position": np.arange(1, T + 1),
                        "share_models": [0, 0, 0, 0.05, 0.15, 0.8],
                        "share_humans": [0.02, 0.03, 0.05, 0.1, 0.2, 0.6]})
    fig = s3.plot_focal_rank(pos, 6.0, "Agency", N_MODELS, 300)
    assert check_figure(fig) == []
    fig.canvas.draw()
    assert ".40" in [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_profiles_figure_meets_the_house_style():
    themes = ["ethics", "performance", "social", "relational", "adaptive", "agency"]
    labels = ["Ethics and Responsibility", "Performance", "Social Good",
              "Relational Integration", "Adaptive Capacity", "Agency"]
    m = np.array([6.1, 6.0, 5.5, 5.2, 5.2, 3.4])
    human = pd.DataFrame({"theme": themes, "label": labels, "mean": m, "ci_low": m - 0.08,
                          "ci_high": m + 0.08, "n": 300})
    rng = np.random.default_rng(4)
    mp = pd.DataFrame(np.clip(m + rng.normal(0, 0.6, (N_MODELS, T)), 1, 7), columns=themes)
    cons = s3.consensus_profile(mp, n_boot=100, seed=0)
    fig = s3.plot_profiles(human, cons, mp, scale=(1.0, 7.0), ylabel="Mean rating")
    assert check_figure(fig) == []
