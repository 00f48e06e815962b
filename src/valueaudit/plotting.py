"""Figure style, checks and deterministic saving (PDF + 300 dpi PNG).

Colour-blind-safe (Okabe and Ito 2008 palette), readable in greyscale
(markers and line styles differ as well as colours), sized for a journal
column: a figure is one column (:data:`SINGLE`, 3.5 in) or two columns
(:data:`DOUBLE`, 7.1 in) wide and is saved at exactly that width, so its
text prints at the size it was set in; no text is smaller than
:data:`MIN_FONT_PT` (6 pt). Numbers on axes use the tables' APA format
(:func:`number_formatter`).

Helpers for the figures: :func:`panel_letters` (A, B, ... on multi-panel
figures), :func:`diverging` (a colour-blind-safe diverging colormap centred
at 0), :func:`place_labels` (point labels whose boxes never overlap; labels
that find no free place are returned, for a numbered key) and the checks
:func:`check_figure` (a drawn figure), :func:`find_overlaps` and
:func:`check_saved_figure` (the saved PDF or PNG).
"""

from __future__ import annotations

import logging
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, Normalize  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from .contracts import atomic_path  # noqa: E402

__all__ = ["fit_rows", "MAX_NAMED_ROWS", "MANY_ROWS_IN", "many_rows", "cluster_runs",
           "OKABE_ITO", "MARKERS", "LINESTYLES", "SINGLE", "DOUBLE", "WIDTHS", "MIN_FONT_PT",
           "setup", "save_figure", "tier_style", "number_formatter", "format_axes",
           "panel_letters", "diverging", "DIVERGING", "place_labels", "find_overlaps",
           "check_figure", "check_saved_figure", "saved_figure_size", "pdf_font_sizes"]

log = logging.getLogger(__name__)

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", ":", "-."]
SINGLE = 3.5
DOUBLE = 7.1
WIDTHS = (SINGLE, DOUBLE)
MIN_FONT_PT = 6.0
_WIDTH_TOL_IN = 0.01
DPI = 300
#: a figure with one row per model names every model (a 6 pt name per row) up to this many
#: models, about as many as fit the height of a page; with more, every model is still one
#: row, unnamed, in axes :data:`MANY_ROWS_IN` tall, and the names are in the figure's table
MAX_NAMED_ROWS = 80
#: the height (in) of the axes of a per-model figure of more than :data:`MAX_NAMED_ROWS` models
MANY_ROWS_IN = 6.5

#: blue (Okabe-Ito) - white - vermillion (Okabe-Ito): distinct for the common colour
#: vision deficiencies, white at the centre
DIVERGING = LinearSegmentedColormap.from_list(
    "valueaudit_diverging", ["#00457A", "#0072B2", "#8FC1E3", "#F7F7F7", "#F1B48E", "#D55E00",
                             "#7F3800"], N=256)


def setup() -> None:
    """Apply the house style (call once per script, before the figures are made)."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
        "ytick.labelsize": 7, "legend.fontsize": 7, "legend.title_fontsize": 7,
        "figure.titlesize": 9, "figure.labelsize": 8, "figure.figsize": (SINGLE, 2.6),
        "figure.dpi": 100, "savefig.dpi": DPI, "savefig.bbox": None,
        "axes.spines.top": False, "axes.spines.right": False, "axes.prop_cycle":
        matplotlib.cycler(color=OKABE_ITO), "axes.unicode_minus": True,
        "axes.formatter.useoffset": False, "axes.linewidth": 0.6, "xtick.major.width": 0.6,
        "ytick.major.width": 0.6, "lines.linewidth": 1.0, "errorbar.capsize": 2,
        "image.cmap": "cividis", "pdf.fonttype": 42, "svg.hashsalt": "valueaudit",
        "font.family": "DejaVu Sans",
    })


def tier_style(tiers: list[str]) -> dict[str, dict]:
    """Colour + marker per tier (ordered), distinct in colour and in greyscale."""
    return {t: {"color": OKABE_ITO[i % len(OKABE_ITO)], "marker": MARKERS[i % len(MARKERS)]}
            for i, t in enumerate(tiers)}


# ---------------------------------------------------------------------------
# numbers, panels, colours
# ---------------------------------------------------------------------------
def number_formatter(kind: str = "d2") -> FuncFormatter:
    """Tick labels in the tables' format (:func:`valueaudit.tables.apa`; ``"r"``: no
    leading zero for bounded statistics) with a true minus sign."""
    from .tables import apa

    def fmt(x, _pos=None):
        s = apa(0.0 if abs(x) < 1e-12 else x, kind)
        return s.replace("-", "\u2212") if s.startswith("-") else s

    return FuncFormatter(fmt)


def format_axes(ax, x: str | None = None, y: str | None = None) -> None:
    """Set the number format (:func:`number_formatter` kinds) of the x and/or y axis."""
    if x:
        ax.xaxis.set_major_formatter(number_formatter(x))
    if y:
        ax.yaxis.set_major_formatter(number_formatter(y))


def panel_letters(axes: Sequence, start: str = "A") -> list[Text]:
    """Bold letters A, B, ... at the top left of each panel (as left-aligned titles, so
    the layout makes room for them)."""
    return [ax.set_title(chr(ord(start) + i), loc="left", fontweight="bold",
                         fontsize=plt.rcParams["axes.titlesize"])
            for i, ax in enumerate(axes)]


def diverging(values, center: float = 0.0) -> tuple[LinearSegmentedColormap, Normalize]:
    """:data:`DIVERGING` and a norm symmetric about ``center`` (equal distances from it
    get equally strong colours) covering every finite value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    m = float(np.max(np.abs(v - center))) if v.size else 1.0
    m = m if m > 0 else 1.0
    return DIVERGING, Normalize(vmin=center - m, vmax=center + m)


