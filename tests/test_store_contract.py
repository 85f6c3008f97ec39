"""One contract for every store backend: the embedded store, a real `oxigraph serve` and a real
Virtuoso open source (each server loaded by `rsme-kg publish`)."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from kg import iris, pipeline, queries
from kg.errors import InputError, QueryError, QueryTimeout, StoreError, UsageError
from kg.namespaces import CORPUS_GRAPH, NAMED_GRAPHS, TAXONOMY_GRAPH
from kg.publish import PASSWORD_ENV, USER_ENV, credentials_from, graph_store_url, publish
from kg.store.base import QueryResult
from kg.store.embedded import EmbeddedStore
from kg.store.remote import RemoteStore
from tests.corpus import corpus
from tests.servers import (
    ISQL,
    VIRTUOSO,
    CountingProxy,
    OxigraphServer,
    VirtuosoServer,
    free_port,
    start_virtuoso,
)

Built = tuple[Path, dict[str, object]]
AnyStore = EmbeddedStore | RemoteStore

SRX = "{http://www.w3.org/2005/sparql-results#}"
EVIDENCE = queries.load("examples/evidence-for-factor")
PSYCHIC_DISTANCE = URIRef("https://w3id.org/rsme-kg/id/factor/psychic-distance")
# factor labels in English and Persian: IRIs and language-tagged literals, no blank nodes
LABELS = "CONSTRUCT { ?f skos:prefLabel ?l } WHERE { ?f a rsme:Factor ; skos:prefLabel ?l }"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def remote(oxigraph: OxigraphServer) -> Iterator[RemoteStore]:
    """The remote backend over the session's `oxigraph serve` (see conftest)."""
    with RemoteStore(oxigraph.query_url, graph_store=oxigraph.store_url) as store:
        yield store


@pytest.fixture(scope="module")
def virtuoso(built: Built) -> Iterator[VirtuosoServer]:
    """Virtuoso on loopback with a database of its own, loaded by `publish` through its Graph
    Store Protocol endpoint (Digest authentication as `dba`); anonymous SPARQL reads only the
    build's graphs, as on a shared store (one server for this module).

    Skipped, saying so, where Virtuoso is not installed (as the browser tests are without
    Chromium): `make test` needs only Python; `.ci/run` installs it, so CI runs these."""
    if VIRTUOSO is None or ISQL is None:
        pytest.skip(
            "Virtuoso is not installed: `apt-get install virtuoso-opensource` "
            "(Debian/Ubuntu; .ci/run does) to run the contract suite against it"
        )
    with start_virtuoso(str(graph) for graph in NAMED_GRAPHS) as running:
        publish(
            built[0] / pipeline.TRIG_NAME,
            running.store_url,
            credentials=(running.user, running.password),
        )
        yield running


@pytest.fixture(scope="module")
def virtuoso_store(virtuoso: VirtuosoServer) -> Iterator[RemoteStore]:
    """The remote backend over the module's Virtuoso."""
    with RemoteStore(virtuoso.query_url, graph_store=virtuoso.store_url) as store:
        yield store


BACKENDS = {"embedded": "store", "remote": "remote", "virtuoso": "virtuoso_store"}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> AnyStore:
    """Each backend in turn; a server starts only when a test over it runs."""
    backend: AnyStore = request.getfixturevalue(BACKENDS[request.param])
    return backend


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """The URL of a local server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/query"
    done.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def count(store: AnyStore, where: str) -> int:
    """COUNT(DISTINCT ?s) over a graph pattern, written with the project's prefixes."""
    value = store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}").scalar()
    return int(str(value))


def sort_rows(result: QueryResult) -> list[list[tuple[str, str]]]:
    """Solutions in a canonical order (ties under ORDER BY may come in any order)."""
    return sorted(sorted((k, v.n3()) for k, v in row.items()) for row in result)


# -- the contract: the same assertions for every backend --------------------------------------


def test_counts(backend: AnyStore) -> None:
    assert count(backend, "?s a rsme:Study") == 48
    included = count(backend, "?s rsme:screeningDecision/rsme:decision rsme:included")
    assert included == len(corpus().included)
    assert count(backend, "?s a rsme:Study ; bibo:doi ?doi") == 13


def test_size_and_graph_sizes_match_the_manifest(backend: AnyStore, built: Built) -> None:
    manifest = built[1]
    assert len(backend) == manifest["triples"]
    assert backend.graph_sizes() == manifest["graphs"]


