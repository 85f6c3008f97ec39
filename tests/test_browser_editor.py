"""The SPARQL editor in a real browser (tests/browser.py): YASGUI loads from `rsme-kg serve`
(`live`) with nothing from elsewhere, opens with the example and analysis queries as named tabs,
runs a query against /sparql and shows the answer in its table, stays free of grave axe-core
violations before and after, and fits a phone."""

from __future__ import annotations

import re
from typing import Any

from api.sparql import editor_tabs
from tests.apiserver import ApiServer
from tests.browser import Tab, axe_violations, fits_width, screenshot
from tests.corpus import corpus

COUNT = "SELECT (COUNT(?c) AS ?n) WHERE { ?c a <https://w3id.org/rsme-kg/ontology#Code> }"
ACTIVE = ".tabPanel.active"


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


def open_editor(tab: Tab, live: ApiServer) -> list[str]:
    elsewhere = only_this_server(tab, live.base)
    response = tab.goto(f"{live.base}/sparql")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    tab.page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    return elsewhere


def tab_names(tab: Tab) -> list[str]:
    names: list[str] = tab.page.locator('.tabsList [role="tab"] > span').all_inner_texts()
    return names


def run(tab: Tab, live: ApiServer) -> Any:
    """Run the active tab's query; its results table once drawn."""
    page = tab.page
    with page.expect_response(
        lambda r: r.url.startswith(f"{live.base}/sparql") and r.request.method == "POST"
    ) as answered:
        page.locator(f"{ACTIVE} .yasqe_queryButton").click()
    assert answered.value.status == 200
    page.wait_for_selector(f"{ACTIVE} .yasr_results table tbody tr td")
    page.wait_for_load_state("networkidle")
    return page.locator(f"{ACTIVE} .yasr_results table")


def test_the_editor_opens_with_the_queries_as_named_tabs(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    names = tab_names(tab)
    assert names == [t["name"] for t in editor_tabs()]
    assert names[0] == "Evidence for factor"
    assert {"Factors by studies", "Analysis: Codes", "Analysis: Taxonomy"} <= set(names)
    # the first tab is open on its query, with the query's comment
    text = tab.page.locator(f"{ACTIVE} .CodeMirror").evaluate("e => e.CodeMirror.getValue()")
    assert text == editor_tabs()[0]["query"] and text.startswith("# All evidence")
    # a tab shows the query's summary when pointed at
    first = tab.page.locator('.tabsList [role="tab"]').first
    assert first.get_attribute("title") == editor_tabs()[0]["summary"]
    assert axe_violations(tab.page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_a_query_typed_in_a_new_tab_shows_its_answer(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    page = tab.page
    before = len(tab_names(tab))
    page.get_by_role("button", name="Add a new tab").click()
    assert len(tab_names(tab)) == before + 1
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    editor = page.locator(f"{ACTIVE} .CodeMirror")
    # typing where a class or a property goes: YASQE's own completers would ask an outside
    # service here (Linked Open Vocabularies); only prefixes and variables are completed
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT * WHERE { ?s a rsme:Co")
    page.keyboard.type("de ; rsme:quo", delay=20)
    page.keyboard.press("Control+Space")  # ask for completions (LOV's, were they on)
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    assert editor.evaluate("e => e.CodeMirror.getValue()").startswith("SELECT * WHERE { ?s a ")
    completers = page.evaluate("rsmeYasgui.getTab().getYasqe().config.autocompleters")
    assert completers == ["prefixes", "variables"]
    editor.evaluate("(e, q) => e.CodeMirror.setValue(q)", COUNT)
    table = run(tab, live)
    assert table.locator("thead th").all_inner_texts()[-1].strip() == "n"
    cell = table.locator("tbody tr td").last.inner_text()
    number = re.match(r"\D*(\d+)", cell)
    assert number is not None, cell
    assert int(number.group(1)) == len(corpus().codes) == 79
    assert axe_violations(page) == []
    screenshot(page, "sparql-editor-answer-desktop")
    # closing the tab leaves the others, and the page as accessible as before
    page.locator(".tabsList .tab.active .closeTab").click()
    assert len(tab_names(tab)) == before
    assert axe_violations(page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_a_preloaded_tab_runs_on_this_server(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    page = tab.page
    page.get_by_role("tab", name="Factors by studies").click()
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    table = run(tab, live)
    assert table.locator("tbody tr").count() >= 10
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert "factor" in headers
    # the results' controls (page size, paging) and a second tab panel pass too
    assert axe_violations(page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_the_editor_fits_a_phone(live: ApiServer, phone: Tab) -> None:
    elsewhere = open_editor(phone, live)
    assert fits_width(phone.page)
    run(phone, live)  # the first tab: a table far wider than the phone
    assert fits_width(phone.page)  # the results scroll inside their box
    box = phone.page.locator(f"{ACTIVE} .yasr_results")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
    screenshot(phone.page, "sparql-editor-answer-phone")
    assert axe_violations(phone.page) == []
    assert phone.errors == []
    assert elsewhere == []
