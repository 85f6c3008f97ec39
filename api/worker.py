"""Query worker processes: the embedded engine cannot be cancelled from a thread, so each
query runs in a separate process that is killed and replaced when it overruns its time.

A worker opens the built store read-only (at once, so it can answer from the start) and copies
it into memory in a background thread (an `EmbeddedStore`, the same store the CLI queries; the
in-memory engine is several times faster than the on-disk one), switching to the copy once it
is complete. It answers jobs sent over a pipe: a SPARQL Protocol request (`Job`, answered with
the bytes api.formats renders) or a named query (`Lookup`, answered with a `QueryResult` of
rdflib terms).

The pool (`WorkerPool`) keeps a standby worker ready besides its workers: a query that runs
long is set aside (its worker leaves the pool's count at a lower priority) and the standby
takes its place, so a runaway query does not halve the pool until its timeout.

The web server talks to each worker over an asyncio stream on the pipe's socket, framed as
multiprocessing frames them (a 4-byte length, then a pickle), so a job costs no thread hop:
the event loop writes the job and awaits the reply, and a timeout is an asyncio timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
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


class _Current:
    """The store a worker answers from: the on-disk one until its in-memory copy is ready."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    def copy_in_background(self, path: Path) -> threading.Thread:
        """Copy the store into memory in a thread, then answer from the copy (one attribute
        assignment: a job runs on one store or the other, whole)."""

        def copy() -> None:
            try:
                self.store = EmbeddedStore.copy_in_memory(path)
            except Exception:  # keep answering from disk, slower but right
                log.exception("could not copy the store into memory; answering from disk")

        thread = threading.Thread(target=copy, name="rsme-kg-store-copy", daemon=True)
        thread.start()
        return thread


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the web server that started it dies: a worker busy
    with a runaway query would otherwise never read the end of its pipe and run on."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def worker_main(conn: Connection, store_path: str) -> None:
    """Entry point of a worker process: open, say ready, answer jobs until the pipe closes."""
    _die_with_parent()
    path = Path(store_path)
    try:
        current = _Current(EmbeddedStore.open(path))
        triples = len(current.store)
    except Exception as exc:  # report any failure to start to the parent, then stop
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", triples))
    current.copy_in_background(path)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        conn.send(handle(current.store, job))


# ---------------------------------------------------------------- in the web server


_HEADER = struct.Struct("!i")  # the frames of multiprocessing.connection, which the worker uses
_LONG_HEADER = struct.Struct("!Q")  # after a header of -1: a frame of 2 GiB or more


# The roles of a worker in its pool (see WorkerPool): it answers jobs, or waits ready to take
# the place of one that runs long, or runs a long job outside the pool's count.
ACTIVE, STANDBY, ASIDE = "active", "standby", "aside"
# The niceness a worker set aside gets: its long job then yields the processor to the others.
# Unprivileged processes cannot take it back, so such a worker never rejoins the pool.
ASIDE_NICENESS = 10


