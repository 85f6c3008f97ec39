"""The SPARQL 1.1 Protocol endpoint (queries only): /sparql.

Parsing is done by hand rather than through FastAPI parameters because the protocol is
strict about what makes a bad request: repeated `query`, wrong content types, bodies that
are not UTF-8, and the dataset parameters that may repeat.

A browser that GETs /sparql without a query (Accept prefers text/html to every serialization
of the service description) gets the SPARQL editor, as Fuseki and Oxigraph answer: YASGUI,
served from this server (api/static/vendor, see api.vendor), preloaded with the example and
analysis queries of kg/queries. Everything else the protocol's clients see is unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from api import formats, policy, problems
from api.backends import AnswerCache, Backend
from api.conneg import choose, parse_accept
from api.documents import negotiated
from api.fastcache import cacheable
from api.linkeddata import base_path
from api.pages import render
from api.problems import Problem, syntax_problem
from api.responses import HTML
from api.settings import Settings
from api.vendor import read_manifest
from api.worker import Answer, Job
from kg import queries
from kg.errors import RsmeError
from kg.namespaces import PREFIXES

router = APIRouter(tags=["SPARQL"])

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20]*$")


@dataclass(frozen=True)
class ProtocolRequest:
    """The parameters of one SPARQL Protocol request."""

    query: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None


def _decode_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw.decode("ascii", "strict"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError as exc:
        raise Problem(
            400,
            "Bad encoding",
            f"the {where} is not valid UTF-8: {exc.reason}",
            kind="bad-encoding",
        ) from exc


# a refused body may still be on its way: the connection ends with the answer, rather than
# the server reading (and throwing away) the rest of it
_CLOSE = {"Connection": "close"}


async def _body(request: Request, settings: Settings) -> bytes:
    """The request body, read within RSME_KG_BODY_TIMEOUT and RSME_KG_MAX_BODY_BYTES.

    A declared Content-Length over the limit is refused before a byte is read; a chunked body
    is read only up to the limit. A client that sends its body slowly (a byte at a time) holds
    a connection and a request task: the whole body must arrive within the deadline.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise _too_large(int(declared), settings.max_body_bytes)
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_body_bytes:
                raise _too_large(size, settings.max_body_bytes)
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), settings.body_timeout)
    except ClientDisconnect:
        # the client hung up half-way: nobody to answer, but no traceback in the log either
        # (a client that does it in a loop would otherwise fill the log with them)
        raise Problem(
            400,
            "Incomplete body",
            f"the client closed the connection after {size} bytes of the body",
            kind="incomplete-body",
            headers=_CLOSE,
        ) from None
    except TimeoutError:
        raise Problem(
            408,
            "Request timeout",
            f"the request body did not arrive within {settings.body_timeout:g} s "
            f"({size} bytes came; setting RSME_KG_BODY_TIMEOUT)",
            kind="request-timeout",
            headers=_CLOSE,
        ) from None
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> Problem:
    return Problem(
        413,
        "Request body too large",
        f"the body has at least {size} bytes; the limit is {limit}",
        kind="too-large",
        headers=_CLOSE,
    )


def _one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise Problem(
            400,
            "Repeated parameter",
            f"the parameter '{name}' is given {len(values)} times; give it once",
            kind="repeated-parameter",
        )
    return values[0] if values else None


async def parse_request(request: Request, settings: Settings) -> ProtocolRequest:
    """Read a protocol request; raise a Problem for anything the protocol does not allow."""
    url_pairs = _decode_pairs(request.scope.get("query_string", b""), "query string")
    pairs = list(url_pairs)
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await _body(request, settings)
        if media == FORM:
            pairs += _decode_pairs(body, "request body")
        elif media == QUERY:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Problem(
                    400, "Bad encoding", "the query body is not valid UTF-8", kind="bad-encoding"
                ) from exc
            if any(k == "query" for k, _ in url_pairs):
                raise Problem(
                    400,
                    "Repeated parameter",
                    "a query in the body and in the URL; give it once",
                    kind="repeated-parameter",
                )
            pairs.append(("query", text))
        elif media == UPDATE:
            raise _read_only()
        else:
            shown = media or "none"
            raise Problem(
                400,
                "Unsupported content type",
                f"content type {shown}: POST a query as {FORM} or {QUERY}",
                kind="unsupported-content-type",
            )
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in pairs):
        raise _read_only()
    query = _one(pairs, "query")
    for name, value in pairs:
        if name in ("default-graph-uri", "named-graph-uri") and not _is_iri(value):
            raise Problem(
                400,
                "Bad graph IRI",
                f"{name} {value!r} is not an absolute IRI",
                kind="bad-graph-iri",
            )
    return ProtocolRequest(
        query=query,
        default_graphs=tuple(v for k, v in pairs if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in pairs if k == "named-graph-uri"),
        format=_format(pairs),
    )


def _is_iri(text: str) -> bool:
    return bool(_ABSOLUTE_IRI.match(text))


