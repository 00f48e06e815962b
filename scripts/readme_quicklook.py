"""Write README's quick-look block (forest figure and leaderboard excerpt) from a default run.

``--update`` copies ``results/study3/figures/forest.png`` and
``results/study3/tables/leaderboard.md`` of a finished default run into
``resources/readme/`` (the committed copies). Every call then writes the block
between ``<!-- quicklook:start -->`` and ``<!-- quicklook:end -->`` in README.md from
those copies; ``--check`` exits 1 if the block differs from what they give.

    python scripts/readme_quicklook.py --update   # after `snakemake --cores N`
    python scripts/readme_quicklook.py [--check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from valueaudit.readme import update_block

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- quicklook:start -->", "<!-- quicklook:end -->"
COPIES = ROOT / "resources/readme"
FIGURE, BOARD = "forest.png", "leaderboard.md"
SOURCES = {FIGURE: "study3/figures/forest.png", BOARD: "study3/tables/leaderboard.md"}
COLUMNS = ["Rank", "Model", "Tier", "n", "Fidelity [95% CI]", "Ordering [95% CI]",
           "ln k [95% CI]", "Verdict"]
N_ROWS = 5


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


def render(copies: Path = COPIES) -> str:
    """The README block from the committed copies in ``copies``."""
    board = (copies / BOARD).read_text(encoding="utf-8")
    n_rows = sum(1 for ln in board.splitlines() if ln.startswith("|")) - 2
    rel = (copies / FIGURE).resolve().relative_to(ROOT).as_posix()
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


def update(results: Path, copies: Path = COPIES) -> None:
    """Copy the forest figure and the leaderboard of a finished run into ``copies``."""
    missing = [str(results / s) for s in SOURCES.values() if not (results / s).is_file()]
    if missing:
        raise SystemExit(f"not found (run the workflow first): {', '.join(missing)}")
    copies.mkdir(parents=True, exist_ok=True)
    for name, src in SOURCES.items():
        tmp = copies / f".{name}.tmp"
        shutil.copyfile(results / src, tmp)
        os.replace(tmp, copies / name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--update", action="store_true", help="copy the figure and table from results/")
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    a = ap.parse_args()
    if a.update:
        update(a.results)
    current = update_block(a.readme, render(), START, END, check=a.check)
    if a.check:
        sys.exit(0 if current else 1)

if __name__ == "__main__":
    main()