def test_named_graphs_are_the_builds_four(backend: AnyStore) -> None:
    assert backend.named_graphs() == sorted(str(g) for g in NAMED_GRAPHS)


def test_select_with_a_binding(backend: AnyStore) -> None:
    rows = backend.query(EVIDENCE, {"factor": PSYCHIC_DISTANCE}).solutions
    assert len(rows) == 1
    (row,) = rows
    assert row["factor"] == PSYCHIC_DISTANCE
    assert row["study"] == iris.study("assadinia-2019")
    assert row["quote"] == Literal("psychic distance")
    assert str(row["year"]) == "2019"


def test_binding_a_group_key_of_an_aggregate(backend: AnyStore) -> None:
    rows = backend.query(
        queries.load("examples/factors-by-studies"),
        {"factor": iris.factor("internationalization-strategy")},
    ).solutions
    assert [(int(str(r["studies"])), str(r["factorLabel"])) for r in rows] == [
        (3, "Internationalization strategy")
    ]


def test_binding_a_variable_the_select_does_not_return_is_refused(backend: AnyStore) -> None:
    # bound after aggregation it would change nothing: the count would stay that of all codes
    with pytest.raises(QueryError, match="bind only variables"):
        backend.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?code rsme:codesFactor ?factor }",
            {"factor": PSYCHIC_DISTANCE},
        )


def test_select_answers_equal_the_embedded_ones(backend: AnyStore, store: EmbeddedStore) -> None:
    result = backend.query(EVIDENCE)
    assert result.kind == "select"
    assert result.variables == ["factor", "study", "year", "title", "quote", "direction", "outcome"]
    assert len(result) == len(corpus().codes)
    # same terms, datatypes and language tags as the embedded store, term for term
    assert sort_rows(result) == sort_rows(store.query(EVIDENCE))


def test_ask(backend: AnyStore) -> None:
    yes = backend.query("ASK { study:assadinia-2019 a rsme:Study }")
    no = backend.query("ASK { study:no-such-study a rsme:Study }")
    assert (yes.kind, yes.boolean, no.boolean) == ("ask", True, False)


def test_construct_returns_rdflib_triples(backend: AnyStore, store: EmbeddedStore) -> None:
    result = backend.query(LABELS)
    assert result.kind == "graph"
    triples = set(result.triples or [])
    assert len({s for s, _, _ in triples}) == 51  # every factor, labelled in English and Persian
    assert all(isinstance(s, URIRef) and isinstance(o, Literal) for s, _, o in triples)
    assert {o.language for _, _, o in triples} >= {"en", "fa"}  # type: ignore[attr-defined]
    assert triples == set(store.query(LABELS).triples or [])


def test_binding_joins_after_a_bind(backend: AnyStore, store: EmbeddedStore) -> None:
    query = "SELECT ?factor ?code ?x WHERE { ?code rsme:codesFactor ?factor BIND (1 AS ?x) }"
    rows = backend.query(query, {"factor": PSYCHIC_DISTANCE}).solutions
    assert [row["code"] for row in rows] == [iris.code("assadinia-2019-3")]
    assert sort_rows(backend.query(query)) == sort_rows(store.query(query))


def test_binding_applies_to_a_construct(backend: AnyStore) -> None:
    result = backend.query(
        "CONSTRUCT { ?f skos:prefLabel ?l } WHERE { ?f skos:prefLabel ?l }",
        {"f": PSYCHIC_DISTANCE},
    )
    assert result.triples and {s for s, _, _ in result.triples} == {PSYCHIC_DISTANCE}


def parse_tabular(fmt: str, data: bytes) -> tuple[list[str], int]:
    """Header and number of rows of a SELECT answer in a SPARQL results format."""
    if fmt == "json":
        doc = json.loads(data)
        return doc["head"]["vars"], len(doc["results"]["bindings"])
    if fmt == "xml":
        root = ET.fromstring(data)
        names = [v.attrib["name"] for v in root.iter(f"{SRX}variable")]
        return names, len(list(root.iter(f"{SRX}result")))
    text = data.decode("utf-8")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return rows[0], len(rows) - 1
    # TSV escapes tabs and newlines inside terms, so one line is one row
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [name.lstrip("?") for name in rows[0]], len(rows) - 1


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_serialize_select(backend: AnyStore, fmt: str) -> None:
    header, rows = parse_tabular(fmt, backend.serialize(EVIDENCE, fmt))
    assert header == ["factor", "study", "year", "title", "quote", "direction", "outcome"]
    assert rows == len(corpus().codes)
    _, bound = parse_tabular(fmt, backend.serialize(EVIDENCE, fmt, {"factor": PSYCHIC_DISTANCE}))
    assert bound == 1


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_serialize_ask(backend: AnyStore, store: EmbeddedStore, fmt: str) -> None:
    data = backend.serialize("ASK { ?s a rsme:Study }", fmt)
    if fmt == "json":
        assert json.loads(data) == {"head": {}, "boolean": True}
    elif fmt == "xml":
        assert ET.fromstring(data).findtext(f"{SRX}boolean") == "true"
    assert data == store.serialize("ASK { ?s a rsme:Study }", fmt)


