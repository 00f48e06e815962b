"""Study 1 figures: prevalence heatmap, saturation curve, co-occurrence heatmap.

matplotlib is imported when a figure is drawn, not when the module is imported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import model_names

__all__ = ["plot_prevalence_heatmap", "plot_saturation", "plot_cooccurrence"]

#: rows per block of the prevalence heatmap before it is split into side-by-side blocks,
#: and the least height of one row (in): room for a 7 pt name with no overlap
_HEATMAP_ROWS = 40
_ROW_PITCH_IN = 0.125


def _text_width_in(labels: Sequence[str], fontsize: float | str) -> float:
    """Width (in) of the widest label set at ``fontsize`` in the current font."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(size=fontsize)
    return max((TextPath((0, 0), s, prop=prop).get_extents().width for s in labels if s),
               default=0.0) / 72.0


def plot_prevalence_heatmap(
    by_model: pd.DataFrame, themes: pd.DataFrame, models: pd.DataFrame | None = None,
    max_named: int | None = None,
):
    """Heatmap of theme prevalence: one row per model, one column per theme.

    ``by_model`` is :func:`prevalence` with ``by="model_id"``; ``models`` (optional,
    ``model_id`` and ``short_name`` or ``display_name``, named as
    :func:`valueaudit.contracts.model_names` gives) orders and names the rows (else the
    model ids). Every
    model is named at the figure's tick size: the figure grows by 0.125 in (for a few
    models up to 0.22 in) per row, and a list longer than 40 models is split into
    side-by-side blocks (as many as fit in two columns). With more than ``max_named``
    models (default :data:`valueaudit.plotting.MAX_NAMED_ROWS`) the rows are unnamed, in
    one block :data:`valueaudit.plotting.MANY_ROWS_IN` tall (the names are in the
    prevalence-by-model table). Sequential colour-blind-safe map (cividis, monotone in
    lightness, so it reads in greyscale); colour-bar numbers in the tables' format.
    """
    import matplotlib.pyplot as plt

    from ..plotting import DOUBLE, MANY_ROWS_IN, SINGLE, fit_rows, many_rows, number_formatter

    present = list(dict.fromkeys(by_model["model_id"]))
    if models is not None:
        order = [m for m in models["model_id"] if m in set(present)]
        order += [m for m in present if m not in set(order)]
        names = model_names(models)
    else:
        order, names = present, {}
    mat = (by_model.pivot(index="model_id", columns="theme", values="prevalence")
           .reindex(index=order, columns=list(themes["theme"])).to_numpy(dtype=float))
    labels = [str(names.get(m, m)) for m in order]
    n_m, n_t = len(order), len(themes)
    many = many_rows(n_m, max_named)
    # a block: the names, a gap, at least 0.12 in per theme; the colour bar sits below
    names_in = 0.0 if many else _text_width_in(labels, plt.rcParams["ytick.labelsize"])
    block_in = names_in + 0.15 + 0.12 * n_t
    fits = max(1, int((DOUBLE - 0.1) // block_in))
    n_blocks = 1 if many else max(1, min(math.ceil(n_m / _HEATMAP_ROWS), fits))
    per = math.ceil(n_m / n_blocks) if n_m else 1
    width = SINGLE if n_blocks * block_in + 0.3 <= SINGLE else DOUBLE
    fig, axes = plt.subplots(1, n_blocks, figsize=(width, 3.0), squeeze=False,
                             layout="constrained")
    axes = list(axes[0])
    im = None
    for b, ax in enumerate(axes):
        rows = slice(b * per, min((b + 1) * per, n_m))
        block = np.full((per, n_t), np.nan)
        block[: rows.stop - rows.start] = mat[rows]
        im = ax.imshow(block, aspect="auto", cmap="cividis", vmin=0, vmax=1,
                       interpolation="nearest")
        if many:
            ax.set_yticks([])
        else:
            ax.set_yticks(range(rows.stop - rows.start), labels[rows])
        ax.set_ylim(per - 0.5, -0.5)
        ax.set_xticks(range(n_t), list(themes["label"]), rotation=45, ha="left",
                      rotation_mode="anchor")
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
    axes[0].set_ylabel(f"Model (n = {n_m})")
    cb = fig.colorbar(im, ax=axes, location="bottom", shrink=min(1.0, 2.4 / width),
                      aspect=30, pad=0.02)
    cb.ax.xaxis.set_major_formatter(number_formatter("r"))
    cb.set_label("Prevalence")
    if many:
        fit_rows(fig, axes[0], 1, MANY_ROWS_IN)
    else:
        fit_rows(fig, axes[0], per, max(_ROW_PITCH_IN, min(0.22, 1.5 / per)))
    return fig


def plot_saturation(curve: pd.DataFrame, summary: dict[str, Any]):
    """Saturation curve: mean distinct codes with its band, the threshold and its point.

    The x axis is logarithmic, so the early rise and the plateau are both visible.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from ..plotting import OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.5))
    x = curve["n_responses"].to_numpy()
    ax.fill_between(x, curve["low"], curve["high"], color=OKABE_ITO[0], alpha=0.25, lw=0,
                    label="95% band over orders")
    ax.plot(x, curve["low"], color=OKABE_ITO[0], lw=0.6, ls=":")
    ax.plot(x, curve["high"], color=OKABE_ITO[0], lw=0.6, ls=":")
    ax.plot(x, curve["mean"], color=OKABE_ITO[0], lw=1.4, ls="-", label="Mean")
    level = summary["threshold"] * summary["n_codes"]
    ax.axhline(level, color="black", lw=0.8, ls="--",
               label=f"{summary['threshold']:.0%} of {summary['n_codes']} codes")
    ax.axvline(summary["n_at_threshold"], color=OKABE_ITO[5], lw=0.8, ls="-.",
               label=f"Reached at n = {summary['n_at_threshold']}")
    ax.set_xscale("log")
    format_axes(ax, x="int", y="int")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Responses analysed (log scale)")
    ax.set_ylabel("Distinct codes")
    ax.set_ylim(0, summary["n_codes"] * 1.05)
    ax.set_xlim(1, max(int(x.max()), 2))
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def plot_cooccurrence(cooc: pd.DataFrame, themes: pd.DataFrame):
    """Theme co-occurrence (Jaccard) heatmap, lower triangle, values printed; cells and
    colour bar in the tables' number format."""
    import matplotlib.pyplot as plt

    from ..plotting import SINGLE, number_formatter
    from ..tables import apa

    ids = list(themes["theme"])
    mat = (cooc.pivot(index="theme_a", columns="theme_b", values="jaccard")
           .reindex(index=ids, columns=ids).to_numpy(dtype=float))
    n = len(ids)
    # rows 2..T against columns 1..T-1: the strict lower triangle without empty margins
    show = np.where(np.tril(np.ones((n, n), dtype=bool), k=-1), mat, np.nan)[1:, :-1]
    fig, ax = plt.subplots(figsize=(SINGLE, SINGLE * 0.9))
    im = ax.imshow(show, cmap="cividis", vmin=0, vmax=1, interpolation="nearest")
    for i in range(n - 1):
        for j in range(i + 1):
            v = show[i, j]
            if np.isfinite(v):
                ax.text(j, i, apa(v, "r"), ha="center", va="center", fontsize=6,
                        color="white" if v < 0.5 else "black")
    labels = list(themes["label"])
    ax.set_xticks(range(n - 1), labels[:-1], rotation=45, ha="right")
    ax.set_yticks(range(n - 1), labels[1:])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    cb.ax.yaxis.set_major_formatter(number_formatter("r"))
    cb.set_label("Jaccard index")
    fig.tight_layout()
    return fig

