"""Every page type of the site in a real browser: no console error or failed request, no
serious or critical axe-core violation, a title and one h1, and no sideways scrolling at
390 px. Desktop and phone screenshots of each are kept as test artefacts (tests/browser.py),
with axe's full findings (every impact) beside them for the closing notes of issues."""

from __future__ import annotations

import json

import pytest

from tests.apiserver import ApiServer
from tests.browser import ARTEFACTS, Tab, axe_violations, fits_width, screenshot

# one page of each kind the site serves to people (the real corpus's ids)
PAGES = {
    "home": "/",
    "home-fa": "/?lang=fa",
    "explore": "/explore",
    "category": "/explore/categories/networks",
    "factor-evidence": "/explore/factors/psychic-distance",
    "studies": "/explore/studies",
    "study": "/explore/studies/akbari-2019",
    "search": "/explore/search?q=%D8%B3%D8%B1%D9%85%D8%A7%DB%8C%D9%87",  # سرمایه
    "sparql-editor": "/sparql",
    "resource": "/id/factor/psychic-distance",
    "resource-study": "/id/study/akbari-2019",
    "resource-evidence": "/id/factor/psychic-distance?view=evidence",
    "taxonomy": "/id/scheme/factors",
    "ontology": "/ontology",
    "shapes": "/shapes",
    "analysis": "/analysis",
    "analysis-fa": "/analysis?lang=fa",
}


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_the_page_is_clean_and_accessible(live: ApiServer, tab: Tab, kind: str) -> None:
    response = tab.goto(live.base + PAGES[kind])
    page = tab.page
    assert response is not None and response.status == 200, kind
    assert page.title().strip(), f"{kind}: a page without a title"
    assert page.locator("h1").count() == 1, f"{kind}: one h1 per page"
    assert page.locator("html").get_attribute("lang"), f"{kind}: the page's language"
    everything = axe_violations(page, frozenset({"minor", "moderate", "serious", "critical"}))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"axe-{kind}.json").write_text(json.dumps(everything, indent=1) + "\n")
    screenshot(page, f"{kind}-desktop")
    grave = [v for v in everything if v["impact"] in ("serious", "critical")]
    assert grave == [], f"{kind}: {grave}"
    assert tab.errors == [], kind


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_the_page_fits_a_phone(live: ApiServer, phone: Tab, kind: str) -> None:
    phone.goto(live.base + PAGES[kind])
    screenshot(phone.page, f"{kind}-phone")
    wide = phone.page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => {"
        " const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1"
        " && !e.closest('.scroll, pre, .CodeMirror, .yasr, .yasqe'); })"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert fits_width(phone.page), f"{kind} is wider than the phone: {wide}"
    assert phone.errors == [], kind