@pytest.mark.parametrize(
    ("fmt", "rdflib_format"),
    [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")],
)
def test_serialize_graph(backend: AnyStore, fmt: str, rdflib_format: str) -> None:
    graph = Graph().parse(data=backend.serialize(LABELS, fmt), format=rdflib_format)
    assert len(graph) == len(backend.query(LABELS))
    assert len(graph) > 50


def test_serialize_refuses_a_format_of_the_other_kind(backend: AnyStore) -> None:
    with pytest.raises(QueryError, match="cannot be written as turtle"):
        backend.serialize(EVIDENCE, "turtle")
    with pytest.raises(QueryError, match="cannot be written as csv"):
        backend.serialize(LABELS, "csv")


@pytest.mark.parametrize(
    "sparql", ["SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE { ?s ?p }", "SELECT ?s WHERE {"]
)
def test_malformed_query_is_a_query_error(backend: AnyStore, sparql: str) -> None:
    with pytest.raises(QueryError):
        backend.query(sparql)


def test_updates_are_refused(backend: AnyStore) -> None:
    before = len(backend)
    with pytest.raises(QueryError):
        backend.query("INSERT DATA { study:x a rsme:Study }")
    assert len(backend) == before


# -- the remote backend only ------------------------------------------------------------------


@pytest.mark.parametrize("sparql", ["SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s\nWHERE { ?s ?p }"])
def test_remote_error_keeps_the_query_position(remote: RemoteStore, sparql: str) -> None:
    # the project prologue is sent before the query's first line: the endpoint's positions are
    # shifted on that line only, and shifted back, so they match those of the bare query
    with pytest.raises(QueryError) as bare:
        remote.raw(sparql, "application/sparql-results+json")
    with pytest.raises(QueryError) as prefixed:
        remote.query(sparql)
    assert str(prefixed.value) == str(bare.value)
    assert re.search(r"at \d:\d+:", str(bare.value))


def test_unreachable_endpoint() -> None:
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=5)
    started = time.monotonic()
    with pytest.raises(StoreError, match="unreachable"):
        store.query("ASK {}")
    with pytest.raises(StoreError, match="unreachable"):
        store.raw("ASK {}", "application/sparql-results+json")
    with pytest.raises(StoreError, match="unreachable"):
        len(store)
    assert time.monotonic() - started < 2


def test_unknown_host_is_unreachable() -> None:
    with pytest.raises(StoreError, match="unreachable"):
        RemoteStore("http://no-such-host.invalid/query", timeout=5).query("ASK {}")


def test_silent_endpoint_times_out(silent_server: str) -> None:
    store = RemoteStore(silent_server, timeout=1)
    for call in (
        lambda: store.query("ASK {}"),
        lambda: store.serialize("SELECT * WHERE { ?s ?p ?o }", "csv"),
        lambda: store.raw("ASK {}", "application/sparql-results+json"),
    ):
        started = time.monotonic()
        with pytest.raises(StoreError, match="did not answer within 1 s"):
            call()
        assert time.monotonic() - started < 1 + 2
    store.close()


def test_wrong_path_is_a_store_error(oxigraph: OxigraphServer) -> None:
    with pytest.raises(StoreError, match="404"):
        RemoteStore(f"{oxigraph.url}/no-such-path").query("ASK {}")


