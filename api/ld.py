"""Linked data: every IRI under https://w3id.org/rsme-kg/ resolves on this server.

The w3id base is the canonical IRI space; the `public_base` setting says where this server
answers, and the mapping between the two is a change of base: https://w3id.org/rsme-kg/id/x is
served at {public_base}/id/x, https://w3id.org/rsme-kg/graph/x at {public_base}/graph/x and an
ontology term https://w3id.org/rsme-kg/ontology#Study at {public_base}/ontology#Study.

A resource is described by a CONSTRUCT named query (its triples, its rdf:List values and the
triples that point to it), served as HTML, Turtle, JSON-LD, N-Triples or RDF/XML. The helpers
for negotiation and conditional requests are shared with the source and mapping routes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any
from typing import Literal as TypingLiteral
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api import html
from api.conneg import MediaRange, choose, parse_accept
from api.named import select, term
from api.problems import PROBLEM_TYPE, Problem, not_found
from api.sparql import answer_job
from api.worker import Job
from kg import iris, queries
from kg.namespaces import BASE, GRAPH, ID, PREFIXES, RSME, bind_prefixes

router = APIRouter(tags=["linked data"])

HTML = "text/html"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
JSON = "application/json"
TSV = "text/tab-separated-values"
# media type -> rdflib serializer
RDF_SERIALIZERS: dict[str, str] = {
    TURTLE: "turtle",
    JSONLD: "json-ld",
    NTRIPLES: "nt",
    RDFXML: "xml",
}
RESOURCE_OFFERS: tuple[str, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
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
TEXT_TYPES = frozenset({HTML, TURTLE, NTRIPLES, TSV})
# characters that cannot occur in an IRI: a path holding one names nothing here
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
CONTEXT_PATH = "/context.jsonld"

# labels, best first; a code has no label, so its quote stands for it
LABEL_PROPERTIES: tuple[str, ...] = (
    str(SKOS.prefLabel),
    str(RDFS.label),
    str(DCTERMS.title),
    str(FOAF.name),
    str(RSME.quote),
)
# properties shown first on a page, in this order; the others follow by label
FIRST_PROPERTIES: tuple[URIRef, ...] = (
    SKOS.prefLabel,
    RDFS.label,
    DCTERMS.title,
    FOAF.name,
    SKOS.altLabel,
    SKOS.definition,
    RSME.quote,
)

RESOURCE_EXAMPLE_TURTLE = """@prefix category: <https://w3id.org/rsme-kg/id/category/> .
@prefix factor: <https://w3id.org/rsme-kg/id/factor/> .
@prefix rsme: <https://w3id.org/rsme-kg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

factor:psychic-distance a rsme:Factor, skos:Concept ;
    rsme:evidencedBy <https://w3id.org/rsme-kg/id/code/assadinia-2019-3> ;
    skos:broader category:market-environment ;
    skos:prefLabel "Psychic distance"@en, "فاصله روانی"@fa .
