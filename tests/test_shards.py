"""Stable shards of the models: assignment, one-process steps, and the same numbers for any
shard count."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from valueaudit.shards import (
    SHARD_TABLES,
    StepJob,
    assign_shards,
    concat_tables,
    model_parts,
    run_shard,
    shard_of,
)

from .conftest import REPO, make_project, run_snakemake
from .test_golden import _versions as golden_versions
from .test_golden import read_manifest, result_files

ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,30}", fullmatch=True)


@given(st.lists(ids, unique=True, max_size=40), ids, st.integers(1, 64))
@settings(max_examples=200, deadline=None)
def test_adding_a_model_moves_no_other_model(models, new, n):
    before = assign_shards(models, n)
    after = assign_shards([*models, new] if new not in models else models, n)
    where = {m: k for k, ms in after.items() for m in ms}
    for k, ms in before.items():
        assert all(where[m] == k for m in ms)
    assert sorted(m for ms in after.values() for m in ms) == sorted(set([*models, new]))
    assert all(0 <= k < n and ms for k, ms in after.items())  # only non-empty shards


def test_the_shard_is_a_hash_of_the_id_not_its_position():
    # sha256("sim-a") read as an unsigned big-endian 64-bit integer, modulo 8
    digest = hashlib.sha256(b"sim-a").digest()
    assert shard_of("sim-a", 8) == int.from_bytes(digest[:8], "big") % 8
    forward, backward = assign_shards(["sim-a", "sim-b"], 8), assign_shards(["sim-b", "sim-a"], 8)
    assert {m: k for k, ms in forward.items() for m in ms} == {
        m: k for k, ms in backward.items() for m in ms}
    with pytest.raises(ValueError, match="at least 1"):
        shard_of("x", 0)


def test_a_step_job_has_the_files_of_a_per_model_job():
    job = StepJob({"rule": "parse_model", "script": "scripts/parse_model.py", "model": "m1",
                   "input": {"raw": "raw/m1.jsonl", "collected": [], "instrument": "i.yaml"},
                   "output": {"responses": "r.csv", "lineage": "l.json"}, "log": "m1.log",
                   "params": {"parser_version": "9"}})
    assert list(job.input) == ["raw/m1.jsonl", "i.yaml"]
    assert job.input.raw == "raw/m1.jsonl" and job.input.instrument == "i.yaml"
    assert "collected" not in job.input.keys()  # an empty list is left out, as in Snakemake
    assert job.wildcards.model == "m1" and job.log[0] == "m1.log"
    assert job.params.parser_version == "9" and job.step_script == "scripts/parse_model.py"
    with pytest.raises(ValueError, match="one file per name"):
        StepJob({**{"rule": "r", "script": "s", "model": "m", "output": {}, "log": "l",
                    "params": {}}, "input": {"raw": ["a", "b"]}})


def _spec(tmp: Path, model: str, raw: Path) -> dict:
    return {"rule": "parse_model", "script": str(REPO / "scripts/parse_model.py"),
            "model": model, "input": {"raw": str(raw), "instrument":
                                      str(REPO / "resources/instrument/optimal_ai_v1.yaml")},
            "output": {"responses": str(tmp / f"{model}.responses.csv"),
                       "status": str(tmp / f"{model}.status.csv"),
                       "lineage": str(tmp / "lineage/parse_model" / f"{model}.json")},
            "log": str(tmp / f"{model}.log"), "params": {"parser_version": "test"}}


def test_a_model_with_bad_input_stops_its_shard_naming_the_model(tmp_path, caplog):
    bad = tmp_path / "sim-broken.jsonl"
    bad.write_text('{"record_id": "x", "model_id": "sim-broken"\n')  # torn JSON line
    with pytest.raises(SystemExit) as stop:
        run_shard([_spec(tmp_path, "sim-broken", bad)])
    assert stop.value.code == 1
    err = caplog.text
    assert "model sim-broken, step parse_model stopped" in err
    assert str(bad) in err and "Traceback" not in err  # the input's block: file and rule
    assert not (tmp_path / "lineage/parse_model/sim-broken.json").exists()


def test_a_stopped_shard_removes_the_outputs_of_all_its_models(tmp_path, caplog):
    good = sorted((REPO / "resources/demo/raw").glob("*.jsonl"))[0]
    bad = tmp_path / "sim-broken.jsonl"
    bad.write_text('{"record_id": "x", "model_id": "sim-broken"\n')
    from valueaudit.parse import PARSER_VERSION

    jobs = [_spec(tmp_path, good.stem, good), _spec(tmp_path, "sim-broken", bad)]
    jobs[0]["params"]["parser_version"] = PARSER_VERSION
    with pytest.raises(SystemExit):
        run_shard(jobs)
    assert "model sim-broken, step parse_model stopped" in caplog.text
    for spec in jobs:  # the good model's files were written, then removed with the shard
        assert not [f for f in spec["output"].values() if Path(f).exists()]
    assert (tmp_path / f"{good.stem}.log").exists()  # the logs stay
    run_shard(jobs[:1])
    assert all(Path(f).exists() for f in jobs[0]["output"].values())


# --- the same numbers for any shard count (small project, 8 models x 4 sessions) ----------

def _hashes(root: Path) -> dict[str, str]:
    """Every compared result file and every per-model lineage record, by sha256."""
    files = result_files(root)
    lineage = sorted((root / "results/provenance/lineage").glob("*/*.json"))
    files += [p.relative_to(root).as_posix() for p in lineage]
    return {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> dict[int, Path]:
    """The small project (as tests/test_golden.py records it) run with 1 and with 7 shards."""
    runs = {}
    for shards in (1, 7):
        root = make_project(tmp_path_factory.mktemp(f"shards{shards}") / "project")
        cfg = yaml.safe_load((root / "config.yaml").read_text())
        cfg["models"]["shards"] = shards
        (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        res = run_snakemake(root)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
        models = pd.read_csv(root / "results/data/models.csv")["model_id"]
        made = sorted((root / "results/logs/shards").glob("*.log"))
        assert len(made) == len(assign_shards(models, shards)) <= shards
        runs[shards] = root
    return runs


@pytest.mark.e2e
def test_every_table_and_lineage_record_is_byte_identical_for_1_and_7_shards(sharded):
    one, seven = _hashes(sharded[1]), _hashes(sharded[7])
    assert one.keys() == seven.keys() and len(one) > 300
    differ = sorted(f for f in one if one[f] != seven[f])
    assert not differ, differ[:20]


@pytest.mark.e2e
@pytest.mark.parametrize("shards", [1, 7])
def test_any_shard_count_gives_the_recorded_per_model_results(sharded, shards):
    versions, files = read_manifest()
    changed = sorted(k for k, v in golden_versions().items() if versions.get(k) != v)
    if changed:
        pytest.skip(f"manifest recorded with other versions of {', '.join(changed)}")
    root = sharded[shards]
    assert sorted(result_files(root)) == sorted(files)
    differ = [f for f in files
              if hashlib.sha256((root / f).read_bytes()).hexdigest() != files[f]]
    assert not differ, differ[:20]


@pytest.mark.e2e
@pytest.mark.parametrize("shards", [1, 7])
def test_each_shard_table_holds_exactly_its_models_files_with_their_lineage(sharded, shards):
    """Each shard table is its models' per-model files (its lineage record names them), and
    Study 3's step ran in its joint form: the per-model results that the other tests compare
    with the recorded manifest were computed jointly."""
    import json

    root = sharded[shards]
    models = list(pd.read_csv(root / "results/data/models.csv")["model_id"])
    steps = {"parse_model": "results/data/{kind}/{m}.csv",
             "study1_answers": "results/study1/answers/{m}.csv",
             "study2_within": "results/study2/within/{m}.csv",
             "study3_model": "results/study3/models/{m}/{kind}.csv"}
    for k, members in assign_shards(models, shards).items():
        shard_log = (root / f"results/logs/shards/models_shard_{k}.log").read_text()
        n = len(members)
        assert f"study3_model: computed jointly for {n} of {n} models" in shard_log
        record = json.loads((root / f"results/provenance/lineage/models_shard_{k}.json")
                            .read_text())
        for kind, (step, _) in SHARD_TABLES.items():
            files = [steps[step].format(kind=kind, m=m) for m in members]
            table = (root / f"results/shards/{k}/{kind}.csv").read_bytes()
            parts = [(root / f).read_bytes().partition(b"\n") for f in files]
            assert table == parts[0][0] + b"\n" + b"".join(body for _, _, body in parts)
            assert [f["path"] for f in record["inputs"][kind]] == files
            assert record["outputs"][kind][0]["sha256"] == hashlib.sha256(table).hexdigest()


def test_model_parts_returns_each_models_rows_in_the_given_order_and_refuses_strays():
    t1 = pd.DataFrame({"model_id": ["b", "c", "b"], "x": [1, 2, 3]})
    t2 = pd.DataFrame({"model_id": ["a"], "x": [4]})
    parts = model_parts([t1, t2], ["c", "a", "b", "d"])
    assert [p["x"].tolist() for p in parts] == [[2], [4], [1, 3], []]
    assert all(list(p.index) == list(range(len(p))) for p in parts)
    assert list(parts[3].columns) == ["model_id", "x"]
    with pytest.raises(ValueError, match="not in the models list"):
        model_parts([t1], ["b"])
    with pytest.raises(ValueError, match="more than one table"):
        model_parts([t1, t1.iloc[:1]], ["b", "c"])
    with pytest.raises(ValueError, match="without a model_id"):
        model_parts([pd.DataFrame({"model_id": ["a", None], "x": [1, 2]})], ["a"])


def test_concat_tables_keeps_quoted_line_breaks_and_refuses_other_columns(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_bytes(b'model_id,text\na,"two\nlines"\n')
    b.write_bytes(b"model_id,text\nb,plain")  # no final newline
    out = tmp_path / "all.csv"
    concat_tables([a, b], out)
    back = pd.read_csv(out)
    assert back["text"].tolist() == ["two\nlines", "plain"]
    (tmp_path / "c.csv").write_bytes(b"model_id,other\nc,1\n")
    with pytest.raises(ValueError, match="columns differ"):
        concat_tables([a, tmp_path / "c.csv"], tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()
    assert not list(tmp_path.glob(".bad.csv.*"))