@pytest.mark.parametrize("server", ["remote", "virtuoso_store"])
def test_raw_passes_the_protocol_through(request: pytest.FixtureRequest, server: str) -> None:
    remote: RemoteStore = request.getfixturevalue(server)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/rsme-kg/ontology#Study> }"
    accept = "application/sparql-results+json"
    status, content_type, body = remote.raw(query, accept)
    assert (status, content_type) == (200, accept)
    assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "48"

    def studies(graph: URIRef) -> str:
        _, _, body = remote.raw(query, accept, default_graphs=[str(graph)])
        value: str = json.loads(body)["results"]["bindings"][0]["n"]["value"]
        return value

    assert studies(CORPUS_GRAPH) == "48"
    assert studies(TAXONOMY_GRAPH) == "0"
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, body = remote.raw(named, accept, named_graphs=[str(CORPUS_GRAPH)])
    graphs = [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert graphs == [str(CORPUS_GRAPH)]


def test_raw_query_errors_and_other_answers(remote: RemoteStore) -> None:
    with pytest.raises(QueryError, match="expected"):
        remote.raw("SELECT ?s WHERE {", "application/sparql-results+json")
    # the prologue is not added: raw is the protocol, unchanged
    with pytest.raises(QueryError):
        remote.raw("ASK { ?s a rsme:Study }", "application/sparql-results+json")
    status, _, _ = remote.raw("ASK {}", "image/png")
    assert status == 406


def test_publish_twice_replaces(
    remote: RemoteStore, oxigraph: OxigraphServer, built: Built
) -> None:
    before = (len(remote), remote.graph_sizes())
    sent = publish(built[0] / pipeline.TRIG_NAME, oxigraph.store_url)
    assert sent == built[1]["graphs"]
    assert (len(remote), remote.graph_sizes()) == before


def test_publish_to_a_closed_port(built: Built) -> None:
    with pytest.raises(StoreError, match="unreachable"):
        publish(built[0] / pipeline.TRIG_NAME, f"http://127.0.0.1:{free_port()}/store")


def test_publish_to_a_store_that_refuses(oxigraph: OxigraphServer, built: Built) -> None:
    # the query endpoint does not take PUT: the status and the server's words are reported
    with pytest.raises(StoreError, match=r"404 Not Found\): PUT /query is not supported"):
        publish(built[0] / pipeline.TRIG_NAME, oxigraph.query_url)


def test_publish_to_a_silent_store(silent_server: str, built: Built) -> None:
    started = time.monotonic()
    with pytest.raises(StoreError, match="did not answer within 1 s"):
        publish(built[0] / pipeline.TRIG_NAME, silent_server, timeout=1)
    assert time.monotonic() - started < 1 + 2


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/store"),
        ("https://kg.example.org/query/", "https://kg.example.org/store"),
        ("http://localhost:3030/rsme/sparql", "http://localhost:3030/rsme/data"),
        ("http://localhost:3030/rsme/query", "http://localhost:3030/rsme/data"),
    ],
)
def test_graph_store_url_of_well_known_servers(endpoint: str, expected: str) -> None:
    assert graph_store_url(endpoint) == expected


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://localhost:7200/repositories/rsme",  # GraphDB
        "http://localhost:8890/sparql",  # Virtuoso: /sparql at the root, no dataset
        "http://localhost:3030/rsme/sparql?x=1",
        "localhost:7878/query",
    ],
)
def test_graph_store_url_asks_when_unknown(endpoint: str) -> None:
    with pytest.raises(UsageError, match="--graph-store"):
        graph_store_url(endpoint)


