"""Self-descriptions of the built graph: a VoID description and a SPARQL Service Description.

The VoID description is computed from the store with the `void-*.rq` queries, so its numbers
are those of the data actually served; the service description depends only on the endpoint's
settings. Every node either describes is an IRI minted under `https://w3id.org/rsme-kg/id/dataset`
(no blank nodes), so two descriptions of the same build are the same triples and a client may
link to a partition or linkset.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, Node, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from kg import iris, queries
from kg.namespaces import (
    BIBO,
    CORPUS_GRAPH,
    FABIO,
    FACTOR_SCHEME,
    ID,
    MAPPINGS_GRAPH,
    NAMED_GRAPHS,
    ONTOLOGY_GRAPH,
    PREFIXES,
    PROVENANCE_GRAPH,
    RSME,
    SD,
    TAXONOMY_GRAPH,
    VOID,
    bind_prefixes,
)
from kg.store.embedded import EmbeddedStore

DATASET = ID["dataset"]
DATASET_NS = Namespace(str(DATASET) + "/")
URI_SPACE = str(ID)
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
TITLE = "rsme-kg: factors in the internationalization of small and medium rural enterprises"
DESCRIPTION = (
    "A knowledge graph of a meta-synthesis of 48 studies on the internationalization of small "
    "and medium rural enterprises: the OWL ontology, the SKOS factor taxonomy, the coded corpus "
    "(studies, screening, codes and their evidence), the curated mappings of the taxonomy to "
    "Wikidata, STW and AGROVOC (SSSOM) and the provenance of the build."
)
VOCABULARIES = (RSME, SKOS, PROV, DCTERMS, FOAF, BIBO, FABIO)

GRAPH_TITLES: Mapping[URIRef, str] = {
    ONTOLOGY_GRAPH: "rsme-kg ontology (OWL 2 DL)",
    TAXONOMY_GRAPH: "rsme-kg factor taxonomy (SKOS)",
    MAPPINGS_GRAPH: "rsme-kg curated mappings to outside vocabularies (SKOS, SSSOM)",
    CORPUS_GRAPH: "rsme-kg coded corpus",
    PROVENANCE_GRAPH: "rsme-kg build provenance (PROV-O)",
}

FORMATS = Namespace("http://www.w3.org/ns/formats/")
# Media types the endpoint may offer -> the W3C's IRIs for those formats (sd:resultFormat).
FORMAT_IRIS: Mapping[str, URIRef] = {
    "application/sparql-results+json": FORMATS.SPARQL_Results_JSON,
    "application/sparql-results+xml": FORMATS.SPARQL_Results_XML,
    "text/csv": FORMATS.SPARQL_Results_CSV,
    "text/tab-separated-values": FORMATS.SPARQL_Results_TSV,
    "text/turtle": FORMATS.Turtle,
    "application/n-triples": FORMATS["N-Triples"],
    "application/ld+json": FORMATS["JSON-LD"],
    "application/rdf+xml": FORMATS.RDF_XML,
    "application/trig": FORMATS.TriG,
    "application/n-quads": FORMATS["N-Quads"],
}
# The store holds asserted triples only; HermiT checks the graph but adds nothing to it.
SIMPLE_ENTAILMENT = URIRef("http://www.w3.org/ns/entailment/Simple")


@dataclass(frozen=True)
class Outside:
    """An outside dataset that the graph links into, known by the URI space of its IRIs."""

    key: str
    title: str
    uri_space: str
    homepage: str

    @property
    def node(self) -> URIRef:
        """The IRI under which this description names the outside dataset."""
        return DATASET_NS[f"outside/{self.key}"]


# Only the vocabularies the taxonomy may map to (shared/vocabularies.md), plus the DOIs that
# studies are owl:sameAs.
OUTSIDE: tuple[Outside, ...] = (
    Outside("wikidata", "Wikidata", "http://www.wikidata.org/entity/", "https://www.wikidata.org/"),
    Outside(
        "stw", "STW Thesaurus for Economics", "http://zbw.eu/stw/descriptor/", "https://zbw.eu/stw/"
    ),
    Outside(
        "agrovoc", "AGROVOC", "http://aims.fao.org/aos/agrovoc/", "https://www.fao.org/agrovoc/"
    ),
    Outside("doi", "DOI (doi.org)", "https://doi.org/", "https://www.doi.org/"),
)

_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def void_description(
    store: EmbeddedStore, *, base_url: str, build_id: str, dump_url: str | None = None
) -> Graph:
    """A VoID description of the built dataset, with its numbers counted in the store.

    `base_url` is where the API is served (the SPARQL endpoint is `{base_url}/sparql` and this
    description `{base_url}/.well-known/void`); `build_id` names the build that made the data.
    """
    base_url = base_url.rstrip("/")
    g = bind_prefixes(Graph())
    d = DATASET

    document = URIRef(f"{base_url}/.well-known/void")
    g.add((document, RDF.type, VOID.DatasetDescription))
    g.add((document, FOAF.primaryTopic, d))

    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((d, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    g.add((d, DCTERMS.license, LICENSE))
    g.add((d, PROV.wasGeneratedBy, iris.build(build_id)))
    g.add((d, VOID.uriSpace, Literal(URI_SPACE)))
    g.add((d, VOID.sparqlEndpoint, URIRef(f"{base_url}/sparql")))
    if dump_url:
        g.add((d, VOID.dataDump, URIRef(dump_url)))
    for vocabulary in VOCABULARIES:
        g.add((d, VOID.vocabulary, URIRef(str(vocabulary))))
    g.add((d, VOID.rootResource, FACTOR_SCHEME))
    for row in queries.run(store, "void-examples"):
        for example in row.values():
            g.add((d, VOID.exampleResource, example))

    # aggregates without GROUP BY: always exactly one row
    size = queries.run(store, "void-size").solutions[0]
    for name in ("triples", "distinctSubjects", "distinctObjects", "properties"):
        g.add((d, VOID[name], _count(size[name])))
    entities = queries.run(store, "void-entities", space=URI_SPACE)
    # no row at all when nothing lies in the URI space (a group needs a member)
    g.add((d, VOID.entities, _count(entities.solutions[0]["entities"] if entities else None)))

    _add_class_partitions(g, store)
    _add_property_partitions(g, store)
    _add_graph_subsets(g, store)
    _add_linksets(g, store)
    return g


def service_description(*, endpoint_url: str, result_formats: list[str], build_id: str) -> Graph:
    """A SPARQL 1.1 Service Description of the read-only endpoint at `endpoint_url`.

    `result_formats` are the media types the endpoint can answer in; each becomes the W3C format
    IRI in sd:resultFormat (ValueError for one without such an IRI). `build_id` names the build
    whose data the endpoint serves.
    """
    g = bind_prefixes(Graph())
    g.bind("formats", FORMATS)
    service = BNode()
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint_url)))
    # Only the query language: the endpoint refuses updates, so sd:SPARQL11Update is not named.
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add(
        (
            service,
            RDFS.comment,
            Literal("Read-only: SPARQL 1.1 queries are answered; updates are refused.", lang="en"),
        )
    )
    for fmt in format_iris(result_formats):
        g.add((service, SD.resultFormat, fmt))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime, SIMPLE_ENTAILMENT))

    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, PROV.wasGeneratedBy, iris.build(build_id)))
    default_graph = BNode()
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    # The default graph is the union of the named graphs, i.e. the whole VoID dataset:
    # void:inDataset leads a client from here to its counts, partitions and linksets.
    g.add((default_graph, VOID.inDataset, DATASET))
    for name in NAMED_GRAPHS:
        named = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, name))
        # the graph's IRI is also its VoID subset, so the two descriptions join on it
        g.add((named, SD.graph, name))
        g.add((name, RDF.type, SD.Graph))
        g.add((name, DCTERMS.title, Literal(GRAPH_TITLES[name], lang="en")))
        g.add((name, VOID.inDataset, DATASET))
    return g


def format_iris(media_types: Iterable[str]) -> list[URIRef]:
    """The W3C format IRIs of media types (parameters and case ignored), in the given order.

    >>> [str(i) for i in format_iris(["text/csv", "Text/Turtle; charset=utf-8"])]
    ['http://www.w3.org/ns/formats/SPARQL_Results_CSV', 'http://www.w3.org/ns/formats/Turtle']
    """
    found: list[URIRef] = []
    for media_type in media_types:
        bare = media_type.split(";", 1)[0].strip().lower()
        if bare not in FORMAT_IRIS:
            known = ", ".join(FORMAT_IRIS)
            raise ValueError(f"no W3C format IRI for media type {media_type!r}; known: {known}")
        if FORMAT_IRIS[bare] not in found:
            found.append(FORMAT_IRIS[bare])
    return found


def slug(iri: str) -> str:
    """A readable, stable path segment for an IRI: `prefix-local` or a digest when none fits.

    >>> slug("https://w3id.org/rsme-kg/ontology#Study")
    'rsme-Study'
    >>> slug("http://example.org/a b")[:2]
    'h-'
    """
    fitting = [
        (len(namespace), prefix)
        for prefix, namespace in PREFIXES.items()
        if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(iri[len(namespace) :])
    ]
    if fitting:
        # the longest namespace wins: study: rather than a shorter one that also matches
        length, prefix = max(fitting)
        return f"{prefix}-{iri[length:]}"
    # an IRI outside the known namespaces (vann:, data loaded later): still one stable name
    return "h-" + hashlib.sha256(iri.encode()).hexdigest()[:16]


def _add_class_partitions(g: Graph, store: EmbeddedStore) -> None:
    rows = queries.run(store, "void-classes").solutions
    for row in rows:
        node = DATASET_NS[f"class/{slug(str(row['class']))}"]
        g.add((DATASET, VOID.classPartition, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, VOID["class"], row["class"]))
        g.add((node, VOID.entities, _count(row["entities"])))
    g.add((DATASET, VOID.classes, Literal(len(rows), datatype=XSD.integer)))


def _add_property_partitions(g: Graph, store: EmbeddedStore) -> None:
    for row in queries.run(store, "void-properties"):
        node = DATASET_NS[f"property/{slug(str(row['property']))}"]
        g.add((DATASET, VOID.propertyPartition, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, VOID.property, row["property"]))
        for name in ("triples", "distinctSubjects", "distinctObjects"):
            g.add((node, VOID[name], _count(row[name])))


def _add_graph_subsets(g: Graph, store: EmbeddedStore) -> None:
    for row in queries.run(store, "void-graphs"):
        node = row["graph"]
        if not isinstance(node, URIRef):
            continue
        g.add((DATASET, VOID.subset, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, VOID.triples, _count(row["triples"])))
        # a graph added later with `rsme-kg load` has no title of ours: its IRI says what it is
        title = GRAPH_TITLES.get(node, f"graph <{node}>")
        g.add((node, DCTERMS.title, Literal(title, lang="en")))


def _add_linksets(g: Graph, store: EmbeddedStore) -> None:
    for outside in OUTSIDE:
        rows = queries.run(store, "void-links", ours=URI_SPACE, space=outside.uri_space).solutions
        if not rows:
            continue  # a linkset nothing links through would only advertise a vocabulary
        g.add((outside.node, RDF.type, VOID.Dataset))
        g.add((outside.node, DCTERMS.title, Literal(outside.title, lang="en")))
        g.add((outside.node, VOID.uriSpace, Literal(outside.uri_space)))
        g.add((outside.node, FOAF.homepage, URIRef(outside.homepage)))
        for row in rows:
            predicate = row["predicate"]
            node = DATASET_NS[f"linkset/{outside.key}/{slug(str(predicate))}"]
            g.add((DATASET, VOID.subset, node))
            g.add((node, RDF.type, VOID.Linkset))
            # void:target for clients that do not reason; subjects/objectsTarget give direction
            g.add((node, VOID.target, DATASET))
            g.add((node, VOID.target, outside.node))
            g.add((node, VOID.subjectsTarget, DATASET))
            g.add((node, VOID.objectsTarget, outside.node))
            g.add((node, VOID.linkPredicate, predicate))
            g.add((node, VOID.triples, _count(row["triples"])))
            if row.get("mappingSet") is not None:  # the curated SSSOM set the links come from
                g.add((node, DCTERMS.source, row["mappingSet"]))


def _count(term: Node | None) -> Literal:
    """A count as an xsd:integer literal (0 for an unbound aggregate)."""
    if term is None:
        return Literal(0, datatype=XSD.integer)
    if not isinstance(term, Literal):
        raise TypeError(f"expected a number, got {term!r}")
    return Literal(int(term), datatype=XSD.integer)
