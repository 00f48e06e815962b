"""Study 3 ordering-exaggeration figure and its label geometry."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..tables import _finite

__all__ = ["VERDICT_STYLE", "plot_ordering_exaggeration"]

#: marker style per calibration verdict (:func:`valueaudit.fidelity.verdict`): colour
#: (Okabe-Ito) and shape differ, so the verdicts are told apart in greyscale too
VERDICT_STYLE = {
    "exaggerates": {"color": "#D55E00", "marker": "^", "mfc": "#D55E00"},
    "flattens": {"color": "#0072B2", "marker": "v", "mfc": "#0072B2"},
    "calibrated": {"color": "#009E73", "marker": "o", "mfc": "#009E73"},
    "inconclusive": {"color": "0.35", "marker": "s", "mfc": "white"},
    "undetermined": {"color": "black", "marker": "D", "mfc": "white"},
}
#: row height (pt) of one model in the ordering-exaggeration figure
_ROW_PT = 3.4


def _ordering_rows(b: pd.DataFrame, gap: float = 1.0, min_band: float = 2.0):
    """Vertical positions for the ordering-exaggeration figure: one band per distinct
    ordering value (highest on top), one row per model within its band, sorted by ln k
    (ascending upwards, ties by model id). Returns ``(y, bands)``; ``bands``: rows
    ``value, centre, low, high`` (band extent in row units)."""
    rho = b["ordering"].to_numpy(dtype=float).round(9)
    ex = b["exaggeration"].to_numpy(dtype=float)
    y = np.full(len(b), np.nan)
    bands, pos = [], 0.0
    for v in np.unique(rho[np.isfinite(rho)]):
        idx = np.flatnonzero(rho == v)
        idx = idx[np.lexsort((b["model_id"].to_numpy()[idx].astype(str), ex[idx]))]
        height = max(float(idx.size), min_band)
        first = pos + (height - idx.size) / 2
        y[idx] = first + np.arange(idx.size)
        bands.append({"value": float(v), "centre": pos + (height - 1) / 2,
                      "low": pos - 0.5, "high": pos + height - 0.5})
        pos += height + gap
    return y, pd.DataFrame(bands, columns=["value", "centre", "low", "high"])


def _label_candidates(b: pd.DataFrame, max_labels: int) -> list[int]:
    """Row indices of ``b`` to name, most important first: in turn the largest ln k, the
    smallest ln k and the lowest ordering not yet chosen, until ``max_labels``."""
    ex = b["exaggeration"].to_numpy(dtype=float)
    rho = b["ordering"].to_numpy(dtype=float)
    ids = b["model_id"].to_numpy().astype(str)
    ok = np.flatnonzero(np.isfinite(ex) & np.isfinite(rho))
    lists = [sorted(ok, key=lambda i: (-ex[i], ids[i])), sorted(ok, key=lambda i: (ex[i], ids[i])),
             sorted(ok, key=lambda i: (rho[i], -abs(ex[i]), ids[i]))]
    chosen: list[int] = []
    pointers = [0, 0, 0]
    while len(chosen) < min(max_labels, ok.size):
        for j, lst in enumerate(lists):
            while pointers[j] < len(lst) and lst[pointers[j]] in chosen:
                pointers[j] += 1
            if pointers[j] < len(lst) and len(chosen) < max_labels:
                chosen.append(int(lst[pointers[j]]))
    return chosen


def plot_ordering_exaggeration(board: pd.DataFrame, tiers: Sequence[str], rho_crit: float,
                               max_labels: int = 10):
    """Ordering (Spearman rho) against exaggeration ln k with its 95% CI, marked by
    calibration verdict.

    Ordering takes few values (T themes), so every distinct value is a band of rows
    (highest on top, not to scale), one row per model sorted by ln k: every point and
    its CI stays visible. Colour and marker shape give the verdict
    (:data:`VERDICT_STYLE`; :func:`valueaudit.fidelity.verdict`). Dashed lines: ln k = 0
    and the order criterion ``rho_crit`` (between the bands below and at or above it);
    dotted lines: +-ln(calibration margin). Shaded: the quadrant "ordered but
    exaggerated" (ln k > 0, ordering >= ``rho_crit``). At most ``max_labels`` models are
    named (in turn the largest ln k, the smallest ln k, the lowest ordering), by name
    beside the point where it fits without touching another label or point, else by a
    number explained in a key below the panel. ``tiers`` is accepted for a uniform
    call signature; tiers are shown in the forest figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.transforms import Bbox

    from ..plotting import MIN_FONT_PT, SINGLE, format_axes, number_formatter

    b = board[board["analysed"].astype(bool)].reset_index(drop=True)
    ex = b["exaggeration"].to_numpy(dtype=float)
    lo = b["exaggeration_lo"].to_numpy(dtype=float)
    hi = b["exaggeration_hi"].to_numpy(dtype=float)
    flag = b["flag"].astype(str).where(b["flag"].astype(str).isin(list(VERDICT_STYLE)),
                                       "undetermined").to_numpy()
    y, bands = _ordering_rows(b)
    shown = np.isfinite(ex) & np.isfinite(y)
    head = 3.0  # rows above the top band, for the quadrant label
    top = (float(bands["high"].max()) if len(bands) else 0.5) + head
    bottom = -1.0
    axes_h = (top - bottom) * _ROW_PT / 72.0
    fig_h = max(2.6, axes_h + 1.25)
    fig, ax = plt.subplots(figsize=(SINGLE, fig_h))
    finite = np.r_[lo[np.isfinite(lo)], hi[np.isfinite(hi)], ex[np.isfinite(ex)], -0.1, 0.1]
    span = float(finite.max() - finite.min())
    xmin, xmax = float(finite.min()) - 0.04 * span, float(finite.max()) + 0.04 * span
    # order criterion: between the bands below it and those at or above it
    crit_y = None
    if _finite(rho_crit) and len(bands):
        above = bands[bands["value"] >= rho_crit - 1e-9]
        below = bands[bands["value"] < rho_crit - 1e-9]
        if len(above):
            crit_y = ((float(above["low"].min()) + float(below["high"].max())) / 2
                      if len(below) else bottom)
    if crit_y is not None:
        ax.fill_between([0, xmax], crit_y, top, color="0.9", lw=0, zorder=0)
        if crit_y > bottom:
            ax.axhline(crit_y, color="0.4", lw=0.7, ls="--", zorder=1)
        quad = ax.text(xmax - 0.01 * span, top - 0.4, "ordered but exaggerated", ha="right",
                       va="top", fontsize=MIN_FONT_PT, style="italic", zorder=5)
    else:
        quad = None
    ax.axvline(0, color="0.4", lw=0.7, ls="--", zorder=1)
    margins = pd.to_numeric(b.get("calibration_margin", pd.Series(dtype=float)),
                            errors="coerce").dropna()
    has_margin = bool(len(margins) and float(margins.iloc[0]) > 1)
    if has_margin:
        d = math.log(float(margins.iloc[0]))
        for v in (-d, d):
            ax.axvline(v, color="0.55", lw=0.5, ls=":", zorder=1)
    present = []
    for v, st in VERDICT_STYLE.items():
        sel = shown & (flag == v)
        if not sel.any():
            continue
        present.append(v)
        xerr = np.vstack([np.clip(ex[sel] - lo[sel], 0, None), np.clip(hi[sel] - ex[sel], 0, None)])
        xerr = np.where(np.isfinite(xerr), xerr, 0.0)
        ax.errorbar(ex[sel], y[sel], xerr=xerr, fmt="none", ecolor=st["color"], elinewidth=0.6,
                    capsize=0, alpha=0.8, zorder=2)
        ax.plot(ex[sel], y[sel], ls="", marker=st["marker"], ms=3.2, color=st["color"],
                mfc=st["mfc"], mec="black" if st["mfc"] != "white" else st["color"], mew=0.3,
                zorder=3)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(bottom, top)
    vals = bands["value"].to_numpy(dtype=float)
    ticks = [number_formatter("r")(v) for v in vals]
    if len(set(ticks)) < len(ticks):  # two values that round alike: three decimals
        ticks = [(f"{v:.3f}".replace("0.", ".", 1) if abs(v) < 1 else f"{v:.3f}")
                 .replace("-", "\u2212") for v in vals]
    ax.set_yticks(bands["centre"].to_numpy(dtype=float))
    ax.set_yticklabels(ticks)
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("Ordering (Spearman \u03c1)\nbands not to scale")
    ax.set_xlabel("Exaggeration ln k [95% CI]\n(< 0 flattens, > 0 exaggerates)")
    format_axes(ax, x="d2")
    handles = [Line2D([], [], ls="", marker=VERDICT_STYLE[v]["marker"], ms=3.5,
                      color=VERDICT_STYLE[v]["color"], mfc=VERDICT_STYLE[v]["mfc"],
                      mec="black" if VERDICT_STYLE[v]["mfc"] != "white"
                      else VERDICT_STYLE[v]["color"], mew=0.3, label=v) for v in present]
    if has_margin:
        handles.append(Line2D([], [], color="0.55", lw=0.5, ls=":", label="calibration margin"))
    ax.legend(handles=handles, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=3, fontsize=MIN_FONT_PT, columnspacing=1.0, handletextpad=0.3,
              borderaxespad=0.2)
    fig.tight_layout(pad=0.3)
    # labels after the final layout: on the model's own row, right of its CI (left for
    # ln k < 0, or where it fits); a name where it fits, else a number explained in a key
    cand = [i for i in _label_candidates(b, int(np.sum(shown))) if shown[i]]
    names = [str(b["display_name"].iloc[i] if isinstance(b["display_name"].iloc[i], str)
                 else b["model_id"].iloc[i]) for i in cand]
    renderer = _draw(fig)
    r_px = 2.0 * fig.dpi / 72.0
    pts = ax.transData.transform(np.c_[np.where(shown, ex, 0.0), np.where(shown, y, 0.0)])
    marks = {i: Bbox([[u - r_px, v - r_px], [u + r_px, v + r_px]])
             for i, (u, v) in enumerate(pts) if shown[i]}
    taken = [quad.get_window_extent(renderer)] if quad is not None else []
    axbox = ax.get_window_extent(renderer)
    key: list[str] = []
    n_labels = 0
    for i, name in zip(cand, names, strict=True):
        if n_labels >= max_labels:
            break
        right = max(hi[i], ex[i]) if np.isfinite(hi[i]) else ex[i]
        left = min(lo[i], ex[i]) if np.isfinite(lo[i]) else ex[i]
        sides = [(right, 1), (left, -1)] if ex[i] >= 0 else [(left, -1), (right, 1)]
        for text, weight in ((name, "normal"), (str(len(key) + 1), "bold")):
            others = taken + [m for j, m in marks.items() if j != i]
            box = _fit_row_label(ax, text, weight, sides, y[i], others, axbox, renderer)
            if box is not None:
                taken.append(box)
                n_labels += 1
                if weight == "bold":
                    key.append(f"{text}: {name}")
                break
    if key:
        _add_key(fig, ax, key, renderer)
    return fig


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _fit_row_label(ax, text: str, weight: str, sides, y: float, taken, axbox, renderer):
    """Put ``text`` at height ``y`` beside the first of ``sides`` ((x, +1 right / -1
    left) in data units) where its box stays inside the axes and touches no box of
    ``taken``; return its box (display units), or None (nothing drawn)."""
    from ..plotting import MIN_FONT_PT

    for x, direction in sides:
        t = ax.annotate(text, xy=(x, y), xytext=(2.0 * direction, 0), textcoords="offset points",
                        ha="left" if direction > 0 else "right", va="center",
                        fontsize=MIN_FONT_PT, fontweight=weight, zorder=6)
        box = t.get_window_extent(renderer)
        inside = (box.x0 >= axbox.x0 and box.x1 <= axbox.x1 and box.y0 >= axbox.y0
                  and box.y1 <= axbox.y1)
        if inside and not any(box.overlaps(o) for o in taken):
            return box
        t.remove()
    return None


