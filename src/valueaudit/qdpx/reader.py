"""Read a REFI-QDA project (``.qdpx``) into the sources and coding tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .common import (
    CODING_COLUMNS,
    SOURCE_COLUMNS,
    QdpxError,
    _check_codebook,
    _child,
    _children,
    _element_lines,
    _is_missing,
    _local,
)

__all__ = ["read_qdpx"]


def _parse_variable_value(vv: ET.Element) -> tuple[str | None, Any]:
    """(variable GUID, Python value) of a ``VariableValue`` element.

    Raises ValueError when an Integer/Float/Boolean value does not parse.
    """
    ref = _child(vv, "VariableRef")
    target = ref.get("targetGUID") if ref is not None else None
    for c in vv:
        name = _local(c.tag)
        if not name.endswith("Value"):
            continue
        raw = (c.text or "").strip()
        if name == "IntegerValue":
            return target, int(raw)
        if name == "FloatValue":
            return target, float(raw)
        if name == "BooleanValue":
            if raw.lower() not in {"true", "false", "1", "0"}:
                raise ValueError(f"{raw!r} is not a boolean")
            return target, raw.lower() in {"true", "1"}
        return target, c.text or ""
    return target, None


def _read_codes(codebook_el: ET.Element | None) -> dict[str, str]:
    """GUID -> code name for every ``Code`` at any depth of the code book."""
    codes: dict[str, str] = {}
    if codebook_el is None:
        return codes
    for el in codebook_el.iter():
        if _local(el.tag) == "Code" and el.get("guid"):
            codes[el.get("guid")] = el.get("name") or el.get("guid")
    return codes


def _source_text(
    path: Path, zf: zipfile.ZipFile, lookup: dict[str, str], src: ET.Element, label: str
) -> str | None:
    """Plain text of a ``TextSource``, or None when it is not in the archive."""
    content = _child(src, "PlainTextContent")
    if content is not None:
        return content.text or ""
    ptp = src.get("plainTextPath")
    if not ptp:
        return None
    if not ptp.startswith("internal://"):
        raise QdpxError(
            path,
            f"source {label!r}: plainTextPath {ptp!r} points outside the archive "
            "(only internal:// sources and PlainTextContent can be imported)",
        )
    want = ptp[len("internal://") :].lstrip("/").replace("\\", "/")
    for cand in (f"sources/{want}", want):
        if cand.lower() in lookup:
            raw = zf.read(lookup[cand.lower()])
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise QdpxError(path, f"source {label!r}: {cand} is not UTF-8 text") from None
    return None


def read_qdpx(
    path: str | Path, codebook: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a REFI-QDA project (``.qdpx``) into the sources and coding tables.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file (a zip with ``project.qde`` and ``sources/``).
    codebook : DataFrame, optional
        Columns ``code`` and ``theme``. When given, every code that was used in a
        coding must appear here with a non-empty theme.

    Returns
    -------
    sources : DataFrame
        ``response_id, model_id, prompt_id, text`` in document order, plus one
        column per further source variable (missing where a source lacks it).
    coding : DataFrame
        ``response_id, model_id, prompt_id, coder, code, start, end, segment``,
        sorted by response (source order), start, end, coder and code; ``start``
        and ``end`` are code-point offsets into ``text`` (end exclusive) and
        ``segment = text[start:end]``.

    Raises
    ------
    QdpxError
        Not a zip file or no ``project.qde``; malformed XML; a ``CodeRef`` to an
        unknown code; a selection on a source whose text is not in the project;
        offsets outside the text (the message names code, source and position);
        a source without ``model_id``/``prompt_id`` or a repeated ``response_id``;
        a coded code without a theme in ``codebook``.
    """
    path = Path(path)
    if not path.is_file():
        raise QdpxError(path, "file does not exist")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise QdpxError(path, f"not a zip archive (.qdpx) ({exc})") from None
    with zf:
        qde_names = [n for n in zf.namelist() if n.rsplit("/", 1)[-1].lower() == "project.qde"]
        if not qde_names:
            raise QdpxError(path, "no project.qde in the archive")
        qde = min(qde_names, key=lambda n: (n.count("/"), n))
        xml = zf.read(qde)
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as exc:
            raise QdpxError(path, f"project.qde is not well-formed XML ({exc})",
                            line=exc.position[0], element="project.qde",
                            fix="repair the XML or export the project again") from None
        if _local(root.tag) != "Project":
            raise QdpxError(
                path, f"root element of project.qde is {_local(root.tag)!r}, not 'Project'",
                element=f"<{_local(root.tag)}> of project.qde", line=1,
            )
        return _read_project(path, zf, root, codebook, _element_lines(xml, root))


