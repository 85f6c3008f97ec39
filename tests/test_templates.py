"""The pages drawn from templates: the linked-data pages, the evidence view, the ontology and
shapes documentation and the analysis report (on the server and as `rsme-kg report`'s file).

Each page is read as a document: one layout (title, skip link, stylesheet, favicon), headings
in order, wide tables in a box that scrolls, Persian text marked as such, and text from the
graph escaped, never taken as markup. The hostile text is put into graphs and tables here, so
a template that marked a value safe would let it through.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from fastapi import Request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from api import pages
from api.linkeddata import Value, evidence_page, resource_page
from api.responses import JSONLD, NTRIPLES, RDFXML, TURTLE, content_tag
from api.routes import sources
from kg import paths
from kg.analysis import document, figures
from kg.analysis.report import Analysis, analyse
from kg.namespaces import BASE, RSME, SH, SHAPES
from tests.apiclient import Api, ApiClient
from tests.test_analysis_settings import dataset

HOSTILE = '<script>alert(1)</script> "quoted"'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34;"
PERSIAN = "فاصله روانی"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
STYLE = paths.ROOT / "api" / "static" / "style.css"
REPORT_TEMPLATE = paths.ROOT / "kg" / "analysis" / "templates" / "report.html"
# outside IRIs a browser would run or open rather than go to: never in an href
SCRIPTS = ("javascript:alert(1)", "data:text/html,x", "vbscript:msgbox(1)")
RDF_TYPES = {TURTLE, JSONLD, NTRIPLES, RDFXML}
NO_CACHE = {"If-None-Match": '"none"'}  # a conditional GET: the app answers, not the read cache


# ------------------------------------------------------------------------------ reading pages


@dataclass
class Table:
    """A table as read: its classes, whether it sits in a .scroll box, whether it has a
    header row (thead), and the cells (th, td) of each of its rows."""

    classes: list[str]
    boxed: bool
    head: bool = False
    rows: list[list[str]] = field(default_factory=list)


class Outline(HTMLParser):
    """What the tests read of a page: title, headings, tables and where they sit, the
    language and direction around each text, links and the layout's parts."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.headings: list[int] = []
        self.header_cells: list[dict[str, str | None]] = []
        self.tables: list[Table] = []
        self.boxes: list[dict[str, str | None]] = []
        self.texts: list[tuple[str, str | None, str | None]] = []  # (text, lang, dir)
        self.links: list[tuple[str, dict[str, str | None]]] = []
        self.alternates: list[dict[str, str | None]] = []  # <link rel="alternate">
        self.stylesheets = 0
        self.icons = 0
        self.skip = False
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self._svg += 1
        if self._svg:  # our pictures: not HTML
            return
        if tag in ("th", "td") and self.tables and self.tables[-1].rows:
            self.tables[-1].rows[-1].append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "th":
            self.header_cells.append(a)
        elif tag == "table":
            boxed = any("scroll" in (b.get("class") or "").split() for _, b in self._stack)
            self.tables.append(Table((a.get("class") or "").split(), boxed))
        elif tag == "thead" and self.tables:
            self.tables[-1].head = True
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append([])
        elif tag == "div" and "scroll" in (a.get("class") or "").split():
            self.boxes.append(a)
        elif tag == "a" and a.get("href"):
            self.links.append((str(a["href"]), a))
            self.skip = self.skip or (a.get("class") == "skip" and a["href"] == "#main")
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets += 1
        elif tag == "link" and a.get("rel") == "icon":
            self.icons += 1
        elif tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a)
        if tag not in VOID:
            self._stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg -= 1
            return
        if self._svg or tag in VOID:
            return
        while self._stack:  # tolerate implied end tags
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._svg or not data.strip():
            return
        if self._stack and self._stack[-1][0] == "title":
            self.title += data
        lang = next((a["lang"] for _, a in reversed(self._stack) if a.get("lang")), None)
        direction = next((a["dir"] for _, a in reversed(self._stack) if a.get("dir")), None)
        self.texts.append((data, lang, direction))


def read(body: str | bytes) -> Outline:
    outline = Outline()
    outline.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    return outline


def assert_sound(body: str | bytes, *, layout: bool = True) -> Outline:
    """The rules every page keeps; returns what was read."""
    page = read(body)
    assert page.title.strip() and page.title.strip() != "rsme-kg", "each page has its own title"
    assert page.headings[:1] == [1] and page.headings.count(1) == 1, page.headings
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{after} after h{before}: {page.headings}"
    assert page.header_cells, "a page of tables has header cells"
    assert all(cell.get("scope") in ("col", "row") for cell in page.header_cells)
    assert page.tables, "a page of tables has tables"
    for table in page.tables:
        if table.head or not table.boxed:
            assert table.rows, table
        if table.head:
            assert table.boxed, "every table with a header row scrolls inside its own box"
        elif not table.boxed:  # narrow by design: a property and its values, row by row
            assert "properties" in table.classes, f"a wide table outside a box: {table}"
            assert all(row == ["th", "td"] for row in table.rows), table
    for box in page.boxes:
        assert box.get("tabindex") == "0" and box.get("role") == "region"
        assert (box.get("aria-label") or "").strip()
    for text, lang, direction in page.texts:
        if ARABIC_SCRIPT.search(text):
            assert lang is not None and lang.split("-")[0] == "fa", (text, lang)
            assert direction == "rtl", (text, direction)
    for _, attrs in page.links:
        if "external" in (attrs.get("class") or ""):
            assert attrs.get("rel") == "external"  # the marker (CSS) is a glyph, not a colour
    if layout:
        assert page.skip and page.stylesheets == 1 and page.icons == 1
    return page


def request_for(public_base: str = "http://testserver") -> Request:
    """A request as the page functions read it: the app's settings (public_base) only."""
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(public_base=public_base)))
    return Request({"type": "http", "app": app, "headers": [], "path": "/", "query_string": b""})


# ------------------------------------------------------------------------------ pages, in process


@pytest.fixture(scope="module")
def small(small_store: Path) -> Iterator[ApiClient]:
    """The facade over the fixture corpus, in this process."""
    with ApiClient(store=small_store) as app:
        yield app


@pytest.mark.parametrize(
    "url",
    [
        "/id/factor/psychic-distance",
        "/id/factor/psychic-distance?view=evidence",
        "/id/study/assadinia-2019",
        "/id/scheme/factors",
        "/ontology",
        "/shapes",
        "/analysis",
        "/analysis?lang=fa",
    ],
)
def test_every_page_keeps_the_layout_headings_tables_and_persian(small: Api, url: str) -> None:
    response = small.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_sound(response.text)


def test_persian_labels_of_a_factor_are_marked_right_to_left(small: Api) -> None:
    body = small.get("/id/factor/psychic-distance", headers={"Accept": "text/html"}).text
    page = assert_sound(body)
    assert (PERSIAN, "fa", "rtl") in page.texts
    assert f'<span lang="fa" dir="rtl">{PERSIAN}</span>' in body


def test_the_analysis_page_is_the_reports_body_in_the_sites_layout(small: Api) -> None:
    body = small.get("/analysis", headers={"Accept": "text/html"}).text
    page = assert_sound(body)
    assert page.title == "rsme-kg analysis report"
    assert "rsme-kg: analysis of the meta-synthesis" in [t for t, _, _ in page.texts]
    assert body.count("<svg") == len(figures.names())
    assert '<div class="scroll" tabindex="0" role="region" aria-label="Screening flow' in body


def test_the_check_of_tables_can_fail() -> None:
    wide = (
        "<title>t</title><h1>t</h1><a class='skip' href='#main'>s</a>"
        "<link rel='stylesheet' href='s'><link rel='icon' href='i'>"
    )
    unboxed = wide + "<table class='grid'><thead><tr><th scope='col'>a</th></tr></thead></table>"
    with pytest.raises(AssertionError, match="scrolls inside its own box"):
        assert_sound(unboxed)
    three = wide + (
        "<table class='properties'><tr><th scope='row'>a</th><td>1</td><td>2</td></tr></table>"
    )
    with pytest.raises(AssertionError, match="properties"):
        assert_sound(three)
    with pytest.raises(AssertionError, match="a wide table outside a box"):
        assert_sound(wide + "<table><tr><th scope='row'>a</th><td>1</td></tr></table>")


@pytest.mark.parametrize("url", ["/id/factor/psychic-distance", "/ontology", "/shapes"])
def test_a_page_names_its_rdf_formats_in_its_head(small: Api, url: str) -> None:
    page = read(small.get(url, headers={"Accept": "text/html"}).text)
    assert {a["type"] for a in page.alternates} == RDF_TYPES
    assert len(page.alternates) == len(RDF_TYPES)
    for alternate in page.alternates:
        href, media = str(alternate["href"]), str(alternate["type"])
        assert href.startswith(url.split("?")[0] + "?format=")
        response = small.get(href)  # no Accept header: the link alone names the format
        assert response.status_code == 200, href
        assert response.headers["content-type"].split(";")[0] == media, href


# ------------------------------------------------------------------------------ caching


def test_the_etag_of_a_page_follows_the_templates_and_assets(
    small: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HTML of a resource is its build's and the templates' (pages.version): a browser
    holding a page of older templates gets the new page, not a 304; RDF is the build's only."""
    url = "/id/factor/psychic-distance"

    def tags() -> dict[str, str]:
        asked = {
            "html": (url, "text/html"),
            "evidence": (url + "?view=evidence", "text/html"),
            "ttl": (url, "text/turtle"),
        }
        found = {}
        for name, (path, accept) in asked.items():
            response = small.get(path, headers={"Accept": accept, **NO_CACHE})
            assert response.status_code == 200
            found[name] = response.headers["etag"]
        return found

    before = tags()
    version = pages.version()
    assert before["html"].endswith(f'-html-{version}"')
    assert before["evidence"].endswith(f'-html-evidence-{version}"')
    assert version not in before["ttl"]
    monkeypatch.setattr(pages, "version", lambda: "0123456789")
    after = tags()
    assert after["html"].endswith('-html-0123456789"') and after["html"] != before["html"]
    assert after["evidence"].endswith('-html-evidence-0123456789"')
    assert after["ttl"] == before["ttl"]
    stale = small.get(url, headers={"Accept": "text/html", "If-None-Match": before["html"]})
    assert stale.status_code == 200 and stale.headers["etag"] == after["html"]
    kept = small.get(url, headers={"Accept": "text/turtle", "If-None-Match": before["ttl"]})
    assert kept.status_code == 304


def test_the_ontology_and_shapes_pages_are_drawn_once(
    small: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[str, str]] = []
    draw = pages.render_for

    def counting(home: str, template: str, **context: object) -> bytes:
        drawn.append((home, template))
        return draw(home, template, **context)

    monkeypatch.setattr(pages, "render_for", counting)
    sources._page.cache_clear()
    try:
        for url in ("/ontology", "/shapes"):
            first, second = (
                small.get(url, headers={"Accept": "text/html", **NO_CACHE}) for _ in range(2)
            )
            assert first.status_code == second.status_code == 200
            assert first.content == second.content
            assert first.headers["etag"] == second.headers["etag"]
            assert first.headers["etag"] == content_tag(first.content, "html")
        assert drawn == [("/", "ontology.html"), ("/", "shapes.html")]
        # another public base is another page: its links and stylesheet are below its path
        below = sources._page("ontology", "/kg")[0].decode("utf-8")
        assert f'href="/kg/static/{pages.served_name("style.css")}"' in below
        assert drawn[-1] == ("/kg/", "ontology.html")
    finally:
        sources._page.cache_clear()


# ------------------------------------------------------------------------------ escaping


def _graph_with_hostile_text() -> tuple[URIRef, Graph]:
    factor = URIRef(BASE + "id/factor/hostile")
    code = URIRef(BASE + "id/code/hostile-1")
    graph = Graph()
    graph.add((factor, RDF.type, RSME.Factor))
    graph.add((factor, SKOS.prefLabel, Literal(HOSTILE, lang="en")))
    graph.add((factor, SKOS.prefLabel, Literal(PERSIAN, lang="fa")))
    graph.add((factor, SKOS.altLabel, Literal("فاصله", lang="fa-IR")))
    graph.add((factor, SKOS.definition, Literal(HOSTILE)))
    graph.add((code, RSME.codesFactor, factor))
    graph.add((code, RSME.quote, Literal(HOSTILE)))
    return factor, graph


def test_a_resource_page_escapes_the_graphs_text_and_marks_persian() -> None:
    factor, graph = _graph_with_hostile_text()
    body = resource_page(request_for(), factor, graph, {}).decode("utf-8")
    assert "<script>" not in body and "alert(1)</script>" not in body
    assert f"<title>{ESCAPED}</title>" in body and f">{ESCAPED}</h1>" in body
    # the hostile text is the English prefLabel and the definition (_graph_with_hostile_text):
    # the label is the page's <title>, its <h1>, the caption of each of its two tables
    # (properties, referenced by) and a value; the definition is the sixth
    assert body.count(ESCAPED) == 6
    page = assert_sound(body)
    assert (PERSIAN, "fa", "rtl") in page.texts and ("فاصله", "fa-IR", "rtl") in page.texts
    assert "Evidence (1 code)" in [t for t, _, _ in page.texts]


def test_an_evidence_page_escapes_quotes_titles_and_marks_a_persian_quote() -> None:
    factor = URIRef(BASE + "id/factor/hostile")
    row = {
        "factorLabel": {"value": HOSTILE, "lang": "en"},
        "code": BASE + "id/code/hostile-1",
        "quote": {"value": PERSIAN, "lang": "fa"},
        "study": BASE + "id/study/hostile-2020",
        "title": HOSTILE,
        "year": 2020,
        "doi": '10.1/"><script>',
        "language": "fa",
        "decision": "included",
        "direction": HOSTILE,
        "outcome": None,
        "basis": "title",
        "coder": HOSTILE,
    }
    body = evidence_page(request_for(), factor, [row]).decode("utf-8")
    assert "<script>" not in body
    assert f"<title>Evidence for {ESCAPED}</title>" in body
    # the row's hostile factor label, title, direction and coder: the factor's label is the
    # <title>, the <h1>, the link back to the factor and the label of the table's box (4), then
    # the study's title, the direction and the coder (one cell each)
    assert body.count(ESCAPED) == 7
    assert 'href="https://doi.org/10.1/&#34;&gt;&lt;script&gt;"' in body
    page = assert_sound(body)
    assert (PERSIAN, "fa", "rtl") in page.texts


def test_the_ontology_page_escapes_and_marks_persian() -> None:
    graph = Graph()
    ontology = URIRef(BASE + "ontology")
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, DCTERMS.title, Literal(HOSTILE, lang="en")))
    graph.add((ontology, DCTERMS.description, Literal(PERSIAN, lang="fa")))
    graph.add((RSME.Thing, RDF.type, OWL.Class))
    graph.add((RSME.Thing, RDFS.label, Literal(PERSIAN, lang="fa")))
    graph.add((RSME.Thing, SKOS.definition, Literal(HOSTILE, lang="en")))
    graph.add((RSME.Thing, RDFS.comment, Literal("یادداشت", lang="fa")))
    graph.add((SKOS.Concept, RDF.type, OWL.Class))
    graph.add((SKOS.Concept, RDFS.label, Literal(PERSIAN, lang="fa")))
    context = sources.ontology_page(graph, "", [])
    body = pages.render(request_for(), "ontology.html", **context).decode("utf-8")
    assert "<script>" not in body and f"<title>{ESCAPED}</title>" in body
    assert 'id="Thing"' in body and 'id="skos:Concept"' in body
    page = assert_sound(body)
    # three literals are PERSIAN: the ontology's description (a paragraph), rsme:Thing's
    # label (after its name in its heading) and skos:Concept's (the outside terms' table)
    assert sum(1 for t in page.texts if t == (PERSIAN, "fa", "rtl")) == 3
    assert ("یادداشت", "fa", "rtl") in page.texts


def test_the_shapes_page_escapes_and_marks_persian(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = Graph()
    header = URIRef(BASE + "shapes/thing")
    graph.add((header, RDF.type, OWL.Ontology))
    graph.add((header, RDFS.label, Literal(PERSIAN, lang="fa")))
    graph.add((SHAPES.ThingShape, RDF.type, SH.NodeShape))
    graph.add((SHAPES.ThingShape, SH.targetClass, RSME.Thing))
    graph.add((SHAPES.ThingShape, RDFS.label, Literal(HOSTILE, lang="en")))
    graph.add((SHAPES.ThingShape, SH.message, Literal("پیام", lang="fa")))
    graph.add((SHAPES.ThingShape, SH.property, SHAPES.ThingLabelShape))
    graph.add((SHAPES.ThingLabelShape, RDF.type, SH.PropertyShape))
    graph.add((SHAPES.ThingLabelShape, SH.path, RDFS.label))
    graph.add((SHAPES.ThingLabelShape, SH.minCount, Literal(1)))
    graph.add((SHAPES.ThingLabelShape, SH.message, Literal(HOSTILE)))
    graph.serialize(tmp_path / "thing.ttl", format="turtle")
    monkeypatch.setattr(sources, "_shape_files", lambda: [tmp_path / "thing.ttl"])
    context = sources.shapes_page(graph, "", [])
    body = pages.render(request_for(), "shapes.html", **context).decode("utf-8")
    # the node shape's label (after its name in its heading), the property shape's message
    assert "<script>" not in body and body.count(ESCAPED) == 2
    assert 'id="ThingShape"' in body and 'id="ThingLabelShape"' in body and 'id="thing"' in body
    page = assert_sound(body)
    assert (PERSIAN, "fa", "rtl") in page.texts and ("پیام", "fa", "rtl") in page.texts


def _stub_svgs() -> dict[str, bytes]:
    return {n: f'<?xml version="1.0"?><svg id="svg-{n}"></svg>'.encode() for n in figures.names()}


def test_the_report_escapes_its_tables_and_keeps_its_pictures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    analysis = analyse(dataset())
    made = [
        *document.tables(analysis),
        document.Table("hostile", HOSTILE, ["name", HOSTILE], [[HOSTILE, 1]], note=HOSTILE),
    ]
    for page in (
        document.render_html(analysis, _stub_svgs(), "now", made=made),
        pages_body(analysis, made, monkeypatch),
    ):
        assert "<script>" not in page
        assert page.count(ESCAPED) == 5  # heading, note, header cell, cell, the box's label
        for name in figures.names():  # our own pictures go in as they are
            assert f'<figure id="figure-{name}"><svg id="svg-{name}"></svg><figcaption>' in page
    file = document.render_html(analysis, _stub_svgs(), "now", made=made)
    assert_sound(file, layout=False)
    assert not any(tag in file for tag in ("<link", "<script", "<img", "<iframe"))
    assert "<style>" in file and ".scroll{overflow-x:auto" in file


def pages_body(
    analysis: Analysis, made: list[document.Table], monkeypatch: pytest.MonkeyPatch
) -> str:
    """The body the server puts in its layout (api.routes.analysis calls render_body), with
    the tables `made` in place of the report's own."""
    monkeypatch.setattr(document, "tables", lambda _: made)
    return str(document.render_body(analysis, _stub_svgs(), "now"))


# ------------------------------------------------------------------------------ links


def assert_not_linked(body: str, iris: tuple[str, ...]) -> Outline:
    """Each IRI is on the page as text and in no href; returns what was read."""
    page = assert_sound(body)
    shown = " ".join(t for t, _, _ in page.texts)
    for iri in iris:
        assert iri in shown, iri
        scheme = iri.split(":")[0]
        assert not [h for h, _ in page.links if h.strip().lower().startswith(scheme)], iri
    return page


def test_a_resource_page_links_no_script_of_the_graph() -> None:
    factor, graph = _graph_with_hostile_text()
    for target in (*SCRIPTS, "https://example.org/ok", "urn:isbn:0451450523"):
        graph.add((factor, RDFS.seeAlso, URIRef(target)))
    graph.add((URIRef("javascript:alert(2)"), SKOS.related, factor))  # referenced by
    body = resource_page(request_for(), factor, graph, {}).decode("utf-8")
    page = assert_not_linked(body, (*SCRIPTS, "javascript:alert(2)"))
    outside = {h: a for h, a in page.links if "external" in (a.get("class") or "")}
    assert "https://example.org/ok" in outside and "urn:isbn:0451450523" in outside


def test_an_evidence_page_links_no_script_for_a_study() -> None:
    row = {
        "factorLabel": "Hostile",
        "code": BASE + "id/code/hostile-1",
        "quote": "a quote",
        "study": "javascript:alert(1)",
        "title": "A study",
        "year": 2020,
    }
    body = evidence_page(request_for(), URIRef(BASE + "id/factor/hostile"), [row])
    assert_not_linked(body.decode("utf-8"), ("A study",))
    assert "javascript:" not in body.decode("utf-8")


def test_the_ontology_page_links_no_script_of_the_graph() -> None:
    graph = Graph()
    graph.add((URIRef(BASE + "ontology"), RDF.type, OWL.Ontology))
    graph.add((RSME.Thing, RDF.type, OWL.Class))
    for target in SCRIPTS:
        graph.add((RSME.Thing, RDFS.seeAlso, URIRef(target)))
    graph.add((URIRef("javascript:alert(3)"), RDF.type, OWL.Class))  # an outside term
    graph.add((RSME.Thing, RDFS.seeAlso, URIRef("http://example.org/ok")))
    body = pages.render(request_for(), "ontology.html", **sources.ontology_page(graph, "", []))
    page = assert_not_linked(body.decode("utf-8"), (*SCRIPTS, "javascript:alert(3)"))
    assert "http://example.org/ok" in [h for h, _ in page.links]


def test_the_value_macro_shows_a_script_href_as_text() -> None:
    """The last gate: a Value made elsewhere with such an href is still no link."""
    macros = pages.templates().env.get_template("macros.html").module
    for href in (*SCRIPTS, " JavaScript:alert(1)", "java\tscript:alert(1)"):
        drawn = str(macros.value(Value("click", href=href, external=True)))  # type: ignore[attr-defined]
        assert drawn == "click", href
    linked = str(macros.value(Value("ok", href="/id/factor/x")))  # type: ignore[attr-defined]
    assert linked == '<a href="/id/factor/x">ok</a>'


# ------------------------------------------------------------------------------ order and language


def test_links_in_a_row_are_in_the_order_of_their_text_literals_by_language() -> None:
    factor, graph = _graph_with_hostile_text()
    targets = {name: URIRef(BASE + f"id/factor/{name}") for name in ("a", "b", "c")}
    for target in targets.values():
        graph.add((factor, RDFS.seeAlso, target))
    for text, lang in (("Zeta", "en"), ("Eta", None), ("Alef", "fa")):
        graph.add((factor, SKOS.hiddenLabel, Literal(text, lang=lang)))
    labels = {
        str(targets["a"]): Value("Gamma", lang="en"),
        str(targets["b"]): Value("Beta"),
        str(targets["c"]): Value("Alpha", lang="fa"),
    }
    page = assert_sound(resource_page(request_for(), factor, graph, labels))
    texts = [t for t, _, _ in page.texts]
    # links: by their text, whatever the language of their label
    assert [t for t in texts if t in ("Alpha", "Beta", "Gamma")] == ["Alpha", "Beta", "Gamma"]
    assert ("Alpha", "fa", "rtl") in page.texts  # still marked as Persian
    # literals: English, then untagged, then the other languages
    assert [t for t in texts if t in ("Zeta", "Eta", "Alef")] == ["Zeta", "Eta", "Alef"]


def test_an_evidence_page_keeps_the_language_of_a_study_title() -> None:
    title = "عنوان مطالعه"
    row = {
        "factorLabel": "Hostile",
        "code": BASE + "id/code/hostile-1",
        "quote": "a quote",
        "study": BASE + "id/study/hostile-2020",
        "title": {"value": title, "lang": "fa-IR"},
        "year": 2020,
    }
    body = evidence_page(request_for(), URIRef(BASE + "id/factor/hostile"), [row]).decode()
    page = assert_sound(body)
    assert (title, "fa-IR", "rtl") in page.texts
    assert f'<a href="/id/study/hostile-2020" lang="fa-IR" dir="rtl">{title}</a>' in body


def test_persian_text_gets_its_fonts_whatever_its_region() -> None:
    css = STYLE.read_text(encoding="utf-8")
    assert re.search(r":lang\(fa\)\s*\{[^}]*font-family", css)
    assert '[lang="fa"]' not in css  # an attribute selector misses lang="fa-IR"


# ------------------------------------------------------------------------------ the templates


def test_the_templates_escape_and_refuse_a_missing_name() -> None:
    env = pages.templates().env
    assert env.autoescape is True and env.undefined is jinja2.StrictUndefined
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    context = {
        "title": Value("t"),
        "iri": "i",
        "types": [],
        "rows": [],
        "evidence": None,
        "formats": [],
    }
    assert b"<h1>t</h1>" in pages.render_for("/", "resource.html", referenced_by=[], **context)
    with pytest.raises(jinja2.UndefinedError, match="referenced_by"):
        pages.render_for("/", "resource.html", **context)  # `{% if referenced_by %}` no more


@pytest.mark.parametrize("module", ["api.urls", "api.pages", "api.linkeddata"])
def test_the_page_modules_load_first_and_without_a_cycle(module: str) -> None:
    """Each loads first in a fresh interpreter; api.urls needs no other api module and
    api.pages does not need api.linkeddata (which uses api.pages)."""
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('api.')))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, check=True
    )
    loaded = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert module in loaded
    if module == "api.urls":
        assert loaded == ["api.urls"]
    if module == "api.pages":
        assert "api.linkeddata" not in loaded


