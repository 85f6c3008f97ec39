"""Real servers for tests: `oxigraph serve` and Virtuoso on free ports of 127.0.0.1, and a
counting proxy."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlencode

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


class ServerProcess:
    """A server process of the tests, its output kept in a file: ready when its query URL
    answers `ASK {}`; stop it with `stop()` or by leaving a `with` block."""

    NAME = "the server"  # for messages
    POLL_SECONDS = 0.05
    query_url: str
    process: subprocess.Popen[bytes]

    def __init__(self) -> None:
        # a file, not a pipe: a pipe nobody reads would block the server once it fills up;
        # it lives as long as the server, so stop() closes it, not a with block
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    def __enter__(self) -> Self:
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
                    f"{self.NAME} exited with code {self.process.returncode}:\n{self.output()}"
                )
            if self.ready():
                return
            time.sleep(self.POLL_SECONDS)
        message = f"{self.NAME} did not answer within {seconds:g} s:\n{self.output()}"
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


class OxigraphServer(ServerProcess):
    """A running `oxigraph serve`; stop it with `stop()` or by leaving a `with` block."""

    NAME = "oxigraph serve"

    def __init__(self, location: Path | None, port: int) -> None:
        self.location = location
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.query_url = f"{self.url}/query"
        self.store_url = f"{self.url}/store"
        super().__init__()
        command = [str(OXIGRAPH), "serve", "--bind", f"127.0.0.1:{port}"]
        if location is not None:
            command += ["--location", str(location)]
        # our stores show the union of the named graphs as the default graph; so must this one
        command.append("--union-default-graph")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


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


# -- Virtuoso open source (Debian's virtuoso-opensource, installed by .ci/run) ----------------

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
# A fresh database only ever holds the build: small buffers keep start-up and memory low.
_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
FileExtend = 100
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 8
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = {folder}
NumberOfBuffers = 2000
MaxDirtyBuffers = 1500
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}/vsp
MaxClientConnections = 8
ServerThreads = 8
EnabledDavVSP = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = {max_seconds}
"""


