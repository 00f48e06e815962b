"""Token usage, cost, the per-model collection manifest, and the pre-run estimate.

* :func:`usage_table` - requests, tokens and cost per live model and in total,
  from the raw records (answers and repair requests; failed tries send
  tokens too, but providers do not report them, so they are counted as
  requests only).
* :func:`manifest` - a deterministic summary of one model's raw-record file
  (the output of the ``collect_model`` rule): same file -> same bytes.
* :func:`estimate` - before any call: how many requests and roughly how many
  tokens (and dollars, with ``collection.prices``) the current config will
  send, model by model and task by task, given what is already on file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd

from ..instrument import Instrument, item_order
from .store import given_up_sessions, has_answer, plan_sessions, read_records, session_keys

__all__ = ["token_counts", "usage_table", "manifest", "estimate", "rough_tokens", "plan_cost"]


def token_counts(usage: dict | None) -> tuple[int, int]:
    """(input tokens, output tokens) from an OpenAI- or Anthropic-style usage object."""
    if not isinstance(usage, dict):
        return 0, 0
    tin = usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0
    tout = usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0
    for k in ("cache_creation_input_tokens", "cache_read_input_tokens"):
        tin += usage.get(k) or 0
    return int(tin), int(tout)


def _cost(tin: float, tout: float, price: dict | None) -> float:
    if not price:
        return float("nan")
    return (tin * float(price.get("input_per_mtok", 0.0)) + tout * float(price.get("output_per_mtok", 0.0))) / 1e6


def usage_table(records_by_model: dict[str, list[dict]], prices: dict | None = None) -> pd.DataFrame:
    """Requests, sessions, tokens and cost per model, plus a ``total`` row.

    Columns: model_id, sessions (distinct task x session), records (attempts),
    requests (HTTP tries incl. retries and repair requests), repairs,
    input_tokens, output_tokens, cost_usd (NaN when the model has no price).
    """
    prices = prices or {}
    rows = []
    for mid in sorted(records_by_model):
        recs = records_by_model[mid]
        tin = tout = requests = repairs = 0
        for r in recs:
            a, b = token_counts(r.get("usage"))
            tin, tout = tin + a, tout + b
            requests += int((r.get("collection") or {}).get("tries", 1 if r.get("api") != "file" else 0))
            rep = r.get("repair")
            if isinstance(rep, dict):
                repairs += 1
                a, b = token_counts(rep.get("usage"))
                tin, tout = tin + a, tout + b
                requests += len(rep.get("retries") or []) + 1
        sessions = len({(r["task"], r["session"]) for r in recs})
        rows.append({"model_id": mid, "sessions": sessions, "records": len(recs),
                     "requests": requests, "repairs": repairs, "input_tokens": tin,
                     "output_tokens": tout, "cost_usd": _cost(tin, tout, prices.get(mid))})
    df = pd.DataFrame(rows, columns=["model_id", "sessions", "records", "requests", "repairs",
                                     "input_tokens", "output_tokens", "cost_usd"])
    if len(df):
        total = df.drop(columns="model_id").sum(numeric_only=True, min_count=1)
        total["cost_usd"] = df["cost_usd"].sum(min_count=1) if df["cost_usd"].notna().any() else float("nan")
        df = pd.concat([df, pd.DataFrame([{"model_id": "total", **total.to_dict()}])], ignore_index=True)
    for c in ("sessions", "records", "requests", "repairs", "input_tokens", "output_tokens"):
        df[c] = df[c].astype("int64")
    df["cost_usd"] = df["cost_usd"].astype("float64")
    return df


def manifest(spec: dict, raw_path: str | Path, max_attempts: int | None = None) -> dict:
    """Deterministic summary of a live model's raw records (no timestamps).

    Counts per task of configured sessions, sessions with an answer (text, or
    a provider-reported refusal), sessions whose last attempt has none (an
    error or an empty reply: ``failed``), and records; ``missing``: sessions
    without an answer (never collected included); ``given_up``: those of them
    that used ``max_attempts`` tries and are not queried again; the model
    versions the provider reported; the sha256 and line count of the file.
    """
    from ..parse import final_attempts

    path = Path(raw_path)
    recs = [r for r in read_records(path) if r.get("model_id") == spec["id"]]
    finals = final_attempts(recs)
    wanted = Counter(t for t, _ in session_keys(spec))
    per_task = {}
    for task in spec.get("tasks", []):
        f = [r for r in finals if r["task"] == task]
        per_task[task] = {"configured": wanted.get(task, 0), "sessions": len(f),
                          "answered": sum(has_answer(r) for r in f),
                          "failed": sum(not has_answer(r) for r in f),
                          "records": sum(r["task"] == task for r in recs)}
    versions = sorted({r["model_version"] for r in recs if r.get("model_version")})
    data = path.read_bytes() if path.exists() else b""
    return {
        "model_id": spec["id"],
        "provider": spec["provider"],
        "model": spec["model"],
        "raw": str(path),
        "raw_sha256": hashlib.sha256(data).hexdigest(),
        "raw_lines": data.count(b"\n"),
        "tasks": per_task,
        "missing": len(plan_sessions({**spec, "recollect": False}, recs)),
        "given_up": len(given_up_sessions(spec, recs, max_attempts)),
        "model_versions": versions,
    }


def rough_tokens(text: str) -> int:
    """A rough token count: one token per four characters (English prose averages
    about four characters per token for GPT-style BPE tokenizers)."""
    return int(math.ceil(len(text) / 4))


def _answer_tokens(ins: Instrument, task: str, params: dict) -> int:
    cap = int(params.get("max_tokens") or params.get("max_completion_tokens") or 1000)
    if task == "open":
        return min(cap, 400)
    n = len(ins.targets(task))
    ids = ins.targets(task)
    return min(cap, rough_tokens(json.dumps({i: 7 for i in ids}, indent=2)) + 2 * n)


def _task_tokens(spec: dict, task: str, todo, recs: list[dict], ins: Instrument,
                 seed: int) -> tuple[int, int]:
    params = spec.get("params") or {}
    tin = sum(rough_tokens("".join(m["content"] for m in ins.messages(
        task, item_order(ins, task, seed, spec["id"], p.session)))) + 8 for p in todo)
    seen = [token_counts(r.get("usage"))[1] for r in recs
            if r["task"] == task and r.get("usage") and has_answer(r)]
    per = (sum(seen) / len(seen)) if seen else _answer_tokens(ins, task, params)
    return tin, int(round(per * len(todo)))


def plan_cost(spec: dict, plan, recs: list[dict], ins: Instrument, seed: int,
              price: dict | None) -> tuple[int, int, float]:
    """(input tokens, output tokens, USD or NaN) of one request per planned session."""
    tin = tout = 0
    for task in dict.fromkeys(p.task for p in plan):
        a, b = _task_tokens(spec, task, [p for p in plan if p.task == task], recs, ins, seed)
        tin, tout = tin + a, tout + b
    return tin, tout, _cost(tin, tout, price)


def estimate(cfg: dict, models: list[str] | None = None, instrument: Instrument | None = None) -> pd.DataFrame:
    """What the next collection would send, before any call.

    One row per live model and task: sessions_missing, requests (one per
    missing session; retries and repair requests come on top when faults
    happen), input_tokens (prompt, ~4 characters per token), output_tokens
    (from the model's answers on file when there are some, else the size of a
    complete JSON answer, or 400 for the open prompt; capped at max_tokens),
    output_tokens_max (max_tokens per request), cost_usd (with prices), and a
    ``total`` row. ``file`` models send nothing (requests 0).
    """
    from ..instrument import load_instrument

    ins = instrument or load_instrument(cfg["instrument"])
    raw_dir = Path(cfg["collection"]["raw_dir"])
    prices = cfg["collection"].get("prices", {})
    rows = []
    for spec in cfg["models"].get("live", []):
        if models and spec["id"] not in models:
            continue
        recs = read_records(raw_dir / f"{spec['id']}.jsonl")
        cap_tries = cfg["collection"].get("max_attempts_per_session")
        plan = plan_sessions(spec, recs, cap_tries) if spec["provider"] != "file" else []
        params = spec.get("params") or {}
        for task in spec.get("tasks", []):
            todo = [p for p in plan if p.task == task]
            tin, tout = _task_tokens(spec, task, todo, recs, ins, cfg["seed"])
            cap = int(params.get("max_tokens") or params.get("max_completion_tokens") or 0)
            rows.append({"model_id": spec["id"], "provider": spec["provider"], "task": task,
                         "sessions_missing": len(todo), "requests": len(todo), "input_tokens": tin,
                         "output_tokens": tout, "output_tokens_max": cap * len(todo),
                         "cost_usd": _cost(tin, tout, prices.get(spec["id"]))})
    cols = ["model_id", "provider", "task", "sessions_missing", "requests", "input_tokens",
            "output_tokens", "output_tokens_max", "cost_usd"]
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        tot = {c: df[c].sum() for c in cols[3:-1]}
        tot["cost_usd"] = df["cost_usd"].sum(min_count=1)
        df = pd.concat([df, pd.DataFrame([{"model_id": "total", "provider": "", "task": "", **tot}])],
                       ignore_index=True)
    return df
