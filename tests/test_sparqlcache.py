"""rdflib's SPARQL processor with prepared queries kept (kg.sparqlcache) answers as rdflib's."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from pyshacl.errors import ValidationFailure
from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
from rdflib import Graph, Literal, Namespace, URIRef, plugin
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor, ResultRow

from kg import sparqlcache
from kg.oxmirror import Mirror

EX = Namespace("http://example.org/")
DATA = """
@prefix ex: <http://example.org/> .
ex:a ex:code ex:c1, ex:c2 ; ex:label "A"@en .
ex:b ex:code ex:c3 ; ex:label "B"@en, "ب"@fa .
ex:c ex:label "C"@en .
ex:c1 ex:direction "positive" . ex:c2 ex:direction "context" . ex:c3 ex:direction "positive" .
"""
# one query per focus node, as pySHACL asks: the answers must differ by the bound node
QUERIES = [
    "SELECT ?c WHERE { $this ex:code ?c } ORDER BY ?c",
    "SELECT (COUNT(?c) AS ?n) WHERE { $this ex:code ?c . ?c ex:direction 'positive' }",
    "SELECT ?l WHERE { $this ex:label ?l FILTER NOT EXISTS { $this ex:code ?x } }",
    "ASK { $this ex:label ?l FILTER(lang(?l) = 'fa') }",
]


def rows(graph: Graph, query: str, node: URIRef) -> list[tuple[object, ...]]:
    result = graph.query(query, initBindings={"this": node})
    if result.type == "ASK":
        return [(result.askAnswer,)]
    return [tuple(row) for row in result]


@pytest.fixture()
def default_processor() -> Iterator[None]:
    """rdflib's own processor, registered back after the test."""
    plugin.register("sparql", Processor, "rdflib.plugins.sparql.processor", "SPARQLProcessor")
    yield
    plugin.register("sparql", Processor, "rdflib.plugins.sparql.processor", "SPARQLProcessor")


def test_answers_are_rdflibs_for_every_bound_node(default_processor: None) -> None:
    graph = Graph().parse(data=DATA, format="turtle")
    nodes = [EX.a, EX.b, EX.c]
    plain = [rows(graph, q, n) for q in QUERIES for n in nodes]
    assert isinstance(plugin.get("sparql", Processor)(graph), SPARQLProcessor)
    sparqlcache.install()
    assert isinstance(plugin.get("sparql", Processor)(graph), sparqlcache.PreparingProcessor)
    before = sparqlcache.prepared.cache_info()
    kept = [rows(graph, q, n) for q in QUERIES for n in nodes]
    again = [rows(graph, q, n) for q in QUERIES for n in nodes]
    assert kept == plain == again
    assert [(EX.c1,), (EX.c2,)] in plain and [(Literal(1),)] in plain  # answers differ by node
    after = sparqlcache.prepared.cache_info()
    # each text is translated once; every other evaluation reuses it
    assert after.misses - before.misses <= len(QUERIES)
    assert after.hits - before.hits >= 2 * len(QUERIES) * len(nodes) - len(QUERIES)


def test_the_namespaces_lent_by_the_graph_are_part_of_the_key(default_processor: None) -> None:
    """The same text means different IRIs under different prefixes: never mixed up."""
    sparqlcache.install()
    one = Graph().parse(data=DATA, format="turtle")
    other = Graph().parse(
        data=DATA.replace("http://example.org/", "http://other.org/"), format="turtle"
    )
    one.bind("ex", EX, replace=True)
    other.bind("ex", Namespace("http://other.org/"), replace=True)
    query = "SELECT ?c WHERE { ex:a ex:code ?c } ORDER BY ?c"
    assert [str(r[0]) for r in one.query(query)] == [str(EX.c1), str(EX.c2)]
    assert [str(r[0]) for r in other.query(query)] == [
        "http://other.org/c1",
        "http://other.org/c2",
    ]


# --- pySHACL's vetting of a constraint's text, once per text --------------------------------


