"""The Snakemake report contains every table and figure of the data stage and Studies 1-3."""

import zipfile

import pytest

from .conftest import run_snakemake

pytestmark = pytest.mark.e2e


def test_report_zip_has_every_table_and_figure(small_run):
    res = run_snakemake(small_run, "--report", "results/report.zip")
    assert res.returncode == 0, res.stderr[-3000:]
    with zipfile.ZipFile(small_run / "results/report.zip") as z:
        names = z.namelist()
    inside = {n.split("/")[-1] for n in names}
    expected = sorted(
        p.relative_to(small_run) for p in (small_run / "results").rglob("*")
        if p.is_file() and p.parent.name in ("tables", "figures") and p.parent.parent.name != "paper"
    )
    assert expected, "the run made no tables or figures"
    missing = [str(p) for p in expected if p.name not in inside]
    assert not missing, missing
    # captions are rendered with the config values they quote (no raw Jinja left)
    with zipfile.ZipFile(small_run / "results/report.zip") as z:
        html = [z.read(n).decode("utf-8", "replace") for n in names if n.endswith(".html")]
    assert html and not any("{{ snakemake" in h for h in html)
