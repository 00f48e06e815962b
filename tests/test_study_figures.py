"""Study 1 and Study 2 figures meet the house style (valueaudit.plotting): journal width,
no text below 6 pt, nothing cut off, no overlapping texts; on a few models and on 75
models with long names, from synthetic inputs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from valueaudit import plotting as P
from valueaudit import study1 as s1
from valueaudit import study2 as s2

THEME_LABELS = {"performance": "Performance", "adaptive_capacity": "Adaptive Capacity",
                "social_good": "Social Good", "ethics_responsibility": "Ethics and Responsibility",
                "relational_integration": "Relational Integration", "agency": "Agency"}
THEMES = pd.DataFrame({"theme": list(THEME_LABELS), "label": list(THEME_LABELS.values())})
TIERS = ["small", "mid", "frontier"]
FAMILIES = ["Aster", "Borealis", "Cobalt", "Dunlin", "Ember", "Fjord", "Glade", "Heron",
            "Ibis", "Juniper", "Kestrel", "Lumen", "Moraine", "Nimbus", "Osprey", "Pampas",
            "Quartz", "Rowan", "Sable", "Tundra", "Umber", "Vireo", "Willow", "Xenon", "Yarrow"]


def models(n: int) -> pd.DataFrame:
    """``n`` models with names as long as the demo's ("SimBorealis 4 Frontier (simulated)")."""
    rows = []
    for i in range(n):
        fam, gen, tier = FAMILIES[i % len(FAMILIES)], 1 + i // len(FAMILIES), TIERS[i % 3]
        rows.append({"model_id": f"sim-{fam.lower()}-{gen}-{tier}",
                     "display_name": f"Sim{fam} {gen} {tier.capitalize()} (simulated)",
                     "tier": tier})
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def _style():
    P.setup()
    yield
    plt.close("all")


def assert_house_style(fig, saved=None, n_models: int = 0):
    """The drawn figure passes the house-style check; with ``saved`` (a path stem), so do
    its saved PDF (width, font sizes) and PNG (width); figures of many models are only
    checked as drawn (saving them at 300 dpi is slow)."""
    assert P.check_figure(fig) == []
    if saved is not None and n_models <= 10:
        for path in P.save_figure(fig, saved):
            assert P.check_saved_figure(path) == []


# ---------------------------------------------------------------------------- Study 1
def by_model(m: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"model_id": mid, "theme": t, "prevalence": rng.uniform()}
                         for mid in m["model_id"] for t in THEMES["theme"]])


@pytest.mark.parametrize("n", [1, 3, 75])
def test_prevalence_heatmap(n, tmp_path):
    m = models(n)
    fig = s1.plot_prevalence_heatmap(by_model(m, n), THEMES, m)
    shown = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert set(m["display_name"]) <= shown  # every model named, under its own name
    assert_house_style(fig, tmp_path / "prevalence_heatmap", n)


def test_prevalence_heatmap_without_a_model_table_names_models_by_id():
    m = models(4)
    fig = s1.plot_prevalence_heatmap(by_model(m, 1), THEMES)
    assert_house_style(fig)
    shown = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert set(m["model_id"]) <= shown


def test_saturation(tmp_path):
    n = np.unique(np.rint(np.geomspace(1, 300, 40)).astype(int))
    mean = 40 * (1 - np.exp(-n / 50))
    curve = pd.DataFrame({"n_responses": n, "mean": mean, "low": mean * 0.9,
                          "high": np.minimum(mean * 1.1, 40)})
    fig = s1.plot_saturation(curve, {"threshold": 0.9, "n_codes": 40, "n_at_threshold": 115})
    assert_house_style(fig, tmp_path / "saturation")


def test_cooccurrence_cells_and_colourbar_use_the_tables_format(tmp_path):
    rng = np.random.default_rng(3)
    ids = list(THEMES["theme"])
    cooc = pd.DataFrame([{"theme_a": a, "theme_b": b, "jaccard": rng.uniform()}
                         for a in ids for b in ids])
    fig = s1.plot_cooccurrence(cooc, THEMES)
    fig.canvas.draw()
    cbar = fig.axes[-1]
    ticks = [t.get_text() for t in cbar.get_yticklabels() if t.get_text()]
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert ticks == [".00", ".20", ".40", ".60", ".80", "1.00"]
    assert cells and all(c.startswith(".") or c == "1.00" for c in cells)
    assert_house_style(fig, tmp_path / "cooccurrence")


