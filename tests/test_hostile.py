"""Hostile requests against the real `rsme-kg serve` (issue 15, item 2), each a test.

One server runs for the module, over a build of the fixture corpus whose values were made
hostile (markup in a title, a quote, a venue, a coder's name and notes), with a release
folder beside a secret file, a SERVICE allow-list of one listener, and short header and body
deadlines. Requests that an HTTP client would tidy up (dot segments, NUL, CR/LF, bytes sent
one at a time) go over raw sockets. What must not happen is checked by a witness: listeners
that count connections (no SERVICE call went out), the store's contents (no update ran), the
bytes of files outside the served folders (not in any answer), a browser (no script ran).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg import paths, pipeline
from tests.apiserver import ApiServer
from tests.browser import Tab
from tests.corpus import FIXTURE
from tests.servers import ConnectionCounter
from tests.test_releases_api import SECRET, Listed, write_release

PROBLEM = "application/problem+json"
SPARQL = "/sparql"
# markup that runs a script wherever it is pasted into a page unescaped
HOSTILE = "<script>alert('rsme-xss')</script><img src=x onerror=alert('rsme-img')>"
RAW_MARKERS = ("<script>alert(", "<img src=x onerror")
HEADER_TIMEOUT = 2.0  # the server's RSME_KG_HEADER_TIMEOUT and RSME_KG_BODY_TIMEOUT here
BODY_TIMEOUT = 2.0
QUERY_TIMEOUT = 3.0
MAX_BODY = 1_000_000  # the default RSME_KG_MAX_BODY_BYTES
MAX_QUERY = 100_000  # the default RSME_KG_MAX_QUERY_LENGTH
# generous: what a dropped client may take beyond the configured deadline on a busy machine
GRACE = 10.0
PROBE = "urn:rsme-hostile:s"  # the subject every update below would write or delete


# ------------------------------------------------------------------ the hostile corpus


def _rewrite(path: Path, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite a CSV file of a data folder through `change` (rows in, rows out)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass(frozen=True)
class Hostile:
    """The build of the poisoned corpus and what was poisoned."""

    dist: Path
    study: str
    factor: str
    releases: Path
    secret: Path


def poison(data: Path) -> tuple[str, str]:
    """Put HOSTILE into a study's title (and a quote of it), venue and note, a code's note and
    the coder's name; the study's id and the factor of the new code."""
    study = "akbari-2019"
    factor = ""

    def studies(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["id"] == study:
                row["title"] = row["title"] + " " + HOSTILE
                row["venue"] = HOSTILE
                row["editorial_note"] = HOSTILE
        return rows

    title = ""
    with (data / "studies.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["id"] == study:
                title = row["title"] + " " + HOSTILE

    def codes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        nonlocal factor
        template = next(r for r in rows if r["study"] == study)
        factor = template["factor"]
        start = title.index(HOSTILE)
        extra = dict(template)
        extra.update(
            id=f"{study}-99",
            quote=HOSTILE,
            start=str(start),
            end=str(start + len(HOSTILE)),
            note=HOSTILE,
            direction="",
            outcome="",
        )
        return [*rows, extra]

    def coders(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            row["name"] = row["name"] + " " + HOSTILE
        return rows

    _rewrite(data / "studies.csv", studies)
    _rewrite(data / "codes.csv", codes)
    _rewrite(data / "coders.csv", coders)
    return study, factor


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    shutil.copytree(FIXTURE, data)
    study, factor = poison(data)
    dist = root / "dist"
    pipeline.build(data, dist, run_reasoner=False)
    releases = root / "releases"
    write_release(
        releases,
        "1.0.0",
        "2026-12-01",
        {"notes/readme.txt": Listed(b"the notes of 1.0.0\n", "text/plain")},
    )
    secret = root / "secret.txt"
    secret.write_bytes(SECRET)
    return Hostile(dist, study, factor, releases, secret)


# ------------------------------------------------------------------ listeners and the server


class ConnectionCounter6(ConnectionCounter):
    """The same witness on the IPv6 loopback, [::1]."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.sock.bind(("::1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://[::1]:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@dataclass
class Witnesses:
    """Listeners no refused query may reach: `loopback` (127.0.0.1), `allowed` (the one
    endpoint of the allow-list, also 127.0.0.1) and `ipv6` ([::1], when the machine has it)."""

    loopback: ConnectionCounter
    allowed: ConnectionCounter
    ipv6: ConnectionCounter | None

    def total(self) -> int:
        counters = [self.loopback, self.allowed, *([self.ipv6] if self.ipv6 else [])]
        return sum(c.connections for c in counters)

    def settled(self) -> int:
        time.sleep(0.5)  # a connection in flight has time to arrive
        return self.total()


@pytest.fixture(scope="module")
def witnesses() -> Iterator[Witnesses]:
    found = Witnesses(
        ConnectionCounter(),
        ConnectionCounter(),
        ConnectionCounter6() if _has_ipv6_loopback() else None,
    )
    yield found
    for counter in (found.loopback, found.allowed, found.ipv6):
        if counter is not None:
            counter.close()


