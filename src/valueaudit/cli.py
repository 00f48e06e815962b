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

    from .config import validate_config
    from .contracts import DataValidationError
    from .provenance import verify

    prov = Path(args.results) / "provenance"
    for f in ("inputs.json", "lineage.json"):
        if not (prov / f).is_file():
            print(f"valueaudit verify: {prov / f} does not exist: run the workflow first",
                  file=sys.stderr)
            return 2
    current = recorded = None
    source = "configuration"
    if args.configfile:
        try:
            current = {}
            for cf in args.configfile:
                current = _merge(current, _load_yaml(cf))
            source = " + ".join(args.configfile)
            current = validate_config(current, source)
        except DataValidationError as exc:
            print(exc.block(), file=sys.stderr)
            return 2
        rec = prov / "config.effective.yaml"
        if rec.is_file():
            recorded = rec
        else:
            print(f"MISSING  config {rec}")
    report = verify(prov / "inputs.json", prov / "lineage.json", current, recorded, source)
    bad = report[report["status"] != "ok"]
    for row in bad.itertuples():
        print(f"{row.status.upper():8s} {row.kind:6s} {row.path}")
        if row.detail:
            print(f"{'':15s}  {row.detail}")
    counts = report["status"].value_counts()
    print(f"verified {len(report)} entries: {counts.get('ok', 0)} ok, {counts.get('changed', 0)} "
          f"changed, {counts.get('stale', 0)} stale, {counts.get('missing', 0)} missing"
          + (" (recorded config not checked: pass --configfile)" if current is None else ""))
    return 1 if len(bad) else 0


def _load_yaml(path: str) -> dict:
    import yaml

    from .contracts import DataValidationError

    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(path, f"not a readable UTF-8 YAML file ({type(exc).__name__})",
                                  header_lines=None) from None
    if not isinstance(doc, dict):
        raise DataValidationError(path, "the config must be a mapping of keys", header_lines=None)
    return doc


def _merge(base: dict, over: dict) -> dict:
    """Snakemake's rule for several config files: later files update earlier ones, key by key."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


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
    v = sub.add_parser("verify", help="recompute the hashes of every recorded input and output; "
                       "report changed config keys and stale outputs")
    v.add_argument("--results", default="results")
    v.add_argument("--configfile", nargs="*", default=None,
                   help="the config file(s) the workflow runs with, later ones overriding "
                   "earlier ones, as with snakemake --configfile (default: config.yaml if it "
                   "exists; pass none to skip the config check)")
    v.set_defaults(func=_verify)
    from .collect.cli import register_cli

    register_cli(sub)  # adds `valueaudit estimate` and `valueaudit prompts`
    args = ap.parse_args(argv)
    if getattr(args, "func", None) is _verify and args.configfile is None:
        from pathlib import Path

        args.configfile = ["config.yaml"] if Path("config.yaml").is_file() else []
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
