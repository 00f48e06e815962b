"""Print the live SLURM and munge daemons on this machine, one ``pid name`` per line.

Used by ``.ci/run`` after ``scripts/slurm/cluster.sh down`` to check that the SLURM stage left
no daemon behind. A zombie (exited, not yet reaped by its parent) is not live. Prints nothing
and exits 0 when none is running.
"""

from __future__ import annotations

from pathlib import Path

NAMES = {"munged", "slurmctld", "slurmd", "slurmstepd", "slurmdbd"}


def live_daemons(proc: Path = Path("/proc")) -> list[tuple[int, str]]:
    """``(pid, name)`` of every process named in NAMES whose state is not zombie/dead."""
    found = []
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            name = (d / "comm").read_text().strip()
            status = (d / "status").read_text()
        except OSError:  # exited meanwhile
            continue
        state = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("State:")), "")
        if name in NAMES and state not in {"Z", "X"}:
            found.append((int(d.name), name))
    return sorted(found)


if __name__ == "__main__":
    for pid, name in live_daemons():
        print(pid, name)
