"""valueaudit.memo: a second read of the same bytes reuses the first, other bytes never do."""

from __future__ import annotations

import shutil

import pytest

from valueaudit import memo
from valueaudit.contracts import DataValidationError, read_responses, write_csv
from valueaudit.instrument import load_instrument

from .conftest import INSTRUMENT


@pytest.fixture
def responses(tmp_path, small_run):
    src = sorted((small_run / "results/data/responses").glob("*.csv"))[0]
    dst = tmp_path / "responses.csv"
    shutil.copy(src, dst)
    return dst


@pytest.mark.e2e
def test_same_bytes_are_read_once_and_each_caller_gets_a_copy(responses, monkeypatch):
    ins = load_instrument(INSTRUMENT)
    memo.clear()
    first = read_responses(responses, ins)
    first.loc[0, "value"] = -999  # a caller changing its frame changes no other caller's
    calls = []
    monkeypatch.setattr("valueaudit.contracts.answers.read_table",
                        lambda *a, **k: calls.append(a) or None)
    second = read_responses(responses, ins)
    assert not calls and second.loc[0, "value"] != -999


@pytest.mark.e2e
def test_new_bytes_at_the_same_path_are_read_and_checked_again(responses):
    ins = load_instrument(INSTRUMENT)
    memo.clear()
    df = read_responses(responses, ins)
    bad = df.copy()
    bad.loc[bad["value"].notna().idxmax(), "value"] = 10**6  # out of range, same path
    write_csv(bad, responses)
    with pytest.raises(DataValidationError, match="out of range"):
        read_responses(responses, ins)


def test_the_instrument_is_read_once_per_content(tmp_path):
    memo.clear()
    a = load_instrument(INSTRUMENT)
    assert load_instrument(INSTRUMENT) is a  # frozen, shared
    copy = tmp_path / "instrument.yaml"
    copy.write_bytes(INSTRUMENT.read_bytes() + b"\n# another comment\n")
    b = load_instrument(copy)
    assert b is not a and b.theme_ids == a.theme_ids and b.sha256 != a.sha256
