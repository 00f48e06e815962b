"""Turn raw LLM records into the parsed responses table (METHODS 3).

Statuses, per session:

``ok``
    The answer text is exactly one JSON object with every expected id and a
    valid integer for each (strict parse).
``repaired``
    The complete, valid set of values was read from another form (see
    ``repairs``): JSON in a fence or in prose, Python-style dicts, comments,
    trailing commas, markdown tables, ``id: value`` lines, item wordings or
    theme labels as keys, per-item objects, rankings as ordered lists, ``Rank
    1: Label`` lines, ``A > B > C`` chains or ordinal words, reasoning blocks
    removed, the last answer after an explicit correction, or the answer to
    the collector's one repair request.
``refused``
    No values and the answer declines to take part (refusal wording, or the
    provider reports a refusal / content filter).
``unparseable``
    An answer came back but no complete, valid set of values could be read;
    ``reason`` says why (``truncated``, ``missing_item``, ``out_of_range``,
    ``tie``, ``conflict``, ``ambiguous_key``, ...). A reader's doubt is a
    refusal to read, never a guess: a hedged or changed value (``6?``,
    ``5 or maybe 6``, ``5 → 6``), a rank said to be shared ("tied with"), a
    numbered list whose numbers and order disagree, a stated scale that runs
    the other way ("6 = most important" in a ranking), or a later sentence
    that gives an item another value or calls an aspect the most or least
    important against its rank.
``error``
    No answer: the request failed (``api_error``) or the response held no
    text (``empty_response``).

Ranks are never taken from the order in which ids appear unless the answer's
form is itself an ordering (a numbered or bulleted list, a chain, an array);
a list that restates the prompt's aspects ("The aspects are: ...") is not one.
A session that does not parse contributes no values: nothing is ever filled
with a default, and a partial answer is never used.
"""

from __future__ import annotations

from .answer import REASONS, REPAIRS, STATUSES, ParseResult, parse_text
from .keys import Spec, plain_spec, spec_for
from .records import (
    PARSER_VERSION,
    RESPONSE_COLUMNS,
    SESSION_COLUMNS,
    final_attempts,
    parse_record,
    parse_records,
    parse_sessions,
    response_text,
)
from .text import strip_reasoning

__all__ = [
    "ParseResult",
    "parse_answer",
    "response_text",
    "parse_record",
    "parse_records",
    "parse_sessions",
    "final_attempts",
    "strip_reasoning",
    "spec_for",
    "STATUSES",
    "REASONS",
    "REPAIRS",
    "PARSER_VERSION",
    "RESPONSE_COLUMNS",
    "SESSION_COLUMNS",
]


def parse_answer(text: str | None, targets: list[str], fmt: str, lo: int, hi: int, *,
                 instrument=None, finish: str | None = None) -> ParseResult:
    """Read the values of one answer text.

    Parameters
    ----------
    text : the model's answer.
    targets : the ids that must all be answered (items for ``rating``, themes
        for ``ranking``).
    fmt : ``"rating"`` or ``"ranking"``.
    lo, hi : the valid value range (inclusive).
    instrument : when given, item wordings and theme labels are known keys too.
    finish : the provider's finish reason (``length`` / ``max_tokens`` mark a cut).
    """
    spec: Spec
    if instrument is not None:
        spec = spec_for(instrument, fmt)
    else:
        spec = plain_spec(targets, fmt, lo, hi)
    return parse_text(text, spec, finish)