"""


# ---------------------------------------------------------------------------- IRIs and links


def base_path(request: Request) -> str:
    """The path at which this server answers (that of public_base), without a trailing slash."""
    public: str = request.app.state.settings.public_base
    return urlsplit(public).path.rstrip("/")


def public_url(request: Request, path: str) -> str:
    """An absolute URL on this server, from the public_base setting."""
    public: str = request.app.state.settings.public_base
    return public.rstrip("/") + path


def local_href(iri: str, prefix: str) -> str | None:
    """Where an IRI of the w3id space is served here (None for an outside IRI).

    >>> local_href("https://w3id.org/rsme-kg/id/factor/x", "")
    '/id/factor/x'
    >>> local_href("https://w3id.org/rsme-kg/ontology#Study", "/kg")
    '/kg/ontology#Study'
    >>> local_href("http://www.wikidata.org/entity/Q165687", "") is None
    True
    """
    if not iri.startswith(BASE):
        return None
    return f"{prefix}/{iri[len(BASE) :]}"


def curie(iri: str) -> str:
    """An IRI as prefix:local with the project's prefixes, or the IRI itself.

    >>> curie("http://www.w3.org/2004/02/skos/core#prefLabel")
    'skos:prefLabel'
    """
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    if not best:
        return iri
    return f"{best}:{iri[len(PREFIXES[best]) :]}"


# ------------------------------------------------------------- negotiation, ETags, responses


def _equivalent(media_range: MediaRange, offers: Sequence[str]) -> MediaRange:
    full = f"{media_range.type}/{media_range.subtype}"
    for candidate in EQUIVALENTS.get(full, ()):
        if candidate in offers:
            main, _, sub = candidate.partition("/")
            return MediaRange(main, sub, media_range.q)
    return media_range


def negotiate(request: Request, offers: Sequence[str], what: str) -> str:
    """The media type to answer with: ?format= if given, else the Accept header (q-values)."""
    wanted = request.query_params.get("format")
    if wanted:
        lowered = wanted.strip().lower()
        media = FORMAT_NAMES.get(lowered, lowered)
        for candidate in (media, *EQUIVALENTS.get(media, ())):
            if candidate in offers:
                return candidate
    else:
        ranges = [_equivalent(r, offers) for r in parse_accept(request.headers.get("accept"))]
        chosen = choose(ranges, offers)
        if chosen is not None:
            return chosen
    names = ", ".join(f"{m} (format={VARIANTS[m]})" for m in offers)
    raise Problem(
        406,
        "Not acceptable",
        f"{what} is available as {names}",
        kind="not-acceptable",
        acceptable=list(offers),
        headers={"Vary": "Accept"},
    )


def content_type(media: str) -> str:
    """The Content-Type header for a media type (text types in UTF-8)."""
    return f"{media}; charset=utf-8" if media in TEXT_TYPES else media


def content_tag(body: bytes, variant: str) -> str:
    """A strong ETag from the bytes themselves (for documents that do not come from a build)."""
    return f'"{hashlib.sha256(body).hexdigest()[:24]}-{variant}"'


async def build_id(request: Request) -> str | None:
    """The id of the build being served: from build.json, or asked of a remote store."""
    manifest: dict[str, Any] = request.app.state.manifest or {}
    if manifest.get("build_id"):
        return str(manifest["build_id"])
    # a remote store may be republished under us: ask it each time (one small query)
    rows = await select(request, "api/ld-build")
    return str(rows[0]["id"]) if rows else None


async def build_tag(request: Request, variant: str) -> str | None:
    """The ETag of a representation derived from the graph: the build id plus the variant."""
    build = await build_id(request)
    return f'"{build}-{variant}"' if build else None


def fresh(request: Request, tag: str | None) -> bool:
    """Whether the client's If-None-Match already names this ETag (weak comparison)."""
    header = request.headers.get("if-none-match")
    if not header or tag is None:
        return False
    if header.strip() == "*":
        return True
    return tag in (t.strip().removeprefix("W/") for t in header.split(","))


def not_modified(tag: str) -> Response:
    """304: the client's copy is current."""
    return Response(status_code=304, headers={"ETag": tag, "Vary": "Accept"})


