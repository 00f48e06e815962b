"""A matrix of malformed inputs of every kind, loaded as the workflow loads them.

Each case mutates one input of a small simulated project and asserts that
loading stops with a :class:`DataValidationError` whose block names the file,
where (row/line and column, key path, or XML element and line) and the rule,
holds no traceback, and holds no identifier of the input (platform ids, IP
addresses, e-mail addresses, free text).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from valueaudit.config import load_config
from valueaudit.contracts import (
    DataValidationError,
    check_inputs,
    check_raw_files,
    read_models,
    read_raw_records,
)
from valueaudit.instrument import load_instrument

from .conftest import REPO

MODELS = "resources/demo/models.csv"
RAW = "resources/demo/raw"
EXPORT = "resources/demo/survey/qualtrics_export.csv"
CODING = "resources/demo/coding/coding.csv"
CODEBOOK = "resources/demo/coding/codebook.csv"
QDPX = "resources/demo/coding/study1.qdpx"
INSTRUMENT = "resources/instrument/optimal_ai_v1.yaml"
TIDY = "resources/demo/survey/humans_tidy.csv"
RESP = "resources/demo/survey/respondents.csv"
ID_COLUMNS = ("ResponseId", "PROLIFIC_PID", "IPAddress", "RecipientEmail", "Q7")


def load_like_the_workflow(root: Path) -> None:
    """Every check the workflow makes when it loads, then the raw records' first-job check."""
    cfg = load_config(root / "config.yaml")
    check_inputs(cfg)
    table = read_models(cfg["models"]["table"], cfg["models"]["tiers"])
    check_raw_files(table["model_id"], cfg["models"]["raw_dir"], cfg["models"]["table"])
    ins = load_instrument(cfg["instrument"])
    for m in table["model_id"]:
        read_raw_records(Path(cfg["models"]["raw_dir"]) / f"{m}.jsonl", instrument=ins)


