"""The Examples sections of the public statistics API run as doctests.

Every module of the packages below is collected with :mod:`doctest`, so an example
whose printed value no longer matches what the function returns fails here. The
METHODS section 8 functions must each carry at least one example.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("valueaudit.stats", "valueaudit.fidelity", "valueaudit.tables")

#: METHODS section 8 functions that must show a runnable example
DOCUMENTED = (
    "valueaudit.stats.icc",
    "valueaudit.stats.kendalls_w",
    "valueaudit.stats.krippendorff_alpha",
    "valueaudit.stats.cohens_kappa",
    "valueaudit.stats.fleiss_kappa",
    "valueaudit.fidelity.profile_fidelity",
    "valueaudit.fidelity.bootstrap_fidelity",
)


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__)]
    return names


MODULES = [name for package in PACKAGES for name in _modules(package)] + [
    "valueaudit.seeds", "valueaudit.shards", "valueaudit.plotting"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests_pass(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest(s) failed in {name}"


@pytest.mark.parametrize("qualified", DOCUMENTED)
def test_public_api_function_has_an_example(qualified):
    module_name, _, attr = qualified.rpartition(".")
    func = getattr(importlib.import_module(module_name), attr)
    assert "Examples\n    --------" in (func.__doc__ or ""), f"{qualified} has no Examples section"
    tests = doctest.DocTestFinder(recurse=False).find(func, name=qualified)
    assert sum(len(t.examples) for t in tests) > 0
