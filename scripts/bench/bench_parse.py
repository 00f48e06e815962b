"""Benchmark of the parser: answers parsed per second on one core.

Run as ``python scripts/bench/bench_parse.py`` (``--seconds S`` per set, default 3).
Parses, with :func:`valueaudit.parse.parse_record`, every answer of the parser
corpus (``tests/data/parse_corpus``) and every rating/ranking session of the demo
raw records (``resources/demo/raw``), repeatedly for at least ``S`` seconds of
CPU time each, and prints answers per second (CPU time of this one process) and
the mean answer length. Target on the 2-core reference machine: at least 2,000
answers per second on each set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from valueaudit.contracts import read_raw_records
from valueaudit.instrument import load_instrument
from valueaudit.parse import final_attempts, parse_record, response_text
from valueaudit.parse.corpus import corpus_record, load_corpus

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS = {"optimal_ai_v1": ROOT / "resources/instrument/optimal_ai_v1.yaml",
               "five_themes": ROOT / "tests/data/instrument_5themes.yaml"}


def corpus_set() -> list[tuple[dict, object]]:
    ins = {k: load_instrument(p) for k, p in INSTRUMENTS.items()}
    entries = load_corpus(ROOT / "tests/data/parse_corpus")
    return [(corpus_record(e), ins[e.get("instrument", "optimal_ai_v1")]) for e in entries]


def demo_set() -> list[tuple[dict, object]]:
    ins = load_instrument(INSTRUMENTS["optimal_ai_v1"])
    out = []
    for path in sorted((ROOT / "resources/demo/raw").glob("*.jsonl")):
        out += [(r, ins) for r in final_attempts(read_raw_records(path)) if r["task"] != "open"]
    return out


def rate(pairs, seconds: float) -> tuple[float, int]:
    """Answers per CPU second over repeated passes of at least ``seconds``."""
    n = 0
    start = time.process_time()
    while True:
        for rec, ins in pairs:
            parse_record(rec, ins)
        n += len(pairs)
        spent = time.process_time() - start
        if spent >= seconds:
            return n / spent, n


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args(argv)
    for name, pairs in (("corpus", corpus_set()), ("demo raw", demo_set())):
        texts = [response_text(r["api"], r.get("response_body"))[0] or "" for r, _ in pairs]
        mean_len = sum(map(len, texts)) / max(1, len(texts))
        per_s, n = rate(pairs, args.seconds)
        print(f"{name:9s} {len(pairs):5d} answers (mean {mean_len:5.0f} chars): "
              f"{per_s:8.0f} answers/s on one core ({n} parsed)")


if __name__ == "__main__":
    main()
