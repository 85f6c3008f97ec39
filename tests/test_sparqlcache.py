"""rdflib's SPARQL processor with prepared queries kept (kg.sparqlcache) answers as rdflib's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal, Namespace, URIRef, plugin
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.query import Processor

from kg import sparqlcache

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
