"""HEAD wherever GET (api.head; RFC 9110 9.1 and 9.3.2): the same status and headers as GET,
no body; in process on both backends, and through the real server as `curl -I` sends it.
The OpenAPI description lists no HEAD operation (it lists GET's)."""

from __future__ import annotations

import pytest

from api.head import add_head_routes
from api.routes import factors
from tests.apiclient import Api
from tests.apiserver import ApiServer

# one of each kind of GET answer: page, JSON, CSV, RDF, SPARQL, picture, static, problem
PATHS = [
    ("/", "text/html"),
    ("/factors", "application/json"),
    ("/factors/business-networking/evidence", "text/csv"),
    ("/studies?limit=5", "application/json"),
    ("/explore/factors/business-networking", "text/html"),
    ("/sparql", "text/turtle"),  # the service description
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
    ("/analysis/kappa", "application/json"),
    ("/ontology", "text/turtle"),
    ("/id/factor/business-networking", "text/turtle"),  # a hand-made HEAD route, kept
    ("/healthz", "application/json"),
    ("/factors/no-such-factor", "application/json"),  # 404 problem+json
]
SAME = ("content-type", "content-length", "etag", "vary", "cache-control", "link")


@pytest.mark.parametrize(("path", "accept"), PATHS)
def test_head_answers_like_get_without_a_body(server: Api, path: str, accept: str) -> None:
    got = server.get(path, headers={"accept": accept})
    head = server.head(path, headers={"accept": accept})
    assert head.status_code == got.status_code
    assert head.content == b""
    for name in SAME:
        assert head.headers.get(name) == got.headers.get(name), name
    assert int(head.headers["content-length"]) == len(got.content)


def test_curl_i_gets_the_headers_of_a_page(live: ApiServer) -> None:
    """Through uvicorn, which sends no body for HEAD whatever the app writes."""
    got = live.get("/explore/categories/networks")
    head = live.head("/explore/categories/networks")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    links = got.text.split('"')
    static = [link for link in links if link.startswith("/static/") and link.endswith(".css")]
    assert static and live.head(static[0]).status_code == 200


def test_the_description_lists_no_head_operation(server: Api) -> None:
    spec = server.get("/openapi.json").json()
    assert not [p for p, item in spec["paths"].items() if "head" in item]
    assert "get" in spec["paths"]["/factors"]


def test_head_routes_are_added_once() -> None:
    """Routers are module-level and every app includes them: a second call adds none."""
    add_head_routes(factors.router)
    assert add_head_routes(factors.router) == 0
    heads = [r for r in factors.router.routes if "HEAD" in (getattr(r, "methods", None) or ())]
    assert len(heads) == len({r.path for r in heads})  # one per path
