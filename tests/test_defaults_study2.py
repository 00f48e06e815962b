"""Study 2 library defaults equal the config schema's defaults: every parameter of a Study 2
function that mirrors a config key has that key's schema default."""

from __future__ import annotations

import inspect

import pytest

from valueaudit import study2 as s2

from .schema_defaults import schema_default

#: (function, parameter, config key) for every Study 2 parameter that mirrors a config key.
PAIRS = [
    (s2.within_model, "min_sessions", "study2.min_sessions"),
    (s2.within_model_table, "min_sessions", "study2.min_sessions"),
    (s2.model_profiles, "min_sessions", "study2.min_sessions"),
    (s2.consensus_ordering, "n_boot", "study2.bootstrap"),
    (s2.cluster_profiles, "k_max", "study2.max_clusters"),
    (s2.stability_step, "response_format", "profiles.response_format"),
    (s2.stability_step, "min_sessions", "study2.min_sessions"),
    (s2.stability_step, "tiers", "models.tiers"),
    (s2.convergence_step, "response_format", "profiles.response_format"),
    (s2.convergence_step, "min_sessions", "study2.min_sessions"),
    (s2.convergence_step, "bootstrap", "study2.bootstrap"),
    (s2.clusters_step, "response_format", "profiles.response_format"),
    (s2.clusters_step, "min_sessions", "study2.min_sessions"),
    (s2.clusters_step, "max_clusters", "study2.max_clusters"),
    (s2.macros_step, "response_format", "profiles.response_format"),
    (s2.study2_macros, "fmt", "profiles.response_format"),
    (s2.plot_stability, "tier_levels", "models.tiers"),
]

#: Parameters named like a config key that are something else: model id -> tier mappings.
NOT_CONFIG = {("clusters_display", "tiers"), ("plot_stability", "tiers")}


@pytest.mark.parametrize(("function", "param", "key"), PAIRS,
                         ids=[f"{f.__name__}.{p}" for f, p, _ in PAIRS])
def test_function_default_is_the_schema_default(function, param, key):
    default = inspect.signature(function).parameters[param].default
    assert default is not inspect.Parameter.empty, f"{function.__name__}({param}) has no default"
    expected = schema_default(key)
    got = list(default) if isinstance(default, tuple) else default
    assert got == expected, f"{function.__name__}({param}={default!r}) but schema {key}: {expected!r}"


def test_every_config_mirroring_parameter_is_pinned():
    """A Study 2 function with a parameter named like a config key it uses is in PAIRS."""
    names = {"min_sessions", "bootstrap", "n_boot", "max_clusters", "k_max",
             "response_format", "tiers", "tier_levels"}
    pinned = {(f.__name__, p) for f, p, _ in PAIRS}
    for name in s2.__all__:
        obj = getattr(s2, name)
        if inspect.isfunction(obj):
            for p in inspect.signature(obj).parameters:
                if p in names and (obj.__name__, p) not in NOT_CONFIG:
                    assert (obj.__name__, p) in pinned, f"{obj.__name__}({p}) is not pinned"