# ---------------------------------------------------------------------------
# mutation helpers
# ---------------------------------------------------------------------------
def csv_edit(path, fn):
    """Apply ``fn`` to the table (in place, or returning the edited table) and write it back."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = fn(df)
    (out if isinstance(out, pd.DataFrame) else df).to_csv(path, index=False)


def text_edit(path, fn):
    p = Path(path)
    p.write_text(fn(p.read_text(encoding="utf-8")), encoding="utf-8")


def to_semicolons(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.to_csv(path, index=False, sep=";")


def to_utf16(path):
    p = Path(path)
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))


def cfg_edit(root, fn):
    p = root / "config.yaml"
    cfg = yaml.safe_load(p.read_text())
    fn(cfg)
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))


def first_raw(root):
    return sorted((root / RAW).glob("*.jsonl"))[0]


def raw_edit(root, fn):
    p = first_raw(root)
    recs = [json.loads(ln) for ln in p.read_text().splitlines() if ln.strip()]
    recs = fn(recs, root) or recs
    p.write_text("".join(json.dumps(r) + "\n" for r in recs))


def qde_edit(root, fn, drop=None):
    p = root / QDPX
    with zipfile.ZipFile(p) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    items["project.qde"] = fn(items["project.qde"].decode()).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, b in items.items():
            if drop is None or not drop(n):
                zf.writestr(n, b)
    p.write_bytes(buf.getvalue())


def q_row(df, i):
    """Data row i (0-based) of a Qualtrics export read with its 2 extra header rows."""
    return i + 2


def set_q(col, value, i=3):
    return lambda root: csv_edit(root / EXPORT, lambda d: d.__setitem__(col, _set(d[col], q_row(d, i), value)))


def _set(s, i, value):
    s = s.copy()
    s.iloc[i] = value
    return s


def use_tidy(root):
    cfg_edit(root, lambda c: c["humans"].update(
        layout="tidy", export=TIDY, respondents=RESP, demographics={"age": "age"},
        exclusions=[{"rule": "straightlining", "max_sd": 0.0}, {"rule": "incomplete"}]))


def tidy(fn_h=None, fn_r=None):
    def mutate(root):
        use_tidy(root)
        if fn_h:
            csv_edit(root / TIDY, fn_h)
        if fn_r:
            csv_edit(root / RESP, fn_r)
    return mutate


def use_coding_csv(root):
    cfg_edit(root, lambda c: c["coding"].update(format="csv", source=CODING))


def coding(fn):
    def mutate(root):
        use_coding_csv(root)
        fn(root / CODING)
    return mutate


def _tie(d):
    d.loc[q_row(d, 4), "Q3_2"] = d.loc[q_row(d, 4), "Q3_1"]


def _dup_response(d):
    d.loc[q_row(d, 6), "ResponseId"] = d.loc[q_row(d, 2), "ResponseId"]


def _partial_rank(d):
    d.loc[q_row(d, 5), "Q3_3"] = ""


def _empty_rank(d):
    for k in range(1, 7):
        d.loc[q_row(d, 5), f"Q3_{k}"] = ""


def _dup_header(path):
    text_edit(path, lambda t: t.replace(",Q5,", ",Q4,", 1))


def _foreign(recs, root):
    other = sorted((root / RAW).glob("*.jsonl"))[1]
    recs.append(json.loads(other.read_text().splitlines()[0]))


def _all_foreign(recs, root):
    other = sorted((root / RAW).glob("*.jsonl"))[1]
    return [json.loads(ln) for ln in other.read_text().splitlines()]


def _dup_record_id(recs, root):
    r = dict(recs[3])
    r["attempt"] = 9
    recs.append(r)


def _same_attempt(recs, root):
    r = dict(recs[3])
    r["record_id"] = r["record_id"] + ".copy"
    recs.append(r)


def _unknown_item(recs, root):
    r = next(r for r in recs if r["task"] == "rating")
    r["item_order"] = ["no_such_item", *r["item_order"][1:]]


def _negative_duration(recs, root):
    recs[2]["finished_utc"] = "2020-01-01T00:00:00.000Z"


def _attempt_text(recs, root):
    recs[2]["attempt"] = "first"


def _orphan_raw(root):
    shutil.copy(first_raw(root), root / RAW / "sim-not-in-table.jsonl")


def _no_raw(root):
    first_raw(root).unlink()


def _rm(root, rel):
    (root / rel).unlink()


# (kind, case id, mutation, expected text in the rule, level: "row" | "key" | "element" | "file")
CASES = [
    # models table
    ("models", "unknown tier", lambda r: text_edit(r / MODELS, lambda t: t.replace(",small,", ",tiny,", 1)),
     "unknown tier", "row"),
    ("models", "duplicate model id", lambda r: csv_edit(r / MODELS, lambda d: d.__setitem__(
        "model_id", _set(d["model_id"], 1, d["model_id"].iloc[0]))), "duplicate key", "row"),
    ("models", "text in params_b", lambda r: csv_edit(r / MODELS, lambda d: d.__setitem__(
        "params_b", _set(d["params_b"], 0, "seven"))), "not a number", "row"),
    ("models", "negative params_b", lambda r: csv_edit(r / MODELS, lambda d: d.__setitem__(
        "params_b", _set(d["params_b"], 0, "-3"))), "out of range", "row"),
    ("models", "semicolons", lambda r: to_semicolons(r / MODELS), "semicolon-separated", "line"),
    ("models", "utf-16", lambda r: to_utf16(r / MODELS), "UTF-16", "file"),
    ("models", "duplicated column", lambda r: text_edit(r / MODELS, lambda t: t.replace(
        "family", "display_name", 1)), "duplicate column name", "column"),
    ("models", "bad release date", lambda r: csv_edit(r / MODELS, lambda d: d.__setitem__(
        "release_date", _set(d["release_date"], 2, "2025-13"))), "pattern", "row"),
    ("models", "raw file of an unknown model", _orphan_raw, "not in the models table", "row"),
    ("models", "model without raw file", _no_raw, "has no raw records", "row"),
    # raw records
    ("raw", "record of another model", lambda r: raw_edit(r, _foreign), "another model", "row"),
    ("raw", "file of another model", lambda r: raw_edit(r, _all_foreign), "another model", "row"),
    ("raw", "duplicate record_id", lambda r: raw_edit(r, _dup_record_id), "duplicate record_id",
     "row"),
    ("raw", "same task session attempt", lambda r: raw_edit(r, _same_attempt),
     "same model, task, session and attempt", "row"),
    ("raw", "unknown item in item_order", lambda r: raw_edit(r, _unknown_item), "item_order",
     "row"),
    ("raw", "negative duration", lambda r: raw_edit(r, _negative_duration), "negative duration",
     "row"),
    ("raw", "text where a number is expected", lambda r: raw_edit(r, _attempt_text),
     "not of type 'integer'", "row"),
    ("raw", "not json", lambda r: first_raw(r).write_text(first_raw(r).read_text() + "{oops\n"),
     "not valid UTF-8 JSON", "line"),
    # Qualtrics export
    ("qualtrics", "tied ranks", lambda r: csv_edit(r / EXPORT, _tie), "not a permutation", "row"),
    ("qualtrics", "rank out of range", set_q("Q3_2", "7"), "out of range", "row"),
    ("qualtrics", "rating 8", set_q("Q1_4", "8"), "out of range", "row"),
    ("qualtrics", "duplicate ResponseId", lambda r: csv_edit(r / EXPORT, _dup_response),
     "duplicate respondent id", "row"),
    ("qualtrics", "partial ranking", lambda r: csv_edit(r / EXPORT, _partial_rank),
     "not a permutation", "row"),
    ("qualtrics", "text in a rating", set_q("Q1_3", "very much"), "text where a number", "row"),
    ("qualtrics", "negative duration", set_q("Duration (in seconds)", "-30"), "negative duration",
     "row"),
    ("qualtrics", "semicolons", lambda r: to_semicolons(r / EXPORT), "semicolon-separated", "line"),
    ("qualtrics", "utf-16", lambda r: to_utf16(r / EXPORT), "UTF-16", "file"),
    ("qualtrics", "duplicated column", lambda r: _dup_header(r / EXPORT), "duplicate column name",
     "column"),
    ("qualtrics", "unanswered ranking without incomplete rule",
     lambda r: csv_edit(r / EXPORT, _empty_rank), "unanswered", "key"),
    ("qualtrics", "text in the attention check", set_q("Q2", "three"), "text where a number",
     "row"),
    # tidy survey and respondents
    ("tidy", "rating 8", tidy(lambda d: d.__setitem__("value", _set(d["value"], 0, "8"))),
     "out of range", "row"),
    ("tidy", "unknown item id", tidy(lambda d: d.__setitem__(
        "item_id", _set(d["item_id"], 0, "perf_99"))), "item id (not in the instrument", "row"),
    ("tidy", "respondent missing from respondents", tidy(None, lambda d: d.drop(
        index=3)), "no row in the respondents table", "row"),
    ("tidy", "respondent without answers", tidy(None, lambda d: d.loc.__setitem__(
        (len(d), slice(None)), ["Pnobody00000", "30"])), "has no answers", "row"),
    ("tidy", "tied ranks", tidy(lambda d: _tidy_tie(d)), "not a permutation", "row"),
    ("tidy", "duplicate respondent row", tidy(None, lambda d: d.__setitem__(
        "respondent_id", _set(d["respondent_id"], 1, d["respondent_id"].iloc[0]))),
     "duplicate key", "row"),
    ("tidy", "text in value", tidy(lambda d: d.__setitem__("value", _set(d["value"], 2, "high"))),
     "not a number", "row"),
    ("tidy", "semicolon respondents", lambda r: (use_tidy(r), to_semicolons(r / RESP)),
     "semicolon-separated", "line"),
    # coding CSV
    ("coding", "code not in codebook", coding(lambda p: csv_edit(p, lambda d: d.__setitem__(
        "code", _set(d["code"], 3, "made_up_code")))), "not in the codebook", "row"),
    ("coding", "end before start", coding(lambda p: csv_edit(p, lambda d: d.__setitem__(
        "end", _set(d["end"], 1, "1")))), "end must be greater", "row"),
    ("coding", "negative start", coding(lambda p: csv_edit(p, lambda d: d.__setitem__(
        "start", _set(d["start"], 1, "-4")))), "out of range", "row"),
    ("coding", "text in start", coding(lambda p: csv_edit(p, lambda d: d.__setitem__(
        "start", _set(d["start"], 1, "ten")))), "not a integer", "row"),
    ("coding", "semicolons", coding(to_semicolons), "semicolon-separated", "line"),
    ("coding", "duplicated column", coding(lambda p: text_edit(p, lambda t: t.replace(
        "prompt_id", "model_id", 1))), "duplicate column name", "column"),
    ("coding", "missing column", coding(lambda p: csv_edit(p, lambda d: d.drop(
        columns="coder"))), "missing required column", "column"),
    ("coding", "coded segment whose answer is missing", coding(lambda p: (
        cfg_edit(p.parents[3], lambda c: c["coding"].update(answers="resources/demo/coding/answers.csv")),
        csv_edit(p, lambda d: d.__setitem__("response_id", _set(d["response_id"], 4, "no-such-answer"))))),
     "unknown source", "row"),
    # REFI-QDA project
    ("qdpx", "not a zip", lambda r: (r / QDPX).write_bytes(b"plain text"), "not a zip", "file"),
    ("qdpx", "no project.qde", lambda r: qde_edit(r, lambda x: x, drop=lambda n: n == "project.qde"),
     "no project.qde", "file"),
    ("qdpx", "malformed XML", lambda r: qde_edit(r, lambda x: x.replace("</Users>", "</Userz>", 1)),
     "not well-formed", "line"),
    ("qdpx", "unknown CodeRef", lambda r: qde_edit(r, lambda x: _first_coderef(x)),
     "unknown code GUID", "element"),
    ("qdpx", "selection outside the text", lambda r: qde_edit(r, lambda x: x.replace(
        'endPosition="92"', 'endPosition="99999"', 1)), "outside", "element"),
    ("qdpx", "coded source missing from the archive", lambda r: qde_edit(
        r, lambda x: x, drop=lambda n: n.startswith("sources/") and _first_source(r) in n),
     "not in the archive", "element"),
    # codebook
    ("codebook", "unknown theme", lambda r: csv_edit(r / CODEBOOK, lambda d: d.__setitem__(
        "theme", _set(d["theme"], 0, "speed"))), "unknown theme", "row"),
    ("codebook", "duplicate code", lambda r: csv_edit(r / CODEBOOK, lambda d: d.__setitem__(
        "code", _set(d["code"], 1, d["code"].iloc[0]))), "duplicate key", "row"),
    ("codebook", "missing definition", lambda r: csv_edit(r / CODEBOOK, lambda d: d.__setitem__(
        "definition", _set(d["definition"], 2, ""))), "missing value", "row"),
    ("codebook", "semicolons", lambda r: to_semicolons(r / CODEBOOK), "semicolon-separated",
     "line"),
    ("codebook", "utf-16", lambda r: to_utf16(r / CODEBOOK), "UTF-16", "file"),
    ("codebook", "code used in the project missing from the codebook", lambda r: csv_edit(
        r / CODEBOOK, lambda d: d.drop(index=0)), "not in the codebook", "row"),
    ("codebook", "extra column", lambda r: csv_edit(r / CODEBOOK, lambda d: d.__setitem__(
        "notes", "x")), "unexpected column", "column"),
    # instrument
    ("instrument", "duplicate item id", lambda r: text_edit(r / INSTRUMENT, lambda t: t.replace(
        "id: perf_2", "id: perf_1", 1)), "duplicate item id 'perf_1' at items[0] and items[1]",
     "key"),
    ("instrument", "template lacks placeholder", lambda r: shutil.copy(
        REPO / "tests/data/malformed/bad_instrument_template.yaml", r / INSTRUMENT),
     "lacks the placeholder", "key"),
    ("instrument", "unknown placeholder", lambda r: text_edit(r / INSTRUMENT, lambda t: t.replace(
        "{theme_list}", "{theme_list} {colour}", 1)), "unknown placeholder", "key"),
    ("instrument", "item of unknown theme", lambda r: text_edit(r / INSTRUMENT, lambda t: t.replace(
        "theme: performance", "theme: speed", 1)), "unknown theme", "key"),
    ("instrument", "yaml syntax", lambda r: text_edit(r / INSTRUMENT, lambda t: t.replace(
        "themes:", "themes: [", 1)), "not readable YAML", "key"),
    ("instrument", "rating min above max", lambda r: text_edit(r / INSTRUMENT, lambda t: t.replace(
        "min: 1", "min: 9", 1)), "min must be below max", "key"),
    # config
    ("config", "mapping not one-to-one", lambda r: cfg_edit(r, lambda c: c["humans"]["items"][
        "rating"].update(perf_2="Q1_1")), "mapped twice", "key"),
    ("config", "unknown key", lambda r: cfg_edit(r, lambda c: c.update(sead=1)), "unknown key",
     "key"),
    ("config", "text where a number is expected", lambda r: cfg_edit(
        r, lambda c: c["study3"].update(bootstrap="many")), "not of type", "key"),
    ("config", "exclusion rule twice", lambda r: cfg_edit(r, lambda c: c["humans"][
        "exclusions"].append({"rule": "straightlining", "max_sd": 0.1})), "listed twice", "key"),
    ("config", "tier listed twice", lambda r: cfg_edit(r, lambda c: c["models"].update(
        tiers=["small", "mid", "small"])), "non-unique", "key"),
    ("config", "attention check without expected", lambda r: cfg_edit(r, lambda c: c["humans"][
        "exclusions"][0].pop("expected")), "needs 'expected'", "key"),
    ("config", "unknown exclusion rule", lambda r: cfg_edit(r, lambda c: c["humans"][
        "exclusions"].append({"rule": "vibes"})), "is not one of", "key"),
    ("config", "YAML syntax error", lambda r: text_edit(r / "config.yaml", lambda t: t.replace(
        "seed:", "seed: [", 1)), "not a readable UTF-8 YAML file", "line"),
]


def _tidy_tie(d):
    sel = (d["format"] == "ranking")
    first = d[sel]["respondent_id"].iloc[0]
    rows = d.index[sel & (d["respondent_id"] == first)]
    d.loc[rows[1], "value"] = d.loc[rows[0], "value"]


def _first_coderef(x):
    i = x.index("<CodeRef targetGUID=\"") + len("<CodeRef targetGUID=\"")
    return x[:i] + "00000000-0000-0000-0000-000000000000" + x[i + 36:]


def _first_source(root):
    with zipfile.ZipFile(root / QDPX) as zf:
        qde = zf.read("project.qde").decode()
    i = qde.index("internal://") + len("internal://")
    return qde[i:qde.index('"', i)]


@pytest.fixture(scope="module")
def base(tmp_path_factory, small_project):
    """The small project's inputs plus a tidy-layout survey made from its Qualtrics export."""
    root = tmp_path_factory.mktemp("malformed") / "base"
    shutil.copytree(small_project / "resources", root / "resources")
    shutil.copy(small_project / "config.yaml", root / "config.yaml")
    write_tidy_survey(root)
    return root


