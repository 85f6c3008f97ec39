"""Linked data as documents and pages: IRIs mapped to this server, RDF serializations, the
JSON-LD context, and the HTML page of a resource or of a factor's evidence.

The w3id base is the canonical IRI space; the `public_base` setting says where this server
answers, and the mapping between the two is a change of base: https://w3id.org/rsme-kg/id/x is
served at {public_base}/id/x. Used by the linked-data router (api.ld) and by the source and
mapping routes. The pages are Jinja2 templates (api/templates/resource.html, evidence.html, on
base.html); this module gathers what they show, as Values that keep each literal's language.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from fastapi import Request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api import pages
from api.responses import JSONLD, NTRIPLES, RDFXML, TURTLE, VARIANTS
from api.rows import maybe_text

# where this server answers: in api.urls (which api.pages uses too), named here as well for
# the modules that import them from here
from api.urls import base_path as base_path
from api.urls import linkable, outside_href
from api.urls import public_url as public_url
from kg import iris
from kg.jsonld import context_body as context_body  # api.ld serves it
from kg.jsonld import context_document
from kg.namespaces import BASE, PREFIXES, RSME, bind_prefixes

# media type -> rdflib serializer
RDF_SERIALIZERS: dict[str, str] = {
    TURTLE: "turtle",
    JSONLD: "json-ld",
    NTRIPLES: "nt",
    RDFXML: "xml",
}
CONTEXT_PATH = "/context.jsonld"

# right-to-left scripts among the languages of the corpus (Persian labels)
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})
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


# ---------------------------------------------------------------------------- IRIs and links


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


@lru_cache(maxsize=1 << 16)  # a page of a hub resource asks for ~1,500 (the prefixes are fixed)
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


# ------------------------------------------------------------------------ JSON-LD context


@cache
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


# ----------------------------------------------------------------------- what pages show


def direction(lang: str | None) -> str | None:
    """ "rtl" for a language written right to left (Persian), None for the page's own (ltr).

    >>> direction("fa"), direction("fa-IR"), direction("fa-Latn"), direction("en"), direction(None)
    ('rtl', 'rtl', None, None, None)
    """
    if not lang:
        return None
    primary, *subtags = lang.lower().split("-")
    if primary not in RTL_LANGUAGES or "latn" in subtags:
        return None
    return "rtl"


@dataclass(frozen=True)
class Value:
    """One value shown on a page: a link (here or outside), a literal, or an ordered list.

    Templates draw it with the `value` macro of api/templates/macros.html: its text escaped,
    its language (and direction) on its own element.
    """

    text: str
    href: str | None = None
    external: bool = False
    lang: str | None = None
    note: str | None = None  # shown after the value, e.g. a CURIE or a datatype
    items: tuple[Value, ...] = ()  # the members of an rdf:List, in order

    @property
    def dir(self) -> str | None:
        """The writing direction of its language, if not the page's."""
        return direction(self.lang)

    @property
    def linkable(self) -> bool:
        """Whether its href may be a link (api.urls.linkable): the macro shows it as text if
        not, whoever made it."""
        return self.href is not None and linkable(self.href)


# a run of text and values (an OWL or SHACL expression); a str part is plain text
Phrase = tuple[Value | str, ...]


@dataclass(frozen=True)
class Row:
    """A property of a resource (or the property through which others refer to it)."""

    property: Value | Phrase
    values: tuple[Value | Phrase, ...]


@dataclass(frozen=True)
class Format:
    """Another representation of a page: its name, media type and URL."""

    label: str
    media: str
    href: str


def formats_of(here: str, names: Sequence[tuple[str, str]]) -> list[Format]:
    """The links to the RDF representations of the page at `here` (?format=...)."""
    return [Format(label, media, f"{here}?format={VARIANTS[media]}") for label, media in names]


def literal(node: Literal) -> Value:
    """A literal as a value, with its language."""
    return Value(str(node), lang=node.language)


def row_literal(value: Any) -> Value:
    """A bound value of a named query's row (a tagged literal is a dict) as a value.

    >>> row_literal({"value": "فاصله روانی", "lang": "fa"}).dir, row_literal(None).text
    ('rtl', '')
    """
    if isinstance(value, dict):
        return Value(str(value["value"]), lang=value.get("lang") or None)
    return Value(maybe_text(value) or "")


# ------------------------------------------------------------------------------ pages


def void_description(request: Request, iri: URIRef) -> Graph:
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


def best_labels(rows: Sequence[dict[str, Any]]) -> dict[str, Value]:
    """The best label of each node: by property (LABEL_PROPERTIES), then English, untagged;
    with its language."""
    best: dict[str, tuple[tuple[int, int], Value]] = {}
    for row in rows:
        value = row["label"]
        text, lang = (value["value"], value["lang"]) if isinstance(value, dict) else (value, "")
        text = str(text)
        if row["property"] == str(RSME.quote):
            text = f"“{text}”"
        rank = (LABEL_PROPERTIES.index(row["property"]), {"en": 0, "": 1}.get(lang, 2))
        node = str(row["node"])
        if node not in best or rank < best[node][0]:
            best[node] = (rank, Value(text, lang=lang or None))
    return {node: label for node, (_, label) in best.items()}


def label_rows(graph: Graph) -> list[dict[str, Any]]:
    """Rows like those of ld-labels.rq, from the labels a graph holds itself (VoID's)."""
    return [
        {"node": str(s), "property": str(p), "label": _literal_value(o)}
        for p in map(URIRef, LABEL_PROPERTIES)
        for s, o in graph.subject_objects(p)
        if isinstance(o, Literal)
    ]


