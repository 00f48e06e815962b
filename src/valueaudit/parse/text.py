"""Text-level helpers of the parser: width folding, reasoning blocks, markers.

Every transformation here keeps character offsets (one character in, one
character out), so positions found in the cleaned text point at the same
place in the model's original answer (used for excerpts).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "fold_width",
    "blank_reasoning",
    "strip_reasoning",
    "refusal_at",
    "correction_marks",
    "strong_marks",
    "fence_spans",
    "norm",
    "excerpt",
]

# full-width ASCII (U+FF01..U+FF5E), the ideographic space, curly quotes and
# CJK brackets/commas, each to one ASCII character
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x201C: 0x22, 0x201D: 0x22, 0x201E: 0x22, 0x2018: 0x27,
               0x2019: 0x27, 0x00A0: 0x20, 0x2212: 0x2D})
_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def fold_width(text: str) -> tuple[str, bool]:
    """Full-width punctuation and digits as ASCII; True when anything was full-width."""
    return text.translate(_WIDTH), _WIDE.search(text) is not None


# reasoning wrappers emitted by open reasoning models and their chat templates
_OPEN_CLOSE = [
    (r"<think(?:ing)?>", r"</think(?:ing)?>"),
    (r"<reasoning>", r"</reasoning>"),
    (r"<thought>", r"</thought>"),
    (r"<\|thinking\|>", r"<\|/thinking\|>|<\|end_thinking\|>|</\|thinking\|>"),
    (r"<\|begin_of_thought\|>", r"<\|end_of_thought\|>"),
    (r"\[THINK\]", r"\[/THINK\]"),
    (r"<\|channel\|>analysis<\|message\|>", r"<\|end\|>"),
]
_BLOCK = re.compile(
    "|".join(f"(?:{o}).*?(?:{c})" for o, c in _OPEN_CLOSE), re.S | re.I
)
_OPEN_ONLY = re.compile("|".join(f"(?:{o})" for o, _ in _OPEN_CLOSE), re.I)
_CLOSE_ONLY = re.compile("|".join(f"(?:{c})" for _, c in _OPEN_CLOSE), re.I)
_SOLUTION_TAGS = re.compile(
    r"<\|(?:begin|end)_of_solution\|>|</?answer>|<\|channel\|>final<\|message\|>|<\|start\|>assistant",
    re.I,
)


def blank_reasoning(text: str) -> tuple[str, bool, bool]:
    """Reasoning blocks replaced by spaces (offsets kept).

    Returns ``(text, stripped, unclosed)``: ``stripped`` when any reasoning was
    found; ``unclosed`` when a reasoning block is opened and never closed (all
    that follows it is reasoning, so the answer never started).
    """
    found = False

    def _blank(m):
        return "".join(ch if ch == "\n" else " " for ch in m.group())

    if _OPEN_ONLY.search(text) or _CLOSE_ONLY.search(text):
        new = _BLOCK.sub(_blank, text)
        found = new != text
        text = new
        closes = list(_CLOSE_ONLY.finditer(text))
        if closes:
            close = closes[-1]
            # a close tag without its opening tag (the chat template opened it)
            text = _blank_span(text, 0, close.end())
            found = True
        opened = _OPEN_ONLY.search(text)
        if opened is not None:
            text = _blank_span(text, opened.start(), len(text))
            return text, True, True
    if _SOLUTION_TAGS.search(text):
        text = _SOLUTION_TAGS.sub(lambda m: " " * len(m.group()), text)
    return text, found, False


def _blank_span(text: str, start: int, end: int) -> str:
    mid = "".join(ch if ch == "\n" else " " for ch in text[start:end])
    return text[:start] + mid + text[end:]


_BLANK_LINE = re.compile(r"[ \t]+\n")
_BLANK_RUN = re.compile(r"\n{3,}")


def strip_reasoning(text: str | None) -> str:
    """The answer without its reasoning blocks (``<think>...</think>`` and the like).

    An unclosed reasoning block runs to the end of the text, so nothing of it is
    kept. A text without reasoning is returned unchanged (offsets into it stay
    valid). Used for the open-ended answers of Study 1.
    """
    if text is None:
        return ""
    text = str(text)
    blanked, found, _ = blank_reasoning(text)
    if not found:
        return text
    return _BLANK_RUN.sub("\n\n", _BLANK_LINE.sub("\n", blanked)).strip()


_REFUSAL = re.compile(
    r"\b(?:i'?m sorry|i am sorry|i apologi[sz]e|i can(?:'|no)?t\b|i cannot|i won'?t|i will not|"
    r"i'?m (?:not able|unable)|i am (?:not able|unable)|unable to (?:provide|comply|answer|rate|rank)|"
    r"i (?:do not|don'?t) have (?:personal|opinions|preferences|my own)|"
    r"as an ai\b[^.]*\b(?:not|cannot|can'?t)|not comfortable|decline to|"
    r"(?:not|isn'?t) appropriate for me|(?:don'?t|do not) think (?:it'?s|it is) appropriate|prefer not to (?:answer|rate|rank|take part)|"
    r"es tut mir leid|leider kann ich|ich kann (?:keine|nicht|diese)|kann ich (?:keine|nicht)|"
    r"lo siento|no puedo|no me es posible|lo lamento|"
    r"je suis désolé|je ne peux pas)"
    r"|抱歉|对不起|无法(?:对|进行|回答|提供|评分|排名)|我不能|不便|申し訳",
    re.I,
)


def refusal_at(text: str) -> int:
    """Offset of refusal wording in ``text``, or -1."""
    m = _REFUSAL.search(text)
    return -1 if m is None else m.start()


_CORRECTION = re.compile(
    r"\b(?:on second thought|on reflection|upon reflection|corrected (?:version|answer|ranking|"
    r"ratings?|json)|correction\s*:|let me (?:revise|correct|redo|fix|reconsider|adjust)|"
    r"revised (?:version|answer|ranking|ratings?|json)|i made (?:a|an) (?:mistake|error)|"
    r"my mistake|wait[,.!]|actually[,:]|final answer|here is the (?:corrected|revised|updated)|"
    r"updated (?:version|answer|ranking|ratings?)|"
    r"korrektur|korrigiert|korrigieren|doch lieber|noch einmal überlegt|"
    r"corrijo|corrección|corregida|corregido|mejor dicho|pensándolo mejor|rectifico)"
    r"|更正|修正|纠正|改正|重新考虑|修改后|訂正",
    re.I,
)


def correction_marks(text: str) -> list[int]:
    """Offsets of explicit corrections ("on second thought", "corrected version", ...)."""
    return [m.start() for m in _CORRECTION.finditer(text)]


_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.S)


_STRONG = re.compile(
    r"\b(?:on second thought|let me (?:revise|correct|redo|fix|reconsider)|correction\s*:|"
    r"i (?:would|'d) (?:like to )?(?:change|revise)|"
    r"korrektur|ich korrigiere|corrijo|me corrijo|rectifico)|更正|修正|纠正|改正",
    re.I,
)


def strong_marks(text: str) -> list[int]:
    """Offsets of corrections that withdraw what came before ("on second thought", ...)."""
    return [m.start() for m in _STRONG.finditer(text)]


def fence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of markdown code fences (an unclosed fence runs to the end)."""
    return [(m.start(), m.end()) for m in _FENCE.finditer(text)]


