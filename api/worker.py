"""Query worker processes: the embedded engine cannot be cancelled from a thread, so each
query runs in a separate process that is killed and replaced when it overruns its time.

A worker loads the built store into memory once, then answers jobs sent over a pipe. The
parent (the web server) waits for the answer without blocking its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

log = logging.getLogger("rsme_kg.workers")


@dataclass(frozen=True)
class Job:
    """One query for a worker."""

    query: str
    accept: str | None
    format: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    own_dataset: bool = False  # the query has FROM / FROM NAMED
    # pre-bound variables: (name, term in N-Triples syntax); bound before evaluation
    bindings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    """A worker's reply: a rendered answer, or an error kind with its message."""

    status: int
    media_type: str = ""
    body: bytes = b""
    rows: int = 0
    truncated: bool = False
    error: str | None = None  # 'syntax', 'not-acceptable', 'store'
    detail: str = ""
    offers: tuple[str, ...] = ()
    seconds: float = 0.0


class QueryTimeout(Exception):
    """A query did not finish within its time limit (the worker was replaced)."""


class WorkerCrashed(Exception):
    """The engine process died while answering (it was replaced)."""


class PoolUnavailable(Exception):
    """No worker could be started (e.g. the store is missing)."""


# ---------------------------------------------------------------- inside the worker process


def load_store(path: Path) -> Any:
    """The built store, copied from disk into memory for fast reads."""
    import pyoxigraph as ox

    memory = ox.Store()
    on_disk = ox.Store.read_only(str(path))
    memory.bulk_extend(on_disk)
    del on_disk
    return memory


def execute(store: Any, job: Job) -> Answer:
    """Run one job against an in-memory store."""
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    started = time.perf_counter()
    kwargs: dict[str, Any] = {"prefixes": PREFIXES}
    if job.default_graphs or job.named_graphs:
        # The request's dataset replaces the query's FROM / FROM NAMED and the default union
        # (SPARQL 1.1 Protocol 2.1.4); a list the request does not give is empty.
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    elif not job.own_dataset:  # with FROM / FROM NAMED the query keeps its own dataset
        kwargs["use_default_graph_as_union"] = True
    if job.bindings:
        kwargs["substitutions"] = {ox.Variable(name): _term(text) for name, text in job.bindings}
    try:
        answer = store.query(job.query, **kwargs)
    except SyntaxError as exc:
        return Answer(400, error="syntax", detail=str(exc))
    except (OSError, RuntimeError, ValueError) as exc:
        return Answer(400, error="evaluation", detail=str(exc))
    return respond(answer, job, started)


def _term(text: str) -> Any:
    """A term written in N-Triples syntax (<iri>, "literal"@lang, "v"^^<dt>) as pyoxigraph's."""
    import pyoxigraph as ox

    (quad,) = ox.parse(f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES)
    return quad.object


def respond(answer: object, job: Job, started: float) -> Answer:
    """Negotiate, limit and render a query answer (embedded or relayed) for a job."""
    from api import formats

    form = formats.form_of(answer)
    try:
        media_type = formats.negotiate(form, job.accept, job.format)
    except formats.NotAcceptable as exc:
        return Answer(406, error="not-acceptable", detail=str(exc), offers=tuple(exc.offers))
    try:
        rendered = formats.render(answer, media_type, job.max_rows)
    except (OSError, RuntimeError, ValueError) as exc:
        return Answer(400, error="evaluation", detail=str(exc))
    return Answer(
        200,
        rendered.media_type,
        rendered.body,
        rendered.rows,
        rendered.truncated,
        seconds=time.perf_counter() - started,
    )


def worker_main(conn: Connection, store_path: str) -> None:
    """Entry point of a worker process: load, say ready, answer jobs until the pipe closes."""
    try:
        store = load_store(Path(store_path))
    except Exception as exc:  # report any failure to start to the parent, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        try:
            answer = execute(store, job)
        except Exception as exc:  # one bad query must not take the worker down with it
            answer = Answer(400, error="evaluation", detail=f"{type(exc).__name__}: {exc}")
        conn.send(answer)