@pytest.fixture(scope="module")
def hostile(
    hostile_build: Hostile, witnesses: Witnesses, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """`rsme-kg serve` over the poisoned build, with short deadlines and one allowed SERVICE."""
    env = {
        "RSME_KG_SERVICE_ALLOWLIST": json.dumps([witnesses.allowed.url]),
        "RSME_KG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "RSME_KG_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "RSME_KG_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "RSME_KG_QUERY_WORKERS": "2",
    }
    log = tmp_path_factory.mktemp("hostile-server") / "server.log"
    with ApiServer(
        store=hostile_build.dist / paths.STORE_SUBDIR,
        env=env,
        log=log,
        extra=["--releases", str(hostile_build.releases)],
    ) as running:
        yield running


# ------------------------------------------------------------------ raw requests


@dataclass(frozen=True)
class Raw:
    """An answer read off the socket: status, headers as sent (lower-cased names), body."""

    status: int
    headers: list[tuple[str, str]]
    head: bytes
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answer(reply: bytes) -> Raw:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
    return Raw(status, headers, head, body)


def read_all(connection: socket.socket) -> bytes:
    reply = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        reply += chunk
    return reply


def raw(server: ApiServer, request: bytes, timeout: float = 30.0) -> Raw:
    """Send bytes as they are (one request, Connection: close) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(request)
        return parse_answer(read_all(connection))


def raw_get(server: ApiServer, target: bytes, headers: bytes = b"") -> Raw:
    return raw(
        server,
        b"GET "
        + target
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + headers
        + b"Connection: close\r\n\r\n",
    )


def problem(reply: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert reply.status_code in statuses, (reply.status_code, reply.text[:500])
    assert reply.headers["content-type"] == PROBLEM
    body: dict[str, Any] = reply.json()
    assert body["status"] == reply.status_code and body["title"] and body["detail"]
    return body


def still_serving(server: ApiServer) -> None:
    """The server answers a plain query right now (on a connection of its own)."""
    reply = httpx.get(server.sparql, params={"query": f"ASK {{ ?s ?p {time.monotonic_ns()} }}"})
    assert reply.status_code == 200, reply.text


# ------------------------------------------------------------------ 1. updates and LOAD

UPDATES = {
    "insert-data": f"INSERT DATA {{ <{PROBE}> <urn:p> 'x' }}",
    "insert-data-graph": f"INSERT DATA {{ GRAPH <urn:g> {{ <{PROBE}> <urn:p> 'x' }} }}",
    "delete-data": "DELETE DATA { <https://w3id.org/rsme-kg/id/study/akbari-2019> a "
    "<https://w3id.org/rsme-kg/ontology#Study> }",
    "delete-where": "DELETE WHERE { ?s ?p ?o }",
    "delete-insert-where": f"DELETE {{ ?s ?p ?o }} INSERT {{ <{PROBE}> ?p ?o }} "
    "WHERE { ?s ?p ?o }",
    "insert-where": f"INSERT {{ <{PROBE}> <urn:p> ?o }} WHERE {{ ?s ?p ?o }}",
    "with": f"WITH <urn:g> DELETE {{ ?s ?p ?o }} INSERT {{ <{PROBE}> ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "load": "LOAD <http://127.0.0.1:1/evil.ttl>",
    "load-silent-into": "LOAD SILENT <http://127.0.0.1:1/evil.ttl> INTO GRAPH <urn:g>",
    "clear-all": "CLEAR ALL",
    "clear-default": "CLEAR SILENT DEFAULT",
    "drop-all": "DROP ALL",
    "drop-graph": "DROP SILENT GRAPH <https://w3id.org/rsme-kg/graph/corpus>",
    "create": "CREATE GRAPH <urn:g>",
    "add": "ADD DEFAULT TO GRAPH <urn:g>",
    "move": "MOVE SILENT GRAPH <https://w3id.org/rsme-kg/graph/corpus> TO DEFAULT",
    "copy": "COPY DEFAULT TO <urn:g>",
    "prefixed": f"PREFIX e: <urn:> BASE <http://x/>\nINSERT DATA {{ <{PROBE}> e:p e:o }}",
    "commented": f"# a harmless query\n#SELECT\n  INSERT DATA {{ <{PROBE}> <urn:p> 'x' }} # ASK",
    "lowercase": f"insert data {{ <{PROBE}> <urn:p> 'x' }}",
    "mixed-case": "dRoP aLl",
    "codepoint-escaped": f"\\u0049NSERT DATA {{ <{PROBE}> <urn:p> 'x' }}",
    "codepoint-escaped-long": "\\U00000044ROP ALL",
    "after-a-query": f"ASK {{}} ; INSERT DATA {{ <{PROBE}> <urn:p> 'x' }}",
    "two-updates": f"CLEAR ALL ; INSERT DATA {{ <{PROBE}> <urn:p> 'x' }}",
    "bom-and-spaces": f"\ufeff \t\r\n INSERT DATA {{ <{PROBE}> <urn:p> 'x' }}",
}

NOT_SEEN_BY_THE_LEXER = {"after-a-query"}


def _send_update(server: ApiServer, how: str, text: str) -> httpx.Response:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    if how == "get-query":
        return server.get(SPARQL, params={"query": text})
    if how == "get-update":
        return server.get(SPARQL, params={"update": text})
    if how == "post-form-update":
        return server.post(SPARQL, data={"update": text}, headers=form)
    if how == "post-form-query":
        return server.post(SPARQL, data={"query": text}, headers=form)
    if how == "post-sparql-update":
        return server.post(
            SPARQL,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )
    if how == "post-sparql-query":
        return server.post(
            SPARQL,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-query"},
        )
    raise AssertionError(how)


def _census(server: ApiServer) -> tuple[str, bool]:
    """Quads in the store and whether the probe subject exists (a new query text each time:
    an answer from the cache would say nothing)."""
    stamp = time.monotonic_ns()
    count = server.get(
        SPARQL,
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} # {stamp}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    probe = server.get(
        SPARQL,
        params={
            "query": f"ASK {{ {{ <{PROBE}> ?p ?o }} UNION "
            f"{{ GRAPH ?g {{ <{PROBE}> ?p ?o }} }} }} # {stamp}"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert count.status_code == probe.status_code == 200
    return count.json()["results"]["bindings"][0]["n"]["value"], bool(probe.json()["boolean"])


@pytest.mark.parametrize(
    "how",
    [
        "get-query",
        "get-update",
        "post-form-update",
        "post-form-query",
        "post-sparql-update",
        "post-sparql-query",
    ],
)
def test_updates_in_every_form_are_refused_and_change_nothing(hostile: ApiServer, how: str) -> None:
    before = _census(hostile)
    assert before[1] is False
    for name, text in UPDATES.items():
        reply = _send_update(hostile, how, text)
        # 403 read-only; 400 where the policy's lexer does not see the update (after a query)
        # and the engine, which parses queries only, refuses it
        body = problem(reply, 403, 400)
        if reply.status_code == 400:
            assert name in NOT_SEEN_BY_THE_LEXER, (name, body)
            assert "does not parse" in body["detail"]
    assert _census(hostile) == before


# ------------------------------------------------------------------ 2. SERVICE


def _service_targets(w: Witnesses) -> dict[str, str]:
    port, allowed = w.loopback.port, w.allowed.port
    targets = {
        "loopback": f"http://127.0.0.1:{port}/sparql",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "localhost": f"http://localhost:{port}/sparql",
        "dot-localhost": f"http://rsme.localhost:{port}/sparql",
        "short-dotted": f"http://127.1:{port}/sparql",
        "hex": f"http://0x7f.1:{port}/sparql",
        "decimal": f"http://2130706433:{port}/sparql",
        "mapped-v6": f"http://[::ffff:127.0.0.1]:{port}/sparql",
        "any-address": f"http://0.0.0.0:{port}/sparql",
        "v6-literal": f"http://[::1]:{w.ipv6.port if w.ipv6 else port}/sparql",
        # the allowed endpoint's host and port with another path, query, user or case
        "allowed-other-path": f"http://127.0.0.1:{allowed}/other",
        "allowed-dot-segments": f"http://127.0.0.1:{allowed}/sparql/../other",
        "allowed-query": f"http://127.0.0.1:{allowed}/sparql?x=1",
        "allowed-fragment": f"http://127.0.0.1:{allowed}/sparql#x",
        "allowed-userinfo": f"http://evil@127.0.0.1:{allowed}/sparql",
        "allowed-as-userinfo": f"http://127.0.0.1:{allowed}@127.0.0.1:{port}/sparql",
        "allowed-other-host": f"http://localhost:{allowed}/sparql",
        "allowed-upper-scheme": f"HTTP://127.0.0.1:{allowed}/sparql",
        "allowed-other-port": f"http://127.0.0.1:{port}/sparql",
        "allowed-https": f"https://127.0.0.1:{allowed}/sparql",
    }
    return targets


# each wraps a SERVICE call to `{t}` (the IRI in angle brackets) somewhere in a query
SHAPES = {
    "plain": "SELECT * WHERE {{ SERVICE {t} {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT {t} {{ ?s ?p ?o }} }}",
    "lowercase": "select * where {{ service silent {t} {{ ?s ?p ?o }} }}",
    "no-spaces": "SELECT*WHERE{{SERVICE{t}{{?s ?p ?o}}}}",
    "nested-groups": "SELECT * WHERE {{ {{ {{ ?a ?b ?c }} "
    "OPTIONAL {{ SERVICE {t} {{ ?s ?p ?o }} }} }} }}",
    "union": "SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE SILENT {t} {{ ?s ?p ?o }} }} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE {t} {{ ?s ?p ?o }} }} }} }}",
    "exists": "ASK {{ FILTER EXISTS {{ SERVICE {t} {{ ?s ?p ?o }} }} }}",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE {t} {{ ?s ?p ?o }} }}",
    "comment-between": "SELECT * WHERE {{ SERVICE # hidden?\n {t} {{ ?s ?p ?o }} }}",
    "escaped-keyword": "SELECT * WHERE {{ SERVIC\\u0045 {t} {{ ?s ?p ?o }} }}",
    "variable": "SELECT * WHERE {{ SERVICE ?e {{ ?s ?p ?o }} VALUES ?e {{ {t} }} }}",
    "bound-variable": "SELECT * WHERE {{ BIND({t} AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
}


def _prefixed_and_based(iri: str) -> list[str]:
    """The same call through a prefixed name and through a relative IRI against BASE."""
    head, _, tail = iri.rpartition("/")
    return [
        f"PREFIX e: <{head}/>\nSELECT * WHERE {{ SERVICE e:{tail} {{ ?s ?p ?o }} }}",
        f"BASE <{head}/>\nSELECT * WHERE {{ SERVICE <{tail}> {{ ?s ?p ?o }} }}",
    ]


def test_the_witnesses_see_a_call_that_is_allowed(hostile: ApiServer, witnesses: Witnesses) -> None:
    """The control: the allow-listed endpoint is really called, and counted."""
    before = witnesses.allowed.connections
    query = f"SELECT * WHERE {{ SERVICE <{witnesses.allowed.url}> {{ ?s ?p ?o }} }}"
    reply = hostile.get(SPARQL, params={"query": query})
    assert reply.status_code in (400, 503)  # the listener hangs up without answering
    time.sleep(0.5)
    assert witnesses.allowed.connections > before


@pytest.mark.parametrize(
    "target",
    [
        "loopback",
        "metadata",
        "localhost",
        "dot-localhost",
        "short-dotted",
        "hex",
        "decimal",
        "mapped-v6",
        "any-address",
        "v6-literal",
        "allowed-other-path",
        "allowed-dot-segments",
        "allowed-query",
        "allowed-fragment",
        "allowed-userinfo",
        "allowed-as-userinfo",
        "allowed-other-host",
        "allowed-upper-scheme",
        "allowed-other-port",
        "allowed-https",
    ],
)
def test_service_to_loopback_and_look_alikes_is_refused_without_a_connection(
    hostile: ApiServer, witnesses: Witnesses, target: str
) -> None:
    iri = _service_targets(witnesses)[target]
    before = witnesses.total()
    queries = [shape.format(t=f"<{iri}>") for shape in SHAPES.values()]
    queries += _prefixed_and_based(iri)
    for query in queries:
        for send in ("get", "post"):
            if send == "get":
                reply = hostile.get(SPARQL, params={"query": query})
            else:
                reply = hostile.post(
                    SPARQL,
                    content=query.encode("utf-8"),
                    headers={"Content-Type": "application/sparql-query"},
                )
            problem(reply, 403)
    assert witnesses.settled() == before


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVIC\\u0045 <http://169.254.169.254/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE SILENT <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE \\u003chttp://127.0.0.1:1/\\u003e { ?s ?p ?o } }",
        "SELECT * WHERE { \\U00000053\\U00000045RVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    ],
)
def test_codepoint_escapes_cannot_hide_service_from_a_store_that_expands_them(query: str) -> None:
    """SPARQL 1.1 section 19.2: a store may replace \\u escapes before parsing (Jena does), so
    the policy reads the query that way too. pyoxigraph does not, and would answer 400 alone:
    this is the check that protects a remote store (regression: these passed the policy)."""
    from api import policy

    refusal = policy.check(query, max_length=MAX_QUERY, service_allowlist=[])
    assert refusal is not None and refusal.status == 403, refusal
    # an escape inside a literal that a store unescaping first could not parse: not refused
    assert (
        policy.check("ASK { ?s ?p 'it\\u0027s' }", max_length=MAX_QUERY, service_allowlist=[])
        is None
    )


# ------------------------------------------------------------------ 3. size and depth


def test_a_query_over_the_length_limit_is_413(hostile: ApiServer) -> None:
    query = "ASK { ?s ?p ?o } #" + "x" * MAX_QUERY
    body = problem(
        hostile.post(
            SPARQL, content=query.encode(), headers={"Content-Type": "application/sparql-query"}
        ),
        413,
    )
    assert str(MAX_QUERY) in body["detail"]
    still_serving(hostile)


def test_a_get_url_over_the_head_limit_is_431_without_a_crash(hostile: ApiServer) -> None:
    """A 200 KB query string: the request head is refused (POST long queries), not parsed."""
    target = b"/sparql?query=" + b"ASK%20%7B%7D%20%23" + b"x" * 200_000
    reply = raw_get(hostile, target)
    assert reply.status == 431 and reply.header("content-type") == PROBLEM
    assert "RSME_KG_MAX_HEADER_BYTES" in reply.json()["detail"]
    # a header as large: the same
    assert raw_get(hostile, b"/healthz", b"X-Big: " + b"y" * 200_000 + b"\r\n").status == 431
    still_serving(hostile)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 5_000 + "}" * 5_000,
        "ASK { FILTER(" + "(" * 5_000 + "1" + ")" * 5_000 + ") }",
        "SELECT * WHERE { " + "{ SELECT * WHERE " * 300 + "{ ?s ?p ?o }" + " }" * 300 + " }",
        "ASK { FILTER(" + "[" * 300 + "]" * 300 + ") }",
    ],
    ids=["braces", "parentheses", "subqueries", "brackets"],
)
def test_nesting_beyond_the_limit_is_refused_before_parsing(hostile: ApiServer, query: str) -> None:
    reply = hostile.post(
        SPARQL, content=query.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert "nests" in problem(reply, 400)["detail"]
    still_serving(hostile)


@pytest.mark.parametrize(
    "query",
    [
        # just under the depth limit (200): the parsers must cope
        "ASK { FILTER(" + "(" * 190 + "1" + ")" * 190 + ") }",
        "SELECT * WHERE { " + "{ SELECT * WHERE " * 95 + "{ ?s ?p ?o }" + " }" * 95 + " } LIMIT 1",
        # long, just under the length limit
        "SELECT ?x WHERE { VALUES ?x { " + " ".join(str(i) for i in range(16_000)) + " } } LIMIT 1",
        "ASK { FILTER(STRLEN('" + "a" * 99_000 + "') > 0) }",
        "ASK { FILTER(" + " || ".join(f"?x = {i}" for i in range(7_000)) + ") }",
        # a regular expression that backtracks for ever in engines that backtrack
        "ASK { FILTER(REGEX('" + "a" * 60 + "!', '^(a+)+$')) }",
        # a cartesian product: stopped at the query timeout
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }",
        # many triple patterns
        "SELECT * WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(2_000)) + " } LIMIT 1",
    ],
    ids=[
        "deep-parentheses",
        "deep-subqueries",
        "long-values",
        "huge-literal",
        "long-filter",
        "regex",
        "cartesian",
        "many-patterns",
    ],
)
def test_pathological_queries_under_the_limits_end_within_the_timeout(
    hostile: ApiServer, query: str
) -> None:
    assert len(query) <= MAX_QUERY
    started = time.monotonic()
    reply = hostile.post(
        SPARQL,
        content=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )
    elapsed = time.monotonic() - started
    if reply.status_code != 200:
        problem(reply, 400, 503)  # a refusal or the timeout, in problem+json: never a 500
    assert elapsed < QUERY_TIMEOUT + GRACE
    still_serving(hostile)


def _hwm_kib(server: ApiServer) -> int | None:
    """Peak resident memory of the server process (Linux), in KiB."""
    status = Path(f"/proc/{server.process.pid}/status")
    if not status.exists():
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
    return int(match.group(1)) if match else None


def test_a_declared_10_mb_body_is_413_before_it_is_sent(hostile: ApiServer) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 10000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as connection:
        connection.sendall(head + b"ASK {}")  # a few bytes of the ten million
        reply = parse_answer(read_all(connection))  # the server answers and hangs up
    assert reply.status == 413 and reply.header("connection") == "close"
    assert "10000000" in reply.json()["detail"] and str(MAX_BODY) in reply.json()["detail"]
    still_serving(hostile)


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
def test_a_10_mb_body_sent_whole_is_413_and_not_kept_in_memory(
    hostile: ApiServer, framing: str
) -> None:
    """The body is read only up to the limit: the server's peak memory does not grow by it."""
    before = _hwm_kib(hostile)
    block = b"query=" + b"x" * (64 * 1024 - 6)
    total = 10 * 1024 * 1024
    if framing == "chunked":
        head = b"Transfer-Encoding: chunked\r\n"
    else:
        head = b"Content-Length: %d\r\n" % total
    # a lying Content-Length of 0 would be answered before the body; here the server has to
    # count what arrives (chunked) or refuse what is declared
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as connection:
        connection.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n" + head + b"\r\n"
        )
        sent = 0
        try:
            while sent < total:
                data = (
                    block if framing == "content-length" else b"%x\r\n%s\r\n" % (len(block), block)
                )
                connection.sendall(data)
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server hung up after its answer: what this test wants
        reply = parse_answer(read_all(connection))
    assert reply.status == 413, reply.head
    after = _hwm_kib(hostile)
    if before is not None and after is not None:
        assert after - before < 8 * 1024, (before, after)  # not the 10 MB
    still_serving(hostile)


