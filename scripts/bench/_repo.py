"""Scratch copies of the repository, and bounded Snakemake runs, for benchmarks and tests.

A benchmark runs the workflow in a copy, so the working tree's ``results/`` is never touched,
and the copy imports its own ``src/`` (``PYTHONPATH``), so what is measured is the code of the
snapshot even when the editable install points elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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


# the line the SLURM executor plugin prints for every sbatch submission
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+)")


def run_bounded(
    args: list[str], cwd: Path, limit: int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``snakemake *args`` in ``cwd`` under ``timeout -s INT -k 60 limit``; merged output.

    SIGINT, not SIGTERM, so that Snakemake cancels its SLURM jobs; exit code 124 = limit hit.
    """
    cmd = ["timeout", "-s", "INT", "-k", "60", str(limit), "snakemake", *args]
    return subprocess.run(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
