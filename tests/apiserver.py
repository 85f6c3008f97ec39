"""Start the real rsme-kg server (uvicorn, in its own process) on a free port for tests.

Most API tests run the app in-process (`tests.apiclient.ApiClient`); this one is for what only
the real `rsme-kg serve` shows: real clients (SPARQLWrapper, rdflib, a browser), several
uvicorn processes, query workers per core, the process's own access log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.apiclient import Requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer(Requests):
    """`rsme-kg serve` as a subprocess; stderr (the access log) goes to a file."""

    def __init__(
        self,
        *,
        store: Path | None = None,
        endpoint: str | None = None,
        env: dict[str, str] | None = None,
        log: Path,
        extra: list[str] | None = None,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.sparql = f"{self.base}/sparql"
        self.log = log
        args = [str(Path(sys.executable).parent / "rsme-kg"), "serve", "--port", str(self.port)]
        args += ["--endpoint", endpoint] if endpoint else ["--store", str(store)]
        args += extra or []
        environment = {k: v for k, v in os.environ.items() if not k.startswith("RSME_KG_")}
        # no background warm-up (api.warmup) unless a test asks: it would draw every picture
        # while the test runs, on the same two cores
        environment = {"RSME_KG_WARMUP": "0", **environment, **(env or {})}
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            args, stdout=self._log_file, stderr=subprocess.STDOUT, env=environment
        )
        self._client = httpx.Client(base_url=self.base, timeout=30)
        self._wait()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request over the socket (a path of this server or an absolute URL)."""
        return self._client.request(method, url, **kwargs)

    def _wait(self, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not come up: {self.log.read_text(errors='replace')}")

    def log_text(self) -> str:
        """What the server wrote so far."""
        self._log_file.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server and its query workers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._client.close()
        self._log_file.close()

    def __enter__(self) -> ApiServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
