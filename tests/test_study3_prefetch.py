"""Study 3's per-model step computed for many models in one joint bootstrap
(valueaudit.study3.steps.prefetch_model_steps) gives exactly the frames of separate
model_step calls, and each model's call takes its own result once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valueaudit.contracts import read_raw_records
from valueaudit.instrument import FORMATS
from valueaudit.parse import parse_records
from valueaudit.study3 import steps as S

from .conftest import REPO

RAW = sorted((REPO / "resources/demo/raw").glob("*.jsonl"))[:4]
KW = {"bootstrap": 300, "seed": 5, "null_permutations": 200, "null_seed": 6}


@pytest.fixture(scope="module")
def inputs(instrument):
    responses = {p.stem: parse_records(read_raw_records(p), instrument) for p in RAW}
    rng = np.random.default_rng(3)
    themes = instrument.theme_ids
    humans = pd.DataFrame([
        {"respondent_id": f"P{r:03d}", "format": f, "theme": t,
         "score": float(rng.integers(1, 8)) if f == "rating" else float(v)}
        for r in range(60) for f in FORMATS
        for t, v in zip(themes, rng.permutation(len(themes)) + 1, strict=True)])
    return responses, humans


def _call(mid, responses, instrument, humans, **kw):
    return {"model_id": mid, "responses": responses, "instrument": instrument, "humans": humans,
            "source": f"{mid}.csv", "bias_correct": True, "fidelity_ci": "joint",
            "boot_bias_correct": True, "calibration_margin": 1.25, **{**KW, **kw}}


def _same(a: dict, b: dict, dtypes: bool = True) -> None:
    """Equal values and written bytes; with ``dtypes``, equal column types too."""
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].to_csv(float_format="%.10g") == b[name].to_csv(float_format="%.10g")
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, check_dtype=dtypes)


def test_the_joint_form_gives_the_frames_of_separate_calls(inputs, instrument):
    responses, humans = inputs
    S._PREFETCHED.clear()
    alone = {m: S.model_step(**_call(m, r, instrument, humans)) for m, r in responses.items()}
    kept = S.prefetch_model_steps([_call(m, r, instrument, humans)
                                   for m, r in responses.items()])
    assert kept == len(responses) == len(S._PREFETCHED)
    joint = {m: S.model_step(**_call(m, r, instrument, humans)) for m, r in responses.items()}
    assert not S._PREFETCHED  # each result handed out once
    for m in responses:
        _same(alone[m], joint[m])


def test_the_joint_form_matches_with_unequal_and_missing_sessions(inputs, instrument):
    """Models with different numbers of valid sessions fall into different bootstrap groups,
    and a model without a rating session has no bootstrap there: still exactly the values
    and written bytes of separate calls (a text column without values, ``reason``, may be
    typed object in one and string in the other: the CSV the step writes is the same)."""
    responses, humans = inputs
    (a, ra), (b, rb), (c, rc) = list(responses.items())[:3]
    cut = {a: ra[ra["session"] <= 2], b: rb[rb["session"] % 2 == 1],
           c: rc[rc["format"] != "rating"]}
    assert all(len(r) for r in cut.values())
    S._PREFETCHED.clear()
    alone = {m: S.model_step(**_call(m, r, instrument, humans)) for m, r in cut.items()}
    assert S.prefetch_model_steps([_call(m, r, instrument, humans) for m, r in cut.items()]) == 3
    for m, r in cut.items():
        _same(alone[m], S.model_step(**_call(m, r, instrument, humans)), dtypes=False)
    assert not S._PREFETCHED


def test_a_result_is_used_only_for_the_same_inputs_and_params(inputs, instrument):
    responses, humans = inputs
    (m, r), (other, r2) = list(responses.items())[:2]
    S._PREFETCHED.clear()
    S.prefetch_model_steps([_call(m, r, instrument, humans)])
    # other params: computed afresh (and equal to a separate call), the kept result stays
    got = S.model_step(**_call(m, r, instrument, humans, seed=99))
    _same(got, S.model_step(**_call(m, r, instrument, humans, seed=99)))
    assert len(S._PREFETCHED) == 1
    # responses of another model under this id: refused as without the joint form
    S.prefetch_model_steps([_call(m, r2, instrument, humans)])
    with pytest.raises(ValueError, match="expected"):
        S.model_step(**_call(m, r2, instrument, humans))
    S._PREFETCHED.clear()
    assert other != m