# ---------------------------------------------------------------------------
# labels that never overlap
# ---------------------------------------------------------------------------
def _renderer(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _text_box(t: Text, renderer):
    """The box of a text's glyphs (for an annotation: without its arrow)."""
    return Text.get_window_extent(t, renderer)


def _overlap(a, b, pad: float = 0.0) -> bool:
    return not (a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0
                or b.y1 + pad <= a.y0)


def place_labels(ax, x: Sequence[float], y: Sequence[float], labels: Sequence[str],
                 fontsize: float = MIN_FONT_PT, radius_pt: float = 3.0, max_radius_pt: float = 30.0,
                 avoid_points: bool = True, **text_kw) -> tuple[list[Text], list[int]]:
    """Label points so that no two label boxes overlap (nor a label and a point, nor a
    label and the axes' edge); return the labels placed and the indices of the labels
    that found no free place (show those in a numbered key or the caption).

    Points are labelled in the order given (put the most important first). Each label
    tries positions around its point at growing distances; one further than
    ``2 * radius_pt`` gets a thin leader line. Call this after the figure's final layout
    (``tight_layout``), because display distances change when the axes are resized.
    """
    fig = ax.figure
    renderer = _renderer(fig)
    px = fig.dpi / 72.0
    pts = ax.transData.transform(list(zip(x, y, strict=True))) if len(x) else []
    axbox = ax.get_window_extent(renderer)
    taken = []
    if avoid_points:
        r = 2.5 * px
        taken = [Bbox([[u - r, v - r], [u + r, v + r]]) for u, v in pts]
    placed, missed = [], []
    directions = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    for i, ((u, v), text) in enumerate(zip(pts, labels, strict=True)):
        t = ax.annotate(text, xy=(x[i], y[i]), xytext=(0, 0), textcoords="offset points",
                        fontsize=fontsize, ha="left", va="bottom", **text_kw)
        b0 = _text_box(t, renderer)
        w, h = b0.width, b0.height
        found = None
        radius = radius_pt
        while found is None and radius <= max_radius_pt:
            for dx, dy in directions:
                ox = dx * radius * px + (0 if dx > 0 else -w if dx < 0 else -w / 2)
                oy = dy * radius * px + (0 if dy > 0 else -h if dy < 0 else -h / 2)
                box = Bbox([[u + ox, v + oy], [u + ox + w, v + oy + h]])
                inside = (box.x0 >= axbox.x0 and box.x1 <= axbox.x1 and box.y0 >= axbox.y0
                          and box.y1 <= axbox.y1)
                if inside and not any(_overlap(box, o, px) for o in taken):
                    found = (ox / px, oy / px, box, radius)
                    break
            radius += radius_pt
        if found is None:
            t.remove()
            missed.append(i)
            continue
        ox, oy, box, radius = found
        t.set_position((ox, oy))
        if radius > 2 * radius_pt:
            ax.annotate("", xy=(x[i], y[i]), xytext=(ox + w / px / 2, oy + h / px / 2),
                        textcoords="offset points",
                        arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "0.4",
                                    "shrinkA": 0, "shrinkB": 2})
        taken.append(box)
        placed.append(t)
    return placed, missed


