"""Small RDF documents (service description, VoID) served in the format a client asks for."""

from __future__ import annotations

from fastapi import Request, Response

from api import formats
from api.responses import Offers, negotiate


def negotiated(request: Request, documents: dict[str, bytes], what: str) -> Response:
    """One of several serializations of a document, chosen by ?format= or Accept."""
    # ?format= takes the SPARQL endpoint's names (ttl, jsonld ...), as /sparql does
    media = negotiate(request, Offers(tuple(documents), what, names=formats.canonical))
    return Response(
        documents[media], media_type=formats.content_type(media), headers={"Vary": "Accept"}
    )
