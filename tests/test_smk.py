"""The rule-script helpers of valueaudit.smk: logging, lineage and the resource-usage line."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from valueaudit.smk import Namedlist, log_to, parse_usage, usage_line

from .conftest import REPO


def fake_smk(tmp_path: Path, **resources) -> SimpleNamespace:
    out = tmp_path / "out.txt"
    return SimpleNamespace(
        input=Namedlist(), output=Namedlist([str(out)], {"out": 0}), params=Namedlist(),
        wildcards=Namedlist(), log=Namedlist([str(tmp_path / "job.log")]), rule="demo rule",
        resources=SimpleNamespace(**resources),
    )


def test_usage_line_reports_use_and_declared_resources(tmp_path):
    smk = fake_smk(tmp_path, mem_mb=500, runtime=2)
    block = np.ones(40_000_000)  # 320 MB resident: the peak must be at least that
    block[::512] = 2.0
    fields = parse_usage("INFO valueaudit: " + usage_line(smk, 1.234))
    assert fields["rule"] == "demo_rule"
    assert fields["peak_rss_mb"] >= block.nbytes / 2**20
    assert fields["wall_s"] == 1.23
    assert fields["cpu_s"] > 0
    assert (fields["mem_mb"], fields["runtime_min"]) == (500, 2)
    assert parse_usage("INFO valueaudit: parsed 12 records") is None


def test_usage_line_outside_snakemake_has_no_declared_resources(tmp_path):
    smk = fake_smk(tmp_path)
    del smk.resources
    line = usage_line(smk, 0.5)
    assert "mem_mb" not in line and "runtime_min" not in line and "peak_rss_mb=" in line


def test_log_to_writes_usage_only_on_success(tmp_path):
    smk = fake_smk(tmp_path, mem_mb=100, runtime=1)
    with log_to(smk) as log:
        log.info("working")
        Path(smk.output.out).write_text("x")
    text = Path(smk.log[0]).read_text()
    assert "working" in text and "resources used: rule=demo_rule" in text

    with pytest.raises(ValueError), log_to(smk):
        raise ValueError("bad row 7")
    text = Path(smk.log[0]).read_text()
    assert "bad row 7" in text and "Traceback" in text and "resources used" not in text


@pytest.mark.e2e
def test_every_job_logs_usage_within_its_declared_resources(small_run):
    """Every rule script logged its usage; none used more memory or time than it declares."""
    logs = sorted((small_run / "results/logs").rglob("*.log"))
    assert logs
    missing = [str(p) for p in logs if "resources used:" not in p.read_text()]
    assert not missing, f"logs without a usage line: {missing}"
    res = subprocess.run([sys.executable, str(REPO / "scripts/bench/bench_resources.py"),
                          "--logs", str(small_run / "results/logs")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 rule(s) flagged" in res.stdout


def test_bench_resources_flags_a_job_over_its_declaration(tmp_path):
    logs = tmp_path / "logs"
    (logs / "parse").mkdir(parents=True)
    ok = "rule=parse_model peak_rss_mb=180 cpu_s=0.40 wall_s=0.10 mem_mb=500 runtime_min=5"
    (logs / "parse/a.log").write_text(f"INFO valueaudit: resources used: {ok}\n")
    (logs / "parse/b.log").write_text(  # one job over its memory, one rule over its runtime
        "INFO valueaudit: resources used: rule=parse_model peak_rss_mb=700 cpu_s=0.4 wall_s=0.1 "
        "mem_mb=500 runtime_min=5\n")
    (logs / "slow.log").write_text(
        "INFO valueaudit: resources used: rule=slow peak_rss_mb=100 cpu_s=200 wall_s=190 "
        "mem_mb=500 runtime_min=3\n")
    script = REPO / "scripts/bench/bench_resources.py"
    res = subprocess.run([sys.executable, str(script), "--logs", str(logs)],
                         capture_output=True, text=True)
    assert res.returncode == 1, res.stdout + res.stderr
    rows = {ln.split()[0]: ln for ln in res.stdout.splitlines() if ln.strip()}
    assert "MEMORY > mem_mb" in rows["parse_model"] and " 2 " in rows["parse_model"]
    assert "TIME > runtime" in rows["slow"] and "MEMORY" not in rows["slow"]
    assert "2 rule(s) flagged" in res.stdout


def test_lineage_groups_keep_every_file_of_a_named_list():
    """A named input that is a list (Snakemake: name -> (start, end)) keeps all its files
    under its name; single names and unnamed files keep theirs."""
    from valueaudit.smk import _files

    class SnakemakeLike(list):
        pass

    named = SnakemakeLike(["t0.csv", "t1.csv", "t2.csv", "ins.yaml", "free.txt"])
    named._names = {"tables": (0, 3), "instrument": (3, None), "empty": (4, 4)}
    assert _files(named) == {"tables": ["t0.csv", "t1.csv", "t2.csv"],
                             "instrument": ["ins.yaml"], "4": ["free.txt"]}
    ours = Namedlist([["a", "b"], "c"], {"pair": 0, "one": 1})
    assert _files(ours) == {"pair": ["a", "b"], "one": ["c"]}
