"""The HTTP/1.1 connection protocol `rsme-kg serve` runs: uvicorn's, with a deadline and a size
limit on every request head.

uvicorn bounds only the idle time between requests (`timeout_keep_alive`), and any byte that
arrives cancels that timer: a client that opens a connection and sends nothing, or sends its
headers a byte at a time (slowloris), holds the connection for ever, and with it one of the
`limit_concurrency` places. This protocol arms one timer when a connection opens and again
after each answer; only a complete request head stops it (RSME_KG_HEADER_TIMEOUT). It also
counts the bytes of a head still incomplete (httptools has no limit of its own) and answers
431 beyond RSME_KG_MAX_HEADER_BYTES. The time to send a body is bounded by the endpoint that
reads it (api.sparql, RSME_KG_BODY_TIMEOUT): other routes never wait for a body, and the timer
armed after their answer ends a connection whose unread body still trickles in.

uvicorn builds one instance per connection from the `http` option, by import path
(`api.httpguard:GuardedHttpProtocol`), so several server processes each import it; its limits
come from the same RSME_KG_* settings as the app's.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.problems import TYPE_BASE
from api.settings import Settings

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


@cache
def _limits() -> tuple[float, int]:
    """(header timeout in seconds, head size in bytes), read once per process."""
    settings = Settings()
    return settings.header_timeout, settings.max_header_bytes


def refusal(status: int, title: str, detail: str) -> bytes:
    """A whole HTTP/1.1 problem+json answer that closes the connection."""
    body = json.dumps(
        {
            "type": TYPE_BASE + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
    ).encode("utf-8")
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/problem+json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        )
    )


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit on request heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout, self.max_header_bytes = _limits()
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # bytes of a request arrived, its head is not complete yet
        self._head_bytes = 0

    # --- the deadline: armed when the connection opens and after each answer
    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _answering(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._in_head and not self._answering():  # a head begun, never finished: say why
            self.transport.write(
                refusal(
                    408,
                    "Request timeout",
                    f"the request's headers did not arrive within {self.header_timeout:g} s "
                    "(setting RSME_KG_HEADER_TIMEOUT)",
                )
            )
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Open the connection and start its clock."""
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """The first byte of a request: its head is counted from here."""
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        # pipelined behind an answer still being written: the clock starts when it is done
        # (on_response_complete), so that a 408 never lands in the middle of that answer
        if not self._answering():
            self._arm()

    def on_headers_complete(self) -> None:
        """A whole head: the clock stops until the answer is written."""
        self._in_head = False
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """An answer written: the next request's head is due within the deadline."""
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()

    # --- the size of a head still incomplete
    def data_received(self, data: bytes) -> None:
        """Feed the parser; a head that grows past the limit is refused."""
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.max_header_bytes:
            self._disarm()
            if self._answering():  # no refusal in the middle of an answer: just hang up
                self.transport.close()
                return
            self.transport.write(
                refusal(
                    431,
                    "Request header fields too large",
                    f"the request's head has more than {self.max_header_bytes} bytes "
                    "(setting RSME_KG_MAX_HEADER_BYTES); POST long queries",
                )
            )
            self.transport.close()