def _format(pairs: list[tuple[str, str]]) -> str | None:
    """The `format` override; clients such as SPARQLWrapper repeat it in several spellings."""
    # a value may list alternatives ("application/ld+json,application/x-json+ld"): the first counts
    values = {formats.canonical(v.split(",")[0]) for k, v in pairs if k == "format" and v}
    if len(values) > 1:
        raise Problem(
            400,
            "Repeated parameter",
            f"the parameter 'format' asks for {len(values)} different formats",
            kind="repeated-parameter",
        )
    return values.pop() if values else None


def _read_only() -> Problem:
    return Problem(
        403,
        "Read-only endpoint",
        "this endpoint answers queries only; SPARQL Update is refused",
        kind="read-only",
    )


def _answer_response(
    answer: Answer, cached: bool, settings: Settings, federated: bool = False
) -> Response:
    if answer.status == 200:
        headers = {
            "Vary": "Accept",
            "X-Result-Rows": str(answer.rows),
            "Server-Timing": f"query;dur={answer.seconds * 1000:.1f}, "
            f"cache;desc={'hit' if cached else 'miss'}",
        }
        if federated:  # part of it came from another server, which may answer otherwise later
            headers["Cache-Control"] = "no-store"
        if answer.truncated:
            headers["X-Result-Truncated"] = "true"
            headers["X-Result-Limit"] = str(settings.max_rows)
        return Response(
            answer.body, media_type=formats.content_type(answer.media_type), headers=headers
        )
    if answer.error == "syntax":
        raise syntax_problem(answer.detail)
    if answer.error == "not-acceptable":
        raise Problem(
            406,
            "Not acceptable",
            answer.detail,
            kind="not-acceptable",
            acceptable=list(answer.offers),
        )
    raise Problem(400, "Query failed", answer.detail, kind="query-failed")


def service_description_response(request: Request) -> Response:
    """GET /sparql without a query: the SPARQL service description, negotiated."""
    return negotiated(request, request.app.state.service_description, "the service description")


# the queries the editor opens with, one tab each: (folder in kg/queries, tab name prefix)
EDITOR_QUERIES = (("examples", ""), ("analysis", "Analysis: "))
# what the page offers when YASGUI cannot load: the same endpoint, by its query URL
FALLBACK_QUERY = "SELECT (COUNT(?code) AS ?codes) WHERE { ?code a rsme:Code }"


def tab_name(stem: str) -> str:
    """A preloaded tab's name, from its query file's name: hyphens become spaces and the first
    letter a capital; the rest is kept as written (an acronym stays one).

    >>> tab_name("factors-by-studies"), tab_name("SHACL-report")
    ('Factors by studies', 'SHACL report')
    """
    words = stem.replace("-", " ")
    return words[:1].upper() + words[1:]


@cache
def editor_tabs() -> tuple[dict[str, str], ...]:
    """The editor's preloaded tabs: id (from the file's name, stable across edits of the
    query: the browser matches its stored tabs by it), name, summary (the leading comment,
    which stays in the query text), file and query."""
    tabs: list[dict[str, str]] = []
    for folder, prefix in EDITOR_QUERIES:
        for name in queries.available():
            if not name.startswith(folder + "/"):
                continue
            stem = name.removeprefix(folder + "/")
            tabs.append(
                {
                    "id": f"{folder}-{stem}",
                    "name": prefix + tab_name(stem),
                    "summary": queries.summary(name),
                    "file": f"kg/queries/{name}.rq",
                    "query": queries.load(name),
                }
            )
    return tuple(tabs)


def storage_key(endpoint: str) -> str:
    """Where a browser keeps the editor's tabs for this endpoint: the same key whatever the
    queries or YASGUI's version, so that users' own tabs survive both (sparql.js brings the
    preloaded tabs up to date by their ids); only a moved endpoint starts afresh.

    >>> storage_key("/sparql") == storage_key("/sparql"), storage_key("/kg/sparql")[:15]
    (True, 'rsme-kg-sparql-')
    """
    return "rsme-kg-sparql-" + hashlib.sha256(endpoint.encode("utf-8")).hexdigest()[:12]


@cache
def _yasgui_version() -> str:
    entry: dict[str, Any] = read_manifest()["packages"].get("@zazuko/yasgui", {})
    return str(entry.get("version", ""))


def wants_editor(request: Request, protocol: ProtocolRequest) -> bool:
    """Whether a GET without a query asks for a page: its Accept prefers text/html to every
    serialization of the service description (a browser does; `*/*`, a missing Accept or an
    RDF type keep the description, and so does `format=`)."""
    if protocol.format is not None:
        return False
    offers = [*request.app.state.service_description, HTML]  # ties go to the description
    return choose(parse_accept(request.headers.get("accept")), offers) == HTML


