"""FastAPI's interactive API documentation in a real browser (tests/browser.py): Swagger UI at
/docs and ReDoc at /redoc load from `rsme-kg serve` (`live`) alone, with every request to
another origin blocked and recorded (as on a closed network: CI, an offline laptop), and draw
the service's operations without a console error or a failed request.

These pages are third-party (their markup is Swagger UI's and ReDoc's): axe-core's findings on
them are kept beside the screenshots (axe-api-docs-*.json) and reported, not held to the rules
of the site's own pages (tests/test_browser_pages.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.apiserver import ApiServer
from tests.browser import ARTEFACTS, Tab, axe_violations, only_this_server, screenshot

EVERY_IMPACT = frozenset({"minor", "moderate", "serious", "critical"})


def open_docs(tab: Tab, live: ApiServer, path: str) -> list[str]:
    """Open a documentation page with other origins blocked; returns the requests to them."""
    elsewhere = only_this_server(tab, live.base)
    response = tab.goto(f"{live.base}{path}")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return elsewhere


def record_axe(page: Any, name: str) -> list[dict[str, Any]]:
    """axe's findings of every impact, written as a test artefact."""
    found = axe_violations(page, EVERY_IMPACT)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"axe-{name}.json").write_text(json.dumps(found, indent=1) + "\n")
    return found


def summary(live: ApiServer, path: str) -> str:
    """The summary the OpenAPI description gives GET `path`."""
    text: str = live.get("/openapi.json").json()["paths"][path]["get"]["summary"]
    return text


def test_swagger_ui_lists_the_operations(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_docs(tab, live, "/docs")
    page = tab.page
    assert page.title() == "rsme-kg - Swagger UI"
    assert page.locator("html").get_attribute("lang") == "en"
    # the description, fetched from this server, drawn: its title and one block per operation
    path = page.locator('.opblock-summary-path[data-path="/factors"]')
    block = page.locator(".opblock.opblock-get", has=path)
    path.wait_for()
    assert path.is_visible() and block.count() == 1, (tab.errors, elsewhere)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("rsme-kg")
    spec = live.get("/openapi.json").json()
    assert page.locator(".opblock").count() == sum(len(item) for item in spec["paths"].values())
    assert block.locator(".opblock-summary-description").inner_text() == summary(live, "/factors")
    record_axe(page, "api-docs-swagger")
    # an operation opens on its parameters and responses
    path.click()
    block.locator(".responses-wrapper").wait_for()
    assert block.locator('tr[data-param-name="category"]').count() == 1
    screenshot(page, "api-docs-swagger-desktop")
    record_axe(page, "api-docs-swagger-operation")
    assert tab.errors == []
    assert elsewhere == []


def test_redoc_shows_the_api(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_docs(tab, live, "/redoc")
    page = tab.page
    assert page.title() == "rsme-kg - ReDoc"
    assert page.locator("html").get_attribute("lang") == "en"
    heading = page.locator("redoc h1")
    heading.wait_for()
    assert heading.inner_text().startswith("rsme-kg (")  # the API's title and version
    record_axe(page, "api-docs-redoc")
    # GET /factors in the menu; chosen, its section comes into view
    operations = page.locator('li[role="menuitem"]').filter(has_not=page.locator("li"))
    item = operations.filter(has_text=summary(live, "/factors"))
    assert item.count() == 1
    # its tag's group opens on a click, and shows it
    page.locator('li[role="menuitem"]').filter(has=item).locator("label").first.click()
    assert item.is_visible()
    item.click()
    section = page.locator('[id="operation/list_factors_factors_get"]')
    section.locator("h2").wait_for()
    assert section.locator("h2").is_visible() and section.is_visible()
    # Redocly's logo from cdn.redoc.ly is swapped for an empty picture (api.app)
    assert (
        page.locator('img[alt="redocly logo"]')
        .get_attribute("src", timeout=5000)
        .startswith("data:")
    )
    screenshot(page, "api-docs-redoc-desktop")
    record_axe(page, "api-docs-redoc-operation")
    assert tab.errors == []
    assert elsewhere == []


def test_both_open_on_a_phone(live: ApiServer, phone: Tab) -> None:
    elsewhere = only_this_server(phone, live.base)
    phone.goto(f"{live.base}/docs")
    phone.page.locator('.opblock-summary-path[data-path="/factors"]').wait_for()
    screenshot(phone.page, "api-docs-swagger-phone")
    phone.goto(f"{live.base}/redoc")
    phone.page.locator("redoc h1").wait_for()
    screenshot(phone.page, "api-docs-redoc-phone")
    assert phone.errors == []
    assert elsewhere == []
