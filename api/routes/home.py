"""The front door: `/` as a page for browsers and a JSON index of the API for programs,
and the pages' static assets under content-hashed names."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.fastcache import cacheable
from api.linkeddata import public_url
from api.openapi import problem
from api.pages import assets, gzipped, render, served_name
from api.problems import Problem
from api.responses import HTML, JSON, Offers, negotiate
from api.services.analysis import model_svg
from api.services.overview import index, overview

router = APIRouter(tags=["service"])

# the API's entry points, as paths below the site's base
ENTRY_POINTS = {
    "sparql": "sparql",
    "factors": "factors",
    "categories": "categories",
    "studies": "studies",
    "search": "search",
    "analysis": "analysis",
    "mappings": "mappings",
    "ontology": "ontology",
    "shapes": "shapes",
    "openapi": "openapi.json",
    "docs": "docs",
}
# what the embedded store's build wrote beside it
BUILD_FILES = {"void": ".well-known/void", "dump": "dump/rsme-kg.trig"}
_HOME = Offers((HTML, JSON), "the home page", listed_as="acceptable")
# a year: an asset's name changes with its bytes, so a kept copy is never stale
_IMMUTABLE = "public, max-age=31536000, immutable"
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


class HomeIndex(BaseModel):
    """The JSON index at `/`: the entry points of the API and the graph in numbers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "rsme-kg",
                    "description": "Knowledge graph of the factors behind the "
                    "internationalization of small and medium rural enterprises, built from "
                    "a meta-synthesis.",
                    "build": "4f9a5f7d97b336ad",
                    "built": "2026-12-06T12:53:43.161670+00:00",
                    "counts": {
                        "studies": 48,
                        "included": 41,
                        "excluded": 7,
                        "codes": 79,
                        "factors": 51,
                        "categories": 13,
                        "coders": 1,
                    },
                    "links": {"sparql": "http://127.0.0.1:8000/sparql"},
                }
            ]
        }
    )

    name: str
    description: str
    build: str | None = Field(description="Id of the build served (None for a remote store).")
    built: str | None = Field(description="When the build was made (ISO 8601).")
    counts: dict[str, int] = Field(description="Studies, codes, factors, categories, coders.")
    links: dict[str, str] = Field(description="The API's entry points, as absolute URLs.")


@cacheable
@router.get(
    "/",
    summary="The home page (HTML), or the index of the API's entry points (JSON)",
    response_model=HomeIndex,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        406: problem("Neither is acceptable (`acceptable` lists them)."),
    },
)
async def home(
    request: Request,
    lang: Annotated[
        Literal["en", "fa"],
        Query(description="Language of the integrated model's labels on the page (HTML only)."),
    ] = "en",
) -> Any:
    """A browser gets the home page; `Accept: application/json` gets the index of the API."""
    media = negotiate(request, _HOME)
    found = await overview(request)
    if media == JSON:
        # a remote store's facade has no build files: no dump, no VoID of ours
        own = {} if request.app.state.settings.endpoint else BUILD_FILES
        points = {**ENTRY_POINTS, **own}
        links = {name: public_url(request, "/" + path) for name, path in points.items()}
        return index(links, found)
    page = render(
        request,
        "home.html",
        counts=found.counts,
        build=found.build,
        built=found.built,
        dump=not request.app.state.settings.endpoint,
        model=await model_svg(request, lang),
        model_lang=lang,
    )
    return Response(page, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


# not @cacheable: the bytes are in memory already (api.pages.assets), and the read cache keys
# on Accept, so it would keep a copy of a 1 MB script per Accept header a client sends
@router.get(
    "/static/{name}",
    summary="A static file of the pages (stylesheet, icon)",
    response_class=Response,
    responses={
        200: {
            "description": "The file, by the suffix of its name",
            "content": {media.split(";")[0]: {} for media in _STATIC_TYPES.values()},
        },
        404: problem("No static file has this name (names change with the files' content)."),
    },
)
async def static(name: str, request: Request) -> Response:
    """A static file under its content-hashed name, kept by browsers for a year."""
    asset = assets().get(name)
    if asset is None:
        raise Problem(404, "Not found", f"no static file {name!r}", kind="not-found")
    media = _STATIC_TYPES.get(asset.path.suffix, "application/octet-stream")
    headers = {"Cache-Control": _IMMUTABLE, "Vary": "Accept-Encoding"}
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        # the editor's script is 1 MB as npm ships it, a quarter of that compressed
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped(name), media_type=media, headers=headers)
    return Response(asset.body, media_type=media, headers=headers)


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (by name or *, with a q above 0).

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("br;q=1, gzip;q=0"), accepts_gzip("*")
    (True, False, True)
    >>> accepts_gzip(""), accepts_gzip("identity"), accepts_gzip("gzip;q=0.5")
    (False, False, True)
    """
    found: dict[str, float] = {}
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding:
            found[coding.strip().lower()] = quality
    return found.get("gzip", found.get("*", 0.0)) > 0


@router.get(  # not @cacheable: in memory already, like /static
    "/favicon.ico",
    summary="The site's icon where browsers look for it without being told (an SVG)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def favicon() -> Response:
    """The icon of the pages; a page that names no icon (a JSON answer, a picture) gets it
    here, instead of a 404 in the browser's console."""
    return Response(
        assets()[served_name("favicon.svg")].body,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
