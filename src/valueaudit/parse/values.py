"""Reading one value: integers, numeric strings, ordinal rank words.

``read_value`` returns ``(value, reason, how)``: the integer (or None), the
reason code when no valid value could be read, and how it was read
(``""`` for a plain number, ``"value_text"`` for a number inside text,
``"ordinal_words"`` for "first" / "2nd").
"""

from __future__ import annotations

import math
import re

__all__ = ["read_value", "rank_token", "ordinal_word", "TIE_WORDS"]

_UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_UNIT_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _ord_of(word: str) -> str:
    if word in _UNIT_ORD:
        return _UNIT_ORD[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def ordinal_word(n: int) -> str:
    """English ordinal word of ``n`` (1..99): "first", "twenty-second"."""
    if n < 20:
        return _ord_of(_UNITS[n])
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _ord_of(_TENS[tens])
    return f"{_TENS[tens]}-{_ord_of(_UNITS[unit])}"


_ORDINALS = {ordinal_word(n): n for n in range(1, 100)}
_ORD_WORD = re.compile(
    r"^(?:rank(?:ed)?\s+|place\s+)?(" + "|".join(sorted(_ORDINALS, key=len, reverse=True))
    + r")(?:\s+(?:place|rank|position|most important|least important))?\b(.*)$",
    re.I | re.S,
)
_NUM = re.compile(
    r"^(?:(?:rank(?:ed|ing)?|rang|rango|puesto|platz|place|position|posición|score|rating|"
    r"nota|no\.?|nr\.?|#|第)\s*[:#]?\s*)?"
    r"(-?\d+(?:[.,]\d+)?)\s*(st|nd|rd|th|\.(?!\d)|分|点|位|名|puntos?|punkte?|points?|pts?\.?)?"
    r"\s*(?:(?:/|out of|von|de|sur)\s*(\d+))?(.*)$",
    re.I | re.S,
)
_RANGE_REST = re.compile(r"^\s*(?:[-–—~]|to|or|bis|oder|o|a|y|und|and|至|或|到)\s*\d", re.I)
_HEDGE_REST = re.compile(
    r"^\s*[?？]|(?:\b(?:maybe|perhaps|possibly|probably|or|vielleicht|eventuell|oder|"
    r"quizás?|tal vez|peut-être|ou)\b|或|也许|可能)\s*(?:even\s+|sogar\s+|a\s+)?\d"
    r"|^\s*(?:→|->|=>|⇒|⟶|➔|>)\s*\d",
    re.I,
)
#: wording that says a rank is shared ("tied with", "equal", "ex aequo", "并列")
TIE_WORDS = re.compile(
    r"\b(?:tie[ds]?|tied|tying|equal(?:ly)?|same rank|joint|ex[ -]aequo|gleichauf|gleichrangig|"
    r"geteilt|empat(?:e|ad[oa])|igual(?:es)?|à égalité)\b|并列|同等|同列",
    re.I,
)
_CLEAN = re.compile(r"[*`_]+")


def rank_token(s: str, hi: int) -> int | None:
    """A rank written as a key or label: "Rank 1", "1st", "First", "#2", "第1名", "1"."""
    s = _CLEAN.sub("", s).strip().rstrip(".:)").strip()
    s = re.sub(r"\s+(?:place|rank|position|platz|lugar|puesto|priority)$", "", s, flags=re.I)
    if not s or len(s) > 24:
        return None
    m = _ORD_WORD.match(s)
    if m and not m.group(2).strip():
        n = _ORDINALS[m.group(1).lower()]
        return n if n <= hi else None
    m = _NUM.match(s)
    if m and not m.group(4).strip() and m.group(3) is None and re.fullmatch(r"\d+", m.group(1)):
        n = int(m.group(1))
        return n if 1 <= n <= hi else None
    return None


def read_value(raw, fmt: str, lo: int, hi: int) -> tuple[int | None, str, str]:
    """One value: ``(int, "", how)`` or ``(None, reason, "")``."""
    if raw is None:
        return None, "missing_item", ""
    if isinstance(raw, bool):
        return None, "invalid_value", ""
    if isinstance(raw, int):
        return (raw, "", "") if lo <= raw <= hi else (None, "out_of_range", "")
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None, "invalid_value", ""
        if not raw.is_integer():
            return None, "non_integer", ""
        v = int(raw)
        return (v, "", "") if lo <= v <= hi else (None, "out_of_range", "")
    if not isinstance(raw, str):
        return None, "invalid_value", ""
    s = _CLEAN.sub("", raw).strip().strip("\"'").strip()
    if not s:
        return None, "missing_item", ""
    if s.lower() in ("null", "none", "n/a", "na", "-", "—", "?"):
        return None, "missing_item", ""
    if fmt == "ranking":
        m = _ORD_WORD.match(s)
        if m:
            n = _ORDINALS[m.group(1).lower()]
            if _RANGE_REST.match(m.group(2)):
                return None, "invalid_value", ""
            return (n, "", "ordinal_words") if n <= hi else (None, "out_of_range", "")
    m = _NUM.match(s)
    if m is None:
        return None, "invalid_value", ""
    num, suffix, denom, rest = m.groups()
    if _RANGE_REST.match(rest) or _HEDGE_REST.search(rest):
        return None, "invalid_value", ""
    if fmt == "ranking" and TIE_WORDS.search(rest):
        return None, "tie", ""
    if rest.strip() and rest.strip()[0].isalnum() and not rest.startswith((" ", "\n", "\t")):
        return None, "invalid_value", ""
    if re.search(r"[.,]\d", num):
        return None, "non_integer", ""
    v = int(num)
    suffix = (suffix or "").lower()
    if suffix in ("st", "nd", "rd", "th") and fmt != "ranking":
        return None, "invalid_value", ""
    if denom is not None and int(denom) != hi:
        return None, "out_of_range", ""
    if not lo <= v <= hi:
        return None, "out_of_range", ""
    how = "ordinal_words" if suffix in ("st", "nd", "rd", "th") else "value_text"
    return v, "", how
