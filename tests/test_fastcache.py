"""The read cache in front of the app: stores 200 answers, computes concurrent misses once,
and keeps the answers of the routes declared @cacheable, and of no other."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Route

from api.app import create_app
from api.fastcache import ReadCache, cacheable, cached_paths

# what the hand-kept list of cached path prefixes said before the routes declared it
OLD_PREFIXES = (
    "/sparql",
    "/factors",
    "/analysis",
    "/categories",
    "/studies",
    "/search",
    "/mappings",
    "/id/",
    "/graph/",
    "/ontology",
    "/shapes",
    "/context.jsonld",
    "/.well-known/void",
)


async def _answer(request: Any) -> None:
    """A stand-in endpoint: only its @cacheable mark matters to the cache."""


SAMPLE = cached_paths([Route("/factors", cacheable(_answer)), Route("/categories", _answer)])


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
    cache = ReadCache(app, max_bytes=1_000_000, paths=SAMPLE)

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
    cache = ReadCache(app, max_bytes=1_000_000, paths=SAMPLE)

    async def burst() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(request(cache) for _ in range(3)))

    statuses = [status for status, _ in asyncio.run(burst())]
    assert statuses == [503, 503, 503] and app.calls == 3
    asyncio.run(request(cache))
    assert app.calls == 4


def test_only_the_routes_declared_cacheable_are_kept() -> None:
    """A new route declared @cacheable is cached (also inside an included router, with its
    prefix); an undeclared one is computed on every request."""
    calls = {"kept": 0, "live": 0, "nested": 0}
    app = FastAPI()
    router = APIRouter(prefix="/things")

    @cacheable
    @app.get("/kept")
    async def kept() -> dict[str, int]:
        calls["kept"] += 1
        return {"call": calls["kept"]}

    @app.get("/live")
    async def live() -> dict[str, int]:
        calls["live"] += 1
        return {"call": calls["live"]}

    @router.get("/{ident}")
    @cacheable  # below the route decorator works as well
    async def nested(ident: str) -> dict[str, int]:
        calls["nested"] += 1
        return {"call": calls["nested"]}

    app.include_router(router)
    app.add_middleware(ReadCache, max_bytes=1_000_000, paths=cached_paths(app.routes))

    async def requests() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in ("/kept", "/live", "/things/a") * 3:
                assert (await client.get(path)).status_code == 200
            assert (await client.get("/kept")).json() == {"call": 1}  # the first answer, kept

    asyncio.run(requests())
    assert calls == {"kept": 1, "live": 3, "nested": 1}


def _sample(template: str) -> str:
    """A concrete path of a route template: /factors/{factor_id} -> /factors/x."""
    return re.sub(r"\{[^}]*\}", "x", template)


# routes added after the hand-kept list was retired, each declared @cacheable where defined
ADDED_SINCE = {"/"}
# the explorer's pages (api/routes/explore*.py)
ADDED_SINCE |= {
    "/explore",
    "/explore/categories/{category_id}",
    "/explore/factors/{factor_id}",
    "/explore/studies",
    "/explore/studies/{study_id}",
    "/explore/search",
}
# a release's description (api/routes/releases.py): a release never changes once written
ADDED_SINCE |= {"/releases/{version}", "/releases/{version}/"}


def test_the_declared_routes_cover_what_the_hand_kept_list_did() -> None:
    """Every GET route of the app is cached exactly when the old prefix list covered it."""
    app = create_app()
    paths = cached_paths(app.routes)
    templates = [
        r.path
        for r in iter_route_contexts(app.routes)
        if r.path is not None and "GET" in (r.methods or ())
    ]
    assert len(templates) > 20 and "/healthz" in templates  # the app's routes were found
    for template in templates:
        sample = _sample(template)
        cached = sample.startswith(OLD_PREFIXES) or template in ADDED_SINCE
        assert (sample in paths) == cached, template
    # the cached ones really are the old list's, every one of them still served
    covered = {p for p in OLD_PREFIXES if any(_sample(t).startswith(p) for t in templates)}
    assert covered == set(OLD_PREFIXES)
    # and the app's cache in front of it uses exactly these paths
    (middleware,) = [m for m in app.user_middleware if m.cls is ReadCache]
    assert middleware.kwargs["paths"] == paths


def test_an_unmarked_route_under_a_marked_template_is_not_kept() -> None:
    """The route that routing picks decides: /factors/{id}/live is not cached because
    /factors/{id} is; paths that no route serves are not cached either."""
    router = APIRouter()

    @router.get("/factors/{factor_id}")
    @cacheable
    async def factor(factor_id: str) -> dict[str, str]:
        return {"id": factor_id}

    @router.get("/factors/{factor_id}/live")
    async def live(factor_id: str) -> dict[str, str]:
        return {"id": factor_id}

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    paths = cached_paths(app.routes)
    assert "/v1/factors/x" in paths
    assert "/v1/factors/x/live" not in paths
    assert "/v1/factors" not in paths
    assert "/factors/x" not in paths


def test_static_files_are_not_kept_again_by_the_read_cache() -> None:
    """A 1 MB script asked with three Accept headers would be three copies in the cache; the
    static files are answered from memory instead (api.pages.assets) and never stored."""
    from api.pages import served_name

    app = create_app()
    paths = cached_paths(app.routes)
    name = served_name("style.css")
    assert f"/static/{name}" not in paths and "/favicon.ico" not in paths
    assert "/" in paths  # the pages themselves are cached
