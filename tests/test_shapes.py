"""Tests for the SHACL shapes in shapes/*.ttl against the fixtures in tests/shapes/.

* tests/shapes/valid/*.ttl must conform (no validation result of any severity).
* tests/shapes/invalid/*.ttl must not conform, and the set of sh:sourceShape local names of
  the (top-level) validation results must equal the set named on the fixture's first line:
      # expect: ShapeA [ShapeB ...]
* Every shape file is covered by at least one valid and one invalid fixture, and every
  constraint-bearing shape is exercised by at least one invalid fixture.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Namespace, URIRef, plugin
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.query import Processor

from kg.validate import validate as kg_validate

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
FIXTURES_DIR = Path(__file__).resolve().parent / "shapes"
VALID = sorted((FIXTURES_DIR / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES_DIR / "invalid").glob("*.ttl"))
SHAPE_FILES = sorted(SHAPES_DIR.glob("*.ttl"))

RSMESH = Namespace("https://w3id.org/rsme-kg/shapes#")
EXPECT_RE = re.compile(r"^#\s*expect:\s*(\S.*?)\s*$")

# Constraint parameters that make a shape produce validation results of its own.
SHAPE_REFERENCES = (SH.node, SH.qualifiedValueShape, SH["not"])
SHAPE_LIST_REFERENCES = (SH["or"], SH["and"], SH.xone)
TARGET_PREDICATES = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@cache
def shape_file_graph(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@cache
def shapes_graph() -> Graph:
    g = Graph()
    for path in SHAPE_FILES:
        g += shape_file_graph(path)
    return g


def local_name(node) -> str:
    return str(node).rsplit("#", 1)[-1]


def shape_nodes(g: Graph) -> set:
    """Every node that is (or is used as) a shape in g."""
    nodes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for p in (*TARGET_PREDICATES, SH.property, SH.path, SH.sparql):
        nodes |= set(g.subjects(p, None))
    nodes |= set(g.objects(None, SH.property))
    for p in SHAPE_REFERENCES:
        nodes |= set(g.objects(None, p))
    for p in SHAPE_LIST_REFERENCES:
        for head in g.objects(None, p):
            nodes |= set(Collection(g, head))
    return nodes


def reportable_shapes(g: Graph) -> set[str]:
    """Shapes that can appear as sh:sourceShape of a top-level result: the property shapes of
    targeted node shapes, and targeted node shapes that carry a SPARQL-based constraint."""
    names = set()
    for p in TARGET_PREDICATES:
        for shape in g.subjects(p, None):
            if (shape, SH.sparql, None) in g:
                names.add(local_name(shape))
            for prop in g.objects(shape, SH.property):
                names.add(local_name(prop))
    return names


def defined_shape_names(g: Graph) -> set[str]:
    return {local_name(n) for n in shape_nodes(g) if isinstance(n, URIRef)}


def expected_shapes(path: Path) -> set[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT_RE.match(first)
    assert m, f"{path.name}: first line must be '# expect: <ShapeName> [...]', got {first!r}"
    return set(m.group(1).split())


def run_validation(path: Path):
    data = Graph().parse(path, format="turtle")
    conforms, results_graph, results_text = validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=True,
    )
    return data, conforms, results_graph, results_text


def top_level_results(results_graph: Graph) -> list:
    """Results hanging directly off the report (not nested sh:detail results)."""
    return [
        r
        for report in results_graph.subjects(RDF.type, SH.ValidationReport)
        for r in results_graph.objects(report, SH.result)
    ]


def violated_shapes(results_graph: Graph) -> set[str]:
    names = set()
    for r in top_level_results(results_graph):
        source = results_graph.value(r, SH.sourceShape)
        assert isinstance(source, URIRef) and str(source).startswith(str(RSMESH)), (
            f"result reported by a shape without an rsmesh: IRI: {source!r}"
        )
        names.add(local_name(source))
    return names


# ---------------------------------------------------------------------------
# fixtures against shapes
# ---------------------------------------------------------------------------


def test_fixture_folders_are_populated():
    assert SHAPE_FILES, "no shapes/*.ttl"
    assert VALID, "no tests/shapes/valid/*.ttl"
    assert INVALID, "no tests/shapes/invalid/*.ttl"


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_fixture_conforms(path: Path):
    _, conforms, results_graph, results_text = run_validation(path)
    results = top_level_results(results_graph)
    assert conforms and not results, f"{path.name} should conform:\n{results_text}"


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_fixture_violates_exactly_expected_shapes(path: Path):
    expected = expected_shapes(path)
    _, conforms, results_graph, results_text = run_validation(path)
    assert not conforms, f"{path.name} should not conform:\n{results_text}"
    got = violated_shapes(results_graph)
    assert got == expected, (
        f"{path.name}: expected violations of {sorted(expected)}, got {sorted(got)}\n{results_text}"
    )


# ---------------------------------------------------------------------------
# coverage
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape_file", SHAPE_FILES, ids=[p.name for p in SHAPE_FILES])
def test_shape_file_covered_by_valid_and_invalid_fixtures(shape_file: Path):
    g = shape_file_graph(shape_file)
    names = defined_shape_names(g)
    invalid_hits = [p.name for p in INVALID if expected_shapes(p) & names]
    assert invalid_hits, f"no invalid fixture expects a violation of a shape in {shape_file.name}"

    target_classes = set(g.objects(None, SH.targetClass))
    assert target_classes, f"{shape_file.name} targets no class"
    valid_hits = []
    for p in VALID:
        data = Graph().parse(p, format="turtle")
        if any((None, RDF.type, cls) in data for cls in target_classes):
            valid_hits.append(p.name)
    assert valid_hits, f"no valid fixture has an instance of a class targeted by {shape_file.name}"


def test_every_reportable_shape_has_an_invalid_fixture():
    expected_anywhere = set().union(*(expected_shapes(p) for p in INVALID))
    missing = reportable_shapes(shapes_graph()) - expected_anywhere
    assert not missing, f"shapes never exercised by an invalid fixture: {sorted(missing)}"


def test_expect_lines_name_defined_shapes():
    defined = defined_shape_names(shapes_graph())
    for p in INVALID:
        unknown = expected_shapes(p) - defined
        assert not unknown, f"{p.name} expects unknown shapes {sorted(unknown)}"


# ---------------------------------------------------------------------------
# shape hygiene
# ---------------------------------------------------------------------------


def test_every_shape_has_an_iri_label_and_message():
    g = shapes_graph()
    problems = []
    for node in shape_nodes(g):
        if not isinstance(node, URIRef) or not str(node).startswith(str(RSMESH)):
            problems.append(
                f"shape without an rsmesh: IRI: {node!r} {list(g.predicate_objects(node))[:3]}"
            )
            continue
        name = local_name(node)
        if not (g.value(node, RDFS.label) or g.value(node, SH.name)):
            problems.append(f"{name}: no rdfs:label / sh:name")
        if (node, SH.path, None) in g and g.value(node, SH.name) is None:
            problems.append(f"{name}: property shape without sh:name")
        if g.value(node, SH.message) is None:
            problems.append(f"{name}: no sh:message")
    for constraint in g.objects(None, SH.sparql):
        if not isinstance(constraint, URIRef):
            problems.append(f"SPARQL constraint without IRI: {constraint!r}")
        elif g.value(constraint, SH.message) is None:
            problems.append(f"{local_name(constraint)}: SPARQL constraint without sh:message")
    assert not problems, "\n".join(sorted(problems))


@pytest.mark.parametrize("shape_file", SHAPE_FILES, ids=[p.name for p in SHAPE_FILES])
def test_shape_file_is_self_contained(shape_file: Path):
    """Each file loads on its own (own prefixes, own sh:declare) and validates an empty graph."""
    g = shape_file_graph(shape_file)
    assert (None, RDF.type, OWL.Ontology) in g
    conforms, _, text = validate(Graph(), shacl_graph=g, inference="none", advanced=True)
    assert conforms, text


def test_shape_names_are_unique_across_files():
    seen: dict[str, str] = {}
    for path in SHAPE_FILES:
        g = shape_file_graph(path)
        for node in g.subjects(RDF.type, None):
            if isinstance(node, BNode) or not str(node).startswith(str(RSMESH)):
                continue
            name = local_name(node)
            assert seen.get(name, path.name) == path.name, (
                f"{name} defined in {seen[name]} and {path.name}"
            )
            seen[name] = path.name


def test_shapes_graph_passes_shacl_shacl():
    """The merged shapes graph is itself well-formed SHACL (pyshacl meta_shacl)."""
    conforms, _, text = validate(
        Graph(), shacl_graph=shapes_graph(), inference="none", advanced=True, meta_shacl=True
    )
    assert conforms, text


# ---------------------------------------------------------------------------
# the project's way of running pyshacl (kg.validate) reports as plain pyshacl does
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*VALID, *INVALID], ids=[p.name for p in [*VALID, *INVALID]])
def test_kg_validate_reports_as_plain_pyshacl(path: Path):
    """kg.validate keeps prepared queries, vets a constraint's text once and lets Oxigraph
    answer the SPARQL it answers exactly: the report is the one pyshacl gives with rdflib's own
    SPARQL engine, result for result (an isomorphic graph), literal datatypes included."""
    data = Graph().parse(path, format="turtle")
    plugin.register("sparql", Processor, "rdflib.plugins.sparql.processor", "SPARQLProcessor")
    conforms, reference, text = validate(
        data, shacl_graph=shapes_graph(), inference="none", advanced=True, allow_warnings=True
    )
    report = kg_validate(data, shapes_graph())
    assert report.conforms == conforms, text
    assert isomorphic(report.graph, reference), f"{path.name}: reports differ\n{text}"
