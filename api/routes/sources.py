"""The hand-edited sources: the ontology (/ontology) and the SHACL shapes (/shapes).

Both are read from the checkout (kg.paths) once and served with content negotiation: Turtle,
JSON-LD, RDF/XML, N-Triples, and an HTML page whose anchors are the local names, so that
https://w3id.org/rsme-kg/ontology#Study resolves to /ontology#Study and
https://w3id.org/rsme-kg/shapes#StudyShape to /shapes#StudyShape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api import pages, warmup
from api.fastcache import cacheable
from api.linkeddata import (
    CONTEXT_PATH,
    Format,
    Phrase,
    Row,
    Value,
    curie,
    formats_of,
    literal,
    local_href,
    serialize,
)
from api.problems import PROBLEM_TYPE, Problem
from api.responses import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    VARIANTS,
    content_tag,
    format_query,
    linked_data,
    negotiate,
    send,
)
from api.services.releases import ONTOLOGY, list_releases, read_release, releases_root, served_file
from api.urls import base_path, outside_href, public_url
from kg import paths
from kg.namespaces import BASE, RSME, SH, SHAPES, bind_prefixes

router = APIRouter(tags=["sources"])

MEDIA: tuple[str, ...] = (HTML, TURTLE, JSONLD, RDFXML, NTRIPLES)
ONTOLOGY_IRI = URIRef(BASE + "ontology")
SHAPES_BASE = BASE + "shapes/"
DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)
# shown in the heading and the first paragraph, not again in the table
SHOWN_ABOVE = frozenset({RDF.type, RDFS.label, SKOS.definition, SH.name})
_CARDINALITIES = (
    (OWL.qualifiedCardinality, "exactly"),
    (OWL.minQualifiedCardinality, "min"),
    (OWL.maxQualifiedCardinality, "max"),
    (OWL.cardinality, "exactly"),
    (OWL.minCardinality, "min"),
    (OWL.maxCardinality, "max"),
)
_FACETS = {
    XSD.minInclusive: "≥",
    XSD.maxInclusive: "≤",
    XSD.minExclusive: ">",
    XSD.maxExclusive: "<",
    XSD.pattern: "pattern",
    XSD.minLength: "minLength",
    XSD.maxLength: "maxLength",
}
_PATH_SUFFIX = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


@dataclass(frozen=True)
class Source:
    """One served source: its graph, its Turtle text, and what its HTML page shows."""

    name: str
    graph: Graph
    turtle: bytes
    page: Callable[[Graph, str, list[Format]], dict[str, Any]]  # the template's context


# ------------------------------------------------------------------------------ reading


@cache
def ontology() -> Source:
    """ontology/rsme.ttl as is (its Turtle is served byte for byte)."""
    turtle = paths.ONTOLOGY_FILE.read_bytes()
    graph = Graph().parse(data=turtle.decode("utf-8"), format="turtle")
    return Source("ontology", graph, turtle, ontology_page)


@cache
def shapes() -> Source:
    """shapes/*.ttl merged into one graph."""
    graph = Graph()
    for path in _shape_files():
        graph.parse(path, format="turtle")
    bind_prefixes(graph)
    return Source("shapes", graph, graph.serialize(format="turtle", encoding="utf-8"), shapes_page)


def _shape_files() -> list[Path]:
    return sorted(paths.SHAPES_DIR.glob("*.ttl"))


def _formats(prefix: str, name: str) -> list[Format]:
    return formats_of(
        f"{prefix}/{name}",
        (("Turtle", TURTLE), ("JSON-LD", JSONLD), ("RDF/XML", RDFXML), ("N-Triples", NTRIPLES)),
    )


@cache
def _documents(name: str, context_url: str) -> dict[str, bytes]:
    """The RDF representations of a source, serialized once per public base."""
    source = ontology() if name == "ontology" else shapes()
    documents = {TURTLE: source.turtle}
    for media in (JSONLD, RDFXML, NTRIPLES):
        documents[media] = serialize(source.graph, media, context_url)
    return documents


@cache
def _page(name: str, prefix: str) -> tuple[bytes, str]:
    """The HTML page of a source and its ETag, drawn once per public base (the sources and
    templates do not change while the server runs; drawing takes some 20 ms)."""
    source = ontology() if name == "ontology" else shapes()
    context = source.page(source.graph, prefix, _formats(prefix, name))
    body = pages.render_for(prefix + "/", f"{name}.html", **context)
    return body, content_tag(body, VARIANTS[HTML])


def prepare(request: Request) -> None:
    """Read, serialize and draw the ontology and the shapes for this server's base, as their
    first requests would."""
    for name in ("ontology", "shapes"):
        _documents(name, public_url(request, CONTEXT_PATH))
        _page(name, base_path(request))


@warmup.step("ontology and shapes")
async def _warm(request: Request) -> None:
    await asyncio.to_thread(prepare, request)


def _answer(request: Request, source: Source) -> Response:
    media = negotiate(request, linked_data(MEDIA, f"the {source.name}"))
    if media == HTML:
        body, tag = _page(source.name, base_path(request))
        return send(request, body, media, tag)
    body = _documents(source.name, public_url(request, CONTEXT_PATH))[media]
    return send(request, body, media, content_tag(body, VARIANTS[media]))


# ------------------------------------------------------------------------------ rendering


def _joined(separator: str, phrases: Iterable[Phrase]) -> Phrase:
    """Phrases in a row with a separator between them."""
    joined: list[Value | str] = []
    for phrase in phrases:
        if joined:
            joined.append(separator)
        joined.extend(phrase)
    return tuple(joined)


def _key(phrase: Phrase) -> str:
    """A phrase's sort key: its links' targets and its text, as they read."""
    return "".join(
        part if isinstance(part, str) else (part.href or "") + part.text for part in phrase
    )


def _message(graph: Graph, node: Node) -> tuple[Value, ...]:
    """The sh:message literals of a node, each with its language."""
    return tuple(literal(m) for m in graph.objects(node, SH.message) if isinstance(m, Literal))


@dataclass(frozen=True)
class Term:
    """A term's section of a source page, anchored at its local name."""

    anchor: str
    curie: str
    label: Value | None  # shown after the name when it says something else
    types: tuple[Phrase, ...]
    definition: Value | None
    rows: list[Row]  # its other properties
    shape: NodeShape | None = None  # on the shapes page: what a node shape checks


@dataclass(frozen=True)
class ShapeRow:
    """A property shape (or another constraint) in a table of a node shape."""

    anchor: str | None  # its id on the page, if no other element has it
    name: Phrase
    path: Phrase
    constraints: tuple[Phrase, ...]
    message: tuple[Value, ...]


@dataclass(frozen=True)
class Constraint:
    """A SPARQL constraint, with its query."""

    anchor: str | None
    name: Phrase
    label: Value | None
    message: tuple[Value, ...]
    query: str


@dataclass(frozen=True)
class NodeShape:
    """What a node shape checks: its targets, message, property shapes and SPARQL constraints."""

    targets: tuple[Phrase, ...]
    message: tuple[Value, ...]
    properties: list[ShapeRow]
    sparql: list[Constraint]


class _Terms:
    """Names and links for the terms of a source graph, on the page at `page`."""

    def __init__(self, graph: Graph, prefix: str, namespace: str, page: str) -> None:
        self.graph = graph
        self.prefix = prefix
        self.namespace = namespace
        self.page = page

    def local(self, node: Node) -> str | None:
        text = str(node)
        if isinstance(node, URIRef) and text.startswith(self.namespace):
            return text[len(self.namespace) :]
        return None

    def link(self, node: Node) -> Phrase:
        """A term as a link (on this page, elsewhere on this server, or outside), a literal
        with its language, or an expression."""
        if isinstance(node, Literal):
            return (literal(node),)
        if isinstance(node, BNode):
            return self.expression(node)
        iri = str(node)
        local = self.local(node)
        if local is not None:
            return (Value(local, href=f"{self.page}#{local}"),)
        href = local_href(iri, self.prefix)
        # an outside IRI of another scheme than http(s), mailto, urn is shown as text
        return (Value(curie(iri), href=href or outside_href(iri), external=href is None),)

    def links(self, nodes: Iterable[Node], separator: str) -> Phrase:
        return _joined(separator, (self.link(n) for n in nodes))

    def expression(self, node: BNode) -> Phrase:
        """An anonymous OWL or SHACL expression in a compact, readable form."""
        graph = self.graph
        if (node, RDF.first, None) in graph:
            return ("(", *self.links(Collection(graph, node), " "), ")")
        on = graph.value(node, OWL.onProperty)
        if on is not None:
            return self._restriction(node, on)
        for predicate, word in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
            members = graph.value(node, predicate)
            if members is not None:
                return ("(", *self.links(Collection(graph, members), word), ")")
        members = graph.value(node, OWL.oneOf)
        if members is not None:
            return ("{", *self.links(Collection(graph, members), ", "), "}")
        datatype = graph.value(node, OWL.onDatatype)
        if datatype is not None:
            facets = graph.value(node, OWL.withRestrictions)
            shown = []
            for facet in Collection(graph, facets) if facets is not None else []:
                for key, value in graph.predicate_objects(facet):
                    shown.append(f"{_FACETS.get(URIRef(str(key)), curie(str(key)))} {value}")
            return (*self.link(datatype), "[" + ", ".join(shown) + "]")
        for predicate, suffix in _PATH_SUFFIX.items():
            inner = graph.value(node, predicate)
            if inner is not None:
                return (*self.link(inner), suffix)
        inverse = graph.value(node, SH.inversePath)
        if inverse is not None:
            return ("^", *self.link(inverse))
        alternatives = graph.value(node, SH.alternativePath)
        if alternatives is not None:
            return self.links(Collection(graph, alternatives), " | ")
        pairs = [(*self.link(p), " ", *self.link(o)) for p, o in graph.predicate_objects(node)]
        return ("[", *_joined("; ", sorted(pairs, key=_key)), "]")

    def _restriction(self, node: BNode, on: Node) -> Phrase:
        graph = self.graph
        prop = self.link(on)
        for predicate, word in (
            (OWL.someValuesFrom, "some"),
            (OWL.allValuesFrom, "only"),
            (OWL.hasValue, "value"),
        ):
            value = graph.value(node, predicate)
            if value is not None:
                return (*prop, f" {word} ", *self.link(value))
        for predicate, word in _CARDINALITIES:
            count = graph.value(node, predicate)
            if count is not None:
                filler = graph.value(node, OWL.onClass) or graph.value(node, OWL.onDataRange)
                shown = (" ", *self.link(filler)) if filler is not None else ()
                return (*prop, f" {word} {count}", *shown)
        return prop

    def _best(self, node: Node, predicate: URIRef) -> Value | None:
        """The English (or untagged) literal of a property, else the first by text."""
        texts = sorted(
            (v for v in self.graph.objects(node, predicate) if isinstance(v, Literal)),
            key=lambda v: (v.language not in ("en", None), str(v)),
        )
        return literal(texts[0]) if texts else None

    def label(self, node: Node) -> Value | None:
        return self._best(node, RDFS.label)

    def definition(self, node: Node) -> tuple[URIRef, Value] | None:
        """The definition of a term (skos:definition, else rdfs:comment), and its property."""
        for predicate in DEFINITIONS:
            text = self._best(node, predicate)
            if text is not None:
                return predicate, text
        return None

    def table(self, node: Node, skip: Iterable[URIRef] = ()) -> list[Row]:
        """Every other property of a term, as rows of a two-column table."""
        hidden = SHOWN_ABOVE | set(skip)
        rows: dict[Phrase, list[Phrase]] = {}
        for predicate, value in self.graph.predicate_objects(node):
            if predicate in hidden:
                continue
            rows.setdefault(self.link(predicate), []).append(self.link(value))
        found = []
        for key, values in sorted(rows.items(), key=lambda item: _key(item[0])):
            ordered: tuple[Phrase, ...] = tuple(sorted(values, key=_key))
            found.append(Row(key, ordered))
        return found

    def types(self, node: Node) -> tuple[Phrase, ...]:
        return tuple(self.link(t) for t in sorted(self.graph.objects(node, RDF.type), key=str))

    def term(
        self, node: URIRef, anchor: str, skip: Iterable[URIRef] = (), shape: NodeShape | None = None
    ) -> Term:
        """The section of a term: name, types, definition and its other properties."""
        label = self.label(node)
        hidden = set(skip)
        definition = self.definition(node)
        if definition:
            hidden.add(definition[0])
        return Term(
            anchor=anchor,
            curie=curie(str(node)),
            label=label if label is not None and label.text != anchor else None,
            types=self.types(node),
            definition=definition[1] if definition else None,
            rows=self.table(node, skip=hidden),
            shape=shape,
        )


# ------------------------------------------------------------------------------ ontology

_KINDS = (
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
    ("annotation-properties", "Annotation properties", OWL.AnnotationProperty),
    ("individuals", "Individuals", OWL.NamedIndividual),
)


@dataclass(frozen=True)
class Kind:
    """A kind of term of the ontology (classes, object properties, ...) and its terms."""

    anchor: str
    heading: str
    count: int
    terms: list[Term]


@dataclass(frozen=True)
class OutsideTerm:
    """A term of another vocabulary that the data uses, as the ontology declares it."""

    anchor: str
    link: Phrase
    types: Phrase
    label: Value | None
    note: Value | None


def ontology_page(graph: Graph, prefix: str, formats: list[Format]) -> dict[str, Any]:
    """What the ontology page shows: its header, then its classes, properties, individuals
    and the outside terms it declares (api/templates/ontology.html)."""
    terms = _Terms(graph, prefix, str(RSME), f"{prefix}/ontology")
    title = graph.value(ONTOLOGY_IRI, DCTERMS.title)
    description = graph.value(ONTOLOGY_IRI, DCTERMS.description)
    kinds = []
    shown: set[str] = set()
    for anchor, heading, kind in _KINDS:
        members = sorted(
            (s for s in graph.subjects(RDF.type, kind) if terms.local(s) is not None), key=str
        )
        if not members:
            continue
        sections = []
        for node in members:
            local = terms.local(node)
            assert local is not None
            if local not in shown:  # one anchor per term, even if it has two OWL types
                shown.add(local)
                sections.append(terms.term(URIRef(str(node)), local))
        kinds.append(Kind(anchor, heading, len(members), sections))
    outside = sorted(
        {
            s
            for kind in (*(k for _, _, k in _KINDS), RDF.Property)
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and terms.local(s) is None and s != ONTOLOGY_IRI
        },
        key=lambda s: curie(str(s)),
    )
    return {
        "title": literal(title) if isinstance(title, Literal) else Value("rsme-kg ontology"),
        "iri": str(ONTOLOGY_IRI),
        "formats": formats,
        "description": literal(description) if isinstance(description, Literal) else None,
        "rows": terms.table(ONTOLOGY_IRI, skip=(DCTERMS.title, DCTERMS.description)),
        "kinds": kinds,
        "outside": [
            OutsideTerm(
                anchor=curie(str(s)),
                link=terms.link(s),
                types=_joined(", ", terms.types(s)),
                label=terms.label(s),
                note=(terms.definition(s) or (None, None))[1],
            )
            for s in outside
        ],
    }


# ------------------------------------------------------------------------------ shapes


def _anchor(terms: _Terms, node: Node, emitted: set[str]) -> str | None:
    """The id of a constraint's row: its local name, unless an element has it already."""
    local = terms.local(node)
    if local is None or local in emitted:
        return None
    emitted.add(local)
    return local


def _shape_rows(terms: _Terms, shapes_of: Iterable[Node], emitted: set[str]) -> list[ShapeRow]:
    graph = terms.graph
    rows = []
    for shape in sorted(shapes_of, key=str):
        anchor = _anchor(terms, shape, emitted)
        path = graph.value(shape, SH.path)
        constraints = [
            (*terms.link(p), " ", *terms.link(o))
            for p, o in graph.predicate_objects(shape)
            if p not in (SH.path, SH.message, RDF.type, RDFS.label, RDFS.comment, SH.name)
        ]
        rows.append(
            ShapeRow(
                anchor=anchor,
                name=terms.link(shape) if isinstance(shape, URIRef) else ("(anonymous)",),
                path=terms.link(path) if path is not None else (),
                constraints=tuple(sorted(constraints, key=_key)),
                message=_message(graph, shape),
            )
        )
    return rows


def _constraints(terms: _Terms, nodes: Iterable[Node], emitted: set[str]) -> list[Constraint]:
    graph = terms.graph
    return [
        Constraint(
            anchor=_anchor(terms, node, emitted),
            name=terms.link(node),
            label=terms.label(node),
            message=_message(graph, node),
            query=str(graph.value(node, SH.select) or ""),
        )
        for node in nodes
    ]


_NOT_IN_SHAPE_TABLE = frozenset(
    {
        SH.targetClass,
        SH.targetNode,
        SH.targetSubjectsOf,
        SH.targetObjectsOf,
        SH.message,
        SH.property,
        SH.sparql,
        RDFS.comment,
    }
)


def _node_shape(terms: _Terms, shape: URIRef, emitted: set[str]) -> Term:
    graph = terms.graph
    local = terms.local(shape) or curie(str(shape))
    emitted.add(local)
    targets = tuple(
        (*terms.link(p), " ", *terms.link(o))
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        for o in graph.objects(shape, p)
    )
    checks = NodeShape(
        targets=targets,
        message=_message(graph, shape),
        properties=_shape_rows(terms, graph.objects(shape, SH.property), emitted),
        sparql=_constraints(terms, sorted(graph.objects(shape, SH.sparql), key=str), emitted),
    )
    return terms.term(shape, local, skip=_NOT_IN_SHAPE_TABLE, shape=checks)


@dataclass(frozen=True)
class ShapesFile:
    """One file of shapes/: its section of the shapes page."""

    anchor: str
    title: Value
    name: str  # the file's name
    file: str  # its path in the checkout
    node_shapes: list[Term]
    loose: list[ShapeRow]  # property shapes that no node shape uses


def shapes_page(graph: Graph, prefix: str, formats: list[Format]) -> dict[str, Any]:
    """What the shapes page shows: per source file, each node shape with its targets, paths,
    messages (api/templates/shapes.html)."""
    terms = _Terms(graph, prefix, str(SHAPES), f"{prefix}/shapes")
    emitted: set[str] = set()
    files = []
    for path in _shape_files():
        own = Graph().parse(path, format="turtle")
        headers = [
            s for s in own.subjects(RDF.type, OWL.Ontology) if str(s).startswith(SHAPES_BASE)
        ]
        anchor = str(headers[0])[len(SHAPES_BASE) :] if headers else path.stem
        title = terms.label(headers[0]) if headers else None
        node_shapes = sorted(
            (s for s in own.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)), key=str
        )
        sections = [_node_shape(terms, s, emitted) for s in node_shapes]
        # property shapes no node shape uses still get an anchor
        loose = [
            s
            for s in own.subjects(RDF.type, SH.PropertyShape)
            if (terms.local(s) or "") not in emitted
        ]
        files.append(
            ShapesFile(
                anchor=anchor,
                title=title or Value(path.name),
                name=path.name,
                file=f"shapes/{path.name}",
                node_shapes=sections,
                loose=_shape_rows(terms, loose, emitted) if loose else [],
            )
        )
    # constraints used by property shapes: every rsmesh: IRI gets its anchor
    others = sorted(
        {s for s in graph.subjects() if (terms.local(s) or "") not in emitted and terms.local(s)},
        key=str,
    )
    return {
        "iri": str(SHAPES),
        "formats": formats,
        "files": files,
        "others": _constraints(terms, others, emitted),
    }


# ------------------------------------------------------------------------------ routes

_FORMAT = Annotated[
    str | None,
    format_query(MEDIA, "Overrides the Accept header: html, ttl, jsonld, rdfxml, nt."),
]


def _responses(example_turtle: str, html_example: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The source in the negotiated format (Vary: Accept, ETag)",
            "content": {
                HTML: {"example": html_example},
                TURTLE: {"example": example_turtle},
                JSONLD: {},
                RDFXML: {},
                NTRIPLES: {},
            },
        },
        304: {"description": "Not modified: If-None-Match names the current ETag"},
        406: {
            "description": "No offered format is acceptable",
            "content": {
                PROBLEM_TYPE: {
                    "example": {
                        "type": "https://w3id.org/rsme-kg/problems/not-acceptable",
                        "title": "Not acceptable",
                        "status": 406,
                        "detail": "the ontology is available as text/html (format=html), …",
                        "acceptable": list(MEDIA),
                    }
                }
            },
        },
    }


@cacheable
@router.get(
    "/ontology",
    summary="The OWL ontology (ontology/rsme.ttl): HTML, Turtle, JSON-LD, RDF/XML, N-Triples",
    response_class=Response,
    responses=_responses(
        "rsme:Study\n    a owl:Class ;\n    rdfs:subClassOf prov:Entity ;\n"
        '    rdfs:label "study"@en .\n',
        '<section id="Study" class="term"><h3>Study <code>rsme:Study</code></h3>…',
    ),
)
async def ontology_document(request: Request, format: _FORMAT = None) -> Response:
    """The ontology; its terms https://w3id.org/rsme-kg/ontology#Term are anchors #Term here."""
    return _answer(request, ontology())


@cacheable  # a release never changes; a 404 (a release still to come) is not kept
@router.get(
    "/ontology/{version}",
    summary="A version IRI of the ontology (https://w3id.org/rsme-kg/ontology/1.0.0): the "
    "version served, or that of a release",
    response_class=Response,
    responses={
        200: {
            "description": "The ontology of the release `version` (releases/VERSION/ontology.ttl)"
            " in the negotiated format (Vary: Accept, ETag)",
            "content": {TURTLE: {}, JSONLD: {}, RDFXML: {}, NTRIPLES: {}},
        },
        303: {
            "description": "See /ontology for the version served, or the release's page "
            "(/releases/{version}) for a browser"
        },
        304: {"description": "Not modified: If-None-Match names the current ETag"},
        404: {
            "description": "Neither the version served nor a release; `suggestions` lists them",
            "content": {
                PROBLEM_TYPE: {
                    "example": {
                        "type": "https://w3id.org/rsme-kg/problems/not-found",
                        "title": "Not found",
                        "status": 404,
                        "detail": "version '0.0.1' of the ontology is neither served nor "
                        "released here; known: 0.1.0, 1.0.0",
                        "suggestions": ["0.1.0", "1.0.0"],
                    }
                }
            },
        },
        406: {
            "description": "No offered format is acceptable",
            "content": {PROBLEM_TYPE: {}},
        },
    },
)
async def ontology_version(
    request: Request,
    version: Annotated[
        str, PathParam(description="A version: the one served, or a release's.", examples=["1.0.0"])
    ],
    format: _FORMAT = None,
) -> Response:
    """The version served is at /ontology; a released version is answered from its release's
    ontology.ttl (Turtle as written, or converted); a browser is sent to the release's page."""
    graph = ontology().graph
    current = [str(v) for v in graph.objects(ONTOLOGY_IRI, OWL.versionInfo)]
    if version in current:
        return RedirectResponse(
            f"{base_path(request)}/ontology", status_code=303, headers={"Vary": "Accept"}
        )
    root = releases_root(request)
    release = await asyncio.to_thread(read_release, root, version)
    served = await asyncio.to_thread(served_file, release, ONTOLOGY) if release else None
    if served is None:
        released = [r.version for r in await asyncio.to_thread(list_releases, root)]
        known = [*current, *(v for v in released if v not in current)]
        raise Problem(
            404,
            "Not found",
            f"version {version!r} of the ontology is neither served nor released here; "
            f"known: {', '.join(known)}",
            kind="not-found",
            suggestions=known,
        )
    media = negotiate(request, linked_data(MEDIA, f"version {version} of the ontology"))
    if media == HTML:
        return RedirectResponse(
            f"{base_path(request)}/releases/{version}", status_code=303, headers={"Vary": "Accept"}
        )
    key = (str(served.path), served.stat.st_mtime_ns, served.stat.st_size)
    body = await asyncio.to_thread(
        _released_document, key, media, public_url(request, CONTEXT_PATH)
    )
    return send(request, body, media, content_tag(body, VARIANTS[media]))


@lru_cache(maxsize=32)
def _released_document(key: tuple[str, int, int], media: str, context_url: str) -> bytes:
    """A release's ontology in one RDF format (kept per file: a release never changes)."""
    turtle = _released_turtle(key)
    if media == TURTLE:
        return turtle
    graph = Graph().parse(data=turtle.decode("utf-8"), format="turtle")
    return serialize(graph, media, context_url)


@lru_cache(maxsize=8)
def _released_turtle(key: tuple[str, int, int]) -> bytes:
    return Path(key[0]).read_bytes()


@cacheable
@router.get(
    "/shapes",
    summary="The SHACL shapes (shapes/*.ttl merged): HTML, Turtle, JSON-LD, RDF/XML, N-Triples",
    response_class=Response,
    responses=_responses(
        "rsmesh:StudyShape a sh:NodeShape ;\n    sh:targetClass rsme:Study ;\n"
        '    sh:message "A study must satisfy all rsmesh:Study* property shapes." .\n',
        '<section id="StudyShape" class="term"><h3>StudyShape <code>rsmesh:StudyShape</code>…',
    ),
)
async def shapes_document(request: Request, format: _FORMAT = None) -> Response:
    """The shapes; https://w3id.org/rsme-kg/shapes#StudyShape is the anchor #StudyShape here."""
    return _answer(request, shapes())


@cacheable
@router.get(
    "/shapes/{name}",
    summary="The IRI of one shapes file (https://w3id.org/rsme-kg/shapes/study)",
    response_class=Response,
    status_code=303,
    responses={
        303: {"description": "See its section of /shapes"},
        404: {"description": "No such shapes file", "content": {PROBLEM_TYPE: {}}},
    },
)
async def shapes_file(request: Request, name: str) -> Response:
    """A shapes file's IRI leads to its section of the shapes page."""
    known = [
        str(s)[len(SHAPES_BASE) :]
        for s in shapes().graph.subjects(RDF.type, OWL.Ontology)
        if str(s).startswith(SHAPES_BASE)
    ]
    if name not in known:
        raise Problem(
            404,
            "Not found",
            f"no shapes file {name!r}; known: {', '.join(sorted(known))}",
            kind="not-found",
            suggestions=sorted(known),
        )
    return RedirectResponse(
        f"{base_path(request)}/shapes#{name}", status_code=303, headers={"Vary": "Accept"}
    )


# HEAD answers like GET without a body (linked-data clients check IRIs with it)
router.add_api_route("/ontology", ontology_document, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/shapes", shapes_document, methods=["HEAD"], include_in_schema=False)
router.add_api_route(
    "/ontology/{version}", ontology_version, methods=["HEAD"], include_in_schema=False
)
