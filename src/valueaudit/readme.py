"""Generated blocks of README.md: a block between two marker lines, written by a script.

A script renders the block's text from a committed file; :func:`update_block`
splices it between the markers and either writes README.md (atomically) or,
with ``check``, only says whether the file is current (a test calls it so).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["splice", "update_block"]


def splice(readme: str, block: str, start: str, end: str) -> str:
    """``readme`` with the text from ``start`` to ``end`` (markers included) replaced by ``block``.

    ``block`` starts with ``start`` and ends with ``end``; a README without both
    markers is refused (SystemExit with the marker names).
    """
    if start not in readme or end not in readme:
        raise SystemExit(f"README.md has no {start} ... {end} block")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def update_block(path: Path, block: str, start: str, end: str, check: bool = False) -> bool:
    """Splice ``block`` into the README at ``path``; return whether it was already current.

    With ``check`` nothing is written; otherwise the file is replaced atomically
    (temporary file + rename) when the block changed.
    """
    text = path.read_text(encoding="utf-8")
    new = splice(text, block, start, end)
    if new == text or check:
        return new == text
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)
    return False
