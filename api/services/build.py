"""The build being served, and the answers computed once per build of the embedded store.

The embedded store is read-only between builds and its build.json names the build, so an
answer derived from it (the search index, the analysis, the weights) is kept under that id.
A remote store may be republished under us and has no build.json: its answers are computed
on every request, as its query answers are not cached either (api.app).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from fastapi import Request

from api.named import Row, select
from kg import iris

T = TypeVar("T")


class PerBuild:
    """A small LRU of answers keyed by build id and what was asked (few keys per build).

    An answer is kept as the task computing it, so requests that arrive while it is computed
    (a cold start: /factors, /search and /analysis at once) wait for that one computation; a
    computation that fails is forgotten, and the next request tries again.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, Hashable], asyncio.Task[Any]] = OrderedDict()

    async def get(self, build: str, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The answer kept for (build, key), computed now if there is none."""
        item = (build, key)
        task = self._items.get(item)
        if task is None:
            task = asyncio.ensure_future(compute())
            self._items[item] = task
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(item)
        try:
            # shielded: a client that goes away must not cancel the others' computation
            return cast(T, await asyncio.shield(task))
        except Exception:
            if self._items.get(item) is task:
                del self._items[item]
            raise


def kept_build(request: Request) -> str | None:
    """The id of the embedded store's build (build.json), or None: nothing may be kept."""
    manifest: dict[str, Any] = request.app.state.manifest or {}
    build = manifest.get("build_id")
    return str(build) if build else None


async def once(request: Request, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
    """compute() once per build of the embedded store; every time for a remote store."""
    build = kept_build(request)
    kept: PerBuild | None = getattr(request.app.state, "per_build", None)
    if build is None or kept is None:
        return await compute()
    return await kept.get(build, key, compute)


async def build_id(request: Request) -> str | None:
    """The id of the build being served: from build.json, or asked of a remote store."""
    build = kept_build(request)
    if build is not None:
        return build
    # a remote store may be republished under us: ask it each time (one small query)
    rows = await select(request, "api/ld-build")
    return str(rows[0]["id"]) if rows else None


async def kept_rows(request: Request, name: str) -> list[Row]:
    """The rows of a named query without bindings, converted once per build of the embedded
    store (asked every time of a remote one). The rows are shared: read them, never change them."""
    return await once(request, ("rows", name), lambda: select(request, name))


# the most rows of a query for every factor kept at once (`by_factor`); a graph with more is
# asked factor by factor (the evidence of every factor: about 4.5M triples of the corpus's shape)
BY_FACTOR_ROWS = 100_000


async def by_factor(request: Request, name: str, factor: str) -> list[Row]:
    """The rows of a named query bound to one factor id (?factor), in the query's order.

    On the embedded store the query is run once per build for every factor, and its rows are
    grouped by ?factor: one query instead of one per factor, so that the first request for any
    factor finds its rows ready (api.warmup). A query whose ORDER BY starts with ?factor gives
    each factor's rows in the order the bound query gives them. A remote store, which may
    change, is asked for the one factor every time. The rows are shared: never change them."""
    every = await every_factor(request, name)
    if every is None:
        return await select(request, name, factor=iris.factor(factor))
    return every.get(str(iris.factor(factor)), [])


async def every_factor(request: Request, name: str) -> dict[str, list[Row]] | None:
    """The rows of a named query for every factor, by factor IRI (`by_factor`), read once per
    build of the embedded store; None for a remote store or a graph with too many rows."""
    if kept_build(request) is None:
        return None

    async def compute() -> dict[str, list[Row]] | None:
        rows = await select(request, name, max_rows=BY_FACTOR_ROWS + 1)
        if len(rows) > BY_FACTOR_ROWS:
            return None  # too many to keep at once: asked factor by factor
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[str(row["factor"])].append(row)
        return dict(grouped)

    return await once(request, ("by-factor", name), compute)
