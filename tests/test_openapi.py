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
