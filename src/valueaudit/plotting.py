"""Figure style and deterministic saving (PDF + 300 dpi PNG).

Colour-blind-safe (Okabe and Ito 2008 palette), readable in greyscale
(markers and line styles differ as well as colours), sized for a journal
column (single 3.5 in, double 7.1 in).
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .contracts import atomic_path  # noqa: E402

__all__ = ["OKABE_ITO", "MARKERS", "LINESTYLES", "SINGLE", "DOUBLE", "setup", "save_figure", "tier_style"]

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", ":", "-."]
SINGLE = 3.5
DOUBLE = 7.1


def setup() -> None:
    """Apply the house style (call once per script)."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7,
        "ytick.labelsize": 7, "legend.fontsize": 7, "figure.dpi": 100, "savefig.dpi": 300,
        "axes.spines.top": False, "axes.spines.right": False, "axes.prop_cycle":
        matplotlib.cycler(color=OKABE_ITO), "pdf.fonttype": 42, "svg.hashsalt": "valueaudit",
        "font.family": "DejaVu Sans",
    })


def tier_style(tiers: list[str]) -> dict[str, dict]:
    """Colour + marker per tier (ordered), distinct in colour and in greyscale."""
    return {t: {"color": OKABE_ITO[i % len(OKABE_ITO)], "marker": MARKERS[i % len(MARKERS)]}
            for i, t in enumerate(tiers)}


def save_figure(fig, stem: str | Path) -> list[Path]:
    """Save ``stem``.pdf and ``stem``.png (300 dpi) without timestamps, atomically."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for suffix, meta in ((".pdf", {"CreationDate": None, "ModDate": None, "Producer": "valueaudit"}),
                         (".png", {"Software": None})):
        path = stem.with_suffix(suffix)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix[1:], dpi=300, bbox_inches="tight", metadata=meta)
        out.append(path)
    plt.close(fig)
    return out