class CountingPattern:
    """A stand-in for one of pySHACL's compiled patterns that counts its searches."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.calls = pattern, 0

    def search(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.search(text)


def test_a_text_that_passed_is_not_vetted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    sparqlcache.install()
    counter = CountingPattern(SPARQLQueryHelper.has_minus_regex)
    monkeypatch.setattr(SPARQLQueryHelper, "has_minus_regex", counter)
    helper = object.__new__(SPARQLQueryHelper)  # the check reads only the class's patterns
    text = f"SELECT $this WHERE {{ $this <urn:p> ?o }} # {uuid.uuid4()}"
    for _ in range(3):
        assert helper.check_invalid_sparql(text) is True
    assert counter.calls == 1
    assert helper.check_invalid_sparql(text, valuenode=EX.v) is True  # another key: vetted
    assert counter.calls == 2


def test_a_text_that_fails_fails_every_time() -> None:
    sparqlcache.install()
    helper = object.__new__(SPARQLQueryHelper)
    text = "SELECT $this WHERE { $this <urn:p> ?o MINUS { $this <urn:q> ?o } }"
    for _ in range(2):
        with pytest.raises(ValidationFailure, match="MINUS"):
            helper.check_invalid_sparql(text)


# --- the Oxigraph mirror answers as rdflib does, or declines --------------------------------

XSD_NS = "http://www.w3.org/2001/XMLSchema#"
MIRRORED = f"""
@prefix ex: <http://example.org/> .
@prefix xsd: <{XSD_NS}> .
ex:c1 ex:start "5"^^xsd:nonNegativeInteger ; ex:end "12"^^xsd:nonNegativeInteger ;
      ex:quote "green" ; ex:study ex:s1 ; ex:weight "1.0"^^xsd:decimal .
