"""The Snakemake report in a real browser: headless Chromium (Debian's package) driven by
Playwright opens the report of a small run, goes to the Study 3 leaderboard and reads its
rows; no console error, no request outside the report file itself (file:, data:, about:).

Needs /usr/bin/chromium (or VALUEAUDIT_CHROMIUM) and the ``playwright`` package (never its
own browser download). With CI or VALUEAUDIT_BROWSER_TEST=1 set, a missing browser or
package fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from .conftest import run_snakemake

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:")
STUDY3 = "Study 3: profile-fidelity benchmark"
TIMEOUT_MS = 60_000


def _required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("VALUEAUDIT_BROWSER_TEST") == "1"


def _unavailable(reason: str):
    if _required():
        pytest.fail(f"browser test required (CI or VALUEAUDIT_BROWSER_TEST=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary, checked before the workflow runs (a skip costs nothing)."""
    path = os.environ.get("VALUEAUDIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        _unavailable(f"no Chromium at {path} (Debian: apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture(scope="module")
def report_html(chromium, small_run) -> Path:
    out = small_run / "results" / "report_browser.html"
    res = run_snakemake(small_run, "--report", str(out.relative_to(small_run)),
                        "--report-stylesheet", "workflow/report/report.css")
    assert res.returncode == 0, res.stderr[-3000:]
    return out


class Browser:
    """One page of a fresh Chromium profile, with every request and console error recorded."""

    def __init__(self, executable: str):
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.TemporaryDirectory(prefix="valueaudit-chromium-")
        self._pw = sync_playwright().start()
        self.context = self._pw.chromium.launch_persistent_context(
            self._profile.name, executable_path=executable, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self):
        self.context.close()
        self._pw.stop()
        self._profile.cleanup()

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


@pytest.fixture
def browser(chromium):
    b = Browser(chromium)
    yield b
    b.close()


def open_entry(page, category: str, subcategory: str, title: str):
    """Navigate the report (a single-page app without URL routes) by clicks: the category in
    the menu, its subcategory (the report skips that step for a category with only one), then
    the view button of the entry's row; return the entry's row."""
    page.get_by_text(category, exact=True).first.click()
    entry = page.get_by_text(title, exact=True)
    entry.or_(page.get_by_text(subcategory, exact=True)).first.wait_for()
    if not entry.first.is_visible():
        page.get_by_text(subcategory, exact=True).first.click()
    row = page.locator("tr", has=entry).first
    row.locator("a[iconname=eye]").click()
    return row


def _md_rows(path: Path) -> list[list[str]]:
    """Body rows of a Markdown table written by valueaudit.tables.to_markdown."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("|")]
    return [[c.strip().replace(r"\|", "|") for c in ln.strip("|").split(" | ")]
            for ln in lines[2:]]


def test_leaderboard_rows_are_shown(chromium, browser, report_html):
    page = browser.page
    page.goto(report_html.as_uri())
    page.get_by_text(STUDY3, exact=True).first.wait_for()
    row = open_entry(page, STUDY3, "Tables", "Leaderboard")
    frame = page.frame_locator("iframe").first
    frame.locator("table tbody tr").first.wait_for()
    shown = [[c.strip() for c in r] for r in frame.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")]
    head = frame.locator("table thead th").all_inner_texts()
    caption = frame.locator("table caption").inner_text()

    tables = report_html.parent / "study3" / "tables"
    assert shown == _md_rows(tables / "leaderboard.md")
    board = pd.read_csv(tables / "leaderboard.csv", keep_default_na=False, na_values=[""])
    assert len(shown) == len(board) and board["fidelity"].notna().sum() >= 2
    model = head.index("Model")
    fid = next(i for i, h in enumerate(head) if h.startswith("Fidelity"))
    from valueaudit.tables import apa

    for cells, (_, rec) in zip(shown, board.iterrows(), strict=True):
        # the model's display name (or its short form) and its fidelity with the CI
        assert cells[model] and (cells[model] in str(rec["display_name"])
                                 or cells[model] == rec["model_id"]), (cells[model], rec["model_id"])
        if pd.notna(rec["fidelity"]):
            assert cells[fid].startswith(apa(rec["fidelity"], "r") + " ["), (cells[fid], rec["fidelity"])
    assert "leaderboard" in caption.lower()
    # the entry's caption (workflow/report/study3/leaderboard.rst, rendered) beside the table
    row.locator("a[iconname=information-circle]").click()
    description = page.get_by_text("Profile-fidelity leaderboard (", exact=False).first
    description.wait_for()
    assert description.is_visible() and "{{" not in description.inner_text()
    assert frame.locator("table tbody tr").count() == len(board)  # the table stays shown
    assert not browser.errors, browser.errors
    assert not browser.outside(), browser.outside()


def test_figure_fits_the_panel(chromium, browser, report_html):
    page = browser.page
    page.goto(report_html.as_uri())
    page.get_by_text(STUDY3, exact=True).first.wait_for()
    open_entry(page, STUDY3, "Figures", "Profile fidelity per model")
    img = page.locator("img[src^='data:image/png']").first
    img.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    natural, shown, panel = img.evaluate(
        "i => [i.naturalWidth, i.getBoundingClientRect().width,"
        " i.parentElement.parentElement.getBoundingClientRect().width]")
    box = img.bounding_box()
    viewport = page.viewport_size
    assert natural > shown, "the figure is shown at its pixel size, not fitted"
    assert shown <= panel + 1
    assert box["y"] + box["height"] <= viewport["height"] + 1
    assert not browser.errors, browser.errors
    assert not browser.outside(), browser.outside()