@dataclass(eq=False)  # identity semantics: workers live in a set
class _Worker:
    process: subprocess.Popen[bytes]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    jobs: int = 0
    busy: bool = False  # taken by a job: its end is handled by the job, not by the watch
    pidfd: int | None = None  # readable once the process has ended (Linux), see WorkerPool._watch
    role: str = ""  # ACTIVE, STANDBY or ASIDE once placed (see WorkerPool._place)
    demoted: bool = False  # its priority was lowered when it was set aside
    overdue: bool = False  # its job has run past the pool's long_after
    aside_timer: asyncio.TimerHandle | None = None  # set aside when it fires, see WorkerPool

    def demote(self) -> None:
        """Lower the priority of the process's main thread, where the worker runs its job."""
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid, ASIDE_NICENESS)
            self.demoted = True

    def stop_timer(self) -> None:
        if self.aside_timer is not None:
            self.aside_timer.cancel()
            self.aside_timer = None

    def unwatch(self) -> None:
        """Stop watching the process's end (see WorkerPool._watch)."""
        if self.pidfd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.pidfd)
            with contextlib.suppress(OSError):
                os.close(self.pidfd)
            self.pidfd = None

    def kill(self) -> None:
        self.unwatch()
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.writer.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    async def send(self, job: Job | Lookup) -> None:
        """Write one job as a frame the worker's Connection.recv reads."""
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > 0x7FFFFFFF:
            head = _HEADER.pack(-1) + _LONG_HEADER.pack(len(payload))
        else:
            head = _HEADER.pack(len(payload))
        # one write, one wake-up of the worker (a header apart would wake it twice)
        self.writer.write(head + payload)
        if self.writer.transport.get_write_buffer_size():
            await self.writer.drain()  # only a job too big for the socket's buffer waits

    async def receive(self) -> object:
        """Read one frame the worker's Connection.send wrote, however it arrives in pieces."""
        (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        if size == -1:
            (size,) = _LONG_HEADER.unpack(await self.reader.readexactly(_LONG_HEADER.size))
        return pickle.loads(await self.reader.readexactly(size))


def _start_process(store_path: Path) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """A worker process (``python -m api.worker FD STORE``) and the socket to talk to it.

    A plain interpreter started on this module, not multiprocessing's spawn, which would
    import the command that started the server (the whole CLI) again in every worker.
    """
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.worker", str(child.fileno()), str(store_path)],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
    except OSError:
        parent.close()
        raise
    finally:
        child.close()
    return process, parent


@dataclass
class WorkerPool:
    """`size` query worker processes over one store, and `standby` more kept ready.

    A worker that ends (killed from outside, or by the kernel for want of memory) is
    replaced: at once when it was idle (its end is watched), or by the job it was running,
    which is sent once more to another worker (queries only read: running one twice is
    harmless). Only a job that two workers die on fails, with EngineFailure.

    A job still running after `long_after` seconds is set aside: its worker leaves the pool's
    count, at a lower priority, and a standby worker takes its place at once (a new standby is
    started). Without this one runaway query would halve a pool of two until its timeout, and
    every other query would queue for the worker left. At most `size` jobs are aside at a time
    (the processes are bounded by 2 × size + standby); the worker of a job set aside is stopped
    when its job ends, as its priority cannot be raised again.
    """

    store_path: Path
    size: int = 2
    start_timeout: float = 120.0
    standby: int = 0
    long_after: float | None = None
    _idle: asyncio.Queue[_Worker] = field(init=False)
    _all: set[_Worker] = field(default_factory=set, init=False)
    _spares: list[_Worker] = field(default_factory=list, init=False)
    _closing: bool = field(default=False, init=False)
    _starting: int = field(default=0, init=False)  # workers being started
    triples: int = field(default=0, init=False)
    replaced: int = field(default=0, init=False)
    set_aside: int = field(default=0, init=False)  # jobs set aside so far

    async def start(self) -> None:
        """Start every worker and wait until each has opened the store.

        The processes are started before the first await, so a caller that schedules this
        and yields once can do other work while they boot.
        """
        self._idle = asyncio.Queue()
        launched: list[tuple[subprocess.Popen[bytes], socket.socket]] = []
        try:
            for _ in range(self.size):
                launched.append(self._launch())
        except StoreUnavailable:
            for process, sock in launched:  # none of them is known to the pool yet
                process.kill()
                sock.close()
            raise
        workers = await asyncio.gather(*(self._connect(*one) for one in launched))
        for worker in workers:
            worker.role = ACTIVE
            self._idle.put_nowait(worker)
        self._fill()  # the standby workers, once the pool can answer

    def _launch(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        try:
            return _start_process(self.store_path)
        except OSError as exc:
            raise StoreUnavailable(f"a query worker could not be started: {exc}") from exc

    async def _spawn(self) -> _Worker:
        return await self._connect(*self._launch())

    async def _connect(self, process: subprocess.Popen[bytes], sock: socket.socket) -> _Worker:
        """The streams to a started worker, once it says it is ready."""
        # a reply may be large (up to max_rows rows): read it in big pieces
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=1 << 20)
        worker = _Worker(process, reader, writer)
        self._all.add(worker)
        try:
            hello = await asyncio.wait_for(worker.receive(), self.start_timeout)
        except (TimeoutError, EOFError, OSError, pickle.UnpicklingError) as exc:
            self._discard(worker)
            raise StoreUnavailable(f"a query worker did not start: {exc!r}") from exc
        kind, value = hello if isinstance(hello, tuple) else ("failed", repr(hello))
        if kind != "ready":
            self._discard(worker)
            raise StoreUnavailable(f"a query worker could not load {self.store_path}: {value}")
        self.triples = int(value)
        self._watch(worker)
        return worker

    def _watch(self, worker: _Worker) -> None:
        """Be told when the worker's process ends (a pidfd becomes readable), so an idle worker
        killed from outside is replaced at once, not found dead by the next job."""
        try:
            worker.pidfd = os.pidfd_open(worker.process.pid)
        except (AttributeError, OSError):  # not Linux 5.3+: `run` finds dead workers instead
            return
        asyncio.get_running_loop().add_reader(worker.pidfd, self._ended, worker)

    def _ended(self, worker: _Worker) -> None:
        worker.unwatch()  # a pidfd stays readable: one call is enough
        if worker.busy or worker not in self._all:
            return  # the job that holds it replaces it
        log.warning("query worker %d ended while idle; starting another", worker.process.pid)
        asyncio.get_running_loop().create_task(self._replace(worker))

    def _discard(self, worker: _Worker) -> None:
        worker.stop_timer()
        worker.kill()
        self._all.discard(worker)
        if worker in self._spares:
            self._spares.remove(worker)

    async def _replace(self, worker: _Worker) -> None:
        if worker not in self._all:
            return  # replaced already
        self._discard(worker)
        self.replaced += 1
        self._fill()

    def _count(self, role: str) -> int:
        return sum(1 for w in self._all if w.role == role)

    def _fill(self) -> None:
        """Start the workers the pool and its standby lack (replacements, or those a failed
        start left missing, e.g. while the store was briefly unreadable): the pool returns to
        its size by itself. Workers set aside do not count."""
        if self._closing:
            return
        have = self._count(ACTIVE) + len(self._spares) + self._starting
        for _ in range(self.size + self.standby - have):
            self._starting += 1  # counted now: a second call before the task runs adds none
            asyncio.get_running_loop().create_task(self._add())

    async def _add(self) -> None:
        """Start one worker and give it its role (see _fill, which counted it as starting)."""
        try:
            fresh = await self._spawn()
        except StoreUnavailable:
            log.exception("could not start a query worker")
            return
        finally:
            self._starting -= 1
        self._place(fresh)

    def _place(self, worker: _Worker) -> None:
        """A worker free for a job (a new one, or one whose job set aside has ended) joins the
        pool if it lacks one, else the standby, else it stops; a demoted one stops."""
        if self._closing or worker.demoted:
            self._discard(worker)
            self._fill()
        elif self._count(ACTIVE) < self.size:
            worker.role = ACTIVE
            self._idle.put_nowait(worker)
        elif len(self._spares) < self.standby:
            worker.role = STANDBY
            self._spares.append(worker)
            self._promote_for_long_jobs()
        else:
            self._discard(worker)

    async def _take(self, deadline: float, timeout: float) -> _Worker:
        """A live idle worker, waiting until the deadline for one."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
                        worker = await self._idle.get()
                except TimeoutError as exc:
                    raise QueryTimeout(f"no query worker became free within {timeout:g} s") from exc
            if worker not in self._all:
                continue  # replaced while it waited in the queue
            if worker.process.poll() is not None or worker.reader.at_eof():
                asyncio.get_running_loop().create_task(self._replace(worker))
                continue
            worker.busy = True
            return worker

    async def run(self, job: Job | Lookup, timeout: float) -> Answer | QueryResult:
        """Answer a job within `timeout` seconds (waiting for a free worker included).

        A worker that dies under the job is replaced and the job sent once more to another
        worker (within the same time); if that one dies too, EngineFailure.
        """
        deadline = time.monotonic() + timeout
        self._fill()  # workers a failed start left missing, if any
        try:
            return await self._attempt(job, deadline, timeout)
        except _WorkerDied:
            log.warning("a query worker died under a job; sending the job to another")
        try:
            return await self._attempt(job, deadline, timeout)
        except _WorkerDied as exc:
            raise EngineFailure(
                f"the query engine stopped while answering, twice: {exc.__cause__!r}"
            ) from exc.__cause__

    async def _attempt(
        self, job: Job | Lookup, deadline: float, timeout: float
    ) -> Answer | QueryResult:
        """One try of a job on one worker; _WorkerDied if its process ends meanwhile."""
        worker = await self._take(deadline, timeout)
        self._arm(worker)
        sent = False
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
                await worker.send(job)
                sent = True
                reply = await worker.receive()
        except asyncio.CancelledError:
            # the request went away (its client hung up): the worker still owes a reply, which
            # is read and dropped before the worker takes another job (a half-written job
            # cannot be finished: that worker is replaced)
            finish = self._finish(worker, deadline) if sent else self._replace(worker)
            asyncio.get_running_loop().create_task(finish)
            raise
        except TimeoutError as exc:
            # the only way to stop the engine mid-query: kill the process, start another
            worker.stop_timer()
            asyncio.get_running_loop().create_task(self._replace(worker))
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from exc
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            worker.stop_timer()
            asyncio.get_running_loop().create_task(self._replace(worker))
            raise _WorkerDied() from exc
        self._release(worker)
        if isinstance(reply, RsmeError):
            raise reply
        assert isinstance(reply, Answer | QueryResult)
        return reply

    async def _finish(self, worker: _Worker, deadline: float) -> None:
        """Read and drop the reply of an abandoned job, then free the worker (or replace it
        when the job overruns its time)."""
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.001)):
                await worker.receive()
        except (TimeoutError, EOFError, OSError, pickle.UnpicklingError):
            await self._replace(worker)
            return
        self._release(worker)

    def _release(self, worker: _Worker) -> None:
        """A worker whose job has ended: back to the pool, or, set aside, placed anew."""
        worker.jobs += 1
        worker.stop_timer()
        worker.busy = worker.overdue = False
        if worker.role == ASIDE:
            self._place(worker)
        else:
            self._idle.put_nowait(worker)

    # ------------------------------------------------------------ jobs that run long

    def _arm(self, worker: _Worker) -> None:
        """Mark the worker's job overdue when it runs past long_after (a timer, cancelled by
        the job's end)."""
        if self.long_after is not None and self.standby > 0:
            loop = asyncio.get_running_loop()
            worker.aside_timer = loop.call_later(self.long_after, self._overdue, worker)

    def _overdue(self, worker: _Worker) -> None:
        worker.aside_timer = None
        if worker.busy and worker in self._all:
            worker.overdue = True
            self._promote_for_long_jobs()

    def _promote_for_long_jobs(self) -> None:
        """Set overdue jobs aside while a standby worker is ready to take their place (a job
        waits for the next standby when none is, see _place), at most `size` at a time."""
        for worker in sorted(self._all, key=lambda w: w.process.pid):
            if not self._spares or self._count(ASIDE) >= self.size:
                return
            if worker.overdue and worker.busy and worker.role == ACTIVE:
                worker.role = ASIDE
                worker.demote()
                spare = self._spares.pop(0)
                spare.role = ACTIVE
                self._idle.put_nowait(spare)
                self.set_aside += 1
                log.info(
                    "query worker %d set aside with a job running past %g s; worker %d takes "
                    "its place",
                    worker.process.pid,
                    self.long_after,
                    spare.process.pid,
                )
                self._fill()  # the next standby

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers, live or not yet reaped."""
        return sorted(w.process.pid for w in self._all)

    @property
    def alive(self) -> int:
        """Number of live worker processes in the pool (standby and set aside not counted)."""
        return self._live(ACTIVE)

    @property
    def ready(self) -> int:
        """Number of live standby workers."""
        return self._live(STANDBY)

    @property
    def aside(self) -> int:
        """Number of workers running a job set aside."""
        return self._live(ASIDE)

    def _live(self, role: str) -> int:
        return sum(1 for w in self._all if w.role == role and w.process.poll() is None)

    async def close(self) -> None:
        """Stop every worker."""
        self._closing = True
        for worker in list(self._all):
            self._discard(worker)


class _WorkerDied(Exception):
    """A worker's process ended while it held a job (the cause says how it was noticed)."""


def default_workers() -> int:
    """One worker per core, at least two, so one runaway query never blocks the rest."""
    return max(2, os.cpu_count() or 2)


if __name__ == "__main__":  # a worker process: python -m api.worker FD STORE (see _start_process)
    # through the module's own name: the jobs and answers that cross the pipe are pickled as
    # api.worker's classes, which this copy (__main__) would not recognise
    from api.worker import worker_main as serve

    serve(Connection(int(sys.argv[1])), sys.argv[2])
