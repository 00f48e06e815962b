"""Provenance: verify names tampered files; two clean runs give byte-identical outputs."""

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO, run_snakemake

pytestmark = pytest.mark.e2e


def _verify(root):
    return subprocess.run([sys.executable, "-m", "valueaudit.cli", "verify", "--results", "results"],
                          cwd=root, capture_output=True, text=True)


def test_verify_names_a_tampered_raw_record_and_table(small_run, tmp_path):
    root = tmp_path / "tamper"
    shutil.copytree(small_run, root, symlinks=True)
    ok = _verify(root)
    assert ok.returncode == 0, ok.stdout
    raw = sorted((root / "resources/demo/raw").glob("*.jsonl"))[0]
    lines = raw.read_text().splitlines()
    lines[0] = lines[0].replace('"session": 1', '"session": 2', 1) if '"session": 1' in lines[0] \
        else lines[0] + " "
    raw.write_text("\n".join(lines) + "\n")
    table = root / "results/tables/data_summary.csv"
    table.write_text(table.read_text().replace(",10,", ",11,", 1) + "\n")
    res = _verify(root)
    assert res.returncode == 1
    changed = {ln.split()[-1] for ln in res.stdout.splitlines() if ln.startswith("CHANGED")}
    assert str(raw.relative_to(root)) in changed
    assert "results/tables/data_summary.csv" in changed
    assert len(changed) == 2


def _digests(root):
    out = {}
    for p in sorted((root / "results").rglob("*")):
        rel = str(p.relative_to(root))
        if not p.is_file() or rel.startswith("results/logs") or p.name == "run.json":
            continue
        if p.suffix in (".csv", ".tex", ".md", ".json", ".yaml"):
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_two_clean_runs_are_byte_identical(small_run, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(small_run, root, symlinks=True, ignore=shutil.ignore_patterns("results", ".snakemake"))
    res = run_snakemake(root)
    assert res.returncode == 0, res.stderr[-4000:]
    first, second = _digests(small_run), _digests(root)
    assert first.keys() == second.keys()
    differ = [k for k in first if first[k] != second[k]]
    assert not differ, differ
    run = json.loads((root / "results/provenance/run.json").read_text())
    assert set(run) == {"finished_utc"}


# ---------------------------------------------------------------------------
# tamper tests: verify reports CHANGED, MISSING and STALE; the paper bundle refuses
# ---------------------------------------------------------------------------
def _tamper_project(tmp_path):
    """A tiny recorded run: raw -> table -> figure, with manifest, lineage and config."""
    import json as _json

    from valueaudit.provenance import input_manifest, merge_lineage, write_json
    from valueaudit.smk import sha256_file

    (tmp_path / "raw.jsonl").write_text('{"a": 1}\n')
    (tmp_path / "table.csv").write_text("x\n1\n")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG fake")
    (tmp_path / "script.py").write_text("print(1)\n")
    cfg = {"seed": 1, "study3": {"bootstrap": 200}, "humans": {"items": {"rating": {"a": "Q1"}}}}

    def rec(name, inputs, outputs, params):
        return {"rule": name, "script": str(tmp_path / "script.py"),
                "script_sha256": sha256_file(tmp_path / "script.py"), "wildcards": {},
                "params": params,
                "inputs": {"in": [{"path": str(tmp_path / p), "sha256": sha256_file(tmp_path / p)}
                                  for p in inputs]},
                "outputs": {"out": [{"path": str(tmp_path / p), "sha256": sha256_file(tmp_path / p)}
                                    for p in outputs]}}

    lin = tmp_path / "lineage"
    lin.mkdir()
    (lin / "table.json").write_text(_json.dumps(rec("table", ["raw.jsonl"], ["table.csv"],
                                                    {"bootstrap": 200})))
    (lin / "figure.json").write_text(_json.dumps(rec("figure", ["table.csv"], ["figure.png"],
                                                     {"items": {"a": "Q1"}})))
    write_json(input_manifest({"raw_records": [str(tmp_path / "raw.jsonl")]}),
               tmp_path / "inputs.json")
    write_json(merge_lineage(sorted(lin.glob("*.json"))), tmp_path / "lineage.json")
    return tmp_path, cfg


def _status(report, path):
    return report.set_index("path").loc[str(path), "status"]


@pytest.mark.parametrize("tamper,expect", [
    ("raw", {"raw.jsonl": "changed", "table.csv": "stale", "figure.png": "stale"}),
    ("table", {"table.csv": "changed", "figure.png": "stale"}),
    ("figure", {"figure.png": "changed", "table.csv": "ok"}),
    ("delete", {"table.csv": "missing", "figure.png": "stale"}),
    ("config", {"table.csv": "stale", "figure.png": "stale"}),
    ("mapping", {"figure.png": "stale", "table.csv": "ok"}),
    ("script", {"table.csv": "stale", "figure.png": "stale"}),
])
def test_verify_reports_changed_missing_and_stale(tmp_path, tamper, expect):
    import copy

    from valueaudit.provenance import verify

    root, cfg = _tamper_project(tmp_path)
    current = copy.deepcopy(cfg)
    if tamper == "raw":
        (root / "raw.jsonl").write_text('{"a": 2}\n')
    elif tamper == "table":
        (root / "table.csv").write_text("x\n2\n")
    elif tamper == "figure":
        (root / "figure.png").write_bytes(b"\x89PNG edited")
    elif tamper == "delete":
        (root / "table.csv").unlink()
    elif tamper == "config":
        current["study3"]["bootstrap"] = 500
    elif tamper == "mapping":
        current["humans"]["items"]["rating"]["a"] = "Q9"
    elif tamper == "script":
        (root / "script.py").write_text("print(2)\n")
    report = verify(root / "inputs.json", root / "lineage.json", current, cfg, "config.yaml")
    for name, status in expect.items():
        assert _status(report, root / name) == status, report.to_string()
    if tamper in ("config", "mapping"):
        rows = report[report["kind"] == "config"]
        assert len(rows) == 1 and rows["status"].iloc[0] == "changed"
    clean = verify(root / "inputs.json", root / "lineage.json", cfg, cfg)
    assert (clean["status"] != "ok").any() == (tamper not in ("config", "mapping"))


def test_verify_cli_reports_a_changed_configfile_and_exits_nonzero(tmp_path, monkeypatch, capsys):
    import yaml

    from valueaudit.cli import main

    prov = tmp_path / "results" / "provenance"
    prov.mkdir(parents=True)
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    base["study3"] = {"bootstrap": 2000}
    from valueaudit.config import validate_config
    from valueaudit.provenance import effective_config_yaml, write_json

    (prov / "config.effective.yaml").write_text(effective_config_yaml(validate_config(base)))
    write_json({}, prov / "inputs.json")
    write_json({}, prov / "lineage.json")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(base))
    assert main(["verify"]) == 0
    base["study3"]["bootstrap"] = 999
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(base))
    assert main(["verify", "--configfile", "other.yaml"]) == 1
    out = capsys.readouterr().out
    assert "CHANGED  config study3.bootstrap" in out


