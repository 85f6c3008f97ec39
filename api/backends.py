"""The two backends of the facade: the embedded store (worker processes) and a remote store.

Both answer a Job with an Answer rendered by api.formats, so limits and formats are the same.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import pyoxigraph as ox

from api import formats
from api.worker import Answer, Job, PoolUnavailable, QueryTimeout, WorkerPool
from kg.namespaces import sparql_prologue


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
    connect_timeout: float = 5.0
    name: str = "remote"
    _client: httpx.AsyncClient | None = field(default=None, init=False)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(follow_redirects=False)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def execute(self, job: Job, timeout: float) -> Answer:
        assert self._client is not None
        started = time.perf_counter()
        data: list[tuple[str, str]] = [("query", sparql_prologue() + job.query)]
        data += [("default-graph-uri", g) for g in job.default_graphs]
        data += [("named-graph-uri", g) for g in job.named_graphs]
        try:
            reply = await self._client.post(
                self.endpoint,
                data=dict(data) if len(data) == 1 else data,  # type: ignore[arg-type]
                headers={"Accept": _REMOTE_ACCEPT},
                timeout=httpx.Timeout(timeout, connect=min(self.connect_timeout, timeout)),
            )
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the remote store did not answer within {timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(
                f"the SPARQL endpoint {self.endpoint} is unreachable: {exc}"
            ) from exc
        if reply.status_code == 400:
            return Answer(400, error="syntax", detail=reply.text[:2000])
        if reply.status_code >= 300:
            raise BackendUnavailable(
                f"the SPARQL endpoint {self.endpoint} answered {reply.status_code}: {reply.text[:300]}"
            )
        return self._render(reply, job, started)

    def _render(self, reply: httpx.Response, job: Job, started: float) -> Answer:
        media = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        answer: object
        if media == "application/sparql-results+json":
            answer = ox.parse_query_results(reply.content, ox.QueryResultsFormat.JSON)
        elif media in formats.GRAPH_TYPES:
            answer = list(formats.triples_from(reply.content, media))
        else:
            raise BackendUnavailable(f"the remote store answered with an unexpected type {media!r}")
        form = formats.form_of(answer)
        try:
            media_type = formats.negotiate(form, job.accept, job.format)
        except formats.NotAcceptable as exc:
            return Answer(406, error="not-acceptable", detail=str(exc), offers=tuple(exc.offers))
        rendered = formats.render(answer, media_type, job.max_rows)
        return Answer(
            200,
            rendered.media_type,
            rendered.body,
            rendered.rows,
            rendered.truncated,
            seconds=time.perf_counter() - started,
        )

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