def _own_label(graph: Graph, iri: URIRef) -> Value | None:
    rows = [
        {"node": str(iri), "property": str(p), "label": _literal_value(o)}
        for p in map(URIRef, LABEL_PROPERTIES)
        for o in graph.objects(iri, p)
        if isinstance(o, Literal)
    ]
    label = best_labels(rows).get(str(iri))
    return label if label is not None and label.text else None


def _literal_value(literal: Literal) -> str | dict[str, str]:
    return {"value": str(literal), "lang": literal.language} if literal.language else str(literal)


class _Renderer:
    """Turns the terms of a description into page values: labels, links here or outside."""

    def __init__(self, graph: Graph, labels: dict[str, Value], prefix: str) -> None:
        self.graph = graph
        self.labels = labels
        self.prefix = prefix

    def value(self, node: Node) -> Value:
        if isinstance(node, URIRef):
            return self.iri(str(node))
        if isinstance(node, Literal):
            note = None
            if node.datatype is not None and node.datatype != XSD.string:
                note = curie(str(node.datatype))
            return Value(str(node), lang=node.language, note=note)
        if isinstance(node, BNode) and (node, RDF.first, None) in self.graph:
            members = tuple(self.value(m) for m in Collection(self.graph, node))
            return Value("", items=members)
        return Value("(blank node)")

    def iri(self, iri: str) -> Value:
        href = local_href(iri, self.prefix)
        label = self.labels.get(iri)
        if label is not None and not label.text:
            label = None
        note = curie(iri) if label and curie(iri) != iri else None
        return Value(
            label.text if label else curie(iri),
            href=href or outside_href(iri),  # javascript:, data:... are shown as text
            external=href is None,
            lang=label.lang if label else None,
            note=note,
        )

    def rows(self, pairs: dict[URIRef, list[Node]]) -> list[Row]:
        def order(predicate: URIRef) -> tuple[int, str]:
            first = FIRST_PROPERTIES.index(predicate) if predicate in FIRST_PROPERTIES else 99
            return first, self.iri(str(predicate)).text.lower()

        def shown(node: Node, value: Value) -> tuple[int, str]:
            # literals: English first, then untagged, then the others; links and lists by
            # their text among the untagged (a link's language is its label's, not its own)
            is_literal = isinstance(node, Literal)
            return {"en": 0, None: 1}.get(value.lang, 2) if is_literal else 1, value.text.lower()

        result = []
        for predicate in sorted(pairs, key=order):
            values = sorted(((n, self.value(n)) for n in pairs[predicate]), key=lambda p: shown(*p))
            result.append(Row(self.iri(str(predicate)), tuple(v for _, v in values)))
        return result


@dataclass(frozen=True)
class Evidence:
    """The link from a factor's page to its evidence view."""

    href: str
    codes: int


@dataclass(frozen=True)
class CodeRow:
    """One code on a factor's evidence page, with its study."""

    quote: Value
    code: Value  # a link to the code's page
    study: Value  # a link to the study's page
    doi: Value | None  # a link to the DOI, outside
    cells: tuple[str, ...]  # year, language, screening, direction, outcome, basis, coder


# the columns of the evidence table after "Quote (code)" and "Study" (CodeRow.cells)
EVIDENCE_COLUMNS = ("Year", "Language", "Screening", "Direction", "Outcome", "Basis", "Coder")


RESOURCE_FORMATS = (
    ("Turtle", TURTLE),
    ("JSON-LD", JSONLD),
    ("N-Triples", NTRIPLES),
    ("RDF/XML", RDFXML),
)


def resource_page(request: Request, iri: URIRef, graph: Graph, labels: dict[str, Value]) -> bytes:
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
    evidence = None
    if (iri, RDF.type, RSME.Factor) in graph:
        evidence = Evidence(
            f"{here}?view=evidence", len(set(graph.subjects(RSME.codesFactor, iri)))
        )
    return pages.render(
        request,
        "resource.html",
        title=_own_label(graph, iri) or Value(str(iri)[len(BASE) :]),
        iri=str(iri),
        types=types,
        rows=render.rows(outgoing),
        referenced_by=render.rows(incoming),
        evidence=evidence,
        formats=formats_of(here, RESOURCE_FORMATS),
    )


def evidence_page(request: Request, factor: URIRef, rows: Sequence[dict[str, Any]]) -> bytes:
    """The HTML page listing each code of a factor with its study and quote."""
    prefix = base_path(request)
    here = local_href(str(factor), prefix) or ""
    name = row_literal(rows[0]["factorLabel"])
    ident = iris.local_id(str(factor), "factor") or ""
    codes = [_code_row(row, prefix) for row in rows if row.get("code")]
    return pages.render(
        request,
        "evidence.html",
        name=name,
        iri=str(factor),
        factor_href=here,
        json_href=f"{prefix}/factors/{ident}/evidence",
        codes=codes,
        studies=len({row["study"] for row in rows if row.get("code")}),
        columns=EVIDENCE_COLUMNS,
    )


def _code_row(row: dict[str, Any], prefix: str) -> CodeRow:
    study = str(row["study"])
    code = str(row["code"])
    doi = row.get("doi")
    return CodeRow(
        quote=row_literal(row["quote"]),
        code=Value(code.rsplit("/", 1)[-1], href=local_href(code, prefix) or ""),
        study=dataclasses.replace(
            row_literal(row["title"]), href=local_href(study, prefix) or outside_href(study)
        ),
        doi=Value(f"doi:{doi}", href=f"https://doi.org/{doi}", external=True) if doi else None,
        cells=(
            str(row["year"]),
            *(
                maybe_text(row.get(key)) or ""
                for key in ("language", "decision", "direction", "outcome", "basis", "coder")
            ),
        ),
    )