def _drawn_texts(fig) -> list[Text]:
    """The visible, non-empty texts that are drawn (tick labels outside the axis' view
    interval exist but are not drawn)."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - eps <= tick.get_loc() <= hi + eps:
                    hidden.update((id(tick.label1), id(tick.label2)))
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and id(t) not in hidden]


def _corners(t: Text, renderer, pad: float) -> np.ndarray:
    """The four corners (display units) of a text's box, rotated with the text."""
    box = _text_box(t, renderer)
    angle = np.deg2rad(t.get_rotation() % 180)
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    if abs(np.sin(angle)) < 1e-6 or abs(np.cos(angle)) < 1e-6:
        w, h = box.width, box.height
        if abs(np.cos(angle)) < 1e-6:
            w, h = h, w
    else:  # the unrotated size, from the same text set without rotation
        probe = Text(0, 0, t.get_text(), fontproperties=t.get_fontproperties(),
                     linespacing=t.get_linespacing())
        probe.set_figure(t.figure)
        pb = probe.get_window_extent(renderer)
        w, h = pb.width, pb.height
    w, h = w / 2 + pad, h / 2 + pad
    c, s_ = np.cos(angle), np.sin(angle)
    local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    return local @ np.array([[c, s_], [-s_, c]]) + [cx, cy]


def _polygons_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test for two convex quadrilaterals (touching is not overlapping)."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() <= pb.min() + 1e-9 or pb.max() <= pa.min() + 1e-9:
                return False
    return True


def find_overlaps(fig, texts: Sequence[Text] | None = None,
                  pad_pt: float = 0.0) -> list[tuple[Text, Text]]:
    """Pairs of drawn texts of ``fig`` whose boxes (rotated with the text) overlap;
    default: every drawn text of the figure. ``pad_pt`` > 0 also counts texts closer
    than that."""
    renderer = _renderer(fig)
    items = [t for t in (texts if texts is not None else _drawn_texts(fig))
             if t.get_visible() and t.get_text().strip() and t.figure is not None]
    pad = pad_pt * fig.dpi / 72.0 / 2
    boxes = [_text_box(t, renderer) for t in items]
    corners: dict[int, np.ndarray] = {}
    out = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            a, b = boxes[i], boxes[j]
            if a.width <= 0 or b.width <= 0 or not _overlap(a, b, 2 * pad):
                continue
            ca = corners.setdefault(i, _corners(items[i], renderer, pad))
            cb = corners.setdefault(j, _corners(items[j], renderer, pad))
            if _polygons_overlap(ca, cb):
                out.append((items[i], items[j]))
    return out


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------
def _short(s: str, n: int = 30) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


_MATH_SCRIPT = re.compile(r"\$[^$]*[\^_][^$]*\$")
_SCRIPT_SHRINK = 0.7  # mathtext sets super- and subscripts at 70 % of the text size


def _smallest_size(t: Text) -> float:
    """The smallest glyph size (pt) of a text: its size, or that of its math scripts."""
    size = t.get_fontsize()
    return size * _SCRIPT_SHRINK if _MATH_SCRIPT.search(t.get_text()) else size


def check_figure(fig, overlaps: bool = True) -> list[str]:
    """What breaks the house style in a drawn figure (empty: nothing).

    The width is one of :data:`WIDTHS`; every visible text, including the super- and
    subscripts of math text (e.g. log-axis labels 10^3), is at least
    :data:`MIN_FONT_PT`; no text reaches outside the figure (it would be cut
    off when saved); with ``overlaps``, no two texts overlap.
    """
    problems = []
    w = fig.get_figwidth()
    if not any(abs(w - ok) <= _WIDTH_TOL_IN for ok in WIDTHS):
        problems.append(f"width {w:.2f} in; a figure is {SINGLE} in (one column) or {DOUBLE} in "
                        "(two columns) wide")
    renderer = _renderer(fig)
    texts = _drawn_texts(fig)
    small = sorted({(round(_smallest_size(t), 2), _short(t.get_text())) for t in texts
                    if _smallest_size(t) < MIN_FONT_PT - 1e-9})
    if small:
        sizes = sorted({s for s, _ in small})
        problems.append(f"{len(small)} text(s) below {MIN_FONT_PT:g} pt (sizes "
                        f"{', '.join(f'{s:g}' for s in sizes)} pt), e.g. {small[0][1]!r}")
    fb = fig.bbox
    tol = 1.0
    outside = [t for t in texts if (b := _text_box(t, renderer)).width > 0 and (
        b.x0 < fb.x0 - tol or b.x1 > fb.x1 + tol or b.y0 < fb.y0 - tol or b.y1 > fb.y1 + tol)]
    if outside:
        problems.append(f"{len(outside)} text(s) reach outside the figure and are cut off, e.g. "
                        f"{_short(outside[0].get_text())!r}")
    if overlaps:
        pairs = find_overlaps(fig, texts)
        if pairs:
            a, b = pairs[0]
            problems.append(f"{len(pairs)} pair(s) of overlapping texts, e.g. "
                            f"{_short(a.get_text())!r} and {_short(b.get_text())!r}")
    return problems


