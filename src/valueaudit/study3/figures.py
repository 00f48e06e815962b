"""Study 3 figures: theme profiles, the forest plot, fidelity against model
characteristics, the focal-theme rank and the respondent-level distributions.
The ordering-exaggeration figure is in :mod:`valueaudit.study3.quadrant`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..tables import _finite, apa, format_p
from .model_characteristics import KRUSKAL, RECENCY, SIZE, SPEARMAN, TIER, decimal_year

__all__ = ["plot_profiles", "plot_forest", "plot_characteristics", "plot_focal_rank",
           "plot_respondent_level"]


def plot_profiles(human: pd.DataFrame, consensus: pd.DataFrame, model_profiles: pd.DataFrame,
                  scale: tuple[float, float] | None = None, ylabel: str = "Theme score"):
    """Human and consensus-LLM profiles with 95% CIs; thin grey lines: single models.

    Themes on the x axis in the order of the human means (descending). Humans:
    black circles, solid line; consensus LLM: orange squares, dashed line.
    """
    import matplotlib.pyplot as plt

    from ..plotting import OKABE_ITO, SINGLE

    order = human.sort_values(["mean", "theme"], ascending=[False, True])["theme"].tolist()
    lab = dict(zip(human["theme"], human["label"], strict=True))
    h = human.set_index("theme").loc[order]
    c = consensus.set_index("theme").loc[order]
    x = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(SINGLE, 2.6))
    for _, row in model_profiles[order].iterrows():
        ax.plot(x, row.to_numpy(dtype=float), color="0.75", lw=0.4, alpha=0.6, zorder=1)
    ax.errorbar(x - 0.06, h["mean"], yerr=[h["mean"] - h["ci_low"], h["ci_high"] - h["mean"]],
                color="black", marker="o", ms=4, lw=1.2, ls="-", capsize=2,
                label=f"Humans (N = {int(h['n'].iloc[0])})", zorder=3)
    ax.errorbar(x + 0.06, c["mean"], yerr=[c["mean"] - c["ci_low"], c["ci_high"] - c["mean"]],
                color=OKABE_ITO[1], marker="s", ms=4, lw=1.2, ls="--", capsize=2,
                mfc="white", label=f"Consensus LLM ({int(c['n_models'].iloc[0])} models)",
                zorder=3)
    ax.plot([], [], color="0.75", lw=0.6, label="Single models")
    ax.set_xticks(x)
    ax.set_xticklabels([lab[t] for t in order], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if scale is not None:
        ax.set_ylim(scale[0] - 0.1, scale[1] + 0.1)
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def plot_forest(board: pd.DataFrame, tiers: Sequence[str], ceiling: Mapping[str, Any],
                null_median: float | None = None, max_named: int | None = None):
    """Fidelity with 95% CIs per analysed model, coloured and marked by tier.

    Grey band and solid line: the human noise ceiling (interval over random splits
    and mean); dotted line: the median shuffled-label null fidelity. Up to ``max_named``
    analysed models (default :data:`valueaudit.plotting.MAX_NAMED_ROWS`) every model is
    named; with more, the rows (leaderboard order) are unnamed in axes about
    :data:`valueaudit.plotting.MANY_ROWS_IN` tall (the names are in the leaderboard table).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..plotting import (
        MANY_ROWS_IN,
        MIN_FONT_PT,
        SINGLE,
        format_axes,
        many_rows,
        tier_style,
    )

    b = board[board["analysed"].astype(bool)].reset_index(drop=True)
    n = len(b)
    many = many_rows(n, max_named)
    style = tier_style(list(tiers))
    # one row per model, tall enough for its 6 pt name
    height = 1.0 + MANY_ROWS_IN if many else max(2.2, 1.0 + 0.112 * n)
    fig, ax = plt.subplots(figsize=(SINGLE, height))
    y = np.arange(n)[::-1]
    if _finite(ceiling.get("lo")):
        ax.axvspan(ceiling["lo"], ceiling["hi"], color="0.88", zorder=0)
        ax.axvline(ceiling["fidelity"], color="0.4", lw=0.8, zorder=1)
    if null_median is not None and _finite(null_median):
        ax.axvline(null_median, color="0.3", lw=0.8, ls=":", zorder=1)
    for t in tiers:
        sel = (b["tier"].astype(str) == t).to_numpy()
        if not sel.any():
            continue
        s = style[t]
        # CI drawn as a segment: a bias-corrected point estimate may lie off the centre
        # of its pivotal interval (see valueaudit.fidelity.bootstrap_fidelity)
        ax.hlines(y[sel], b.loc[sel, "fidelity_lo"], b.loc[sel, "fidelity_hi"],
                  color=s["color"], lw=0.3 if many else 0.7, zorder=2)
        ax.plot(b.loc[sel, "fidelity"], y[sel], ls="", marker=s["marker"], color=s["color"],
                ms=1.4 if many else 2.8, mec="black", mew=0.1 if many else 0.2, zorder=3)
    if many:
        ax.set_yticks([])
        ax.set_ylabel(f"Models in leaderboard order (n = {n})")
    else:
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in b["display_name"].fillna(b["model_id"])],
                           fontsize=MIN_FONT_PT)
    ax.tick_params(axis="y", length=2, pad=1.5)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("Profile fidelity [95% CI]")
    format_axes(ax, x="r")
    handles = [Line2D([], [], marker=style[t]["marker"], color=style[t]["color"], ls="",
                      ms=3.5, label=t) for t in tiers if (b["tier"].astype(str) == t).any()]
    handles.append(Patch(facecolor="0.88", edgecolor="0.4", label="Human noise ceiling"))
    if null_median is not None and _finite(null_median):
        handles.append(Line2D([], [], color="0.3", ls=":", label="Shuffled-label null"))
    ax.legend(handles=handles, frameon=False, loc="lower center", bbox_to_anchor=(0.45, 1.0),
              ncol=3, fontsize=MIN_FONT_PT, columnspacing=1.0, handletextpad=0.3)
    fig.tight_layout()
    return fig


