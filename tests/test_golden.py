"""Every table, figure, macro file and data table of the small project is byte-identical to
the recorded manifest (``tests/data/golden/small_run.sha256``).

The manifest lists the sha256 of each file of a complete run of the ``small_project``
fixture (tests/conftest.py), except provenance and logs (they hold hashes of the code and
timings) and the shards' tables (they depend on the shard count; tests/test_shards.py checks
that each holds exactly its models' per-model files, which are compared here). Its header records the versions of the packages that decide the bytes; on another
set of versions the comparison is skipped with the differences named, since a new numpy or
matplotlib may round or draw differently. A change meant to alter results re-records it:

    python tests/test_golden.py --update PROJECT_DIR    # PROJECT_DIR: a completed small run
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

import pytest

MANIFEST = Path(__file__).parent / "data" / "golden" / "small_run.sha256"
SUFFIXES = (".csv", ".tex", ".md", ".html", ".png", ".pdf", ".qdpx", ".yaml")
EXCLUDED = ("results/provenance/", "results/logs/", "results/shards/")
PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "pingouin", "matplotlib", "seaborn",
            "scikit-learn", "krippendorff")


def _versions() -> dict[str, str]:
    return {p: metadata.version(p) for p in PACKAGES}


def result_files(project: Path) -> list[str]:
    """The compared files of a run, as paths relative to the project, sorted."""
    out = []
    for p in sorted((project / "results").rglob("*")):
        rel = p.relative_to(project).as_posix()
        if p.is_file() and p.suffix in SUFFIXES and not rel.startswith(EXCLUDED):
            out.append(rel)
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(path: Path = MANIFEST) -> tuple[dict[str, str], dict[str, str]]:
    versions, files = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# version "):
            name, _, ver = line.removeprefix("# version ").partition(" ")
            versions[name] = ver
        elif line and not line.startswith("#"):
            digest, _, rel = line.partition("  ")
            files[rel] = digest
    return versions, files


def write_manifest(project: Path, path: Path = MANIFEST) -> None:
    lines = ["# sha256 of every result file of the small test project (tests/test_golden.py)"]
    lines += [f"# version {k} {v}" for k, v in _versions().items()]
    lines += [f"{_sha(project / rel)}  {rel}" for rel in result_files(project)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_manifest_covers_every_study():
    _, files = read_manifest()
    for part in ("results/data/", "results/study1/", "results/study2/", "results/study3/",
                 "results/paper/"):
        assert any(f.startswith(part) for f in files), part
    assert any(f.endswith(".png") for f in files) and any(f.endswith(".tex") for f in files)


def test_every_result_is_byte_identical_to_the_manifest(small_run):
    versions, files = read_manifest()
    changed = {k: (v, versions[k]) for k, v in _versions().items() if versions.get(k) != v}
    if changed:
        pytest.skip("recorded with other package versions: " + ", ".join(
            f"{k} {now} (manifest {was})" for k, (now, was) in changed.items()))
    produced = result_files(small_run)
    assert sorted(set(produced) - set(files)) == [], "files the manifest does not list"
    missing = sorted(set(files) - set(produced))
    assert missing == [], "files the run did not write"
    differ = [rel for rel in files if _sha(small_run / rel) != files[rel]]
    assert differ == [], f"{len(differ)} file(s) differ from the manifest"


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--update":
        sys.exit(__doc__)
    write_manifest(Path(sys.argv[2]).resolve())
    print(f"wrote {MANIFEST}")
