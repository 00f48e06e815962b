"""Helpers that ``workflow/rules/collect.smk`` calls (kept here so the rule file holds rules only).

Every function takes the validated ``models.live[]`` entry (``spec``) and,
where needed, the ``collection`` config section, and returns plain values
for the rule's params and resources.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

__all__ = ["rule_params", "slots", "runtime_minutes", "requests_to_send", "key_warnings"]

#: the keys of a live-model entry that decide what is sent; a change to any of
#: them reruns collect_model (metadata and concurrency do not)
SENT_KEYS = ("id", "provider", "model", "base_url", "api_key_env", "params", "sessions",
             "open_sessions", "tasks", "recollect", "path")


def rule_params(spec: Mapping) -> dict:
    """The part of a live-model entry that decides what is sent (params of collect_model)."""
    return {k: spec.get(k) for k in SENT_KEYS}


def slots(spec: Mapping, collection: Mapping, provider: str) -> int:
    """Parallel requests of the model's job, held as resource ``api_<provider>``
    (0 for another provider): its concurrency, capped by
    ``collection.provider_concurrency[provider]``."""
    if spec["provider"] != provider:
        return 0
    cap = (collection.get("provider_concurrency") or {}).get(provider)
    conc = int(spec.get("concurrency") or 1)
    return min(conc, int(cap)) if cap else conc


def runtime_minutes(spec: Mapping) -> int:
    """Minutes to allow the job: 30 s per session over the concurrency, plus 10."""
    n = sum(int(spec.get("open_sessions", 0)) if t == "open" else int(spec.get("sessions", 0))
            for t in spec.get("tasks", []))
    return 10 + (n * 30) // (60 * max(1, int(spec.get("concurrency") or 1)))


def requests_to_send(spec: Mapping, raw_path: str) -> int:
    """Sessions the next collection would query (one request each before retries
    and repairs); 0 for a file model. Unreadable files count as empty."""
    from .store import plan_sessions, read_records

    if spec["provider"] == "file":
        return 0
    try:
        return len(plan_sessions(dict(spec), read_records(raw_path)))
    except (OSError, ValueError):
        return len(plan_sessions(dict(spec), []))


def key_warnings(specs: Iterable[Mapping], env: Mapping | None = None) -> list[str]:
    """One warning per live model whose key variable is unset (names the variable, never a value)."""
    env = os.environ if env is None else env
    out = []
    for m in specs:
        var = m.get("api_key_env")
        if m["provider"] != "file" and var and not env.get(var):
            out.append(f"valueaudit: models.live '{m['id']}': environment variable {var} is not set; "
                       "collect_model for this model will fail (other models proceed with --keep-going)")
    return out
