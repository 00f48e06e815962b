"""Generated blocks of README.md: a block between two marker lines, written by a script.

A script renders the block's text from a committed file; :func:`update_block`
splices it between the markers and either writes README.md (atomically) or,
with ``check``, only says whether the file is current (a test calls it so).

The quick-look block (:func:`quicklook`) shows the Study 3 forest figure and an
excerpt of the leaderboard of a default run, from their committed copies in
``resources/readme/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["splice", "update_block", "excerpt", "render", "update", "quicklook", "START", "END",
           "FIGURE", "BOARD", "SOURCES", "COLUMNS", "N_ROWS"]

START, END = "<!-- quicklook:start -->", "<!-- quicklook:end -->"
FIGURE, BOARD = "forest.png", "leaderboard.md"
SOURCES = {FIGURE: "study3/figures/forest.png", BOARD: "study3/tables/leaderboard.md"}
COLUMNS = ["Rank", "Model", "Tier", "n", "Fidelity [95% CI]", "Ordering [95% CI]",
           "ln k [95% CI]", "Verdict"]
N_ROWS = 5


def splice(readme: str, block: str, start: str, end: str) -> str:
    """``readme`` with the text from ``start`` to ``end`` (markers included) replaced by ``block``.

    ``block`` starts with ``start`` and ends with ``end``; a README without both
    markers is refused (SystemExit with the marker names).
    """
    if start not in readme or end not in readme:
        raise SystemExit(f"README.md has no {start} ... {end} block")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def update_block(path: Path, block: str, start: str, end: str, check: bool = False) -> bool:
    """Splice ``block`` into the README at ``path``; return whether it was already current.

    With ``check`` nothing is written; otherwise the file is replaced atomically
    (temporary file + rename) when the block changed.
    """
    text = path.read_text(encoding="utf-8")
    new = splice(text, block, start, end)
    if new == text or check:
        return new == text
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)
    return False


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def excerpt(board_md: str, n: int = N_ROWS) -> list[str]:
    """The leaderboard's first and last ``n`` rows (a few columns) as Markdown lines."""
    lines = [ln for ln in board_md.splitlines() if ln.startswith("|")]
    if len(lines) < 3:
        raise SystemExit("the leaderboard Markdown has no table")
    head, rows = _cells(lines[0]), [_cells(ln) for ln in lines[2:]]
    keep = [head.index(c) for c in COLUMNS if c in head] or list(range(len(head)))
    align = _cells(lines[1])

    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cells[i] for i in keep) + " |"

    out = [row(head), "|" + "|".join(align[i] for i in keep) + "|"]
    if len(rows) <= 2 * n:
        return out + [row(r) for r in rows]
    gap = "| " + " | ".join("..." if k == 0 else "" for k in range(len(keep))) + " |"
    return out + [row(r) for r in rows[:n]] + [gap] + [row(r) for r in rows[-n:]]


def render(copies: Path, root: Path) -> str:
    """The quick-look block from the committed copies in ``copies`` (links relative to ``root``)."""
    board = (copies / BOARD).read_text(encoding="utf-8")
    n_rows = sum(1 for ln in board.splitlines() if ln.startswith("|")) - 2
    rel = (copies / FIGURE).resolve().relative_to(root.resolve()).as_posix()
    lines = [
        START, "",
        "### Quick look",
        "",
        "The Study 3 result of a default run on the embedded **simulated** data set (model "
        "names are synthetic; no number is a claim about a real product). Copied from "
        "`results/` by `scripts/readme_quicklook.py --update`.",
        "",
        f"![Forest plot of profile fidelity with 95% CIs, one row per model, by tier "
        f"(simulated data)]({rel})",
        "",
        f"The top and bottom {N_ROWS} of the {n_rows} rows of "
        "`results/study3/tables/leaderboard.md` (a few of its columns):",
        "",
        *excerpt(board),
        "", END,
    ]
    return "\n".join(lines)


def update(results: Path, copies: Path) -> None:
    """Copy the forest figure and the leaderboard of a finished run into ``copies``."""
    missing = [str(results / s) for s in SOURCES.values() if not (results / s).is_file()]
    if missing:
        raise SystemExit(f"not found (run the workflow first): {', '.join(missing)}")
    copies.mkdir(parents=True, exist_ok=True)
    for name, src in SOURCES.items():
        tmp = copies / f".{name}.tmp"
        shutil.copyfile(results / src, tmp)
        os.replace(tmp, copies / name)


def quicklook(readme: Path, copies: Path, root: Path, results: Path | None = None,
              check: bool = False) -> bool:
    """Write (or with ``check`` only compare) README's quick-look block; return if it was current.

    With ``results``, the figure and the leaderboard of that finished run are copied into
    ``copies`` first (:func:`update`).
    """
    if results is not None:
        update(results, copies)
    return update_block(readme, render(copies, root), START, END, check=check)