def send(
    request: Request,
    body: bytes,
    media: str,
    tag: str | None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 with ETag and Vary, or a 304 when the client already holds this ETag."""
    if tag is not None and fresh(request, tag):
        return not_modified(tag)
    extra = {"Vary": "Accept", **(headers or {})}
    if tag is not None:
        extra["ETag"] = tag
    return Response(body, media_type=content_type(media), headers=extra)


# --------------------------------------------------------------------------- JSON-LD context


@cache
def context_document() -> dict[str, Any]:
    """The JSON-LD context of every JSON-LD answer: the project's prefixes."""
    return {"@context": dict(PREFIXES)}


@cache
def _context_body() -> bytes:
    return json.dumps(context_document(), indent=2).encode("utf-8")


def serialize(graph: Graph, media: str, context_url: str) -> bytes:
    """A graph in an RDF format; JSON-LD is compacted with, and refers to, the served context."""
    bind_prefixes(graph)
    if media == JSONLD:
        compact = graph.serialize(
            format="json-ld", context=context_document()["@context"], auto_compact=True
        )
        document = json.loads(compact)
        document["@context"] = context_url
        return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return graph.serialize(format=RDF_SERIALIZERS[media], encoding="utf-8")


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
    body = _context_body()
    return send(request, body, JSONLD, content_tag(body, "jsonld"))


# ------------------------------------------------------------------------- describing an IRI


async def construct(request: Request, name: str, **bindings: URIRef) -> Graph:
    """The triples of a named CONSTRUCT query, on whichever backend serves."""
    job = Job(
        queries.load(name),
        NTRIPLES,
        None,
        max_rows=100_000,
        bindings=tuple((k, term(v)) for k, v in sorted(bindings.items())),
    )
    answer = await answer_job(request, job)
    if answer.status != 200:
        raise Problem(500, "Named query failed", f"{name}: {answer.detail}", kind="query-failed")
    graph = Graph()
    graph.parse(data=answer.body.decode("utf-8"), format="nt")
    return graph


def _void_description(request: Request, iri: URIRef) -> Graph:
    """The VoID description's triples about an IRI it mints (they are not in the store)."""
    documents: dict[str, bytes] | None = request.app.state.void
    if not documents:
        return Graph()
    void = _parsed(documents[TURTLE])
    found = Graph()
    for triple in void.triples((iri, None, None)):
        found.add(triple)
    for triple in void.triples((None, None, iri)):
        found.add(triple)
    return found


@cache
def _parsed(turtle: bytes) -> Graph:
    return Graph().parse(data=turtle.decode("utf-8"), format="turtle")


async def _unknown(request: Request, iri: str) -> Problem:
    """A 404 for an IRI with no triples, suggesting minted IRIs of the same kind."""
    rest = iri[len(str(ID)) :] if iri.startswith(str(ID)) else iri[len(BASE) :]
    kind, _, ident = rest.partition("/")
    if not iri.startswith(str(ID)) or not ident:
        return Problem(404, "Not found", f"nothing is known about <{iri}>", kind="not-found")
    rows = await select(request, "api/ld-resources")
    known = [i for row in rows if (i := iris.local_id(str(row["resource"]), kind)) is not None]
    return not_found(kind, ident, known)


def _labels(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The best label of each node: by property (LABEL_PROPERTIES), then English, untagged."""
    best: dict[str, tuple[tuple[int, int], str]] = {}
    for row in rows:
        value = row["label"]
        text, lang = (value["value"], value["lang"]) if isinstance(value, dict) else (value, "")
        text = str(text)
        if row["property"] == str(RSME.quote):
            text = f"“{text}”"
        rank = (LABEL_PROPERTIES.index(row["property"]), {"en": 0, "": 1}.get(lang, 2))
        node = str(row["node"])
        if node not in best or rank < best[node][0]:
            best[node] = (rank, text)
    return {node: text for node, (_, text) in best.items()}


def _own_label(graph: Graph, iri: URIRef) -> str | None:
    rows = [
        {"node": str(iri), "property": str(p), "label": _literal_value(o)}
        for p in map(URIRef, LABEL_PROPERTIES)
        for o in graph.objects(iri, p)
        if isinstance(o, Literal)
    ]
    return _labels(rows).get(str(iri))


def _literal_value(literal: Literal) -> str | dict[str, str]:
    return {"value": str(literal), "lang": literal.language} if literal.language else str(literal)


class _Renderer:
    """Turns the terms of a description into page values: labels, links here or outside."""

    def __init__(self, graph: Graph, labels: dict[str, str], prefix: str) -> None:
        self.graph = graph
        self.labels = labels
        self.prefix = prefix

    def value(self, node: Node) -> html.Value:
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, Literal):
            note = None
            if node.datatype is not None and node.datatype != XSD.string:
                note = curie(str(node.datatype))
            return html.Value(str(node), lang=node.language, note=note)
        if isinstance(node, BNode) and (node, RDF.first, None) in self.graph:
            members = tuple(self.value(m) for m in Collection(self.graph, node))
            return html.Value("", items=members)
        return html.Value("(blank node)")

    def iri(self, iri: str) -> html.Value:
        href = local_href(iri, self.prefix)
        label = self.labels.get(iri)
        shown = label or curie(iri)
        note = curie(iri) if label and curie(iri) != iri else None
        return html.Value(shown, href=href or iri, external=href is None, note=note)

    def rows(self, pairs: dict[URIRef, list[Node]]) -> list[html.Row]:
        def order(predicate: URIRef) -> tuple[int, str]:
            first = FIRST_PROPERTIES.index(predicate) if predicate in FIRST_PROPERTIES else 99
            return first, self.iri(str(predicate)).text.lower()

        result = []
        for predicate in sorted(pairs, key=order):
            values = sorted(
                (self.value(n) for n in pairs[predicate]),
                key=lambda v: ({"en": 0, None: 1}.get(v.lang, 2), v.text.lower()),
            )
            result.append(html.Row(self.iri(str(predicate)), tuple(values)))
        return result


def resource_page(request: Request, iri: URIRef, graph: Graph, labels: dict[str, str]) -> bytes:
    """The HTML page of a resource: its properties, who refers to it, and its evidence."""
    prefix = base_path(request)
    render = _Renderer(graph, labels, prefix)
    outgoing: dict[URIRef, list[Node]] = {}
    incoming: dict[URIRef, list[Node]] = {}
    for _, p, o in graph.triples((iri, None, None)):
        if p != RDF.type:
            outgoing.setdefault(URIRef(str(p)), []).append(o)
    for s, p, _ in graph.triples((None, None, iri)):
        incoming.setdefault(URIRef(str(p)), []).append(s)
    types = sorted((render.iri(str(t)) for t in graph.objects(iri, RDF.type)), key=lambda v: v.text)
    here = local_href(str(iri), prefix) or ""
    page = html.ResourcePage(
        title=_own_label(graph, iri) or str(iri)[len(BASE) :],
        iri=str(iri),
        types=types,
        rows=render.rows(outgoing),
        referenced_by=render.rows(incoming),
        formats=[
            (name, media, f"{here}?format={VARIANTS[media]}")
            for name, media in (
                ("Turtle", TURTLE),
                ("JSON-LD", JSONLD),
                ("N-Triples", NTRIPLES),
                ("RDF/XML", RDFXML),
            )
        ],
    )
    if (iri, RDF.type, RSME.Factor) in graph:
        codes = set(graph.subjects(RSME.codesFactor, iri))
        page.evidence = (f"{here}?view=evidence", len(codes))
    return html.resource_page(page, home=prefix + "/")


def evidence_page(request: Request, factor: URIRef, rows: Sequence[dict[str, Any]]) -> bytes:
    """The HTML page listing each code of a factor with its study and quote."""
    prefix = base_path(request)
    here = local_href(str(factor), prefix) or ""
    label = rows[0]["factorLabel"]
    name = label["value"] if isinstance(label, dict) else str(label)
    ident = iris.local_id(str(factor), "factor") or ""
    codes = [row for row in rows if row.get("code")]
    table_rows = []
    for row in codes:
        study = str(row["study"])
        doi = row.get("doi")
        study_cell = html.link(local_href(study, prefix) or study, _text(row["title"]))
        if doi:
            study_cell += "<br>" + html.link(f"https://doi.org/{doi}", f"doi:{doi}", external=True)
        table_rows.append(
            [
                html.element("blockquote", html.esc(_text(row["quote"])))
                + html.link(
                    local_href(str(row["code"]), prefix) or "", str(row["code"]).rsplit("/", 1)[-1]
                ),
                study_cell,
                html.esc(row["year"]),
                html.esc(_text(row.get("language"))),
                html.esc(_text(row.get("decision"))),
                html.esc(_text(row.get("direction"))),
                html.esc(_text(row.get("outcome"))),
                html.esc(_text(row.get("basis"))),
                html.esc(_text(row.get("coder"))),
            ]
        )
    studies = len({row["study"] for row in codes})
    noun = "code" if len(codes) == 1 else "codes"
    parts = [
        html.element("h1", html.esc(f"Evidence for {name}")),
        html.element("div", html.esc(str(factor)), class_="iri"),
        html.element(
            "p",
            f"{len(codes)} {noun} from {studies} {'study' if studies == 1 else 'studies'} · "
            + html.link(here, f"the factor {name}")
            + " · "
            + html.link(f"{prefix}/factors/{ident}/evidence", "as JSON"),
        ),
    ]
    if codes:
        parts.append(
            html.grid(
                [
                    "Quote (code)",
                    "Study",
                    "Year",
                    "Language",
                    "Screening",
                    "Direction",
                    "Outcome",
                    "Basis",
                    "Coder",
                ],
                table_rows,
                id="evidence",
            )
        )
    else:
        parts.append(html.element("p", "No study has been coded for this factor yet."))
    return html.document(f"Evidence for {name}", "".join(parts), home=prefix + "/")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value["value"])
    return str(value)


async def describe(request: Request, iri: URIRef, view: str | None) -> Response:
    """The negotiated description of an IRI of the w3id space (or its evidence view)."""
    offers: tuple[str, ...] = (HTML,) if view == "evidence" else RESOURCE_OFFERS
    media = negotiate(request, offers, "this resource" if view is None else "the evidence view")
    variant = VARIANTS[media] + (f"-{view}" if view else "")
    if _NOT_IN_IRI.search(str(iri)):
        raise Problem(404, "Not found", f"{str(iri)!r} is not an IRI", kind="not-found")
    tag = await build_tag(request, variant)
    if fresh(request, tag):  # the graph is the same build: no need to ask the store
        assert tag is not None
        return not_modified(tag)
    if view == "evidence":
        rows = await select(request, "api/ld-evidence", factor=iri)
        if not rows:
            ident = iris.local_id(str(iri), "factor")
            if ident is None:
                raise Problem(
                    404,
                    "Not found",
                    f"<{iri}> is not a factor: it has no evidence view",
                    kind="not-found",
                )
            raise await _unknown(request, str(iri))
        return send(request, evidence_page(request, iri, rows), media, tag)
    if media == HTML:
        graph, label_rows = await asyncio.gather(
            construct(request, "api/ld-describe", resource=iri),
            select(request, "api/ld-labels", resource=iri),
        )
    else:
        graph, label_rows = await construct(request, "api/ld-describe", resource=iri), []
    if not graph:
        graph = _void_description(request, iri)
        label_rows = [
            {"node": str(s), "property": str(p), "label": _literal_value(o)}
            for p in map(URIRef, LABEL_PROPERTIES)
            for s, o in graph.subject_objects(p)
            if isinstance(o, Literal)
        ]
    if not graph:
        raise await _unknown(request, str(iri))
    if media == HTML:
        body = resource_page(request, iri, graph, _labels(label_rows))
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
    404: {
        "description": "No triples about this IRI",
        "content": {
            PROBLEM_TYPE: {
                "example": {
                    "type": "https://w3id.org/rsme-kg/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no factor with id 'psychic-distanse'; "
                    "did you mean psychic-distance?",
                    "instance": "/id/factor/psychic-distanse",
                    "suggestions": ["psychic-distance"],
                }
            }
        },
    },
    406: {
        "description": "No offered format is acceptable",
        "content": {
            PROBLEM_TYPE: {
                "example": {
                    "type": "https://w3id.org/rsme-kg/problems/not-acceptable",
                    "title": "Not acceptable",
                    "status": 406,
                    "detail": "this resource is available as text/html (format=html), …",
                    "acceptable": list(RESOURCE_OFFERS),
                }
            }
        },
    },
}


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
    format: Annotated[str | None, Query(description=_FORMAT_DESCRIPTION)] = None,
) -> Response:
    """Its triples and the triples that point to it; for a factor, a link to its evidence."""
    return await describe(request, URIRef(str(ID) + path), view)


@router.get(
    "/graph/{name}",
    summary="Dereference a named graph IRI https://w3id.org/rsme-kg/graph/…",
    response_class=Response,
    responses=_DESCRIBE_RESPONSES,
)
async def named_graph(
    request: Request,
    name: str,
    format: Annotated[str | None, Query(description=_FORMAT_DESCRIPTION)] = None,
) -> Response:
    """The provenance of one of the four named graphs (the build that generated it)."""
    return await describe(request, URIRef(str(GRAPH) + name), None)


# linked-data clients check IRIs with HEAD; the same answer without a body (not in the schema)
router.add_api_route("/id/{path:path}", resource, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/graph/{name}", named_graph, methods=["HEAD"], include_in_schema=False)
