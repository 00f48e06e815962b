"""The figures' common style: widths, text sizes, labels that never overlap, checked on
the drawn figure and on the saved PDF and PNG."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit import plotting as P


@pytest.fixture(autouse=True)
def _style():
    P.setup()
    yield
    plt.close("all")


def _good(width=P.SINGLE, n_panels=1):
    fig, axes = plt.subplots(1, n_panels, figsize=(width, 2.4), squeeze=False)
    for ax in axes[0]:
        ax.plot([0, 1, 2], [-0.5, 0.2, 0.9], marker="o")
        ax.set_xlabel("Session")
        ax.set_ylabel("Fidelity")
    fig.tight_layout()
    return fig


def test_the_house_style_passes_its_own_check():
    assert P.check_figure(_good()) == []
    assert P.check_figure(_good(P.DOUBLE, 3)) == []


def test_the_check_finds_small_text_wrong_widths_and_cut_off_text():
    fig = _good(5.0)
    fig.axes[0].text(0.5, 0.5, "tiny", fontsize=4.5)
    fig.axes[0].text(2.6, 0.0, "far right, cut off", fontsize=7)
    problems = P.check_figure(fig)
    assert any(p.startswith("width 5.00 in") for p in problems)
    assert any("below 6 pt (sizes 4.5 pt)" in p and "'tiny'" in p for p in problems)
    assert any("reach outside the figure" in p for p in problems)


def test_math_superscripts_count_at_their_printed_size(tmp_path):
    fig, ax = plt.subplots(figsize=(P.SINGLE, 2.4))
    ax.set_xscale("log")
    ax.plot([1, 1000], [0, 1])
    fig.tight_layout()
    assert any("(sizes 4.9 pt)" in p for p in P.check_figure(fig))
    P.save_figure(fig, tmp_path / "log")
    assert P.check_saved_figure(tmp_path / "log.pdf") == ["log.pdf: text at 4.9 pt, below 6 pt"]


def test_the_check_finds_overlapping_text_also_when_rotated():
    fig = _good()
    ax = fig.axes[0]
    ax.text(1, 0, "Overlapping label", fontsize=7)
    ax.text(1.05, 0.02, "another label", fontsize=7)
    assert any("overlapping" in p for p in P.check_figure(fig))
    fig2 = _good()
    ax = fig2.axes[0]
    ax.set_xticks([0, 1, 2], ["Ethics and Responsibility", "Performance", "Relational"],
                  rotation=45, ha="right")
    fig2.tight_layout()
    # the boxes of 45-degree labels overlap as rectangles, the rotated texts do not
    assert P.find_overlaps(fig2) == []
    # ticks outside the view interval are not drawn and not checked
    assert all("reach outside" not in p for p in P.check_figure(fig2))


def test_saved_files_have_the_figure_width_and_its_font_sizes(tmp_path):
    paths = P.save_figure(_good(P.DOUBLE, 2), tmp_path / "good")
    for p in paths:
        w, h = P.saved_figure_size(p)
        assert w == pytest.approx(P.DOUBLE, abs=0.01) and h == pytest.approx(2.4, abs=0.01)
        assert P.check_saved_figure(p) == []
    sizes = P.pdf_font_sizes(tmp_path / "good.pdf")
    assert sizes and min(sizes) == pytest.approx(7.0)
    fig = _good()
    fig.axes[0].set_title("small title", fontsize=5)
    P.save_figure(fig, tmp_path / "small")
    assert P.check_saved_figure(tmp_path / "small.pdf") == [
        "small.pdf: text at 5 pt, below 6 pt"]
    assert P.check_saved_figure(tmp_path / "small.png") == []
    first = (tmp_path / "good.png").read_bytes()
    P.save_figure(_good(P.DOUBLE, 2), tmp_path / "good")
    assert (tmp_path / "good.png").read_bytes() == first


def test_panel_letters_number_format_and_diverging_map():
    fig = _good(P.DOUBLE, 3)
    letters = P.panel_letters(fig.axes)
    assert [t.get_text() for t in letters] == ["A", "B", "C"]
    assert all(t.get_fontweight() == "bold" for t in letters)
    fmt_r, fmt_d = P.number_formatter("r"), P.number_formatter("d2")
    assert fmt_r(-0.5) == "\u2212.50" and fmt_r(0.25) == ".25" and fmt_d(-1.5) == "\u22121.50"
    assert fmt_d(-1e-15) == "0.00"
    cmap, norm = P.diverging([-0.2, 0.1, np.nan, 0.5])
    assert norm(0.0) == pytest.approx(0.5) and norm(-0.5) == pytest.approx(0.0)
    assert np.allclose(cmap(0.5)[:3], [0.97, 0.97, 0.97], atol=0.02)
    lo, hi = np.array(cmap(0.0)[:3]), np.array(cmap(1.0)[:3])
    assert lo[2] > lo[0] and hi[0] > hi[2]  # blue below the centre, vermillion above


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.integers(min_value=2, max_value=45))
def test_placed_labels_never_overlap(seed, n):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n) * rng.uniform(0.05, 1), rng.normal(size=n)
    fig, ax = plt.subplots(figsize=(P.SINGLE, 3.0))
    ax.scatter(x, y, s=8)
    fig.tight_layout()
    names = [f"Model {i} Frontier" for i in range(n)]
    placed, missed = P.place_labels(ax, x, y, names)
    assert len(placed) + len(missed) == n and len(placed) >= 1
    assert P.find_overlaps(fig, placed) == []
    box = ax.get_window_extent()
    for t in placed:
        b = t.get_window_extent()
        assert box.x0 <= b.x0 and b.x1 <= box.x1 and box.y0 <= b.y0 and b.y1 <= box.y1
    plt.close(fig)


@pytest.mark.e2e
def test_every_saved_figure_has_a_journal_width(small_run):
    figs = sorted((small_run / "results/paper/figures").glob("*.p[dn][fg]"))
    assert figs
    bad = [p for f in figs for p in P.check_saved_figure(f) if "width" in p]
    assert bad == []


@pytest.mark.e2e
def test_every_saved_figure_has_text_of_at_least_6pt(small_run):
    figs = sorted((small_run / "results/paper/figures").glob("*.pdf"))
    assert figs
    bad = [p for f in figs for p in P.check_saved_figure(f) if "below" in p]
    assert bad == []
