"""Live collection of raw records from LLM providers.

A model is added by one ``models.live`` entry in the config; the
``collect_model`` rule (``workflow/rules/collect.smk``) then calls
:func:`collect_model`, which queries only the sessions the model's
append-only raw-record file has no answer with text for yet (up to
``collection.max_attempts_per_session`` tries each over all runs).

Modules: :mod:`.store` (append-only JSONL, locking, resume planning, what
counts as an answer), :mod:`.providers` (OpenAI / Anthropic SDK adapters,
error classes, Retry-After; local OpenAI-compatible servers without a
key), :mod:`.runner` (concurrency, retries, empty replies, repair, stop on
401/403, progress), :mod:`.budget` (request/token-per-minute budgets shared
by every collector on the host), :mod:`.fileprovider` and
:mod:`.importers` (answers collected elsewhere: valueaudit JSONL,
inspect_ai logs, EDSL results, plain CSV), :mod:`.usage` (usage and cost
table, manifest, pre-run estimate), :mod:`.rules` (rule helpers, the
rerun marker), :mod:`.cli` (``valueaudit estimate``).
"""

from .budget import BucketFile, RateBudget
from .fileprovider import answers_to_records, export_prompts, read_answers
from .importers import read_source
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
    given_up_sessions,
    has_answer,
    plan_sessions,
    read_records,
    session_keys,
)
from .usage import estimate, manifest, token_counts, usage_table

__all__ = [
    "AdaptiveLimiter",
    "AnthropicMessages",
    "BucketFile",
    "RateBudget",
    "has_answer",
    "given_up_sessions",
    "read_source",
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
