"""The VoID description of the dataset, at /.well-known/void (RFC 5785, VoID §7)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from api.documents import negotiated
from api.fastcache import cacheable
from api.openapi import RDF_DOCUMENTS, problem
from api.problems import Problem
from kg import paths

router = APIRouter(tags=["service"])


@cacheable
@router.get(
    "/.well-known/void",
    summary="VoID description of the dataset",
    response_class=Response,
    responses={
        200: {
            "description": "The description in the negotiated format (Accept or ?format=)",
            "content": {media: {} for media in RDF_DOCUMENTS},
        },
        404: problem("This store has no VoID description (a remote store, or an old build)."),
        406: problem("No offered format is acceptable (`acceptable` lists them)."),
    },
)
async def void(request: Request) -> Response:
    """Triples, subjects, class and property partitions, named graphs, linksets, endpoint, dump."""
    documents: dict[str, bytes] | None = request.app.state.void
    if not documents:
        raise Problem(404, "Not found", "this store has no VoID description (rebuild it)")
    return negotiated(request, documents, "the VoID description")


@router.get(
    "/dump/rsme-kg.trig",
    summary="The whole dataset as TriG (one named graph each)",
    response_class=FileResponse,
    responses={
        200: {"description": "The build's TriG dump", "content": {"application/trig": {}}},
        404: problem("No dump: the service runs over a remote store, or the build wrote none."),
    },
)
async def dump(request: Request) -> FileResponse:
    """The TriG dump written by the build (embedded backend only)."""
    settings = request.app.state.settings
    path = Path(settings.store).parent / paths.TRIG_NAME
    if settings.endpoint or not path.is_file():
        raise Problem(404, "Not found", "no dump is available for this store")
    return FileResponse(path, media_type="application/trig", filename=paths.TRIG_NAME)
