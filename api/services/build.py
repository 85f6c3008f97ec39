"""The build being served, and the answers computed once per build of the embedded store.

The embedded store is read-only between builds and its build.json names the build, so an
answer derived from it (the search index, the analysis, the weights) is kept under that id.
A remote store may be republished under us and has no build.json: its answers are computed
on every request, as its query answers are not cached either (api.app).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from fastapi import Request

from api.named import select

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
