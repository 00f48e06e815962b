"""Tests of valueaudit.qdpx: REFI-QDA (.qdpx) import and export for Study 1 coding."""

from __future__ import annotations

import os
import re
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valueaudit.qdpx import (
    CODING_COLUMNS,
    NS,
    SOURCE_COLUMNS,
    QdpxError,
    read_qdpx,
    write_coding_csv,
    write_qdpx,
)

DATA = Path(__file__).parent / "data" / "qdpx"
XSD = DATA / "Project-mrt2019.xsd"

# Texts where code-point offsets differ from UTF-8 byte and UTF-16 unit offsets:
# accents, astral-plane emoji, a ZWJ emoji sequence, combining marks, CRLF.
TEXTS = {
    "r1": "Café crème 😀: I help people and respect their privacy.",
    "r2": "Ethics first 👩\u200d⚕️ — ne\u0301anmoins, honesty matters.\r\nSecond line.",
    "r3": "Plain ASCII answer about agency and autonomy.",
}


def _sources() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": list(TEXTS),
            "model_id": ["m-one", "m-one", "m-two"],
            "prompt_id": ["p1", "p2", "p1"],
            "text": list(TEXTS.values()),
            "session": [1, 2, 1],
            "temperature": [0.7, 0.00001, 1.0],
            "refused": [False, False, True],
            "note": ["a & b <c>", "ü", "x"],
        }
    )


def _span(rid: str, segment: str) -> tuple[int, int]:
    start = TEXTS[rid].index(segment)
    return start, start + len(segment)


def _codebook() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["helping", "privacy", "honesty", "autonomy", "unused"],
            "theme": ["social_good", "ethics", "ethics", "agency", "agency"],
            "definition": [
                "Helps others.",
                "Protects data & privacy.",
                "Tells truth.",
                "Self-rule.",
                "x",
            ],
        }
    )


def _coding() -> pd.DataFrame:
    rows = []
    for coder, rid, segment, code in [
        ("ann", "r1", "I help people", "helping"),
        ("bob", "r1", "help people and respect", "helping"),  # overlaps ann's
        ("bob", "r1", "help people and respect", "privacy"),  # same selection, 2nd code
        ("cleo", "r1", "😀: I help", "helping"),  # starts in an emoji
        ("ann", "r1", "privacy", "privacy"),
        ("ann", "r2", "👩\u200d⚕️ — ne\u0301anmoins, honesty", "honesty"),
        ("cleo", "r2", "honesty matters.\r\nSecond", "honesty"),
        ("bob", "r3", "agency and autonomy", "autonomy"),
        ("cleo", "r3", TEXTS["r3"], "autonomy"),  # the whole text
    ]:
        start, end = _span(rid, segment)
        rows.append({"response_id": rid, "coder": coder, "code": code, "start": start, "end": end})
    return pd.DataFrame(rows)


