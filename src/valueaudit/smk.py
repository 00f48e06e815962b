"""Helpers that let the thin rule scripts run inside and outside Snakemake.

Inside a rule, Snakemake injects a ``snakemake`` object. Outside, a script
calls :func:`snakemake_or_cli` which builds the same interface from the
command line, so every script can be run by hand::

    python scripts/parse_model.py --input raw=resources/demo/raw/m.jsonl \
        instrument=resources/instrument/optimal_ai_v1.yaml \
        --output responses=/tmp/m.csv --params model_id=m --log /tmp/m.log
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = ["snakemake_or_cli", "log_to", "Namedlist"]


class Namedlist(list):
    """A list whose entries can also be read by name (like Snakemake's)."""

    def __init__(self, items=(), names=None):
        super().__init__(items)
        self._names = dict(names or {})

    def __getattr__(self, name):
        try:
            return self[self._names[name]]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name, default=None):
        return self[self._names[name]] if name in self._names else default

    def keys(self):
        return self._names.keys()


def _kv(pairs, parse_json=False):
    items, names = [], {}
    for n, p in enumerate(pairs or []):
        k, _, v = p.partition("=")
        if parse_json:
            try:
                v = json.loads(v)
            except json.JSONDecodeError:
                pass
        items.append(v)
        names[k] = n
    return Namedlist(items, names)


class _CLI:
    def __init__(self, args):
        self.input = _kv(args.input)
        self.output = _kv(args.output)
        self.params = _kv(args.params, parse_json=True)
        self.wildcards = _kv(args.wildcards)
        self.log = Namedlist([args.log] if args.log else [])
        self.threads = args.threads
        self.config = {}
        self.rule = args.rule or Path(sys.argv[0]).stem


def snakemake_or_cli(namespace: dict):
    """Return the injected ``snakemake`` object, or one built from argv."""
    if "snakemake" in namespace:
        return namespace["snakemake"]
    ap = argparse.ArgumentParser(description="Run this rule script outside Snakemake.")
    ap.add_argument("--input", nargs="*", metavar="NAME=PATH")
    ap.add_argument("--output", nargs="*", metavar="NAME=PATH")
    ap.add_argument("--params", nargs="*", metavar="NAME=JSON")
    ap.add_argument("--wildcards", nargs="*", metavar="NAME=VALUE")
    ap.add_argument("--log", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rule", default=None)
    return _CLI(ap.parse_args())


@contextmanager
def log_to(smk, name: str = "valueaudit"):
    """Send logging (and warnings) to the rule's log file; re-raise errors after logging them."""
    path = smk.log[0] if len(smk.log) else None
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    handler: logging.Handler
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield logger
    except Exception:
        logger.exception("rule %s failed", getattr(smk, "rule", "?"))
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
