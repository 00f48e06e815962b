"""Coverage benchmark of valueaudit.fidelity.bootstrap_fidelity on the stress simulator.

Prints, for every scenario of :data:`valueaudit.stress.SCENARIOS` x model cell (k in
0.7, 0.95, 1, 1.05, 1.3, 2 and a rank swap) x quantity (fidelity, calibration,
ordering, ln k): coverage of the 95% interval, mean width, bias and RMSE (before and
after the bootstrap bias correction) and the verdict rates; the Spearman rho between
estimated and true fidelity across 60 models at paper scale; and writes the table to
resources/benchmarks/coverage.csv (committed; README's coverage block is generated
from it by scripts/bench/coverage_readme.py).

    python scripts/bench/bench_coverage.py [--reps 400] [--B 2000] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from valueaudit.stress import SCENARIOS, coverage_records, coverage_table, ranking_check

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--B", type=int, default=2000)
    ap.add_argument("--rank-reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--out", type=Path, default=ROOT / "resources/benchmarks/coverage.csv")
    a = ap.parse_args()
    t0 = time.perf_counter()
    tabs = [coverage_table(coverage_records(sc, a.reps, B=a.B, seed=a.seed)) for sc in SCENARIOS]
    tab = pd.concat(tabs, ignore_index=True)
    rank = ranking_check(SCENARIOS[0], reps=a.rank_reps, B=a.B, seed=a.seed)
    wall = time.perf_counter() - t0
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 1000)
    cols = ["scenario", "cell", "quantity", "coverage", "width", "bias", "rmse", "bias_raw",
            "rmse_raw", "p_exaggerates", "p_flattens", "p_calibrated", "p_inconclusive"]
    print(tab[cols].round(3).to_string(index=False))
    print("\ncoverage range per quantity (all cells):")
    print(tab.groupby("quantity")["coverage"].agg(["min", "max"]).round(3).to_string())
    print("\nSpearman(estimated, true fidelity), 60 models, paper scale, mean over reps:")
    print(rank.mean().drop("rep").round(3).to_string())
    print(f"\n{a.reps} replications x {len(SCENARIOS)} scenarios, B = {a.B}: {wall:.0f} s "
          f"on {os.cpu_count()} CPUs")
    meta = {"reps": a.reps, "B": a.B, "seed": a.seed,
            "spearman": float(rank["spearman"].mean()),
            "spearman_raw": float(rank["spearman_raw"].mean()),
            "spearman_oracle": float(rank["spearman_oracle"].mean())}
    out = tab.assign(**meta)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(".tmp")
    out.to_csv(tmp, index=False, float_format="%.4f", lineterminator="\n")
    os.replace(tmp, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
