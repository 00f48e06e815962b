"""Run the workflow on a real (single-node) SLURM cluster through snakemake-executor-plugin-slurm.

Opt-in: these tests need a running cluster and take minutes. Start one and run them with::

    scripts/slurm/cluster.sh up
    VALUEAUDIT_SLURM_TEST=1 pytest -m slurm tests/test_slurm.py
    scripts/slurm/cluster.sh down

Without ``VALUEAUDIT_SLURM_TEST=1`` they are skipped; with it and no usable cluster they fail
(``.ci/run`` sets it, so a broken cluster set-up cannot pass as skipped tests).
Every Snakemake run is bounded with ``timeout -s INT -k 60 <limit>`` (SIGINT makes Snakemake
scancel its jobs; SIGTERM would leave them running). ``VALUEAUDIT_SLURM_TIMEOUT`` (seconds,
default 3600) bounds the whole-workflow runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm"
TOY = REPO / "scripts" / "slurm" / "toy" / "Snakefile"
TABLE_SUFFIXES = {".csv", ".tex", ".md"}
WORKFLOW_TIMEOUT = int(os.environ.get("VALUEAUDIT_SLURM_TIMEOUT", "3600"))
# scratch copies of the repository, as the benchmarks make them (scripts/bench/_repo.py)
_spec = importlib.util.spec_from_file_location("_repo", REPO / "scripts/bench/_repo.py")
_repo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_repo)


def _skip_reason() -> str | None:
    """Why the SLURM tests cannot run here, or None when they can."""
    if os.environ.get("VALUEAUDIT_SLURM_TEST") != "1":
        return (
            "SLURM tests are opt-in: run `scripts/slurm/cluster.sh up` and set "
            "VALUEAUDIT_SLURM_TEST=1"
        )
    for tool in ("sinfo", "sbatch", "squeue", "timeout", "snakemake"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found on PATH (is SLURM installed? scripts/slurm/cluster.sh up)"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install 'valueaudit[slurm]')"
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 20 s: is slurmctld running?"
    states = proc.stdout.split()
    if proc.returncode != 0 or not any(s in {"idle", "mix", "alloc"} for s in states):
        return (
            f"no usable SLURM node (sinfo rc={proc.returncode}, states={states}, "
            f"stderr={proc.stderr.strip()!r}); run scripts/slurm/cluster.sh up"
        )
    return None


_OPTED_IN = os.environ.get("VALUEAUDIT_SLURM_TEST") == "1"
_REASON = _skip_reason()
pytestmark = [
    pytest.mark.slurm,
    # not asked for: skip; asked for (as .ci/run does) but no usable cluster: fail, so a broken
    # cluster set-up can never pass as a green run of skipped tests
    pytest.mark.skipif(not _OPTED_IN, reason=_REASON or ""),
]


@pytest.fixture(autouse=True)
def _cluster_usable() -> None:
    if _REASON is not None:
        pytest.fail(f"VALUEAUDIT_SLURM_TEST=1 but the SLURM cluster is not usable: {_REASON}")


def run_snakemake(
    args: list[str], cwd: Path, limit: int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``_repo.run_bounded``, failing the test when the time limit was hit."""
    proc = _repo.run_bounded(args, cwd, limit, env)
    assert proc.returncode != 124, (
        f"`snakemake {' '.join(args)}` hit the {limit} s limit in {cwd}:\n{proc.stdout[-5000:]}"
    )
    return proc


