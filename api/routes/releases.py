"""The release bundles (`rsme-kg release`): /releases, /releases/{version} and their files.

The releases folder (Settings.releases) is read on every request, so a release written while
the server runs is listed at once: the list is not kept by the read cache. A release never
changes once written, so its files are sent with a year's max-age and their SHA-256 as a
strong ETag; only the files its release.json lists are sent (api.services.releases says how a
path is checked), as stored: a `.gz` dump is a gzip file, not a compressed answer.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from api.fastcache import cacheable
from api.models.releases import ReleaseDetail, ReleaseFileInfo, ReleaseList, ReleaseSummary
from api.pages import render
from api.problems import PROBLEM_TYPE, TYPE_BASE, Problem
from api.responses import (
    HTML,
    JSON,
    VARIANTS,
    content_tag,
    format_query,
    linked_data,
    negotiate,
    send,
)
from api.services.releases import (
    CHECKSUMS,
    MANIFEST,
    ONTOLOGY,
    Release,
    list_releases,
    read_release,
    releases_root,
    served_file,
)
from api.urls import base_path, public_url

router = APIRouter(tags=["releases"])

OFFERS = linked_data((JSON, HTML), "the list of releases")
RELEASE_OFFERS = linked_data((JSON, HTML), "a release")
# a release's files never change: a year, like the pages' hashed assets
_IMMUTABLE = "public, max-age=31536000, immutable"
# the list changes when a release is written: a client asks again each time (ETag: a 304)
_REVALIDATE = "no-cache"
# a file is data, never a page of this site: no sniffing, no scripts if a browser shows it
_FILE_HEADERS = {
    "Cache-Control": _IMMUTABLE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}
# what a client may have written as a separator in a single segment, or a NUL byte
_ENCODED = (b"%2f", b"%5c", b"%00")

# a release's version, and a file of it, as the description's examples (the fuzzer's too)
_VERSION = Annotated[
    str, PathParam(description="A release's version, e.g. 1.0.0.", examples=["1.0.0"])
]
_PATH = Annotated[
    str,
    PathParam(
        description="A path release.json lists (release.json and SHA256SUMS too).",
        examples=["release.json", "SHA256SUMS", "ontology.ttl"],
    ),
]
_FORMAT = Annotated[
    str | None, format_query(OFFERS.media, "Overrides the Accept header: json or html.")
]


def _problem(status: int, title: str, kind: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail, **extra}


_NOT_FOUND = {
    "description": "No such release or file; `suggestions` lists known versions or paths.",
    "content": {
        PROBLEM_TYPE: {
            "example": _problem(
                404,
                "Not found",
                "not-found",
                "no release '1.0.1'; known: 1.0.0, 0.9.0",
                suggestions=["1.0.0", "0.9.0"],
            )
        }
    },
}
_NOT_ACCEPTABLE = {
    "description": "Neither JSON nor HTML is acceptable",
    "content": {
        PROBLEM_TYPE: {
            "example": _problem(
                406,
                "Not acceptable",
                "not-acceptable",
                "the list of releases is available as application/json (format=json), "
                "text/html (format=html)",
                acceptable=[JSON, HTML],
            )
        }
    },
}
_NOT_MODIFIED = {"description": "Not modified: If-None-Match names the current ETag"}


# ------------------------------------------------------------------------------ the list


@router.get(  # not @cacheable: a release written while the server runs must be listed
    "/releases",
    summary="The releases of the graph, newest first (JSON, or a page for browsers)",
    response_model=ReleaseList,
    responses={
        200: {"content": {HTML: {}}},
        304: _NOT_MODIFIED,
        406: _NOT_ACCEPTABLE,
    },
)
async def releases(request: Request, format: _FORMAT = None) -> Response:
    """Every release of the releases folder (an empty list when there is none); newest first
    by version order (PEP 440), or by date when a version is not a PEP 440 one."""
    media = negotiate(request, OFFERS)
    found = await asyncio.to_thread(list_releases, releases_root(request))
    if media == JSON:
        listing = ReleaseList(releases=[_summary(request, r) for r in found])
        body = listing.model_dump_json().encode("utf-8")
    else:
        rows = [_row(request, r) for r in found]
        body = render(request, "releases.html", releases=rows)
    tag = content_tag(body, VARIANTS[media])
    return send(request, body, media, tag, headers={"Cache-Control": _REVALIDATE})


def _links(request: Request, release: Release) -> dict[str, str]:
    here = f"/releases/{release.version}"
    links = {
        "self": public_url(request, here),
        "release.json": public_url(request, f"{here}/{MANIFEST}"),
        "SHA256SUMS": public_url(request, f"{here}/{CHECKSUMS}"),
    }
    if release.listed(ONTOLOGY) is not None:
        links["ontology"] = public_url(request, f"/ontology/{release.version}")
    if release.previous:
        links["previous"] = public_url(request, f"/releases/{release.previous}")
    return links


def _summary(request: Request, release: Release) -> ReleaseSummary:
    return ReleaseSummary(
        version=release.version,
        date=release.date,
        previous=release.previous,
        title=release.title,
        files=len(release.files),
        bytes=release.total_bytes,
        links=_links(request, release),
    )


def _row(request: Request, release: Release) -> dict[str, Any]:
    """A release as a row of the list's page."""
    return {
        "version": release.version,
        "date": release.date,
        "previous": release.previous,
        "title": release.title,
        "files": len(release.files),
        "size": human_bytes(release.total_bytes),
        "bytes": release.total_bytes,
    }


