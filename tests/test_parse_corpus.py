"""The parser against a corpus of real-style answers, answer by answer.

Every entry of ``tests/data/parse_corpus/*.yaml`` says what a careful human
reader takes from the answer: its values (a complete answer) or the status and
reason the parser must give. Never a wrong value, never an invalid answer
accepted.
"""

from collections import Counter
from pathlib import Path

import pytest

from valueaudit.instrument import load_instrument
from valueaudit.parse import REASONS, REPAIRS, STATUSES, parse_record
from valueaudit.parse.corpus import corpus_record, load_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = load_corpus(ROOT / "tests" / "data" / "parse_corpus")
INSTRUMENTS = {
    "optimal_ai_v1": load_instrument(ROOT / "resources" / "instrument" / "optimal_ai_v1.yaml"),
    "five_themes": load_instrument(ROOT / "tests" / "data" / "instrument_5themes.yaml"),
}


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
def test_corpus_answer(entry):
    ins = INSTRUMENTS[entry.get("instrument", "optimal_ai_v1")]
    res = parse_record(corpus_record(entry), ins)
    want = entry["expect"]
    assert res.status == want["status"], (res.status, res.reason, res.detail)
    assert res.values == want.get("values")
    if want["status"] in ("ok", "repaired"):
        assert res.reason == ""
    else:
        assert res.reason == want["reason"], (res.reason, res.detail, res.excerpt)
        assert res.message
    assert set(want.get("repairs", ())) <= set(res.repairs), res.repairs
    assert set(res.repairs) <= set(REPAIRS)
    assert res.status in STATUSES and (not res.reason or res.reason in REASONS)
    assert len(res.excerpt) <= 80


def test_corpus_covers_what_it_must():
    """At least 120 answers; every style and failure at least three times; four languages."""
    assert len(CORPUS) >= 120
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    langs = Counter(e["lang"] for e in CORPUS)
    assert {"en", "de", "es", "zh"} <= set(langs)
    assert all(langs[lang] >= 10 for lang in ("de", "es", "zh")), langs
    styles = Counter(e["style"] for e in CORPUS)
    assert all(n >= 3 for n in styles.values()), styles
    for fmt in ("rating", "ranking"):
        assert sum(e["format"] == fmt for e in CORPUS) >= 40
    reasons = Counter(e["expect"].get("reason") for e in CORPUS if "reason" in e["expect"])
    for reason in ("truncated", "missing_item", "out_of_range", "tie", "conflict",
                   "ambiguous_key", "refusal", "empty_response", "no_answer_found"):
        assert reasons[reason] >= 3, (reason, reasons)
    repairs = Counter(r for e in CORPUS for r in e["expect"].get("repairs", ()))
    for repair in ("fence", "prose", "label_keys", "wording_keys", "last_of_several",
                   "reasoning_stripped", "truncated"):
        assert repairs[repair] >= 3, (repair, repairs)
    assert sum(e.get("instrument") == "five_themes" for e in CORPUS) >= 8
