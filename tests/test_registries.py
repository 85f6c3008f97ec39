"""Registries instead of hand-kept lists: one place per picture, one place per shape's field.

A picture is registered once, on its drawing function in kg/analysis/figures.py, and the report,
the CLI and the API read it; a SPARQL-based SHACL shape names the CSV field its results are
about in the shape itself (rsme:reportsField), and kg/validate.py reads it from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, SH

from kg import paths
from kg.analysis import document, figures
from kg.analysis.report import Analysis, analyse
from kg.namespaces import RSME
from kg.records import Origin
from kg.validate import load_shapes, validate
from tests.test_analysis_settings import dataset

# The pictures as kg/analysis/figures.py (NAMES) and kg/analysis/document.py (CAPTIONS,
# FIGURE_AFTER) listed them by hand before the registry: the registry must keep them as they were.
NAMES = ("model", "heatmap", "flow", "cooccurrence", "timeline")
CAPTIONS = {
    "model": "The integrated model: categories and the factors the studies support, leading to "
    "internationalization. Boxes and arrows count support only; the settings studied (codes "
    "whose direction is context) are counted apart, in the band under the model",
    "heatmap": "The study x factor frequency matrix (support codes; settings not counted)",
    "flow": "Screening flow (PRISMA 2020)",
    "cooccurrence": "Factor co-occurrence: factors supported by the same study",
    "timeline": "Evidence over time (support codes; settings not counted)",
}
FIGURE_AFTER = {
    "flow": ["flow", "model"],
    "categories": ["heatmap"],
    "cooccurrence": ["cooccurrence"],
    "timeline": ["timeline"],
}
# kg/validate.py's FIELD_OF_SHAPE before the fields moved into the shapes
FIELD_OF_SHAPE = {
    "CodeQuoteInTitleShape": "quote",
    "CodeSelectionPairShape": "start",
    "CodeSelectionInTitleShape": "start",
    "StudyDoiSameAsShape": "doi",
    "ScreeningExcludedReasonShape": "reason",
    "ScreeningIncludedNoReasonShape": "reason",
    "AppraisalUniqueCriterionShape": "criterion",
}
CAPTION = "A widget: drawn by a test, to show that one registration is enough"


@pytest.fixture(scope="module")
def small() -> Analysis:
    return analyse(dataset())


def _widget(analysis: Analysis, lang: str = "en") -> Figure:
    """A trivial picture: one line of text."""
    fig = Figure(figsize=(figures.WIDTH, 1.0))
    fig.text(0.5, 0.5, f"{len(analysis.dataset.codes)} codes ({lang})", ha="center")
    return fig


@pytest.fixture()
def widget() -> Iterator[figures.Picture]:
    """A picture registered by this test (after the flow table's pictures), removed after it."""
    entry = figures.register(figures.Picture("widget", CAPTION, "figure-model", _widget))
    try:
        yield entry
    finally:
        figures.unregister("widget")
    assert "widget" not in figures.names()


def _stub_svgs() -> dict[str, bytes]:
    return {n: f'<?xml version="1.0"?><svg id="svg-{n}"></svg>'.encode() for n in figures.names()}


def _figure_ids(page: str) -> list[str]:
    return re.findall(r'<figure id="figure-([a-z0-9-]+)">', page)


# --- pictures ---------------------------------------------------------------------------------


def test_the_pictures_keep_their_names_order_captions_and_places(small: Analysis) -> None:
    assert figures.names() == NAMES
    assert figures.in_words() == "model, heatmap, flow, cooccurrence or timeline"
    assert {p.name: p.caption for p in figures.pictures()} == CAPTIONS
    made = document.tables(small)
    placed = document.placement([t.name for t in made])
    assert {t: [p.name for p in ps] for t, ps in placed.items() if ps} == FIGURE_AFTER
    # in the page: each picture right after its table (or the picture it follows)
    page = document.render_html(small, _stub_svgs(), "now", made=made)
    assert _figure_ids(page) == ["flow", "model", "heatmap", "cooccurrence", "timeline"]
    order = re.findall(r'<(?:h2|figure) id="([a-z0-9-]+)"', page)
    for table, names in FIGURE_AFTER.items():
        at = order.index(table)
        assert order[at + 1 : at + 1 + len(names)] == [f"figure-{n}" for n in names]
    text = document.render_md(small, "now", made)
    for name, caption in CAPTIONS.items():
        assert f"![{caption}](figures/{name}.png)" in text
        assert f"<figcaption>{escape(caption)} (" in page


def test_a_registered_picture_is_in_the_report_and_the_names(
    small: Analysis, widget: figures.Picture
) -> None:
    assert figures.names() == (*NAMES, "widget")
    assert figures.in_words() == "model, heatmap, flow, cooccurrence, timeline or widget"
    assert figures.lookup("widget") is widget
    made = document.tables(small)
    page = document.render_html(small, _stub_svgs(), "now", made=made)
    # after the picture it follows, the others where they were
    assert _figure_ids(page) == ["flow", "model", "widget", "heatmap", "cooccurrence", "timeline"]
    assert f'<figure id="figure-widget"><svg id="svg-widget"></svg><figcaption>{CAPTION} (' in page
    assert '<a href="figures/widget.png">PNG</a>' in page
    text = document.render_md(small, "now", made)
    assert f"![{CAPTION}](figures/widget.png)\n\n*{CAPTION}*" in text
    assert text.index("figures/model.png") < text.index("figures/widget.png")
    assert text.index("figures/widget.png") < text.index("## Factors by number of studies")
    svg = figures.draw(small, "widget", "svg")
    assert b"<svg" in svg and figures.draw(small, "widget", "png").startswith(b"\x89PNG")


def test_a_registered_picture_is_written_into_the_report_folder(
    small: Analysis, widget: figures.Picture, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    page = document.write_report(small, out, "html")
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted(
        f"{n}.{x}" for n in (*NAMES, "widget") for x in ("svg", "png")
    )
    assert 'id="figure-widget"' in page.read_text(encoding="utf-8")
    document.write_report(small, out, "md")  # its files belong to a report: replaced, not refused
    assert "figures/widget.png" in (out / "report.md").read_text(encoding="utf-8")


def test_a_picture_whose_place_the_report_lacks_stands_at_its_end(small: Analysis) -> None:
    figures.register(figures.Picture("stray", "Placed nowhere", "no-such-table", _widget))
    try:
        page = document.render_html(small, _stub_svgs(), "now")
        assert _figure_ids(page)[-1] == "stray"
        assert page.index('id="figure-stray"') > page.index('<h2 id="appraisal"')
        assert document.render_md(small, "now").rstrip().endswith("*Placed nowhere*")
    finally:
        figures.unregister("stray")


@pytest.mark.parametrize("name", ["model", "Widget", "two words", "../up", ""])
def test_a_picture_name_is_new_and_fit_for_a_file_and_a_url(name: str) -> None:
    with pytest.raises(ValueError, match="picture"):
        figures.register(figures.Picture(name, "caption", "flow", _widget))
    assert figures.names() == NAMES


def test_the_picture_names_are_listed_nowhere_else() -> None:
    """No module but the registry's spells out the list of pictures (prose may name one)."""
    between = r"\W+(?:(?:or|and)\W+)?"
    listing = re.compile(between.join(NAMES))
    sources = [*(paths.ROOT / "kg").rglob("*.py"), *(paths.ROOT / "api").rglob("*.py")]
    sources.remove(paths.ROOT / "kg" / "analysis" / "figures.py")
    found = [
        str(p.relative_to(paths.ROOT))
        for p in sources
        if listing.search(text := p.read_text(encoding="utf-8")) or '"heatmap"' in text
    ]
    assert found == []


# --- the fields of the shapes -----------------------------------------------------------------


def _sparql_shapes(shapes: Graph) -> set[URIRef]:
    """Shapes with a SPARQL-based constraint and no path: only they can name their field."""
    return {
        s
        for s in shapes.subjects(SH.sparql, None)
        if isinstance(s, URIRef) and (s, SH.path, None) not in shapes
    }


def test_every_sparql_shape_declares_the_field_it_reports_on() -> None:
    shapes = load_shapes(paths.SHAPES_DIR)
    declared = {
        str(s).rsplit("#", 1)[-1]: str(shapes.value(s, RSME.reportsField))
        for s in _sparql_shapes(shapes)
    }
    assert declared == FIELD_OF_SHAPE
    # each a column of the data files
    columns = {
        c
        for f in (paths.ROOT / "data").glob("*.csv")
        for c in f.read_text(encoding="utf-8").splitlines()[0].split(",")
    }
    assert set(declared.values()) <= columns


def test_the_ontology_declares_the_annotation() -> None:
    ontology = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    assert (RSME.reportsField, RDF.type, OWL.AnnotationProperty) in ontology


WIDGET_SHAPES = """
@prefix rsmesh: <https://w3id.org/rsme-kg/shapes#> .
@prefix rsme: <https://w3id.org/rsme-kg/ontology#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .

rsmesh:WidgetColourShape a sh:NodeShape ;
    sh:targetClass rsme:Widget ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "{$this} is red." ;
        sh:select "SELECT $this WHERE { $this <https://w3id.org/rsme-kg/ontology#colour> 'red' }"
    ] ;
    %s
    sh:message "No widget is red." .
"""
WIDGET = URIRef("https://w3id.org/rsme-kg/id/widget/w1")


@pytest.mark.parametrize("declared", [True, False])
def test_a_shape_reports_the_field_it_declares(declared: bool) -> None:
    shapes = Graph().parse(
        data=WIDGET_SHAPES % ('rsme:reportsField "colour" ;' if declared else ""),
        format="turtle",
    )
    data = Graph()
    data.add((WIDGET, RDF.type, RSME.Widget))
    data.add((WIDGET, RSME.colour, RSME["red"]))  # an IRI: no result
    data.parse(data=f"<{WIDGET}> <{RSME.colour}> 'red' .", format="turtle")
    origin = Origin(Path("widgets.csv"), 3, (("id", 1), ("colour", 2)))
    report = validate(data, shapes, {WIDGET: origin})
    (violation,) = report.violations
    assert not report.conforms and violation.shape == "rsmesh:WidgetColourShape"
    if declared:
        assert violation.field == "colour"
        assert str(violation).startswith("widgets.csv, line 3, column 2, field 'colour': ")
    else:  # nothing else tells the field: the line only
        assert violation.field is None
        assert str(violation).startswith("widgets.csv:3: Violation: ")