def human_bytes(count: int) -> str:
    """A size for people (decimal units, as download pages give them), the number and its
    unit kept on one line (a no-break space).

    >>> [s.replace("\\u00a0", " ") for s in (human_bytes(0), human_bytes(999), human_bytes(1_234))]
    ['0 bytes', '999 bytes', '1.2 kB']
    >>> human_bytes(2_483_117)
    '2.5\\xa0MB'
    """
    if count < 1000:
        return f"{count}\u00a0bytes"
    size = float(count)
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            break
    return f"{size:.1f}\u00a0{unit}"


# ------------------------------------------------------------------------------ a release


async def _release(request: Request, version: str) -> Release:
    """The release `version`, or a 404 naming the closest known versions."""
    root = releases_root(request)
    release = await asyncio.to_thread(read_release, root, version)
    if release is not None:
        return release
    known = [r.version for r in await asyncio.to_thread(list_releases, root)]
    raise _missing(f"no release {version!r}", version, known)


def _missing(detail: str, wanted: str, known: list[str]) -> Problem:
    """A 404 whose suggestions are the closest known names, else (few) all of them."""
    close = difflib.get_close_matches(wanted, known, n=5, cutoff=0.5)
    suggestions = close or known[:10]
    listed = f"; known: {', '.join(suggestions)}" if suggestions else "; there is none"
    return Problem(404, "Not found", detail + listed, kind="not-found", suggestions=suggestions)


@cacheable  # a release never changes, and an unknown one's 404 is not kept
@router.get(
    "/releases/{version}",
    summary="One release: its release.json metadata and its files (JSON, or a page)",
    response_model=ReleaseDetail,
    responses={
        200: {"content": {HTML: {}}},
        304: _NOT_MODIFIED,
        404: _NOT_FOUND,
        406: _NOT_ACCEPTABLE,
    },
)
async def release(request: Request, version: _VERSION, format: _FORMAT = None) -> Response:
    """A release's metadata, and each file with its media type, size, SHA-256 and link."""
    found = await _release(request, version)
    media = negotiate(request, RELEASE_OFFERS)
    if media == JSON:
        body = _detail(request, found).model_dump_json().encode("utf-8")
    else:
        body = render(request, "release.html", release=_page(request, found))
    return send(request, body, media, content_tag(body, VARIANTS[media]))


def _file_url(request: Request, release: Release, path: str) -> str:
    return public_url(request, f"/releases/{release.version}/{quote(path)}")


