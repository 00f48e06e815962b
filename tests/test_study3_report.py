"""Study 3 display tables, reference points and macros (valueaudit.study3.report/macros)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from valueaudit import study3 as s3
from valueaudit.study3 import macros
from valueaudit.study3 import model_characteristics as ch
from valueaudit.tables import macro_name


def _fidelity():
    return pd.DataFrame({
        "model_id": ["a", "b", "c", "d"], "format": "rating",
        "analysed": [True, True, True, False],
        "fidelity": [0.9, 0.5, 0.7, np.nan], "null_mean": [0.1, 0.2, 0.3, np.nan],
    })


def _ceiling():
    return {"n_splits": 50, "n_half": 20, "fidelity": 0.9, "lo": 0.8, "hi": 0.95,
            "loo_n": 40, "loo_median": 0.6, "loo_q25": 0.5, "loo_q75": 0.7}


def test_reference_points_table_medians_iqrs_and_nulls():
    sessions = pd.DataFrame({"model_id": ["a", "a", "b", "c", "d", "a"],
                             "format": ["rating"] * 5 + ["ranking"],
                             "fidelity": [0.2, 0.4, np.nan, 0.8, 0.99, 0.0]})
    t = s3.reference_points_table(_ceiling(), _fidelity(), sessions, "rating")
    assert list(t["reference"]) == list(s3.REFERENCE_ROWS.values())
    sess = s3.reference_value(t, "session")  # model d (not analysed) and ranking left out
    v = np.array([0.2, 0.4, 0.8])
    assert sess["n"] == 3 and sess["centre"] == pytest.approx(np.median(v))
    assert (sess["low"], sess["high"]) == pytest.approx(tuple(np.quantile(v, [0.25, 0.75])))
    prof = s3.reference_value(t, "profiles")
    assert prof["n"] == 3 and prof["centre"] == pytest.approx(0.7)
    null = s3.reference_value(t, "null")
    assert null["n"] == 3 and null["centre"] == pytest.approx(0.2)
    ceil = s3.reference_value(t, "ceiling")
    assert (ceil["centre"], ceil["low"], ceil["high"]) == (0.9, 0.8, 0.95)
    assert ceil["unit"] == "splits into halves of 20"


def test_reference_value_names_a_missing_row():
    t = s3.reference_points_table(_ceiling(), _fidelity(), pd.DataFrame(
        {"model_id": [], "format": [], "fidelity": []}), "rating")
    with pytest.raises(ValueError, match="Human noise ceiling"):
        s3.reference_value(t[t["reference"] != s3.REFERENCE_ROWS["ceiling"]], "ceiling")


def test_characteristic_row_names_a_missing_row():
    tests = pd.DataFrame({"predictor": [ch.SIZE], "test": [ch.SPEARMAN], "statistic": [0.5]})
    assert ch.characteristic_row(tests, ch.SIZE, ch.SPEARMAN)["statistic"] == 0.5
    with pytest.raises(ValueError, match=r"release date.*Spearman rho"):
        ch.characteristic_row(tests, ch.RECENCY, ch.SPEARMAN)


def test_characteristics_rows_use_the_lookup_keys():
    rng = np.random.default_rng(1)
    n = 12
    fid = pd.DataFrame({
        "model_id": [f"m{i}" for i in range(n)], "format": "rating", "analysed": True,
        "fidelity": rng.uniform(0.2, 0.9, n), "params_b": rng.uniform(1, 100, n),
        "release_date": [f"202{i % 4}-0{1 + i % 9}" for i in range(n)],
        "tier": ["small", "mid", "frontier"] * 4,
    })
    tests = s3.characteristics(fid, ["small", "mid", "frontier"], "rating")
    for pred, test in [(ch.SIZE, ch.SPEARMAN), (ch.RECENCY, ch.SPEARMAN),
                       (ch.TIER_ORDINAL, ch.SPEARMAN), (ch.TIER, ch.KRUSKAL),
                       (ch.OLS_SIZE, ch.OLS), (ch.OLS_RECENCY, ch.OLS), (ch.TIER_JOINT, ch.WALD)]:
        ch.characteristic_row(tests, pred, test)
    v: dict[str, str] = {}
    macros._characteristics(v, tests)
    assert {"size_rho", "tier_h", "ols_size_b", "ols_recency_p", "ols_tier_f"} <= set(v)
    with pytest.raises(ValueError, match="Kruskal-Wallis H"):
        macros._characteristics({}, tests[tests["test"] != ch.KRUSKAL])
    with pytest.raises(ValueError, match="release date \\(years\\)"):
        macros._characteristics({}, tests[tests["predictor"] != ch.OLS_RECENCY])


@given(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=1, max_size=4))
def test_alias_is_the_former_name_of_the_study_three_macro(words):
    key = macros.PREFIX + "_".join(words)
    former = macro_name("_".join(words))
    aliases = macros.macro_aliases({key: "1"})
    assert aliases == {former: key}
    assert macro_name(key) == "studyThree" + former[0].upper() + former[1:]


def test_robustness_display_is_lower_triangular():
    ranks = pd.DataFrame({"model_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0],
                          "y": [2.0, 1.0, 3.0], "z": [1.0, 3.0, 2.0]})
    taus = pd.DataFrame({"index_a": ["x", "x", "y"], "index_b": ["y", "z", "z"],
                         "tau": [0.33, np.nan, -0.33], "p": [0.01, np.nan, 0.6], "n": 3})
    t = s3.report.robustness_display(ranks, taus, "rating")
    assert list(t.display["Leaderboard"]) == ["y", "z"]
    assert t.display.loc[0, "x"] == ".33*" and t.display.loc[1, "x"] == "NA"
    assert t.display.loc[1, "y"] == "-.33"
    assert t.display.loc[0, "y"] == "" and "n = 3 per pair" in t.note
