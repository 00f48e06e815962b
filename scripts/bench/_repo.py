"""Scratch copies of the repository for the benchmarks.

A benchmark runs the workflow in a copy, so the working tree's ``results/`` is never touched,
and the copy imports its own ``src/`` (``PYTHONPATH``), so what is measured is the code of the
snapshot even when the editable install points elsewhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# VCS data, caches and earlier results stay behind
IGNORE = shutil.ignore_patterns(
    ".git",
    ".snakemake",
    "results",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.egg-info",
)


def copy_repo(dest: Path) -> Path:
    """Copy the repository (workflow, code, config, resources) to ``dest``; return ``dest``."""
    shutil.copytree(REPO, dest, ignore=IGNORE, symlinks=True)
    return dest


def snapshot_env(root: Path) -> dict[str, str]:
    """Environment additions that make Snakemake jobs in ``root`` import ``root/src``."""
    return {"PYTHONPATH": str(root / "src")}