# ---------------------------------------------------------------------------- Study 2
def within(m: pd.DataFrame, formats, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for fmt in formats:
        for i, mid in enumerate(m["model_id"]):
            icc = rng.uniform(0.2, 0.95)
            if i == 1:  # a model without an estimate
                icc = np.nan
            rows.append({"model_id": mid, "format": fmt, "icc_a1": icc,
                         "icc_a1_low": icc - 0.1, "icc_a1_high": min(icc + 0.05, 1.0)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", [3, 75])
@pytest.mark.parametrize("formats", [["rating"], ["rating", "ranking"]])
def test_stability(n, formats, tmp_path):
    m = models(n)
    labels = dict(zip(m["model_id"], m["display_name"], strict=True))
    tiers = dict(zip(m["model_id"], m["tier"], strict=True))
    fig = s2.plot_stability(within(m, formats, n), labels, tiers, TIERS, formats)
    assert fig.get_figwidth() == pytest.approx(P.DOUBLE if len(formats) > 1 else P.SINGLE)
    letters = [ax.get_title(loc="left") for ax in fig.axes]
    assert letters == (["A", "B"] if len(formats) > 1 else [""])
    assert_house_style(fig, tmp_path / "stability", n)


def clustering(n: int, seed: int):
    m = models(n)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (3, len(THEMES)))
    prof = centres[np.arange(n) % 3] + rng.normal(0, 0.3, (n, len(THEMES))) + 4
    profiles = pd.DataFrame(prof, index=m["model_id"], columns=THEMES["theme"])
    return m, s2.cluster_profiles(profiles, "centre")


@pytest.mark.parametrize("n", [2, 4, 75])
def test_profile_heatmap_is_diverging_and_centred_at_zero(n, tmp_path):
    m, cl = clustering(n, n)
    names = dict(zip(m["model_id"], m["display_name"], strict=True))
    fig = s2.plot_profile_heatmap(cl, names, THEME_LABELS)
    im = next(a for ax in fig.axes for a in ax.get_images())
    assert im.cmap.name == P.DIVERGING.name
    assert im.norm.vmin == pytest.approx(-im.norm.vmax) and im.norm(0.0) == pytest.approx(0.5)
    data = cl["X"].to_numpy()
    assert np.allclose(data.mean(axis=1), 0)  # centred per model
    assert im.norm.vmax == pytest.approx(np.abs(data).max())
    assert_house_style(fig, tmp_path / "profile_heatmap", n)


@pytest.mark.parametrize("n", [4, 75])
def test_profile_map_labels_every_theme_without_collisions(n, tmp_path):
    _, cl = clustering(n, n + 1)
    pmap = s2.profile_map(cl["X"])
    fig = s2.plot_profile_map(pmap, cl["labels"], THEME_LABELS)
    drawn = {t.get_text() for t in fig.axes[0].texts}
    assert set(THEME_LABELS.values()) <= drawn and not fig.texts  # all by name, no key
    assert_house_style(fig, tmp_path / "profile_map", n)


def test_profile_map_without_clusters():
    _, cl = clustering(2, 5)
    fig = s2.plot_profile_map(s2.profile_map(cl["X"]), cl["labels"], THEME_LABELS)
    assert_house_style(fig)


def test_profile_map_numbers_the_labels_that_find_no_place_and_names_them_in_a_key():
    rng = np.random.default_rng(14)
    themes = [f"t{i}" for i in range(14)]
    labels = {t: f"Long theme label number {i}" for i, t in enumerate(themes)}
    prof = pd.DataFrame(rng.normal(size=(30, 14)) + 4, index=[f"m{i}" for i in range(30)],
                        columns=themes)
    cl = s2.cluster_profiles(prof, "centre")
    fig = s2.plot_profile_map(s2.profile_map(cl["X"]), cl["labels"], labels)
    assert_house_style(fig)
    key = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert key.startswith("Key: 1 Long theme label number")
    keyed = {e.split(" ", 1)[1]: e.split(" ", 1)[0] for e in key[5:].split("; ")}
    drawn = {t.get_text() for t in fig.axes[0].texts}
    for label in labels.values():  # every theme on the map by name, or by number and key
        assert (label in drawn) != (label in keyed)
        assert label in drawn or keyed[label] in drawn
    assert fig.get_figwidth() == pytest.approx(P.SINGLE)


# ------------------------------------------------------------- many models (unnamed rows)
MANY = P.MAX_NAMED_ROWS + 1


def _ytick_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]


def _assert_many_rows(fig, ax, n: int, ylabel_ax=None):
    """Unnamed rows in axes MANY_ROWS_IN tall, the count of models in the y label."""
    fig.canvas.draw()
    assert not [t for t in _ytick_texts(fig) if t.startswith("Sim")]
    assert ax.get_position().height * fig.get_figheight() == pytest.approx(P.MANY_ROWS_IN,
                                                                           abs=0.01)
    assert f"n = {n}" in (ylabel_ax or ax).get_ylabel()
    assert P.check_figure(fig) == []


@pytest.mark.parametrize("n", [P.MAX_NAMED_ROWS, MANY, 400])
def test_prevalence_heatmap_names_models_up_to_the_limit_and_draws_every_row(n):
    m = models(n)
    fig = s1.plot_prevalence_heatmap(by_model(m, n), THEMES, m)
    images = [a for ax in fig.axes for a in ax.get_images()]
    rows = sum(int(np.isfinite(im.get_array()).all(axis=1).sum()) for im in images)
    assert rows == n  # every model is a row
    if n <= P.MAX_NAMED_ROWS:
        assert set(m["display_name"]) <= set(_ytick_texts(fig))
    else:
        assert len(images) == 1
        _assert_many_rows(fig, fig.axes[0], n)


@pytest.mark.parametrize("n", [P.MAX_NAMED_ROWS, MANY, 400])
@pytest.mark.parametrize("formats", [["rating"], ["rating", "ranking"]])
def test_stability_names_models_up_to_the_limit_and_draws_every_estimate(n, formats):
    m = models(n)
    labels = dict(zip(m["model_id"], m["display_name"], strict=True))
    tiers = dict(zip(m["model_id"], m["tier"], strict=True))
    w = within(m, formats, n)
    fig = s2.plot_stability(w, labels, tiers, TIERS, formats)
    for ax, fmt in zip(fig.axes, formats, strict=True):
        points = sum(len(line.get_xdata()) for line in ax.get_lines()
                     if line.get_marker() not in (None, "None", ""))
        assert points == int(w.loc[w["format"] == fmt, "icc_a1"].notna().sum())
    if n <= P.MAX_NAMED_ROWS:
        assert set(m["display_name"]) <= set(_ytick_texts(fig))
    else:
        _assert_many_rows(fig, fig.axes[0], n)
        assert "1 without an estimate" in fig.axes[0].get_ylabel()


@pytest.mark.parametrize("n", [P.MAX_NAMED_ROWS, MANY, 400])
def test_profile_heatmap_names_models_up_to_the_limit_and_bands_the_clusters(n):
    m, cl = clustering(n, n)
    names = dict(zip(m["model_id"], m["display_name"], strict=True))
    fig = s2.plot_profile_heatmap(cl, names, THEME_LABELS)
    im = next(a for ax in fig.axes for a in ax.get_images())
    assert im.get_array().shape == (n, len(THEMES))
    ax_c = fig.axes[2]
    numbers = [t.get_text() for t in ax_c.texts]
    if n <= P.MAX_NAMED_ROWS:
        assert set(m["display_name"]) <= set(_ytick_texts(fig))
        assert len(numbers) == n
    else:
        _assert_many_rows(fig, fig.axes[1], n, ylabel_ax=ax_c)
        runs = P.cluster_runs([int(cl["labels"][mid]) for mid in cl["leaves"]])
        assert 1 <= len(numbers) <= len(runs)
        assert set(numbers) <= {str(c) for c, _, _ in runs}


def test_the_captions_of_the_per_model_figures_give_the_naming_limit():
    from pathlib import Path

    report = Path(__file__).resolve().parents[1] / "workflow" / "report"
    for caption in ("study1/prevalence_heatmap.rst", "study2/fig_stability.rst",
                    "study2/fig_profile_heatmap.rst", "study3/forest.rst"):
        text = " ".join((report / caption).read_text(encoding="utf-8").split())
        assert f"With more than {P.MAX_NAMED_ROWS} " in text, caption