def _detail(request: Request, release: Release) -> ReleaseDetail:
    return ReleaseDetail(
        version=release.version,
        date=release.date,
        previous=release.previous,
        title=release.title,
        bytes=release.total_bytes,
        metadata=release.metadata,
        files=[
            ReleaseFileInfo(
                path=f.path,
                media_type=f.media_type,
                bytes=f.bytes,
                sha256=f.sha256,
                title=f.title,
                url=_file_url(request, release, f.path),
            )
            for f in release.files
        ],
        links=_links(request, release),
    )


def _page(request: Request, release: Release) -> dict[str, Any]:
    """What the page of a release shows (api/templates/release.html)."""
    here = f"{base_path(request)}/releases/{release.version}"
    return {
        "version": release.version,
        "date": release.date,
        "previous": release.previous,
        "title": release.title,
        "size": human_bytes(release.total_bytes),
        "ontology": release.listed(ONTOLOGY) is not None,
        "metadata": [
            (key, value if isinstance(value, str) else _compact(value))
            for key, value in sorted(release.metadata.items())
        ],
        "files": [
            {
                "path": f.path,
                "href": f"{here}/{quote(f.path)}",
                "title": f.title,
                "media_type": f.media_type,
                "size": human_bytes(f.bytes),
                "bytes": f.bytes,
                "sha256": f.sha256,
            }
            for f in release.files
        ],
    }


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# ------------------------------------------------------------------------------ its files


@router.get(  # not @cacheable: files are streamed from disk, like the build's dump
    "/releases/{version}/{path:path}",
    summary="A file of a release, as release.json lists it (SHA256SUMS and release.json too)",
    response_class=Response,
    responses={
        200: {
            "description": "The file's bytes, with its media type from release.json, its "
            "SHA-256 as a strong ETag and Range support; a .gz file is sent as stored",
            "content": {"*/*": {}},  # any bytes: release.json names the type
        },
        206: {"description": "The requested range of the file", "content": {"*/*": {}}},
        304: _NOT_MODIFIED,
        404: _NOT_FOUND,
    },
)
async def release_file(request: Request, version: _VERSION, path: _PATH) -> Response:
    """A file of a release; a path that release.json does not list is not found, whatever
    lies in the release's folder."""
    if not path:  # /releases/{version}/
        return await release(request, version, request.query_params.get("format"))
    _refuse_encoded_separators(request, version, path)
    found = await _release(request, version)
    served = await asyncio.to_thread(served_file, found, path)
    if served is None:
        known = [f.path for f in found.files] + [MANIFEST, CHECKSUMS]
        raise _missing(f"release {version} has no file {path!r}", path, known)
    digest = served.sha256 or await asyncio.to_thread(_sha256, served.path)
    tag = f'"{digest}"'
    headers = {**_FILE_HEADERS, "ETag": tag}
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return FileResponse(
        served.path, media_type=served.media_type, stat_result=served.stat, headers=headers
    )


def _refuse_encoded_separators(request: Request, version: str, path: str) -> None:
    """A 404 for a path that held an encoded / or \\ or NUL: a file name never has one, and
    a client that sends one is probing for a way out of the folder."""
    raw: bytes = request.scope.get("raw_path") or b""
    if any(code in raw.partition(b"?")[0].lower() for code in _ENCODED):
        raise Problem(
            404,
            "Not found",
            f"release {version} has no file {path!r}: a path segment may not hold an encoded "
            "separator or NUL",
            kind="not-found",
            suggestions=[],
        )


def _matches(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names the tag (or is *: the file exists)."""
    if not header:
        return False
    return header.strip() == "*" or tag in (t.strip().removeprefix("W/") for t in header.split(","))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# HEAD answers like GET without a body (download managers and link checkers use it)
router.add_api_route("/releases", releases, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/releases/{version}", release, methods=["HEAD"], include_in_schema=False)
router.add_api_route(
    "/releases/{version}/{path:path}", release_file, methods=["HEAD"], include_in_schema=False
)