def _add_key(fig, ax, entries: Sequence[str], renderer) -> None:
    """Numbered key below the panel, entries wrapped to the figure width; the figure
    grows downwards and the axes keep their size and place in inches (so the labels
    placed beside the points stay where they are)."""
    from ..plotting import MIN_FONT_PT

    width_px = fig.bbox.width - 8 * fig.dpi / 72.0
    lines, line = [], ""
    for e in entries:
        trial = f"{line};  {e}" if line else e
        probe = fig.text(0, 0, trial, fontsize=MIN_FONT_PT)
        fits = probe.get_window_extent(renderer).width <= width_px
        probe.remove()
        if fits or not line:
            line = trial
        else:
            lines.append(line)
            line = e
    lines.append(line)
    extra = (len(lines) * 1.3 * MIN_FONT_PT + 4) / 72.0
    w, h = fig.get_size_inches()
    pos = ax.get_position()
    fig.set_size_inches(w, h + extra)
    ax.set_position([pos.x0, (pos.y0 * h + extra) / (h + extra), pos.width,
                     pos.height * h / (h + extra)])
    fig.text(4.0 / 72.0 / w, 2.0 / 72.0 / (h + extra), "\n".join(lines), ha="left",
             va="bottom", fontsize=MIN_FONT_PT, linespacing=1.3)
