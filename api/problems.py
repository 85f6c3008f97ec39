"""Errors as application/problem+json (RFC 9457), mapped once, at the edge."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import (
    AnalysisError,
    AnswerTooLarge,
    EngineFailure,
    InputError,
    InputErrors,
    QueryError,
    QueryTimeout,
    RsmeError,
    StoreError,
    StoreUnavailable,
    UsageError,
)

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "https://w3id.org/rsme-kg/problems/"
_POSITION = re.compile(r"error at (\d+):(\d+)")


class Problem(Exception):
    """An error answered as problem+json; raise it anywhere below a route."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        self.headers = headers or {}
        self.extra = extra
        super().__init__(detail)

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document."""
        doc: dict[str, Any] = {
            "type": TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        doc.update(self.extra)
        return doc


def not_found(kind: str, ident: str, known: Iterable[str]) -> Problem:
    """A 404 for an unknown id, suggesting the closest known ids.

    >>> not_found("factor", "psychic-distanse", ["psychic-distance", "innovation"]).extra
    {'suggestions': ['psychic-distance']}
    """
    close = difflib.get_close_matches(ident, sorted(known), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return Problem(
        404, "Not found", f"no {kind} with id {ident!r}{hint}", kind="not-found", suggestions=close
    )


def not_found_response(
    description: str, kind: str, wrong: str, right: str, instance: str
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a 404 for an unknown id, its example made by `not_found`
    itself (so the documented answer is the one sent).

    >>> doc = not_found_response("No study", "study", "ruzier-2007", "ruzzier-2007", "/s/x")
    >>> doc[404]["content"][PROBLEM_TYPE]["example"]["suggestions"]
    ['ruzzier-2007']
    """
    example = not_found(kind, wrong, [right]).body(instance)
    return {404: {"description": description, "content": {PROBLEM_TYPE: {"example": example}}}}


# the 404 of the REST routes for an unknown factor or category id
NOT_FOUND = not_found_response(
    "No such id; `suggestions` lists the closest known ids.",
    "factor",
    "psychic-distanse",
    "psychic-distance",
    "/factors/psychic-distanse",
)


def check_year_range(year_from: int | None, year_to: int | None) -> None:
    """A 422 when a year range is given backwards (shared by the listing routes)."""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise Problem(
            422,
            "Invalid parameters",
            f"year_from ({year_from}) is after year_to ({year_to})",
            kind="invalid-parameters",
            errors=[{"location": ["query", "year_from"], "message": "after year_to"}],
        )


def syntax_problem(message: str) -> Problem:
    """A 400 for a malformed query, with the parser's line and column when it gives them."""
    extra: dict[str, Any] = {}
    match = _POSITION.search(message)
    if match:
        extra = {"line": int(match.group(1)), "column": int(match.group(2))}
    return Problem(
        400,
        "Malformed query",
        f"the query does not parse: {message}",
        kind="malformed-query",
        **extra,
    )


def response(problem: Problem, request: Request | None = None) -> JSONResponse:
    """The HTTP response of a problem."""
    headers = {"Vary": "Accept", **problem.headers}
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.body(instance), status_code=problem.status, headers=headers, media_type=PROBLEM_TYPE
    )


async def problem_handler(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for Problem."""
    assert isinstance(exc, Problem)
    return response(exc, request)


# Retry-After for the answers that may succeed soon: the engine was replaced, the store is back
_RETRY = {"Retry-After": "5"}


def problem_of(exc: RsmeError, timeout: float | None = None) -> Problem:
    """The problem+json answer of one of the project's errors (the one place they are mapped).

    >>> problem_of(QueryTimeout("too slow"), timeout=2.0).status
    503
    >>> problem_of(UsageError("no")).kind
    'bad-request'
    """
    detail = str(exc)
    if isinstance(exc, QueryTimeout):
        extra: dict[str, Any] = {} if timeout is None else {"timeout_seconds": timeout}
        return Problem(503, "Query timeout", detail, kind="timeout", headers=_RETRY, **extra)
    if isinstance(exc, EngineFailure):
        return Problem(500, "Engine failure", detail, kind="engine-failure")
    if isinstance(exc, StoreUnavailable | StoreError):
        return Problem(503, "Store unavailable", detail, kind="store-unavailable", headers=_RETRY)
    if isinstance(exc, AnswerTooLarge):
        return Problem(400, "Answer too large", detail, kind="answer-too-large")
    if isinstance(exc, QueryError):
        return syntax_problem(detail)
    if isinstance(exc, AnalysisError):
        return Problem(422, "Cannot compute", detail, kind="cannot-compute")
    if isinstance(exc, InputError | InputErrors | UsageError):
        return Problem(400, "Bad request", detail, kind="bad-request")
    return Problem(500, "Internal error", detail, kind="internal-error")


async def rsme_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for RsmeError: every project error reaches the client as problem+json."""
    assert isinstance(exc, RsmeError)
    settings = getattr(request.app.state, "settings", None)
    return response(problem_of(exc, getattr(settings, "query_timeout", None)), request)


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's HTTP errors (404, 405 ...) as problem+json too."""
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    headers = dict(exc.headers or {})
    return response(Problem(exc.status_code, title, str(exc.detail), headers=headers), request)


async def validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """Bad parameters: 422 with the list of what is wrong where."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": list(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
    ]
    problem = Problem(
        422,
        "Invalid parameters",
        "some parameters are not valid",
        kind="invalid-parameters",
        errors=errors,
    )
    return response(problem, request)


async def internal_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """An exception nothing else maps (a bug): 500 problem+json that names no internals."""
    problem = Problem(
        500,
        "Internal error",
        "the server failed to answer this request; its log has the details",
        kind="internal-error",
    )
    return response(problem, request)
