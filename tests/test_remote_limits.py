"""A remote store's answer is read within the service's limits: whole within the query
timeout (a store that trickles bytes is cut off, and its connection closed), and up to
`MAX_ANSWER_BYTES` (a larger answer is refused with 400 answer-too-large, saying what to do).
Against the real `oxigraph serve` holding the build, and a trickling endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from kg.errors import AnswerTooLarge, QueryTimeout
from kg.store.remote import RemoteStore
from tests.apiclient import ApiClient
from tests.servers import OxigraphServer, TricklingEndpoint

PROBLEM = "application/problem+json"
EVERYTHING = "SELECT * WHERE { ?s ?p ?o }"
LIMIT = 20_000  # bytes: the whole graph's answer is far larger, ten rows far smaller


@pytest.fixture(scope="module")
def small_limit(oxigraph: OxigraphServer) -> Iterator[ApiClient]:
    with ApiClient(endpoint=oxigraph.query_url, max_answer_bytes=LIMIT) as app:
        yield app


def test_an_answer_over_the_limit_is_refused_with_what_to_do(small_limit: ApiClient) -> None:
    reply = small_limit.get("/sparql", params={"query": EVERYTHING})
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith(PROBLEM)
    problem = reply.json()
    assert problem["type"] == "https://w3id.org/rsme-kg/problems/answer-too-large"
    assert f"larger than {LIMIT} bytes" in problem["detail"] and "LIMIT" in problem["detail"]


def test_an_answer_within_the_limit_is_relayed(small_limit: ApiClient) -> None:
    reply = small_limit.get(
        "/sparql",
        params={"query": f"{EVERYTHING} LIMIT 10"},
        headers={"accept": "application/sparql-results+json"},
    )
    assert reply.status_code == 200 and len(reply.json()["results"]["bindings"]) == 10
    assert len(reply.content) < LIMIT


def test_the_store_reads_no_more_than_the_limit(oxigraph: OxigraphServer) -> None:
    """The same bound on the store the named queries use (REST lookups, pages)."""
    with RemoteStore(oxigraph.query_url, keep_alive=True, max_answer_bytes=LIMIT) as store:
        with pytest.raises(AnswerTooLarge, match=f"larger than {LIMIT} bytes"):
            store.query(EVERYTHING)
        assert len(store.query(f"{EVERYTHING} LIMIT 10")) == 10


def test_a_trickling_store_is_cut_off_at_the_timeout() -> None:
    """Each byte comes well within the timeout, the whole answer never does: QueryTimeout once
    the timeout has passed, and the connection is closed (no thread keeps reading)."""
    endpoint = TricklingEndpoint(every=0.2)
    try:
        with RemoteStore(endpoint.url, timeout=1.0, keep_alive=True) as store:
            started = time.monotonic()
            with ThreadPoolExecutor(1) as pool:
                # a reader bound per piece only would read for days: the test fails instead
                reading = pool.submit(store.raw, EVERYTHING, "application/sparql-results+json")
                with pytest.raises(QueryTimeout, match="did not answer within 1 s"):
                    reading.result(timeout=30)
            assert time.monotonic() - started >= 1.0  # not before its time
        assert endpoint.dropped.wait(10)  # the store closed the connection
        sent = endpoint.sent
        time.sleep(1.0)
        assert endpoint.sent == sent  # and nothing is read any more
    finally:
        endpoint.close()


def test_the_facade_answers_503_over_a_trickling_store() -> None:
    endpoint = TricklingEndpoint(every=0.2)
    try:
        with ApiClient(endpoint=endpoint.url, query_timeout=1.0) as app:
            reply = app.get("/sparql", params={"query": EVERYTHING})
            assert reply.status_code == 503
            assert reply.json()["type"] == "https://w3id.org/rsme-kg/problems/timeout"
            assert reply.headers["retry-after"].isdigit()
        assert endpoint.dropped.wait(10)
    finally:
        endpoint.close()
