"""The error every broken input raises, and the warning about an input the user must see."""

from __future__ import annotations

import logging

__all__ = ["DataValidationError", "warn_input"]


class DataValidationError(ValueError):
    """An input breaks its data contract.

    Attributes: ``file``; ``row`` (1-based data row) and ``column`` for a table;
    ``line`` (a line of a JSONL, YAML or XML file, or the CSV line of ``row``);
    ``key`` (a key path such as ``humans.items.rating.perf_1``) for a config or
    YAML file; ``element`` (an XML element) for a REFI-QDA project; ``rule``
    (what is wrong); ``fix`` (what to do). Any of them but ``rule`` may be None.

    ``str(err)`` is one line; :meth:`block` is the short block the user sees.
    Messages never hold a direct identifier: callers pass ``value`` only for
    cells that cannot be personal data.
    """

    def __init__(self, file=None, rule=None, row=None, column=None, value=None, header_lines=1,
                 *, fix=None, line=None, key=None, element=None):
        if rule is None:  # a preformatted message
            file, rule = None, str(file)
        self.file = None if file is None else str(file)
        self.rule, self.row, self.column, self.value = rule, row, column, value
        self.key, self.element, self.fix = key, element, fix
        if line is None and row is not None and header_lines is not None:
            line = row + header_lines
        self.line = line
        super().__init__(self.one_line())

    def where(self) -> str:
        """Row/line, column, key path or element, as words ('' for a file-level problem)."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}" + (f" (line {self.line})" if self.line is not None
                                                else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.key is not None:
            parts.append(f"key {self.key}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        return ", ".join(parts)

    def one_line(self) -> str:
        head = ", ".join(x for x in (self.file, self.where()) if x)
        msg = f"{head}: {self.rule}" if head else str(self.rule)
        if self.value is not None:
            msg += f" (found {self.value!r})"
        return msg

    def block(self) -> str:
        """The short block shown to the user: file, where, rule, what to do."""
        rule = str(self.rule) + (f" (found {self.value!r})" if self.value is not None else "")
        lines = ["valueaudit: input error"]
        if self.file:
            lines.append(f"  file:  {self.file}")
        if self.where():
            lines.append(f"  where: {self.where()}")
        lines.append(f"  rule:  {rule}")
        if self.fix:
            lines.append(f"  fix:   {self.fix}")
        return "\n".join(lines)


def warn_input(message: str) -> None:
    """A warning about an input that the user must see (terminal and job log)."""
    logging.getLogger("valueaudit.input").warning("%s", message)
