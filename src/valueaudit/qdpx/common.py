"""Names, GUIDs, element lookup and the error type shared by the reader and the writer."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import DataValidationError

__all__ = ["NS", "QdpxError", "SOURCE_COLUMNS", "CODING_COLUMNS"]

NS = "urn:QDA-XML:project:1.0"
SOURCE_COLUMNS = ["response_id", "model_id", "prompt_id", "text"]
CODING_COLUMNS = [
    "response_id",
    "model_id",
    "prompt_id",
    "coder",
    "code",
    "start",
    "end",
    "segment",
]
_ID_COLUMNS = ["response_id", "model_id", "prompt_id"]
# uuid5 namespace of every GUID the writer emits (itself a uuid5 of a fixed name).
_GUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://valueaudit/qdpx")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Characters that XML 1.0 cannot carry at all.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class QdpxError(DataValidationError):
    """A REFI-QDA project file (or the tables to write as one) is invalid.

    The message names the file, the XML element and its line in ``project.qde``
    (where there is one) and the problem.
    """

    def __init__(self, file: str | Path, problem: str, element: str | None = None,
                 line: int | None = None, fix: str | None = None) -> None:
        self.problem = problem
        super().__init__(file, problem, header_lines=None, element=element, line=line, fix=fix)


def _element_lines(xml: bytes, root: ET.Element) -> dict[int, int]:
    """Line in ``xml`` of every element of the tree ``root`` (by ``id`` of the element)."""
    from xml.parsers import expat

    lines: list[int] = []
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda *_: lines.append(parser.CurrentLineNumber)
    parser.Parse(xml, True)
    return {id(el): ln for el, ln in zip(root.iter(), lines, strict=False)}


def _guid(kind: str, *key: Any) -> str:
    """Deterministic GUID: uuid5 of ``kind`` and the stable key parts."""
    return str(uuid.uuid5(_GUID_NS, "\x1f".join([kind, *map(str, key)])))


def _local(tag: Any) -> str:
    """Local name of an element tag (``{ns}Name`` -> ``Name``); '' for comments."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _check_codebook(path: Path | str, used: set[str], codebook: pd.DataFrame) -> None:
    missing_cols = {"code", "theme"} - set(codebook.columns)
    if missing_cols:
        raise QdpxError(path, f"codebook lacks column(s) {sorted(missing_cols)}")
    themes: dict[str, Any] = {}
    for code, theme in zip(codebook["code"], codebook["theme"], strict=True):
        if not _is_missing(code):
            themes[str(code)] = theme
    bad = sorted(c for c in used if _is_missing(themes.get(c)) or str(themes.get(c)).strip() == "")
    if bad:
        raise QdpxError(
            path, f"coded code(s) with no theme in the codebook: {', '.join(map(repr, bad))}"
        )
