"""Small RDF documents (service description, VoID) served in the format a client asks for."""

from __future__ import annotations

from fastapi import Request, Response

from api import formats
from api.conneg import choose, parse_accept
from api.problems import Problem


def negotiated(request: Request, documents: dict[str, bytes], what: str) -> Response:
    """One of several serializations of a document, chosen by ?format= or Accept."""
    wanted = request.query_params.get("format")
    offers = list(documents)
    media = (
        formats.canonical(wanted)
        if wanted
        else choose(parse_accept(request.headers.get("accept")), offers)
    )
    if media not in documents:
        raise Problem(
            406,
            "Not acceptable",
            f"{what} is available as " + ", ".join(offers),
            kind="not-acceptable",
            acceptable=offers,
        )
    return Response(
        documents[media], media_type=formats.content_type(media), headers={"Vary": "Accept"}
    )