def write_tidy_survey(root: Path) -> None:
    """Write the project's survey in the tidy layout (TIDY, RESP) beside its export."""
    import os

    from valueaudit.survey import import_survey

    cwd = os.getcwd()
    os.chdir(root)
    try:
        cfg = load_config("config.yaml")
        out = import_survey(cfg["humans"], load_instrument(cfg["instrument"]))
    finally:
        os.chdir(cwd)
    out["humans"].to_csv(root / TIDY, index=False)
    out["respondents"][["respondent_id", "age"]].to_csv(root / RESP, index=False)


def identifiers(root: Path) -> set[str]:
    """Every direct identifier in the project's survey inputs (as mutated)."""
    out = set()
    files = [(root / EXPORT, ID_COLUMNS)]
    try:
        layout = yaml.safe_load((root / "config.yaml").read_text())["humans"].get("layout")
    except yaml.YAMLError:  # a case broke the config's syntax: the survey is the base's
        layout = None
    if layout == "tidy":
        files = [(root / TIDY, ("respondent_id",)), (root / RESP, ("respondent_id",))]
    for path, cols in files:
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except Exception:  # a case made the file unreadable: its ids are those of the base
            continue
        for c in cols:
            if c in df.columns:
                out |= {v for v in df[c].iloc[2 if path.name == Path(EXPORT).name else 0:]
                        if len(v) >= 6}
    return out


