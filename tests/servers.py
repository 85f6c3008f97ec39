"""Real servers for tests: `oxigraph serve` on a free port of 127.0.0.1, and a counting proxy."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs

import httpx

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
STARTUP_SECONDS = 20.0
ATTEMPTS = 3  # a free port may be taken by someone else between finding and binding it


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OxigraphServer:
    """A running `oxigraph serve`; stop it with `stop()` or by leaving a `with` block."""

    def __init__(self, location: Path | None, port: int) -> None:
        self.location = location
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.query_url = f"{self.url}/query"
        self.store_url = f"{self.url}/store"
        # a file, not a pipe: a pipe nobody reads would block the server once it fills up;
        # it lives as long as the server, so stop() closes it, not a with block
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        command = [str(OXIGRAPH), "serve", "--bind", f"127.0.0.1:{port}"]
        if location is not None:
            command += ["--location", str(location)]
        # our stores show the union of the named graphs as the default graph; so must this one
        command.append("--union-default-graph")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def __enter__(self) -> OxigraphServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far ('' once stopped)."""
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def ready(self) -> bool:
        """True once the server answers a query."""
        try:
            answer = httpx.get(self.query_url, params={"query": "ASK {}"}, timeout=1.0)
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    def wait_until_ready(self, seconds: float = STARTUP_SECONDS) -> None:
        """Block until the server answers; RuntimeError with its output if it exits or stalls."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"oxigraph serve exited with code {self.process.returncode}:\n{self.output()}"
                )
            if self.ready():
                return
            time.sleep(0.05)
        message = f"oxigraph serve did not answer within {seconds:g} s:\n{self.output()}"
        self.stop()
        raise RuntimeError(message)

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and release its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


def start_oxigraph(location: Path | None = None) -> OxigraphServer:
    """Start `oxigraph serve` on a free port (in memory when `location` is None), ready."""
    if not OXIGRAPH.is_file():
        raise RuntimeError(f"no oxigraph binary at {OXIGRAPH}: install the test extras")
    for attempt in range(ATTEMPTS):
        server = OxigraphServer(location, free_port())
        try:
            server.wait_until_ready()
        except RuntimeError as exc:
            server.stop()
            if attempt == ATTEMPTS - 1 or "in use" not in str(exc):
                raise
            continue
        return server
    raise AssertionError("not reached: the loop returns or raises")


class CountingProxy:
    """A SPARQL endpoint in front of another that records every query it passes on.

    It stands between the facade and a remote store, so a test sees exactly the queries the
    store receives (their text, in order), as a packet capture would, without one.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.queries: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = parse_qs(body.decode("ascii"), keep_blank_values=True)
                proxy.queries.extend(form.get("query", []))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.post(proxy.target, content=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for name in ("Content-Type",):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads `queries`

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/query"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def summaries(self) -> list[str]:
        """The summary comment of each query passed on since the last `clear`.

        A named query starts with a one-line `# summary` (after the prologue the facade puts
        on the same line); a query without one is shown by its first 60 characters.
        """
        found = []
        for query in self.queries:
            start = query.find("# ")
            line = query[start + 2 :].splitlines()[0] if start >= 0 else query[:60]
            found.append(line)
        return found

    def clear(self) -> None:
        """Forget the queries seen so far."""
        self.queries.clear()

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


class ConnectionCounter:
    """A TCP listener on 127.0.0.1 that only counts the connections it accepts (and closes
    them): the witness that a refused SERVICE call made no connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            self._accepted(conn)

    def _accepted(self, conn: socket.socket) -> None:
        conn.close()

    def settled(self) -> int:
        """The count once any connection in flight had time to arrive."""
        time.sleep(0.5)
        return self.connections

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class HangingEndpoint(ConnectionCounter):
    """An endpoint that accepts connections and never answers (each is held until close)."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []
        super().__init__()

    def _accepted(self, conn: socket.socket) -> None:
        self.held.append(conn)

    def close(self) -> None:
        super().close()
        for conn in self.held:
            conn.close()
