"""report.html in a real headless Chromium: offline, no errors, sortable, nothing executes.

Needs Debian's ``chromium`` package (``/usr/bin/chromium``) and the ``playwright``
Python package; the browser is never downloaded by playwright. Without them the
test is skipped with a loud reason, except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from report_fixtures import IMG, SCRIPT, make_out_dir

from shadowlens.outputs.report import write_report

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("SHADOWLENS_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> NoReturn:
    message = (
        f"BROWSER TEST NOT RUN: {reason}. Install Debian's chromium (apt-get install chromium)"
    )
    message += " and `pip install playwright` (never `playwright install`)."
    if os.environ.get("CI"):
        pytest.fail(message + " CI is set, so this is an error.")
    pytest.skip(message)


@pytest.fixture(scope="module")
def html_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = make_out_dir(tmp_path_factory.mktemp("browser"))
    _, html = write_report(out, generated_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    return html


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is missing")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def loaded(browser_context: Any, html_path: Path) -> Iterator[dict[str, Any]]:
    """The report opened once, with every request, console message and dialog recorded."""
    seen: dict[str, Any] = {"requests": [], "console": [], "errors": [], "dialogs": []}
    url = html_path.as_uri()

    def route(route: Any) -> None:
        seen["requests"].append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    browser_context.route("**/*", route)
    page = browser_context.new_page()
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("console", lambda message: seen["console"].append((message.type, message.text)))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    seen["page"] = page
    seen["url"] = url
    yield seen
    page.close()


def _column(page: Any, table: str, index: int) -> list[str]:
    values: list[str] = page.eval_on_selector_all(
        f"#{table} tbody tr",
        "(rows, i) => rows.map(r => r.cells[i].getAttribute('data-sort') ?? r.cells[i].textContent)",
        index,
    )
    return values


def test_no_network_no_errors_no_dialogs(loaded: dict[str, Any]) -> None:
    assert set(loaded["requests"]) == {loaded["url"]}
    problems = [m for m in loaded["console"] if m[0] in ("error", "warning")]
    assert problems == []
    assert loaded["errors"] == []
    assert loaded["dialogs"] == []


def test_apps_table_and_charts(loaded: dict[str, Any], html_path: Path) -> None:
    page = loaded["page"]
    apps = json.loads(html_path.with_name("report.json").read_text(encoding="utf-8"))["apps"]
    assert page.locator("#apps-table tbody tr").count() == len(apps)
    assert page.locator("svg.chart").count() >= 5
    assert page.locator("svg.chart rect").count() > 20
    assert page.locator("[data-count-for='apps-table']").inner_text() == (
        f"Showing {len(apps)} of {len(apps)} apps"
    )


def test_sorting_by_clicking_headers(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    header = page.locator("#apps-table thead th", has_text="Transactions")
    index = 7
    header.locator("button").click()
    first = [float(v) for v in _column(page, "apps-table", index)]
    assert first == sorted(first, reverse=True)  # numbers sort biggest first
    assert header.get_attribute("aria-sort") == "descending"
    header.locator("button").click()
    second = [float(v) for v in _column(page, "apps-table", index)]
    assert second == sorted(first)
    assert header.get_attribute("aria-sort") == "ascending"
    page.locator("#apps-table thead th", has_text="App").first.locator("button").click()
    names = page.eval_on_selector_all(
        "#apps-table tbody tr .app-name", "els => els.map(e => e.textContent.toLowerCase())"
    )
    assert names == sorted(names)


def test_filter_box(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    box = page.locator("input[data-filter='apps-table']")
    box.fill("cloud storage")
    assert page.locator("#apps-table tbody tr:not([hidden])").count() == 2
    assert page.locator("[data-count-for='apps-table']").inner_text().startswith("Showing 2 of")
    box.fill("")
    assert page.locator("#apps-table tbody tr[hidden]").count() == 0


def test_hostile_strings_show_as_text(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    text = page.inner_text("body")
    assert SCRIPT in text
    assert IMG in text
    assert page.locator("img").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script").count() == 2
    assert page.evaluate("typeof window.alert") == "function"
    assert loaded["dialogs"] == []
    assert page.locator("#agents-table").inner_text().count(SCRIPT) >= 1
    assert page.locator("#users-table").inner_text().count(IMG) >= 1


def test_csp_blocks_remote_loads(browser_context: Any, html_path: Path) -> None:
    """The policy is live: a remote fetch from the page is refused before any request."""
    page = browser_context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(html_path.as_uri(), wait_until="load")
    outcome = page.evaluate(
        "fetch('https://example.invalid/x.js').then(() => 'loaded', () => 'blocked')"
    )
    page.close()
    assert outcome == "blocked"
    assert any("Content Security Policy" in text for text in console)


def test_screenshot(loaded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    target = tmp_path_factory.mktemp("shots") / "report.png"
    loaded["page"].screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    keep = os.environ.get("SHADOWLENS_SCREENSHOT")
    if keep:
        shutil.copyfile(target, keep)
