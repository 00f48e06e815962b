"""The parser: every answer-text variant gets the right status; it never crashes and never invents a value."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.parse import parse_answer, parse_record, parse_records
from valueaudit.simulate import _answer_text

ITEMS = ["perf_1", "perf_2", "eth_1", "agen_1"]


def rating(text, targets=ITEMS):
    return parse_answer(text, targets, "rating", 1, 7)


VALUES = {"perf_1": 6, "perf_2": 7, "eth_1": 5, "agen_1": 2}


@pytest.mark.parametrize(
    "text,status",
    [
        (json.dumps(VALUES), "ok"),
        (json.dumps(VALUES, indent=2), "ok"),
        ("```json\n" + json.dumps(VALUES, indent=2) + "\n```", "repaired"),
        ("Sure! Here are my ratings:\n" + json.dumps(VALUES) + "\nHope this helps.", "repaired"),
        ("1. perf_1: 6\n2. perf_2: 7\n3. eth_1: 5\n4. agen_1: 2", "repaired"),
        ("- [perf_1] 6\n- [perf_2] 7\n- [eth_1] 5\n- [agen_1] 2", "repaired"),
        ("I'm sorry, but I can't provide personal ratings.", "refused"),
        ("As an AI, I do not have personal opinions and cannot rate these.", "refused"),
        (json.dumps(VALUES)[:25], "unparseable"),
        ("They are all important.", "unparseable"),
        ("", "error"),
        (None, "error"),
        (json.dumps({**VALUES, "agen_1": 9}), "unparseable"),  # out of range
        (json.dumps({**VALUES, "agen_1": 2.5}), "unparseable"),  # not an integer
        (json.dumps({k: v for k, v in VALUES.items() if k != "eth_1"}), "unparseable"),  # missing
        (json.dumps({**VALUES, "agen_1": True}), "unparseable"),  # bool is not a rating
        ("1. perf_1: 6\n2. perf_2: 7\n3. eth_1: 5\n4. agen_1: 2\n5. perf_1: 3", "unparseable"),
    ],
)
def test_rating_variants(text, status):
    res = rating(text)
    assert res.status == status, res
    if status in ("ok", "repaired"):
        assert res.values == VALUES
    else:
        assert res.values is None


def test_strict_rejects_string_numbers_but_lenient_accepts():
    text = json.dumps({k: str(v) for k, v in VALUES.items()})
    res = rating(text)
    assert res.status == "repaired" and res.values == VALUES


THEMES = ["performance", "ethics", "agency", "social"]


@pytest.mark.parametrize(
    "text,status,values",
    [
        ('{"performance": 2, "ethics": 1, "agency": 4, "social": 3}', "ok",
         {"performance": 2, "ethics": 1, "agency": 4, "social": 3}),
        ('{"ranking": ["ethics", "performance", "social", "agency"]}', "repaired",
         {"ethics": 1, "performance": 2, "social": 3, "agency": 4}),
        ("1. [ethics]\n2. [performance]\n3. [social]\n4. [agency]", "repaired",
         {"ethics": 1, "performance": 2, "social": 3, "agency": 4}),
        ('{"performance": 1, "ethics": 1, "agency": 4, "social": 3}', "unparseable", None),  # tie
        ('{"performance": 2, "ethics": 1, "agency": 5, "social": 3}', "unparseable", None),  # gap
    ],
)
def test_ranking_variants(text, status, values):
    res = parse_answer(text, THEMES, "ranking", 1, 4)
    assert res.status == status
    assert res.values == values


@pytest.mark.parametrize("variant,status", [
    ("bare", "ok"), ("fence", "repaired"), ("prose", "repaired"), ("list", "repaired"),
    ("refusal", "refused"), ("truncated", "unparseable"), ("garbage", "unparseable"),
])
@pytest.mark.parametrize("fmt", ["rating", "ranking"])
def test_simulator_variants_are_read_as_planted(variant, status, fmt, instrument):
    rng = np.random.default_rng(7)
    targets = instrument.targets(fmt)
    lo, hi = instrument.value_range(fmt)
    for _rep in range(20):
        if fmt == "rating":
            vals = {t: int(rng.integers(lo, hi + 1)) for t in targets}
        else:
            vals = {t: int(r) + 1 for t, r in zip(targets, rng.permutation(len(targets)), strict=True)}
        order = list(rng.permutation(targets))
        text, _ = _answer_text(rng, variant, vals, order, fmt)
        res = parse_answer(text, targets, fmt, lo, hi)
        if variant == "truncated" and res.values is not None:
            assert res.values == vals  # a cut after the last value may still be complete
            continue
        assert res.status == status, (variant, text)
        if status in ("ok", "repaired"):
            assert res.values == vals


def _record(body, error=None, repair=None, api="openai.chat.completions"):
    return {"model_id": "m", "task": "rating", "session": 1, "attempt": 1, "api": api,
            "response_body": body, "error": error, "repair": repair}


def _body(text, finish="stop"):
    return {"choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": finish}]}


def test_record_level_statuses(instrument):
    vals = {i: 5 for i in instrument.item_ids}
    assert parse_record(_record(_body(json.dumps(vals))), instrument).status == "ok"
    err = {"type": "RateLimitError", "status": 429, "message": "Too Many Requests"}
    assert parse_record(_record(None, error=err), instrument).status == "error"
    # a content filter with no readable values is a refusal
    assert parse_record(_record(_body("", "content_filter")), instrument).status == "refused"
    # an unparseable answer repaired by the one repair request
    rep = {"request": {}, "response_body": _body(json.dumps(vals))}
    res = parse_record(_record(_body("All important."), repair=rep), instrument)
    assert res.status == "repaired" and res.values == vals
    # Anthropic body
    anth = {"content": [{"type": "text", "text": json.dumps(vals)}], "stop_reason": "end_turn"}
    assert parse_record(_record(anth, api="anthropic.messages"), instrument).status == "ok"
    # no text at all (empty choices, empty content, whitespace) -> error, empty_response
    for body in ({"choices": []}, _body(None), _body("  \n"),
                 {"content": [], "stop_reason": "end_turn"}):
        api = "anthropic.messages" if "content" in body else "openai.chat.completions"
        res = parse_record(_record(body, api=api), instrument)
        assert (res.status, res.reason) == ("error", "empty_response")
        # the collector's record of the same reply carries its empty_response error
        err = {"type": "empty_response", "message": "HTTP 200 without answer text"}
        res = parse_record(_record(body, error=err, api=api), instrument)
        assert (res.status, res.reason) == ("error", "empty_response")
    res = parse_record(_record(None, error={"type": "APITimeoutError"}), instrument)
    assert (res.status, res.reason) == ("error", "api_error")


def test_last_attempt_wins_and_failed_sessions_have_no_values(instrument):
    vals = {i: 4 for i in instrument.item_ids}
    err = {"type": "InternalServerError", "status": 503, "message": "unavailable"}
    recs = [
        {**_record(None, error=err), "attempt": 1},
        {**_record(_body(json.dumps(vals))), "attempt": 2},
        {**_record(_body("I'm sorry, I can't.")), "session": 2},
    ]
    df = parse_records(recs, instrument)
    s1 = df[df.session == 1]
    assert set(s1.status) == {"ok"} and (s1.value == 4).all()
    s2 = df[df.session == 2]
    assert set(s2.status) == {"refused"} and s2.value.isna().all()
    assert len(s2) == len(instrument.item_ids)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_garbage_never_crashes_nor_invents(text):
    res = rating(text)
    assert res.status in ("ok", "repaired", "refused", "unparseable", "error")
    assert (res.status == "error") == (not text.strip())
    folded = text.casefold()
    if res.values is not None:
        for k, v in res.values.items():
            assert k in folded and str(v) in text


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(ITEMS), st.integers(1, 7), min_size=4, max_size=4),
       st.integers(0, 200))
def test_truncation_never_changes_values(vals, cut):
    text = json.dumps(vals, indent=2)
    res = rating(text[: min(cut, len(text))])
    if res.values is not None:
        assert res.values == vals


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(ITEMS), st.one_of(st.integers(-5, 15), st.floats(allow_nan=True),
                                                          st.text(max_size=3), st.none()),
                       min_size=0, max_size=4))
def test_invalid_values_are_never_used(vals):
    res = rating(json.dumps(vals))
    if res.values is not None:
        assert all(1 <= v <= 7 for v in res.values.values())
        assert set(res.values) == set(ITEMS)
