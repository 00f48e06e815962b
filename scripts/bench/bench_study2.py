"""Benchmark: wall time of the whole Study 2 stage on the default (embedded, simulated) data.

In a temporary copy of the repository (results/ of the working tree are not touched) the data
stage is built first (not timed); then every Study 2 target is built and timed:

* ``snakemake``: the Study 2 rules as the workflow runs them (75 per-model jobs + 4 aggregates),
  including Snakemake's per-job start-up;
* ``in-process``: the same computations called directly from ``valueaudit.study2`` (no job
  overhead), split into within-model (all models, both formats), convergence + pairwise tests,
  consensus bootstrap (config study2.bootstrap resamples) and clustering.

Prints, e.g.::

    study2 stage via snakemake (79 jobs, 2 cores): 58.1 s
    in-process: within 1.4 s | convergence+pairwise 0.2 s | consensus (2000 boot) 0.01 s | ...

Usage: python scripts/bench/bench_study2.py [--cores 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from _repo import copy_repo, snapshot_env

STUDY2_FINAL = [
    "results/study2/macros.tex",
    "results/study2/figures/stability.pdf",
    "results/study2/figures/profile_heatmap.pdf",
    "results/study2/figures/profile_map.pdf",
    "results/study2/tables/stability.md",
    "results/study2/tables/clusters.md",
    "results/study2/tables/cluster_members.md",
    "results/study2/tables/consensus.md",
    "results/study2/tables/pairwise_themes.md",
]


def snakemake(root: Path, cores: int, *args: str) -> tuple[float, int]:
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), *args],
                         cwd=root, capture_output=True, text=True,
                         env={**os.environ, **snapshot_env(root)})
    dt = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"snakemake failed:\n{res.stderr[-4000:]}")
    jobs = re.search(r"(\d+) of (\d+) steps \(100%\) done", res.stderr)
    return dt, int(jobs.group(2)) if jobs else 0


def in_process(root: Path, repeat: int) -> dict[str, float]:
    from valueaudit import study2 as s2
    from valueaudit.config import load_config
    from valueaudit.contracts import read_responses
    from valueaudit.instrument import FORMATS, load_instrument
    from valueaudit.seeds import seed_for

    cfg = load_config(root / "config.yaml")
    ins = load_instrument(root / cfg["instrument"])
    fmt = cfg["profiles"]["response_format"]
    n_boot = int(cfg["study2"]["bootstrap"])
    min_s = int(cfg["study2"]["min_sessions"])
    resp = read_responses(root / "results/data/responses.csv", ins)
    status = pd.read_csv(root / "results/data/parse_status.csv")
    scores = pd.read_csv(root / "results/data/session_scores.csv")
    best: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t)
        return out

    for _ in range(repeat):
        timed("within", lambda: s2.within_model_table(resp, status, ins, min_s, FORMATS))
        prof, _ = timed("profiles", lambda: s2.model_profiles(scores, ins, fmt, min_s))
        timed("convergence+pairwise",
              lambda prof=prof: (s2.convergence(prof), s2.pairwise_theme_tests(prof)))
        timed(f"consensus ({n_boot} boot)",
              lambda prof=prof: s2.consensus_ordering(prof, n_boot, seed_for(cfg["seed"], "study2.consensus")))
        timed("clustering (both scalings)",
              lambda prof=prof: (s2.cluster_profiles(prof, "centre"),
                                 s2.cluster_profiles(prof, "standardise")))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="in-process repeats (best is shown)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_repo(Path(tmp) / "valueaudit")
        snakemake(root, args.cores, "results/data/session_scores.csv",
                  "results/data/models.csv")
        dt, n = snakemake(root, args.cores, *STUDY2_FINAL)
        print(f"study2 stage via snakemake ({n} jobs, {args.cores} cores): {dt:.1f} s")
        dt_agg, n_agg = snakemake(root, args.cores, *STUDY2_FINAL, "--forcerun",
                                  "study2_stability", "study2_convergence", "study2_clusters",
                                  "study2_macros")
        print(f"study2 aggregates only ({n_agg} jobs, {args.cores} cores): {dt_agg:.1f} s")
        best = in_process(root, args.repeat)
        print(f"in-process (best of {args.repeat}): "
              + " | ".join(f"{k} {v:.2f} s" for k, v in best.items())
              + f" | total {sum(best.values()):.2f} s")


if __name__ == "__main__":
    main()