# ------------------------------------------------------------------ 4. slow clients


def _trickle(
    server: ApiServer, data: bytes, interval: float, prelude: bytes = b""
) -> tuple[Raw | None, float, int]:
    """Send `prelude` at once, then `data` a byte every `interval` s until the server answers
    or hangs up; the answer (None if none), the seconds it took and the bytes trickled."""
    started = time.monotonic()
    reply = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(prelude)
        connection.settimeout(interval)
        for byte in data:
            try:
                connection.send(bytes([byte]))
                sent += 1
            except OSError:
                break
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        connection.settimeout(5)
        reply += read_all(connection)
    return (parse_answer(reply) if reply else None), time.monotonic() - started, sent


def _meanwhile(server: ApiServer, attack: Any) -> tuple[Any, list[int]]:
    """Run `attack` in a thread; meanwhile make ordinary requests on fresh connections."""
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(attack)
        while not running.done():
            reply = httpx.get(
                server.sparql,
                params={"query": f"ASK {{ ?s ?p {time.monotonic_ns()} }}"},
                timeout=10,
            )
            statuses.append(reply.status_code)
            time.sleep(0.2)
        return running.result(), statuses


HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nAccept: */*\r\n\r\n"


def test_a_client_sending_its_headers_byte_by_byte_is_dropped(hostile: ApiServer) -> None:
    # 0.2 s a byte: the head would take over 14 s, seven times the deadline
    (reply, seconds, sent), others = _meanwhile(hostile, lambda: _trickle(hostile, HEAD, 0.2))
    assert sent < len(HEAD)  # dropped before it finished
    assert reply is not None and reply.status == 408
    assert reply.header("content-type") == PROBLEM and reply.header("connection") == "close"
    assert seconds < HEADER_TIMEOUT + GRACE
    assert others and all(s == 200 for s in others), others


def test_the_head_guard_leaves_ordinary_traffic_alone(hostile: ApiServer) -> None:
    """Pipelined requests are all answered, and a large body sent in the same write as its
    head is not counted as head (the guard counts only bytes of an incomplete head)."""
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as connection:
        connection.sendall(one * 3 + last)
        answers = read_all(connection)
    assert answers.count(b"HTTP/1.1 200 OK") == 4
    query = b"ASK { ?s ?p ?o } #" + b"x" * 90_000
    reply = raw(
        hostile,
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(query), query),
    )
    assert reply.status == 200, reply.body[:300]


def test_a_slow_head_behind_a_long_answer_waits_for_that_answer(hostile: ApiServer) -> None:
    """A request that takes longer than the head deadline (a runaway query, stopped at the
    query timeout), followed on the same connection by half a head: the first answer comes
    whole, and only then does the next head's clock run (a 408 once it runs out)."""
    runaway = (
        b"/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20WHERE%20%7B%20%3Fa%20%3Fb%20%3Fc%20."
        b"%20%3Fd%20%3Fe%20%3Ff%20.%20%3Fg%20%3Fh%20%3Fi%20.%20%3Fj%20%3Fk%20%3Fl%20%7D"
    )
    assert QUERY_TIMEOUT > HEADER_TIMEOUT
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as connection:
        connection.sendall(
            b"GET " + runaway + b" HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n"
        )
        answers = read_all(connection)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)
    assert statuses == [b"503", b"408"], answers


def test_a_connection_that_sends_nothing_is_closed(hostile: ApiServer) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=HEADER_TIMEOUT + GRACE) as c:
        closed = c.recv(1) == b""  # the server hangs up (a timeout here would raise)
    assert closed and time.monotonic() - started < HEADER_TIMEOUT + GRACE


def test_a_client_sending_its_body_byte_by_byte_gets_408(hostile: ApiServer) -> None:
    body = b"ASK { ?s ?p ?o }" + b" " * 84
    prelude = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    (reply, seconds, sent), others = _meanwhile(
        hostile, lambda: _trickle(hostile, body, 0.2, prelude)
    )
    assert sent < len(body)
    assert reply is not None and reply.status == 408, reply
    assert reply.header("content-type") == PROBLEM and reply.header("connection") == "close"
    assert "RSME_KG_BODY_TIMEOUT" in reply.json()["detail"]
    assert seconds < BODY_TIMEOUT + GRACE
    assert others and all(s == 200 for s in others), others


def test_a_trickled_body_nobody_reads_does_not_hold_the_connection(hostile: ApiServer) -> None:
    """A GET route answers without reading the body; the rest must not keep the line open."""
    prelude = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n"
    reply, seconds, sent = _trickle(hostile, b"z" * 200, 0.2, prelude)
    assert reply is not None and reply.status == 200
    assert sent < 200  # hung up before the body was all sent
    assert seconds < HEADER_TIMEOUT + GRACE


def test_a_client_that_hangs_up_mid_body_leaves_no_traceback(hostile: ApiServer) -> None:
    """Regression: each such request logged a 40-line traceback (a way to flood the log)."""
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", hostile.port), timeout=10) as connection:
            connection.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 100\r\n\r\nASK"
            )
            time.sleep(0.3)
    time.sleep(0.5)
    still_serving(hostile)
    assert "Traceback" not in hostile.log_text()


def test_many_slow_clients_at_once_do_not_starve_the_others(hostile: ApiServer) -> None:
    slow = [socket.create_connection(("127.0.0.1", hostile.port), timeout=30) for _ in range(40)]
    try:
        for connection in slow:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        for _ in range(5):
            still_serving(hostile)
        time.sleep(HEADER_TIMEOUT + 1)
        dropped = 0
        for connection in slow:
            connection.settimeout(GRACE)
            reply = read_all(connection)
            dropped += reply.startswith(b"HTTP/1.1 408")
        assert dropped == len(slow)
    finally:
        for connection in slow:
            connection.close()


def test_the_connection_limits_reach_uvicorn(hostile_build: Hostile, tmp_path: Path) -> None:
    """`rsme-kg serve` passes MAX_CONNECTIONS and KEEP_ALIVE_TIMEOUT on: idle connections
    holding every place make others wait (503 at once) until the head deadline drops them;
    an idle keep-alive connection is closed after its timeout."""
    env = {
        "RSME_KG_MAX_CONNECTIONS": "4",
        "RSME_KG_KEEP_ALIVE_TIMEOUT": "1",
        "RSME_KG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "RSME_KG_QUERY_WORKERS": "1",
    }
    with ApiServer(
        store=hostile_build.dist / paths.STORE_SUBDIR, env=env, log=tmp_path / "log"
    ) as cramped:
        # keep-alive: one answer, then silence; the server hangs up after about 1 s
        with socket.create_connection(("127.0.0.1", cramped.port), timeout=2 * GRACE) as kept:
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            started = time.monotonic()
            answer = read_all(kept)  # until the server hangs up (our timeout would raise)
            assert answer.startswith(b"HTTP/1.1 200") and answer.count(b"HTTP/1.1") == 1
            assert time.monotonic() - started < 1 + GRACE
        idle = [socket.create_connection(("127.0.0.1", cramped.port), timeout=30) for _ in range(4)]
        try:
            time.sleep(0.3)
            refused = httpx.get(f"{cramped.base}/healthz", timeout=10)
            assert refused.status_code == 503  # uvicorn's own answer: every place is taken
            time.sleep(HEADER_TIMEOUT + 1)  # the idle ones are dropped by the head deadline
            assert httpx.get(f"{cramped.base}/healthz", timeout=10).status_code == 200
        finally:
            for connection in idle:
                connection.close()


# ------------------------------------------------------------------ 5. paths


TRAVERSALS = [
    b"/id/..%2f..%2f..%2fpyproject.toml",
    b"/id/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    b"/id/../../../pyproject.toml",
    b"/id/study/..%5c..%5c..%5cpyproject.toml",
    b"/id/study/%252e%252e%252f%252e%252e%252fpyproject.toml",
    b"/id/study/%c0%ae%c0%ae%c0%afpyproject.toml",
    b"/id/study/akbari-2019%00.ttl",
    b"/id/study/%ff%fe",
    b"/static/..%2fsettings.py",
    b"/static/..%2f..%2fpyproject.toml",
    b"/static/%2e%2e%2fpages.py",
    b"/static/..%5cpages.py",
    b"/static/../api/settings.py",
    b"/static/style.css%00.py",
    b"/static/%c0%ae%c0%ae%c0%afsettings.py",
    b"/releases/1.0.0/..%2f..%2fsecret.txt",
    b"/releases/1.0.0/../../secret.txt",
    b"/releases/1.0.0/notes/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    b"/releases/1.0.0/notes%2f..%2f..%2f..%2fsecret.txt",
    b"/releases/1.0.0/notes/readme.txt%00",
    b"/releases/..%2f..%2f/secret.txt",
    b"/releases/%2e%2e/secret.txt",
    b"/releases/1.0.0/%252e%252e/%252e%252e/secret.txt",
    b"/ontology/..%2f..%2fpyproject.toml",
    b"/shapes/..%2f..%2fpyproject.toml",
    b"/graph/..%2f..%2fpyproject.toml",
    b"/explore/studies/..%2f..%2f..%2fpyproject.toml",
    b"/explore/studies/%2e%2e",
    b"/explore/studies/akbari-2019%00",
    b"/explore/factors/..%5c..%5cpyproject.toml",
    b"/explore/categories/%c0%ae%c0%ae",
    b"/studies/..%2f..%2fpyproject.toml",
    b"/factors/%2e%2e%2f%2e%2e%2fpyproject",
    b"/..%2f..%2fpyproject.toml",
    b"/%2e%2e/%2e%2e/pyproject.toml",
    b"/..%2fpyproject.toml",
    b"/explore/search?q=..%2f..%2f%00",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_no_path_leads_out_of_the_served_folders(
    hostile: ApiServer, hostile_build: Hostile, target: bytes
) -> None:
    reply = raw_get(hostile, target)
    assert reply.status < 500, (reply.status, reply.body[:300])
    assert SECRET not in reply.body
    assert b"[project]" not in reply.body  # pyproject.toml
    assert b"class Settings" not in reply.body and b"def render" not in reply.body
    assert b"root:x:0:0" not in reply.body


def test_raw_control_and_non_ascii_bytes_in_the_path_are_no_500(hostile: ApiServer) -> None:
    for target in (b"/id/\xff\xfe", b"/explore/studies/\xc3\xa9", b"/static/\x00", b"/id/a\tb"):
        reply = raw_get(hostile, target)
        assert 400 <= reply.status < 500, (target, reply.status, reply.body[:200])
    still_serving(hostile)


# ------------------------------------------------------------------ 6. header splitting

SPLIT = "x\r\nX-Injected: yes\r\nSet-Cookie: a=b"


def _clean_headers(reply: Raw) -> None:
    names = [name for name, _ in reply.headers]
    assert "x-injected" not in names and "set-cookie" not in names, reply.head
    for _, value in reply.headers:
        assert "\r" not in value and "\n" not in value and "\x00" not in value


@pytest.mark.parametrize(
    "target",
    [
        b"/sparql?query=ASK%20%7B%7D&format=x%0d%0aX-Injected:%20yes",
        b"/sparql?query=ASK%20%7B%7D&format=text/csv%0d%0aSet-Cookie:%20a=b",
        b"/sparql?query=ASK%20%7B%7D&format=%00",
        b"/factors?limit=1&offset=0&x=%0d%0aX-Injected:%20yes",
        b"/factors?limit=1&category=a%0d%0aX-Injected:%20yes",
        b"/studies?limit=1&x=%0d%0aX-Injected:%20yes",
        b"/matrix?by=x%0d%0aX-Injected:%20yes&format=csv",
        b"/matrix?by=study%0d%0aX-Injected:%20yes",
        b"/ontology/1.0.0%0d%0aX-Injected:%20yes",
        b"/ontology/1.0.0?format=%0d%0aX-Injected:%20yes",
        b"/shapes/x%0d%0aX-Injected:%20yes",
        b"/releases/1.0.0%0d%0aX-Injected:%20yes/notes/readme.txt",
        b"/releases/1.0.0/notes/readme.txt?format=%0d%0aX-Injected:%20yes",
        b"/id/study/akbari-2019%0d%0aX-Injected:%20yes",
        b"/id/study/akbari-2019?format=%0d%0aX-Injected:%20yes",
        b"/mappings?format=%0d%0aX-Injected:%20yes",
        b"/explore/search?q=%0d%0aX-Injected:%20yes",
    ],
)
def test_cr_lf_in_parameters_never_reach_a_header(hostile: ApiServer, target: bytes) -> None:
    for accept in (b"*/*", b"text/html"):
        reply = raw_get(hostile, target, b"Accept: " + accept + b"\r\n")
        assert reply.status < 500, (target, reply.status, reply.body[:300])
        _clean_headers(reply)


