"""Run the named queries of kg/queries/ for the REST routes and pages, on either backend.

The same runner as the CLI's (kg.queries.select / construct), made async: values are bound as
terms (`queries.bindings`; the store substitutes them or sends a VALUES block of escaped terms,
and refuses a variable the query does not return), and the store's QueryResult becomes typed
rows (`QueryResult.rows`) or an rdflib graph (`QueryResult.graph`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from fastapi import Request
from rdflib import Graph

from api.backends import AnswerCache, Backend
from api.problems import Problem
from api.settings import Settings
from api.worker import Lookup
from kg import queries
from kg.errors import QueryError
from kg.store.base import QueryResult, Row

__all__ = ["Row", "construct", "result", "select"]

# the scope key under which api.warmup puts the semaphore its queries take turns on
WARMUP_GATE = "rsme_kg.warmup_gate"


async def result(
    request: Request, name: str, values: Mapping[str, queries.Value], max_rows: int = 100_000
) -> QueryResult:
    """The answer of a named query (cached with the other answers), values bound."""
    settings: Settings = request.app.state.settings
    cache: AnswerCache = request.app.state.cache
    backend: Backend = request.app.state.backend
    lookup = Lookup(queries.load(name), tuple(queries.bindings(values).items()), max_rows)
    cached = cache.get(lookup)
    if isinstance(cached, QueryResult):
        return cached
    # the background warm-up's queries take turns, so that a worker stays free (api.warmup)
    scope = getattr(request, "scope", None) or {}
    turn = scope.get(WARMUP_GATE) or contextlib.nullcontext()
    try:
        async with turn:
            found = await backend.lookup(lookup, settings.query_timeout)
    except QueryError as exc:  # the project's own query failed: a fault of the server
        raise Problem(500, "Named query failed", f"{name}: {exc}", kind="query-failed") from exc
    cache.put(lookup, found, _cost(found) + len(lookup.query))
    return found


async def select(
    request: Request, name: str, max_rows: int = 100_000, **values: queries.Value
) -> list[Row]:
    """The rows of a named SELECT query, values as Python values (language-tagged as dicts)."""
    return (await result(request, name, values, max_rows)).rows()


async def construct(request: Request, name: str, **values: queries.Value) -> Graph:
    """The triples of a named CONSTRUCT query as a new graph, on whichever backend serves."""
    return (await result(request, name, values)).graph()


def _cost(found: QueryResult) -> int:
    """Roughly the bytes an answer holds in memory: its terms' text and the objects around."""
    terms = [term for row in found.solutions for term in row.values()]
    terms += [term for triple in found.triples or () for term in triple]
    return sum(len(str(term)) for term in terms) + 100 * len(terms)
