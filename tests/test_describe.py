"""VoID and service descriptions of the real build: their numbers against independent counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, Node, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg import paths, pipeline
from kg.describe import DATASET, FORMAT_IRIS, service_description, void_description
from kg.namespaces import NAMED_GRAPHS, RSME, SD, VOID, WD
from kg.sssom import read_sssom
from kg.store.embedded import EmbeddedStore
from tests.corpus import corpus

Built = tuple[Path, dict[str, object]]

BASE_URL = "http://127.0.0.1:8000"
DUMP_URL = BASE_URL + "/dump/rsme-kg.trig"
ENDPOINT = BASE_URL + "/sparql"
ALL_MEDIA_TYPES = list(FORMAT_IRIS)


@pytest.fixture(scope="module")
def void(store: EmbeddedStore, built: Built) -> Graph:
    """The VoID description of the session build."""
    return void_description(
        store, base_url=BASE_URL, build_id=str(built[1]["build_id"]), dump_url=DUMP_URL
    )


@pytest.fixture(scope="module")
def dump(built: Built) -> Dataset:
    """The build's TriG dump read with rdflib: a count of the data that does not use the store."""
    dataset = Dataset()
    dataset.parse(built[0] / pipeline.TRIG_NAME, format="trig")
    return dataset


def number(graph: Graph, node: Node, prop: URIRef) -> int:
    """The one integer value of `prop` on `node`."""
    values = list(graph.objects(node, prop))
    assert len(values) == 1, f"{node} has {len(values)} values of {prop}"
    (value,) = values
    assert isinstance(value, Literal)
    return int(value)


def partition(graph: Graph, kind: URIRef, key: URIRef, term: URIRef) -> URIRef:
    """The one partition of the dataset (by `kind`) whose `key` is `term`."""
    found = [p for p in graph.objects(DATASET, kind) if (p, key, term) in graph]
    assert len(found) == 1, f"{len(found)} partitions for {term}"
    assert isinstance(found[0], URIRef)
    return found[0]


def linkset(graph: Graph, outside_space: str, predicate: URIRef) -> URIRef:
    """The one linkset with `predicate` whose outside target has the URI space given."""
    found = []
    for node in graph.subjects(RDF.type, VOID.Linkset):
        if (node, VOID.linkPredicate, predicate) not in graph:
            continue
        targets = set(graph.objects(node, VOID.target))
        spaces = {str(s) for t in targets for s in graph.objects(t, VOID.uriSpace)}
        if DATASET in targets and outside_space in spaces:
            found.append(node)
    assert len(found) == 1, f"{len(found)} linksets into {outside_space} by {predicate}"
    assert isinstance(found[0], URIRef)
    return found[0]


def test_triples_equal_the_store_and_the_sum_of_the_graph_subsets(
    void: Graph, store: EmbeddedStore
) -> None:
    assert number(void, DATASET, VOID.triples) == len(store)
    subsets = {s for s in void.objects(DATASET, VOID.subset) if s in NAMED_GRAPHS}
    assert subsets == set(NAMED_GRAPHS)
    assert sum(number(void, s, VOID.triples) for s in subsets) == len(store)


def test_graph_subsets_count_each_graph_and_have_titles(void: Graph, dump: Dataset) -> None:
    for name in NAMED_GRAPHS:
        assert number(void, name, VOID.triples) == len(dump.graph(name))
        assert (name, RDF.type, VOID.Dataset) in void
        assert void.value(name, URIRef("http://purl.org/dc/terms/title")) is not None


def test_distinct_subjects_objects_and_entities_match_rdflib(void: Graph, dump: Dataset) -> None:
    triples = {(s, p, o) for s, p, o, _ in dump.quads((None, None, None, None))}
    subjects = {s for s, _, _ in triples}
    assert number(void, DATASET, VOID.distinctSubjects) == len(subjects)
    assert number(void, DATASET, VOID.distinctObjects) == len({o for _, _, o in triples})
    assert number(void, DATASET, VOID.properties) == len({p for _, p, _ in triples})
    ours = {s for s in subjects if str(s).startswith("https://w3id.org/rsme-kg/id/")}
    assert number(void, DATASET, VOID.entities) == len(ours)
    classes = {o for _, p, o in triples if p == RDF.type and isinstance(o, URIRef)}
    assert number(void, DATASET, VOID.classes) == len(classes)


def test_class_partitions_count_studies_and_codes(void: Graph) -> None:
    study = partition(void, VOID.classPartition, VOID["class"], RSME.Study)
    code = partition(void, VOID.classPartition, VOID["class"], RSME.Code)
    assert number(void, study, VOID.entities) == len(corpus().studies)
    assert number(void, code, VOID.entities) == len(corpus().codes)
    partitions = list(void.objects(DATASET, VOID.classPartition))
    assert len(partitions) == number(void, DATASET, VOID.classes)


def test_property_partitions_count_codes_factor_and_sum_to_the_triples(void: Graph) -> None:
    codes = partition(void, VOID.propertyPartition, VOID.property, RSME.codesFactor)
    assert number(void, codes, VOID.triples) == len(corpus().codes)
    partitions = list(void.objects(DATASET, VOID.propertyPartition))
    assert len(partitions) == number(void, DATASET, VOID.properties)
    total = sum(number(void, p, VOID.triples) for p in partitions)
    assert total == number(void, DATASET, VOID.triples)