@pytest.mark.parametrize(
    "header",
    [
        b"Accept: text/csv\rX-Injected: yes",
        b"Accept: text/csv\x00X-Injected: yes",
        b"Accept: " + b"text/csv;q=0.1, " * 2000,
        b"Accept: */*;q=NaN, text/csv;q=1e999",
        b"Accept-Encoding: gzip\rX-Injected: yes",
        b"Origin: https://e.example\rX-Injected: yes",
        b'If-None-Match: "a"\rX-Injected: yes',
    ],
)
def test_hostile_request_headers_are_refused_or_ignored(hostile: ApiServer, header: bytes) -> None:
    for target in (b"/sparql?query=ASK%20%7B%7D", b"/releases/1.0.0/notes/readme.txt", b"/"):
        reply = raw_get(hostile, target, header + b"\r\n")
        assert reply.status < 500, (target, header, reply.status, reply.body[:300])
        _clean_headers(reply)


# ------------------------------------------------------------------ 7. markup injection

DATA_TYPES = {
    "application/json",
    "application/problem+json",
    "application/ld+json",
    "application/sparql-results+json",
    "text/turtle",
    "text/csv",
}
# pages that show the hostile value (the study's title, the search term)
SHOWN = {"/explore/studies/{study}", "/explore/search?q={hostile}"}
PAGES = [
    "/explore/studies/{study}",
    "/explore/studies",
    "/explore/factors/{factor}",
    "/id/study/{study}",
    "/studies/{study}",
    "/explore/search?q={hostile}",
    "/explore/search?q=akbari",
    "/explore/search?q=Hostility",
    "/search?q={hostile}",
    "/explore/studies/{hostile}",
    "/explore/factors/{hostile}",
    "/id/study/{hostile}",
    "/releases/{hostile}",
    "/explore",
    "/",
    "/sparql",
]


