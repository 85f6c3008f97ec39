"""The home page in a real browser (tests/browser.py): Chromium loads it from `rsme-kg serve`
(`live`), reads the counts, follows a link of the integrated model with the mouse, reaches one
with the Tab key, and audits the page with axe-core at desktop and phone width."""

from __future__ import annotations

from typing import Any

from tests.apiserver import ApiServer
from tests.browser import Tab, axe_violations, fits_width, screenshot
from tests.corpus import corpus
from tests.test_home import expected_counts, expected_model_links

MODEL_LINKS = "figure.model svg a"


def shown_model_links(page: Any) -> dict[str, str]:
    """href -> name (its <title>) of every link of the model in the page."""
    pairs = page.locator(MODEL_LINKS).evaluate_all(
        "as => as.map(a => [a.getAttribute('href'), a.querySelector('title').textContent])"
    )
    return dict(pairs)


def model_link(page: Any, href: str) -> Any:
    """The link of the model to `href`, found as a person with a screen reader finds it: by its
    role and name."""
    return page.get_by_role("link", name=shown_model_links(page)[href], exact=True)


def test_the_home_page_shows_the_counts_and_the_model(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/")
    page = tab.page
    terms = page.locator("dl.counts dt").all_inner_texts()
    values = page.locator("dl.counts dd").all_inner_texts()
    assert {t: int(v) for t, v in zip(terms, values, strict=True)} == expected_counts()
    # the model is drawn as wide as the page's column, and every link of it is there
    box = page.locator("figure.model svg").bounding_box()
    column = page.locator("main").bounding_box()
    assert box is not None and column is not None
    assert box["width"] > 0.95 * column["width"] - 32 and box["height"] > box["width"]
    assert shown_model_links(page) == expected_model_links(live)
    assert page.get_by_role("search").get_by_label("Search the factors").count() == 1
    screenshot(page, "home-page-desktop")
    assert tab.errors == []


def test_a_click_on_a_category_of_the_model_opens_its_page(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/")
    page = tab.page
    model_link(page, "/explore/categories/networks").click()  # the mouse, where it is drawn
    page.wait_for_url(f"{live.base}/explore/categories/networks")
    page.wait_for_load_state("networkidle")
    assert "Networks and cooperation" in page.locator("h1").inner_text()
    # then a factor of it, and the quotes of its evidence, marked in their titles
    page.get_by_role("link", name="Business networking", exact=True).click()
    page.wait_for_url(f"{live.base}/explore/factors/business-networking")
    page.wait_for_load_state("networkidle")
    quotes = sorted(c["quote"] for c in corpus().evidence("business-networking"))
    assert len(quotes) >= 3  # the model says (3): three studies support it
    assert sorted(page.locator("mark").all_inner_texts()) == quotes
    assert tab.errors == []  # among them a page that failed to load


def test_the_whole_line_of_a_factor_answers_the_pointer(live: ApiServer, tab: Tab) -> None:
    """Between its words and letters too, not only on the ink of the letters."""
    tab.goto(f"{live.base}/")
    page = tab.page
    href = "/explore/factors/business-networking"
    box = model_link(page, href).bounding_box()
    assert box is not None
    hits = page.evaluate(
        "([x, y, w]) => Array.from({length: 25}, (_, i) => document.elementFromPoint("
        "x + w * (i + 0.5) / 25, y)?.closest('a')?.getAttribute('href'))",
        [box["x"], box["y"] + box["height"] / 2, box["width"]],
    )
    assert hits == [href] * 25
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"{live.base}{href}")
    assert tab.errors == []


def test_the_tab_key_reaches_the_model_with_a_visible_focus(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/")
    page = tab.page
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('figure.model svg a')"):
            break
    focused = page.evaluate(
        "(() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return {href: e.getAttribute('href'), style: s.outlineStyle,"
        " width: parseFloat(s.outlineWidth), box: e.getBoundingClientRect().toJSON()}; })()"
    )
    assert str(focused["href"]).startswith("/explore/categories/")  # a box's title first
    assert focused["style"] != "none" and focused["width"] >= 2
    # and the outline is painted: the link's surroundings differ focused and not
    box = focused["box"]
    around = {
        "x": box["x"] - 6,
        "y": box["y"] - 6,
        "width": box["width"] + 12,
        "height": box["height"] + 12,
    }
    shown = page.screenshot(clip=around)
    screenshot(page, "home-page-model-focused")
    page.evaluate("document.activeElement.blur()")
    assert page.screenshot(clip=around) != shown
    # Enter follows the focused link
    model_link(page, str(focused["href"])).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.base}{focused['href']}")
    assert tab.errors == []


def test_the_home_page_has_no_grave_accessibility_fault(live: ApiServer, tab: Tab) -> None:
    tab.goto(f"{live.base}/")
    assert axe_violations(tab.page) == []
    tab.goto(f"{live.base}/?lang=fa")
    assert axe_violations(tab.page) == []
    assert tab.errors == []


def test_the_home_page_fits_a_phone(live: ApiServer, phone: Tab) -> None:
    phone.goto(f"{live.base}/")
    page = phone.page
    screenshot(page, "home-page-phone")
    assert fits_width(page)
    box = page.locator("figure.model svg").bounding_box()
    assert box is not None and box["width"] <= 390
    assert axe_violations(page) == []
    assert phone.errors == []


def test_the_server_says_where_a_person_starts(live: ApiServer) -> None:
    """`make run` ends with the address to open: the home page, not the SPARQL endpoint."""
    assert f"serving on {live.base}/ (the home page; SPARQL at {live.base}/sparql)" in (
        live.log_text()
    )
