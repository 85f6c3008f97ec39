"""ASGI middleware: a structured (JSON lines) access log and a total Server-Timing entry.

Written as plain ASGI rather than BaseHTTPMiddleware to keep the per-request cost low.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("rsme_kg.access")


class AccessLogMiddleware:
    """Log one JSON object per request and add `total;dur=` to Server-Timing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        size = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                total = f"total;dur={(time.perf_counter() - started) * 1000:.1f}"
                headers = list(message.get("headers", []))
                for i, (name, value) in enumerate(headers):
                    if name.lower() == b"server-timing":
                        headers[i] = (name, value + b", " + total.encode())
                        break
                else:
                    headers.append((b"server-timing", total.encode()))
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(json.dumps(_record(scope, status, size, started)))


def _record(scope: Scope, status: int, size: int, started: float) -> dict[str, Any]:
    client = scope.get("client")
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "pid": os.getpid(),
        "client": f"{client[0]}:{client[1]}" if client else None,
        "method": scope.get("method"),
        "path": scope.get("path"),
        "query_bytes": len(scope.get("query_string", b"")),
        "status": status,
        "bytes": size,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }
