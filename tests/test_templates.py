"""The pages drawn from templates: the linked-data pages, the evidence view, the ontology and
shapes documentation and the analysis report (on the server and as `rsme-kg report`'s file).

Each page is read as a document: one layout (title, skip link, stylesheet, favicon), headings
in order, wide tables in a box that scrolls, Persian text marked as such, and text from the
graph escaped, never taken as markup. The hostile text is put into graphs and tables here, so
a template that marked a value safe would let it through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import Request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from api import pages
from api.linkeddata import evidence_page, resource_page
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


# ------------------------------------------------------------------------------ reading pages


class Outline(HTMLParser):
    """What the tests read of a page: title, headings, tables and where they sit, the
    language and direction around each text, links and the layout's parts."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.headings: list[int] = []
        self.header_cells: list[dict[str, str | None]] = []
        self.tables: list[bool] = []  # per table with a header row: is it in a .scroll box?
        self.boxes: list[dict[str, str | None]] = []
        self.texts: list[tuple[str, str | None, str | None]] = []  # (text, lang, dir)
        self.links: list[tuple[str, dict[str, str | None]]] = []
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
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "th":
            self.header_cells.append(a)
        elif tag == "thead":
            self.tables.append(any("scroll" in (b.get("class") or "") for _, b in self._stack))
        elif tag == "div" and "scroll" in (a.get("class") or "").split():
            self.boxes.append(a)
        elif tag == "a" and a.get("href"):
            self.links.append((str(a["href"]), a))
            self.skip = self.skip or (a.get("class") == "skip" and a["href"] == "#main")
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets += 1
        elif tag == "link" and a.get("rel") == "icon":
            self.icons += 1
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
    assert all(page.tables), "every table with a header row scrolls inside its own box"
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
    assert body.count(ESCAPED) >= 3  # title, heading, label, definition, quote (referenced by)
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
    assert body.count(ESCAPED) >= 5  # title, heading, link to the factor, study, direction...
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
    assert sum(1 for t in page.texts if t == (PERSIAN, "fa", "rtl")) >= 3  # heading, outside, h1
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
    assert "<script>" not in body and body.count(ESCAPED) >= 2  # the label and the message
    assert 'id="ThingShape"' in body and 'id="ThingLabelShape"' in body and 'id="thing"' in body
    page = assert_sound(body)
    assert (PERSIAN, "fa", "rtl") in page.texts and ("پیام", "fa", "rtl") in page.texts


def _stub_svgs() -> dict[str, bytes]:
    return {n: f'<?xml version="1.0"?><svg id="svg-{n}"></svg>'.encode() for n in figures.names()}


def test_the_report_escapes_its_tables_and_keeps_its_pictures() -> None:
    analysis = analyse(dataset())
    made = [
        *document.tables(analysis),
        document.Table("hostile", HOSTILE, ["name", HOSTILE], [[HOSTILE, 1]], note=HOSTILE),
    ]
    for page in (
        document.render_html(analysis, _stub_svgs(), "now", made=made),
        pages_body(analysis, made),
    ):
        assert "<script>" not in page
        assert page.count(ESCAPED) == 5  # heading, note, header cell, cell, the box's label
        for name in figures.names():  # our own pictures go in as they are
            assert f'<figure id="figure-{name}"><svg id="svg-{name}"></svg><figcaption>' in page
    file = document.render_html(analysis, _stub_svgs(), "now", made=made)
    assert_sound(file, layout=False)
    assert not any(tag in file for tag in ("<link", "<script", "<img", "<iframe"))
    assert "<style>" in file and ".scroll{overflow-x:auto" in file


def pages_body(analysis: Analysis, made: list[document.Table]) -> str:
    """The body the server puts in its layout, from the same context as the file."""
    context = document.report_context(analysis, _stub_svgs(), "now", made=made)
    return str(document._templates().get_template("body.html").render(context))


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
