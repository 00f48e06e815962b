"""Benchmark: the workflow run locally vs through SLURM, with and without job grouping.

Needs a running cluster (``scripts/slurm/cluster.sh up``) and snakemake-executor-plugin-slurm.
Each run happens in a fresh scratch copy, bounded by ``timeout -s INT -k 60 <limit>``::

    python scripts/bench/bench_slurm.py                      # toy workflow, 8 models
    python scripts/bench/bench_slurm.py --models 16
    python scripts/bench/bench_slurm.py --workflow repo      # the repository's whole workflow

Printed per mode (local, SLURM grouped as in profiles/slurm, SLURM ungrouped = every rule in
its own one-job group): wall time, SLURM jobs submitted (counted from Snakemake's "has been
submitted with SLURM jobid" lines and, independently, from slurmctld's log), and the mean
time a SLURM job spent running (StartTime..EndTime from ``scontrol show job``, 1 s resolution,
available for MinJobAge = 300 s after a job ends).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from _repo import REPO, SUBMITTED, copy_repo, run_bounded, snapshot_env

TOY = REPO / "scripts" / "slurm" / "toy" / "Snakefile"


@dataclass
class RunResult:
    """Figures of one Snakemake run."""

    mode: str
    wall_s: float
    returncode: int
    dag_jobs: int | None
    slurm_ids: list[str] = field(default_factory=list)
    ctld_submits: int | None = None
    job_runtimes_s: list[float] = field(default_factory=list)


def slurmctld_log() -> Path | None:
    """Path of slurmctld's log file, from ``scontrol show config``."""
    out = subprocess.run(
        ["scontrol", "show", "config"], capture_output=True, text=True, check=False
    ).stdout
    m = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", out, re.MULTILINE)
    return Path(m.group(1)) if m and m.group(1) != "(null)" else None


def count_ctld_submits(log: Path | None, offset: int) -> int | None:
    """Batch-job submissions slurmctld logged after byte ``offset`` of its log."""
    if log is None or not log.is_file():
        return None
    with log.open("rb") as fh:
        fh.seek(offset)
        text = fh.read().decode("utf-8", "replace")
    return len(re.findall(r"_slurm_rpc_submit_batch_job: JobId=\d+", text))


def job_runtime_s(jobid: str) -> float | None:
    """Seconds between StartTime and EndTime of a finished SLURM job, if slurmctld still knows it."""
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", jobid], capture_output=True, text=True, check=False
    ).stdout
    start = re.search(r"StartTime=(\S+)", out)
    end = re.search(r"EndTime=(\S+)", out)
    if not (start and end):
        return None
    try:
        t0 = datetime.fromisoformat(start.group(1))
        t1 = datetime.fromisoformat(end.group(1))
    except ValueError:
        return None
    return (t1 - t0).total_seconds()


def dag_jobs(output: str) -> int | None:
    """Total of Snakemake's job-stats table (first 'total N' line)."""
    m = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    return int(m.group(1)) if m else None


def run(
    mode: str, args: list[str], cwd: Path, limit: int, log_dir: Path, env: dict[str, str]
) -> RunResult:
    """Run snakemake in ``cwd`` and collect the figures; the full output goes to ``log_dir``."""
    log = slurmctld_log() if mode != "local" else None
    offset = log.stat().st_size if log is not None and log.is_file() else 0
    t0 = time.perf_counter()
    proc = run_bounded(args, cwd, limit, env)
    wall = time.perf_counter() - t0
    (log_dir / f"{mode.replace(' ', '_')}.log").write_text(proc.stdout)
    ids = SUBMITTED.findall(proc.stdout)
    runtimes = [r for r in (job_runtime_s(j) for j in ids) if r is not None]
    return RunResult(
        mode=mode,
        wall_s=wall,
        returncode=proc.returncode,
        dag_jobs=dag_jobs(proc.stdout),
        slurm_ids=ids,
        ctld_submits=count_ctld_submits(log, offset) if mode != "local" else None,
        job_runtimes_s=runtimes,
    )