def test_paper_bundle_refuses_a_file_that_no_longer_matches_its_lineage(tmp_path):
    from valueaudit.contracts import DataValidationError
    from valueaudit.paper import copy_into_bundle
    from valueaudit.provenance import lineage_index

    root, _ = _tamper_project(tmp_path)
    lineage = lineage_index(root / "lineage")
    src, dst = [str(root / "table.csv")], [str(root / "paper" / "table.csv")]
    copy_into_bundle(src, dst, lineage)
    assert (root / "paper" / "table.csv").read_text() == "x\n1\n"
    (root / "table.csv").write_text("x\n1000\n")
    with pytest.raises(DataValidationError, match="no longer match the lineage") as e:
        copy_into_bundle(src, dst, lineage)
    assert "--forcerun table" in e.value.block()
    assert (root / "paper" / "table.csv").read_text() == "x\n1\n"


def test_incomplete_run_file_lists_failed_jobs_and_stale_outputs(tmp_path):
    from valueaudit.provenance import remove_incomplete, write_incomplete

    root, _ = _tamper_project(tmp_path)
    res = tmp_path / "results"
    (res / "provenance").mkdir(parents=True)
    import shutil

    shutil.copytree(root / "lineage", res / "provenance" / "lineage")
    (root / "raw.jsonl").write_text('{"a": 3}\n')
    log = tmp_path / "smk.log"
    (res / "logs").mkdir()
    (res / "logs" / "table.log").write_text("INFO x\nvalueaudit: input error\n  file:  raw.jsonl\n")
    log.write_text("Error in rule table:\n    jobid: 3\n    output: table.csv\n"
                   f"    log: {res / 'logs' / 'table.log'} (check log file(s) for error details)\n\n")
    (res / "paper").mkdir()
    summary = res / "paper" / "summary.md"
    summary.write_text("# Summary of findings\n\nrho = .81\n")
    original = summary.read_bytes()
    md = write_incomplete(res, [log]).read_text()
    assert "rule `table`" in md and "valueaudit: input error" in md
    assert str(root / "figure.png") in md and "Stale outputs from earlier runs (2)" in md
    assert summary.read_text().startswith("<!-- valueaudit: incomplete run -->")
    assert "INCOMPLETE RUN" in summary.read_text()
    write_incomplete(res, log)  # a second failure: still one banner
    assert summary.read_text().count("INCOMPLETE RUN") == 1
    assert remove_incomplete(res) and not (res / "INCOMPLETE.md").exists()
    assert summary.read_bytes() == original
