"""The Study 3 library's defaults equal the config schema's: each parameter that mirrors a
config key has the schema's default for that key."""

from __future__ import annotations

import inspect

import pytest

from valueaudit import study3 as s3

from .schema_defaults import schema_default, schema_node

#: (function, parameter) -> config key (dotted path into the config)
PAIRS = {
    (s3.fidelity_table, "n_boot"): "study3.bootstrap",
    (s3.fidelity_table, "bias_correct"): "study3.bias_correct",
    (s3.fidelity_table, "fidelity_ci"): "study3.fidelity_ci",
    (s3.fidelity_table, "boot_bias_correct"): "study3.boot_bias_correct",
    (s3.fidelity_table, "calibration_margin"): "study3.calibration_margin",
    (s3.fidelity_table, "n_perm"): "study3.null_permutations",
    (s3.model_step, "bootstrap"): "study3.bootstrap",
    (s3.model_step, "bias_correct"): "study3.bias_correct",
    (s3.model_step, "fidelity_ci"): "study3.fidelity_ci",
    (s3.model_step, "boot_bias_correct"): "study3.boot_bias_correct",
    (s3.model_step, "calibration_margin"): "study3.calibration_margin",
    (s3.model_step, "null_permutations"): "study3.null_permutations",
    (s3.human_profile, "n_boot"): "study3.bootstrap",
    (s3.consensus_profile, "n_boot"): "study3.bootstrap",
    (s3.reference_points, "n_splits"): "study3.noise_ceiling_splits",
    (s3.fidelity_step, "min_sessions"): "study3.min_sessions",
    (s3.fidelity_step, "noise_ceiling_splits"): "study3.noise_ceiling_splits",
    (s3.humans_step, "bootstrap"): "study3.bootstrap",
    (s3.humans_step, "fmt"): "profiles.response_format",
    (s3.leaderboard_step, "fmt"): "profiles.response_format",
    (s3.profiles_step, "bootstrap"): "study3.bootstrap",
    (s3.profiles_step, "fmt"): "profiles.response_format",
    (s3.characteristics_step, "fmt"): "profiles.response_format",
    (s3.agency_step, "fmt"): "profiles.response_format",
    (s3.agency_step, "focal"): "study3.focal_theme",
    (s3.robustness_step, "fmt"): "profiles.response_format",
    (s3.macros_step, "fmt"): "profiles.response_format",
}


@pytest.mark.parametrize(("function", "param"), list(PAIRS), ids=[
    f"{f.__name__}.{p}" for f, p in PAIRS])
def test_function_default_is_the_schema_default(function, param):
    key = PAIRS[(function, param)]
    default = inspect.signature(function).parameters[param].default
    assert default is not inspect.Parameter.empty, f"{function.__name__}({param}) has no default"
    expected = schema_default(key)
    assert default == expected and type(default) is type(expected), (
        f"{function.__module__}.{function.__name__}({param}={default!r}) but the schema's "
        f"default of {key} is {expected!r}")


def test_every_study3_analysis_key_is_pinned():
    """A new ``study3`` config key needs a row in PAIRS (the library must mirror it)."""
    keys = set(schema_node("study3")["properties"])
    pinned = {k.split(".", 1)[1] for k in PAIRS.values() if k.startswith("study3.")}
    assert keys == pinned, f"study3 keys without a pinned library default: {keys - pinned}"