def editor_response(request: Request) -> Response:
    """The SPARQL editor's page (the same for every browser: the read cache may keep it)."""
    endpoint = base_path(request) + "/sparql"
    page = render(
        request,
        "sparql.html",
        tabs=list(editor_tabs()),
        endpoint=endpoint,
        storage=storage_key(endpoint),
        yasgui=_yasgui_version(),
        # the prefix completer offers the project's prefixes, which the endpoint predeclares
        prefixes=PREFIXES,
        fallback=f"{endpoint}?{urlencode({'query': FALLBACK_QUERY})}",
    )
    return Response(page, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


_SUMMARY = "SPARQL 1.1 Protocol query endpoint (read-only)"


# GET and POST are two operations with ids of their own: one route for several methods gave
# every method the same operationId, picked at random from a set (invalid OpenAPI).
@cacheable
@router.get(
    "/sparql",
    summary=_SUMMARY,
    operation_id="sparql_query_get",
    responses={200: {"content": {"text/html": {}}}},
)
async def sparql_get(request: Request) -> Response:
    """Answer a SPARQL query given as `query`; without one, the service description, or for a
    browser (Accept preferring text/html) the SPARQL editor."""
    return await sparql(request)


@router.post("/sparql", summary=_SUMMARY, operation_id="sparql_query_post")
async def sparql_post(request: Request) -> Response:
    """Answer a SPARQL query POSTed as a form or as application/sparql-query."""
    return await sparql(request)


@router.api_route("/sparql", methods=["OPTIONS"], include_in_schema=False)
async def sparql_options(request: Request) -> Response:
    """OPTIONS without CORS preflight headers (CORS preflights never get here): the methods."""
    return Response(status_code=204, headers={"Allow": ALLOWED_METHODS})


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_other(request: Request) -> Response:
    """Methods outside the query protocol: 405 with the ones allowed (RFC 9110 15.5.6; the
    SPARQL protocol asks only for a 4xx)."""
    raise Problem(
        405,
        "Method not allowed",
        f"{request.method} is not part of the SPARQL query protocol; use GET or POST",
        kind="method-not-allowed",
        headers={"Allow": ALLOWED_METHODS},
    )


async def sparql(request: Request) -> Response:
    """Answer a SPARQL query (GET with `query`, or POST form / application/sparql-query)."""
    settings: Settings = request.app.state.settings
    protocol = await parse_request(request, settings)
    if protocol.query is None:
        if request.method in ("GET", "HEAD"):  # HEAD: GET's answer without its body (api.head)
            if wants_editor(request, protocol):
                return editor_response(request)
            return service_description_response(request)
        raise Problem(
            400, "Missing query", "POST a 'query' parameter or body", kind="missing-query"
        )
    job = Job(
        protocol.query,
        request.headers.get("accept"),
        protocol.format,
        protocol.default_graphs,
        protocol.named_graphs,
        settings.max_rows,
    )
    cache: AnswerCache = request.app.state.cache
    cached = cache.get(job)
    if isinstance(cached, Answer):  # it passed the policy when it was first answered
        return _answer_response(cached, True, settings)
    refusal = policy.check(
        protocol.query,
        max_length=settings.max_query_length,
        service_allowlist=settings.service_allowlist,
    )
    if refusal is not None:
        raise Problem(refusal.status, refusal.title, refusal.detail)
    federated = bool(policy.service_targets(protocol.query))
    return _answer_response(await _answer(request, job, federated), False, settings, federated)


async def _answer(request: Request, job: Job, federated: bool = False) -> Answer:
    """The backend's answer to a job not in the cache; a successful one is cached unless it is
    `federated` (SERVICE): this graph changes only with a build, the other server at any time.

    A timeout or an outage raises the project's error (QueryTimeout, EngineFailure,
    StoreUnavailable), which the app answers as problem+json (api.problems.problem_of).
    """
    settings: Settings = request.app.state.settings
    cache: AnswerCache = request.app.state.cache
    backend: Backend = request.app.state.backend
    answer = await backend.execute(job, settings.query_timeout)
    if answer.status == 200 and not federated:
        cache.put(job, answer, len(answer.body) + len(job.query))
    return answer


def _route_path(scope: Scope) -> str:
    """The path the router matches: the request's, less the prefix a proxy mounts it under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class ProtocolFastPath:
    """ASGI middleware: GET and POST /sparql answered by the very endpoint the routes call
    (`sparql`), with the app's own problem+json answers for its errors, but without the
    framework's routing and endpoint machinery, which cost more than a small query does.

    It sits inside the other middleware (access log, read cache, CORS), so they see these
    requests as before; every other request, HEAD and the other methods of /sparql included,
    goes on to the router.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "POST")
            or _route_path(scope) != "/sparql"
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response: Response
        try:
            response = await sparql(request)
        except Problem as exc:  # as the app's exception handlers answer them
            response = problems.response(exc, request)
        except RsmeError as exc:
            response = await problems.rsme_error_handler(request, exc)
        await response(scope, receive, send)
