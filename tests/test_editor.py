"""The SPARQL editor at /sparql: a browser that asks for HTML without a query gets YASGUI,
served from this server and preloaded with the example and analysis queries; every client of
the SPARQL protocol gets what it got before (answers, service description, errors)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from api.sparql import storage_key, tab_name
from kg import paths
from kg.namespaces import PREFIXES
from tests.apiclient import Api

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
COUNT = "SELECT (COUNT(?c) AS ?n) WHERE { ?c a <https://w3id.org/rsme-kg/ontology#Code> }"
QUERIES = paths.ROOT / "kg" / "queries"


class EditorPage(HTMLParser):
    """What a test reads of the editor's page: title, headings, scripts, styles, tab data."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.h1 = 0
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self.editor: dict[str, str | None] | None = None
        self.tabs_json = ""
        self.prefixes_json = ""
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.footer_links: list[str] = []
        self._in: str | None = None
        self._in_footer = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
            if self._in_footer:
                self.footer_links.append(str(a["href"]))
        if tag == "footer":
            self._in_footer = True
        if tag == "script":
            self.scripts.append(a)
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(str(a.get("href")))
        elif tag == "h1":
            self.h1 += 1
        elif tag == "div" and a.get("id") == "yasgui":
            self.editor = a
        script = a.get("id") if tag == "script" and a.get("id") in ("tabs", "prefixes") else None
        self._in = script or tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None
        if tag == "footer":
            self._in_footer = False

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "tabs":
            self.tabs_json += data
        elif self._in == "prefixes":
            self.prefixes_json += data


def editor(server: Api, accept: str = BROWSER) -> EditorPage:
    response = server.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Accept" in response.headers["vary"]
    page = EditorPage()
    page.feed(response.text)
    return page


def query_files() -> list[Path]:
    return sorted((QUERIES / "examples").glob("*.rq")) + sorted((QUERIES / "analysis").glob("*.rq"))


@pytest.mark.parametrize("accept", [BROWSER, "text/html", "text/html, text/turtle;q=0.9"])
def test_a_browser_gets_the_editor(embedded: Api, accept: str) -> None:
    page = editor(embedded, accept)
    assert page.title.strip() == "SPARQL editor · rsme-kg"
    assert page.h1 == 1
    assert page.editor is not None
    assert page.editor["data-endpoint"] == "/sparql"  # the site's base path + /sparql
    assert str(page.editor["data-storage"]).startswith("rsme-kg-sparql-")
    # users' tabs are kept under a key of the endpoint alone: neither an edited query nor a
    # new YASGUI version orphans them (sparql.js brings the preloaded tabs up to date)
    assert page.editor["data-storage"] == storage_key("/sparql")
    assert storage_key("/sparql") != storage_key("/kg/sparql")


def test_java_default_accept_gets_the_editor_and_turtle_the_description(embedded: Api) -> None:
    """HttpURLConnection's default Accept ranks text/html first: such a client now gets the
    editor for a GET /sparql without a query, and gets the description by asking for it."""
    java = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    assert editor(embedded, java).title.strip() == "SPARQL editor · rsme-kg"
    described = embedded.get("/sparql", headers={"Accept": "text/turtle"})
    assert described.headers["content-type"] == "text/turtle; charset=utf-8"


def test_the_tabs_hold_every_example_and_analysis_query(embedded: Api) -> None:
    tabs = json.loads(editor(embedded).tabs_json)
    files = query_files()
    assert len(files) >= 9  # 3 examples, 6 analysis queries when this was written
    assert len(tabs) == len(files)
    for tab, file in zip(tabs, files, strict=True):
        text = file.read_text(encoding="utf-8")
        assert tab["query"] == text, file.name
        assert tab["query"].startswith("# ")  # the leading comment stays in the query
        assert tab["summary"] == text.splitlines()[0].removeprefix("#").strip()
        assert tab["file"] == f"kg/queries/{file.parent.name}/{file.name}"
        # one rule (api.sparql.tab_name): the first letter a capital, the rest as written
        words = file.stem.replace("-", " ")
        prefix = "Analysis: " if file.parent.name == "analysis" else ""
        assert tab["name"] == prefix + words[0].upper() + words[1:]
        assert tab["name"] == prefix + tab_name(file.stem)
        assert tab["id"] == f"{file.parent.name}-{file.stem}"  # stable: the file's name
    names = [tab["name"] for tab in tabs]
    assert "Evidence for factor" in names and "Analysis: Taxonomy" in names
    assert len({tab["id"] for tab in tabs}) == len(tabs)
    # the rule keeps what str.capitalize() would lower: an acronym in a file's name
    assert (
        tab_name("SHACL-report") == "SHACL report" != "SHACL-report".replace("-", " ").capitalize()
    )


def test_the_page_gives_the_project_prefixes_and_the_way_out_of_the_editor(
    embedded: Api,
) -> None:
    page = editor(embedded)
    # the prefix completer's list: the project's, which the endpoint predeclares, and only
    assert json.loads(page.prefixes_json) == PREFIXES
    # CodeMirror keeps Tab: the line that says how to leave it, which the text points at
    response = embedded.get("/sparql", headers={"Accept": BROWSER})
    assert "In the editor, press Esc then Tab to move on." in response.text
    assert {"editor-keys", "editor-alert", "editor-failed"} <= page.ids
    assert '<div id="editor-alert" role="alert"></div>' in response.text
    # the message shown when YASGUI cannot load points at the query URL, which answers
    fallback = next(link for link in page.links if link.startswith("/sparql?query="))
    query = parse_qs(urlsplit(fallback).query)["query"][0]
    answer = embedded.get("/sparql", params={"query": query}, headers={"Accept": "*/*"})
    assert answer.status_code == 200
    assert answer.json()["results"]["bindings"][0]["codes"]["value"] == "79"


