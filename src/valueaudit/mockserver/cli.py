"""Command line: ``python -m valueaudit.mockserver``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .server import MockLLMServer

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the mock server in the foreground (Ctrl-C stops it)."""
    summary = sys.modules[__package__].__doc__.split("\n")[0]
    ap = argparse.ArgumentParser(prog="python -m valueaudit.mockserver", description=summary)
    ap.add_argument("--instrument", default="resources/instrument/optimal_ai_v1.yaml")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--faults", default=None, help='FaultPlan as JSON, e.g. \'{"rates": {"rate_limit": 0.1}}\'')
    ap.add_argument("--api-key-env", default=None,
                    help="name of an environment variable whose value clients must send")
    args = ap.parse_args(argv)
    import os

    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    srv = MockLLMServer(Path(args.instrument), port=args.port, latency_s=args.latency, seed=args.seed,
                        faults=json.loads(args.faults) if args.faults else None, api_key=key)
    print(f"mock LLM server on {srv.url} (OpenAI base_url {srv.openai_base_url}, "
          f"Anthropic base_url {srv.anthropic_base_url})", flush=True)
    try:
        srv._httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        srv.state.stop.set()
        srv._httpd.server_close()
    return 0
