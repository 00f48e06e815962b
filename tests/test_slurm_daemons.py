"""scripts/slurm/daemons.py: the check that the SLURM stage of CI left no daemon running."""

import importlib.util
from pathlib import Path

from .conftest import REPO

_spec = importlib.util.spec_from_file_location("daemons", REPO / "scripts/slurm/daemons.py")
daemons = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(daemons)


def fake_proc(root: Path, procs: dict[int, tuple[str, str]]) -> Path:
    for pid, (name, state) in procs.items():
        d = root / str(pid)
        d.mkdir(parents=True)
        (d / "comm").write_text(name + "\n")
        (d / "status").write_text(f"Name:\t{name}\nState:\t{state} (x)\nPid:\t{pid}\n")
    (root / "self").mkdir()  # not a pid: ignored
    return root


def test_live_daemons_ignores_zombies_and_other_programs(tmp_path):
    proc = fake_proc(tmp_path, {
        10: ("slurmctld", "S"), 11: ("slurmd", "Z"), 12: ("munged", "R"), 13: ("python", "S"),
        14: ("slurmd-helper", "S"), 15: ("slurmstepd", "X"),
    })
    assert daemons.live_daemons(proc) == [(10, "slurmctld"), (12, "munged")]


def test_live_daemons_empty_when_none(tmp_path):
    assert daemons.live_daemons(fake_proc(tmp_path, {1: ("init", "S")})) == []