@pytest.mark.parametrize("page", PAGES)
def test_hostile_values_are_escaped_in_every_page(
    hostile: ApiServer, hostile_build: Hostile, page: str
) -> None:
    from urllib.parse import quote

    path = page.format(
        study=hostile_build.study, factor=hostile_build.factor, hostile=quote(HOSTILE, safe="")
    )
    for accept in ("text/html", "*/*", "application/json"):
        reply = hostile.get(path, headers={"Accept": accept})
        assert reply.status_code < 500, (path, reply.status_code)
        text = reply.text
        media = reply.headers.get("content-type", "").split(";")[0]
        if any(marker in text for marker in RAW_MARKERS):
            # data, not markup: JSON, RDF or CSV, which a browser does not render as a page
            assert media in DATA_TYPES, (path, accept, media)
        if media == "text/html" and page in SHOWN:  # the value reached the page, escaped
            assert "&lt;script&gt;alert(" in text or "&lt;img src=x" in text, path


def test_the_hostile_values_are_in_the_graph(hostile: ApiServer, hostile_build: Hostile) -> None:
    """The control of the test above: the poisoned title really is served, as data."""
    query = (
        "SELECT ?t WHERE { <https://w3id.org/rsme-kg/id/study/"
        + hostile_build.study
        + "> <http://purl.org/dc/terms/title> ?t }"
    )
    reply = hostile.get(SPARQL, params={"query": query}, headers={"Accept": "text/csv"})
    assert HOSTILE in reply.text


