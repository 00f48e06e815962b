"""Provenance a reviewer can check: inputs, environment, lineage, and verification.

Everything here is deterministic except :func:`run_info`, the one place that
records when a run happened, so two runs of the same config on the same
inputs give byte-identical provenance files apart from ``run.json``.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from .contracts import atomic_path
from .smk import sha256_file

__all__ = [
    "input_manifest",
    "environment",
    "merge_lineage",
    "verify",
    "write_json",
    "PACKAGES",
]

#: distributions whose versions are recorded (those the package imports)
PACKAGES = ("valueaudit", "snakemake", "numpy", "pandas", "scipy", "statsmodels", "pingouin",
            "krippendorff", "matplotlib", "seaborn", "pyyaml", "jsonschema", "openai", "anthropic",
            "scikit-learn")


def write_json(obj, path: str | Path) -> Path:
    """Write JSON with sorted keys and a final newline, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return Path(path)


def input_manifest(groups: dict[str, list[str]]) -> dict:
    """sha256 and size of every input file, by group (instrument, raw records, ...)."""
    out = {}
    for group, paths in sorted(groups.items()):
        out[group] = [{"path": str(p), "bytes": Path(p).stat().st_size, "sha256": sha256_file(p)}
                      for p in sorted(map(str, paths))]
    return out


def _git(*args: str, cwd: str | Path = ".") -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def environment(cwd: str | Path = ".", exclude_from_dirty: tuple[str, ...] = ("results",)) -> dict:
    """Package versions, Python, platform, and the git commit with a dirty flag."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    commit = _git("rev-parse", "HEAD", cwd=cwd)
    status = _git("status", "--porcelain", "--untracked-files=no", cwd=cwd)
    dirty = None
    if status is not None:
        lines = [ln for ln in status.splitlines() if not any(ln[3:].startswith(e) for e in exclude_from_dirty)]
        dirty = bool(lines)
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(aliased=True, terse=True),
        "machine": platform.machine(),
        "packages": versions,
        "git": {"commit": commit, "dirty": dirty},
    }


def merge_lineage(paths: list[str | Path]) -> dict:
    """One lineage document: output path -> the job that made it."""
    by_output = {}
    for p in sorted(map(str, paths)):
        rec = json.loads(Path(p).read_text(encoding="utf-8"))
        job = {k: rec[k] for k in ("rule", "script", "script_sha256", "wildcards", "params")}
        job["inputs"] = rec["inputs"]
        job["lineage_file"] = p
        for files in rec["outputs"].values():
            for f in files:
                by_output[f["path"]] = {**job, "sha256": f["sha256"]}
    return dict(sorted(by_output.items()))


def verify(manifest_path: str | Path, lineage_path: str | Path) -> pd.DataFrame:
    """Recompute every recorded hash; one row per file with its status.

    status: ``ok``, ``changed`` (hash differs), ``missing``. Inputs come from
    the input manifest, outputs from the lineage document.
    """
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    lineage = json.loads(Path(lineage_path).read_text(encoding="utf-8"))
    rows = []
    for group, files in manifest.items():
        for f in files:
            rows.append(("input", group, f["path"], f["sha256"]))
    for path, job in lineage.items():
        rows.append(("output", job["rule"], path, job["sha256"]))
    out = []
    for kind, group, path, want in rows:
        p = Path(path)
        if not p.is_file():
            status, have = "missing", None
        else:
            have = sha256_file(p)
            status = "ok" if have == want else "changed"
        out.append({"kind": kind, "group": group, "path": path, "status": status,
                    "recorded_sha256": want, "current_sha256": have})
    return pd.DataFrame(out)


def effective_config_yaml(config: dict) -> str:
    """The effective configuration (after schema defaults) as YAML."""
    return yaml.safe_dump(json.loads(json.dumps(config, default=str)), sort_keys=True)