ex:c2 ex:start "7"^^xsd:nonNegativeInteger ; ex:quote "blue"@en-GB ; ex:study ex:s1 .
ex:a1 ex:criterion "5"^^xsd:integer .
ex:s1 ex:title "Green and blue" ; ex:authors ( ex:p1 ex:p2 ) .
"""
# each asks what a shape's constraint asks of one focus node; some only rdflib may answer
MIRROR_QUERIES = [
    "SELECT $this ?value WHERE { $this ex:start ?value FILTER NOT EXISTS { $this ex:end ?e } }",
    "SELECT $this ?value ?end WHERE { $this ex:start ?value ; ex:end ?end "
    "FILTER (xsd:integer(?end) > xsd:integer(?value)) }",
    "SELECT $this ?value ?s WHERE { $this ex:quote ?value ; ex:study/ex:title ?t "
    "BIND (SUBSTR(STR(?t), 1, 5) AS ?s) FILTER (!CONTAINS(?t, STR(?value))) }",
    "SELECT $this ?value WHERE { $this ex:authors/rdf:rest*/rdf:first ?value }",
    "SELECT $this ?d WHERE { $this ex:start ?v BIND (DATATYPE(?v) AS ?d) }",
    "SELECT $this ?p ?o WHERE { $this ?p ?o }",
    "SELECT $this ?w WHERE { $this ex:weight ?w }",
    "SELECT $this ?l WHERE { $this ex:quote ?l BIND (LANG(?l) AS ?x) }",
    "SELECT $this ?x WHERE { ?x ex:criterion ?v . $this ex:start ?v }",
    "ASK { $this ex:start 5 }",
]
FOCUS = [EX.c1, EX.c2, EX.s1, EX.a1]


def answers(graph: Graph, query: str, node: URIRef) -> list[tuple[object, ...]]:
    """The answers with every term spelled out: type, lexical form, datatype, language."""
    result = graph.query(query, initNs={"ex": EX, "xsd": XSD_NS}, initBindings={"this": node})
    if result.type == "ASK":
        return [(result.askAnswer,)]

    def spelled(term: object) -> tuple[object, ...]:
        if isinstance(term, Literal):
            return ("literal", str(term), term.datatype, term.language)
        return (type(term).__name__, str(term))

    return sorted(tuple(spelled(t) for t in row) for row in result if isinstance(row, ResultRow))


def test_oxigraph_answers_are_rdflibs_term_for_term(default_processor: None) -> None:
    """Literal datatypes come back exactly: "5"^^xsd:nonNegativeInteger stays one, though
    Oxigraph itself holds it as an xsd:integer (the false violations of oxrdflib)."""
    graph = Graph().parse(data=MIRRORED, format="turtle")
    expected = {(q, n): answers(graph, q, n) for q in MIRROR_QUERIES for n in FOCUS}
    assert expected[(MIRROR_QUERIES[0], EX.c2)] == [
        (("URIRef", str(EX.c2)), ("literal", "7", URIRef(XSD_NS + "nonNegativeInteger"), None))
    ]
    sparqlcache.install()
    with sparqlcache.mirrored(graph) as mirror:
        assert mirror is not None
        got = {(q, n): answers(graph, q, n) for q in MIRROR_QUERIES for n in FOCUS}
        answered = [q for q in MIRROR_QUERIES if not mirror.declines(q)]
    assert got == expected
    # the plain ones went to Oxigraph (the retyped offsets included); those that could tell
    # the engines apart did not: ex:quote reaches "blue"@en-GB, which Oxigraph keeps as @en-gb
    assert answered == [MIRROR_QUERIES[i] for i in (0, 1, 3)]


def test_oxigraph_answers_only_its_own_graph(default_processor: None) -> None:
    graph = Graph().parse(data=MIRRORED, format="turtle")
    other = Graph().parse(data=MIRRORED, format="turtle")
    other.remove((EX.c1, EX.end, None))
    sparqlcache.install()
    with sparqlcache.mirrored(graph):
        # the other graph has no end for c1: its own answer, not the mirror's
        assert answers(other, MIRROR_QUERIES[0], EX.c1) != []
        assert answers(graph, MIRROR_QUERIES[0], EX.c1) == []


@pytest.mark.parametrize(
    ("text", "declined"),
    [
        (
            "SELECT $this ?v WHERE { $this ex:p ?v FILTER (?v > 1900 || regex(str(?v), 'x')) }",
            False,
        ),
        ("SELECT $this ?v WHERE { $this ex:p ?v . BIND (CONCAT('a', str(?v)) AS ?w) }", False),
        ("SELECT $this ?v WHERE { $this ?p ?v }", True),
        ("SELECT $this ?v WHERE { $this ex:p ?x ; ?q ?v }", True),
        ("SELECT $this ?v WHERE { $this !ex:p ?v }", True),
        ("SELECT $this ?v WHERE { $this ex:p 'abc' }", True),
        ("SELECT $this ?v WHERE { $this ex:p ?v , 5 }", True),
        ("SELECT $this ?v WHERE { $this ex:p ?v FILTER (?v = '5'^^xsd:integer) }", True),
        ("SELECT $this ?v WHERE { $this ex:p ?v FILTER (sameTerm(?v, ?v)) }", True),
        ("SELECT $this ?v WHERE { $this ex:p ?v FILTER EXISTS { ?v ?p ?o } }", True),
        # a comment or a '#' in an IRI hides nothing
        ("SELECT $this ?v WHERE { $this <urn:x#p> ?v . # ?v ex:q 1\n ?v ?p ?o }", True),
    ],
)
def test_what_the_mirror_declines(text: str, declined: bool) -> None:
    mirror = Mirror.of(Graph().parse(data=DATA, format="turtle"))
    assert mirror is not None
    assert mirror.declines(text) is declined


def test_prefix_lines_are_written_as_pyshacl_writes_them() -> None:
    sparqlcache.install()
    helper = object.__new__(SPARQLQueryHelper)
    helper.prefixes = {"rsme": "https://w3id.org/rsme-kg/ontology#", "xsd": XSD_NS}
    expected = (
        "PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>\n"
        f"PREFIX xsd: <{XSD_NS}>\n"
        "\nSELECT $this WHERE { $this rsme:quote ?q }"
    )
    for _ in range(2):  # written, then remembered
        assert helper.apply_prefixes("SELECT $this WHERE { $this rsme:quote ?q }") == expected
    helper.prefixes = {"xsd": XSD_NS}  # other prefixes: other lines
    assert helper.apply_prefixes("ASK {}") == f"PREFIX xsd: <{XSD_NS}>\n\nASK {{}}"
