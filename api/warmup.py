"""The answers every build shares, computed in the background as soon as the server answers.

The first request of a route needs answers that are computed once per build of the embedded
store (api.services.build.once): the factor summaries and weights, the categories, the search
index, the study catalogue, the rows of every factor, the analysis, its JSON and its pictures,
the report page. Computed on demand, the first visitor of the home page waited seconds at
100k triples. Here they are computed right after start, one after the other, through the same
`once` as a request: a request that arrives while one is being computed waits for that same
computation instead of starting its own, and one that arrives later finds it ready. Nothing
changes in what is answered (tests/test_warmup.py compares both ways).

The warm-up starts only once the backend is up (a router's lifespan, nested inside the app's:
api.routes.health) and does not delay the server's start. It runs one named query at a time, so
that a query worker stays free for the requests that come meanwhile; the pictures are drawn in a
worker thread, last. A remote store keeps nothing (it may change under us): there is nothing to
warm. A step that fails is logged and left to the request that needs it, which computes it
again. /healthz says whether the warm-up has finished (`warm`, `warmup_seconds`).

The steps are the services' (SERVICES, DRAWINGS) and those a router registers with `step`
where its route is defined (the routers are above this module: it imports none of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from api import pages
from api.named import WARMUP_GATE
from api.services import analysis, build, catalogue, evidence, ids, search, taxonomy
from kg.analysis import figures

log = logging.getLogger("rsme_kg.warmup")


Step = Callable[[Request], Awaitable[object]]


async def _model(request: Request) -> None:
    await analysis.model_svg(request, "en")


async def _pictures(request: Request) -> None:
    """Every picture of /analysis as SVG and PNG with English labels, in a worker thread."""
    found, digest = await analysis.with_digest(request)
    for name in figures.names():
        await asyncio.to_thread(analysis.draw_ahead, request, found, digest, name, "en")


async def _templates(request: Request) -> None:
    await asyncio.to_thread(pages.compile_all)


async def _evidence(request: Request) -> None:
    factors = await ids.factor_ids(request)
    if factors:  # the evidence of one factor is read, and its quotes located, with every factor's
        await evidence.factor_evidence(request, factors[0])


async def _factor_rows(request: Request) -> None:
    """The labels, hierarchy, mappings and linked-data evidence of every factor (one query
    each)."""
    for name in (
        "api/factor-labels",
        "api/factor-hierarchy",
        "api/factor-mappings",
        "api/ld-evidence",
    ):
        await build.every_factor(request, name)


async def _known(request: Request) -> None:
    factors = await ids.factor_ids(request)
    if factors:  # the taxonomy's rows of one factor are read with those of every factor
        await ids.known_factor(request, factors[0])
        await ids.known_factor(request, factors[0], "api/factor-summary")


# what the services compute, in the order the first visitors need it: the lists and the home
# page's counts first, then what a search, the explorer and the pages of a factor need
SERVICES: tuple[tuple[str, Step], ...] = (
    ("page templates", _templates),
    ("factor summaries", taxonomy.factor_summaries),
    ("categories", taxonomy.categories),
    ("factor ids", ids.factor_ids),
    ("known factors", _known),
    ("study languages", evidence.study_languages),
    ("factor weights", analysis.factor_weights),
    ("analysis", analysis.with_digest),
    ("analysis as JSON", analysis.everything_json),
    ("study catalogue", catalogue.catalogue),
    ("search index", search.searchable),
    ("code selections", evidence.selections),
    ("factor evidence", _evidence),
    ("factor labels and links", _factor_rows),
)
# the pictures take most of the time: after every step that does not draw
DRAWINGS: tuple[tuple[str, Step], ...] = (
    ("pictures", _pictures),
    ("model on the home page", _model),
)
# the steps of the routers (`step`), by name: (step, late); late ones run after the drawings
_REGISTERED: dict[str, tuple[Step, bool]] = {}


def step(name: str, *, late: bool = False) -> Callable[[Step], Step]:
    """Register a router's warm-up step: what the first request of its route would compute
    (a router registers it where the route is defined; services stay below the routers).
    `late` steps need the pictures and run after them."""

    def register(function: Step) -> Step:
        _REGISTERED[name] = (function, late)
        return function

    return register


def steps() -> tuple[tuple[str, Step], ...]:
    """Every step in the order it runs: the services', the routers', the drawings, the late."""
    early = tuple((name, f) for name, (f, late) in _REGISTERED.items() if not late)
    late = tuple((name, f) for name, (f, late) in _REGISTERED.items() if late)
    return (*SERVICES, *early, *DRAWINGS, *late)


@dataclass
class Warmup:
    """The state of the warm-up of one app: what is done, and how long it took."""

    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float | None = None  # set when every step has run
    task: asyncio.Task[None] | None = None

    @property
    def finished(self) -> bool:
        """Whether every step has run (failed ones included)."""
        return self.seconds is not None


def background_request(app: FastAPI) -> Request:
    """A request of the app's own, at the site's root, for the services to compute with: they
    read only the app's state and settings from it. Its named queries take turns
    (api.named.WARMUP_GATE)."""
    scope = {
        "type": "http",
        "app": app,
        "method": "GET",
        "path": "/",
        "root_path": "",
        "headers": [],
        "query_string": b"",
        WARMUP_GATE: asyncio.Semaphore(1),
    }
    return Request(scope)


async def warm(
    app: FastAPI, state: Warmup, chosen: tuple[tuple[str, Step], ...] | None = None
) -> None:
    """Run every step (`steps()` unless told) once, in order, recording each in `state`."""
    todo = steps() if chosen is None else chosen
    began = time.perf_counter()
    request = background_request(app)
    for name, run in todo:
        try:
            await run(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # the request that needs it will compute it again, and say why
            log.exception("warm-up: %s failed", name)
            state.failed.append(name)
        else:
            state.done.append(name)
    state.seconds = time.perf_counter() - began
    log.info("warm-up: %d steps in %.2f s", len(state.done), state.seconds)


def start(app: FastAPI) -> Warmup:
    """Start the warm-up of an app whose backend is up; `app.state.warmup` follows it. A remote
    store keeps no answer (api.services.build): nothing is warmed."""
    state = Warmup()
    settings = getattr(app.state, "settings", None)
    if settings is not None and not settings.warmup:
        return state  # turned off (RSME_KG_WARMUP=0): requests compute on demand, /healthz is mute
    app.state.warmup = state
    manifest = getattr(app.state, "manifest", None) or {}
    if not manifest.get("build_id"):
        state.seconds = 0.0
        return state
    state.task = asyncio.get_running_loop().create_task(warm(app, state), name="rsme-kg-warmup")
    return state


async def stop(app: FastAPI) -> None:
    """Cancel a warm-up still running (the server is stopping)."""
    state: Warmup | None = getattr(app.state, "warmup", None)
    if state is not None and state.task is not None and not state.task.done():
        state.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await state.task


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The warm-up for the time the app serves; entered after the app's own lifespan has
    started the backend (FastAPI nests an included router's lifespan inside the app's)."""
    start(app)
    try:
        yield
    finally:
        await stop(app)


def status(app: FastAPI) -> dict[str, object]:
    """What /healthz says of the warm-up: whether it has finished, and in how many seconds."""
    state: Warmup | None = getattr(app.state, "warmup", None)
    if state is None:
        return {}
    return {
        "warm": state.finished,
        "warmup_seconds": None if state.seconds is None else round(state.seconds, 3),
    }
