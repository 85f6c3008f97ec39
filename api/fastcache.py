"""A raw-request cache in front of the app for read-only GETs (pure ASGI, no framework work).

The graph is read-only between builds, so the same GET (path, query string, Accept, Origin)
always gets the same answer. Repeated SPARQL queries, lookups and pages are then answered
without routing, parsing, evaluation or serialization. Only successful answers are stored.

A route says that its answers may be kept where it is defined, with `@cacheable`; the paths
the cache looks at are derived from the assembled app's routes (`cached_paths`).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Key = tuple[str, bytes, bytes, bytes]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_MARK = "_rsme_cacheable"


def cacheable(endpoint: Endpoint) -> Endpoint:
    """Declare a route's GET answers cacheable: they depend only on the request and the
    (read-only) graph. Put it on the route function, above or below its @router.get."""
    setattr(endpoint, _MARK, True)
    return endpoint


@dataclass(frozen=True)
class CachedPaths:
    """Which request paths' GET answers may be kept: the first GET route whose template
    matches a path decides, as in routing, so an unmarked /factors/{id}/live stays uncached
    beside a marked /factors/{id}."""

    routes: tuple[tuple[re.Pattern[str], bool], ...] = ()

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        for pattern, marked in self.routes:
            if pattern.match(path):
                return marked
        return False


def cached_paths(routes: Iterable[BaseRoute]) -> CachedPaths:
    """The GET routes in routing order, each with whether it is declared @cacheable (called
    once the app is assembled).

    >>> from starlette.routing import Route
    >>> async def kept(request: object) -> None: ...
    >>> async def live(request: object) -> None: ...
    >>> paths = cached_paths(
    ...     [Route("/a/{x}", cacheable(kept)), Route("/a/{x}/live", live), Route("/b", live)]
    ... )
    >>> "/a/1" in paths, "/a" in paths, "/a/1/live" in paths, "/b" in paths
    (True, False, False, False)
    """
    found: list[tuple[re.Pattern[str], bool]] = []
    # included routers are walked as FastAPI walks them (their prefixes applied)
    for route in iter_route_contexts(list(routes)):
        if route.path is None or "GET" not in (route.methods or ()):
            continue
        pattern, _, _ = compile_path(route.path)
        found.append((pattern, bool(getattr(route.endpoint, _MARK, False))))
    return CachedPaths(tuple(found))


class ReadCache:
    """ASGI middleware: answer repeated GET requests of read-only routes from memory."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = 32_000_000, paths: CachedPaths | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths if paths is not None else CachedPaths()  # none: nothing is kept
        self.size = 0
        self.hits = 0
        self._items: OrderedDict[Key, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._flights: dict[Key, asyncio.Event] = {}

    def _key(self, scope: Scope) -> Key | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if path not in self.paths:
            return None
        accept: list[bytes] = []
        origin: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"accept":
                accept.append(value)
            elif name == b"origin":
                origin.append(value)
            elif name in (b"if-none-match", b"if-modified-since", b"authorization"):
                return None  # conditional or personal requests: the app answers them
        if len(accept) > 1 or len(origin) > 1:
            return None  # repeated headers: let the app decide, and never store the answer
        query = scope.get("query_string", b"")
        return path, query, accept[0] if accept else b"", origin[0] if origin else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        if await self._answer(key, send):
            return
        # single flight: while one request computes an answer, identical ones wait for it
        # rather than computing it again (a cold start under load would otherwise run the
        # same named queries once per waiting client)
        running = self._flights.get(key)
        if running is not None:
            await running.wait()
            if await self._answer(key, send):
                return
            await self.app(scope, receive, send)  # the first one was not cacheable
            return
        done = self._flights[key] = asyncio.Event()
        try:
            await self.app(scope, receive, _Recorder(self, key, send))
        finally:
            del self._flights[key]
            done.set()

    async def _answer(self, key: Key, send: Send) -> bool:
        """Send the stored answer for a key, if there is one."""
        stored = self._items.get(key)
        if stored is None:
            return False
        self._items.move_to_end(key)
        self.hits += 1
        headers, body = stored
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"server-timing", b"cache;desc=request")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return True

    def store(self, key: Key, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Remember one answer, evicting the least recently used ones past the byte budget."""
        cost = len(body) + len(key[0]) + sum(len(k) for k in key[1:])
        if cost > self.max_bytes or key in self._items:
            return
        kept = [(n, v) for n, v in headers if n.lower() != b"server-timing"]
        self._items[key] = (kept, body)
        self.size += cost
        while self.size > self.max_bytes and self._items:
            old_key, (_, old_body) = self._items.popitem(last=False)
            self.size -= len(old_body) + len(old_key[0]) + sum(len(k) for k in old_key[1:])


class _Recorder:
    """Pass a response through while keeping a copy to store if it is cacheable."""

    def __init__(self, cache: ReadCache, key: Key, send: Send) -> None:
        self.cache = cache
        self.key = key
        self.send = send
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", [])]
            # no-store: the answer depends on more than this build (a SERVICE call)
            if message["status"] == 200 and not any(
                n.lower() == b"cache-control" and b"no-store" in v.lower() for n, v in headers
            ):
                self.headers = headers
        elif message["type"] == "http.response.body" and self.headers is not None:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.cache.store(self.key, self.headers, b"".join(self.chunks))
        await self.send(message)
