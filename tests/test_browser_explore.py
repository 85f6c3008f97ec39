"""The explorer in a real browser (tests/browser.py): Chromium clicks its way from the
categories to a factor's evidence, searches in Persian as an Arabic keyboard types it, filters
the studies and opens the shared URL in a fresh browser; every page type passes axe-core with
no serious or critical violation and fits a phone. Screenshots are kept as test artefacts."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from kg import paths
from tests.apiserver import ApiServer
from tests.browser import (
    ARTEFACTS,
    GRAVE,
    Tab,
    axe_violations,
    fits_width,
    open_tab,
    screenshot,
)
from tests.corpus import corpus

# one page of each type of the explorer (ids of the real corpus)
PAGES = {
    "explorer": "/explore",
    "explorer-category": "/explore/categories/rural-context",
    "explorer-factor": "/explore/factors/rural-location?language=fa&limit=5",
    # a filter the REST evidence lacks: the page names the nearest JSON instead of its own
    "explorer-factor-no-json": "/explore/factors/rural-location?basis=title&limit=5",
    "explorer-studies": "/explore/studies?decision=included",
    "explorer-study": "/explore/studies/akbari-2019",
    "explorer-search": "/explore/search?q=%D8%B3%D8%B1%D9%85%D8%A7%DB%8C%D9%87",  # سرمایه
    "explorer-not-found": "/explore/factors/psychic-distanse",
}
# what Chromium's console says of a page that answers 404
NOT_FOUND_CONSOLE = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@cache
def label(concept: str, lang: str = "en") -> str:
    """The preferred label of a factor or category of the taxonomy (ontology/factors.ttl)."""
    taxonomy = Graph().parse(paths.TAXONOMY_FILE, format="turtle")
    return next(
        str(found)
        for subject, found in taxonomy.subject_objects(SKOS.prefLabel)
        if str(subject).rsplit("/", 1)[1] == concept
        and isinstance(found, Literal)
        and found.language == lang
    )


def listed_studies(page: Any) -> list[str]:
    """The ids of the studies the list shows, in its order."""
    hrefs = page.locator("table.studies tbody th a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [str(h).rsplit("/", 1)[1] for h in hrefs]


def test_from_the_categories_to_a_factor_and_its_quote(live: ApiServer, tab: Tab) -> None:
    (code,) = corpus().evidence("psychic-distance")
    category = corpus().factors["psychic-distance"]
    heading, factor = label(category), label("psychic-distance")
    tab.goto(f"{live.base}/explore")
    page = tab.page
    page.get_by_role("link", name=heading).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/explore/categories/{category}")
    assert page.locator("h1").inner_text() == heading
    page.get_by_role("link", name=factor, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/explore/factors/psychic-distance")
    assert page.locator("mark").all_inner_texts() == [code["quote"]]
    source = page.locator("ol.evidence p.source").inner_text()
    assert source == corpus().studies[code["study"]]["title"]
    # the breadcrumbs lead back the way we came
    crumbs = page.get_by_role("navigation", name="Breadcrumb").locator("a").all_inner_texts()
    assert crumbs == ["Home", "Explore", heading, factor]
    screenshot(page, "explorer-evidence-desktop")
    assert tab.errors == []


def test_search_in_persian_as_an_arabic_keyboard_types_it(live: ApiServer, tab: Tab) -> None:
    # مهارت‌های کارآفرینی (entrepreneurial skills) with Arabic yeh and kaf, no joiner
    persian = label("entrepreneurial-skills", "fa")
    typed = persian.replace("\u200c", "").replace("ی", "\u064a").replace("ک", "\u0643")
    assert "\u064a" in typed and "\u0643" in typed and typed != persian
    tab.goto(f"{live.base}/explore")
    page = tab.page
    page.get_by_label("Search factors, categories and studies").press_sequentially(typed)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "/explore/search?q=" in page.url
    assert page.get_by_role("heading", name="Factors (1)").count() == 1
    page.locator("ul.results a[href$='/explore/factors/entrepreneurial-skills']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == label("entrepreneurial-skills")
    shown = page.locator("p.label-fa")
    assert shown.inner_text() == persian == "مهارت‌های کارآفرینی"
    assert (shown.get_attribute("lang"), shown.get_attribute("dir")) == ("fa", "rtl")
    assert tab.errors == []


def test_filter_the_studies_and_share_the_url(live: ApiServer, tab: Tab, browser: Any) -> None:
    facts = corpus()
    expected = sorted(
        s for s, row in facts.studies.items() if row["language"] == "fa" and s in facts.included
    )
    tab.goto(f"{live.base}/explore/studies")
    page = tab.page
    page.get_by_label("Language").select_option(label="Persian")
    page.get_by_label("Decision").select_option("included")
    page.get_by_role("button", name="Show the studies").click()
    page.wait_for_load_state("networkidle")
    shared = page.url
    assert "language=fa" in shared and "decision=included" in shared
    shown = listed_studies(page)
    assert shown == expected[:20]
    count = page.locator("#count").inner_text()
    assert count.startswith(f"{len(expected)} of {len(facts.studies)} studies")
    # the URL alone gives the same view to someone else: a new browser context, no history
    other = open_tab(browser)
    try:
        other.goto(shared)
        assert listed_studies(other.page) == shown
        assert other.page.locator("#count").inner_text() == count
        assert other.page.get_by_label("Language").input_value() == "fa"
        assert other.page.get_by_label("Decision").input_value() == "included"
        assert other.errors == []
    finally:
        other.page.context.close()
    assert tab.errors == []


def test_the_evidence_filters_keep_their_values_through_the_pages(
    live: ApiServer, tab: Tab
) -> None:
    codes = corpus().evidence("rural-location")
    tab.goto(f"{live.base}/explore/factors/rural-location?limit=2")
    page = tab.page
    # the keyboard reaches the form, and its focus is visible
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-direction":
            break
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert page.evaluate("document.activeElement.id") == "f-direction"
    assert outline[0] != "none" and outline[1] >= 2
    page.get_by_label("Direction").select_option("context")
    page.get_by_role("button", name="Show the codes").click()
    page.wait_for_load_state("networkidle")
    context = [c for c in codes if c["direction"] == "context"]
    assert len(context) > 2
    page.get_by_role("link", name="Next 2 →").click()
    page.wait_for_load_state("networkidle")
    assert "direction=context" in page.url and "offset=2" in page.url
    assert page.get_by_label("Direction").input_value() == "context"
    assert page.locator("#count").inner_text().startswith(f"{len(context)} of {len(codes)} codes")
    assert tab.errors == []


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_no_grave_accessibility_fault(live: ApiServer, tab: Tab, kind: str) -> None:
    url = live.base + PAGES[kind]
    response = tab.goto(url)
    missing = kind == "explorer-not-found"
    assert response is not None and response.status == (404 if missing else 200)
    assert tab.page.locator("h1").count() == 1
    screenshot(tab.page, f"{kind}-desktop")
    # every finding is kept beside the screenshots; the serious and critical ones fail
    everything = axe_violations(tab.page, frozenset({"minor", "moderate", "serious", "critical"}))
    (ARTEFACTS / f"axe-{kind}.json").write_text(json.dumps(everything, indent=1) + "\n")
    assert [v for v in everything if v["impact"] in GRAVE] == [], kind
    # the page's own 404 is the one failed request a not-found page has
    expected = {f"HTTP 404: {url}", f"console: {NOT_FOUND_CONSOLE}"} if missing else set()
    assert set(tab.errors) == expected and len(tab.errors) == len(expected)


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_every_page_fits_a_phone(live: ApiServer, phone: Tab, kind: str) -> None:
    phone.goto(live.base + PAGES[kind])
    screenshot(phone.page, f"{kind}-phone")
    assert fits_width(phone.page), kind
