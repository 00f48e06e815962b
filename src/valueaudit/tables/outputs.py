"""What one rule writes: its tables, figures and plain CSV frames, keyed by output name.

A study's step function (``valueaudit.studyN.steps``) returns an :class:`Outputs`; the rule
script writes it with :meth:`Outputs.write`, which sends each item to the job's output of
the same name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Table", "Outputs"]


@dataclass
class Table:
    """A table to write (:func:`valueaudit.tables.write_table`): its data (the CSV), the
    formatted display frame (``None``: formatted from the data), the caption and the note."""

    data: pd.DataFrame
    display: pd.DataFrame | None = None
    caption: str = ""
    note: str = ""


@dataclass
class Outputs:
    """Everything one rule writes, keyed by the rule's output names: tables, figures
    (matplotlib), plain CSV frames, and macro values with their former names (``aliases``,
    written by the caller with :func:`valueaudit.tables.write_macros`); ``log`` is one line
    for the job's log."""

    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    log: str = ""

    def write(self, output) -> None:
        """Write the frames (CSV), tables and figures to the job's outputs of the same names.

        ``output`` is the job's named outputs; a table's output lists ``<stem>.csv`` first
        (the ``.tex``, ``.md`` and ``.html`` beside it), a figure's ``<stem>.pdf`` first.
        """
        from ..contracts import write_csv
        from .write import write_table

        for name, frame in self.frames.items():
            write_csv(frame, getattr(output, name))
        for name, t in self.tables.items():
            write_table(t.data, getattr(output, name)[0].removesuffix(".csv"),
                        display=t.display, caption=t.caption, note=t.note)
        if self.figures:
            from ..plotting import save_figure

            for name, fig in self.figures.items():
                save_figure(fig, getattr(output, name)[0].removesuffix(".pdf"))