def test_wikidata_broad_match_linkset_counts_the_taxonomy_mappings(void: Graph) -> None:
    # the taxonomy's mappings are curated in mappings/rsme-kg.sssom.tsv (moved there from
    # ontology/factors.ttl): counted in the file's rows
    curated = read_sssom(paths.MAPPINGS_FILE)
    expected = sum(
        1
        for m in curated.mappings
        if curated.expand(m.predicate_id) == str(SKOS.broadMatch)
        and curated.expand(m.object_id).startswith(WD)
    )
    assert expected > 0  # else the linkset could not be there and the test would prove nothing
    node = linkset(void, str(WD), SKOS.broadMatch)
    assert number(void, node, VOID.triples) == expected


def test_doi_linkset_counts_every_doi(void: Graph) -> None:
    node = linkset(void, "https://doi.org/", OWL.sameAs)
    assert number(void, node, VOID.triples) == sum(1 for s in corpus().studies.values() if s["doi"])
    assert (node, VOID.subjectsTarget, DATASET) in void


def test_no_linkset_for_a_mapping_nobody_uses(void: Graph) -> None:
    # the taxonomy has no skos:narrowMatch, so advertising a linkset for it would be false
    assert not any(void.subjects(VOID.linkPredicate, SKOS.narrowMatch))


def test_access_points_vocabularies_and_examples(void: Graph) -> None:
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef(ENDPOINT)
    assert void.value(DATASET, VOID.dataDump) == URIRef(DUMP_URL)
    assert void.value(DATASET, VOID.uriSpace) == Literal("https://w3id.org/rsme-kg/id/")
    license_ = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (DATASET, URIRef("http://purl.org/dc/terms/license"), license_) in void
    assert URIRef(str(RSME)) in set(void.objects(DATASET, VOID.vocabulary))
    examples = set(void.objects(DATASET, VOID.exampleResource))
    assert {str(e).rsplit("/", 2)[-2] for e in examples} == {"study", "factor"}


def test_no_dump_link_without_a_dump(store: EmbeddedStore) -> None:
    graph = void_description(store, base_url=BASE_URL + "/", build_id="x")
    assert graph.value(DATASET, VOID.dataDump) is None
    # a trailing slash on the base must not give "//sparql"
    assert graph.value(DATASET, VOID.sparqlEndpoint) == URIRef(ENDPOINT)


def test_partition_and_linkset_nodes_are_stable_iris(
    void: Graph, store: EmbeddedStore, built: Built
) -> None:
    assert not any(isinstance(t, BNode) for triple in void for t in triple)
    minted = {
        *void.objects(DATASET, VOID.classPartition),
        *void.objects(DATASET, VOID.propertyPartition),
        *void.subjects(RDF.type, VOID.Linkset),
    }
    assert all(str(n).startswith(str(DATASET) + "/") for n in minted)
    # one node per partition: no two classes or properties share a minted IRI
    assert len(set(void.objects(DATASET, VOID.classPartition))) == len(
        set(void.objects(None, VOID["class"]))
    )
    # with no blank nodes, describing the same build twice gives the very same triples
    again = void_description(
        store, base_url=BASE_URL, build_id=str(built[1]["build_id"]), dump_url=DUMP_URL
    )
    assert set(again) == set(void)


def test_project_prefixes_are_bound(void: Graph) -> None:
    turtle = void.serialize(format="turtle")
    assert "@prefix rsme: <https://w3id.org/rsme-kg/ontology#>" in turtle
    assert "void:classPartition" in turtle


@pytest.fixture(scope="module")
def service() -> Graph:
    """The service description of an endpoint offering every known format."""
    return service_description(
        endpoint_url=ENDPOINT, result_formats=ALL_MEDIA_TYPES, build_id="0123456789abcdef"
    )


def test_service_names_its_endpoint_and_reads_only(service: Graph) -> None:
    (node,) = service.subjects(RDF.type, SD.Service)
    assert service.value(node, SD.endpoint) == URIRef(ENDPOINT)
    assert set(service.objects(node, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert not any(service.triples((None, None, SD.SPARQL11Update)))
    assert (node, SD.feature, SD.UnionDefaultGraph) in service


def test_service_lists_every_result_format(service: Graph) -> None:
    (node,) = service.subjects(RDF.type, SD.Service)
    formats = {str(f) for f in service.objects(node, SD.resultFormat)}
    expected = {
        "http://www.w3.org/ns/formats/" + name
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
            "RDF_XML",
            "TriG",
            "N-Quads",
        )
    }
    assert formats == expected


def test_service_offers_only_the_formats_given() -> None:
    graph = service_description(
        endpoint_url=ENDPOINT,
        result_formats=["application/sparql-results+json", "text/turtle; charset=utf-8"],
        build_id="x",
    )
    formats = {str(f) for f in graph.objects(None, SD.resultFormat)}
    assert formats == {
        "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
        "http://www.w3.org/ns/formats/Turtle",
    }


def test_service_refuses_an_unknown_media_type() -> None:
    with pytest.raises(ValueError, match="image/png"):
        service_description(endpoint_url=ENDPOINT, result_formats=["image/png"], build_id="x")


def test_service_default_dataset_names_the_four_graphs(service: Graph) -> None:
    (node,) = service.subjects(RDF.type, SD.Service)
    dataset = service.value(node, SD.defaultDataset)
    assert dataset is not None
    named = list(service.objects(dataset, SD.namedGraph))
    names = {service.value(n, SD.name) for n in named}
    assert names == set(NAMED_GRAPHS)
    assert all(service.value(n, SD.graph) is not None for n in named)
    default_graph = service.value(dataset, SD.defaultGraph)
    assert default_graph is not None
    assert service.value(default_graph, VOID.inDataset) == DATASET
