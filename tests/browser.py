"""A real browser for the page tests: Playwright for Python driving Debian's Chromium.

Playwright cannot download its own browser here, so it drives the system's
(`/usr/bin/chromium`, or `RSME_CHROMIUM`). Without one the tests that take `tab` are skipped
with a message that says how to install it. Each test gets a fresh browser context; console
errors and uncaught exceptions of its pages are collected (`Tab.errors`), axe-core (vendored
in tests/vendor/axe-core) audits a page, and screenshots are kept as test artefacts under
`test-artifacts/screenshots/` (or `RSME_ARTEFACTS`).
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(os.environ.get("RSME_ARTEFACTS", ROOT / "test-artifacts")) / "screenshots"
CHROMIUM = (
    os.environ.get("RSME_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
INSTALL_HINT = (
    "the browser tests need Chromium: `apt-get install chromium` (Debian/Ubuntu), or set "
    "RSME_CHROMIUM to a Chromium binary; `.ci/run` installs it"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# what WCAG 2.1 AA asks, plus axe's best practices (headings, landmarks, regions)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
GRAVE = frozenset({"serious", "critical"})


@dataclass
class Tab:
    """A page in its own browser context, with what went wrong on it."""

    page: Any  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)

    def goto(self, url: str) -> Any:
        """Load a page and wait until the network is quiet (scripts have run)."""
        return self.page.goto(url, wait_until="networkidle")


def _playwright() -> Any:
    if CHROMIUM is None:
        pytest.skip(INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the browser tests need the Python package playwright (pip install .[test])")
    return sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per test module (a module runs in one xdist process)."""
    start = _playwright()
    with start() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # the closed network of CI: no background connections of the browser's own
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def open_tab(browser: Any, viewport: dict[str, int] = DESKTOP) -> Tab:
    """A fresh context and page that records console errors and uncaught exceptions."""
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    tab = Tab(page)
    page.on(
        "console",
        lambda message: (
            tab.errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    # which request failed (the console only says that one did)
    page.on(
        "response",
        lambda response: (
            tab.errors.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    return tab


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    """A desktop-sized page for one test."""
    opened = open_tab(browser, DESKTOP)
    try:
        yield opened
    finally:
        opened.page.context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Tab]:
    """A phone-sized page (390 px wide) for one test."""
    opened = open_tab(browser, PHONE)
    try:
        yield opened
    finally:
        opened.page.context.close()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, impacts: frozenset[str] = GRAVE) -> list[dict[str, Any]]:
    """axe-core's violations of the loaded page with one of `impacts`, in a short form:
    rule id, impact, help text and the CSS targets of the offending nodes."""
    # evaluated through the browser's DevTools protocol, not added as a <script> element: the
    # site's content security policy refuses inline scripts, as it should (api.security)
    page.evaluate(_axe_source())
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' '))}))",
        AXE_TAGS,
    )
    return [v for v in found if v["impact"] in impacts]


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot kept as a test artefact; returns its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def fits_width(page: Any) -> bool:
    """Whether the page needs no sideways scrolling at its viewport's width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def only_this_server(tab: Tab, base: str) -> list[str]:
    """Abort every request to another origin; returns the list of those tried."""
    tried: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if url == base or url.startswith(base + "/"):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    tab.page.context.route("**/*", handle)
    return tried
