"""How a route answers over HTTP: the negotiated representation, its ETag, the 304.

One negotiation helper (`negotiate`, over api.conneg's Accept parsing) for every route that
offers several formats, and one ETag helper (`build_tag` or `content_tag`, then `unchanged` and
`send`) for every route that tags its answers. The SPARQL endpoint's result formats follow the
SPARQL protocol's own rules (api.formats).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Query, Request, Response

from api.conneg import MediaRange, choose, parse_accept
from api.problems import Problem
from api.services.build import build_id

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
JSON = "application/json"
TSV = "text/tab-separated-values"
# answered with charset=utf-8
TEXT_TYPES = frozenset({HTML, TURTLE, NTRIPLES, TSV})
# short names: in ?format= and in ETags (one representation of a URL each)
FORMAT_NAMES: dict[str, str] = {
    "html": HTML,
    "htm": HTML,
    "ttl": TURTLE,
    "turtle": TURTLE,
    "jsonld": JSONLD,
    "json-ld": JSONLD,
    "nt": NTRIPLES,
    "ntriples": NTRIPLES,
    "n-triples": NTRIPLES,
    "rdf": RDFXML,
    "rdfxml": RDFXML,
    "xml": RDFXML,
    "owl": RDFXML,
    "json": JSON,
    "tsv": TSV,
    "sssom": TSV,
}
VARIANTS: dict[str, str] = {
    HTML: "html",
    TURTLE: "ttl",
    JSONLD: "jsonld",
    NTRIPLES: "nt",
    RDFXML: "rdfxml",
    JSON: "json",
    TSV: "tsv",
}
# what a client's general type means where the exact one is not offered, in order of preference
EQUIVALENTS: dict[str, tuple[str, ...]] = {
    JSON: (JSON, JSONLD),
    JSONLD: (JSONLD, JSON),
    "application/xml": (RDFXML,),
    "text/xml": (RDFXML,),
    "application/xhtml+xml": (HTML,),
    "text/plain": (NTRIPLES,),
    "application/x-turtle": (TURTLE,),
    "text/n3": (TURTLE,),
}


def format_name(value: str) -> str:
    """A ?format= value as a media type: a short name (FORMAT_NAMES) or the type itself.

    >>> format_name(" TTL "), format_name("text/turtle")
    ('text/turtle', 'text/turtle')
    """
    lowered = value.strip().lower()
    return FORMAT_NAMES.get(lowered, lowered)


def format_values(media: Sequence[str]) -> list[str]:
    """The ?format= values that choose one of these media types: short names, then the types.

    >>> format_values((JSON, TSV))
    ['json', 'tsv', 'sssom', 'application/json', 'text/tab-separated-values']
    """
    return [name for name, full in FORMAT_NAMES.items() if full in media] + list(media)


def format_query(media: Sequence[str], description: str) -> Any:
    """The declaration of a ?format= parameter: its values listed in the OpenAPI description
    (read without regard to case or spaces around them; empty, as a form sends it, leaves the
    choice to Accept; any other is a 406, as an Accept the route cannot meet, not a 422)."""
    return Query(description=description, json_schema_extra={"enum": ["", *format_values(media)]})


@dataclass(frozen=True)
class Offers:
    """The representations a route offers, and how a client may ask for one of them."""

    media: tuple[str, ...]  # in the server's order of preference
    what: str  # named in a 406: "the mapping set is available as ..."
    # a ?format= value as a media type; None: ?format= is not read, only Accept
    names: Callable[[str], str] | None = None
    # a client's type -> the offered types that serve it (application/json -> JSON-LD)
    equivalents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # media type -> its ?format= name, listed beside it in a 406
    hints: Mapping[str, str] = field(default_factory=dict)
    # the 406's member listing the offers (the analysis routes have always said "offers")
    listed_as: str = "acceptable"


def linked_data(media: Sequence[str], what: str) -> Offers:
    """Offers of RDF documents and other linked data: short ?format= names, equivalent types."""
    return Offers(tuple(media), what, format_name, EQUIVALENTS, VARIANTS)


def negotiate(request: Request, offers: Offers) -> str:
    """The media type to answer with: ?format= if read and given, else Accept (q-values);
    a 406 problem listing the offers when none is acceptable."""
    wanted = request.query_params.get("format") if offers.names is not None else None
    if wanted and offers.names is not None:
        media = offers.names(wanted)
        for candidate in (media, *offers.equivalents.get(media, ())):
            if candidate in offers.media:
                return candidate
    else:
        accepted = parse_accept(request.headers.get("accept"))
        chosen = choose([_equivalent(r, offers) for r in accepted], offers.media)
        if chosen is not None:
            return chosen
    listed = ", ".join(
        f"{m} (format={offers.hints[m]})" if m in offers.hints else m for m in offers.media
    )
    listing: dict[str, Any] = {offers.listed_as: list(offers.media)}
    raise Problem(
        406,
        "Not acceptable",
        f"{offers.what} is available as {listed}",
        kind="not-acceptable",
        **listing,
    )


def _equivalent(media_range: MediaRange, offers: Offers) -> MediaRange:
    full = f"{media_range.type}/{media_range.subtype}"
    for candidate in offers.equivalents.get(full, ()):
        if candidate in offers.media:
            main, _, sub = candidate.partition("/")
            return MediaRange(main, sub, media_range.q)
    return media_range


def content_type(media: str) -> str:
    """The Content-Type header for a media type (text types in UTF-8).

    >>> content_type(TURTLE), content_type(JSONLD)
    ('text/turtle; charset=utf-8', 'application/ld+json')
    """
    return f"{media}; charset=utf-8" if media in TEXT_TYPES else media


# ------------------------------------------------------------------------------------ ETags


def content_tag(body: bytes, variant: str) -> str:
    """A strong ETag from the bytes themselves (for documents that do not come from a build).

    >>> content_tag(b"x", "ttl")
    '"2d711642b726b04401627ca9-ttl"'
    """
    return f'"{hashlib.sha256(body).hexdigest()[:24]}-{variant}"'


async def build_tag(request: Request, variant: str) -> str | None:
    """The ETag of a representation derived from the graph: the build id plus the variant."""
    build = await build_id(request)
    return f'"{build}-{variant}"' if build else None


def unchanged(request: Request, tag: str | None, *, exists: bool = True) -> Response | None:
    """A 304 when the client's If-None-Match already names this ETag (weak comparison).

    `If-None-Match: *` means "any current representation" (RFC 9110 13.1.2): it gives a 304
    only when the resource is known to exist; pass exists=False before that is known.
    """
    header = request.headers.get("if-none-match")
    if not header or tag is None:
        return None
    if (exists and header.strip() == "*") or tag in (
        t.strip().removeprefix("W/") for t in header.split(",")
    ):
        return Response(status_code=304, headers={"ETag": tag, "Vary": "Accept"})
    return None


def send(
    request: Request,
    body: bytes,
    media: str,
    tag: str | None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 with ETag and Vary, or a 304 when the client already holds this ETag."""
    current = unchanged(request, tag)
    if current is not None:
        return current
    extra = {"Vary": "Accept", **(headers or {})}
    if tag is not None:
        extra["ETag"] = tag
    return Response(body, media_type=content_type(media), headers=extra)
