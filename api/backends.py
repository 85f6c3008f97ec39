"""The two backends of the facade: the embedded store (worker processes) and a remote store.

Both answer a Job with an Answer rendered by api.formats, so limits and formats are the same.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import pyoxigraph as ox

from api import formats
from api.worker import Answer, Job, PoolUnavailable, QueryTimeout, WorkerPool, respond
from kg.errors import QueryError, StoreError
from kg.store.remote import RemoteStore


class BackendUnavailable(Exception):
    """The store cannot answer now (HTTP 503)."""


class Backend(Protocol):
    """What the SPARQL router needs from a backend."""

    name: str

    async def start(self) -> None:
        """Prepare to answer (start workers, open connections)."""

    async def close(self) -> None:
        """Release everything."""

    async def execute(self, job: Job, timeout: float) -> Answer:
        """Answer a job within `timeout` seconds or raise QueryTimeout / BackendUnavailable."""

    async def health(self) -> dict[str, Any]:
        """A health summary; raises BackendUnavailable when unhealthy."""


@dataclass
class EmbeddedBackend:
    """The store written by `build`, held in memory by a pool of query worker processes."""

    pool: WorkerPool
    name: str = "embedded"

    async def start(self) -> None:
        try:
            await self.pool.start()
        except PoolUnavailable as exc:
            raise BackendUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self.pool.close()

    async def execute(self, job: Job, timeout: float) -> Answer:
        return await self.pool.run(job, timeout)

    async def health(self) -> dict[str, Any]:
        alive = self.pool.alive
        if alive == 0:
            raise BackendUnavailable("no query worker is alive")
        return {
            "backend": self.name,
            "workers": alive,
            "triples": self.pool.triples,
            "workers_replaced": self.pool.replaced,
        }


# A remote store is asked for the richest formats we can re-render in any other format.
_REMOTE_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


@dataclass
class RemoteBackend:
    """Any SPARQL 1.1 endpoint over HTTP; answers are re-rendered with the same limits."""

    endpoint: str
    timeout: float = 30.0
    name: str = "remote"
    threads: int = 16
    _store: RemoteStore | None = field(default=None, init=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)

    async def start(self) -> None:
        self._store = RemoteStore(self.endpoint, timeout=self.timeout)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="rsme-kg-remote")

    async def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def execute(self, job: Job, timeout: float) -> Answer:
        assert self._store is not None
        started = time.perf_counter()
        try:
            # the HTTP client is synchronous: a thread keeps the event loop free meanwhile;
            # waiting for a free thread counts against the query's time
            text = job.query
            if job.bindings:  # no substitution API over HTTP: a VALUES block of safe terms
                names = " ".join(f"?{name}" for name, _ in job.bindings)
                terms = " ".join(term for _, term in job.bindings)
                text += f"\nVALUES ({names}) {{ ({terms}) }}"
            call = partial(
                self._store.raw,
                text,
                _REMOTE_ACCEPT,
                default_graphs=job.default_graphs,
                named_graphs=job.named_graphs,
                prologue=True,
            )
            loop = asyncio.get_running_loop()
            status, content_type, body = await asyncio.wait_for(
                loop.run_in_executor(self._pool, call), timeout + 1
            )
        except TimeoutError as exc:
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s") from exc
        except QueryError as exc:
            return Answer(400, error="syntax", detail=str(exc))
        except StoreError as exc:
            if "did not answer within" in str(exc):
                raise QueryTimeout(str(exc)) from exc
            raise BackendUnavailable(str(exc)) from exc
        if status != 200:
            raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} answered {status}")
        return self._render(content_type, body, job, started)

    def _render(self, content_type: str, body: bytes, job: Job, started: float) -> Answer:
        media = content_type.split(";")[0].strip().lower()
        answer: object
        if media == "application/sparql-results+json":
            answer = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        elif media in formats.GRAPH_TYPES:
            answer = list(formats.triples_from(body, media))
        else:
            raise BackendUnavailable(f"the remote store answered with an unexpected type {media!r}")
        return respond(answer, job, started)

    async def health(self) -> dict[str, Any]:
        job = Job("ASK {}", "application/sparql-results+json", None)
        try:
            answer = await self.execute(job, 5.0)
        except QueryTimeout as exc:
            raise BackendUnavailable(str(exc)) from exc
        if answer.status != 200:
            raise BackendUnavailable(f"the remote store refused ASK {{}}: {answer.detail}")
        return {"backend": self.name, "endpoint": self.endpoint}


class AnswerCache:
    """A byte-bounded LRU of successful answers: the graph is read-only between builds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Job, Answer] = OrderedDict()

    def get(self, job: Job) -> Answer | None:
        """The cached answer of a job, if any."""
        answer = self._items.get(job)
        if answer is None:
            self.misses += 1
            return None
        self._items.move_to_end(job)
        self.hits += 1
        return answer

    def put(self, job: Job, answer: Answer) -> None:
        """Remember a successful answer, evicting the least recently used ones."""
        cost = len(answer.body) + len(job.query)
        if answer.status != 200 or cost > self.max_bytes:
            return
        if job in self._items:
            return
        self._items[job] = answer
        self.size += cost
        while self.size > self.max_bytes and self._items:
            old_job, old = self._items.popitem(last=False)
            self.size -= len(old.body) + len(old_job.query)
