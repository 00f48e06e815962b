"""Import a module on first attribute access.

Every rule script runs in a process of its own, and the per-model rules run hundreds of
times; importing ``scipy.stats`` (about 0.5 s) or statsmodels in a job that never calls them
is most of such a job's cost. ``lazy_import("scipy.stats")`` returns a stand-in that imports
the module the first time one of its attributes is read, then forwards to it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stand-in for the module ``name``, imported on first attribute access."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_module", None)

    def _load(self) -> ModuleType:
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)
            object.__setattr__(self, "_module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not yet imported"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_import(name: str) -> Any:
    """A :class:`LazyModule` for ``name`` (typed ``Any`` so attribute access type-checks)."""
    return LazyModule(name)
