"""Liveness and version of the service."""

from __future__ import annotations

import platform
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api import warmup
from api.backends import Backend

# the router's lifespan runs inside the app's, once the backend is up: it starts the warm-up
# of the answers every build shares (api.warmup), which /healthz reports
router = APIRouter(tags=["service"], lifespan=warmup.lifespan)


@router.get("/healthz", summary="Is the service able to answer queries?")
async def healthz(request: Request) -> JSONResponse:
    """200 with a summary when the store answers; 503 problem+json when it cannot. `warm`
    says whether the answers every build shares have been computed (api.warmup)."""
    # the backend raises StoreUnavailable, which api.problems.problem_of answers (Retry-After)
    backend: Backend = request.app.state.backend
    summary = await backend.health()
    return JSONResponse({"status": "ok", **summary, **warmup.status(request.app)})


@router.get("/version", summary="Build and software versions")
async def version(request: Request) -> dict[str, Any]:
    """The build id (a hash of the inputs), build time, counts, and engine/app versions."""
    import fastapi
    import pyoxigraph

    from kg import __version__

    manifest: dict[str, Any] = request.app.state.manifest
    return {
        "rsme_kg": __version__,
        "build_id": manifest.get("build_id"),
        "data_hash": manifest.get("build_id"),
        "built_at": manifest.get("built_at"),
        "triples": manifest.get("triples"),
        "graphs": manifest.get("graphs"),
        "backend": request.app.state.backend.name,
        "engine": {"pyoxigraph": pyoxigraph.__version__},
        "python": platform.python_version(),
        "fastapi": fastapi.__version__,
    }
