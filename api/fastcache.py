"""A raw-request cache in front of the app for GET /sparql (pure ASGI, no framework work).

The graph is read-only between builds, so the same GET (query string, Accept, Origin) always
gets the same answer. Repeated dashboard and notebook queries are then answered without
routing, parsing or evaluation. Only successful, complete SPARQL answers are stored.
"""

from __future__ import annotations

from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Key = tuple[bytes, bytes, bytes]
_CACHEABLE = b"x-result-rows"


class SparqlGetCache:
    """ASGI middleware: answer repeated GET /sparql requests from memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = 32_000_000, path: str = "/sparql") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path = path
        self.size = 0
        self.hits = 0
        self._items: OrderedDict[Key, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    def _key(self, scope: Scope) -> Key | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            return None
        query = scope.get("query_string", b"")
        if not query:
            return None  # the service description: cheap, and negotiated separately
        accept: list[bytes] = []
        origin: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"accept":
                accept.append(value)
            elif name == b"origin":
                origin.append(value)
        if len(accept) > 1 or len(origin) > 1:
            return None  # repeated headers: let the app decide, and never store the answer
        return query, accept[0] if accept else b"", origin[0] if origin else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        stored = self._items.get(key)
        if stored is not None:
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
            return
        await self.app(scope, receive, _Recorder(self, key, send))

    def store(self, key: Key, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Remember one answer, evicting the least recently used ones past the byte budget."""
        cost = len(body) + sum(len(k) for k in key)
        if cost > self.max_bytes or key in self._items:
            return
        kept = [(n, v) for n, v in headers if n.lower() != b"server-timing"]
        self._items[key] = (kept, body)
        self.size += cost
        while self.size > self.max_bytes and self._items:
            old_key, (_, old_body) = self._items.popitem(last=False)
            self.size -= len(old_body) + sum(len(k) for k in old_key)


class _Recorder:
    """Pass a response through while keeping a copy to store if it is cacheable."""

    def __init__(self, cache: SparqlGetCache, key: Key, send: Send) -> None:
        self.cache = cache
        self.key = key
        self.send = send
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(bytes(n), bytes(v)) for n, v in message.get("headers", [])]
            names = {n.lower() for n, _ in headers}
            if message["status"] == 200 and _CACHEABLE in names:
                self.headers = headers
        elif message["type"] == "http.response.body" and self.headers is not None:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.cache.store(self.key, self.headers, b"".join(self.chunks))
        await self.send(message)