def test_publish_a_missing_dump(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        publish(tmp_path / "none.trig", "http://127.0.0.1:1/store")


# -- Virtuoso only: where it departs from the protocol, and how the remote store absorbs it ------

# long enough to outrun any time limit set below (three unrelated patterns: 5,693³ rows)
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_virtuoso_system_graphs_stay_private(
    virtuoso_store: RemoteStore, store: EmbeddedStore
) -> None:
    # Virtuoso holds graphs of its own (virtrdf#, ldp#, its service description); made private
    # to anonymous SPARQL, they are in no answer: not in the union default graph ...
    assert count(virtuoso_store, "?s ?p ?o") == count(store, "?s ?p ?o")
    # ... and not among the named graphs, though `SELECT DISTINCT ?g` names them all (a leak of
    # names, not of content, in Virtuoso), which is why named_graphs() groups instead
    distinct = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    _, _, body = virtuoso_store.raw(distinct, "application/sparql-results+json")
    leaked = {b["g"]["value"] for b in json.loads(body)["results"]["bindings"]}
    assert "http://www.openlinksw.com/schemas/virtrdf#" in leaked
    assert virtuoso_store.named_graphs() == sorted(str(g) for g in NAMED_GRAPHS)
    empty = "SELECT ?s WHERE { GRAPH <http://www.openlinksw.com/schemas/virtrdf#> { ?s ?p ?o } }"
    assert virtuoso_store.query(empty).solutions == []


@pytest.mark.parametrize("sparql", ["SELEC ?s WHERE { ?s ?p ?o }", "SELECT ?s\nWHERE { ?s ?p }"])
def test_virtuoso_error_keeps_the_query_position(virtuoso_store: RemoteStore, sparql: str) -> None:
    # Virtuoso ends its messages with the query it received (prologue and all): that copy is
    # dropped, so the message is the same with and without the prologue, line numbers included
    with pytest.raises(QueryError) as bare:
        virtuoso_store.raw(sparql, "application/sparql-results+json")
    with pytest.raises(QueryError) as prefixed:
        virtuoso_store.query(sparql)
    assert str(prefixed.value) == str(bare.value)
    assert "SPARQL query:" not in str(bare.value) and "PREFIX" not in str(bare.value)
    line = 1 if sparql.startswith("SELEC ") else 2
    assert re.search(rf"SP030: SPARQL compiler, line {line}: syntax error", str(bare.value))


def test_virtuoso_blank_nodes_are_readable(virtuoso_store: RemoteStore) -> None:
    # Virtuoso labels blank nodes "nodeID://b…" in SPARQL JSON, which pyoxigraph refuses;
    # renamed, each stays one node within the answer (a study's author list, in both rows)
    query = (
        "SELECT ?list ?first WHERE { study:ruzzier-2007 bibo:authorList ?list . "
        "?list rdf:first ?first }"
    )
    rows = virtuoso_store.query(query).solutions
    assert len(rows) == 1 and isinstance(rows[0]["list"], BNode)
    pair = "SELECT ?a ?b WHERE { study:ruzzier-2007 bibo:authorList ?a, ?b }"
    (row,) = virtuoso_store.query(pair).solutions
    assert row["a"] == row["b"]
    _, _, body = virtuoso_store.raw(pair, "application/sparql-results+json", prologue=True)
    labels = {b["a"]["value"] for b in json.loads(body)["results"]["bindings"]}
    assert labels == {"b0"}


def test_virtuoso_construct_answer_is_a_graph_whatever_the_accept(
    virtuoso_store: RemoteStore,
) -> None:
    # the facade accepts SPARQL JSON first: Virtuoso would write a CONSTRUCT as a table
    accept = "application/sparql-results+json, application/n-triples;q=0.9"
    status, content_type, body = virtuoso_store.raw(LABELS, accept, prologue=True)
    assert status == 200 and content_type.split(";")[0] == "application/n-triples"
    assert len(Graph().parse(data=body, format="nt")) == len(virtuoso_store.query(LABELS))
    # and a SELECT answer stays a table when Turtle is accepted too
    _, content_type, _ = virtuoso_store.raw(
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/turtle, application/sparql-results+json"
    )
    assert content_type.split(";")[0] == "application/sparql-results+json"


def test_virtuoso_bound_values_reach_non_select_forms(virtuoso_store: RemoteStore) -> None:
    # a trailing VALUES block is refused on CONSTRUCT (SP031) and ASK: sent inside the group
    ask = "ASK { ?f skos:prefLabel ?l }"
    assert virtuoso_store.query(ask, {"l": Literal("Psychic distance", lang="en")}).boolean
    assert not virtuoso_store.query(ask, {"l": Literal("no such label", lang="en")}).boolean
    trailing = f"{LABELS} VALUES ?l {{ 'x' }}"
    with pytest.raises(QueryError, match=r"SP031: .*BINDINGS is not supported at top level"):
        virtuoso_store.raw(trailing, "application/n-triples", prologue=True)
    with pytest.raises(QueryError, match="syntax error at 'VALUES'"):
        virtuoso_store.raw(f"{ask} VALUES ?l {{ 'x' }}", "application/n-triples", prologue=True)


def test_virtuoso_trailing_values_after_a_bind_is_no_join(virtuoso_store: RemoteStore) -> None:
    # why bound values go inside the group on SELECT too: after a BIND, Virtuoso gives every
    # row the bound value instead of keeping the rows that have it
    query = (
        "SELECT ?factor ?code WHERE { ?code rsme:codesFactor ?factor BIND (1 AS ?x) }\n"
        f"VALUES (?factor) {{ (<{PSYCHIC_DISTANCE}>) }}"
    )
    _, _, body = virtuoso_store.raw(query, "application/sparql-results+json", prologue=True)
    rows = json.loads(body)["results"]["bindings"]
    assert len(rows) == len(corpus().codes)  # every code, each labelled psychic distance
    assert {row["factor"]["value"] for row in rows} == {str(PSYCHIC_DISTANCE)}


def test_virtuoso_row_limit_is_refused_not_truncated(
    virtuoso: VirtuosoServer, virtuoso_store: RemoteStore
) -> None:
    # past ResultSetMaxRows Virtuoso answers 200 with the first rows and a header saying so
    with virtuoso.setting("ResultSetMaxRows", 10):
        assert len(virtuoso_store.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")) == 3
        for call in (
            lambda: virtuoso_store.query("SELECT ?s WHERE { ?s ?p ?o }"),
            lambda: virtuoso_store.raw(
                "SELECT ?s WHERE { ?s ?p ?o }", "application/sparql-results+json"
            ),
        ):
            with pytest.raises(StoreError, match="at most 10 rows: its ResultSetMaxRows"):
                call()
    assert len(virtuoso_store.query("SELECT ?s WHERE { ?s ?p ?o }")) == len(virtuoso_store)


def test_virtuoso_time_limit_is_a_timeout(
    virtuoso: VirtuosoServer, virtuoso_store: RemoteStore
) -> None:
    # past MaxQueryExecutionTime Virtuoso fails with 500 and SQL state S1T00: the store is up
    with (
        virtuoso.setting("MaxQueryExecutionTime", 1),
        pytest.raises(QueryTimeout, match=r"its own time limit.*S1T00"),
    ):
        virtuoso_store.query(HEAVY)


def test_virtuoso_partial_answers_are_refused(virtuoso: VirtuosoServer) -> None:
    # with a `timeout` parameter Virtuoso answers "anytime": 200 and the count reached so far,
    # marked only by X-SQL-State: S1TAT (a proxy adds the parameter to what the store sends)
    proxy = CountingProxy(virtuoso.query_url, extra={"timeout": "300"})
    try:
        with RemoteStore(proxy.url) as store:
            with pytest.raises(QueryTimeout, match=r"only part of the answer.*incomplete"):
                store.query(HEAVY)
            with pytest.raises(QueryTimeout, match="only part of the answer"):
                store.raw(HEAVY, "application/sparql-results+json")
            assert store.query("ASK { study:assadinia-2019 a rsme:Study }").boolean
    finally:
        proxy.close()


def test_virtuoso_publish_twice_replaces(
    virtuoso: VirtuosoServer, virtuoso_store: RemoteStore, built: Built
) -> None:
    before = (len(virtuoso_store), virtuoso_store.graph_sizes())
    credentials = (virtuoso.user, virtuoso.password)
    sent = publish(built[0] / pipeline.TRIG_NAME, virtuoso.store_url, credentials=credentials)
    assert sent == built[1]["graphs"]
    assert (len(virtuoso_store), virtuoso_store.graph_sizes()) == before


def test_virtuoso_publish_needs_credentials(virtuoso: VirtuosoServer, built: Built) -> None:
    trig = built[0] / pipeline.TRIG_NAME
    with pytest.raises(StoreError, match=rf"401 Unauthorized\).*set {USER_ENV} and"):
        publish(trig, virtuoso.store_url)
    with pytest.raises(StoreError, match=r"401 Unauthorized.*check the user 'dba'"):
        publish(trig, virtuoso.store_url, credentials=("dba", "dba"))  # the default, replaced
    # the anonymous endpoint takes no writes: the store's words, not its HTML page
    anonymous = virtuoso.store_url.removesuffix("-auth")
    with pytest.raises(StoreError, match=r"403 Forbidden\): .*Permission denied"):
        publish(trig, anonymous)


def test_cli_publishes_to_virtuoso_with_credentials_from_the_environment(
    virtuoso: VirtuosoServer, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from kg.cli import app

    args = ["publish", "--to", virtuoso.query_url, "--graph-store", virtuoso.store_url]
    args += ["--out", str(built[0])]
    monkeypatch.setenv(USER_ENV, virtuoso.user)
    monkeypatch.setenv(PASSWORD_ENV, virtuoso.password)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"published {sum(built[1]['graphs'].values())} triples" in result.output  # type: ignore[attr-defined]
    monkeypatch.delenv(PASSWORD_ENV)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and PASSWORD_ENV in result.output


def test_credentials_come_in_pairs() -> None:
    assert credentials_from({USER_ENV: "u", PASSWORD_ENV: "p"}) == ("u", "p")
    assert credentials_from({"OTHER": "x"}) is None
    with pytest.raises(UsageError, match=f"{PASSWORD_ENV} is not set"):
        credentials_from({USER_ENV: "u"})
    with pytest.raises(UsageError, match=f"{USER_ENV} is not set"):
        credentials_from({PASSWORD_ENV: "p"})


# -- the API's executors: the embedded worker pool and the remote executor, over the same stores
# (self-contained: imports of the API stay inside, so the store contract above needs none)

from collections.abc import Coroutine  # noqa: E402
from typing import Any  # noqa: E402

from kg.store.base import Bindings  # noqa: E402


class Executor:
    """An API backend driven from a synchronous test, with an event loop of its own.

    `query` is the named-query path of the API (a Lookup run by the backend), so an executor
    stands wherever a `Store` is queried; `select` and `construct` are api.named's, as routes
    call them.
    """

    def __init__(self, backend: Any) -> None:
        import asyncio

        self.backend = backend
        self.loop = asyncio.new_event_loop()
        self.run(backend.start())

    def run(self, step: Coroutine[Any, Any, Any]) -> Any:
        """Run one coroutine of the backend to its end."""
        return self.loop.run_until_complete(step)

    def query(self, sparql: str, bindings: Bindings | None = None) -> QueryResult:
        """The answer of a named-query job (bindings travel as rdflib terms)."""
        from api.worker import Lookup

        lookup = Lookup(sparql, tuple((bindings or {}).items()))
        result: QueryResult = self.run(self.backend.lookup(lookup, 30.0))
        return result

    def _request(self) -> Any:
        from types import SimpleNamespace

        from api.backends import AnswerCache

        settings = SimpleNamespace(query_timeout=30.0)
        state = SimpleNamespace(settings=settings, cache=AnswerCache(0), backend=self.backend)
        return SimpleNamespace(app=SimpleNamespace(state=state))

    def select(self, name: str, **values: Any) -> list[dict[str, Any]]:
        """api.named.select, as the REST routes call it."""
        from api import named

        rows: list[dict[str, Any]] = self.run(named.select(self._request(), name, **values))
        return rows

    def construct(self, name: str, **values: Any) -> Graph:
        """api.named.construct, as the linked-data pages call it."""
        from api import named

        graph: Graph = self.run(named.construct(self._request(), name, **values))
        return graph

    def protocol(self, sparql: str) -> dict[str, Any]:
        """The SPARQL JSON answer of a SPARQL Protocol job that names no dataset."""
        from api.worker import Job

        answer = self.run(self.backend.execute(Job(sparql, "application/json", None), 30.0))
        assert answer.status == 200, answer.detail
        document: dict[str, Any] = json.loads(answer.body)
        return document

    def close(self) -> None:
        """Stop the backend and its loop."""
        self.run(self.backend.close())
        self.loop.close()


@pytest.fixture(scope="module")
def pool_executor(built: Built) -> Iterator[Executor]:
    """The API's embedded backend: one query worker process over the build's store."""
    from api.backends import EmbeddedBackend
    from api.worker import WorkerPool
    from kg import paths

    executor = Executor(EmbeddedBackend(WorkerPool(built[0] / paths.STORE_SUBDIR, size=1)))
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def remote_executor(oxigraph: OxigraphServer) -> Iterator[Executor]:
    """The API's remote backend over the same `oxigraph serve` as the remote store."""
    from api.backends import RemoteBackend

    executor = Executor(RemoteBackend(oxigraph.query_url))
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def virtuoso_executor(virtuoso: VirtuosoServer) -> Iterator[Executor]:
    """The API's remote backend over the module's Virtuoso."""
    from api.backends import RemoteBackend

    executor = Executor(RemoteBackend(virtuoso.query_url))
    yield executor
    executor.close()


@pytest.fixture(params=["pool_executor", "remote_executor", "virtuoso_executor"])
def executor(request: pytest.FixtureRequest) -> Executor:
    """Each of the API's executors in turn."""
    chosen: Executor = request.getfixturevalue(request.param)
    return chosen


@pytest.fixture(
    params=[
        "store",
        "remote",
        "virtuoso_store",
        "pool_executor",
        "remote_executor",
        "virtuoso_executor",
    ]
)
def runner(request: pytest.FixtureRequest) -> AnyStore | Executor:
    """Every way a query is run: both stores and both of the API's executors."""
    chosen: AnyStore | Executor = request.getfixturevalue(request.param)
    return chosen


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    """Typed rows in an order of their own (ties under ORDER BY may come in any order)."""
    return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)


NAMED = [
    *((f"analysis/{name}", {}) for name in ("codes", "studies", "taxonomy", "agents", "build")),
    ("api/factor-summary", {}),
    ("api/factor-evidence", {"factor": PSYCHIC_DISTANCE}),
    ("api/study-detail", {"study": iris.study("assadinia-2019")}),
    ("api/search-labels", {}),
]


# Named queries that return a computed boolean (BIND of EXISTS or of a comparison): Virtuoso
# writes SPARQL's true and false as the integers 1 and 0 (xsd:integer), so the typed rows
# hold 1 where the other stores give True. Its departure, not ours: marked, not loosened.
@pytest.mark.parametrize(("name", "values"), NAMED, ids=[name for name, _ in NAMED])
def test_named_queries_give_the_same_typed_rows_everywhere(
    request: pytest.FixtureRequest,
    runner: AnyStore | Executor,
    store: EmbeddedStore,
    name: str,
    values: dict[str, URIRef],
) -> None:
    expected = queries.select(store, name, **values)
    assert expected
    if isinstance(runner, Executor):  # the REST routes' runner, over the API's executors
        assert canonical(runner.select(name, **values)) == canonical(expected)
    else:  # the CLI's and the analytics' runner, over each store
        assert canonical(queries.select(runner, name, **values)) == canonical(expected)


def test_typed_rows_are_python_values(executor: Executor) -> None:
    (row,) = executor.select("api/factor-evidence", factor=PSYCHIC_DISTANCE)
    assert row["factor"] == str(PSYCHIC_DISTANCE) and row["year"] == "2019"  # an xsd:gYear
    summary = {row["factor"]: row for row in executor.select("api/factor-summary")}
    assert summary[str(PSYCHIC_DISTANCE)]["studies"] == 1  # counts are numbers
    labels = executor.select("api/search-labels")
    assert {"value": "فاصله روانی", "lang": "fa"} in [r.get("label") for r in labels]


def test_named_construct_gives_the_same_graph_everywhere(
    executor: Executor, store: EmbeddedStore
) -> None:
    from rdflib.compare import isomorphic

    expected = queries.construct(store, "api/ld-describe", resource=PSYCHIC_DISTANCE)
    assert len(expected) > 5
    assert isomorphic(executor.construct("api/ld-describe", resource=PSYCHIC_DISTANCE), expected)


def test_one_projection_check_everywhere(runner: AnyStore | Executor) -> None:
    # the same words from the same check, whichever mechanism would bind the value
    with pytest.raises(
        QueryError, match=r"does not return \?factor: bind only variables the query"
    ):
        runner.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?code rsme:codesFactor ?factor }",
            {"factor": PSYCHIC_DISTANCE},
        )