def test_the_notices_of_the_bundle_are_linked_from_the_page(embedded: Api) -> None:
    page = editor(embedded)
    notices = [link for link in page.footer_links if "THIRD-PARTY-NOTICES." in link]
    assert len(notices) == 1 and notices[0].startswith("/static/"), page.footer_links
    served = embedded.get(notices[0])
    assert served.status_code == 200
    assert served.headers["content-type"] == "text/plain; charset=utf-8"
    assert "immutable" in served.headers["cache-control"]
    vendored = paths.ROOT / "api/static/vendor/yasgui"
    assert served.content == (vendored / "THIRD-PARTY-NOTICES.txt").read_bytes()
    # YASGUI's own licence and every component the notices name (tests/test_vendor.py checks
    # those against the bundle)
    assert (vendored / "LICENSE").read_text(encoding="utf-8") in served.text
    for name in ("CodeMirror", "DataTables", "SortableJS", "jQuery", "store.js", "Font Awesome"):
        assert f"\n- {name}" in served.text, name


def test_the_page_loads_only_its_own_scripts_and_styles(embedded: Api) -> None:
    page = editor(embedded)
    sources = [str(s["src"]) for s in page.scripts if s.get("src")]
    for url in sources + page.styles:
        assert url.startswith("/") and not url.startswith("//"), url  # this server's own
        asset = embedded.get(url)
        assert asset.status_code == 200, url
        assert "immutable" in asset.headers["cache-control"]
    # YASGUI as vendored, byte for byte, and no executable script inside the page (a strict
    # Content-Security-Policy stays possible): its data comes as JSON
    vendored = paths.ROOT / "api/static/vendor/yasgui"
    served = {Path(u).name.split(".")[0] + Path(u).suffix: u for u in sources + page.styles}
    assert embedded.get(served["yasgui.js"]).content == (vendored / "yasgui.min.js").read_bytes()
    assert embedded.get(served["yasgui.css"]).content == (vendored / "yasgui.min.css").read_bytes()
    assert "sparql.js" in served
    for script in page.scripts:
        assert script.get("src") or script.get("type") == "application/json", script


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "text/turtle; charset=utf-8"),
        ("*/*", "text/turtle; charset=utf-8"),
        ("text/turtle", "text/turtle; charset=utf-8"),
        ("application/ld+json", "application/ld+json; charset=utf-8"),
    ],
)
def test_protocol_clients_still_get_the_service_description(
    embedded: Api, accept: str | None, media: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = embedded.get("/sparql", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media
    assert "http://www.w3.org/ns/sparql-service-description#" in response.text


def test_rdf_preferred_to_html_or_a_format_keeps_the_description(embedded: Api) -> None:
    preferred = embedded.get("/sparql", headers={"Accept": "text/html;q=0.5, text/turtle"})
    assert preferred.headers["content-type"] == "text/turtle; charset=utf-8"
    named = embedded.get("/sparql?format=ttl", headers={"Accept": BROWSER})
    assert named.headers["content-type"] == "text/turtle; charset=utf-8"
    # these answered 406 before the editor, and still do
    assert embedded.get("/sparql", headers={"Accept": "application/json"}).status_code == 406


def test_query_answers_are_unchanged_for_every_accept(embedded: Api) -> None:
    """What a GET with a query answered before the editor existed (measured then)."""
    expected = {
        BROWSER: (200, "application/sparql-results+xml; charset=utf-8"),
        "text/html": (406, "application/problem+json"),
        "*/*": (200, "application/sparql-results+json; charset=utf-8"),
        "application/sparql-results+json": (200, "application/sparql-results+json; charset=utf-8"),
        "text/turtle": (406, "application/problem+json"),
    }
    for accept, (status, media) in expected.items():
        response = embedded.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
        assert (response.status_code, response.headers["content-type"]) == (status, media), accept
    answer = embedded.get("/sparql", params={"query": COUNT}, headers={"Accept": "*/*"}).json()
    assert answer["results"]["bindings"][0]["n"]["value"] == "79"
    # an empty query is a query (a syntax error), not a request for the editor
    empty = embedded.get("/sparql?query=", headers={"Accept": BROWSER})
    assert empty.status_code == 400
    # POST: as before, with or without HTML in Accept
    posted = embedded.post("/sparql", data={"query": COUNT}, headers={"Accept": "text/html"})
    assert posted.status_code == 406
    form = {"Accept": BROWSER, "Content-Type": "application/x-www-form-urlencoded"}
    missing = embedded.post("/sparql", content=b"", headers=form)
    assert missing.status_code == 400
    assert missing.json()["type"].endswith("missing-query")


def test_the_read_cache_keeps_the_page_apart_from_the_answers(embedded: Api) -> None:
    first = embedded.get("/sparql", headers={"Accept": BROWSER})
    again = embedded.get("/sparql", headers={"Accept": BROWSER})
    assert again.text == first.text
    assert "cache;desc=request" in again.headers.get("server-timing", "")  # from the read cache
    # the same path and Accept with a query: the answer, never the cached page
    answer = embedded.get("/sparql", params={"query": COUNT}, headers={"Accept": BROWSER})
    assert answer.headers["content-type"].startswith("application/sparql-results+xml")
    # and the description for a client without Accept, after the page was cached
    plain = embedded.get("/sparql")
    assert plain.headers["content-type"] == "text/turtle; charset=utf-8"


def test_the_openapi_description_declares_the_page(embedded: Api) -> None:
    spec = embedded.get("/openapi.json").json()
    content = spec["paths"]["/sparql"]["get"]["responses"]["200"]["content"]
    assert "text/html" in content
    assert "application/json" in content  # what it declared before stays
