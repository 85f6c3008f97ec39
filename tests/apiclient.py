"""The web facade in the test's own process: `create_app(settings)` behind an ASGI transport.

Most API tests talk to the app through httpx's ASGITransport, which calls the app directly, in
an event loop of its own (an anyio portal) where the app's lifespan runs, so no server process
starts and no port is taken; sync tests call into that loop. The few tests that need bytes on a
socket get one from the same app on first use of `.base` or `.port` (uvicorn in the same loop,
sharing the backend); the tests of the real `rsme-kg serve` use `tests.apiserver.ApiServer`.
Both are an `Api`, so a test can take either.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
from abc import ABC, abstractmethod
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

if TYPE_CHECKING:  # imported when an app is made: a test run that needs none never loads api/
    from api.settings import Settings

ACCESS_LOG = logging.getLogger("rsme_kg.access")
ORIGIN = "http://testserver"  # the host of every in-process request
_clients = itertools.count(50_001)  # a client port per app, to tell their access-log lines apart


class Requests(ABC):
    """httpx's request methods, each through `request` (which a facade defines)."""

    @abstractmethod
    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; `url` is a path of the facade or an absolute URL it wrote."""

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET `url`."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to `url`."""
        return self.request("POST", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """HEAD `url`."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        """OPTIONS `url`."""
        return self.request("OPTIONS", url, **kwargs)


class Api(Protocol):
    """What a test may ask of the facade, in-process (`ApiClient`) or not (`ApiServer`)."""

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT`, where the facade answers on a real socket."""

    @property
    def port(self) -> int:
        """The port of `base`."""

    @property
    def sparql(self) -> str:
        """The absolute URL of the SPARQL endpoint (for clients that take a URL)."""

    @property
    def store(self) -> Path | None:
        """The embedded store served, or None for a remote one."""

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request (`url` a path or an absolute URL the facade wrote)."""

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET `url`."""

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to `url`."""

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """HEAD `url`."""

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        """OPTIONS `url`."""

    def log_text(self) -> str:
        """The access log so far, one JSON object a line (among other lines)."""


def given_settings(**values: Any) -> Settings:
    """Settings given by the test alone: a developer's RSME_KG_* variables do not leak in."""
    return _given_settings()(**values)


@cache
def _given_settings() -> type[Settings]:
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

    from api.settings import Settings

    class GivenSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    return GivenSettings


class _AccessLines(logging.Handler):
    """Keeps the access-log lines of one app (told apart by the client address it is sent)."""

    def __init__(self, client: str) -> None:
        super().__init__(logging.INFO)
        self.client = client
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        try:
            mine = json.loads(line).get("client") == self.client
        except (ValueError, AttributeError):
            mine = False
        if mine:
            self.lines.append(line)


class ApiClient(Requests):
    """`create_app(settings)` run in this process; use it as a context manager.

    Keyword arguments are fields of `Settings`; one query worker unless told otherwise, no
    warm-up unless told otherwise, and the public base is `ORIGIN`, so the absolute links the
    app writes lead back to it.
    """

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("query_workers", 1)
        settings.setdefault("public_base", ORIGIN)
        # the background warm-up draws every picture: on two cores, in every app of the suite,
        # it slows every other test; tests/test_warmup.py turns it on
        settings.setdefault("warmup", False)
        from api.app import create_app

        self.settings = given_settings(**settings)
        self.store: Path | None = None if self.settings.endpoint else self.settings.store
        self.endpoint = self.settings.endpoint
        self.app = create_app(self.settings)
        client = ("testclient", next(_clients))
        # like httpx against a real server, 3xx answers are not followed; an exception in the
        # app is raised in the test (where a server would answer 500), with its traceback
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app, client=client), base_url=ORIGIN
        )
        self._log = _AccessLines(f"{client[0]}:{client[1]}")
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._socket: _Socket | None = None

    def __enter__(self) -> ApiClient:
        with ExitStack() as stack:
            ACCESS_LOG.addHandler(self._log)
            stack.callback(ACCESS_LOG.removeHandler, self._log)
            stack.callback(ACCESS_LOG.setLevel, ACCESS_LOG.level)
            ACCESS_LOG.setLevel(logging.INFO)  # as `rsme-kg serve` sets it up
            portal = stack.enter_context(start_blocking_portal())
            # the app's lifespan, as a server runs it: starts the backend, stops it at the end
            lifespan: AbstractContextManager[Any] = portal.wrap_async_context_manager(
                self.app.router.lifespan_context(self.app)
            )
            stack.enter_context(lifespan)
            stack.callback(portal.call, self._client.aclose)
            stack.callback(self._stop_socket)
            self._portal = portal
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._portal = None
        self._stack.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app, from any thread."""
        if self._portal is None:
            raise RuntimeError("the app is not running: use ApiClient in a with block")
        return self._portal.call(partial(self._client.request, method, url, **kwargs))

    def log_text(self) -> str:
        """The access-log lines of this app so far (JSON, one a line), as the server's log."""
        return "".join(line + "\n" for line in self._log.lines)

    # ------------------------------------------------------------- the same app on a socket

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT` where the same app answers on a real socket (started now)."""
        return self._serve()[0]

    @property
    def port(self) -> int:
        """The port of `base`."""
        return self._serve()[1]

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint on the socket (for clients that need a URL of their own)."""
        return f"{self.base}/sparql"

    def _serve(self) -> tuple[str, int]:
        """Serve the app with uvicorn in its own event loop, so both share the backend."""
        if self._socket is None:
            if self._portal is None:
                raise RuntimeError("the app is not running: use ApiClient in a with block")
            self._socket = _Socket.start(self.app, self._portal)
        return self._socket.url, self._socket.port

    def _stop_socket(self) -> None:
        if self._socket is not None:
            self._socket.stop()
            self._socket = None


@dataclass
class _Socket:
    """uvicorn serving an app on 127.0.0.1, as a task of the app's own event loop."""

    server: Any  # uvicorn.Server
    sock: socket.socket
    task: Future[None]

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, app: Any, portal: BlockingPortal) -> _Socket:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # bound here: no other process can take the port
        # the lifespan already ran; uvicorn's logging setup would change the whole process's
        config = uvicorn.Config(
            app, lifespan="off", log_config=None, access_log=False, log_level="warning"
        )
        server = uvicorn.Server(config)
        running = cls(server, sock, portal.start_task_soon(server.serve, [sock]))
        deadline = time.monotonic() + 10
        while not server.started:
            if running.task.done() or time.monotonic() > deadline:
                problem = running.task.exception(timeout=5) if running.task.done() else None
                running.stop()
                raise RuntimeError(f"uvicorn did not start: {problem!r}")
            time.sleep(0.01)
        return running

    def stop(self) -> None:
        self.server.should_exit = True
        try:
            self.task.result(timeout=15)
        finally:
            self.sock.close()
