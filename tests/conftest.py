"""Shared fixtures: the repository, the instrument, and a small simulated project.

``small_project`` is a temporary copy of the workflow (Snakefile, workflow/,
scripts/, the instrument, config.yaml) with a small simulated data set
(8 models x 4 sessions, 120 respondents) in place of the embedded default, so
end-to-end runs of the real workflow stay fast.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from valueaudit.instrument import load_instrument
from valueaudit.simulate import SimParams, simulate

REPO = Path(__file__).resolve().parents[1]
INSTRUMENT = REPO / "resources" / "instrument" / "optimal_ai_v1.yaml"


def small_params(**kw) -> SimParams:
    p = SimParams(n_models=8, n_sessions=4, n_open_sessions=2, n_humans=120, n_fail_attention=5,
                  n_too_fast=4, n_straightline=3, n_duplicate=2, n_flatten=1, n_disordered=1)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def make_project(root: Path, params: SimParams | None = None, instrument: Path = INSTRUMENT,
                 config_overrides: dict | None = None) -> Path:
    """Copy the workflow into ``root`` with a freshly simulated data set; return root."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "scripts", "profiles", "envs"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, root / name)
    (root / "resources" / "instrument").mkdir(parents=True, exist_ok=True)
    ins_dst = root / "resources" / "instrument" / instrument.name
    shutil.copy2(instrument, ins_dst)
    simulate(ins_dst, root / "resources" / "demo", params or small_params())
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg["instrument"] = f"resources/instrument/{instrument.name}"
    for k in ("study1", "study2", "study3"):
        cfg.setdefault(k, {})
        for key in ("bootstrap",):
            if key in cfg[k]:
                cfg[k][key] = 200
    cfg.setdefault("study1", {})["saturation_orders"] = 20
    cfg.setdefault("study3", {}).update({"noise_ceiling_splits": 50, "null_permutations": 100})
    if instrument != INSTRUMENT:
        ins = load_instrument(ins_dst)
        mapping = yaml.safe_load((root / "resources/demo/survey/column_map.json").read_text())
        cfg["humans"]["items"] = mapping
        del ins
    for k, v in (config_overrides or {}).items():
        cfg[k] = v
    (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return root


def run_snakemake(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(root),
           "--snakefile", str(root / "Snakefile"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root)


@pytest.fixture(scope="session")
def instrument():
    return load_instrument(INSTRUMENT)


@pytest.fixture(scope="session")
def small_project(tmp_path_factory) -> Path:
    """A small simulated project (not yet run)."""
    return make_project(tmp_path_factory.mktemp("small") / "project")


@pytest.fixture(scope="session")
def small_run(small_project) -> Path:
    """The small project after a complete `snakemake --cores 2` run."""
    res = run_snakemake(small_project)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    return small_project
