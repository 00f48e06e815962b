"""The paper bundle: every table and figure in one folder, the macros, and a generated summary.

:func:`bundle_name` decides where each result lands in ``results/paper/``;
:func:`merge_macros` joins the studies' macro files (a name defined twice is
an error); the summary (``summary.md``) is written by the ``paper_summary``
rule from the studies' own result tables, never typed in.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .contracts import atomic_path

__all__ = ["bundle_name", "is_paper_file", "copy_into_bundle", "merge_macros", "read_macros"]

PAPER_EXT = {".csv", ".tex", ".md", ".pdf", ".png"}


def is_paper_file(path: str) -> bool:
    """Tables and figures of the studies (not macros, data or logs)."""
    p = Path(path)
    return p.suffix in PAPER_EXT and p.parent.name in ("tables", "figures")


def bundle_name(path: str, paper_dir: str) -> str:
    """``results/study3/tables/leaderboard.tex`` -> ``<paper>/tables/study3_leaderboard.tex``."""
    p = Path(path)
    kind = p.parent.name
    owner = p.parent.parent.name
    prefix = "" if owner in ("results", "") or owner == Path(paper_dir).parent.name else f"{owner}_"
    return str(Path(paper_dir) / kind / f"{prefix}{p.name}")


def copy_into_bundle(sources: list[str], targets: list[str]) -> None:
    for src, dst in zip(sources, targets, strict=True):
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)


_MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}\s*$")


def read_macros(path: str | Path) -> dict[str, str]:
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _MACRO.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def merge_macros(paths: list[str | Path], out: str | Path) -> dict[str, str]:
    """Concatenate macro files into one; a macro defined in two files is an error."""
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    lines = ["% Key numbers of the valueaudit run; \\input{macros} in the manuscript.",
             "% Generated from the results; do not edit."]
    for p in paths:
        lines.append(f"% from {p}")
        for name, value in read_macros(p).items():
            if name in seen:
                raise ValueError(f"macro \\{name} defined in both {owner[name]} and {p}")
            seen[name], owner[name] = value, str(p)
            lines.append(rf"\newcommand{{\{name}}}{{{value}}}")
    with atomic_path(out) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return seen
