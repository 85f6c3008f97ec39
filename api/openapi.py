"""The OpenAPI description's finishing pass: every error answer declared as problem+json.

FastAPI writes each route's own declarations; three things it cannot know are added here, once
for every operation, so that the description says what the server sends
(tests/test_fuzz_api.py holds the server to it with schemathesis):

* every 4xx and 5xx answer is `application/problem+json` with the `ProblemDocument` schema
  (api.problems maps every error so, FastAPI's own 422 included, which FastAPI would describe
  as its `HTTPValidationError` JSON);
* any operation may answer 500 (a fault of the server), and those that read the store 503
  (store unreachable or query timeout, with Retry-After);
* the SPARQL Protocol's operations (`sparql_query_get`, `sparql_query_post`), whose requests
  are parsed by hand (api.sparql) and so declare no parameters to FastAPI: their parameters,
  bodies, result formats and refusals are described here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import FastAPI

from api import formats
from api.models.problems import ProblemDocument
from api.problems import PROBLEM_TYPE

PROBLEM_SCHEMA = "ProblemDocument"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA}"}
# FastAPI's description of its own 422, which the app answers as problem+json instead
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")
# operations that answer from memory or from files, never from the store: no 503
NO_STORE = frozenset({"/static/{name}", "/favicon.ico", "/context.jsonld", "/version"})
RDF_DOCUMENTS = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
HTML = "text/html"

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds after which the request may succeed.",
        "schema": {"type": "string"},
    }
}
SERVER_ERRORS: dict[str, dict[str, Any]] = {
    "500": {"description": "A fault of the server (the query engine failed, a bug)."},
    "503": {
        "description": "The store cannot be reached, or the query ran out of time "
        "(RSME_KG_QUERY_TIMEOUT); Retry-After says when to try again.",
        "headers": _RETRY_AFTER,
    },
}


def problem(description: str) -> dict[str, Any]:
    """An error answer's declaration: problem+json with the ProblemDocument schema."""
    return {"description": description, "content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}}}


def page_errors(responses: Mapping[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The declarations of a page's answers, its 4xx also as a page (text/html) for browsers
    (api.services.pages.respond) besides problem+json for other clients; a 406 is for clients
    that take no HTML, and so problem+json only.

    >>> sorted(page_errors({404: {"description": "x"}})[404]["content"])
    ['application/problem+json', 'text/html']
    """
    declared: dict[int | str, dict[str, Any]] = {}
    for code, response in responses.items():
        response = {**response, "content": dict(response.get("content", {}))}
        if str(code).startswith("4") and str(code) != "406":
            response["content"].setdefault(HTML, {"schema": {"type": "string"}})
        response["content"].setdefault(PROBLEM_TYPE, {"schema": PROBLEM_REF})
        declared[code] = response
    return declared


# ---------------------------------------------------------------------------- the SPARQL Protocol

_QUERY_EXAMPLE = (
    "PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>\n"
    "SELECT ?factor (COUNT(?code) AS ?codes) WHERE { ?code rsme:codesFactor ?factor }\n"
    "GROUP BY ?factor ORDER BY DESC(?codes) LIMIT 10"
)
_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
_GRAPH_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{what} of the query's dataset (an absolute IRI; repeatable).",
        "schema": _GRAPHS,
        "style": "form",
        "explode": True,
    }
    for name, what in (
        ("default-graph-uri", "A default graph"),
        ("named-graph-uri", "A named graph"),
    )
]
_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "Overrides the Accept header: a media type or a short name (json, xml, csv, "
    "tsv, ttl, nt, jsonld, rdfxml, trig, nq).",
    "schema": {"type": "string"},
}


def _sparql_success() -> dict[str, Any]:
    content: dict[str, Any] = {media: {} for media in formats.all_media_types()}
    content.update({media: {} for media in RDF_DOCUMENTS})  # the service description
    content[HTML] = {"schema": {"type": "string"}}  # the SPARQL editor, for a browser
    return {
        "description": "The results (SELECT, ASK) or the graph (CONSTRUCT, DESCRIBE) in the "
        "negotiated format; without a query, the service description (or, for a browser, "
        "the SPARQL editor).",
        "content": content,
    }


_SPARQL_REFUSALS: dict[str, dict[str, Any]] = {
    "400": problem(
        "The request breaks the protocol (a repeated parameter, a bad graph IRI, a body that "
        "is not UTF-8, another content type) or the query does not parse (`line`, `column`)."
    ),
    "403": problem("An update, or a SERVICE to an endpoint not in RSME_KG_SERVICE_ALLOWLIST."),
    "406": problem("No result format the client takes fits the query's form (`acceptable`)."),
    "413": problem("The query (RSME_KG_MAX_QUERY_LENGTH) or body (MAX_BODY_BYTES) is too long."),
}

SPARQL_GET: dict[str, Any] = {
    "parameters": [
        {
            "name": "query",
            "in": "query",
            "required": False,
            "description": "A SPARQL 1.1 query (not an update); without it, the service "
            "description.",
            "schema": {"type": "string", "examples": [_QUERY_EXAMPLE, "ASK { ?s ?p ?o }"]},
        },
        *_GRAPH_PARAMETERS,
        _FORMAT,
    ],
    "responses": {"200": _sparql_success(), **_SPARQL_REFUSALS},
}

SPARQL_POST: dict[str, Any] = {
    "parameters": _GRAPH_PARAMETERS,
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "examples": [_QUERY_EXAMPLE]},
                        "default-graph-uri": _GRAPHS,
                        "named-graph-uri": _GRAPHS,
                        "format": {"type": "string"},
                    },
                    "required": ["query"],
                }
            },
            "application/sparql-query": {
                "schema": {"type": "string", "examples": ["ASK { ?s ?p ?o }"]}
            },
        },
    },
    "responses": {
        "200": _sparql_success(),
        **_SPARQL_REFUSALS,
        "408": problem("The body did not arrive within RSME_KG_BODY_TIMEOUT."),
    },
}
SPARQL_OPERATIONS = {"sparql_query_get": SPARQL_GET, "sparql_query_post": SPARQL_POST}


# ---------------------------------------------------------------------------- the pass


def operations(spec: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation of a description."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            yield path, method, operation


def finish(spec: dict[str, Any]) -> dict[str, Any]:
    """The description with every error answer declared as problem+json (changed in place)."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_SCHEMA] = ProblemDocument.model_json_schema()
    for path, _, operation in operations(spec):
        extra = SPARQL_OPERATIONS.get(operation.get("operationId", ""))
        if extra is not None:
            _merge(operation, extra)
        responses = operation.setdefault("responses", {})
        for code, declared in SERVER_ERRORS.items():
            if code == "503" and path in NO_STORE:
                continue
            responses.setdefault(code, dict(declared))
        for code, response in responses.items():
            if code[:1] in ("4", "5"):
                _as_problem(response)
    for name in _FASTAPI_422:
        if not _referenced(spec, name):
            schemas.pop(name, None)
    return spec


def _merge(operation: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """The SPARQL operation's declarations, unless the route gave its own."""
    if not operation.get("parameters"):
        operation["parameters"] = list(extra["parameters"])
    if "requestBody" in extra and "requestBody" not in operation:
        operation["requestBody"] = extra["requestBody"]
    responses = operation.setdefault("responses", {})
    for code, response in extra["responses"].items():
        mine = responses.setdefault(code, {"description": response["description"]})
        content = mine.setdefault("content", {})
        for media, entry in response.get("content", {}).items():
            content.setdefault(media, entry)


def _as_problem(response: dict[str, Any]) -> None:
    content = response.setdefault("content", {})
    fastapi = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    if fastapi.endswith("/HTTPValidationError"):
        # answered by api.problems.validation_handler: `errors` lists location and message
        del content["application/json"]
        response["description"] = "Invalid parameters: `errors` names each, where and why."
    entry = content.setdefault(PROBLEM_TYPE, {})
    entry.setdefault("schema", PROBLEM_REF)


def _referenced(spec: dict[str, Any], name: str) -> bool:
    target = f"#/components/schemas/{name}"

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return node.get("$ref") == target or any(walk(v) for v in node.values())
        if isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    return walk(spec.get("paths", {})) or walk(
        {k: v for k, v in spec["components"]["schemas"].items() if k != name}
    )


def install(app: FastAPI) -> None:
    """Make the app's /openapi.json the finished description (computed once, then kept)."""
    made: Callable[[], dict[str, Any]] = app.openapi
    finished: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not finished:
            finished.append(finish(made()))
        return finished[0]

    app.openapi = openapi  # type: ignore[method-assign]