def table_files(root: Path) -> dict[str, bytes]:
    """Every CSV/TeX/MD file below ``root``, keyed by its relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in TABLE_SUFFIXES
    }


def assert_same_tables(a: Path, b: Path) -> int:
    """Assert both result trees hold the same set of byte-identical tables; return the count."""
    ta, tb = table_files(a), table_files(b)
    assert ta, f"no CSV/TeX/MD output under {a}"
    assert sorted(ta) == sorted(tb), (
        f"different table files:\nonly local: {sorted(set(ta) - set(tb))}\n"
        f"only slurm: {sorted(set(tb) - set(ta))}"
    )
    differ = [name for name in ta if ta[name] != tb[name]]
    assert not differ, f"{len(differ)} tables differ between local and SLURM runs: {differ}"
    return len(ta)


def submitted_jobs(output: str) -> list[str]:
    """SLURM job ids that Snakemake reports having submitted."""
    return _repo.SUBMITTED.findall(output)


def test_toy_grouped_workflow_matches_local(tmp_path: Path) -> None:
    """Four per-model chains in one group job (layered to the node's 2 CPUs) + aggregate."""
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    local.mkdir()
    slurm.mkdir()
    common = ["-s", str(TOY), "--config", "models=4"]
    proc = run_snakemake([*common, "--cores", "2"], local, 300)
    assert proc.returncode == 0, proc.stdout[-5000:]
    proc = run_snakemake(
        [*common, "--workflow-profile", str(PROFILE), "--group-components", "per_model=4"],
        slurm,
        900,
    )
    assert proc.returncode == 0, proc.stdout[-5000:]
    jobs = submitted_jobs(proc.stdout)
    # one group job for the 8 per-model jobs, one job for the aggregate
    assert len(jobs) == 2, f"expected 2 SLURM submissions, got {jobs}:\n{proc.stdout[-5000:]}"
    assert "Group job per_model" in proc.stdout or "group_per_model" in proc.stdout
    assert assert_same_tables(local / "results", slurm / "results") == 9


def test_failing_job_fails_workflow_and_shows_log(tmp_path: Path) -> None:
    """A job failing on the cluster fails the run, and its logs appear in Snakemake's output."""
    # the sentinels are computed by the shell, so they cannot come from Snakemake echoing the
    # command: finding them proves the log files themselves were printed
    (tmp_path / "Snakefile").write_text(
        'rule all:\n    input: "out.txt"\n\n'
        "rule boom:\n"
        '    output: "out.txt"\n'
        '    log: "logs/boom.log"\n'
        "    shell:\n"
        '        "echo RULE_LOG_$((6 * 7))_SENTINEL > {log};"\n'
        '        " echo SLURM_LOG_$((7 * 11))_SENTINEL >&2; exit 3"\n'
    )
    proc = run_snakemake(["--workflow-profile", str(PROFILE)], tmp_path, 600)
    out = proc.stdout
    assert proc.returncode != 0, out[-5000:]
    assert len(submitted_jobs(out)) == 1, out[-5000:]
    assert re.search(r"SLURM-job '\d+' failed", out), out[-5000:]
    assert "Error in rule boom" in out
    # the rule's own log file and the job's SLURM log (the job's stderr) are both printed
    assert "RULE_LOG_42_SENTINEL" in out, out[-5000:]
    assert "SLURM_LOG_77_SENTINEL" in out, out[-5000:]
    assert not (tmp_path / "out.txt").exists()


def test_whole_workflow_identical_local_and_slurm(tmp_path: Path) -> None:
    """The repository's whole workflow gives byte-identical tables locally and through SLURM."""
    if not (REPO / "Snakefile").is_file():
        pytest.fail(f"no Snakefile in {REPO}")
    base = tmp_path / "base"
    _repo.copy_repo(base)
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    # both copies come from one snapshot, so they are identical even if the repo changes meanwhile
    shutil.copytree(base, local, symlinks=True)
    shutil.copytree(base, slurm, symlinks=True)
    results = yaml.safe_load((base / "config.yaml").read_text()).get("results", "results")

    # each copy imports its own snapshot of the library (src/), not the editable install, which
    # may change while the two runs take place (SLURM jobs inherit the environment)
    proc = run_snakemake(
        ["--cores", "2"], local, WORKFLOW_TIMEOUT, env=_repo.snapshot_env(local)
    )
    assert proc.returncode == 0, proc.stdout[-8000:]
    proc = run_snakemake(
        ["--workflow-profile", "profiles/slurm"],
        slurm,
        WORKFLOW_TIMEOUT,
        env=_repo.snapshot_env(slurm),
    )
    assert proc.returncode == 0, proc.stdout[-8000:]
    assert submitted_jobs(proc.stdout), "the SLURM run submitted no job:\n" + proc.stdout[-5000:]
    assert_same_tables(local / results, slurm / results)


def test_live_collection_stays_on_the_submit_host_under_the_provider_cap(tmp_path: Path) -> None:
    """Through the SLURM profile, collect_model jobs run on the host that runs Snakemake (no
    sbatch), so one provider's cap (a global resource of that process) still serialises them."""
    from valueaudit.instrument import load_instrument
    from valueaudit.mockserver import MockLLMServer

    root = tmp_path / "proj"
    _repo.copy_repo(root)
    cfg = yaml.safe_load((root / "config.yaml").read_text())
    key_env = "VA_SLURM_TEST_KEY"
    with MockLLMServer(load_instrument(root / cfg["instrument"]), api_key=None, seed=5) as srv:
        cfg["models"]["live"] = [
            {"id": mid, "provider": "openai", "model": f"{mid}-v1", "base_url": srv.openai_base_url,
             "api_key_env": key_env, "params": {"temperature": 1.0, "max_tokens": 800},
             "sessions": 6, "open_sessions": 0, "tasks": ["rating"], "concurrency": 2,
             "metadata": {"display_name": f"{mid} (mock)", "family": "mock", "params_b": 7,
                          "release_date": "2026-04", "tier": "mid", "open_weights": True}}
            for mid in ("cap-1", "cap-2")
        ]
        cfg["collection"] = {**cfg.get("collection", {}), "raw_dir": "resources/raw",
                             "provider_concurrency": {"openai": 2}}  # one job's worth of slots
        (root / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        srv.set_latency(0.05)
        targets = [f"{cfg.get('results', 'results')}/collect/manifest/cap-{i}.json" for i in (1, 2)]
        proc = run_snakemake(
            ["--workflow-profile", "profiles/slurm", *targets], root, 900,
            env={**_repo.snapshot_env(root), key_env: "sk-slurm-test-0"},
        )
        requests = list(srv.requests)
    out = proc.stdout
    assert proc.returncode == 0, out[-5000:]
    # both jobs ran, and none went through sbatch: they ran in the Snakemake process's host
    assert out.count("(Rule: collect_model)") == 2, out[-5000:]
    assert not submitted_jobs(out), f"collection was submitted to SLURM:\n{out[-5000:]}"
    t = {m: [e["t"] for e in requests if e["model"] == f"{m}-v1"] for m in ("cap-1", "cap-2")}
    assert all(len(v) >= 6 for v in t.values()), {m: len(v) for m, v in t.items()}
    first, second = sorted(t.values(), key=min)
    assert max(first) < min(second)  # the second job started after the first had finished
