"""The Snakemake report: one titled entry per table (its HTML page) and per figure (its PNG)
of the data stage and Studies 1-3, in one scheme (category = the study, subcategory = Tables
or Figures), captions rendered with the config values they quote."""

import json
import re
import zipfile

import pytest

from .conftest import run_snakemake

pytestmark = pytest.mark.e2e


def _script_var(html: str, name: str):
    m = re.search(rf'<script id="{name}">\s*var {name} = (.*?);\s*</script>', html, re.S)
    assert m, f"no {name} in the report"
    return json.loads(m.group(1))


def _made(root, folder: str, suffix: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "results").rglob(f"*{suffix}")
                  if p.is_file() and p.parent.name == folder and p.parent.parent.name != "paper")


def test_report_zip_has_every_table_and_figure(small_run):
    res = run_snakemake(small_run, "--report", "results/report.zip")
    assert res.returncode == 0, res.stderr[-3000:]
    with zipfile.ZipFile(small_run / "results/report.zip") as z:
        names = z.namelist()
        html = [z.read(n).decode("utf-8", "replace") for n in names if n.endswith(".html")]
    inside = {n.split("/")[-1] for n in names}
    pages, pngs = _made(small_run, "tables", ".html"), _made(small_run, "figures", ".png")
    assert pages and pngs, "the run made no tables or figures"
    missing = [p for p in pages + pngs if p.split("/")[-1] not in inside]
    assert not missing, missing
    # one entry per table and figure: no CSV/LaTeX/Markdown/PDF copy of them
    other = [p for s in (".csv", ".tex", ".md") for p in _made(small_run, "tables", s)]
    other += _made(small_run, "figures", ".pdf")
    assert other and not [p for p in other if p.split("/")[-1] in inside]
    # captions are rendered with the config values they quote (no raw Jinja left)
    assert html and not any("{{ snakemake" in h for h in html)


def test_report_entries_are_titled_in_one_scheme(small_run):
    res = run_snakemake(small_run, "--report", "results/report_entries.html")
    assert res.returncode == 0, res.stderr[-3000:]
    html = (small_run / "results/report_entries.html").read_text(encoding="utf-8")
    results, categories = _script_var(html, "results"), _script_var(html, "categories")
    pages, pngs = _made(small_run, "tables", ".html"), _made(small_run, "figures", ".png")
    assert set(pages + pngs) <= set(results)
    for path, entry in results.items():
        assert entry["labels"] and entry["labels"]["Title"].strip(), path
        assert entry["caption"].strip(), path
    for cat, subs in categories.items():
        for sub, paths in subs.items():
            kinds = {("Tables" if p.endswith(".html") else "Figures" if p.endswith(".png")
                      else "Summary") for p in paths}
            assert kinds == {sub}, (cat, sub, paths)
    study3 = categories["Study 3: profile-fidelity benchmark"]
    titles = {results[p]["labels"]["Title"] for p in study3["Tables"]}
    assert "Leaderboard" in titles
    # titles are unique within a subcategory (one entry per table or figure)
    for subs in categories.values():
        for paths in subs.values():
            t = [results[p]["labels"]["Title"] for p in paths]
            assert len(t) == len(set(t)), t
