"""The hand-edited sources: the ontology (/ontology) and the SHACL shapes (/shapes).

Both are read from the checkout (kg.paths) once and served with content negotiation: Turtle,
JSON-LD, RDF/XML, N-Triples, and an HTML page whose anchors are the local names, so that
https://w3id.org/rsme-kg/ontology#Study resolves to /ontology#Study and
https://w3id.org/rsme-kg/shapes#StudyShape to /shapes#StudyShape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api import html
from api.fastcache import cacheable
from api.linkeddata import CONTEXT_PATH, base_path, curie, local_href, public_url, serialize
from api.problems import PROBLEM_TYPE, Problem
from api.responses import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    VARIANTS,
    content_tag,
    linked_data,
    negotiate,
    send,
)
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
    """One served source: its graph, its Turtle text, and how to draw its HTML page."""

    name: str
    graph: Graph
    turtle: bytes
    page: Callable[[Graph, str, list[tuple[str, str, str]]], bytes]


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


@cache
def _documents(name: str, prefix: str, context_url: str) -> dict[str, bytes]:
    """Every representation of a source, rendered once per public base."""
    source = ontology() if name == "ontology" else shapes()
    here = f"{prefix}/{source.name}"
    formats = [
        (name, media, f"{here}?format={VARIANTS[media]}")
        for name, media in (
            ("Turtle", TURTLE),
            ("JSON-LD", JSONLD),
            ("RDF/XML", RDFXML),
            ("N-Triples", NTRIPLES),
        )
    ]
    documents = {HTML: source.page(source.graph, prefix, formats), TURTLE: source.turtle}
    for media in (JSONLD, RDFXML, NTRIPLES):
        documents[media] = serialize(source.graph, media, context_url)
    return documents


def _answer(request: Request, source: Source) -> Response:
    media = negotiate(request, linked_data(MEDIA, f"the {source.name}"))
    prefix = base_path(request)
    body = _documents(source.name, prefix, public_url(request, CONTEXT_PATH))[media]
    return send(request, body, media, content_tag(body, VARIANTS[media]))


# ------------------------------------------------------------------------------ rendering


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

    def link(self, node: Node) -> str:
        """A term as a link: on this page, elsewhere on this server, or outside."""
        if isinstance(node, Literal):
            return html.text(str(node), node.language)
        if isinstance(node, BNode):
            return self.expression(node)
        iri = str(node)
        local = self.local(node)
        if local is not None:
            return html.link(f"{self.page}#{local}", local)
        href = local_href(iri, self.prefix)
        return html.link(href or iri, curie(iri), external=href is None)

    def expression(self, node: BNode) -> str:
        """An anonymous OWL or SHACL expression in a compact, readable form."""
        graph = self.graph
        if (node, RDF.first, None) in graph:
            return "(" + " ".join(self.link(m) for m in Collection(graph, node)) + ")"
        on = graph.value(node, OWL.onProperty)
        if on is not None:
            return self._restriction(node, on)
        for predicate, word in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
            members = graph.value(node, predicate)
            if members is not None:
                return "(" + word.join(self.link(m) for m in Collection(graph, members)) + ")"
        members = graph.value(node, OWL.oneOf)
        if members is not None:
            return "{" + ", ".join(self.link(m) for m in Collection(graph, members)) + "}"
        datatype = graph.value(node, OWL.onDatatype)
        if datatype is not None:
            facets = graph.value(node, OWL.withRestrictions)
            shown = []
            for facet in Collection(graph, facets) if facets is not None else []:
                for key, value in graph.predicate_objects(facet):
                    shown.append(f"{_FACETS.get(URIRef(str(key)), curie(str(key)))} {value}")
            return self.link(datatype) + html.esc("[" + ", ".join(shown) + "]")
        for predicate, suffix in _PATH_SUFFIX.items():
            inner = graph.value(node, predicate)
            if inner is not None:
                return self.link(inner) + suffix
        inverse = graph.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + self.link(inverse)
        alternatives = graph.value(node, SH.alternativePath)
        if alternatives is not None:
            return " | ".join(self.link(m) for m in Collection(graph, alternatives))
        pairs = [f"{self.link(p)} {self.link(o)}" for p, o in graph.predicate_objects(node)]
        return "[" + "; ".join(sorted(pairs)) + "]"

    def _restriction(self, node: BNode, on: Node) -> str:
        graph = self.graph
        prop = self.link(on)
        for predicate, word in (
            (OWL.someValuesFrom, "some"),
            (OWL.allValuesFrom, "only"),
            (OWL.hasValue, "value"),
        ):
            value = graph.value(node, predicate)
            if value is not None:
                return f"{prop} {word} {self.link(value)}"
        for predicate, word in _CARDINALITIES:
            count = graph.value(node, predicate)
            if count is not None:
                filler = graph.value(node, OWL.onClass) or graph.value(node, OWL.onDataRange)
                shown = f" {self.link(filler)}" if filler is not None else ""
                return f"{prop} {word} {html.esc(count)}{shown}"
        return prop

    def label(self, node: Node) -> str | None:
        labels = sorted(
            self.graph.objects(node, RDFS.label),
            key=lambda v: (getattr(v, "language", None) not in ("en", None), str(v)),
        )
        return str(labels[0]) if labels else None

    def definition(self, node: Node) -> tuple[URIRef, str] | None:
        """The definition of a term (skos:definition, else rdfs:comment), and its property."""
        for predicate in DEFINITIONS:
            texts = sorted(
                self.graph.objects(node, predicate),
                key=lambda v: (getattr(v, "language", None) not in ("en", None), str(v)),
            )
            if texts:
                return predicate, str(texts[0])
        return None

    def table(self, node: Node, skip: Iterable[URIRef] = ()) -> str:
        """Every other property of a term, as a two-column table."""
        hidden = SHOWN_ABOVE | set(skip)
        rows: dict[str, list[str]] = {}
        for predicate, value in self.graph.predicate_objects(node):
            if predicate in hidden:
                continue
            rows.setdefault(self.link(predicate), []).append(self.link(value))
        body = "".join(
            html.element("tr", html.element("th", key) + html.element("td", _joined(values)))
            for key, values in sorted(rows.items())
        )
        return html.element("table", body) if body else ""


def _joined(fragments: list[str]) -> str:
    if len(fragments) == 1:
        return fragments[0]
    items = "".join(html.element("li", f) for f in sorted(fragments))
    return html.element("ul", items, class_="values")


def _term_section(
    terms: _Terms, node: URIRef, anchor: str, extra: str = "", skip: Iterable[URIRef] = ()
) -> str:
    heading = html.esc(anchor) + " " + html.element("code", html.esc(curie(str(node))))
    label = terms.label(node)
    if label and label != anchor:
        heading += " " + html.element("span", html.esc(f"“{label}”"), class_="note")
    types = ", ".join(terms.link(t) for t in sorted(terms.graph.objects(node, RDF.type), key=str))
    parts = [html.element("h3", heading)]
    if types:
        parts.append(html.element("p", "a " + types, class_="types"))
    hidden = set(skip)
    definition = terms.definition(node)
    if definition:
        hidden.add(definition[0])
        parts.append(html.element("p", html.esc(definition[1]), class_="definition"))
    parts.append(terms.table(node, skip=hidden))
    parts.append(extra)
    return html.element("section", "".join(parts), id=anchor, class_="term")


def ontology_page(graph: Graph, prefix: str, formats: list[tuple[str, str, str]]) -> bytes:
    """The ontology as a page: header, then its classes, properties and individuals."""
    page = f"{prefix}/ontology"
    terms = _Terms(graph, prefix, str(RSME), page)
    kinds = (
        ("classes", "Classes", OWL.Class),
        ("object-properties", "Object properties", OWL.ObjectProperty),
        ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
        ("annotation-properties", "Annotation properties", OWL.AnnotationProperty),
        ("individuals", "Individuals", OWL.NamedIndividual),
    )
    title = str(graph.value(ONTOLOGY_IRI, DCTERMS.title) or "rsme-kg ontology")
    parts = [
        html.element("h1", html.esc(title)),
        html.element("div", html.esc(str(ONTOLOGY_IRI)), class_="iri"),
        html.format_links(formats),
        html.element("p", html.esc(graph.value(ONTOLOGY_IRI, DCTERMS.description) or "")),
        terms.table(ONTOLOGY_IRI, skip=(DCTERMS.title, DCTERMS.description)),
    ]
    toc = []
    sections = []
    shown: set[str] = set()
    for anchor, heading, kind in kinds:
        members = sorted(
            (s for s in graph.subjects(RDF.type, kind) if terms.local(s) is not None), key=str
        )
        if not members:
            continue
        toc.append(html.link(f"#{anchor}", f"{heading} ({len(members)})"))
        body = []
        for node in members:
            local = terms.local(node)
            assert local is not None
            if local not in shown:  # one anchor per term, even if it has two OWL types
                shown.add(local)
                body.append(_term_section(terms, URIRef(str(node)), local))
        sections.append(html.element("h2", html.esc(heading), id=anchor) + "".join(body))
    outside = sorted(
        {
            s
            for kind in (*(k for _, _, k in kinds), RDF.Property)
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and terms.local(s) is None and s != ONTOLOGY_IRI
        },
        key=lambda s: curie(str(s)),
    )
    if outside:
        toc.append(html.link("#outside-terms", f"Outside terms ({len(outside)})"))
        rows = [
            [
                html.element("span", terms.link(s), id=curie(str(s))),
                ", ".join(terms.link(t) for t in sorted(graph.objects(s, RDF.type), key=str)),
                html.esc(terms.label(s) or ""),
                html.esc((terms.definition(s) or (None, ""))[1]),
            ]
            for s in outside
        ]
        sections.append(
            html.element("h2", "Outside terms used by the data", id="outside-terms")
            + html.element(
                "p",
                "Referenced by IRI, never imported; declared with the OWL type "
                "they have in rsme-kg data.",
            )
            + html.grid(["Term", "Declared as", "Label", "Note"], rows)
        )
    parts.append(html.element("nav", " · ".join(toc), class_="toc"))
    parts.extend(sections)
    return html.document(title, "".join(parts), home=prefix + "/", formats=formats)


def _shape_rows(terms: _Terms, shapes_of: Iterable[Node], emitted: set[str]) -> list[list[str]]:
    rows = []
    for shape in sorted(shapes_of, key=str):
        local = terms.local(shape)
        anchor = local if local is not None and local not in emitted else None
        if anchor:
            emitted.add(anchor)
        name = terms.link(shape) if isinstance(shape, URIRef) else "(anonymous)"
        path = terms.graph.value(shape, SH.path)
        constraints = [
            f"{terms.link(p)} {terms.link(o)}"
            for p, o in terms.graph.predicate_objects(shape)
            if p not in (SH.path, SH.message, RDF.type, RDFS.label, RDFS.comment, SH.name)
        ]
        rows.append(
            [
                html.element("span", name, id=anchor),
                terms.link(path) if path is not None else "",
                "<br>".join(sorted(constraints)),
                html.esc(" ".join(str(m) for m in terms.graph.objects(shape, SH.message))),
            ]
        )
    return rows


def _node_shape_section(terms: _Terms, shape: URIRef, emitted: set[str]) -> str:
    graph = terms.graph
    local = terms.local(shape) or curie(str(shape))
    emitted.add(local)
    targets = [
        f"{terms.link(p)} {terms.link(o)}"
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        for o in graph.objects(shape, p)
    ]
    messages = [str(m) for m in graph.objects(shape, SH.message)]
    info = [
        ("Target", "<br>".join(targets) or "none (used through sh:node)"),
        ("Message", html.esc(" ".join(messages))),
    ]
    skip = {
        SH.targetClass,
        SH.targetNode,
        SH.targetSubjectsOf,
        SH.targetObjectsOf,
        SH.message,
        SH.property,
        SH.sparql,
        RDFS.comment,
    }
    table = html.element(
        "table",
        "".join(html.element("tr", html.element("th", k) + html.element("td", v)) for k, v in info),
    )
    parts = [table, terms.table(shape, skip=skip)]
    properties = list(graph.objects(shape, SH.property))
    if properties:
        parts.append(html.element("h4", "Property shapes"))
        parts.append(
            html.grid(
                ["Shape", "Path", "Constraints", "Message"], _shape_rows(terms, properties, emitted)
            )
        )
    sparql = sorted(graph.objects(shape, SH.sparql), key=str)
    if sparql:
        parts.append(html.element("h4", "SPARQL constraints"))
        rows = []
        for constraint in sparql:
            anchor = terms.local(constraint)
            if anchor in emitted:
                anchor = None
            if anchor:
                emitted.add(anchor)
            rows.append(
                [
                    html.element("span", terms.link(constraint), id=anchor),
                    html.esc(terms.label(constraint) or ""),
                    html.esc(" ".join(str(m) for m in graph.objects(constraint, SH.message))),
                    html.element("pre", html.esc(str(graph.value(constraint, SH.select) or ""))),
                ]
            )
        parts.append(html.grid(["Constraint", "Label", "Message", "Query"], rows))
    return _term_section(terms, shape, local, "".join(parts), skip)


def shapes_page(graph: Graph, prefix: str, formats: list[tuple[str, str, str]]) -> bytes:
    """The shapes as a page: per source file, each node shape with target, paths, messages."""
    page = f"{prefix}/shapes"
    terms = _Terms(graph, prefix, str(SHAPES), page)
    emitted: set[str] = set()
    parts = [
        html.element("h1", "rsme-kg SHACL shapes"),
        html.element("div", html.esc(str(SHAPES)), class_="iri"),
        html.format_links(formats),
        html.element("p", "Every build is validated against these shapes; a violation fails it."),
    ]
    toc = []
    body = []
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
        toc.append(html.link(f"#{anchor}", f"{path.name} ({len(node_shapes)} node shapes)"))
        sections = [_node_shape_section(terms, s, emitted) for s in node_shapes]
        # property shapes no node shape uses still get an anchor
        loose = [
            s
            for s in own.subjects(RDF.type, SH.PropertyShape)
            if (terms.local(s) or "") not in emitted
        ]
        if loose:
            sections.append(
                html.element("h4", "Other property shapes")
                + html.grid(
                    ["Shape", "Path", "Constraints", "Message"], _shape_rows(terms, loose, emitted)
                )
            )
        body.append(
            html.element("h2", html.esc(title or path.name), id=anchor)
            + html.element("p", html.element("code", html.esc(f"shapes/{path.name}")))
            + "".join(sections)
        )
    # constraints used by property shapes: every rsmesh: IRI gets its anchor
    others = sorted(
        {s for s in graph.subjects() if (terms.local(s) or "") not in emitted and terms.local(s)},
        key=str,
    )
    if others:
        toc.append(html.link("#other-constraints", f"Other constraints ({len(others)})"))
        rows = [
            [
                html.element("span", terms.link(s), id=terms.local(s)),
                html.esc(terms.label(s) or ""),
                html.esc(" ".join(str(m) for m in graph.objects(s, SH.message))),
                html.element("pre", html.esc(str(graph.value(s, SH.select) or ""))),
            ]
            for s in others
        ]
        body.append(
            html.element("h2", "Other constraints", id="other-constraints")
            + html.grid(["Constraint", "Label", "Message", "Query"], rows)
        )
    parts.append(html.element("nav", " · ".join(toc), class_="toc"))
    parts.extend(body)
    return html.document("rsme-kg SHACL shapes", "".join(parts), home=prefix + "/", formats=formats)


# ------------------------------------------------------------------------------ routes

_FORMAT = Annotated[
    str | None,
    Query(description="Overrides the Accept header: html, ttl, jsonld, rdfxml, nt."),
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


@cacheable
@router.get(
    "/ontology/{version}",
    summary="A version IRI of the ontology (https://w3id.org/rsme-kg/ontology/0.1.0)",
    response_class=Response,
    status_code=303,
    responses={
        303: {"description": "See /ontology (the version served)"},
        404: {"description": "Not the version served", "content": {PROBLEM_TYPE: {}}},
    },
)
async def ontology_version(request: Request, version: str) -> Response:
    """The version served is at /ontology; other versions are not kept here."""
    graph = ontology().graph
    current = [str(v) for v in graph.objects(ONTOLOGY_IRI, OWL.versionInfo)]
    if version not in current:
        raise Problem(
            404,
            "Not found",
            f"version {version!r} is not served here; this is {', '.join(current)}",
            kind="not-found",
            suggestions=current,
        )
    return RedirectResponse(
        f"{base_path(request)}/ontology", status_code=303, headers={"Vary": "Accept"}
    )


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