def _expected_coding(coding: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    meta = sources.set_index("response_id")
    out = coding.copy()
    out["model_id"] = out["response_id"].map(meta["model_id"])
    out["prompt_id"] = out["response_id"].map(meta["prompt_id"])
    out["segment"] = [
        meta.loc[r, "text"][s:e]
        for r, s, e in zip(out["response_id"], out["start"], out["end"], strict=True)
    ]
    order = {r: i for i, r in enumerate(sources["response_id"])}
    out["_o"] = out["response_id"].map(order)
    out = out.sort_values(["_o", "start", "end", "coder", "code"], kind="mergesort")
    return out[CODING_COLUMNS].reset_index(drop=True)


def _assert_same_coding(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == CODING_COLUMNS
    assert len(got) == len(want)
    for col in CODING_COLUMNS:
        assert [x if isinstance(x, str) else int(x) for x in got[col]] == [
            x if isinstance(x, str) else int(x) for x in want[col]
        ], col


def _zip(path: Path, entries: dict[str, bytes | str | Path]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            if isinstance(data, Path):
                data = data.read_bytes()
            zf.writestr(name, data)
    return path


def _qde(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde").decode("utf-8")


# ---------------------------------------------------------------------------
# round trip
# ---------------------------------------------------------------------------
def test_round_trip_several_coders_overlaps_non_ascii(tmp_path):
    sources, coding, codebook = _sources(), _coding(), _codebook()
    out = write_qdpx(tmp_path / "coded.qdpx", sources, coding, codebook)
    got_sources, got_coding = read_qdpx(out, codebook=codebook)

    pd.testing.assert_frame_equal(got_sources, sources, check_dtype=False)
    for col in ("session", "temperature", "refused"):
        assert got_sources[col].dtype == sources[col].dtype, col
    _assert_same_coding(got_coding, _expected_coding(coding, sources))
    # offsets are code points: the emoji-start segment reads back exactly
    row = got_coding[got_coding["coder"] == "cleo"].iloc[0]
    assert row["segment"] == "😀: I help"
    # CRLF is kept in the text and counted as two characters
    assert got_sources.loc[1, "text"] == TEXTS["r2"]
    assert (got_coding["segment"] == "honesty matters.\r\nSecond").sum() == 1


def test_segment_only_rows_are_located_in_the_text(tmp_path):
    coding = pd.DataFrame(
        {
            "response_id": ["r1", "r2"],
            "coder": ["ann", "ann"],
            "code": ["privacy", "honesty"],
            "segment": ["respect their privacy", "honesty matters"],
        }
    )
    write_qdpx(tmp_path / "x.qdpx", _sources(), coding)
    _, got = read_qdpx(tmp_path / "x.qdpx")
    assert list(got["start"]) == [
        _span("r1", "respect their privacy")[0],
        _span("r2", "honesty")[0],
    ]
    assert list(got["segment"]) == ["respect their privacy", "honesty matters"]


def test_empty_export_for_coders(tmp_path):
    out = write_qdpx(tmp_path / "empty.qdpx", _sources(), codebook=_codebook())
    sources, coding = read_qdpx(out)
    assert list(sources["response_id"]) == list(TEXTS)
    assert coding.empty and list(coding.columns) == CODING_COLUMNS
    qde = _qde(out)
    assert "<Users" not in qde and "creatingUserGUID" not in qde


def test_codebook_is_nested_under_non_codable_themes(tmp_path):
    write_qdpx(tmp_path / "cb.qdpx", _sources(), _coding(), _codebook())
    import xml.etree.ElementTree as ET

    root = ET.fromstring(_qde(tmp_path / "cb.qdpx"))
    q = f"{{{NS}}}"
    top = root.findall(f"{q}CodeBook/{q}Codes/{q}Code")
    assert [c.get("name") for c in top] == ["social_good", "ethics", "agency"]
    assert all(c.get("isCodable") == "false" for c in top)
    ethics = top[1]
    kids = ethics.findall(f"{q}Code")
    assert [c.get("name") for c in kids] == ["privacy", "honesty"]
    assert all(c.get("isCodable") == "true" for c in kids)
    assert kids[0].find(f"{q}Description").text == "Protects data & privacy."


def test_coded_code_missing_from_codebook_cannot_be_written(tmp_path):
    target = tmp_path / "x.qdpx"
    cb = _codebook()[lambda d: d["code"] != "privacy"]
    with pytest.raises(QdpxError, match="privacy"):
        write_qdpx(target, _sources(), _coding(), cb)
    assert not target.exists()


# ---------------------------------------------------------------------------
# determinism and atomic write
# ---------------------------------------------------------------------------
def test_byte_identical_output_and_stable_guids(tmp_path):
    a = write_qdpx(tmp_path / "a.qdpx", _sources(), _coding(), _codebook(), users=["lead"])
    shuffled = _coding().sample(frac=1.0, random_state=3)  # row order must not matter
    b = write_qdpx(tmp_path / "b.qdpx", _sources(), shuffled, _codebook(), users=["lead"])
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        assert names[0] == "project.qde" and all(n.startswith("sources/") for n in names[1:])
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    guids = re.findall(r'guid="([0-9a-f-]{36})"', _qde(a))
    assert guids and all(uuid.UUID(g).version == 5 for g in guids)
    assert len(guids) == len(set(guids))
    # a different date gives a different file: the date is an argument, not "now"
    c = write_qdpx(tmp_path / "c.qdpx", _sources(), creation_datetime="2025-01-01T00:00:00Z")
    assert 'creationDateTime="2025-01-01T00:00:00Z"' in _qde(c)


def test_write_is_atomic(tmp_path):
    target = tmp_path / "keep.qdpx"
    write_qdpx(target, _sources())
    before = target.read_bytes()
    bad = _sources()
    bad["extra"] = [1.0, float("inf"), 2.0]  # not representable as xsd:decimal
    with pytest.raises(QdpxError, match="extra"):
        write_qdpx(target, bad)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.qdpx"]


# ---------------------------------------------------------------------------
# schema validation (optional dependency xmlschema)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("with_coding", [False, True])
def test_export_validates_against_refi_xsd(tmp_path, with_coding):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(XSD)
    args = (_coding(), _codebook()) if with_coding else ()
    out = write_qdpx(tmp_path / "v.qdpx", _sources(), *args, users=["lead"])
    schema.validate(_qde(out))


def test_xsd_rejects_an_invalid_project():
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(DATA / "maxqda_style" / "project.qde")
    broken = (DATA / "maxqda_style" / "project.qde").read_text("utf-8")
    broken = broken.replace('startPosition="11" ', "")  # a required attribute
    assert not schema.is_valid(broken)


# ---------------------------------------------------------------------------
# real-world style fixtures
# ---------------------------------------------------------------------------
def test_nvivo_style_inline_text_cases_and_unknown_elements(tmp_path):
    path = _zip(tmp_path / "nvivo.qdpx", {"project.qde": DATA / "nvivo_style_project.qde"})
    sources, coding = read_qdpx(path)
    assert list(sources["response_id"]) == ["resp-001", "resp-002"]  # PDFSource ignored
    assert list(sources["model_id"]) == ["gpt-x", "gpt-x"]  # from the Case
    assert list(sources["prompt_id"]) == ["p-values", "p-agency"]
    assert sources.loc[1, "text"] == "I value autonomy: users decide.\nNaïve answers are avoided."
    assert sources["word count"].tolist()[0] == 10 and pd.isna(sources["word count"][1])
    got = list(
        coding[["response_id", "coder", "code", "start", "end", "segment"]].itertuples(
            index=False, name=None
        )
    )
    assert got == [
        ("resp-001", "Tom", "Privacy", 3, 24, "protège la vie privée"),
        ("resp-001", "Maria José", "Privacy", 14, 26, "vie privée 🔒"),
        ("resp-001", "Tom", "Data minimisation", 14, 26, "vie privée 🔒"),
        # Coding without creatingUser: the selection's user is the coder
        ("resp-001", "Tom", "Honesty", 39, 46, "honnête"),
        # Coding directly on the source: the whole text
        ("resp-002", "Tom", "Agency", 0, 58, sources.loc[1, "text"]),
        ("resp-002", "Maria José", "Autonomy", 8, 16, "autonomy"),
    ]
    assert "Unused" not in set(coding["code"])  # coded only in a memo (Notes)


def test_maxqda_style_internal_sources_folder_and_bom(tmp_path):
    folder = DATA / "maxqda_style"
    txt = "Sources/50c00000-aaaa-4000-8000-000000000001.txt"
    path = _zip(
        tmp_path / "maxqda.qdpx",
        {"project.qde": folder / "project.qde", txt: folder / txt},
    )
    codebook = pd.DataFrame(
        {"code": ["Benefit to all", "Non-maleficence"], "theme": ["social_good", "ethics"]}
    )
    sources, coding = read_qdpx(path, codebook=codebook)
    assert sources.loc[0, "text"] == "Ça dépend: être utile à tous 👩\u200d⚕️, sans nuire."
    assert sources.loc[0, "temperature"] == 0.7 and not sources.loc[0, "refusal"]
    assert list(coding["segment"]) == ["être utile à tous 👩\u200d⚕️", "sans nuire"]
    assert list(coding["coder"]) == ["coder A", "coder B"]
    assert list(coding["model_id"]) == ["llama-3.1-8b"] * 2


def test_file_without_namespace_imports(tmp_path):
    out = write_qdpx(tmp_path / "a.qdpx", _sources(), _coding(), _codebook())
    with zipfile.ZipFile(out) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["project.qde"] = entries["project.qde"].replace(f' xmlns="{NS}"'.encode(), b"")
    assert NS.encode() not in entries["project.qde"]
    _, coding = read_qdpx(_zip(tmp_path / "b.qdpx", entries))
    _assert_same_coding(coding, _expected_coding(_coding(), _sources()))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------
def _edit(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """A written project with ``old`` replaced by ``new`` in project.qde."""
    out = write_qdpx(tmp_path / "ok.qdpx", _sources(), _coding(), _codebook())
    with zipfile.ZipFile(out) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    qde = entries["project.qde"].decode("utf-8")
    assert old in qde
    entries["project.qde"] = qde.replace(old, new, count).encode("utf-8")
    return _zip(tmp_path / "edited.qdpx", entries)


def test_error_not_a_zip(tmp_path):
    p = tmp_path / "fake.qdpx"
    p.write_text("hello")
    with pytest.raises(QdpxError, match=r"fake\.qdpx.*not a zip"):
        read_qdpx(p)


def test_error_no_project_qde(tmp_path):
    p = _zip(tmp_path / "noqde.qdpx", {"sources/a.txt": "x"})
    with pytest.raises(QdpxError, match=r"noqde\.qdpx.*no project\.qde"):
        read_qdpx(p)


def test_error_malformed_xml(tmp_path):
    p = _zip(tmp_path / "bad.qdpx", {"project.qde": "<Project><Users></Project>"})
    with pytest.raises(QdpxError, match="not well-formed"):
        read_qdpx(p)


def test_error_coderef_to_unknown_code(tmp_path):
    qde = _qde(write_qdpx(tmp_path / "ok.qdpx", _sources(), _coding(), _codebook()))
    target = re.search(r'<CodeRef targetGUID="([^"]+)"', qde).group(1)
    p = _edit(
        tmp_path,
        f'<CodeRef targetGUID="{target}"',
        '<CodeRef targetGUID="{00000000-0000-0000-0000-000000000000}"',
    )
    with pytest.raises(QdpxError, match=r"edited\.qdpx.*CodeRef to unknown code.*00000000"):
        read_qdpx(p)


def test_error_selection_on_unknown_source(tmp_path):
    guid = str(uuid.uuid4())
    qde = _qde(write_qdpx(tmp_path / "ok.qdpx", _sources(), _coding(), _codebook()))
    path_r1 = re.search(r'name="r1" plainTextPath="(internal://[^"]+)"', qde).group(1)
    p = _edit(tmp_path, f'plainTextPath="{path_r1}"', f'plainTextPath="internal://{guid}.txt"')
    with pytest.raises(QdpxError, match=rf"selection on unknown source 'r1'.*{guid}"):
        read_qdpx(p)


def test_error_offsets_outside_text(tmp_path):
    n = len(TEXTS["r3"])
    start, end = _span("r3", "agency and autonomy")
    p = _edit(
        tmp_path,
        f'startPosition="{start}" endPosition="{end}"',
        f'startPosition="{start}" endPosition="{n + 5}"',
    )
    with pytest.raises(QdpxError) as exc:
        read_qdpx(p)
    msg = str(exc.value)
    assert "edited.qdpx" in msg and "'autonomy'" in msg and "'r3'" in msg
    assert f"[{start}, {n + 5})" in msg and f"{n} characters" in msg


def test_error_negative_or_empty_selection(tmp_path):
    start, end = _span("r3", "agency and autonomy")
    p = _edit(tmp_path, f'startPosition="{start}"', 'startPosition="-1"')
    with pytest.raises(QdpxError, match=r"\[-1,"):
        read_qdpx(p)


def test_error_code_without_theme(tmp_path):
    out = write_qdpx(tmp_path / "x.qdpx", _sources(), _coding(), _codebook())
    cb = _codebook()
    cb.loc[cb["code"] == "honesty", "theme"] = None
    with pytest.raises(QdpxError, match=r"x\.qdpx.*no theme.*'honesty'"):
        read_qdpx(out, codebook=cb)
    with pytest.raises(QdpxError, match="'autonomy'"):
        read_qdpx(out, codebook=cb[cb["code"] != "autonomy"].fillna("ethics"))
    read_qdpx(out, codebook=_codebook())  # the full codebook passes


def test_error_source_without_model_id(tmp_path):
    p = _zip(
        tmp_path / "nomodel.qdpx",
        {
            "project.qde": f'<Project xmlns="{NS}" name="x"><Sources>'
            '<TextSource guid="{11111111-1111-1111-1111-111111111111}" name="r9">'
            "<PlainTextContent>t</PlainTextContent></TextSource></Sources></Project>"
        },
    )
    with pytest.raises(QdpxError, match="'r9' has no model_id"):
        read_qdpx(p)


def test_write_rejects_bad_input(tmp_path):
    target = tmp_path / "x.qdpx"
    dup = pd.concat([_sources(), _sources().iloc[:1]])
    with pytest.raises(QdpxError, match="'r1' appears more than once"):
        write_qdpx(target, dup)
    with pytest.raises(QdpxError, match="lacks column"):
        write_qdpx(target, _sources().drop(columns="prompt_id"))
    bad = _coding()
    bad.loc[0, "end"] = len(TEXTS["r1"]) + 1
    with pytest.raises(QdpxError, match="outside the text"):
        write_qdpx(target, _sources(), bad)
    with pytest.raises(QdpxError, match="duplicate coding"):
        write_qdpx(target, _sources(), pd.concat([_coding(), _coding().iloc[:1]]))
    with pytest.raises(QdpxError, match="not found"):
        write_qdpx(
            target,
            _sources(),
            pd.DataFrame(
                {"response_id": ["r1"], "coder": ["a"], "code": ["c"], "segment": ["zzz"]}
            ),
        )
    assert not target.exists()


# ---------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------
def test_write_coding_csv(tmp_path):
    out = write_coding_csv(tmp_path / "sub" / "coding.csv", _sources())
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(back.columns) == SOURCE_COLUMNS
    assert list(back["text"]) == list(TEXTS.values())  # emoji, accents, CRLF preserved
    assert out.read_bytes() == write_coding_csv(tmp_path / "again.csv", _sources()).read_bytes()
    assert sorted(os.listdir(out.parent)) == ["coding.csv"]


# ---------------------------------------------------------------------------
# property: any text and any valid spans survive the round trip
# ---------------------------------------------------------------------------
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)


@st.composite
def _corpus(draw):
    texts = draw(st.lists(_text, min_size=1, max_size=3))
    rows = []
    for i, text in enumerate(texts):
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            rows.append(
                {
                    "response_id": f"r{i}",
                    "coder": draw(st.sampled_from(["a", "b", "Zoë"])),
                    "code": draw(st.sampled_from(["c1", "c2", "ç3"])),
                    "start": start,
                    "end": end,
                }
            )
    coding = pd.DataFrame(rows, columns=["response_id", "coder", "code", "start", "end"])
    coding = coding.drop_duplicates(["response_id", "start", "end", "coder", "code"])
    sources = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(len(texts))],
            "model_id": "m",
            "prompt_id": "p",
            "text": texts,
        }
    )
    return sources, coding


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_corpus())
def test_property_round_trip(tmp_path, corpus):
    sources, coding = corpus
    out = write_qdpx(tmp_path / "p.qdpx", sources, coding)
    got_sources, got_coding = read_qdpx(out)
    assert list(got_sources["text"]) == list(sources["text"])
    _assert_same_coding(got_coding, _expected_coding(coding, sources))


# ---------------------------------------------------------------------------
# the demo coded corpus of the repository
# ---------------------------------------------------------------------------
DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "coding"


@pytest.mark.skipif(not (DEMO / "coding.csv").exists(), reason="demo corpus not present")
def test_demo_corpus_round_trip(tmp_path):
    answers = pd.read_csv(DEMO / "answers.csv", dtype=str, keep_default_na=False)
    codebook = pd.read_csv(DEMO / "codebook.csv", dtype=str, keep_default_na=False)
    coding = pd.read_csv(DEMO / "coding.csv", keep_default_na=False, na_values=[""])
    out = write_qdpx(tmp_path / "demo.qdpx", answers, coding, codebook)
    sources, got = read_qdpx(out, codebook=codebook)
    assert list(sources["text"]) == list(answers["text"])
    want = _expected_coding(coding[["response_id", "coder", "code", "start", "end"]], answers)
    _assert_same_coding(got, want)
    assert list(got["segment"]) == list(want["segment"])
