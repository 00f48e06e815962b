"""Answer texts as a model writes them, and the raw records of simulated sessions."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from ..instrument import item_order
from .params import SIM_NOTE

_PROSE_BEFORE = [
    "Here are my ratings for each statement:",
    "Sure. Thinking about optimal functioning, this is how I would rate them:",
    "These are my answers.",
]
_PROSE_AFTER = [
    "Let me know if you would like me to explain any of these.",
    "Overall, I weighted safety and usefulness most heavily.",
    "",
]
_REFUSALS = [
    "I'm sorry, but I don't have personal preferences, so I can't rate these statements.",
    "As an AI, I do not have personal opinions and cannot provide importance ratings.",
    "I am not able to answer this survey question.",
]
_GARBAGE = [
    "Each of these matters in a different way, and it depends on context.",
    "{\"ratings\": \"all of them are important\"}",
    "All equally important!",
]


def _answer_text(rng, variant: str, values: dict, order: list[str], fmt: str) -> tuple[str, str]:
    """Render values as the model would write them; return (text, finish_reason)."""
    ordered = {k: values[k] for k in order}
    compact = json.dumps(ordered)
    pretty = json.dumps(ordered, indent=2)
    if variant == "bare":
        return (compact if rng.random() < 0.5 else pretty), "stop"
    if variant == "fence":
        return f"```json\n{pretty}\n```", "stop"
    if variant == "prose":
        before = _PROSE_BEFORE[rng.integers(len(_PROSE_BEFORE))]
        after = _PROSE_AFTER[rng.integers(len(_PROSE_AFTER))]
        return f"{before}\n\n{compact}\n\n{after}".strip(), "stop"
    if variant == "list":
        if fmt == "ranking" and rng.random() < 0.5:
            seq = sorted(ordered, key=lambda k: ordered[k])
            return "\n".join(f"{n + 1}. [{k}]" for n, k in enumerate(seq)), "stop"
        return "\n".join(f"{n + 1}. {k}: {v}" for n, (k, v) in enumerate(ordered.items())), "stop"
    if variant == "refusal":
        return _REFUSALS[rng.integers(len(_REFUSALS))], "stop"
    if variant == "truncated":
        cut = int(len(pretty) * rng.uniform(0.3, 0.85))
        return pretty[:cut], "length"
    if variant == "garbage":
        return _GARBAGE[rng.integers(len(_GARBAGE))], "stop"
    raise ValueError(variant)


def _usage(rng, prompt: str, text: str) -> dict:
    pt = len(prompt) // 4 + int(rng.integers(0, 20))
    ct = max(1, len(text) // 4)
    return {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}


def _timestamp(base: np.datetime64, seconds: float) -> str:
    t = base + np.timedelta64(int(seconds * 1000), "ms")
    return str(t)[:23] + "Z"


def _record(model_id, model_version, task, prompt_id, session, attempt, instrument, gseed,
            text, finish, rng, t0, error=None, retries=None):
    order = item_order(instrument, task, gseed, model_id, session)
    messages = instrument.messages(task, order)
    latency = float(np.round(rng.gamma(4.0, 0.6), 3))
    body = None
    if error is None:
        body = {
            "id": f"chatcmpl-sim-{hashlib.sha256(f'{model_id}{task}{session}{attempt}'.encode()).hexdigest()[:16]}",
            "object": "chat.completion",
            "created": int((t0 - np.datetime64("1970-01-01T00:00:00")) / np.timedelta64(1, "s")),
            "model": model_version,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": _usage(rng, messages[1]["content"], text),
        }
    return {
        "schema_version": 1,
        "record_id": f"{model_id}.{task}.s{session:03d}.a{attempt}",
        "model_id": model_id,
        "task": task,
        "prompt_id": prompt_id,
        "session": session,
        "attempt": attempt,
        "provider": "simulated",
        "api": "openai.chat.completions",
        "request": {
            "model": model_id,
            "messages": messages,
            "params": {"temperature": 1.0, "max_tokens": 800 if task != "open" else 1200},
        },
        "item_order": order,
        "response_body": body,
        "model_version": model_version if error is None else None,
        "usage": None if body is None else body["usage"],
        "latency_s": latency,
        "started_utc": _timestamp(t0, 0),
        "finished_utc": _timestamp(t0, latency),
        "error": error,
        "retries": retries or [],
        "repair": None,
        "instrument_sha256": instrument.sha256,
        "prompt_sha256": instrument.prompt_sha256(task),
        "provenance": SIM_NOTE,
    }
