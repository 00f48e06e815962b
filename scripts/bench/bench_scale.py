"""Benchmark: the whole workflow at growing numbers of models.

For every size N (default 75, 250 and 1,000 simulated models x 10 sessions per
response format) the benchmark copies the repository to a scratch directory,
regenerates the simulated data set there with ``valueaudit simulate --models N``
(the config's seed; the humans and the Study 1 corpus as in the default), and
runs the workflow with every study at the config's bootstrap size:

* the dry run (``snakemake -n``): wall time and planned jobs;
* the clean run: wall time, jobs, and peak memory (the largest sum of the
  resident set sizes of Snakemake and all its descendants, sampled every 0.2 s);
* the add-one-model rerun: one model is appended to the models table (a copy of
  the first model's raw records under a new id), and the rerun's wall time and
  jobs are measured.

Prints one line per size, the growth of the clean run's wall time between the
two largest sizes (per model; at most 1 is linear), and the start-up of every
rule script (``bench_startup.py``), and writes ``--out`` (CSV) and a plot of
wall time against models (``--plot``, PNG). The machine is shared by whatever else runs:
note its load (``uptime``) beside the figures.

Usage: python scripts/bench/bench_scale.py [--sizes 75 250 1000] [--sessions 10]
       [--cores 2] [--out resources/benchmarks/scale.csv]
       [--plot resources/benchmarks/scale.png]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
from _repo import REPO, copy_repo, snapshot_env
from bench_pipeline import add_model
from bench_startup import print_table, startup_table

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root_pid: int) -> int:
    """Resident bytes of ``root_pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * PAGE
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def slurm_probe_s() -> float | None:
    """Seconds ``scontrol show config`` takes, when the SLURM executor plugin is installed
    (None otherwise): the plugin runs it at import, so every ``snakemake`` command waits
    that long (up to 10 s when no controller answers)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return None
    if shutil.which("scontrol") is None:
        return 0.0
    t = time.perf_counter()
    try:
        subprocess.run(["scontrol", "show", "config"], capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return time.perf_counter() - t


def run(root: Path, *args: str) -> tuple[float, int, int, str]:
    """Run snakemake in ``root``; return wall seconds, jobs, peak tree RSS bytes, stderr."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **snapshot_env(root)})
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed in {root}:\n{err[-4000:]}")
    text = out + err
    steps = re.search(r"(\d+) of (\d+) steps \(100%\) done", text)
    planned = re.search(r"^total\s+(\d+)", text, flags=re.M)
    jobs = int(steps.group(2)) if steps else int(planned.group(1)) if planned else 0
    return dt, jobs, peak[0], text


def measure(n_models: int, sessions: int, cores: int, scratch: Path) -> dict:
    root = copy_repo(scratch / f"valueaudit-{n_models}")
    demo = root / "resources/demo"
    subprocess.run([sys.executable, "-m", "valueaudit.cli", "simulate", "--out", str(demo),
                    "--models", str(n_models), "--sessions", str(sessions)],
                   cwd=root, check=True, capture_output=True,
                   env={**os.environ, **snapshot_env(root)})
    dry_s, planned, _, _ = run(root, "-n", "--cores", str(cores))
    clean_s, jobs, peak, _ = run(root, "--cores", str(cores))
    add_model(root, "sim-bench-added")
    add_s, add_jobs, add_peak, _ = run(root, "--cores", str(cores))
    return {"models": n_models, "sessions": sessions, "cores": cores,
            "dry_run_s": round(dry_s, 1), "planned_jobs": planned,
            "clean_s": round(clean_s, 1), "clean_jobs": jobs,
            "peak_mem_mb": round(peak / 2**20), "add_one_s": round(add_s, 1),
            "add_one_jobs": add_jobs, "add_one_peak_mb": round(add_peak / 2**20)}


def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.5, 2.6))
    ax.plot(table["models"], table["clean_s"], marker="o", label="clean run")
    ax.plot(table["models"], table["add_one_s"], marker="s", label="add one model")
    ax.set_xlabel(f"Models ({table['sessions'].iloc[0]} sessions per format)", fontsize=8)
    ax.set_ylabel("Wall time (s)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[75, 250, 1000])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "resources/benchmarks/scale.csv")
    ap.add_argument("--plot", type=Path, default=REPO / "resources/benchmarks/scale.png")
    ap.add_argument("--startup-repeat", type=int, default=3,
                    help="runs per rule script for the start-up table (0: skip it)")
    args = ap.parse_args()
    probe = slurm_probe_s()
    if probe is not None and probe > 1.0:
        print(f"note: the SLURM executor plugin is installed and `scontrol show config` takes "
              f"{probe:.1f} s here (no controller answers); every snakemake command below "
              "includes that wait. Measure without it: pip uninstall "
              "snakemake-executor-plugin-slurm", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            row = measure(n, args.sessions, args.cores, Path(tmp))
            rows.append(row)
            print(f"{n} models x {args.sessions} sessions: dry run {row['dry_run_s']} s "
                  f"({row['planned_jobs']} jobs); clean run {row['clean_s']} s "
                  f"({row['clean_jobs']} jobs), peak {row['peak_mem_mb']} MB; add one model "
                  f"{row['add_one_s']} s ({row['add_one_jobs']} jobs)", flush=True)
    table = pd.DataFrame(rows)
    if len(table) >= 2:
        a, b = table.iloc[-2], table.iloc[-1]
        growth = (b["clean_s"] / a["clean_s"]) / (b["models"] / a["models"])
        print(f"growth {a['models']} -> {b['models']} models: wall time x"
              f"{b['clean_s'] / a['clean_s']:.2f} for models x{b['models'] / a['models']:.2f} "
              f"({growth:.2f} of linear)")
    if args.startup_repeat:
        print_table(*startup_table(args.startup_repeat), args.startup_repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    plot(table, args.plot)
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
