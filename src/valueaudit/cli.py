"""The ``valueaudit`` command: simulate the demo data, verify provenance, estimate collection cost."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _simulate(args) -> int:
    from .simulate import SimParams, simulate

    p = SimParams(seed=args.seed)
    if args.models:
        p.n_models = args.models
    if args.sessions:
        p.n_sessions = args.sessions
    info = simulate(args.instrument, args.out, p)
    print(f"wrote simulated data set to {info['out']}: {info['n_models']} models, "
          f"{info['n_included']} analysable respondents")
    return 0


def _verify(args) -> int:
    from pathlib import Path

    from .provenance import verify

    prov = Path(args.results) / "provenance"
    report = verify(prov / "inputs.json", prov / "lineage.json")
    bad = report[report["status"] != "ok"]
    for row in bad.itertuples():
        print(f"{row.status.upper():8s} {row.kind:6s} {row.path}")
    print(f"verified {len(report)} files: {len(report) - len(bad)} match the recorded sha256, "
          f"{len(bad)} do not")
    return 1 if len(bad) else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="valueaudit", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("simulate", help="generate the simulated data set (byte-identical for a seed)")
    s.add_argument("--instrument", default="resources/instrument/optimal_ai_v1.yaml")
    s.add_argument("--out", default="resources/demo")
    s.add_argument("--seed", type=int, default=20261129)
    s.add_argument("--models", type=int, default=None, help="number of models (default 75)")
    s.add_argument("--sessions", type=int, default=None, help="sessions per format (default 10)")
    s.set_defaults(func=_simulate)
    v = sub.add_parser("verify", help="recompute the hashes of every recorded input and output")
    v.add_argument("--results", default="results")
    v.set_defaults(func=_verify)
    from .collect.cli import register_cli

    register_cli(sub)  # adds `valueaudit estimate` and `valueaudit prompts`
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
