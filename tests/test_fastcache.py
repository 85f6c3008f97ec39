"""The read cache in front of the app: stores 200 answers, computes concurrent misses once."""

from __future__ import annotations

import asyncio
from typing import Any

from api.fastcache import ReadCache


class CountingApp:
    """An ASGI app that answers slowly and counts how often it had to answer."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await asyncio.sleep(0.05)  # long enough for the other requests to arrive meanwhile
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": f"answer {self.calls}".encode()})


def scope(path: str = "/factors", accept: bytes = b"application/json") -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"accept", accept)],
    }


async def request(cache: ReadCache, path: str = "/factors") -> tuple[int, bytes]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    await cache(scope(path), receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


def test_concurrent_identical_misses_are_computed_once() -> None:
    app = CountingApp()
    cache = ReadCache(app, max_bytes=1_000_000)

    async def burst() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(request(cache) for _ in range(8)))

    answers = asyncio.run(burst())
    assert app.calls == 1
    assert answers == [(200, b"answer 1")] * 8
    asyncio.run(request(cache, "/categories"))  # another key is computed on its own
    assert app.calls == 2


def test_failed_answers_are_not_shared_or_stored() -> None:
    """A 503 is not cached: each waiting request asks the app itself, and so does the next."""
    app = CountingApp(status=503)
    cache = ReadCache(app, max_bytes=1_000_000)

    async def burst() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(request(cache) for _ in range(3)))

    statuses = [status for status, _ in asyncio.run(burst())]
    assert statuses == [503, 503, 503] and app.calls == 3
    asyncio.run(request(cache))
    assert app.calls == 4
