"""The two backends of the facade: thin async executors over the stores of kg.store.

The embedded backend runs each job in a worker process holding an in-memory `EmbeddedStore`;
the remote backend calls a `RemoteStore` from a thread. Both answer a protocol `Job` with an
Answer rendered by api.formats (so limits and formats are the same) and a named-query `Lookup`
with the store's own QueryResult (so bindings, their checks and terms are the store's).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pyoxigraph as ox

from api import formats
from api.worker import Answer, Job, Lookup, WorkerPool, respond
from kg.errors import AnswerTooLarge, QueryError, QueryTimeout, StoreError, StoreUnavailable
from kg.store.base import QueryResult

if TYPE_CHECKING:  # imported when a remote backend starts: an embedded server never needs httpx
    from kg.store.remote import RemoteStore

T = TypeVar("T")


class Backend(Protocol):
    """What the SPARQL router and the named queries need from a backend."""

    name: str

    async def start(self) -> None:
        """Prepare to answer (start workers, open connections)."""

    async def close(self) -> None:
        """Release everything."""

    async def execute(self, job: Job, timeout: float) -> Answer:
        """Answer a protocol job within `timeout` s, or raise QueryTimeout / StoreError."""

    async def lookup(self, lookup: Lookup, timeout: float) -> QueryResult:
        """Answer a named query within `timeout` s, or raise QueryError / StoreError."""

    async def health(self) -> dict[str, Any]:
        """A health summary; raises StoreUnavailable when unhealthy."""


@dataclass
class EmbeddedBackend:
    """The store written by `build`, held in memory by a pool of query worker processes."""

    pool: WorkerPool
    name: str = "embedded"

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    async def execute(self, job: Job, timeout: float) -> Answer:
        answer = await self.pool.run(job, timeout)
        assert isinstance(answer, Answer)
        return answer

    async def lookup(self, lookup: Lookup, timeout: float) -> QueryResult:
        result = await self.pool.run(lookup, timeout)
        assert isinstance(result, QueryResult)
        return result

    async def health(self) -> dict[str, Any]:
        alive = self.pool.alive
        if alive == 0:
            raise StoreUnavailable("no query worker is alive")
        return {
            "backend": self.name,
            "workers": alive,
            "triples": self.pool.triples,
            "workers_replaced": self.pool.replaced,
            "workers_standby": self.pool.ready,
            "queries_set_aside": self.pool.aside,
        }


# A remote store is asked for the richest formats we can re-render in any other format.
_REMOTE_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


@dataclass
class RemoteBackend:
    """Any SPARQL 1.1 endpoint over HTTP; answers are re-rendered with the same limits."""

    endpoint: str
    timeout: float = 30.0
    max_answer_bytes: int | None = None
    name: str = "remote"
    threads: int = 16
    _store: RemoteStore | None = field(default=None, init=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False)

    async def start(self) -> None:
        from kg.store.remote import RemoteStore

        self._store = RemoteStore(
            self.endpoint,
            timeout=self.timeout,
            keep_alive=True,
            max_answer_bytes=self.max_answer_bytes,
        )
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="rsme-kg-remote")

    async def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def _call(self, call: Callable[[], T], timeout: float) -> T:
        """Run a blocking call of the store in a thread, so the event loop stays free; waiting
        for a free thread counts against the query's time."""
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, call), timeout + 1)
        except TimeoutError as exc:
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s") from exc

    async def execute(self, job: Job, timeout: float) -> Answer:
        assert self._store is not None
        started = time.perf_counter()
        call = partial(
            self._store.raw,
            job.query,
            _REMOTE_ACCEPT,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            prologue=True,
        )
        try:
            status, content_type, body = await self._call(call, timeout)
        except AnswerTooLarge:
            raise  # a problem of its own (api.problems), not the query's syntax
        except QueryError as exc:
            return Answer(400, error="syntax", detail=str(exc))
        if status != 200:
            raise StoreUnavailable(f"the SPARQL endpoint {self.endpoint} answered {status}")
        return self._render(content_type, body, job, started)

    async def lookup(self, lookup: Lookup, timeout: float) -> QueryResult:
        assert self._store is not None
        return await self._call(partial(lookup.run, self._store), timeout)

    def _render(self, content_type: str, body: bytes, job: Job, started: float) -> Answer:
        media = content_type.split(";")[0].strip().lower()
        answer: object
        if media == "application/sparql-results+json":
            answer = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        elif media in formats.GRAPH_TYPES:
            answer = list(formats.triples_from(body, media))
        else:
            raise StoreUnavailable(f"the remote store answered with an unexpected type {media!r}")
        return respond(answer, job, started)

    async def health(self) -> dict[str, Any]:
        job = Job("ASK {}", "application/sparql-results+json", None)
        try:
            answer = await self.execute(job, 5.0)
        except StoreError as exc:
            raise StoreUnavailable(str(exc)) from exc
        if answer.status != 200:
            raise StoreUnavailable(f"the remote store refused ASK {{}}: {answer.detail}")
        return {"backend": self.name, "endpoint": self.endpoint}


class AnswerCache:
    """A cost-bounded LRU of successful answers, rendered (by Job) or typed (by Lookup): the
    graph is read-only between builds."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()

    def get(self, key: Hashable) -> object | None:
        """The cached answer of a job, if any."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: Hashable, answer: object, cost: int) -> None:
        """Remember an answer that costs about `cost` bytes, evicting the least recently used."""
        if cost > self.max_bytes or key in self._items:
            return
        self._items[key] = (answer, cost)
        self.size += cost
        while self.size > self.max_bytes and self._items:
            _, (_, old_cost) = self._items.popitem(last=False)
            self.size -= old_cost
