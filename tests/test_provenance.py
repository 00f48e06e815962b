"""Provenance: verify names tampered files; two clean runs give byte-identical outputs."""

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from .conftest import run_snakemake

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