class VirtuosoServer(ServerProcess):
    """A running `virtuoso-t` with a database of its own in `folder` (removed by `stop()`).

    Both its ports (SQL and HTTP) listen on 127.0.0.1 only. `secure()` replaces the default
    `dba` password (known to everyone) by a random one before anything is loaded, and makes
    only the given graphs readable by anonymous SPARQL, as an operator of a shared store would.
    """

    NAME = "virtuoso-t"
    POLL_SECONDS = 0.1

    def __init__(
        self, folder: Path, http_port: int, sql_port: int, *, max_rows: int, max_seconds: int
    ) -> None:
        self.folder = folder
        self.http_port = http_port
        self.sql_port = sql_port
        self.url = f"http://127.0.0.1:{http_port}"
        self.query_url = f"{self.url}/sparql"
        # the Graph Store Protocol endpoint that takes writes: HTTP Digest authentication
        self.store_url = f"{self.url}/sparql-graph-crud-auth"
        self.user = "dba"
        self.password = "dba"  # Virtuoso's default, until secure()
        (folder / "vsp").mkdir(parents=True, exist_ok=True)
        ini = folder / "virtuoso.ini"
        ini.write_text(
            _VIRTUOSO_INI.format(
                folder=folder,
                sql_port=sql_port,
                http_port=http_port,
                max_rows=max_rows,
                max_seconds=max_seconds,
            ),
            encoding="utf-8",
        )
        super().__init__()
        assert VIRTUOSO is not None
        self.process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_until_ready(self, seconds: float = 60.0) -> None:
        """Block until /sparql answers; RuntimeError with the output if it exits or stalls.

        A first start creates the database (a few seconds), hence the longer wait.
        """
        super().wait_until_ready(seconds)

    def sql(self, statements: str) -> str:
        """Run SQL statements as `dba` with isql (on its loopback port); the output.

        The statements go on standard input, so only the password shows on the command line
        (a test database's, on a machine the test owns). RuntimeError on any SQL error.
        """
        assert ISQL is not None
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", self.user, self.password],
            input=statements,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed ({done.returncode}):\n{output}")
        return output

    def secure(self, readable: Iterable[str]) -> None:
        """A random `dba` password; anonymous SPARQL reads only the `readable` graphs.

        Virtuoso's default graph is the union of every graph, its own system graphs too
        (virtrdf#, ldp#, its service description): made private, they stay out of answers.
        """
        password = secrets.token_hex(16)
        grants = "".join(
            f"DB.DBA.RDF_GRAPH_USER_PERMS_SET ('{graph}', 'nobody', 1);\n" for graph in readable
        )
        self.sql(
            f"DB.DBA.USER_CHANGE_PASSWORD ('dba', 'dba', '{password}');\n"
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0);\n"
            f"{grants}"
        )
        self.password = password

    @contextmanager
    def setting(self, key: str, value: int) -> Iterator[None]:
        """A setting of virtuoso.ini changed for the time of a `with` block.

        The /sparql endpoint reads its [SPARQL] settings (ResultSetMaxRows,
        MaxQueryExecutionTime) again at each request, so no restart is needed.
        """
        ini = self.folder / "virtuoso.ini"
        before = ini.read_text(encoding="utf-8")
        line = re.compile(rf"^{re.escape(key)} = .*$", re.M)
        if not line.search(before):
            raise KeyError(key)
        ini.write_text(line.sub(f"{key} = {value}", before), encoding="utf-8")
        try:
            yield
        finally:
            ini.write_text(before, encoding="utf-8")

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and remove its database folder."""
        super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_virtuoso(
    readable: Iterable[str], *, max_rows: int = 1_000_000, max_seconds: int = 60
) -> VirtuosoServer:
    """Start Virtuoso on free ports with a new database, secured (see `secure`), ready.

    `max_rows` and `max_seconds` are its [SPARQL] ResultSetMaxRows and MaxQueryExecutionTime.
    """
    if VIRTUOSO is None or ISQL is None:
        raise RuntimeError("no virtuoso-t / isql-vt: install Debian's virtuoso-opensource")
    graphs = list(readable)
    for attempt in range(ATTEMPTS):
        folder = Path(tempfile.mkdtemp(prefix="rsme-kg-virtuoso-"))
        server = VirtuosoServer(
            folder, free_port(), free_port(), max_rows=max_rows, max_seconds=max_seconds
        )
        try:
            server.wait_until_ready()
            server.secure(graphs)
        except RuntimeError as exc:
            server.stop()
            if attempt == ATTEMPTS - 1 or "in use" not in str(exc).lower():
                raise
            continue
        return server
    raise AssertionError("not reached: the loop returns or raises")


class CountingProxy:
    """A SPARQL endpoint in front of another that records every query it passes on.

    It stands between the facade and a remote store, so a test sees exactly the queries the
    store receives (their text, in order), as a packet capture would, without one.
    """

    def __init__(self, target: str, *, extra: dict[str, str] | None = None) -> None:
        self.target = target
        self.queries: list[str] = []
        # form fields added to every request passed on (e.g. Virtuoso's `timeout`)
        self.extra = extra or {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                form = parse_qs(body.decode("ascii"), keep_blank_values=True)
                proxy.queries.extend(form.get("query", []))
                if proxy.extra:
                    body += ("&" + urlencode(proxy.extra)).encode("ascii")
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length")
                }
                answer = httpx.post(proxy.target, content=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                # the type, and what a store says about the answer in headers of its own
                for name, value in answer.headers.items():
                    if name.lower() == "content-type" or name.lower().startswith("x-"):
                        self.send_header(name, value)
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


class TricklingEndpoint(ConnectionCounter):
    """An endpoint that answers 200 with SPARQL JSON results at once, then sends the rest of
    the body one byte every `every` seconds, for as long as the client reads: a store on a
    dying link, or a malicious one. `sent` counts the body bytes that went out, `dropped` is
    set when the client closed the connection."""

    HEAD = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
        b"Content-Length: 1000000\r\n\r\n"
    )

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.sent = 0
        self.dropped = threading.Event()
        super().__init__()

    def _accepted(self, conn: socket.socket) -> None:
        threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)  # the request (small: one read holds it)
                conn.sendall(self.HEAD + b'{"head": {"vars": ["x"]}, "results": {"bindings": [')
                while not self._stop.is_set():
                    time.sleep(self.every)
                    conn.sendall(b" ")
                    self.sent += 1
            except OSError:
                self.dropped.set()
