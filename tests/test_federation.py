"""Using the links: the graph joined with an outside vocabulary, loaded or behind SERVICE.

Two routes to the same question, "what is above the outside concept a factor maps to?":

* the vocabulary loaded into a named graph of its own (`rsme-kg load FILE --graph IRI`) and
  joined through the mappings (kg/queries/linking/factors-in-outside-vocabulary.rq), through
  the CLI, the real `rsme-kg serve` and the facade over a remote store;
* a federated query (kg/queries/linking/factors-broader-terms-by-service.rq) whose SERVICE
  clause asks a real `oxigraph serve` holding the same vocabulary, standing in for a public
  endpoint; the server runs it only when the endpoint is on its allow-list.

The vocabulary is tests/data/federation/stw-extract.ttl: verified STW descriptors under
invented broader terms (see its header). The expected rows are worked out by hand from the
curated mappings (mappings/rsme-kg.sssom.tsv) and that file; the fixture corpus's build holds
the whole taxonomy, so it is the build used here (copied: `load` writes to the store).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS
from typer.testing import CliRunner

from api import policy
from api.sparql import editor_tabs
from kg import pipeline
from kg.cli import app
from tests.apiclient import ApiClient
from tests.apiserver import ApiServer
from tests.conftest import ROOT
from tests.servers import (
    ConnectionCounter,
    HangingEndpoint,
    OxigraphServer,
    free_port,
    start_oxigraph,
)

FIXTURE = ROOT / "tests/data/federation/stw-extract.ttl"
LINKING = ROOT / "kg/queries/linking"
JOIN = LINKING / "factors-in-outside-vocabulary.rq"
FEDERATED = LINKING / "factors-broader-terms-by-service.rq"
# the endpoint the federated query names as written: `oxigraph serve` at its default address
WRITTEN_ENDPOINT = "http://localhost:7878/query"
STW_GRAPH = "https://example.org/graph/stw-extract"
OTHER_GRAPH = "https://example.org/graph/stw-extract-again"
STW = "http://zbw.eu/stw/descriptor/"
FX = "https://example.org/fixture/"
FACTOR = "https://w3id.org/rsme-kg/id/factor/"
SPARQL_JSON = "application/sparql-results+json"

# STW descriptors and labels verified in shared/vocabularies.md (from the ZBW STW-Wikidata
# mapping files): the only STW identifiers the fixture may use, with exactly these labels
VERIFIED_STW = {
    "11224-2": "Human capital",
    "18120-0": "SME",
    "10575-6": "Rural development",
    "13992-3": "Entrepreneurs",
    "10836-4": "Export",
    "10684-1": "Trade promotion",
    "19428-2": "Business network",
    "18867-2": "Learning organization",
    "21315-0": "Internet marketing",
    "19544-0": "E-business",
    "30183-4": "Innovation system",
    "18869-5": "Knowledge transfer",
    "12036-5": "Inter-firm cooperation",
    "19464-5": "Rural industry",
    "19463-0": "Rural infrastructure",
    "29552-2": "SME financing",
}

# (factor, mapping, STW concept, its label, broader term, its label, one step up?)
Row = tuple[str, str, str, str, str | None, str | None, bool | None]

# Worked out by hand. The factors mapped to STW in mappings/rsme-kg.sssom.tsv (categories and
# outcomes left out: the query asks for factors):
#   business-networking closeMatch 19428-2      collective-activity relatedMatch 12036-5
#   e-marketing closeMatch 21315-0              entrepreneur-characteristics relatedMatch 13992-3
#   entrepreneur-human-capital broadMatch 11224-2   export-capabilities relatedMatch 10836-4
#   export-incentive-programs broadMatch 10684-1    ict-adoption relatedMatch 19544-0
#   learning-orientation relatedMatch 18867-2   regional-capabilities relatedMatch 10575-6
#   rural-location relatedMatch 19464-5         technology-transfer broadMatch 18869-5
# The fixture holds 19428-2, 12036-5, 21315-0, 11224-2, 10575-6, 18869-5 (and 29552-2, which no
# factor maps to); the other six factors drop out. Above them, in the fixture:
#   19428-2 -> firm-relations, networks;  12036-5 -> firm-relations;  firm-relations -> top
#   11224-2 -> intangibles -> top;  21315-0 -> unlabelled (no label);  10575-6 -> development
#   (labelled in English and German: English only);  18869-5 -> nothing.
FIRM = (f"{FX}firm-relations", "Invented group: relations between firms")
NETWORKS = (f"{FX}networks", "Invented group: networks")
INTANGIBLES = (f"{FX}intangibles", "Invented group: intangible assets")
DEVELOPMENT = (f"{FX}development", "Invented group: development")
TOP = (f"{FX}top", "Invented top term")
UNLABELLED = (f"{FX}unlabelled", None)
NOTHING = (None, None)
NETWORKING = ("business-networking", "closeMatch", "19428-2", "Business network")
COLLECTIVE = ("collective-activity", "relatedMatch", "12036-5", "Inter-firm cooperation")
MARKETING = ("e-marketing", "closeMatch", "21315-0", "Internet marketing")
HUMAN = ("entrepreneur-human-capital", "broadMatch", "11224-2", "Human capital")
REGIONAL = ("regional-capabilities", "relatedMatch", "10575-6", "Rural development")
TRANSFER = ("technology-transfer", "broadMatch", "18869-5", "Knowledge transfer")
EXPECTED_JOIN: list[Row] = [
    (*NETWORKING, *FIRM, True),
    (*NETWORKING, *NETWORKS, True),
    (*NETWORKING, *TOP, False),
    (*COLLECTIVE, *FIRM, True),
    (*COLLECTIVE, *TOP, False),
    (*MARKETING, *UNLABELLED, True),
    (*HUMAN, *INTANGIBLES, True),
    (*HUMAN, *TOP, False),
    (*REGIONAL, *DEVELOPMENT, True),
    (*TRANSFER, *NOTHING, None),
]
# The federated query asks for one step up only (and has no ?direct column)
EXPECTED_SERVICE: list[Row] = [
    (*NETWORKING, *FIRM, None),
    (*NETWORKING, *NETWORKS, None),
    (*COLLECTIVE, *FIRM, None),
    (*MARKETING, *UNLABELLED, None),
    (*HUMAN, *INTANGIBLES, None),
    (*REGIONAL, *DEVELOPMENT, None),
    (*TRANSFER, *NOTHING, None),
]
# The twelve factor mappings to STW listed above: what SERVICE SILENT leaves when the endpoint
# cannot be reached (one empty solution from the SERVICE, joined with each of them)
STW_MAPPED_FACTORS = {
    "business-networking",
    "collective-activity",
    "e-marketing",
    "entrepreneur-characteristics",
    "entrepreneur-human-capital",
    "export-capabilities",
    "export-incentive-programs",
    "ict-adoption",
    "learning-orientation",
    "regional-capabilities",
    "rural-location",
    "technology-transfer",
}

runner = CliRunner()


# ------------------------------------------------------------------ helpers


def rows(document: dict[str, object]) -> list[Row]:
    """SPARQL JSON results of either linking query as comparable rows."""

    def value(binding: dict[str, dict[str, str]], name: str) -> str | None:
        term = binding.get(name)
        return term["value"] if term else None

    found: list[Row] = []
    results = document["results"]
    assert isinstance(results, dict)
    for b in results["bindings"]:
        direct = value(b, "direct")
        found.append(
            (
                str(value(b, "factor")).removeprefix(FACTOR),
                str(value(b, "mapping")).removeprefix(str(SKOS)),
                str(value(b, "concept")).removeprefix(STW),
                str(value(b, "conceptLabel")),
                value(b, "broader"),
                value(b, "broaderLabel"),
                None if direct is None else direct == "true",
            )
        )
    return found


def federated(endpoint: str, *, silent: bool = False) -> str:
    """The federated query with its SERVICE clause naming `endpoint` (as a user edits it)."""
    text = FEDERATED.read_text(encoding="utf-8")
    keyword = "SERVICE SILENT" if silent else "SERVICE"
    edited = text.replace(f"SERVICE <{WRITTEN_ENDPOINT}>", f"{keyword} <{endpoint}>")
    assert edited != text
    return edited


def ask(server: ApiServer | ApiClient, query: str) -> httpx.Response:
    """POST a query to the facade's SPARQL endpoint (a new text every time: no cache)."""
    return server.post(
        "/sparql",
        content=query.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query", "Accept": SPARQL_JSON},
    )


