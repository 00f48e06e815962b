"""REFI-QDA project files (``.qdpx``) for Study 1 coding: import and export.

Researchers code LLM answers in NVivo, ATLAS.ti, MAXQDA or QDA Miner and exchange
REFI-QDA projects. A ``.qdpx`` file is a zip archive holding ``project.qde`` (XML in
the namespace ``urn:QDA-XML:project:1.0``, the REFI-QDA Project Exchange standard
v1.0, schema ``Project-mrt2019.xsd``) and a ``sources/`` folder with the plain-text
documents that ``TextSource/@plainTextPath="internal://<file>"`` points to.

This module maps such a project to the two tables of METHODS section 3:

sources
    ``response_id, model_id, prompt_id, text`` (+ any further source variables)
coding
    ``response_id, model_id, prompt_id, coder, code, start, end, segment``:
    one row per (selection, coder, code); ``start``/``end`` are character
    offsets (Unicode code points, end exclusive) into ``text`` and
    ``segment == text[start:end]``.

Conventions of the exporter (:func:`write_qdpx`)
-------------------------------------------------
* Each answer is one ``TextSource`` named ``"{response_id}"`` whose text is stored
  as ``sources/<guid>.txt`` (UTF-8, no BOM, text exactly as given). ``response_id``,
  ``model_id``, ``prompt_id`` and any extra column of ``sources`` are written as
  project ``Variables`` with a ``VariableValue`` on every source.
* The codebook becomes one parent ``Code`` per theme (``isCodable="false"``: coders
  code to the inductive codes, never to a theme directly, so the code-to-theme
  mapping stays the codebook's) with the codes nested under it, each with its
  definition as ``Description``. Without a codebook, the codes used in ``coding``
  are written as flat, codable top-level codes.
* Codings with the same (response, start, end, coder) share one
  ``PlainTextSelection``; each code is a ``Coding`` with ``creatingUser`` = coder.
* Output is deterministic: GUIDs are ``uuid5`` of stable keys, the project date is
  an argument, zip entries are stored (uncompressed, so no dependence on the zlib
  build) in a fixed order with a fixed timestamp. The file is written atomically.

Conventions of the importer (:func:`read_qdpx`)
-----------------------------------------------
* Element names are matched by local name, so files without the namespace import
  too; unknown elements and attributes are ignored.
* Text comes from ``PlainTextContent`` or from ``plainTextPath`` ``internal://X``
  (looked up as ``sources/X`` in the archive, folder name case-insensitive).
* ``response_id``, ``model_id``, ``prompt_id`` are read from source variables
  (``TextSource/VariableValue``), else from variables of a ``Case`` that refers to
  the source (``Case/SourceRef``); ``response_id`` falls back to the source name.
  Other variables become extra columns of ``sources``.
* The coder is the ``User/@name`` of the ``Coding``'s ``creatingUser``, falling back
  to the selection's, then the source's, then the project's creating user; a user
  GUID missing from ``Users`` is kept as the GUID string.
* A ``Coding`` directly on a ``TextSource`` (no selection) codes the whole text.

References
----------
REFI-QDA Standard, Project Exchange v1.0 / 1.5, Rotterdam Exchange Format Initiative
(2019), https://www.qdasoftware.org (schema ``Project-mrt2019.xsd``, MIT licence).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueaudit.contracts import DataValidationError, atomic_path, write_csv

__all__ = [
    "NS",
    "QdpxError",
    "SOURCE_COLUMNS",
    "CODING_COLUMNS",
    "read_qdpx",
    "write_qdpx",
    "write_coding_csv",
]

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
# uuid5 namespace of every GUID this module writes (itself a uuid5 of a fixed name).
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


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------
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
