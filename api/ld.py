"""Linked data: every IRI under https://w3id.org/rsme-kg/ resolves on this server.

The w3id base is the canonical IRI space; the `public_base` setting says where this server
answers, and the mapping between the two is a change of base: https://w3id.org/rsme-kg/id/x is
served at {public_base}/id/x, https://w3id.org/rsme-kg/graph/x at {public_base}/graph/x and an
ontology term https://w3id.org/rsme-kg/ontology#Study at {public_base}/ontology#Study.

A resource is described by a CONSTRUCT named query (its triples, its rdf:List values and the
triples that point to it), served as HTML, Turtle, JSON-LD, N-Triples or RDF/XML. This module
is the router only; the documents and pages are made by api.linkeddata.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from typing import Literal as TypingLiteral

from fastapi import APIRouter, Query, Request, Response
from pyoxigraph import NamedNode
from rdflib import URIRef

from api import pages
from api.fastcache import cacheable
from api.linkeddata import (
    CONTEXT_PATH,
    best_labels,
    context_body,
    evidence_page,
    label_rows,
    resource_page,
    serialize,
    void_description,
)
from api.named import construct, select
from api.problems import PROBLEM_TYPE, Problem, not_found_response
from api.responses import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    VARIANTS,
    build_tag,
    content_tag,
    format_query,
    linked_data,
    negotiate,
    send,
    unchanged,
)
from api.services.build import by_factor
from api.services.ids import unknown_resource
from api.urls import public_url
from kg import iris
from kg.namespaces import GRAPH, ID

router = APIRouter(tags=["linked data"])

RESOURCE_MEDIA: tuple[str, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
_RESOURCE = linked_data(RESOURCE_MEDIA, "this resource")
_EVIDENCE = linked_data((HTML,), "the evidence view")


def is_iri(text: str) -> bool:
    r"""Whether a text is an IRI (RFC 3987), by the rules of the store that would be asked.

    A path with a character no IRI may hold (a space, a C1 control such as U+0084, a
    noncharacter, a bad %-escape) names nothing here: it is a 404 before any query, rather
    than a query the store refuses.

    >>> [is_iri(ID + path) for path in ("factor/x", "\x84", "a b", "%zz")]
    [True, False, False, False]
    """
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


RESOURCE_EXAMPLE_TURTLE = """@prefix category: <https://w3id.org/rsme-kg/id/category/> .
@prefix factor: <https://w3id.org/rsme-kg/id/factor/> .
@prefix rsme: <https://w3id.org/rsme-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

factor:psychic-distance a rsme:Factor, skos:Concept ;
    rsme:evidencedBy <https://w3id.org/rsme-kg/id/code/assadinia-2019-3> ;
    skos:broader category:market-environment ;
    skos:prefLabel "Psychic distance"@en, "فاصله روانی"@fa .
"""


@cacheable
@router.get(
    CONTEXT_PATH,
    summary="The JSON-LD context of the JSON-LD answers (the project's prefixes)",
    response_class=Response,
    responses={
        200: {
            "content": {
                JSONLD: {
                    "example": {
                        "@context": {
                            "rsme": "https://w3id.org/rsme-kg/ontology#",
                            "factor": "https://w3id.org/rsme-kg/id/factor/",
                            "skos": "http://www.w3.org/2004/02/skos/core#",
                        }
                    }
                }
            }
        },
        304: {"description": "Not modified (If-None-Match)"},
    },
)
async def context(request: Request) -> Response:
    """The JSON-LD context, generated from the project's prefixes (kg.namespaces)."""
    body = context_body()
    return send(request, body, JSONLD, content_tag(body, "jsonld"))


# ------------------------------------------------------------------------- describing an IRI


def page_variant(media: str, view: str | None) -> str:
    """The part of the ETag after the build id: the representation, and for a page also the
    version of the templates and assets (a new stylesheet is a new page for the same build).

    >>> page_variant(TURTLE, None)
    'ttl'
    >>> page_variant(HTML, "evidence") == f"html-evidence-{pages.version()}"
    True
    """
    variant = VARIANTS[media] + (f"-{view}" if view else "")
    return f"{variant}-{pages.version()}" if media == HTML else variant