def plot_characteristics(fidelity: pd.DataFrame, tests: pd.DataFrame, tiers: Sequence[str],
                         fmt: str, seed: int = 0):
    """Fidelity against size (log scale), release date and tier (three panels).

    Each panel is titled with its test (Spearman rho, or Kruskal-Wallis H) and n;
    models without a value are left out (their number is printed). Tier panel:
    boxes with the models as points (deterministic horizontal jitter from ``seed``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    from ..plotting import DOUBLE, MIN_FONT_PT, format_axes, panel_letters, tier_style

    d = fidelity[(fidelity["format"] == fmt) & fidelity["analysed"].astype(bool)].copy()
    style = tier_style(list(tiers))
    y = pd.to_numeric(d["fidelity"], errors="coerce")
    params = pd.to_numeric(d["params_b"], errors="coerce")
    year = decimal_year(d["release_date"])
    fig, axes = plt.subplots(1, 3, figsize=(DOUBLE, 2.6), sharey=True)

    def title(pred: str, test: str) -> str:
        r = tests[(tests["predictor"] == pred) & (tests["test"] == test)]
        if not len(r) or not _finite(r["statistic"].iloc[0]):
            return "not computable"
        r = r.iloc[0]
        miss = f", {int(r['n_missing'])} left out" if r["n_missing"] else ""
        sym = "\u03c1" if test.startswith("Spearman") else "H"
        return (f"{sym} = {apa(r['statistic'], 'r' if sym != 'H' else 'd2')}, "
                f"p = {format_p(r['p']).replace('< ', '<')} (n = {int(r['n'])}{miss})")

    for t in tiers:
        sel = (d["tier"].astype(str) == t).to_numpy() & params.notna().to_numpy()
        if sel.any():
            axes[0].scatter(params[sel], y[sel], marker=style[t]["marker"], s=12,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3, label=t)
        sel2 = (d["tier"].astype(str) == t).to_numpy() & year.notna().to_numpy()
        if sel2.any():
            axes[1].scatter(year[sel2], y[sel2], marker=style[t]["marker"], s=12,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3)
    axes[0].set_xscale("log")
    axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes[0].xaxis.set_minor_formatter(NullFormatter())
    axes[0].set_xlabel("Parameters (billions, log scale)")
    axes[0].set_ylabel("Profile fidelity")
    axes[0].set_title(title(SIZE, SPEARMAN), fontsize=MIN_FONT_PT,
                      loc="right")
    axes[1].set_xlabel("Release date (year)")
    axes[1].set_title(title(RECENCY, SPEARMAN), fontsize=MIN_FONT_PT, loc="right")
    axes[1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    rng = np.random.default_rng(seed)
    data, pos = [], []
    for i, t in enumerate(tiers):
        v = y[(d["tier"].astype(str) == t).to_numpy()].dropna().to_numpy()
        if v.size:
            data.append(v)
            pos.append(i)
            jit = rng.uniform(-0.15, 0.15, v.size)
            axes[2].scatter(i + jit, v, marker=style[t]["marker"], s=10,
                            facecolor=style[t]["color"], edgecolor="black", lw=0.3, zorder=3)
    if data:
        axes[2].boxplot(data, positions=pos, widths=0.5, showfliers=False,
                        medianprops={"color": "black"}, boxprops={"color": "0.4"},
                        whiskerprops={"color": "0.4"}, capprops={"color": "0.4"})
    axes[2].set_xticks(range(len(tiers)))
    axes[2].set_xticklabels(list(tiers))
    axes[2].set_xlim(-0.6, len(tiers) - 0.4)
    axes[2].set_xlabel("Capability tier")
    axes[2].set_title(title(TIER, KRUSKAL), fontsize=MIN_FONT_PT, loc="right")
    format_axes(axes[0], y="r")
    panel_letters(axes)
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, frameon=False, fontsize=MIN_FONT_PT, loc="lower center",
                   ncol=len(handles), bbox_to_anchor=(0.5, 0.0), handletextpad=0.3)
    fig.tight_layout(rect=(0, 0.07 if handles else 0, 1, 1))
    return fig


def plot_focal_rank(positions: pd.DataFrame, human_rank: float, label: str, n_models: int,
                    n_humans: int):
    """Where the focal theme (Agency) ranks: share of models and of single humans at
    each rank position (ties shared), with the human-profile rank marked."""
    import matplotlib.pyplot as plt

    from ..plotting import MIN_FONT_PT, OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.3))
    x = positions["position"].to_numpy()
    w = 0.38
    ax.bar(x - w / 2, positions["share_models"], width=w, color=OKABE_ITO[1], edgecolor="black",
           lw=0.4, hatch="///", label=f"Models (n = {n_models})")
    ax.bar(x + w / 2, positions["share_humans"], width=w, color=OKABE_ITO[0], edgecolor="black",
           lw=0.4, label=f"Single humans (n = {n_humans})")
    if _finite(human_rank):
        ax.axvline(human_rank, color="black", ls="--", lw=0.8, label="Rank in the human profile")
    ax.set_xticks(x)
    ax.set_xlabel(f"Rank of {label} (1 = most important)")
    ax.set_ylabel("Share")
    ax.set_ylim(0, 1.05)
    format_axes(ax, y="r")
    ax.legend(frameon=False, loc="upper left", fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig


def plot_respondent_level(loo_values: np.ndarray, sessions: np.ndarray, profiles: np.ndarray):
    """Empirical CDFs of fidelity: single humans (leave-one-out), single model
    sessions, and model profiles (means over sessions)."""
    import matplotlib.pyplot as plt

    from ..plotting import MIN_FONT_PT, OKABE_ITO, SINGLE, format_axes

    fig, ax = plt.subplots(figsize=(SINGLE, 2.4))
    series = [("Single humans (leave-one-out)", loo_values, "black", "-"),
              ("Single model sessions", sessions, OKABE_ITO[0], "--"),
              ("Model profiles", profiles, OKABE_ITO[5], ":")]
    for name, v, col, ls in series:
        v = np.sort(np.asarray(v, dtype=float)[np.isfinite(np.asarray(v, dtype=float))])
        if v.size:
            ax.step(np.r_[0, v], np.r_[0, np.arange(1, v.size + 1) / v.size], where="post",
                    color=col, ls=ls, lw=1.1, label=f"{name} (n = {v.size})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Profile fidelity")
    ax.set_ylabel("Cumulative share")
    format_axes(ax, x="r", y="r")
    ax.legend(frameon=False, loc="upper left", fontsize=MIN_FONT_PT)
    fig.tight_layout()
    return fig