def problem(reply: httpx.Response, status: int, kind: str) -> dict[str, object]:
    """A problem+json answer of the given status and type, machine-readable."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = reply.json()
    assert body["type"] == f"https://w3id.org/rsme-kg/problems/{kind}"
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


class Redirecting:
    """An endpoint that answers every request with 302 to another URL (counting them)."""

    def __init__(self, target: str) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _redirect

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sparql"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def linked(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture corpus's store with the STW extract loaded by `rsme-kg load`."""
    store = tmp_path_factory.mktemp("linked") / "store"
    shutil.copytree(small_store, store)
    code, out = cli("load", str(FIXTURE), "--store", str(store), "--graph", STW_GRAPH)
    assert code == 0, out
    triples = len(Graph().parse(FIXTURE))
    assert f"loaded {triples} statements into <{STW_GRAPH}>" in out
    return store


@pytest.fixture(scope="module")
def standin() -> Iterator[OxigraphServer]:
    """A real `oxigraph serve` holding the STW extract: the public endpoint's stand-in."""
    with start_oxigraph() as running:
        reply = httpx.post(
            running.store_url,
            params={"default": ""},
            content=FIXTURE.read_bytes(),
            headers={"Content-Type": "text/turtle"},
            timeout=30,
        )
        assert reply.status_code in (201, 204), reply.text
        yield running


