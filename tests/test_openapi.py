"""The OpenAPI description is complete: every route, parameter and response is documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.apiclient import Api

REST = ("/factors", "/categories", "/studies", "/search", "/mappings")
# the analysis tables (JSON); the pictures and the HTML report are not JSON answers
ANALYSIS = tuple(
    f"/analysis/{name}"
    for name in ("weights", "matrix", "kappa", "flow", "cooccurrence", "timeline", "appraisal")
)


@pytest.fixture(scope="module")
def spec_and_server(embedded: Api) -> tuple[dict[str, Any], Api]:
    return embedded.get("/openapi.json").json(), embedded


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_summary_and_a_documented_success(
    spec_and_server: tuple[dict[str, Any], Api],
) -> None:
    spec, _ = spec_and_server
    seen = set()
    for path, method, operation in operations(spec):
        seen.add(path)
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"
        ok = [code for code in operation["responses"] if code[0] in "23"]  # 303 for redirects
        assert ok, f"{method.upper()} {path} documents no success"
    for expected in (
        "/sparql",
        "/healthz",
        "/version",
        "/.well-known/void",
        "/factors",
        "/factors/{factor_id}",
        "/factors/{factor_id}/evidence",
        "/categories",
        "/studies",
        "/search",
        "/mappings",
        "/ontology",
        "/shapes",
        "/context.jsonld",
        "/analysis/weights",
        "/analysis/matrix",
        "/analysis/kappa",
        "/analysis/flow",
        "/analysis/cooccurrence",
        "/analysis/timeline",
        "/analysis/appraisal",
        "/analysis/{name}.{extension}",
    ):
        assert any(p == expected or p.startswith(expected.split("{")[0]) for p in seen), expected


def test_every_rest_parameter_is_described(
    spec_and_server: tuple[dict[str, Any], Api],
) -> None:
    spec, _ = spec_and_server
    for path, method, operation in operations(spec):
        if not path.startswith((*REST, "/analysis")):
            continue
        for parameter in operation.get("parameters", []):
            where = f"{method.upper()} {path} parameter {parameter['name']}"
            assert parameter.get("description") or parameter["schema"].get("description"), where


def test_rest_json_answers_have_a_schema_with_examples(
    spec_and_server: tuple[dict[str, Any], Api],
) -> None:
    spec, _ = spec_and_server
    schemas = spec["components"]["schemas"]
    for path, method, operation in operations(spec):
        if not path.startswith(REST + ANALYSIS) or method != "get":
            continue
        content = operation["responses"]["200"].get("content", {})
        json_schema = content.get("application/json", {}).get("schema")
        assert json_schema, f"GET {path}: no JSON schema for 200"
        ref = json_schema.get("$ref") or json_schema.get("items", {}).get("$ref")
        if ref is None:
            continue  # a plain type, e.g. a list of strings
        name = ref.rsplit("/", 1)[-1]
        assert (
            schemas[name].get("examples")
            or content["application/json"].get("example")
            or content["application/json"].get("examples")
        ), f"GET {path}: {name} has no example"


def test_docs_page_is_served(spec_and_server: tuple[dict[str, Any], Api]) -> None:
    _, server = spec_and_server
    reply = server.get("/docs")
    assert reply.status_code == 200 and "swagger" in reply.text.lower()


def test_the_release_routes_declare_their_answers() -> None:
    """/releases and the files and ontologies of releases: a success, and problem+json for an
    unknown release or file (404) and for an unacceptable format (406)."""
    from api.app import create_app

    spec = create_app().openapi()["paths"]
    declared = {
        "/releases": ("200", "304", "406"),
        "/releases/{version}": ("200", "304", "404", "406"),
        "/releases/{version}/{path}": ("200", "206", "304", "404"),
        "/ontology/{version}": ("200", "303", "304", "404", "406"),
    }
    for path, codes in declared.items():
        responses = spec[path]["get"]["responses"]
        assert set(codes) <= set(responses), (path, sorted(responses))
        for code in ("404", "406"):
            if code in codes:
                assert "application/problem+json" in responses[code]["content"], (path, code)
    schema = spec["/releases"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/ReleaseList")


# --- the description declares what the server sends (tests/test_fuzz_api.py fuzzes it) -------


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    """The finished description of a fresh app (no store needed to describe it)."""
    from api.app import create_app

    return create_app().openapi()


def test_every_error_answer_is_declared_as_problem_json(description: dict[str, Any]) -> None:
    """Every 4xx and 5xx of every operation is application/problem+json with the one
    ProblemDocument schema; FastAPI's HTTPValidationError (a 422 the app never sends) is gone."""
    from api.openapi import PROBLEM_REF

    seen = 0
    for path, method, operation in operations(description):
        for code, response in operation["responses"].items():
            if code[0] in "45":
                where = f"{method.upper()} {path} {code}"
                content = response.get("content", {})
                assert content["application/problem+json"]["schema"] == PROBLEM_REF, where
                assert "application/json" not in content, where
                seen += 1
        assert "500" in operation["responses"], f"{method.upper()} {path}"
    assert seen > 100
    schemas = description["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    problem = schemas["ProblemDocument"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem.get("additionalProperties", True) is not False  # extension members


def test_the_documents_declare_their_own_media_types(description: dict[str, Any]) -> None:
    """The routes that answered with a type the description did not declare (schemathesis's
    first run): VoID (RDF, not JSON), the TriG dump, static files, the SPARQL service
    description and results."""
    paths = description["paths"]

    def declared(path: str, method: str = "get", code: str = "200") -> set[str]:
        return set(paths[path][method]["responses"][code].get("content", {}))

    rdf = {"text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"}
    assert declared("/.well-known/void") == rdf
    assert declared("/dump/rsme-kg.trig") == {"application/trig"}
    assert {"text/css", "text/javascript", "image/svg+xml"} <= declared("/static/{name}")
    assert "404" in paths["/static/{name}"]["get"]["responses"]
    sparql = declared("/sparql") | declared("/sparql", "post")
    assert rdf | {"text/csv", "text/tab-separated-values", "text/html"} <= sparql
    assert "application/sparql-results+json" in sparql
    for code in ("400", "403", "406", "413", "503"):
        assert code in paths["/sparql"]["get"]["responses"], code


def test_the_sparql_operations_declare_their_parameters_and_body(
    description: dict[str, Any],
) -> None:
    """/sparql's requests are parsed by hand; their parameters and bodies are declared anyway
    (a POST without a body was valid by the description, and a 400)."""
    get = description["paths"]["/sparql"]["get"]
    assert {p["name"] for p in get["parameters"]} == {
        "query",
        "default-graph-uri",
        "named-graph-uri",
        "format",
    }
    body = description["paths"]["/sparql"]["post"]["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/x-www-form-urlencoded", "application/sparql-query"}
    assert body["content"]["application/x-www-form-urlencoded"]["schema"]["required"] == ["query"]


def test_pages_declare_their_errors_as_pages_too(description: dict[str, Any]) -> None:
    """A browser gets a page for a 404 or a 422 of the explorer, other clients problem+json;
    a 406 is for clients that take no HTML."""
    responses = description["paths"]["/explore/studies"]["get"]["responses"]
    for code in ("404", "422"):
        assert set(responses[code]["content"]) == {"text/html", "application/problem+json"}
    assert set(responses["406"]["content"]) == {"application/problem+json"}


def test_format_parameters_list_their_values(description: dict[str, Any]) -> None:
    """A route's ?format= lists the values it takes (short names and media types; empty leaves
    the choice to Accept), so that a client (and the fuzzer) can pick one."""
    parameters = description["paths"]["/mappings"]["get"]["parameters"]
    (fmt,) = (p for p in parameters if p["name"] == "format")
    assert fmt["schema"]["enum"] == [
        "",
        "json",
        "tsv",
        "sssom",
        "application/json",
        "text/tab-separated-values",
    ]
    for path in ("/id/{path}", "/graph/{name}", "/ontology", "/shapes", "/releases"):
        (fmt,) = (
            p for p in description["paths"][path]["get"]["parameters"] if p["name"] == "format"
        )
        assert "ttl" in fmt["schema"]["enum"] or "json" in fmt["schema"]["enum"], path


def test_an_unexpected_error_is_a_problem_not_plain_text() -> None:
    """A bug in a route (any exception nothing maps) is a 500 problem+json that names no
    internals, not Starlette's text/plain "Internal Server Error"."""
    import asyncio

    import httpx

    from api.app import create_app

    app = create_app()

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/boom")

    reply = asyncio.run(call())
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["type"].endswith("/internal-error") and body["status"] == 500
    assert "secret" not in reply.text
