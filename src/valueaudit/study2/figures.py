"""Study 2 figures: the stability dot plot, the profile heatmap and the profile map
(matplotlib is imported lazily so the per-model jobs start fast)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_stability", "plot_profile_heatmap", "plot_profile_map"]

#: the height (in) of a model's row in the per-model figures: room for a 6 pt name
_ROW_PITCH_IN = 0.105
_NAME_PT = 6.0


def _pitch(n: int) -> float:
    """Row height (in) for ``n`` rows: 0.105 in, more (up to 0.2 in) for a few rows."""
    return max(_ROW_PITCH_IN, min(0.2, 1.5 / max(n, 1)))


def plot_stability(
    within: pd.DataFrame,
    labels: Mapping[str, str],
    tiers: Mapping[str, str],
    tier_levels: Sequence[str] = ("small", "mid", "frontier"),
    formats: Sequence[str] = ("rating", "ranking"),
    max_named: int | None = None,
):
    """Dot plot of ICC(A,1) with 95% CI per model, one panel per response format
    (lettered A, B, ... when there are several), models sorted by the first format's
    ICC(A,1); colour and marker by tier; models without an estimate are listed at the
    bottom with "NA". Up to ``max_named`` models (default
    :data:`valueaudit.plotting.MAX_NAMED_ROWS`) the figure grows with the number of models
    so that every name is printed at 6 pt; with more, each model is an unnamed row of axes
    :data:`valueaudit.plotting.MANY_ROWS_IN` tall (a caterpillar plot; the names are in the
    stability table) and the y label counts the models without an estimate, whose rows at
    the bottom are empty. x numbers in the tables' format."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from ..plotting import (
        DOUBLE,
        MANY_ROWS_IN,
        SINGLE,
        fit_rows,
        format_axes,
        many_rows,
        panel_letters,
        tier_style,
    )

    style = tier_style(list(tier_levels))
    first = within[within["format"] == formats[0]].set_index("model_id")
    order = (first.assign(_v=first["icc_a1"].astype(float).fillna(-np.inf))
             .sort_values(["_v", "model_id"], ascending=[True, False], kind="mergesort").index)
    ypos = {mid: i for i, mid in enumerate(order)}
    n = len(order)
    width = DOUBLE if len(formats) > 1 else SINGLE
    fig, axes = plt.subplots(1, len(formats), figsize=(width, 3.0), sharey=True,
                             squeeze=False, layout="constrained")
    finite = within[["icc_a1_low", "icc_a1"]].astype(float).to_numpy()
    finite = finite[np.isfinite(finite)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    many = many_rows(n, max_named)
    for ax, fmt in zip(axes[0], formats, strict=True):
        d = within[within["format"] == fmt].set_index("model_id")
        if many:
            _caterpillar(ax, d, ypos, style, tiers)
        for mid, row in ([] if many else d.iterrows()):
            y = ypos.get(mid)
            if y is None:
                continue
            st = style.get(str(tiers.get(mid)), {"color": "#000000", "marker": "o"})
            if np.isfinite(row["icc_a1"]):
                ax.plot([row["icc_a1_low"], row["icc_a1_high"]], [y, y], color=st["color"],
                        lw=0.8, solid_capstyle="butt")
                ax.plot(row["icc_a1"], y, marker=st["marker"], color=st["color"], ms=3.2,
                        mec="black", mew=0.3, ls="none")
            else:
                ax.text(lo + 0.01, y, "NA", va="center", ha="left", fontsize=_NAME_PT)
        ax.set_xlim(lo, 1.0)
        format_axes(ax, x="r")
        ax.set_title(f"{fmt.capitalize()} format")
        ax.set_xlabel("ICC(A,1) [95% CI]")
        ax.grid(axis="x", lw=0.3, color="0.85")
    if len(formats) > 1:
        panel_letters(axes[0])
    if many:
        missing = int(first["icc_a1"].astype(float).isna().sum()) + n - len(first)
        axes[0][0].set_yticks([])
        axes[0][0].set_ylabel(f"Models by ICC(A,1) (n = {n}"
                              + (f"; {missing} without an estimate, at the bottom" if missing
                                 else "") + ")")
    else:
        axes[0][0].set_yticks(range(n))
        axes[0][0].set_yticklabels([labels.get(m, m) for m in order], fontsize=_NAME_PT)
    axes[0][0].set_ylim(-0.7, n - 0.3)
    handles = [Line2D([], [], marker=style[t]["marker"], color=style[t]["color"], mec="black",
                      mew=0.3, ls="none", label=t) for t in tier_levels]
    fig.legend(handles=handles, loc="outside upper center", ncol=max(len(handles), 1),
               frameon=False)
    if many:
        fit_rows(fig, axes[0][0], 1, MANY_ROWS_IN)
    else:
        fit_rows(fig, axes[0][0], n + 0.4, _pitch(n))
    return fig


def _caterpillar(ax, d: pd.DataFrame, ypos: Mapping[str, int], style: Mapping[str, dict],
                 tiers: Mapping[str, str]) -> None:
    """The rows of many models at once: per tier one set of CI segments and one of points
    (models without an estimate are not drawn)."""
    y = np.array([ypos.get(m, -1) for m in d.index], dtype=float)
    est = d["icc_a1"].astype(float).to_numpy()
    keep = (y >= 0) & np.isfinite(est)
    tier_of = np.array([str(tiers.get(m)) for m in d.index], dtype=object)
    known = list(style)
    groups = [(t, style[t]) for t in known]
    groups.append((None, {"color": "#000000", "marker": "o"}))
    for t, st in groups:
        sel = keep & (np.isin(tier_of, known, invert=True) if t is None else tier_of == t)
        if not sel.any():
            continue
        ax.hlines(y[sel], d["icc_a1_low"].astype(float).to_numpy()[sel],
                  d["icc_a1_high"].astype(float).to_numpy()[sel], color=st["color"], lw=0.3)
        ax.plot(est[sel], y[sel], marker=st["marker"], color=st["color"], ms=1.4, mec="black",
                mew=0.1, ls="none")


def plot_profile_heatmap(
    clustering: Mapping[str, Any],
    labels: Mapping[str, str],
    theme_labels: Mapping[str, str],
    max_named: int | None = None,
):
    """Centred profiles as a heatmap (rows in dendrogram order) with the Ward dendrogram
    on the left and each model's cluster number and name on the right; a diverging
    colour-blind-safe map (:func:`valueaudit.plotting.diverging`) centred at 0 (the
    model's mean), symmetric about it. Up to ``max_named`` models (default
    :data:`valueaudit.plotting.MAX_NAMED_ROWS`) the figure grows with the number of models
    so that every name is printed at 6 pt; with more, the rows are unnamed in axes
    :data:`valueaudit.plotting.MANY_ROWS_IN` tall (the names are in the cluster membership
    table) and each run of rows of one cluster is shaded as a band, numbered where it is
    tall enough for the number. Colour-bar numbers in the tables' format."""
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    from ..plotting import (
        DOUBLE,
        MANY_ROWS_IN,
        cluster_runs,
        diverging,
        fit_rows,
        many_rows,
        number_formatter,
    )

    X = clustering["X"]
    leaves = list(clustering["leaves"])
    n, t = len(leaves), X.shape[1]
    fig = plt.figure(figsize=(DOUBLE, 3.0), layout="constrained")
    gs = fig.add_gridspec(1, 3, width_ratios=[1.0, 0.2 * t + 0.6, 0.2])
    ax_d = fig.add_subplot(gs[0, 0])
    ax_h = fig.add_subplot(gs[0, 1])
    ax_c = fig.add_subplot(gs[0, 2], sharey=ax_h)
    if clustering["linkage"] is not None:
        dendrogram(clustering["linkage"], orientation="left", ax=ax_d, no_labels=True,
                   link_color_func=lambda _k: "black")
        ax_d.set_ylim(10 * n, 0)  # first leaf at the top, like row 0 of the heatmap
    ax_d.set_axis_off()
    data = X.loc[leaves].to_numpy(dtype=float)
    cmap, norm = diverging(data)
    im = ax_h.imshow(data, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    ax_h.set_xticks(range(t))
    ax_h.set_xticklabels([theme_labels.get(c, c) for c in X.columns], rotation=35, ha="right",
                         rotation_mode="anchor")
    ax_h.tick_params(axis="y", left=False, labelleft=False)
    for sp in ax_h.spines.values():
        sp.set_visible(False)
    lab = clustering["labels"]
    many = many_rows(n, max_named)
    ax_c.set_xlim(0, 1)
    if many and len(lab):
        # a number needs about 8 pt of height: runs shorter than that are only shaded
        rows_per_number = 8 / 72 / (MANY_ROWS_IN / n)
        for c, start, stop in cluster_runs([int(lab[m]) for m in leaves]):
            if c % 2 == 0:
                ax_c.add_patch(plt.Rectangle((0, start - 0.5), 1, stop - start, color="0.85",
                                             lw=0))
            if stop - start >= rows_per_number:
                ax_c.text(0.5, (start + stop - 1) / 2, str(c), ha="center", va="center",
                          fontsize=_NAME_PT)
    for i, mid in enumerate([] if many else leaves):
        if len(lab):
            c = int(lab[mid])
            if c % 2 == 0:
                ax_c.add_patch(plt.Rectangle((0, i - 0.5), 1, 1, color="0.85", lw=0))
            ax_c.text(0.5, i, str(c), ha="center", va="center", fontsize=_NAME_PT)
    if many:
        ax_c.set_yticks([])
        ax_c.yaxis.set_label_position("right")
        ax_c.set_ylabel(f"Models in dendrogram order (n = {n})")
    else:
        ax_c.set_yticks(range(n), [str(labels.get(m, m)) for m in leaves], fontsize=_NAME_PT)
    ax_c.tick_params(axis="y", left=False, labelleft=False, right=False, labelright=not many,
                     pad=2)
    ax_c.tick_params(axis="x", bottom=False, labelbottom=False)
    ax_c.set_ylim(n - 0.5, -0.5)
    for sp in ax_c.spines.values():
        sp.set_visible(False)
    if len(lab):
        ax_c.set_xticks([0.5], ["Cluster"], rotation=35, ha="right", rotation_mode="anchor")
        ax_c.tick_params(axis="x", labelbottom=True, labelsize=_NAME_PT)
    cb = fig.colorbar(im, ax=ax_h, location="top", aspect=25, pad=0.02)
    cb.ax.xaxis.set_major_formatter(number_formatter("d2"))
    cb.set_label("Centred theme score (model mean removed)")
    if many:
        fit_rows(fig, ax_h, 1, MANY_ROWS_IN)
    else:
        fit_rows(fig, ax_h, n, _pitch(n))
    return fig


def plot_profile_map(
    pmap: Mapping[str, Any],
    clusters: pd.Series,
    theme_labels: Mapping[str, str],
):
    """Models on the first two principal components of their centred profiles; each
    cluster has its own colour AND marker; theme loadings drawn as arrows whose labels
    never overlap (:func:`valueaudit.plotting.place_labels`; a label that finds no free
    place is numbered and named in a key below the map); axis numbers in the tables'
    format."""
    import textwrap

    import matplotlib.pyplot as plt

    from ..plotting import MARKERS, OKABE_ITO, SINGLE, format_axes, place_labels

    coords = pmap["coords"]
    fig, ax = plt.subplots(figsize=(SINGLE, SINGLE))
    if len(clusters):
        for c in sorted(clusters.unique()):
            members = clusters.index[clusters == c]
            xy = coords.loc[members]
            i = int(c) - 1
            ax.scatter(xy["dim1"], xy["dim2"], s=14, marker=MARKERS[i % len(MARKERS)],
                       color=OKABE_ITO[i % len(OKABE_ITO)], edgecolor="black", linewidth=0.3,
                       label=f"Cluster {c} (n = {len(members)})", zorder=3)
    else:
        ax.scatter(coords["dim1"], coords["dim2"], s=14, color="black", zorder=3)
    load = pmap["loadings"]
    span = float(np.abs(coords.to_numpy()).max()) if coords.size else 1.0
    scale = 0.85 * span / max(float(np.abs(load.to_numpy()).max()), 1e-12)
    tips = load.to_numpy(dtype=float) * scale
    for x, y in tips:
        ax.annotate("", xy=(x, y), xytext=(0, 0),
                    arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.6}, zorder=2)
    pts = np.vstack([coords.to_numpy(), 1.2 * tips])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.08 * (hi - lo + 1e-12)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.axhline(0, color="0.85", lw=0.4, zorder=1)
    ax.axvline(0, color="0.85", lw=0.4, zorder=1)
    format_axes(ax, x="d2", y="d2")
    ev = pmap["explained"]
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}% of variance)")
    if len(clusters):
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01, 1.0, 0.0), mode="expand",
                  ncol=2, frameon=False, borderaxespad=0.0, handletextpad=0.3)
    # longest arrows labelled first; a label that finds no free place becomes a number
    order = list(np.argsort(-np.hypot(tips[:, 0], tips[:, 1]), kind="stable"))
    names = [str(theme_labels.get(th, th)) for th in load.index]
    numbered: list[int] = []
    key = None
    bottom = 0.0
    while True:
        fig.tight_layout(rect=(0, bottom, 1, 1))
        before = set(map(id, ax.texts))
        text = [str(numbered.index(i) + 1) if i in numbered else names[i] for i in order]
        _, missed = place_labels(ax, tips[order, 0], tips[order, 1], text, fontsize=_NAME_PT,
                                 color="0.25", zorder=4)
        new = [order[j] for j in missed if order[j] not in numbered]
        if not new:
            return fig
        for a in [a for a in ax.texts if id(a) not in before]:
            a.remove()
        numbered += new
        if key is not None:
            key.remove()
        key = fig.text(0.02, 0.0, textwrap.fill("Key: " + "; ".join(
            f"{k + 1} {names[i]}" for k, i in enumerate(numbered)), 70),
            fontsize=_NAME_PT, ha="left", va="bottom")
        fig.canvas.draw()
        key_in = key.get_window_extent().height / fig.dpi + 0.04
        fig.set_figheight(SINGLE + key_in)
        key.set_y(0.02 / fig.get_figheight())
        bottom = key_in / fig.get_figheight()
