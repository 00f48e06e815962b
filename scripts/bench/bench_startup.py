"""Benchmark: the start-up cost of every rule script (what a job pays before its own work).

For each rule of ``workflow/rules/*.smk`` with a ``script:``, runs ``python SCRIPT --help``
(which imports everything the script imports at the top and then exits) ``--repeat`` times in
a fresh interpreter and reports the fastest wall time, the time of a bare interpreter for
comparison, and which heavy libraries the script's imports load (matplotlib, seaborn,
statsmodels, pingouin, scipy.stats, sklearn). Prints one line per rule, sorted by cost, and
writes ``--out`` (CSV) when given.

Usage: python scripts/bench/bench_startup.py [--repeat 3] [--out resources/benchmarks/startup.csv]
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "seaborn", "statsmodels", "pingouin", "scipy.stats", "sklearn")
# named rules, and rules generated in a loop (``rule:`` + ``name: f"prefix_{...}"``)
_RULE = re.compile(r"^\s*(?:(?:rule|checkpoint)\s+(\w+)|rule):(?:\s*\n\s*name:\s*\n?\s*f?\"(\w+?)\{)?",
                   re.M)
_SCRIPT = re.compile(r"script:\s*\n\s*\"([^\"]+)\"")


def rule_scripts() -> list[tuple[str, Path]]:
    """(rule, script path) for every rule that runs a script."""
    out = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        starts = [(m.start(), m.group(1) or f"{m.group(2)}N") for m in _RULE.finditer(text)]
        starts.append((len(text), ""))
        for (a, name), (b, _) in zip(starts, starts[1:], strict=False):
            m = _SCRIPT.search(text, a, b)
            if m:
                out.append((name, (smk.parent / m.group(1)).resolve()))
    return out


def imports_of(script: Path) -> list[str]:
    """The top-level import statements of a script, as source lines."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    return [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]


def heavy_loaded(script: Path) -> list[str]:
    code = "\n".join(imports_of(script)) + (
        f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=REPO / "scripts")
    return [m for m in r.stdout.strip().split(",") if m] if r.returncode == 0 else ["(failed)"]


def fastest(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=REPO, check=False)
        best = min(best, time.perf_counter() - t)
    return best


def startup_table(repeat: int = 3) -> tuple[float, pd.DataFrame]:
    """The bare interpreter's start-up, and one row per rule script sorted by cost."""
    bare = fastest([sys.executable, "-c", "pass"], repeat)
    rows = []
    for rule, script in rule_scripts():
        wall = fastest([sys.executable, str(script), "--help"], repeat)
        rows.append({"rule": rule, "script": script.relative_to(REPO).as_posix(),
                     "startup_s": round(wall, 3), "over_bare_s": round(wall - bare, 3),
                     "heavy_imports": " ".join(heavy_loaded(script)) or "-"})
    return bare, pd.DataFrame(rows).sort_values("startup_s", ascending=False)


def print_table(bare: float, df: pd.DataFrame, repeat: int) -> None:
    print(f"bare interpreter: {bare:.3f} s; {len(df)} rule scripts; repeat {repeat}")
    print(df.to_string(index=False))
    print(f"median start-up {df['startup_s'].median():.3f} s, max {df['startup_s'].max():.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    bare, df = startup_table(a.repeat)
    print_table(bare, df, a.repeat)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
