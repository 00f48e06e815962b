"""Write the sources (and codebook and codings) as a REFI-QDA ``.qdpx`` or a coding CSV."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import atomic_path, write_csv
from .common import (
    _ID_COLUMNS,
    _XML_ILLEGAL,
    _ZIP_DATE,
    NS,
    SOURCE_COLUMNS,
    QdpxError,
    _check_codebook,
    _guid,
    _is_missing,
)

__all__ = ["write_qdpx", "write_coding_csv"]


def _check_xml_text(path: Path, value: str, what: str) -> str:
    if _XML_ILLEGAL.search(value):
        raise QdpxError(path, f"{what} {value!r} contains a character that XML cannot hold")
    return value


def _validate_sources(path: Path, sources: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in SOURCE_COLUMNS if c not in sources.columns]
    if missing:
        raise QdpxError(path, f"sources lacks column(s) {missing}")
    if sources.empty:
        raise QdpxError(path, "sources is empty")
    for col in SOURCE_COLUMNS:
        for i, v in enumerate(sources[col]):
            if _is_missing(v) or not isinstance(v, str) or (col != "text" and v == ""):
                raise QdpxError(
                    path,
                    f"sources row {i + 1}, column {col!r}: must be a non-empty "
                    f"string (found {v!r})",
                )
    dup = sources["response_id"].duplicated()
    if dup.any():
        rid = sources["response_id"][dup].iloc[0]
        raise QdpxError(path, f"sources: response_id {rid!r} appears more than once")
    return sources.reset_index(drop=True)


def _variable_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "Boolean"
    if pd.api.types.is_integer_dtype(series):
        return "Integer"
    if pd.api.types.is_float_dtype(series):
        return "Float"
    return "Text"


def _format_value(value: Any, vtype: str) -> str:
    if vtype == "Boolean":
        return "true" if bool(value) else "false"
    if vtype == "Integer":
        return str(int(value))
    if vtype == "Float":
        if not np.isfinite(float(value)):
            raise ValueError(f"non-finite number {value!r}")
        return np.format_float_positional(float(value), trim="-")
    return str(value)


def _resolve_coding(
    path: Path, coding: pd.DataFrame, texts: dict[str, str]
) -> list[tuple[str, int, int, str, str]]:
    """Rows (response_id, start, end, coder, code), offsets filled from segments."""
    need = ["response_id", "coder", "code"]
    missing = [c for c in need if c not in coding.columns]
    if missing:
        raise QdpxError(path, f"coding lacks column(s) {missing}")
    has_seg = "segment" in coding.columns
    has_pos = "start" in coding.columns and "end" in coding.columns
    if not has_seg and not has_pos:
        raise QdpxError(path, "coding needs start and end, or segment")
    out: list[tuple[str, int, int, str, str]] = []
    seen: set[tuple] = set()
    for i, row in enumerate(coding.to_dict("records"), start=1):
        rid, coder, code = row["response_id"], row["coder"], row["code"]
        for col, v in (("response_id", rid), ("coder", coder), ("code", code)):
            if _is_missing(v) or str(v) == "":
                raise QdpxError(path, f"coding row {i}, column {col!r} is empty")
        rid, coder, code = str(rid), str(coder), str(code)
        if rid not in texts:
            raise QdpxError(path, f"coding row {i}: response_id {rid!r} is not among the sources")
        text = texts[rid]
        seg = row.get("segment") if has_seg else None
        s = row.get("start") if has_pos else None
        e = row.get("end") if has_pos else None
        if not _is_missing(s) and not _is_missing(e):
            start, end = int(s), int(e)
            if not 0 <= start < end <= len(text):
                raise QdpxError(
                    path,
                    f"coding row {i}: code {code!r} on source {rid!r}: "
                    f"[{start}, {end}) is outside the text of {len(text)} characters",
                )
            if not _is_missing(seg) and text[start:end] != seg:
                raise QdpxError(
                    path,
                    f"coding row {i}: code {code!r} on source {rid!r}: segment "
                    f"does not match text[{start}:{end}]",
                )
        elif not _is_missing(seg) and str(seg) != "":
            start = text.find(str(seg))
            if start < 0:
                raise QdpxError(
                    path, f"coding row {i}: segment of code {code!r} not found in source {rid!r}"
                )
            end = start + len(str(seg))
        else:
            raise QdpxError(path, f"coding row {i}: needs start and end, or a segment")
        key = (rid, start, end, coder, code)
        if key in seen:
            raise QdpxError(path, f"coding row {i}: duplicate coding {key}")
        seen.add(key)
        out.append(key)
    return out


def _build_codebook(
    path: Path, parent: ET.Element, codebook: pd.DataFrame | None, used: Iterable[str]
) -> dict[str, str]:
    """Add ``CodeBook`` under ``parent``; return code name -> GUID."""
    guids: dict[str, str] = {}
    if codebook is None:
        names = sorted(set(used))
        if not names:
            return guids
        codes_el = ET.SubElement(ET.SubElement(parent, "CodeBook"), "Codes")
        for name in names:
            guids[name] = _guid("code", name)
            ET.SubElement(
                codes_el,
                "Code",
                guid=guids[name],
                name=_check_xml_text(path, name, "code"),
                isCodable="true",
            )
        return guids
    missing = {"code", "theme"} - set(codebook.columns)
    if missing:
        raise QdpxError(path, f"codebook lacks column(s) {sorted(missing)}")
    if codebook.empty:
        raise QdpxError(path, "codebook is empty")
    codes_el = ET.SubElement(ET.SubElement(parent, "CodeBook"), "Codes")
    theme_el: dict[str, ET.Element] = {}
    has_def = "definition" in codebook.columns
    for i, row in enumerate(codebook.to_dict("records"), start=1):
        code, theme = row["code"], row["theme"]
        if _is_missing(code) or _is_missing(theme) or str(code) == "" or str(theme) == "":
            raise QdpxError(path, f"codebook row {i}: code and theme must be non-empty")
        code, theme = str(code), str(theme)
        if code in guids:
            raise QdpxError(path, f"codebook row {i}: code {code!r} appears more than once")
        if theme not in theme_el:
            theme_el[theme] = ET.SubElement(
                codes_el,
                "Code",
                guid=_guid("theme", theme),
                name=_check_xml_text(path, theme, "theme"),
                isCodable="false",
            )
        guids[code] = _guid("code", code)
        el = ET.SubElement(
            theme_el[theme],
            "Code",
            guid=guids[code],
            name=_check_xml_text(path, code, "code"),
            isCodable="true",
        )
        definition = row.get("definition") if has_def else None
        if not _is_missing(definition) and str(definition) != "":
            ET.SubElement(el, "Description").text = _check_xml_text(
                path, str(definition), f"definition of code {code!r}"
            )
    # A theme name equal to a code name would give two Codes the same name.
    clash = sorted(set(theme_el) & set(guids))
    if clash:
        raise QdpxError(path, f"codebook: {clash} used both as theme and as code name")
    return guids


def write_qdpx(
    path: str | Path,
    sources: pd.DataFrame,
    coding: pd.DataFrame | None = None,
    codebook: pd.DataFrame | None = None,
    users: Sequence[str] | None = None,
    project_name: str = "valueaudit Study 1 coding",
    creation_datetime: str = "1970-01-01T00:00:00Z",
    origin: str = "valueaudit",
) -> Path:
    """Write answers (and optionally codebook and codings) as a REFI-QDA ``.qdpx``.

    Parameters
    ----------
    path : str or Path
        Target file; written atomically (temporary file beside it, then
        ``os.replace``).
    sources : DataFrame
        ``response_id`` (unique), ``model_id``, ``prompt_id``, ``text``; further
        columns are written as source variables (``Boolean``/``Integer``/``Float``
        from the column dtype, otherwise ``Text``; missing cells are left out).
    coding : DataFrame, optional
        ``response_id, coder, code`` and ``start, end`` (code-point offsets, end
        exclusive) and/or ``segment``. A row with only ``segment`` is placed at the
        segment's first occurrence in the text; a row with both must agree.
        ``model_id``/``prompt_id`` columns, if present, are ignored (the source's
        count). Omit for the empty project that coders start from.
    codebook : DataFrame, optional
        ``code, theme`` and optional ``definition``: one non-codable parent code
        per theme (order of first appearance) with its codes nested under it, the
        definition as ``Description``. Every coded code must be in it.
    users : sequence of str, optional
        Coder names to list in ``Users`` (in this order; coders found in
        ``coding`` are added, sorted, after them). The first user is the
        project's ``creatingUserGUID``.
    project_name, creation_datetime, origin : str
        ``Project`` attributes; the fixed default date keeps output reproducible.

    Returns
    -------
    Path
        ``path``. The same arguments always give a byte-identical file.
    """
    path = Path(path)
    sources = _validate_sources(path, sources)
    texts = dict(zip(sources["response_id"], sources["text"], strict=True))
    coded = _resolve_coding(path, coding, texts) if coding is not None else []
    if codebook is not None:
        _check_codebook(path, {c[4] for c in coded}, codebook)

    user_names: list[str] = []
    for name in list(users or []) + sorted({c[3] for c in coded}):
        if str(name) not in user_names:
            user_names.append(str(name))
    user_guid = {u: _guid("user", u) for u in user_names}

    # The default namespace is declared as a plain attribute so that every element
    # inherits it (ElementTree's default_namespace option rejects unqualified attributes).
    root = ET.Element("Project", xmlns=NS)
    root.set("name", _check_xml_text(path, project_name, "project name"))
    root.set("origin", _check_xml_text(path, origin, "origin"))
    if user_names:
        root.set("creatingUserGUID", user_guid[user_names[0]])
    root.set("creationDateTime", creation_datetime)
    if user_names:
        users_el = ET.SubElement(root, "Users")
        for u in user_names:
            ET.SubElement(
                users_el, "User", guid=user_guid[u], name=_check_xml_text(path, u, "user name")
            )
    code_guid = _build_codebook(path, root, codebook, (c[4] for c in coded))

    var_cols = _ID_COLUMNS + [c for c in sources.columns if c not in SOURCE_COLUMNS]
    var_type = {c: ("Text" if c in _ID_COLUMNS else _variable_type(sources[c])) for c in var_cols}
    var_guid = {c: _guid("variable", c) for c in var_cols}
    vars_el = ET.SubElement(root, "Variables")
    for c in var_cols:
        ET.SubElement(
            vars_el,
            "Variable",
            guid=var_guid[c],
            name=_check_xml_text(path, str(c), "column name"),
            typeOfVariable=var_type[c],
        )

    by_source: dict[str, dict[tuple[int, int, str], list[str]]] = {}
    for rid, start, end, coder, code in coded:
        if code not in code_guid:
            raise QdpxError(path, f"code {code!r} is used in coding but not in the codebook")
        by_source.setdefault(rid, {}).setdefault((start, end, coder), []).append(code)

    files: list[tuple[str, bytes]] = []
    sources_el = ET.SubElement(root, "Sources")
    for row in sources.to_dict("records"):
        rid = row["response_id"]
        sguid = _guid("source", rid)
        src = ET.SubElement(
            sources_el,
            "TextSource",
            guid=sguid,
            name=_check_xml_text(path, rid, "response_id"),
            plainTextPath=f"internal://{sguid}.txt",
        )
        files.append((f"sources/{sguid}.txt", row["text"].encode("utf-8")))
        spans = by_source.get(rid, {})
        for start, end, coder in sorted(spans):
            sel = ET.SubElement(
                src,
                "PlainTextSelection",
                guid=_guid("selection", rid, start, end, coder),
                startPosition=str(start),
                endPosition=str(end),
                creatingUser=user_guid[coder],
            )
            for code in sorted(spans[(start, end, coder)]):
                cod = ET.SubElement(
                    sel,
                    "Coding",
                    guid=_guid("coding", rid, start, end, coder, code),
                    creatingUser=user_guid[coder],
                )
                ET.SubElement(cod, "CodeRef", targetGUID=code_guid[code])
        for c in var_cols:
            value = row[c]
            if _is_missing(value):
                continue
            try:
                text = _format_value(value, var_type[c])
            except (TypeError, ValueError) as exc:
                raise QdpxError(path, f"source {rid!r}, column {c!r}: {exc}") from None
            vv = ET.SubElement(src, "VariableValue")
            ET.SubElement(vv, "VariableRef", targetGUID=var_guid[c])
            ET.SubElement(vv, f"{var_type[c]}Value").text = _check_xml_text(
                path, text, f"value of {c!r}"
            )
    ET.indent(root, space="  ")
    qde = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"

    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for name, data in [("project.qde", qde), *files]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)
    return path


def write_coding_csv(path: str | Path, sources: pd.DataFrame) -> Path:
    """Write the answers as a CSV for coders: one row per answer.

    Columns ``response_id, model_id, prompt_id, text`` (in this order, other
    columns dropped), UTF-8, ``\\n`` line ends, fields with newlines quoted; the
    file is written atomically.
    """
    path = Path(path)
    sources = _validate_sources(path, sources)
    write_csv(sources[SOURCE_COLUMNS], path)
    return path
