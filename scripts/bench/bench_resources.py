"""Benchmark: what every rule used against the resources it declares (mem_mb, runtime).

Every rule script logs one ``resources used:`` line (``valueaudit.smk.usage_line``) with its
peak RSS, CPU and wall time and the rule's declared ``mem_mb`` and ``runtime``. This script
reads those lines from a finished run's logs and prints, per rule, the job count and the
largest use beside the declaration, so per-rule resources for a cluster profile can be set
from measurements rather than guesses::

    snakemake --cores 8                      # or any finished run
    python scripts/bench/bench_resources.py  # reads results/logs/

Columns: jobs, peak RSS (max over jobs, MB), declared mem_mb (smallest over jobs), headroom
(declared / peak), wall time of the rule's work (max, s), CPU of the whole script process
(max, s), declared runtime (smallest, min). A rule is flagged when any of its jobs used more
memory than that job declared, or more wall or CPU time than its runtime: a SLURM site
enforcing limits would kill that job. Jobs run outside Snakemake declare nothing (shown "nan").
Exit code 1 if any rule is flagged.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from valueaudit.smk import parse_usage


def read_usage(logs_root: Path) -> dict[str, list[dict[str, float]]]:
    """``{rule: [fields of each job's usage line]}`` for every log below ``logs_root``."""
    out: dict[str, list[dict[str, float]]] = defaultdict(list)
    for log in sorted(logs_root.rglob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            fields = parse_usage(line)
            if fields is not None:
                rule = str(fields.pop("rule"))
                out[rule].append(fields)
    return dict(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logs", type=Path, default=Path("results/logs"), help="[results/logs]")
    args = ap.parse_args()
    if not args.logs.is_dir():
        sys.exit(f"{args.logs}: no such folder (run the workflow first)")
    usage = read_usage(args.logs)
    if not usage:
        sys.exit(f"{args.logs}: no 'resources used:' lines (logs from an older run?)")
    head = (f"{'rule':<24} {'jobs':>5} {'peak MB':>8} {'mem_mb':>7} {'x':>5} "
            f"{'wall s':>7} {'cpu s':>6} {'runtime':>8}  flag")
    print(head)
    print("-" * len(head))
    flagged = 0
    for rule, jobs in sorted(usage.items()):
        peak = max(j["peak_rss_mb"] for j in jobs)
        wall = max(j["wall_s"] for j in jobs)
        cpu = max(j["cpu_s"] for j in jobs)
        # each job against its own declaration (resources may be callables of the wildcards)
        declared = [j for j in jobs if "mem_mb" in j and "runtime_min" in j]
        flags = []
        if any(j["peak_rss_mb"] > j["mem_mb"] for j in declared):
            flags.append("MEMORY > mem_mb")
        if any(max(j["wall_s"], j["cpu_s"]) > 60 * j["runtime_min"] for j in declared):
            flags.append("TIME > runtime")
        flagged += bool(flags)
        mem = min((j["mem_mb"] for j in declared), default=float("nan"))
        rt = min((j["runtime_min"] for j in declared), default=float("nan"))
        print(f"{rule:<24} {len(jobs):>5} {peak:>8.0f} {mem:>7.0f} {mem / peak:>5.1f} "
              f"{wall:>7.1f} {cpu:>6.1f} {rt:>6.0f} m  {' '.join(flags)}")
    n = sum(len(j) for j in usage.values())
    total_cpu = sum(j["cpu_s"] for js in usage.values() for j in js)
    print(f"\n{n} jobs in {len(usage)} rules; CPU of all script processes {total_cpu:.0f} s; "
          f"{flagged} rule(s) flagged")
    return 1 if flagged else 0


if __name__ == "__main__":
    raise SystemExit(main())
