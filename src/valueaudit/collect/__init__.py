"""Live collection of raw records from LLM providers (issue 6).

A model is added by one ``models.live`` entry in the config; the
``collect_model`` rule (``workflow/rules/collect.smk``) then calls
:func:`collect_model`, which queries only the sessions the model's
append-only raw-record file does not have yet.

Modules: :mod:`.store` (append-only JSONL, locking, resume planning),
:mod:`.providers` (OpenAI / Anthropic SDK adapters, error classes,
Retry-After), :mod:`.runner` (concurrency, retries, repair, progress),
:mod:`.fileprovider` (answers collected elsewhere), :mod:`.usage` (usage
and cost table, manifest, pre-run estimate), :mod:`.cli` (``valueaudit
estimate``).
"""

from .fileprovider import answers_to_records, export_prompts, read_answers
from .providers import AnthropicMessages, CallError, OpenAIChat, make_provider, parse_retry_after
from .runner import (
    AdaptiveLimiter,
    CollectError,
    CollectSettings,
    CollectSummary,
    MissingKeyError,
    backoff_delay,
    collect_model,
)
from .store import (
    RawStore,
    SessionTask,
    StoreLockedError,
    plan_sessions,
    read_records,
    session_keys,
)
from .usage import estimate, manifest, token_counts, usage_table

__all__ = [
    "AdaptiveLimiter",
    "AnthropicMessages",
    "CallError",
    "CollectError",
    "CollectSettings",
    "CollectSummary",
    "MissingKeyError",
    "OpenAIChat",
    "RawStore",
    "SessionTask",
    "StoreLockedError",
    "answers_to_records",
    "backoff_delay",
    "collect_model",
    "estimate",
    "export_prompts",
    "make_provider",
    "manifest",
    "parse_retry_after",
    "plan_sessions",
    "read_answers",
    "read_records",
    "session_keys",
    "token_counts",
    "usage_table",
]
