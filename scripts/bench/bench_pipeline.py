"""Benchmark: wall time of a clean full run and of the add-one-model rerun.

Runs the real workflow on the embedded default data in a temporary copy of
the repository (results/ of the working tree are not touched) and prints:

    clean full run (N jobs): T s
    add-one-model rerun (N jobs): T s

Usage: python scripts/bench/bench_pipeline.py [--cores 2] [--targets ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _repo import copy_repo, snapshot_env


def snakemake(root: Path, cores: int, *args: str) -> tuple[float, int, str]:
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), *args], cwd=root,
                         capture_output=True, text=True, env={**os.environ, **snapshot_env(root)})
    dt = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"snakemake failed:\n{res.stderr[-4000:]}")
    jobs = re.search(r"(\d+) of (\d+) steps \(100%\) done", res.stderr)
    return dt, int(jobs.group(2)) if jobs else 0, res.stderr


def add_model(root: Path, new_id: str) -> None:
    models = pd.read_csv(root / "resources/demo/models.csv", dtype=str, keep_default_na=False)
    src = models["model_id"].iloc[0]
    row = models.iloc[[0]].assign(model_id=new_id, display_name="Added model (simulated)")
    if "short_name" in models:
        row["short_name"] = "Added model"
    pd.concat([models, row]).to_csv(root / "resources/demo/models.csv", index=False)
    recs = [json.loads(x) for x in (root / f"resources/demo/raw/{src}.jsonl").read_text().splitlines()]
    for r in recs:
        r["model_id"] = new_id
        r["record_id"] = r["record_id"].replace(src, new_id)
    (root / f"resources/demo/raw/{new_id}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp) / "valueaudit")
        dt, n, _ = snakemake(root, args.cores, *args.targets)
        print(f"clean full run ({n} jobs, {args.cores} cores): {dt:.1f} s")
        add_model(root, "sim-bench-added")
        dt, n, _ = snakemake(root, args.cores, *args.targets)
        print(f"add-one-model rerun ({n} jobs, {args.cores} cores): {dt:.1f} s")


if __name__ == "__main__":
    main()
