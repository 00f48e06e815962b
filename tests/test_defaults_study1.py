"""Study 1 library defaults equal the config schema's defaults: every parameter of a Study 1
function that mirrors a config key has that key's schema default."""

from __future__ import annotations

import inspect

import pytest

from valueaudit import study1 as s1

from .schema_defaults import schema_default, schema_node

#: (function, parameter, config key) for every Study 1 parameter that mirrors a config key.
PAIRS = [
    (s1.prevalence, "rule", "study1.prevalence_rule"),
    (s1.cooccurrence, "rule", "study1.prevalence_rule"),
    (s1.prevalence_step, "rule", "study1.prevalence_rule"),
    (s1.cooccurrence_step, "rule", "study1.prevalence_rule"),
    (s1.reliability, "n_boot", "study1.bootstrap"),
    (s1.prevalence_step, "n_boot", "study1.bootstrap"),
    (s1.saturation, "n_orders", "study1.saturation_orders"),
    (s1.saturation_step, "n_orders", "study1.saturation_orders"),
    (s1.saturation, "threshold", "study1.saturation_threshold"),
    (s1.saturation_step, "threshold", "study1.saturation_threshold"),
    (s1.import_step, "fmt", "coding.format"),
    (s1.import_step, "answers", "coding.answers"),
    (s1.load_coding, "answers", "coding.answers"),
]


@pytest.mark.parametrize(("function", "parameter", "key"), PAIRS,
                         ids=[f"{f.__name__}.{p}" for f, p, _ in PAIRS])
def test_library_default_is_the_schema_default(function, parameter, key):
    param = inspect.signature(function).parameters[parameter]
    assert param.default is not inspect.Parameter.empty, f"{function.__name__}({parameter})"
    assert param.default == schema_default(key), (function.__name__, parameter, key)


def test_every_study1_setting_is_pinned():
    """A new study1.* key with a default needs its library parameter pinned here."""
    keys = {f"study1.{k}" for k, v in schema_node("study1")["properties"].items()
            if "default" in v}
    assert keys <= {key for _, _, key in PAIRS}, keys - {key for _, _, key in PAIRS}


def test_the_rules_name_no_default_of_their_own():
    """study1.smk indexes the config (filled from the schema); it repeats no default."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "workflow/rules/study1.smk").read_text()
    assert ".get(" not in text
    assert "+ 110" not in text and 'seed("study1.' in text
