"""Whether an id names something in the graph, and the closest known ids when it does not.

Every 404 of an unknown id (REST, linked data) suggests the ids of the same kind that are
closest to it (api.problems.not_found); the lists are kept per build.
"""

from __future__ import annotations

from fastapi import Request

from api.named import Row, select
from api.problems import Problem, not_found
from api.rows import local, valid_id
from api.services.build import kept_build, once
from kg import iris
from kg.namespaces import BASE, ID


async def factor_ids(request: Request) -> list[str]:
    """The id of every factor of the taxonomy."""

    async def compute() -> list[str]:
        return [local(row["factor"]) for row in await select(request, "api/factor-ids")]

    return await once(request, "factor-ids", compute)


async def _factor_rows(request: Request, query: str) -> dict[str, Row]:
    """The first row of each factor in a named query (api/factor or api/factor-summary) read
    for every factor at once, by factor IRI, once per build of the embedded store."""

    async def compute() -> dict[str, Row]:
        # api/factor-ids is api/factor for every factor (the same pattern, ordered)
        every = "api/factor-ids" if query == "api/factor" else query
        found: dict[str, Row] = {}
        for row in await select(request, every):
            found.setdefault(str(row["factor"]), row)
        return found

    return await once(request, ("factor-rows", query), compute)


# the queries whose rows of every factor are kept per build (`_factor_rows`): few and small
_KEPT_FACTOR_QUERIES = frozenset({"api/factor", "api/factor-summary"})


async def known_factor(request: Request, ident: str, query: str = "api/factor") -> Row:
    """The row of one factor in a named query bound to it, or a 404 with the closest known ids.

    The default query reads the taxonomy only; a caller that shows counts names a query that
    has them (factor-summary). Neither case reads the weights, which need every code. On the
    embedded store both are read for every factor once per build, and looked up here.
    """
    if valid_id(ident):
        if kept_build(request) is not None and query in _KEPT_FACTOR_QUERIES:
            row = (await _factor_rows(request, query)).get(str(iris.factor(ident)))
            if row is not None:
                return row
        else:
            rows = await select(request, query, factor=iris.factor(ident))
            if rows:
                return rows[0]
    raise not_found("factor", ident, await factor_ids(request))


async def _resources(request: Request) -> list[str]:
    async def compute() -> list[str]:
        return [str(row["resource"]) for row in await select(request, "api/ld-resources")]

    return await once(request, "ld-resources", compute)


async def unknown_resource(request: Request, iri: str) -> Problem:
    """A 404 for an IRI with no triples, suggesting minted IRIs of the same kind."""
    rest = iri[len(str(ID)) :] if iri.startswith(str(ID)) else iri[len(BASE) :]
    kind, _, ident = rest.partition("/")
    if not iri.startswith(str(ID)) or not ident:
        return Problem(404, "Not found", f"nothing is known about <{iri}>", kind="not-found")
    known = [i for r in await _resources(request) if (i := iris.local_id(r, kind)) is not None]
    return not_found(kind, ident, known)
