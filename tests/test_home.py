"""The front door: `/` for browsers (HTML) and programs (a JSON index), and its assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.apiclient import Api
from tests.corpus import corpus


class Page(HTMLParser):
    """What a test reads of a page: its language, title, links, and the counts shown."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.images: list[tuple[str, str]] = []
        self.counts: dict[str, str] = {}
        self._in: str | None = None
        self._term = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(str(a["href"]))
        elif tag == "img":
            self.images.append((str(a.get("src")), str(a.get("alt") or "")))
        self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "dt":
            self._term = data.strip()
        elif self._in == "dd" and self._term:
            self.counts[self._term] = data.strip()


def expected_counts() -> dict[str, int]:
    """The counts the home page must show, from the CSVs and the taxonomy."""
    facts = corpus()
    return {
        "Studies included": len(facts.included),
        "Studies excluded": len(facts.excluded),
        "Codes": len(facts.codes),
        "Factors": len(facts.factors),
        "Categories": len(set(facts.factors.values())),
        "Coders": len({code["coder"] for code in facts.codes}),
    }


def read_page(server: Api, path: str, accept: str = "text/html") -> Page:
    reply = server.get(path, headers={"Accept": accept})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = Page()
    page.feed(reply.text)
    return page


def test_a_browser_gets_the_home_page_with_the_counts_of_the_data(server: Api) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = read_page(server, "/", browser)
    assert page.lang == "en" and "rsme-kg" in page.title
    assert {k: int(v) for k, v in page.counts.items()} == expected_counts()
    for target in ("/analysis", "/sparql", "/docs", "/ontology", "/shapes", "/mappings"):
        assert target in page.links, target
    assert [src for src, alt in page.images] == ["/analysis/model.svg"]
    assert all(alt for _, alt in page.images)


def test_every_link_of_the_home_page_answers(server: Api) -> None:
    """No link of the front door leads to an error (the dump only where there is one)."""
    page = read_page(server, "/")
    local = [href for href in page.links if href.startswith("/") and "#" not in href]
    assert len(local) >= 10
    for href in sorted(set(local)) + [src for src, _ in page.images] + page.stylesheets:
        reply = server.get(href, headers={"Accept": "text/html,*/*;q=0.8"})
        assert reply.status_code == 200, f"{href}: {reply.status_code}"
    assert ("/dump/rsme-kg.trig" in page.links) == (server.store is not None)
    assert ("/.well-known/void" in page.links) == (server.store is not None)


def test_a_program_gets_a_json_index_of_the_entry_points(server: Api) -> None:
    reply = server.get("/", headers={"Accept": "application/json"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["counts"] == {
        "studies": len(corpus().studies),
        "included": len(corpus().included),
        "excluded": len(corpus().excluded),
        "codes": len(corpus().codes),
        "factors": len(corpus().factors),
        "categories": len(set(corpus().factors.values())),
        "coders": len({code["coder"] for code in corpus().codes}),
    }
    for name, url in body["links"].items():
        assert url.startswith("http"), name
        path = "/" + url.split("/", 3)[3]
        params = {"q": "network"} if name == "search" else {}  # search needs words to look for
        assert server.get(path, params=params).status_code == 200, f"{name}: {path}"


def test_the_home_page_is_never_a_404_and_says_what_it_offers(server: Api) -> None:
    assert server.get("/").status_code == 200  # no Accept at all
    refused = server.get("/", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.json()["acceptable"] == ["text/html", "application/json"]


def test_assets_have_content_hashed_names_and_are_kept_for_a_year(embedded: Api) -> None:
    page = read_page(embedded, "/")
    (style,) = page.stylesheets
    assert re.fullmatch(r"/static/style\.[0-9a-f]{10}\.css", style)
    reply = embedded.get(style)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/css")
    assert "immutable" in reply.headers["cache-control"]
    assert "max-age=31536000" in reply.headers["cache-control"]
    assert embedded.get("/static/style.css").status_code == 404  # only the hashed name
    assert embedded.get("/static/style.0000000000.css").status_code == 404
