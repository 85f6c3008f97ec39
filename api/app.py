"""Assemble the web facade: create_app(settings) wires routers, errors, middleware, backend."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from rdflib import Graph
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import formats, ld, openapi, problems
from api.backends import AnswerCache, Backend, EmbeddedBackend, RemoteBackend
from api.docs import add_docs
from api.fastcache import ReadCache, cached_paths
from api.head import HeadWithoutBody, add_head_routes
from api.middleware import AccessLogMiddleware
from api.routes import (
    analysis,
    categories,
    dataset,
    explore,
    explore_search,
    explore_studies,
    factors,
    health,
    home,
    mappings,
    releases,
    search,
    sources,
    studies,
)
from api.security import SecurityHeaders
from api.services.build import PerBuild
from api.settings import Settings
from api.sparql import ProtocolFastPath
from api.sparql import router as sparql_router
from api.worker import WorkerPool
from kg import __version__, paths
from kg.errors import RsmeError

log = logging.getLogger("rsme_kg.api")

_RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def serializations(graph: Graph) -> dict[str, bytes]:
    """A small graph in every RDF format the service offers for documents (computed once)."""
    return {
        media: graph.serialize(format=name, encoding="utf-8")
        for media, name in _RDFLIB_FORMATS.items()
    }


def _backend(settings: Settings) -> Backend:
    if settings.endpoint:
        return RemoteBackend(
            settings.endpoint,
            timeout=settings.query_timeout,
            max_answer_bytes=settings.max_answer_bytes,
        )
    pool = WorkerPool(
        settings.store,
        settings.query_workers,
        standby=settings.standby_workers,
        long_after=settings.long_query,
    )
    return EmbeddedBackend(pool)


def _manifest(settings: Settings) -> dict[str, Any]:
    if settings.endpoint:
        return {}
    path = Path(settings.store).parent / paths.MANIFEST_NAME
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _void(settings: Settings) -> dict[str, bytes] | None:
    if settings.endpoint:
        return None
    path = Path(settings.store).parent / paths.VOID_NAME
    if not path.is_file():
        return None
    return serializations(Graph().parse(path, format="turtle"))


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application over the store or endpoint named by the settings."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from kg.describe import service_description

        backend = _backend(settings)
        # the query workers boot in processes of their own while this one reads the build's
        # files (and imports what that needs): the server answers sooner
        starting = asyncio.ensure_future(backend.start())
        await asyncio.sleep(0)  # its first step starts the worker processes
        try:
            manifest = _manifest(settings)
            app.state.void = _void(settings)
            app.state.service_description = serializations(
                service_description(
                    endpoint_url=settings.public_base.rstrip("/") + "/sparql",
                    result_formats=list(formats.all_media_types()),
                    build_id=str(manifest.get("build_id", "remote")),
                )
            )
        finally:
            await starting
        app.state.backend = backend
        app.state.manifest = manifest
        log.info("serving %s backend", backend.name)
        try:
            yield
        finally:
            await backend.close()

    app = FastAPI(
        title="rsme-kg",
        version=__version__,
        description="Knowledge graph of the factors behind the internationalization of rural "
        "SMEs: a read-only SPARQL 1.1 endpoint and lookups.",
        lifespan=lifespan,
        docs_url=None,  # add_docs: the same pages, their scripts served from here
        redoc_url=None,
    )
    add_docs(app)
    app.state.settings = settings
    # the embedded store is read-only between builds; a remote one may change under us
    cache_bytes = 0 if settings.endpoint else settings.cache_bytes
    app.state.cache = AnswerCache(cache_bytes // 2)
    app.state.per_build = PerBuild()  # answers derived from the embedded store's build
    routers = [
        sparql_router,
        *(m.router for m in (factors, categories, studies, search, mappings, sources, analysis)),
        releases.router,
        ld.router,
        dataset.router,
        health.router,
        home.router,
        *(m.router for m in (explore, explore_studies, explore_search)),
    ]
    for router in routers:
        add_head_routes(router)  # HEAD wherever GET (api.head)
        app.include_router(router)
    app.add_exception_handler(problems.Problem, problems.problem_handler)
    app.add_exception_handler(RsmeError, problems.rsme_error_handler)
    app.add_exception_handler(StarletteHTTPException, problems.http_exception_handler)
    app.add_exception_handler(RequestValidationError, problems.validation_handler)
    # anything else (a bug) is a 500 problem too, not Starlette's plain text; it is still raised
    # on to the server, which logs it with its traceback
    app.add_exception_handler(Exception, problems.internal_error_handler)
    openapi.install(app)
    # innermost: the SPARQL Protocol requests skip routing, inside CORS, cache and access log
    app.add_middleware(ProtocolFastPath)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=[
            "X-Result-Rows",
            "X-Result-Truncated",
            "X-Result-Limit",
            "Server-Timing",
            "Link",
            "X-Total-Count",
            "ETag",
        ],
        max_age=600,
    )
    # outermost last: the access log sees every request, cache hits included
    # the routes declared @cacheable, now that every router is included
    app.add_middleware(ReadCache, max_bytes=cache_bytes // 2, paths=cached_paths(app.routes))
    # on every answer, cached or not (api.security)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadWithoutBody)
    app.add_middleware(AccessLogMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (several workers): settings from RSME_KG_* variables."""
    # each uvicorn worker is a fresh process: the access log must be set up in it, not only
    # in the command that started it
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
    return create_app(Settings())
