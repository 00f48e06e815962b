"""envs/valueaudit.yaml lists the same packages (and bounds) as pyproject.toml."""

import re
import tomllib

import yaml

from .conftest import REPO


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_conda_env_matches_pyproject():
    py = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    want = dict(_split(r) for r in py)
    env = yaml.safe_load((REPO / "envs/valueaudit.yaml").read_text())
    have = dict(_split(d) for d in env["dependencies"] if isinstance(d, str)
                and not d.startswith(("python", "pip")))
    assert have == want