def saved_figure_size(path: str | Path) -> tuple[float, float]:
    """Width and height (in) of a saved PNG (pixels / dpi) or PDF (MediaBox)."""
    data = Path(path).read_bytes()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w_px, h_px = struct.unpack(">II", data[16:24])
        m = data.find(b"pHYs")
        if m < 0:
            raise ValueError(f"{path}: PNG without a pHYs (resolution) chunk")
        xppu, yppu, unit = struct.unpack(">IIB", data[m + 4:m + 13])
        if unit != 1:
            raise ValueError(f"{path}: PNG resolution unit is not the metre")
        return w_px / (xppu * 0.0254), h_px / (yppu * 0.0254)
    if data[:5] == b"%PDF-":
        m = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
        if not m:
            raise ValueError(f"{path}: PDF without a MediaBox")
        x0, y0, x1, y1 = (float(v) for v in m.groups())
        return (x1 - x0) / 72.0, (y1 - y0) / 72.0
    raise ValueError(f"{path}: neither a PNG nor a PDF")


def pdf_font_sizes(path: str | Path) -> list[float]:
    """The font sizes (pt) of the text in a PDF saved by matplotlib: the operands of its
    ``Tf`` operators, times the scale of any ``Tm`` text matrix."""
    data = Path(path).read_bytes()
    sizes: list[float] = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        raw = m.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        for block in re.findall(rb"BT(.*?)ET", raw, re.S):
            tf = [float(v) for v in re.findall(rb"([\d.]+)\s+Tf", block)]
            tm = re.findall(rb"([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+[-\d.]+\s+[-\d.]+"
                            rb"\s+Tm", block)
            scale = 1.0
            if tm:
                a, b = float(tm[0][0]), float(tm[0][1])
                scale = (a * a + b * b) ** 0.5
            sizes += [s * scale for s in tf]
    return sizes


def check_saved_figure(path: str | Path) -> list[str]:
    """What breaks the house style in a saved figure: its width (PNG or PDF) and, for
    a PDF, the size of its text."""
    problems = []
    w, _ = saved_figure_size(path)
    if not any(abs(w - ok) <= _WIDTH_TOL_IN for ok in WIDTHS):
        problems.append(f"{Path(path).name}: width {w:.2f} in, not {SINGLE} or {DOUBLE} in")
    if Path(path).suffix.lower() == ".pdf":
        small = sorted({round(s, 2) for s in pdf_font_sizes(path) if s < MIN_FONT_PT - 0.01})
        if small:
            problems.append(f"{Path(path).name}: text at {', '.join(f'{s:g}' for s in small)} pt, "
                            f"below {MIN_FONT_PT:g} pt")
    return problems


def save_figure(fig, stem: str | Path) -> list[Path]:
    """Save ``stem``.pdf and ``stem``.png (300 dpi) at the figure's own size (the page is
    the figure: nothing is cropped or added), without timestamps, atomically.

    What breaks the house style (:func:`check_figure`) is logged.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    for problem in check_figure(fig):
        log.info("figure %s: %s", stem.name, problem)
    out = []
    for suffix, meta in ((".pdf", {"CreationDate": None, "ModDate": None, "Producer": "valueaudit"}),
                         (".png", {"Software": None})):
        path = stem.with_suffix(suffix)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix[1:], dpi=DPI, bbox_inches=None, metadata=meta)
        out.append(path)
    plt.close(fig)
    return out


def many_rows(n: int, max_named: int | None = None) -> bool:
    """Whether a figure of ``n`` per-model rows draws them unnamed: more than ``max_named``
    (default :data:`MAX_NAMED_ROWS`).

    >>> many_rows(MAX_NAMED_ROWS), many_rows(MAX_NAMED_ROWS + 1), many_rows(5, max_named=4)
    (False, True, True)
    """
    return n > (MAX_NAMED_ROWS if max_named is None else max_named)


def cluster_runs(values: Sequence) -> list[tuple[object, int, int]]:
    """The runs of equal consecutive values: ``(value, start, stop)`` with ``stop``
    exclusive, in order.

    >>> cluster_runs([2, 2, 1, 1, 1, 2])
    [(2, 0, 2), (1, 2, 5), (2, 5, 6)]
    """
    runs: list[tuple[object, int, int]] = []
    for i, v in enumerate(values):
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1], i + 1)
        else:
            runs.append((v, i, i + 1))
    return runs


def fit_rows(fig, ax, n_rows: float, pitch_in: float) -> None:
    """Set the figure's height so that ``ax`` is ``n_rows * pitch_in`` tall after the
    (constrained) layout, which keeps the margins it gives the texts around the axes."""
    for _ in range(3):
        fig.canvas.draw()
        h = fig.get_figheight()
        have = ax.get_position().height * h
        want = max(n_rows, 1) * pitch_in
        if abs(have - want) < 0.005:
            break
        fig.set_figheight(h + want - have)
