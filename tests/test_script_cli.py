"""Rule scripts outside Snakemake: ``--help``, and ``--rule NAME`` resolving the job from the workflow."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, run_snakemake

SCRIPTS = sorted(p.name for p in (REPO / "scripts").glob("*.py"))


def run_script(root: Path, name: str, *args: str, timeout: int = 300):
    return subprocess.run([sys.executable, f"scripts/{name}", *args], cwd=root,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_answers_help(name):
    res = run_script(REPO, name, "--help", timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "usage:" in res.stdout


def _files(root: Path, paths: list[str]) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in paths}


@pytest.fixture(scope="module")
def data_project(small_project, tmp_path_factory) -> Path:
    """A copy of the small project after Snakemake made the inputs of data_summary and the
    per-model tables of the first model."""
    root = tmp_path_factory.mktemp("cli") / "project"
    shutil.copytree(small_project, root, ignore=shutil.ignore_patterns("results", ".snakemake"))
    res = run_snakemake(root, "results/tables/data_summary.csv")
    assert res.returncode == 0, res.stderr[-4000:]
    return root


@pytest.mark.e2e
def test_rule_option_writes_the_bytes_of_the_snakemake_job(data_project):
    root = data_project
    outputs = [f"results/tables/{t}.{ext}" for t in ("data_summary", "human_flow")
               for ext in ("csv", "tex", "md", "html")] + ["results/provenance/lineage/data_summary.json"]
    made = _files(root, outputs)
    for p in outputs:
        (root / p).unlink()
    res = run_script(root, "data_summary.py", "--rule", "data_summary")
    assert res.returncode == 0, res.stderr[-4000:]
    assert _files(root, outputs) == made
    assert "summary of" in (root / "results/logs/data_summary.log").read_text()


@pytest.mark.e2e
def test_rule_option_takes_wildcards(data_project):
    root = data_project
    model = sorted((root / "results/data/responses").glob("*.csv"))[0].stem
    outputs = [f"results/data/responses/{model}.csv", f"results/data/status/{model}.csv",
               f"results/provenance/lineage/parse_model/{model}.json"]
    made = _files(root, outputs)
    for p in outputs:
        (root / p).unlink()
    res = run_script(root, "parse_model.py", "--rule", "parse_model", "--wildcards", f"model={model}")
    assert res.returncode == 0, res.stderr[-4000:]
    assert _files(root, outputs) == made


@pytest.mark.e2e
@pytest.mark.parametrize(("args", "message"), [
    (["--rule", "parse_model"], "needs --wildcards model=..."),
    (["--rule", "no_such_rule"], "no rule 'no_such_rule'"),
])
def test_rule_option_refuses_an_incomplete_job(data_project, args, message):
    res = run_script(data_project, "parse_model.py", *args)
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr


def test_rule_option_without_a_workflow_names_the_directory(tmp_path):
    res = subprocess.run([sys.executable, str(REPO / "scripts/data_summary.py"), "--rule",
                          "data_summary"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2
    assert "no workflow at" in res.stderr and "Traceback" not in res.stderr