def _no_script_ran(tab: Tab, action: Any) -> list[str]:
    """Run `action` on the tab and return the dialogs that opened (none should)."""
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    tab.page.on("dialog", record)
    tab.page.add_init_script(
        "window.__rsmeXss = []; window.alert = m => window.__rsmeXss.push(String(m));"
    )
    action()
    tab.page.wait_for_timeout(500)
    ran = tab.page.evaluate("window.__rsmeXss || []")
    return dialogs + list(ran)


def test_a_hostile_literal_in_the_editors_results_runs_no_script(
    hostile: ApiServer, tab: Tab
) -> None:
    literal = HOSTILE.replace("'", "\\'")
    query = (
        f"SELECT ?x ?y WHERE {{ VALUES (?x ?y) {{ ('{literal}' <http://e.example/{'%3Cimg'}>) "
        f"('<b>bold</b>'@en UNDEF) }} }}"
    )

    def run() -> None:
        response = tab.goto(f"{hostile.base}/sparql")
        assert response is not None and response.status == 200
        page = tab.page
        page.wait_for_selector(".tabPanel.active .CodeMirror")
        page.locator(".tabPanel.active .CodeMirror").evaluate(
            "(e, q) => e.CodeMirror.setValue(q)", query
        )
        with page.expect_response(
            lambda r: r.url.startswith(f"{hostile.base}/sparql") and r.request.method == "POST"
        ) as answered:
            page.locator(".tabPanel.active .yasqe_queryButton").click()
        assert answered.value.status == 200
        page.wait_for_selector(".tabPanel.active .yasr_results table tbody tr td")
        # the literal is shown as text
        cells = page.locator(".tabPanel.active .yasr_results table tbody").inner_text()
        assert "<script>alert(" in cells or "onerror" in cells, cells[:500]
        assert page.locator(".tabPanel.active .yasr_results table img").count() == 0
        assert page.locator(".tabPanel.active .yasr_results table b").count() == 0

    assert _no_script_ran(tab, run) == []


def test_the_hostile_study_page_runs_no_script_in_a_browser(
    hostile: ApiServer, hostile_build: Hostile, tab: Tab
) -> None:
    from urllib.parse import quote

    def run() -> None:
        for path in (
            f"/explore/studies/{hostile_build.study}",
            f"/explore/factors/{hostile_build.factor}",
            f"/id/study/{hostile_build.study}",
            f"/explore/search?q={quote(HOSTILE)}",
            f"/explore/studies/{quote(HOSTILE, safe='')}",
        ):
            response = tab.goto(f"{hostile.base}{path}")
            assert response is not None and response.status < 500
            assert tab.page.locator("main img[src='x']").count() == 0

    assert _no_script_ran(tab, run) == []