def grouped_rules(snakemake_args: list[str], profile: str, cwd: Path) -> list[str]:
    """Rules whose jobs run inside group jobs (indented under "Group job" in a dry run)."""
    dry = subprocess.run(
        ["snakemake", *snakemake_args, "-n", "--forceall", "--workflow-profile", profile],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(set(re.findall(r"^\s+rule (\w+):", dry, re.MULTILINE)))


def main(argv: list[str] | None = None) -> int:
    """Run the three modes and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workflow", choices=["toy", "repo"], default="toy")
    ap.add_argument("--models", type=int, default=8, help="toy workflow: number of models")
    ap.add_argument("--profile", type=Path, default=REPO / "profiles" / "slurm")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per run")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument(
        "--modes",
        default="local,grouped,ungrouped",
        help="comma-separated subset of local,grouped,ungrouped",
    )
    opts = ap.parse_args(argv)
    modes = [m.strip() for m in opts.modes.split(",") if m.strip()]
    profile = str(opts.profile.resolve())

    scratch = Path(tempfile.mkdtemp(prefix="bench_slurm_"))
    try:
        if opts.workflow == "toy":
            base_args = ["-s", str(TOY), "--config", f"models={opts.models}"]
            # all per-model chains of the toy in one group job
            grouped_extra = ["--group-components", f"per_model={opts.models}"]
            snapshot = None
        else:
            base_args = []
            grouped_extra = []
            snapshot = scratch / "snapshot"
            copy_repo(snapshot)

        def workdir(mode: str) -> Path:
            d = scratch / mode
            if snapshot is not None:
                shutil.copytree(snapshot, d, symlinks=True)
            else:
                d.mkdir()
            return d

        results: list[RunResult] = []
        for mode in modes:
            d = workdir(mode)
            if mode == "local":
                args = [*base_args, "--cores", "2"]
                label = "local"
            elif mode == "grouped":
                args = [*base_args, "--workflow-profile", profile, *grouped_extra]
                label = "slurm grouped"
            elif mode == "ungrouped":
                # give every grouped rule a group of its own: one SLURM job per Snakemake job
                solo = [f"{r}=solo_{r}" for r in grouped_rules(base_args, profile, d)]
                args = [*base_args, "--workflow-profile", profile]
                if solo:
                    args += ["--groups", *solo]
                label = "slurm ungrouped"
            else:
                ap.error(f"unknown mode {mode!r}")
            print(f"running {label} ...", file=sys.stderr, flush=True)
            # a repo copy imports its own snapshot of the library, not the editable install
            env = snapshot_env(d) if snapshot is not None else {}
            res = run(label, args, d, opts.timeout, scratch, env)
            results.append(res)
            if res.returncode != 0:
                print(
                    f"  {label} failed (rc={res.returncode}); log: {scratch}/{label.replace(' ', '_')}.log",
                    file=sys.stderr,
                )
                opts.keep = True

        what = f"toy, {opts.models} models" if opts.workflow == "toy" else f"repo {REPO}"
        print(f"workflow: {what}; 2-core single-node SLURM; profile {opts.profile}")
        print(
            f"{'mode':<16} {'rc':>3} {'wall_s':>8} {'dag_jobs':>8} {'sbatch(smk)':>11} "
            f"{'sbatch(ctld)':>12} {'mean_job_s':>10} {'jobs_timed':>10}"
        )
        for r in results:
            mean = f"{statistics.mean(r.job_runtimes_s):.1f}" if r.job_runtimes_s else "-"
            print(
                f"{r.mode:<16} {r.returncode:>3} {r.wall_s:>8.1f} {r.dag_jobs or '-':>8} "
                f"{len(r.slurm_ids) if r.mode != 'local' else '-':>11} "
                f"{r.ctld_submits if r.ctld_submits is not None else '-':>12} "
                f"{mean:>10} {len(r.job_runtimes_s) if r.mode != 'local' else '-':>10}"
            )
        by = {r.mode: r for r in results}
        loc = by.get("local")
        for r in results:
            if r.mode != "local" and loc is not None and r.slurm_ids:
                extra = (r.wall_s - loc.wall_s) / len(r.slurm_ids)
                print(
                    f"{r.mode}: {r.wall_s - loc.wall_s:+.1f} s vs local = "
                    f"{extra:.1f} s per SLURM job submitted"
                )
        if opts.keep:
            print(f"scratch kept: {scratch}", file=sys.stderr)
        return 0 if all(r.returncode == 0 for r in results) else 1
    finally:
        if not opts.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