def test_bound_values_cannot_inject(runner: AnyStore | Executor) -> None:
    labels = "SELECT ?f ?l WHERE { ?f skos:prefLabel ?l }"
    found = runner.query(labels, {"l": Literal("Psychic distance", lang="en")})
    assert [row["f"] for row in found] == [PSYCHIC_DISTANCE]
    # quotes in a literal stay inside it: no row has this label, so nothing is answered
    injected = Literal('x"@en } UNION { ?f skos:prefLabel ?l } #')
    assert runner.query(labels, {"l": injected}).solutions == []
    with pytest.raises(QueryError, match="not a valid IRI"):
        runner.query(labels, {"f": URIRef('https://x/"> } UNION { ?f ?p ?l } #')})


def test_a_querys_own_from_is_honoured(runner: AnyStore | Executor, built: Built) -> None:
    graphs = built[1]["graphs"]
    assert isinstance(graphs, dict)
    query = f"SELECT (COUNT(*) AS ?n) FROM <{NAMED_GRAPHS[0]}> WHERE {{ ?s ?p ?o }}"
    assert int(str(runner.query(query).scalar())) == graphs[str(NAMED_GRAPHS[0])]
    if isinstance(runner, Executor):  # and on the SPARQL Protocol path, named no dataset
        bindings = runner.protocol(query)["results"]["bindings"]
        assert int(bindings[0]["n"]["value"]) == graphs[str(NAMED_GRAPHS[0])]
