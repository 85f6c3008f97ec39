"""Query worker processes: the embedded engine cannot be cancelled from a thread, so each
query runs in a separate process that is killed and replaced when it overruns its time.

A worker copies the built store into memory once (an `EmbeddedStore`, the same store the CLI
queries), then answers jobs sent over a pipe: a SPARQL Protocol request (`Job`, answered with
the bytes api.formats renders) or a named query (`Lookup`, answered with a `QueryResult` of
rdflib terms). The parent (the web server) waits for the answer without blocking its event loop.
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

from rdflib import Literal, URIRef

from kg.errors import (
    EngineFailure,
    QueryError,
    QueryTimeout,
    RsmeError,
    StoreError,
    StoreUnavailable,
)
from kg.store.base import QueryResult, Store
from kg.store.embedded import EmbeddedStore
from kg.store.sparqltext import DatasetClause

log = logging.getLogger("rsme_kg.workers")


@dataclass(frozen=True)
class Job:
    """One SPARQL Protocol request, answered in the format negotiated for it."""

    query: str
    accept: str | None
    format: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000


@dataclass(frozen=True)
class Lookup:
    """One named query with its values bound as terms, answered as a QueryResult."""

    query: str
    bindings: tuple[tuple[str, URIRef | Literal], ...] = ()
    max_rows: int = 100_000

    def run(self, store: Store) -> QueryResult:
        """The answer of any store (the worker's in-memory one, or a remote one)."""
        return store.query(self.query, dict(self.bindings)).limited(self.max_rows)


@dataclass(frozen=True)
class Answer:
    """A worker's reply to a Job: a rendered answer, or an error kind with its message."""

    status: int
    media_type: str = ""
    body: bytes = b""
    rows: int = 0
    truncated: bool = False
    error: str | None = None  # 'syntax', 'not-acceptable', 'evaluation'
    detail: str = ""
    offers: tuple[str, ...] = ()
    seconds: float = 0.0


# ---------------------------------------------------------------- inside the worker process


def execute(store: EmbeddedStore, job: Job) -> Answer:
    """Answer one protocol request; the request's dataset replaces the query's (Protocol 2.1.4)."""
    started = time.perf_counter()
    try:
        answer = store.answer(
            job.query, dataset=DatasetClause(job.default_graphs, job.named_graphs)
        )
    except RsmeError as exc:
        # the engine's own words: a parser message keeps the position the client needs
        cause = exc.__cause__
        error = "syntax" if isinstance(cause, SyntaxError) else "evaluation"
        return Answer(400, error=error, detail=str(cause or exc))
    return respond(answer, job, started)


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


def handle(store: EmbeddedStore, job: Job | Lookup) -> Answer | QueryResult | RsmeError:
    """A worker's reply to one job; a lookup's error travels back to be raised in the server."""
    try:
        return execute(store, job) if isinstance(job, Job) else job.run(store)
    except (QueryError, StoreError) as exc:  # errors of one message: they cross the pipe whole
        return exc
    except Exception as exc:  # one bad query must not take the worker down with it
        if isinstance(job, Job):
            return Answer(400, error="evaluation", detail=f"{type(exc).__name__}: {exc}")
        return QueryError(f"{type(exc).__name__}: {exc}")


def worker_main(conn: Connection, store_path: str) -> None:
    """Entry point of a worker process: load, say ready, answer jobs until the pipe closes."""
    try:
        store = EmbeddedStore.copy_in_memory(Path(store_path))
    except Exception as exc:  # report any failure to start to the parent, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        conn.send(handle(store, job))


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


def _exchange(conn: Connection, job: Job | Lookup | None, timeout: float) -> object:
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
            raise StoreUnavailable(f"a query worker did not start: {exc!r}") from exc
        kind, value = hello if isinstance(hello, tuple) else ("failed", repr(hello))
        if kind != "ready":
            self._discard(worker)
            raise StoreUnavailable(f"a query worker could not load {self.store_path}: {value}")
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
        except StoreUnavailable:
            log.exception("could not replace a query worker")
            return
        self._idle.put_nowait(fresh)

    async def run(self, job: Job | Lookup, timeout: float) -> Answer | QueryResult:
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
            raise EngineFailure(f"the query engine stopped while answering: {exc!r}") from exc
        worker.jobs += 1
        self._idle.put_nowait(worker)
        if isinstance(reply, RsmeError):
            raise reply
        assert isinstance(reply, Answer | QueryResult)
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
