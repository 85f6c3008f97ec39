"""The front door: `/` for browsers (HTML) and programs (a JSON index), and its assets.

The integrated model is inlined in the page as SVG: every category and every factor it draws
is a link to the explorer's page (below the site's base path), named for screen readers; the
ids inside it are its own (api.services.analysis.inline_svg).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from api.services.analysis import INLINE_PREFIX
from kg.analysis import figures
from tests.apiclient import Api, ApiClient
from tests.corpus import corpus
from tests.servers import OxigraphServer


class Page(HTMLParser):
    """What a test reads of a page: its language, title, links, and the counts shown; and of
    the inline model: its <svg>, its links (href, name, attributes), the ids inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.images: list[tuple[str, str]] = []
        self.counts: dict[str, str] = {}
        self.ids: list[str] = []  # of the page and of the inline pictures, in order
        self.svgs: list[dict[str, str | None]] = []  # the attributes of each <svg>
        self.model: list[tuple[str, str, dict[str, str | None]]] = []  # href, name, attributes
        self.svg_ids: list[str] = []
        self.svg_refs: list[str] = []  # what references inside the SVG point at (#id)
        self.forms: list[dict[str, str | None]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.labels: dict[str, str] = {}  # label text by the id of its control
        self._in: str | None = None
        self._term = ""
        self._svg = 0  # depth of <svg> elements the parser is in
        self._link: list[str] | None = None  # the name of the model's link being read
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "svg":
            self._svg += 1
            self.svgs.append(a)
        if self._svg:
            self._svg_start(tag, a)
        elif tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(str(a["href"]))
        elif tag == "img":
            self.images.append((str(a.get("src")), str(a.get("alt") or "")))
        elif tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "label":
            self._label = str(a.get("for"))
            self.labels[self._label] = ""
        self._in = tag

    def _svg_start(self, tag: str, a: dict[str, str | None]) -> None:
        if a.get("id"):
            self.svg_ids.append(str(a["id"]))
        for value in a.values():
            self.svg_refs += re.findall(r"url\(#([^)]+)\)", value or "")
        if tag == "use":
            self.svg_refs.append(str(a.get("xlink:href") or a.get("href")).removeprefix("#"))
        if tag == "a":
            self._link = []
            self.model.append((str(a.get("href")), "", a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg -= 1
        if tag == "a" and self._link is not None:
            href, _, attrs = self.model[-1]
            self.model[-1] = (href, "".join(self._link).strip(), attrs)
            self._link = None
        if tag == "label":
            self._label = None
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._svg:
            if self._in == "title" and self._link is not None:
                self._link.append(data)
            return
        if self._label is not None:
            self.labels[self._label] += data
        if self._in == "title":
            self.title += data
        elif self._in == "dt":
            self._term = data.strip()
        elif self._in == "dd" and self._term:
            self.counts[self._term] = data.strip()


@pytest.fixture(scope="module")
def proxied(oxigraph: OxigraphServer) -> Iterator[ApiClient]:
    """A server whose public base is behind a proxy, under a path (over the remote store,
    which needs no query worker)."""
    with ApiClient(endpoint=oxigraph.query_url, public_base="https://kg.example.org/rsme") as app:
        yield app


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
    # the model is inline, not an <img>: its links work and the keyboard reaches them
    assert page.images == []
    (svg,) = page.svgs
    assert svg["role"] == "group" and svg["aria-label"]
    assert len(page.model) > 10
    # a search box, labelled, that asks the explorer's search
    (form,) = page.forms
    assert form["action"] == "/explore/search" and form["method"] == "get"
    (words,) = [i for i in page.inputs if i.get("name") == "q"]
    assert page.labels[str(words["id"])].strip()


def test_every_link_of_the_home_page_answers(server: Api) -> None:
    """No link of the front door leads to an error (the dump only where there is one), those
    of the model included."""
    page = read_page(server, "/")
    local = [href.split("#")[0] for href in page.links if href.startswith("/")]
    assert len(local) >= 10
    for entry in ("/explore", "/explore/studies", "/analysis", "/sparql", "/docs", "/ontology"):
        assert entry in local, entry
    for entry in ("/mappings?format=tsv", "/ontology?format=ttl", "/shapes?format=ttl"):
        assert entry in local, entry  # the downloads: SSSOM/TSV, the Turtle sources
    model = [href for href, _, _ in page.model]
    for href in sorted(set(local)) + sorted(set(model)) + page.stylesheets:
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


def test_assets_are_sent_compressed_to_clients_that_take_gzip(embedded: Api) -> None:
    from api.pages import STATIC, served_name

    name = served_name("vendor/yasgui/yasgui.min.js")
    original = (STATIC / "vendor" / "yasgui" / "yasgui.min.js").read_bytes()
    packed = embedded.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == original  # httpx undoes the gzip: the same bytes arrive
    assert int(packed.headers["content-length"]) < len(original) // 2
    assert "Accept-Encoding" in packed.headers["vary"]
    plain = embedded.get(f"/static/{name}", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == original and int(plain.headers["content-length"]) == len(original)


# --- the integrated model, inline ---------------------------------------------------------------


def studies(n: int, lang: str = "en") -> str:
    """'3 studies'; in Persian a number is followed by the singular, 'مطالعه' (study)."""
    if lang == "fa":
        return f"{n} مطالعه"
    return f"{n} study" if n == 1 else f"{n} studies"


def expected_model_links(server: Api, lang: str = "en") -> dict[str, str]:
    """href -> name of every link the model must draw, from the REST API's factors and
    categories: a category with a factor that some study supports, and its PER_BOX factors
    supported by most studies (the others are behind the box's "… and N more" line)."""

    def label(entry: dict[str, Any]) -> str:  # a factor without a Persian label shows its English
        return str(entry["label_fa"] if lang == "fa" and entry["label_fa"] else entry["label"])

    factors = [f for f in server.get("/factors").json() if f["studies"]]
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for factor in factors:
        by_category[factor["category"]["id"]].append(factor)
    expected = {}
    for category in server.get("/categories").json():
        shown = sorted(by_category[category["id"]], key=lambda f: (-f["studies"], label(f)))
        if not shown:
            continue
        expected[f"/explore/categories/{category['id']}"] = (
            f"{label(category)}: {studies(category['studies'], lang)}"
        )
        for factor in shown[: figures.PER_BOX]:
            expected[f"/explore/factors/{factor['id']}"] = (
                f"{label(factor)}: {studies(factor['studies'], lang)}"
            )
    return expected


def test_the_model_links_every_category_and_supported_factor(server: Api) -> None:
    """One link per category and factor drawn, named with its label and its studies, to its
    page in the explorer; as many as the corpus itself has supported factors and categories."""
    page = read_page(server, "/")
    found = {href: name for href, name, _ in page.model}
    assert len(found) == len(page.model)  # a label wrapped over two lines is still one link
    assert found == expected_model_links(server)
    # counted from the CSVs: every supported factor has a link (no box of the corpus is full)
    facts = corpus()
    supported = {code["factor"] for code in facts.support()}
    assert {h for h in found if h.startswith("/explore/factors/")} == {
        f"/explore/factors/{f}" for f in supported
    }
    assert {h for h in found if h.startswith("/explore/categories/")} == {
        f"/explore/categories/{facts.factors[f]}" for f in supported
    }
    assert all("target" not in attrs for _, _, attrs in page.model)  # they open in place


def test_the_model_in_persian_names_its_links_in_persian(embedded: Api) -> None:
    page = read_page(embedded, "/?lang=fa")
    assert page.lang == "en"  # the page is English; the model's labels are Persian
    assert {href: name for href, name, _ in page.model} == expected_model_links(embedded, "fa")
    assert all(attrs.get("lang") == "fa" for _, _, attrs in page.model)
    assert "/#model" in page.links  # back to the English labels
    assert "/?lang=fa#model" in read_page(embedded, "/").links


def test_the_model_links_stay_below_the_base_path(proxied: Api) -> None:
    page = read_page(proxied, "/")
    hrefs = [href for href, _, _ in page.model]
    assert hrefs and all(h.startswith("/rsme/explore/") for h in hrefs)
    assert page.forms[0]["action"] == "/rsme/explore/search"


def test_the_ids_of_the_inline_model_are_its_own(embedded: Api) -> None:
    """Every id inside the SVG carries its prefix, every reference inside it points at one of
    its ids, and no id of the page is there twice."""
    page = read_page(embedded, "/")
    assert len(page.svg_ids) > 50
    assert all(i.startswith(INLINE_PREFIX) for i in page.svg_ids)
    assert page.svg_refs and set(page.svg_refs) <= set(page.svg_ids)
    assert len(page.ids) == len(set(page.ids))
    assert not [i for i in page.ids if i not in page.svg_ids and i.startswith(INLINE_PREFIX)]


def test_the_model_the_api_serves_links_to_the_explorer(embedded: Api) -> None:
    """/analysis/model.svg (and the model of the /analysis page) leads to the explorer's pages,
    as the home page's does; a file written by the CLI leads to the w3id IRIs instead
    (tests/test_figures.py)."""
    reply = embedded.get("/analysis/model.svg")
    assert reply.status_code == 200
    root = ET.fromstring(reply.content)
    links = {
        str(a.get(f"{{{figures.XLINK}}}href")): a.findtext(f"{{{figures.SVG}}}title")
        for a in root.iter(f"{{{figures.SVG}}}a")
    }
    assert links == expected_model_links(embedded)
    page = embedded.get("/analysis", headers={"Accept": "text/html"}).text
    assert 'xlink:href="/explore/categories/networks"' in page
