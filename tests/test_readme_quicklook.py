"""README's quick-look block is what scripts/readme_quicklook.py writes from the committed copies."""

import subprocess
import sys

import pytest

from valueaudit import readme as ql
from valueaudit.readme import splice

from .conftest import REPO

COPIES = REPO / "resources/readme"


def test_readme_block_matches_the_committed_copies():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert ql.START in readme and ql.END in readme
    assert splice(readme, ql.render(COPIES, REPO), ql.START, ql.END) == readme, (
        "README quick look is stale: run python scripts/readme_quicklook.py")


def test_committed_copies_come_from_a_default_run():
    png = (COPIES / ql.FIGURE).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    board = (COPIES / ql.BOARD).read_text(encoding="utf-8")
    # the leaderboard of the simulated default: short names, and a note saying so
    assert "SimAster" in board and "(simulated)" not in board
    assert "Model names are synthetic: the data set is simulated." in board
    block = ql.render(COPIES, REPO)
    assert "simulated" in block and "(simulated)" not in block


def _board(n):
    rows = "".join(f"| {i} | M{i} | small | 9 | .9 [.8, 1.00] | x | y | .9 | calibrated |\n"
                   for i in range(1, n + 1))
    return ("**Title.**\n\n| Rank | Model | Tier | n | Fidelity [95% CI] | r | CCC | "
            "Calibration | Verdict |\n|---:|:---|:---|---:|---:|---:|---:|---:|:---|\n"
            + rows + "\n*Note.* a note.\n")


@pytest.mark.parametrize("n", [3, 10, 11, 40])
def test_excerpt_keeps_the_first_and_last_rows_and_the_named_columns(n):
    out = ql.excerpt(_board(n))
    assert out[0] == "| Rank | Model | Tier | n | Fidelity [95% CI] | Verdict |"
    assert out[1] == "|---:|:---|:---|---:|---:|:---|"
    body = out[2:]
    if n <= 2 * ql.N_ROWS:
        assert [r.split(" | ")[1] for r in body] == [f"M{i}" for i in range(1, n + 1)]
    else:
        assert len(body) == 2 * ql.N_ROWS + 1 and body[ql.N_ROWS].startswith("| ... |")
        assert body[0].startswith("| 1 | M1 |") and body[-1].startswith(f"| {n} | M{n} |")


def test_excerpt_refuses_a_file_without_a_table():
    with pytest.raises(SystemExit):
        ql.excerpt("no table here\n")


def test_script_check_passes_on_the_committed_readme():
    res = subprocess.run([sys.executable, str(REPO / "scripts/readme_quicklook.py"), "--check"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
