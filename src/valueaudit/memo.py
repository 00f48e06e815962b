"""Process-level memos of pure reads and derived tables.

A shard job runs the per-model steps of many models in one process
(:mod:`valueaudit.shards`); each step reads the instrument, and the Study 2 and Study 3
steps of a model read and validate the same responses file. These memos let the second
read of the same bytes reuse the first: a file is known by its resolved path and the
sha256 of its bytes (:func:`file_key`), a table by a digest of its content
(:func:`frame_key`). Every value handed out is a copy (or immutable), so a caller that
changes it cannot change what the next caller gets. Outside a shard job each memo is
used at most once per process and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["file_key", "frame_key", "memo", "clear"]

_MEMO: dict[Hashable, Any] = {}
_LIMIT = 4096


def file_key(path: str | Path) -> tuple[str, str]:
    """(resolved path, sha256 of the bytes) of a file: other bytes give another key."""
    return (str(Path(path).resolve()), hashlib.sha256(Path(path).read_bytes()).hexdigest())


def frame_key(df: pd.DataFrame) -> bytes:
    """A digest of a table's columns, dtypes, index and values."""
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.digest()


def memo(key: Hashable, compute: Callable[[], Any], copy: Callable[[Any], Any] | None = None):
    """``compute()`` once per ``key`` in this process; later calls return (a copy of) it.

    Examples
    --------
    >>> calls = []
    >>> memo(("doc", 1), lambda: calls.append(1) or [1, 2], copy=list)
    [1, 2]
    >>> memo(("doc", 1), lambda: calls.append(1) or [1, 2], copy=list)
    [1, 2]
    >>> len(calls)
    1
    """
    if key not in _MEMO:
        if len(_MEMO) >= _LIMIT:
            _MEMO.clear()
        _MEMO[key] = compute()
    value = _MEMO[key]
    return copy(value) if copy is not None else value


def clear() -> None:
    """Forget every memo of this process."""
    _MEMO.clear()