async def describe(request: Request, iri: URIRef, view: str | None) -> Response:
    """The negotiated description of an IRI of the w3id space (or its evidence view)."""
    media = negotiate(request, _EVIDENCE if view == "evidence" else _RESOURCE)
    variant = page_variant(media, view)
    if not is_iri(str(iri)):
        raise Problem(404, "Not found", f"{str(iri)!r} is not an IRI", kind="not-found")
    tag = await build_tag(request, variant)
    current = unchanged(request, tag, exists=False)
    if current is not None:  # the graph is the same build: no need to ask the store
        return current
    if view == "evidence":
        ident = iris.local_id(str(iri), "factor")
        if ident is not None and str(iris.factor(ident)) == str(iri):
            # every factor's evidence read at once, once per build (api.services.build)
            rows = await by_factor(request, "api/ld-evidence", ident)
        else:
            rows = await select(request, "api/ld-evidence", factor=iri)
        if not rows:
            if iris.local_id(str(iri), "factor") is None:
                raise Problem(
                    404,
                    "Not found",
                    f"<{iri}> is not a factor: it has no evidence view",
                    kind="not-found",
                )
            raise await unknown_resource(request, str(iri))
        return send(request, evidence_page(request, iri, rows), media, tag)
    if media == HTML:
        graph, labels = await asyncio.gather(
            construct(request, "api/ld-describe", resource=iri),
            select(request, "api/ld-labels", resource=iri),
        )
    else:
        graph, labels = await construct(request, "api/ld-describe", resource=iri), []
    if not graph:  # the IRIs the VoID description mints are not in the store
        graph = void_description(request, iri)
        labels = label_rows(graph)
    if not graph:
        raise await unknown_resource(request, str(iri))
    if media == HTML:
        body = resource_page(request, iri, graph, best_labels(labels))
    else:
        body = serialize(graph, media, public_url(request, CONTEXT_PATH))
    return send(request, body, media, tag)


_FORMAT_DESCRIPTION = (
    "Overrides the Accept header: html, ttl, jsonld, nt, rdfxml (or a media type)."
)
_DESCRIBE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The resource, in the negotiated format (Vary: Accept, ETag)",
        "content": {
            HTML: {"example": '<!DOCTYPE html><html lang="en">…<h1>Psychic distance</h1>…'},
            TURTLE: {"example": RESOURCE_EXAMPLE_TURTLE},
            JSONLD: {
                "example": {
                    "@context": "http://127.0.0.1:8000/context.jsonld",
                    "@id": "factor:psychic-distance",
                    "@type": ["rsme:Factor", "skos:Concept"],
                    "skos:prefLabel": [
                        {"@language": "en", "@value": "Psychic distance"},
                        {"@language": "fa", "@value": "فاصله روانی"},
                    ],
                    "skos:broader": {"@id": "category:market-environment"},
                }
            },
            NTRIPLES: {
                "example": "<https://w3id.org/rsme-kg/id/factor/psychic-distance> "
                '<http://www.w3.org/2004/02/skos/core#prefLabel> "Psychic distance"@en .\n'
            },
            RDFXML: {},
        },
    },
    304: {"description": "Not modified: If-None-Match names the current ETag"},
    **not_found_response(
        "No triples about this IRI",
        "factor",
        "psychic-distanse",
        "psychic-distance",
        "/id/factor/psychic-distanse",
    ),
    406: {
        "description": "No offered format is acceptable",
        "content": {
            PROBLEM_TYPE: {
                "example": {
                    "type": "https://w3id.org/rsme-kg/problems/not-acceptable",
                    "title": "Not acceptable",
                    "status": 406,
                    "detail": "this resource is available as text/html (format=html), …",
                    "acceptable": list(RESOURCE_MEDIA),
                }
            }
        },
    },
}


@cacheable
@router.get(
    "/id/{path:path}",
    summary="Dereference an IRI https://w3id.org/rsme-kg/id/… (HTML, Turtle, JSON-LD, N-Triples)",
    response_class=Response,
    responses=_DESCRIBE_RESPONSES,
)
async def resource(
    request: Request,
    path: str,
    view: Annotated[
        TypingLiteral["evidence"] | None,
        Query(description="evidence: a factor's codes with their studies and quotes (HTML)"),
    ] = None,
    format: Annotated[str | None, format_query(RESOURCE_MEDIA, _FORMAT_DESCRIPTION)] = None,
) -> Response:
    """Its triples and the triples that point to it; for a factor, a link to its evidence."""
    return await describe(request, URIRef(str(ID) + path), view)


@cacheable
@router.get(
    "/graph/{name}",
    summary="Dereference a named graph IRI https://w3id.org/rsme-kg/graph/…",
    response_class=Response,
    responses=_DESCRIBE_RESPONSES,
)
async def named_graph(
    request: Request,
    name: str,
    format: Annotated[str | None, format_query(RESOURCE_MEDIA, _FORMAT_DESCRIPTION)] = None,
) -> Response:
    """The provenance of one of the named graphs (the build that generated it)."""
    return await describe(request, URIRef(str(GRAPH) + name), None)


# linked-data clients check IRIs with HEAD; the same answer without a body (not in the schema)
router.add_api_route("/id/{path:path}", resource, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/graph/{name}", named_graph, methods=["HEAD"], include_in_schema=False)