def test_the_page_modules_import_nothing_while_drawing() -> None:
    """An import inside a function hides a cycle between modules until a page is drawn."""
    for name in ("urls", "pages", "linkeddata"):
        tree = ast.parse((paths.ROOT / "api" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                assert not inner, f"api/{name}.py: {node.name} imports when called"


# ------------------------------------------------------------------------------ the stylesheet


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(ink: str, paper: str) -> float:
    """The WCAG 2.1 contrast ratio of two colours (#rgb or #rrggbb).

    >>> round(contrast("#777", "#fff"), 2), round(contrast("#000", "#fff"), 1)
    (4.48, 21.0)
    """
    high, low = sorted((_luminance(ink), _luminance(paper)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colours(css: str) -> Iterator[tuple[str, str, str]]:
    """(selector, colour, background) of every rule that sets a text colour; variables are
    resolved from :root, a rule without a background is on white."""
    names = dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})", css))
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        resolved = re.sub(r"var\((--[\w-]+)\)", lambda m: names.get(m.group(1), m.group(0)), body)
        ink = re.search(r"(?<![-\w])color\s*:\s*(#[0-9a-fA-F]{3,6})", resolved)
        paper = re.search(r"background(?:-color)?\s*:\s*(#[0-9a-fA-F]{3,6})", resolved)
        if ink:
            yield selector.strip(), ink.group(1), paper.group(1) if paper else "#fff"


@pytest.mark.parametrize(
    "css",
    [
        STYLE.read_text(encoding="utf-8"),
        re.search(r"<style>(.*?)</style>", REPORT_TEMPLATE.read_text("utf-8"), re.S)[1],  # type: ignore[index]
    ],
    ids=["style.css", "report.html"],
)
def test_every_text_colour_meets_wcag_aa_contrast(css: str) -> None:
    found = list(text_colours(css))
    assert found, "the check reads the colours"
    for selector, ink, paper in found:
        assert contrast(ink, paper) >= 4.5, f"{selector}: {ink} on {paper}"


def test_the_check_of_contrast_can_fail() -> None:
    rules = list(text_colours(":root{--muted:#777}.lang{color:var(--muted)}"))
    assert rules == [(".lang", "#777", "#fff")] and contrast("#777", "#fff") < 4.5


def test_wide_content_stays_inside_a_phone_screen() -> None:
    css = STYLE.read_text(encoding="utf-8")
    assert re.search(r"\.scroll\s*\{[^}]*overflow-x:\s*auto", css)
    assert re.search(r"figure svg\s*\{[^}]*max-width:\s*100%[^}]*height:\s*auto", css)
    assert re.search(r"a\.external::after\s*\{[^}]*content:", css)  # not a colour alone
