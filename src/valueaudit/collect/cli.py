"""``valueaudit estimate`` and ``valueaudit prompts``: look before you send.

Wire into the main parser with :func:`register_cli`::

    from .collect.cli import register_cli
    register_cli(sub)          # sub = ap.add_subparsers(...)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

__all__ = ["register_cli", "estimate_command", "prompts_command"]


def _fmt_int(v) -> str:
    return f"{int(v):,}"


def estimate_command(args: argparse.Namespace) -> int:
    """Print what the next collection would send; exit 0 (nothing is sent)."""
    from ..config import load_config
    from .usage import estimate

    cfg = load_config(args.config)
    live = cfg["models"].get("live", [])
    if not live:
        print(f"{args.config}: no models under models.live; nothing would be sent")
        return 0
    df = estimate(cfg, models=args.model or None)
    if args.csv:
        df.to_csv(args.csv, index=False)
    show = df.copy()
    for c in ("sessions_missing", "requests", "input_tokens", "output_tokens", "output_tokens_max"):
        show[c] = show[c].map(_fmt_int)
    show["cost_usd"] = df["cost_usd"].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                                          else f"{v:.4f}")
    print(show.to_string(index=False))
    tot = df[df["model_id"] == "total"].iloc[0] if len(df) else None
    if tot is not None:
        cost = tot["cost_usd"]
        cost_txt = "" if cost is None or (isinstance(cost, float) and math.isnan(cost)) else \
            f", about ${cost:.2f} (collection.prices)"
        print(f"\nnext collection: {int(tot['requests'])} requests, ~{_fmt_int(tot['input_tokens'])} input "
              f"and ~{_fmt_int(tot['output_tokens'])} output tokens (at most "
              f"{_fmt_int(tot['output_tokens_max'])}){cost_txt}; retries and repair requests come "
              "on top only when faults happen")
    for spec in live:
        if args.model and spec["id"] not in args.model:
            continue
        var = spec.get("api_key_env")
        if spec["provider"] != "file" and var and not os.environ.get(var):
            print(f"warning: {spec['id']}: environment variable {var} is not set; its collection "
                  "would fail", file=sys.stderr)
    return 0


def prompts_command(args: argparse.Namespace) -> int:
    """Write the prompts of a live model's sessions as JSONL (to administer elsewhere)."""
    from ..config import load_config
    from ..instrument import load_instrument
    from .fileprovider import export_prompts

    cfg = load_config(args.config)
    spec = next((m for m in cfg["models"].get("live", []) if m["id"] == args.model), None)
    if spec is None:
        print(f"{args.config}: no models.live entry with id {args.model!r}", file=sys.stderr)
        return 2
    ins = load_instrument(cfg["instrument"])
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        for p in export_prompts(spec, ins, cfg["seed"]):
            out.write(json.dumps(p, ensure_ascii=False) + "\n")
    finally:
        if args.out:
            out.close()
    return 0


def register_cli(sub) -> None:
    """Add the ``estimate`` and ``prompts`` subcommands to an argparse subparsers object."""
    e = sub.add_parser("estimate", help="requests, tokens and cost the next collection would send "
                                        "(no call is made)")
    e.add_argument("--config", default="config.yaml")
    e.add_argument("--model", action="append", help="only this live model id (repeatable)")
    e.add_argument("--csv", default=None, help="also write the table to this CSV file")
    e.set_defaults(func=estimate_command)
    p = sub.add_parser("prompts", help="the session prompts of a live model as JSONL, to administer "
                                       "elsewhere and import with provider: file")
    p.add_argument("model", help="live model id")
    p.add_argument("--config", default="config.yaml")
    p.add_argument("--out", default=None, help="output file (default: stdout)")
    p.set_defaults(func=prompts_command)