def test_matrix_has_at_least_four_cases_per_kind():
    kinds = pd.Series([c[0] for c in CASES]).value_counts()
    assert len(CASES) >= 60
    assert set(kinds.index) == {"models", "raw", "qualtrics", "tidy", "coding", "qdpx", "codebook",
                                "instrument", "config"}
    assert kinds.min() >= 4, kinds.to_dict()


def test_the_base_project_loads(base, monkeypatch):
    monkeypatch.chdir(base)
    load_like_the_workflow(base)
    root = base.parent / "tidy_ok"
    shutil.copytree(base, root)
    monkeypatch.chdir(root)
    use_tidy(root)
    load_like_the_workflow(root)
    use_coding_csv(root)
    load_like_the_workflow(root)


@pytest.mark.parametrize("kind,case,mutate,rule,level", CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_malformed_input_stops_with_where_and_what(base, tmp_path, monkeypatch, kind, case, mutate,
                                                   rule, level):
    root = tmp_path / "p"
    shutil.copytree(base, root)
    monkeypatch.chdir(root)
    ids = identifiers(root)
    mutate(root)
    ids |= identifiers(root)
    with pytest.raises(DataValidationError) as e:
        load_like_the_workflow(root)
    err = e.value
    block = err.block()
    assert err.file and f"file:  {err.file}" in block
    assert rule in err.rule, block
    if level == "row":
        assert err.row is not None and err.column is not None, block
    elif level == "column":
        assert err.column is not None, block
    elif level == "line":
        assert err.line is not None, block
    elif level == "key":
        assert err.key is not None, block
    elif level == "element":
        assert err.element is not None and err.line is not None, block
    if level != "file":
        assert "where: " in block
    assert "rule:  " in block and "Traceback" not in block
    leaked = [i for i in ids if i in block or i in str(err)]
    assert not leaked, (leaked[:3], block)


def test_unanswered_ranking_is_an_incomplete_response_counted_in_the_flow(base, tmp_path,
                                                                           monkeypatch):
    from valueaudit.survey import import_survey

    root = tmp_path / "p"
    shutil.copytree(base, root)
    monkeypatch.chdir(root)
    csv_edit(root / EXPORT, _empty_rank)
    cfg_edit(root, lambda c: c["humans"]["exclusions"].insert(0, {"rule": "incomplete"}))
    cfg = load_config("config.yaml")
    out = import_survey(cfg["humans"], load_instrument(cfg["instrument"]))
    flow = out["flow"].set_index("step")
    assert flow.loc["excluded: incomplete", "excluded"] == 1
    assert out["respondents"]["exclusion_reason"].iloc[5] == "incomplete"


def test_another_instrument_version_is_a_warning(base, tmp_path, monkeypatch, caplog):
    root = tmp_path / "p"
    shutil.copytree(base, root)
    monkeypatch.chdir(root)
    raw_edit(root, lambda recs, _: [dict(r, instrument_sha256="0" * 64) for r in recs])
    with caplog.at_level("WARNING", logger="valueaudit.input"):
        load_like_the_workflow(root)
    assert "another version of the instrument" in caplog.text
