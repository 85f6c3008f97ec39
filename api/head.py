"""HEAD for every page and lookup: RFC 9110 (9.1) asks every general-purpose server to support
GET and HEAD, and link checkers, download managers, caches and `curl -I` use it.

FastAPI routes answer only the methods they name. Before a router is included, each of its GET
routes gets a HEAD twin on the same path and endpoint, left out of the OpenAPI description as
the hand-made ones are (api/ld.py, api/routes/releases.py). The endpoint computes the same
answer, so the status and headers are GET's; the server sends no body (uvicorn drops it for
HEAD, and `HeadWithoutBody` below does for any other ASGI server or client).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def add_head_routes(router: APIRouter) -> int:
    """Give every GET route of `router` that has no HEAD route a HEAD twin; how many were added.
    Safe to call again (the routers are module-level, and each app includes them)."""
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    headed = {r.path for r in routes if "HEAD" in (r.methods or ())}
    added = 0
    for route in routes:
        if "GET" not in (route.methods or ()) or route.path in headed:
            continue
        router.add_api_route(
            route.path.removeprefix(router.prefix),  # add_api_route puts the prefix back
            route.endpoint,
            methods=["HEAD"],
            response_class=route.response_class,
            include_in_schema=False,
            name=f"{route.name}-head",
        )
        headed.add(route.path)
        added += 1
    return added


class HeadWithoutBody:
    """ASGI middleware: the answer to a HEAD request carries no body bytes (its headers, the
    Content-Length included, are GET's, as RFC 9110 9.3.2 asks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body: only its end is sent, empty
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, without_body)