_NON_WORD = re.compile(r"[\W_]+", re.U)


def norm(s: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a key."""
    s = unicodedata.normalize("NFKD", str(s))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().replace("&", " and ")
    return _NON_WORD.sub(" ", s).strip()


def excerpt(text: str, pos: int, width: int = 80) -> str:
    """At most ``width`` characters of ``text`` around ``pos``, on one line."""
    if not text:
        return ""
    pos = max(0, min(pos, len(text)))
    start = max(0, min(pos - width // 3, len(text.rstrip()) - width))
    piece = " ".join(text[start : start + 3 * width].split())
    return piece[:width]


_TOP = r"most|extremely|highest|am wichtigsten|wichtigste[nr]?|más|mas|le plus|plus|最"
_BOTTOM = r"least|not at all|lowest|am unwichtigsten|unwichtigste[nr]?|menos|le moins|moins|最不"
_SCALE_END = re.compile(
    r"(?<![\d.,])(?P<n>\d{1,2})\s*(?:=|:|-|–|—|is|means|being|as|\(|（|为|表示|代表|是)\s*"
    r"(?:the\s+|el\s+|lo\s+)?(?:(?P<bot>" + _BOTTOM + r")|(?P<top>" + _TOP + r"))\s*"
    r"(?:importan\w*|priority|wichtig\w*|重要)",
    re.I,
)
_SCALE_WORD = re.compile(
    r"\b(?P<side>higher|lower|larger|smaller|bigger)\s+(?:numbers?|scores?|values?|ranks?|"
    r"ratings?)?\s*(?:=|means?|is|are|indicates?|for)\s*(?:the\s+)?(?P<dir>more|most|less|least)"
    r"\s+important",
    re.I,
)


def reversed_scale(text: str, fmt: str, lo: int, hi: int) -> tuple[int, str]:
    """Offset and wording of a scale statement that runs the wrong way, or ``(-1, "")``.

    Ranks run from 1 (most important) to ``hi``; ratings from ``lo`` (not at
    all important) to ``hi``. "6 = most important" in a ranking or "1 = most
    important" in a rating says the numbers mean the opposite of what the
    prompt asked, and a reader cannot tell which way the values were meant.
    """
    for m in _SCALE_END.finditer(text):
        n, top = int(m.group("n")), m.group("top") is not None
        if fmt == "ranking":
            wrong = (top and n != 1) or (not top and n == 1)
        else:
            wrong = (top and n == lo) or (not top and n == hi)
        if wrong:
            return m.start(), " ".join(m.group().split())[:40]
    for m in _SCALE_WORD.finditer(text):
        high = m.group("side").lower() in ("higher", "larger", "bigger")
        more = m.group("dir").lower() in ("more", "most")
        if high == more if fmt == "ranking" else high != more:
            return m.start(), " ".join(m.group().split())[:40]
    return -1, ""


_ECHO = re.compile(
    r"\b(?:you(?:'ve| have)? (?:listed|gave|given|provided|presented|asked|mentioned|want(?:ed)?"
    r" me)|the (?:prompt|question|survey) (?:lists|listed|gives|asks)|as (?:you )?listed|"
    r"in the order (?:given|listed|provided|presented|you)|"
    r"(?:the |these )?(?:following |six |five |\d )?(?:aspects|themes|statements|items|options|"
    r"categories) (?:are|were|listed|given|provided|to (?:be )?(?:rank|rate))|"
    r"die (?:aspekte|themen) (?:sind|lauten)|sie haben|los aspectos (?:son|que)|"
    r"les aspects (?:sont|à classer))"
    r"|(?:方面|主题)(?:是|有|包括)|你列出",
    re.I,
)
_ANSWER_INTRO = re.compile(
    r"\b(?:my|mine|final|ranking|ranked|i(?:'d| would)? rank|rangfolge|reihenfolge|meine?|"
    r"clasificaci|mi|mis|mon|ma|mes|classement|order of (?:importance|priority|preference)|"
    r"most (?:important|to least)|priorit)|我的|排名|排序",
    re.I,
)


def echo_intro(text: str, start: int) -> bool:
    """Whether the line before ``start`` introduces a restatement of the prompt's list.

    ("You listed the aspects in this order:", "The aspects are:"), as opposed
    to an answer ("My ranking:", "In order of importance:").
    """
    head = text[:start].rstrip()
    line = head[head.rfind("\n") + 1 :]
    return bool(_ECHO.search(line)) and not _ANSWER_INTRO.search(line)


_BOXED = re.compile(r"\\boxed\s*\{")


def unbox(text: str) -> str:
    """``\\boxed{...}`` (LaTeX answer wrappers) blanked to its content, offsets kept."""
    if "\\boxed" not in text:
        return text
    out = list(text)
    for m in _BOXED.finditer(text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            continue
        out[m.start() : m.end()] = " " * (m.end() - m.start())
        out[j - 1] = " "
    return "".join(out)
