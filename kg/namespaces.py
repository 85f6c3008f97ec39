"""Namespaces and prefixes, in one place, for Turtle output, SPARQL and JSON-LD alike."""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/rsme-kg/"

RSME = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
SHAPES = Namespace(BASE + "shapes#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
CITO = Namespace("http://purl.org/spar/cito/")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
STW = Namespace("http://zbw.eu/stw/descriptor/")
AGROVOC = Namespace("http://aims.fao.org/aos/agrovoc/")

PREFIXES: dict[str, str] = {
    "rsme": str(RSME),
    "rsmesh": str(SHAPES),
    "study": str(ID["study/"]),
    "code": str(ID["code/"]),
    "factor": str(ID["factor/"]),
    "category": str(ID["category/"]),
    "outcome": str(ID["outcome/"]),
    "method": str(ID["method/"]),
    "person": str(ID["person/"]),
    "agent": str(ID["agent/"]),
    "scheme": str(ID["scheme/"]),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "bibo": str(BIBO),
    "fabio": str(FABIO),
    "cito": str(CITO),
    "schema": str(SCHEMA),
    "sh": str(SH),
    "void": str(VOID),
    "sd": str(SD),
    "wd": str(WD),
    "stw": str(STW),
    "agrovoc": str(AGROVOC),
}

# The build's named graphs.
ONTOLOGY_GRAPH = GRAPH["ontology"]
TAXONOMY_GRAPH = GRAPH["taxonomy"]
# the curated mappings to outside vocabularies (mappings/rsme-kg.sssom.tsv) as SKOS + SSSOM
MAPPINGS_GRAPH = GRAPH["mappings"]
CORPUS_GRAPH = GRAPH["corpus"]
PROVENANCE_GRAPH = GRAPH["provenance"]
# (the mappings last: code and tests that name a graph by its place keep their meaning)
NAMED_GRAPHS = (ONTOLOGY_GRAPH, TAXONOMY_GRAPH, CORPUS_GRAPH, PROVENANCE_GRAPH, MAPPINGS_GRAPH)

FACTOR_SCHEME = ID["scheme/factors"]


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on a graph (for readable Turtle), and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX declarations for every project prefix, to prepend to SPARQL text."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
