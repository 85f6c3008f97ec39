"""The pages that existed before the front door, in a real browser (tests/browser.py):
Chromium loads them from `rsme-kg serve` (`live`)."""

from __future__ import annotations

from tests.apiserver import ApiServer
from tests.browser import Tab, axe_violations, fits_width, screenshot


def test_the_analysis_page_shows_its_pictures(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/analysis?lang=fa")
    page = tab.page
    assert page.locator("figure").count() == 5
    assert page.locator("figure svg").count() >= 5
    headings = page.locator("h1, h2").all_inner_texts()
    assert "Shannon-entropy weights of the factors" in headings
    links = page.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert "/analysis/model.png?lang=fa" in links
    # the pictures were drawn: the model's boxes are wider than a line of text
    box = page.locator("figure svg").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    screenshot(page, "analysis-desktop")
    assert tab.errors == []


def test_a_linked_data_page_leads_to_the_evidence(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/id/factor/psychic-distance")
    page = tab.page
    assert page.locator("h1").inner_text() == "Psychic distance"
    links = page.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert "/analysis" in links  # the header leads every page to the analysis
    page.get_by_role("link", name="Evidence (1 code)").click()
    page.wait_for_load_state("networkidle")
    assert "view=evidence" in page.url
    assert page.locator("table").count() >= 1
    assert tab.errors == []


def test_the_linked_data_page_has_no_grave_accessibility_fault(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/id/factor/psychic-distance")
    assert axe_violations(tab.page) == []


def test_the_analysis_page_fits_a_phone(live: ApiServer, phone: Tab) -> None:
    phone.goto(f"{live.base}/analysis")
    screenshot(phone.page, "analysis-phone")
    assert fits_width(phone.page)