@pytest.fixture(scope="module")
def listener() -> Iterator[ConnectionCounter]:
    running = ConnectionCounter()
    yield running
    running.close()


@pytest.fixture(scope="module")
def redirecting(listener: ConnectionCounter) -> Iterator[Redirecting]:
    """An allow-listed endpoint that sends its callers on to the listener (never allowed)."""
    running = Redirecting(listener.url)
    yield running
    running.close()


@pytest.fixture(scope="module")
def dead() -> str:
    """The URL of an endpoint nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/sparql"


@pytest.fixture(scope="module")
def served(
    linked: Path,
    standin: OxigraphServer,
    dead: str,
    redirecting: Redirecting,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiServer]:
    """The real `rsme-kg serve` over the linked store, its allow-list set as a user sets it."""
    allowed = [standin.query_url, dead, redirecting.url]
    env = {"RSME_KG_SERVICE_ALLOWLIST": json.dumps(allowed), "RSME_KG_QUERY_WORKERS": "1"}
    log = tmp_path_factory.mktemp("federation-live") / "server.log"
    with ApiServer(store=linked, env=env, log=log) as running:
        yield running


@pytest.fixture(scope="module")
def remote_linked(
    small_built: tuple[Path, dict[str, object]],
    standin: OxigraphServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ApiClient]:
    """The facade over a remote store (a second `oxigraph serve`) holding the fixture build
    and the STW extract in its graph, allowed to call the stand-in only."""
    from kg.publish import publish

    with start_oxigraph(tmp_path_factory.mktemp("federation-remote")) as store:
        publish(small_built[0] / pipeline.TRIG_NAME, store.store_url)
        reply = httpx.post(
            store.store_url,
            params={"graph": STW_GRAPH},
            content=FIXTURE.read_bytes(),
            headers={"Content-Type": "text/turtle"},
            timeout=30,
        )
        assert reply.status_code in (201, 204), reply.text
        with ApiClient(endpoint=store.query_url, service_allowlist=[standin.query_url]) as app:
            yield app


# ------------------------------------------------------------------ the fixture and the files


def test_the_fixture_asserts_nothing_about_stw_beyond_verified_labels() -> None:
    """Only verified descriptors with their verified labels; every broader term invented
    (under example.org/fixture/); no relation between two real STW descriptors."""
    graph = Graph().parse(FIXTURE)
    stw = {str(s) for s in graph.subjects() if str(s).startswith(STW)}
    stw |= {str(o) for o in graph.objects() if str(o).startswith(STW)}
    assert stw, "the fixture uses STW descriptors"
    for iri in stw:
        ident = iri.removeprefix(STW)
        assert ident in VERIFIED_STW, iri
        labels = {(str(o), o.language) for o in graph.objects(URIRef(iri), SKOS.prefLabel)}  # type: ignore[attr-defined]
        assert labels == {(VERIFIED_STW[ident], "en")}, iri
        assert set(graph.objects(URIRef(iri), RDF.type)) == {SKOS.Concept}
    for s, p, o in graph:
        if str(s).startswith(STW) and p not in (RDF.type, SKOS.prefLabel):
            assert p == SKOS.broader and str(o).startswith(FX), (s, p, o)
        assert not (str(s).startswith(STW) and str(o).startswith(STW)), (s, p, o)
        assert str(s).startswith((STW, FX)), s


def test_the_linking_queries_are_documented_and_not_editor_tabs() -> None:
    """They need outside data (a loaded graph, an allowed endpoint), so they live apart from
    the examples that the SPARQL editor opens as tabs, which must answer on any build."""
    for file in (JOIN, FEDERATED):
        first = file.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20
    assert not [t for t in editor_tabs() if "linking" in t["file"]]


def test_the_federated_query_names_one_endpoint_both_checks_find() -> None:
    """The IRI a user replaces is the only SERVICE target, for the lexer and the parser."""
    text = FEDERATED.read_text(encoding="utf-8")
    assert policy.service_targets(text) == [f"<{WRITTEN_ENDPOINT}>"]
    assert policy.parsed_service_targets(text) == [f"<{WRITTEN_ENDPOINT}>"]
    assert "SERVICE" not in JOIN.read_text(encoding="utf-8")


# ------------------------------------------------------------------ the loaded vocabulary


def test_join_with_the_loaded_vocabulary_through_the_cli(linked: Path) -> None:
    code, out = cli("query", "--file", str(JOIN), "--store", str(linked), "--format", "json")
    assert code == 0, out
    found = rows(json.loads(out))
    assert found == EXPECTED_JOIN
    vocabularies = {b["vocabulary"]["value"] for b in json.loads(out)["results"]["bindings"]}
    assert vocabularies == {STW_GRAPH}


def test_two_loaded_copies_give_each_row_per_graph_unless_one_is_bound(
    linked: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(linked, store)
    code, out = cli("load", str(FIXTURE), "--store", str(store), "--graph", OTHER_GRAPH)
    assert code == 0, out
    code, out = cli("query", "-f", str(JOIN), "--store", str(store), "--format", "json")
    assert code == 0, out
    both = json.loads(out)["results"]["bindings"]
    assert sorted(rows(json.loads(out)), key=repr) == sorted(EXPECTED_JOIN * 2, key=repr)
    assert {b["vocabulary"]["value"] for b in both} == {STW_GRAPH, OTHER_GRAPH}
    code, out = cli(
        "query",
        "-f",
        str(JOIN),
        "--store",
        str(store),
        "--format",
        "json",
        "--bind",
        f"vocabulary=<{OTHER_GRAPH}>",
    )
    assert code == 0, out
    assert rows(json.loads(out)) == EXPECTED_JOIN
    assert {b["vocabulary"]["value"] for b in json.loads(out)["results"]["bindings"]} == {
        OTHER_GRAPH
    }


def test_join_with_the_loaded_vocabulary_through_the_real_server(served: ApiServer) -> None:
    reply = served.get(
        "/sparql", params={"query": JOIN.read_text()}, headers={"Accept": SPARQL_JSON}
    )
    assert reply.status_code == 200, reply.text
    assert rows(reply.json()) == EXPECTED_JOIN


def test_join_with_the_loaded_vocabulary_over_a_remote_store(remote_linked: ApiClient) -> None:
    reply = ask(remote_linked, JOIN.read_text())
    assert reply.status_code == 200, reply.text
    assert rows(reply.json()) == EXPECTED_JOIN


# ------------------------------------------------------------------ SERVICE


def test_federated_query_to_an_allowed_endpoint(served: ApiServer, standin: OxigraphServer) -> None:
    reply = ask(served, federated(standin.query_url))
    assert reply.status_code == 200, reply.text
    assert rows(reply.json()) == EXPECTED_SERVICE


def test_federated_query_outside_the_allow_list_is_refused_unsent(
    served: ApiServer, listener: ConnectionCounter
) -> None:
    before = listener.connections
    for silent in (False, True):
        body = problem(
            ask(served, federated(listener.url, silent=silent)), 403, "service-not-allowed"
        )
        assert listener.url in str(body["detail"])
        assert "RSME_KG_SERVICE_ALLOWLIST" in str(body["detail"])
    assert listener.settled() == before


def test_service_silent_to_a_dead_allowed_endpoint_drops_only_its_part(
    served: ApiServer, dead: str
) -> None:
    """SPARQL 1.1 Federated Query: a SILENT service that fails gives one empty solution, so
    every STW-mapped factor is left with its concept and nothing from the endpoint."""
    reply = ask(served, federated(dead, silent=True))
    assert reply.status_code == 200, reply.text
    bindings = reply.json()["results"]["bindings"]
    assert {b["factor"]["value"].removeprefix(FACTOR) for b in bindings} == STW_MAPPED_FACTORS
    assert len(bindings) == len(STW_MAPPED_FACTORS)  # one STW mapping each
    for b in bindings:
        assert set(b) == {"factor", "factorLabel", "mapping", "concept"}
        assert b["concept"]["value"].startswith(STW)


def test_service_to_a_dead_allowed_endpoint_fails_as_a_problem_not_a_crash(
    served: ApiServer, dead: str
) -> None:
    body = problem(ask(served, federated(dead)), 400, "query-failed")
    assert "refused" in str(body["detail"]).lower()  # the connection error, as the engine says


def test_a_redirect_from_an_allowed_endpoint_is_not_followed(
    served: ApiServer, redirecting: Redirecting, listener: ConnectionCounter
) -> None:
    """The engine follows no redirection (Oxigraph's limit is 0 by default): an allowed
    endpoint cannot send the query on to one that is not allowed."""
    before, sent_on = redirecting.requests, listener.connections
    reply = ask(served, federated(redirecting.url))
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert redirecting.requests == before + 1
    assert listener.settled() == sent_on


def test_a_hanging_endpoint_is_stopped_by_the_query_timeout(linked: Path) -> None:
    """pyoxigraph sets no timeout on SERVICE calls: the server's query timeout stops them."""
    hanging = HangingEndpoint()
    try:
        with ApiClient(store=linked, query_timeout=2, service_allowlist=[hanging.url]) as app:
            problem(ask(app, federated(hanging.url)), 503, "timeout")
            assert hanging.held, "the endpoint was called"
            # the worker was replaced: the next query is answered
            assert ask(app, "ASK { ?s ?p ?o }").status_code == 200
    finally:
        hanging.close()


def test_the_remote_backend_checks_the_allow_list_before_forwarding(
    remote_linked: ApiClient, standin: OxigraphServer, listener: ConnectionCounter
) -> None:
    """Over a remote store it is that store that makes the SERVICE call; the facade refuses
    an endpoint outside its allow-list before the query leaves it."""
    reply = ask(remote_linked, federated(standin.query_url))
    assert reply.status_code == 200, reply.text
    assert rows(reply.json()) == EXPECTED_SERVICE
    before = listener.connections
    problem(ask(remote_linked, federated(listener.url)), 403, "service-not-allowed")
    assert listener.settled() == before


def test_a_service_answer_is_not_kept_after_the_endpoint_changes(linked: Path) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/query"
    query = federated(endpoint, silent=True)
    with ApiClient(store=linked, service_allowlist=[endpoint]) as app:
        params = {"query": query}
        headers = {"Accept": SPARQL_JSON}
        first = app.get("/sparql", params=params, headers=headers)
        assert len(first.json()["results"]["bindings"]) == len(STW_MAPPED_FACTORS)
        assert first.headers["cache-control"] == "no-store"  # nor may a proxy keep it
        with OxigraphServer(None, port) as later:
            later.wait_until_ready()
            httpx.post(
                later.store_url,
                params={"default": ""},
                content=FIXTURE.read_bytes(),
                headers={"Content-Type": "text/turtle"},
                timeout=30,
            ).raise_for_status()
            again = app.get("/sparql", params=params, headers=headers)
            assert rows(again.json()) == EXPECTED_SERVICE


# ------------------------------------------------------------------ the command line


def test_the_cli_runs_a_federated_query_as_the_user_wrote_it(
    linked: Path, standin: OxigraphServer, tmp_path: Path
) -> None:
    """`rsme-kg query` runs for the local user, who is trusted: no allow-list applies."""
    file = tmp_path / "federated.rq"
    file.write_text(federated(standin.query_url), encoding="utf-8")
    code, out = cli("query", "-f", str(file), "--store", str(linked), "--format", "json")
    assert code == 0, out
    assert rows(json.loads(out)) == EXPECTED_SERVICE


def test_the_cli_reports_a_failed_service_call_as_a_query_error(
    linked: Path, tmp_path: Path
) -> None:
    """Any endpoint: the CLI calls it (the local user's choice) and maps the failure to
    exit code 2 with the engine's reason."""
    listener = ConnectionCounter()
    try:
        file = tmp_path / "federated.rq"
        file.write_text(federated(listener.url), encoding="utf-8")
        code, out = cli("query", "-f", str(file), "--store", str(linked))
        assert code == 2, out  # a usage or input error (kg/errors.py), not a crash
        assert listener.settled() == 1
    finally:
        listener.close()


def test_the_engine_refuses_the_ports_browsers_refuse(linked: Path, tmp_path: Path) -> None:
    """pyoxigraph's HTTP client refuses the Fetch standard's bad ports (here X11's 6000)
    before connecting, even for the local user; the README lists this."""
    file = tmp_path / "federated.rq"
    file.write_text(federated("http://127.0.0.1:6000/sparql"), encoding="utf-8")
    code, out = cli("query", "-f", str(file), "--store", str(linked))
    assert code == 2, out
    assert "port 6000 is not allowed" in out