# ---------------------------------------------------------------- in the web server


@dataclass(eq=False)  # identity semantics: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection
    jobs: int = 0

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.conn.close()
        self.process.join(timeout=5)


def _exchange(conn: Connection, job: Job | None, timeout: float) -> object:
    """Send a job (if any) and wait up to `timeout` s for the reply; runs in a thread.

    Blocking pipe I/O in a thread, not the event loop's fd watching: a reply larger than the
    pipe buffer arrives in pieces, and a non-blocking read of a partial message fails.
    """
    if job is not None:
        conn.send(job)
    if not conn.poll(timeout):
        raise TimeoutError
    return conn.recv()


@dataclass
class WorkerPool:
    """A fixed number of query worker processes over one store."""

    store_path: Path
    size: int = 2
    start_timeout: float = 120.0
    _idle: asyncio.Queue[_Worker] = field(init=False)
    _all: set[_Worker] = field(default_factory=set, init=False)
    _closing: bool = field(default=False, init=False)
    triples: int = field(default=0, init=False)
    replaced: int = field(default=0, init=False)

    async def start(self) -> None:
        """Start every worker and wait until each has loaded the store."""
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def _spawn(self) -> _Worker:
        context = mp.get_context("spawn")  # fork is unsafe in a threaded server
        parent, child = context.Pipe()
        process = context.Process(
            target=worker_main,
            args=(child, str(self.store_path)),
            daemon=True,
            name="rsme-kg-query-worker",
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._all.add(worker)
        try:
            hello = await asyncio.to_thread(_exchange, parent, None, self.start_timeout)
        except (TimeoutError, EOFError, OSError) as exc:
            self._discard(worker)
            raise PoolUnavailable(f"a query worker did not start: {exc!r}") from exc
        kind, value = hello if isinstance(hello, tuple) else ("failed", repr(hello))
        if kind != "ready":
            self._discard(worker)
            raise PoolUnavailable(f"a query worker could not load {self.store_path}: {value}")
        self.triples = int(value)
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._all.discard(worker)

    async def _replace(self, worker: _Worker) -> None:
        self._discard(worker)
        self.replaced += 1
        if self._closing:
            return
        try:
            fresh = await self._spawn()
        except PoolUnavailable:
            log.exception("could not replace a query worker")
            return
        self._idle.put_nowait(fresh)

    async def run(self, job: Job, timeout: float) -> Answer:
        """Answer a job within `timeout` seconds (waiting for a free worker included)."""
        deadline = time.monotonic() + timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError as exc:
            raise QueryTimeout(f"no query worker became free within {timeout:g} s") from exc
        try:
            reply = await asyncio.to_thread(
                _exchange, worker.conn, job, max(deadline - time.monotonic(), 0.001)
            )
        except TimeoutError as exc:
            # the only way to stop the engine mid-query: kill the process, start another
            asyncio.get_running_loop().create_task(self._replace(worker))
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from exc
        except (EOFError, OSError, BrokenPipeError) as exc:
            asyncio.get_running_loop().create_task(self._replace(worker))
            raise WorkerCrashed(f"the query engine stopped while answering: {exc!r}") from exc
        worker.jobs += 1
        self._idle.put_nowait(worker)
        assert isinstance(reply, Answer)
        return reply

    @property
    def alive(self) -> int:
        """Number of live worker processes."""
        return sum(1 for w in self._all if w.process.is_alive())

    async def close(self) -> None:
        """Stop every worker."""
        self._closing = True
        for worker in list(self._all):
            self._discard(worker)


def default_workers() -> int:
    """One worker per core, at least two, so one runaway query never blocks the rest."""
    return max(2, os.cpu_count() or 2)
