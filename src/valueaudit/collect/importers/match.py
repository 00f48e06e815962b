"""Which instrument prompt an imported answer answers, and in which item order.

A prompt administered elsewhere is the instrument's user prompt of one task
with the task's targets in some order (the per-session shuffle). The order
is recovered from where each target's own text (an item's wording, a theme's
definition) stands in the prompt; the instrument's prompt is then rendered
in that order and must equal the given one, up to whitespace (line breaks,
repeated blanks and leading/trailing space). A prompt that matches no task in
any order is not the instrument's and is refused.
"""

from __future__ import annotations

import re

from ...instrument import TASKS, Instrument

__all__ = ["normalise", "match_prompt", "PromptMismatch"]

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", str(text)).strip()


class PromptMismatch(ValueError):
    """The prompt is not one of the instrument's (the message says why)."""


def _marks(ins: Instrument, task: str) -> dict[str, str]:
    if task == "rating":
        return {i.id: normalise(i.wording) for i in ins.items}
    return {t.id: normalise(t.definition) for t in ins.themes}


def match_prompt(ins: Instrument, user: str, system: str | None = None,
                 tasks=TASKS) -> tuple[str, list[str]]:
    """(task, item order) of the instrument prompt ``user`` is, or raise PromptMismatch.

    ``system``: the system prompt the source recorded (``None``: not recorded); if
    given it must be the instrument's.
    """
    if system is not None and normalise(system) != normalise(ins.prompts["system"]):
        raise PromptMismatch("the system prompt is not the instrument's system prompt")
    text = normalise(user)
    if not text:
        raise PromptMismatch("the prompt is empty")
    if "open" in tasks and text == normalise(ins.render_user_prompt("open")):
        return "open", []
    for task in ("rating", "ranking"):
        if task not in tasks:
            continue
        marks = _marks(ins, task)
        pos = {tid: text.find(m) for tid, m in marks.items()}
        if any(p < 0 for p in pos.values()) or len(set(pos.values())) < len(pos):
            continue
        order = sorted(pos, key=pos.get)
        if normalise(ins.render_user_prompt(task, order)) == text:
            return task, order
    raise PromptMismatch("the prompt is not one of the instrument's prompts (rating, ranking "
                         "or open, in any item order)")