def _read_project(
    path: Path, zf: zipfile.ZipFile, root: ET.Element, codebook: pd.DataFrame | None,
    lines: dict[int, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = lines or {}

    def at(el: ET.Element | None) -> dict:
        """element and line keywords of a QdpxError about ``el``."""
        if el is None:
            return {}
        return {"element": f"<{_local(el.tag)}> of project.qde", "line": lines.get(id(el))}

    users: dict[str, str] = {}
    users_el = _child(root, "Users")
    if users_el is not None:
        for u in _children(users_el, "User"):
            if u.get("guid"):
                users[u.get("guid")] = u.get("name") or u.get("id") or u.get("guid")
    codes = _read_codes(_child(root, "CodeBook"))
    variables: dict[str, str] = {}
    var_types: dict[str, str] = {}
    vars_el = _child(root, "Variables")
    if vars_el is not None:
        for v in _children(vars_el, "Variable"):
            if v.get("guid"):
                variables[v.get("guid")] = v.get("name") or v.get("guid")
                var_types[variables[v.get("guid")]] = v.get("typeOfVariable") or "Text"

    def describe(el: ET.Element) -> str:
        return f"{_local(el.tag)} {el.get('name') or el.get('guid')!r}"

    def var_dict(el: ET.Element) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for vv in _children(el, "VariableValue"):
            try:
                target, value = _parse_variable_value(vv)
            except ValueError as exc:
                raise QdpxError(path, f"bad VariableValue in {describe(el)}: {exc}",
                                **at(vv)) from None
            if target is None:
                continue
            if target not in variables:
                raise QdpxError(path, f"VariableValue refers to unknown variable GUID {target}",
                                **at(vv))
            if value is not None:
                out[variables[target]] = value
        return out

    case_vars: dict[str, dict[str, Any]] = {}
    cases_el = _child(root, "Cases")
    if cases_el is not None:
        for case in _children(cases_el, "Case"):
            cv = var_dict(case)
            for ref in _children(case, "SourceRef"):
                tgt = ref.get("targetGUID")
                if tgt:
                    case_vars.setdefault(tgt, {}).update(cv)

    project_user = root.get("creatingUserGUID")
    lookup = {n.lower(): n for n in zf.namelist()}

    def user_name(*guids: str | None) -> str | None:
        for g in guids:
            if g:
                return users.get(g, g)
        return None

    src_rows: list[dict[str, Any]] = []
    coded: list[tuple] = []
    seen_ids: dict[str, str] = {}
    sources_el = _child(root, "Sources")
    source_elements = list(sources_el) if sources_el is not None else []
    for src in source_elements:
        kind = _local(src.tag)
        if kind == "":
            continue
        label = src.get("name") or src.get("guid") or "?"
        if kind != "TextSource":
            if any(_local(d.tag) == "Coding" for d in src.iter()):
                raise QdpxError(
                    path, f"source {label!r} is a {kind} with codings; only TextSource is supported",
                    **at(src))
            continue
        guid = src.get("guid")
        try:
            text = _source_text(path, zf, lookup, src, label)
        except QdpxError as exc:
            raise QdpxError(path, exc.problem, **at(src)) from None
        selections = _children(src, "PlainTextSelection")
        whole = _children(src, "Coding")
        if text is None:
            where = src.get("plainTextPath") or "neither PlainTextContent nor plainTextPath"
            if selections or whole:
                raise QdpxError(
                    path,
                    f"selection on unknown source {label!r} (GUID {guid}): its text "
                    f"({where}) is not in the archive", **at(src),
                    fix="add the source's text to the archive or remove its codings",
                )
            raise QdpxError(path, f"text of source {label!r} ({where}) is not in the archive",
                            **at(src))
        meta = dict(case_vars.get(guid, {}))
        meta.update(var_dict(src))
        rid = meta.get("response_id", src.get("name"))
        if _is_missing(rid) or str(rid) == "":
            raise QdpxError(path, f"source with GUID {guid} has neither a name nor a response_id",
                            **at(src))
        rid = str(rid)
        for col in ("model_id", "prompt_id"):
            if _is_missing(meta.get(col)) or str(meta.get(col)) == "":
                raise QdpxError(
                    path,
                    f"source {rid!r} has no {col} (give it as a source variable or a Case variable)",
                    **at(src))
        if rid in seen_ids:
            raise QdpxError(path, f"response_id {rid!r} is used by two sources", **at(src))
        seen_ids[rid] = guid
        row = {
            "response_id": rid,
            "model_id": str(meta["model_id"]),
            "prompt_id": str(meta["prompt_id"]),
            "text": text,
        }
        row.update({k: v for k, v in meta.items() if k not in row})
        src_rows.append(row)
        order = len(src_rows) - 1
        spans = [(sel, sel.get("startPosition"), sel.get("endPosition")) for sel in selections]
        spans += [(None, "0", str(len(text)))] if whole else []
        for sel, s_raw, e_raw in spans:
            codings = _children(sel, "Coding") if sel is not None else whole
            sel_user = sel.get("creatingUser") if sel is not None else None
            for cod in codings:
                ref = _child(cod, "CodeRef")
                target = ref.get("targetGUID") if ref is not None else None
                if target not in codes:
                    raise QdpxError(
                        path,
                        f"Coding on source {rid!r} has a CodeRef to unknown code GUID {target}",
                        **at(ref if ref is not None else cod),
                        fix="add the code to the CodeBook or remove the Coding")
                code = codes[target]
                try:
                    start, end = int(s_raw), int(e_raw)
                except (TypeError, ValueError):
                    raise QdpxError(
                        path,
                        f"code {code!r} on source {rid!r}: positions {s_raw!r}, {e_raw!r} "
                        "are not integers", **at(sel if sel is not None else cod),
                    ) from None
                if not 0 <= start < end <= len(text):
                    raise QdpxError(
                        path,
                        f"code {code!r} on source {rid!r}: selection [{start}, {end}) is outside "
                        f"the text of {len(text)} characters (or empty)",
                        **at(sel if sel is not None else cod),
                    )
                coder = user_name(
                    cod.get("creatingUser"), sel_user, src.get("creatingUser"), project_user
                )
                if coder is None:
                    raise QdpxError(
                        path,
                        f"code {code!r} on source {rid!r} at [{start}, {end}): no coder "
                        "(no creatingUser on the Coding, selection, source or project)",
                        **at(cod),
                    )
                coded.append(
                    (
                        order,
                        start,
                        end,
                        coder,
                        code,
                        rid,
                        row["model_id"],
                        row["prompt_id"],
                        text[start:end],
                    )
                )

    if codebook is not None:
        _check_codebook(path, {c[4] for c in coded}, codebook)

    sources = _sources_frame(src_rows, var_types)
    coded.sort(key=lambda c: c[:5])
    coding = pd.DataFrame(
        {
            "response_id": [c[5] for c in coded],
            "model_id": [c[6] for c in coded],
            "prompt_id": [c[7] for c in coded],
            "coder": [c[3] for c in coded],
            "code": [c[4] for c in coded],
            "start": pd.array([c[1] for c in coded], dtype="Int64"),
            "end": pd.array([c[2] for c in coded], dtype="Int64"),
            "segment": [c[8] for c in coded],
        },
        columns=CODING_COLUMNS,
    )
    return sources, coding


def _sources_frame(rows: list[dict[str, Any]], var_types: dict[str, str]) -> pd.DataFrame:
    """Sources table; extra variable columns typed by ``typeOfVariable``.

    Integer and Boolean columns are ``int64``/``bool`` when complete and the
    nullable ``Int64``/``boolean`` when some source lacks the value; Float is
    ``float64`` (NaN when missing); anything else is text.
    """
    extra: list[str] = []
    for r in rows:
        extra += [k for k in r if k not in SOURCE_COLUMNS and k not in extra]
    cols = SOURCE_COLUMNS + extra
    df = pd.DataFrame({c: [r.get(c) for r in rows] for c in cols}, columns=cols)
    for c in extra:
        values = [r.get(c) for r in rows]
        complete = all(v is not None for v in values)
        vtype = var_types.get(c, "Text")
        if vtype == "Integer":
            df[c] = pd.array(values, dtype="Int64")
            if complete:
                df[c] = df[c].astype("int64")
        elif vtype == "Boolean":
            df[c] = pd.array(values, dtype="boolean")
            if complete:
                df[c] = df[c].astype(bool)
        elif vtype == "Float":
            df[c] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return df
