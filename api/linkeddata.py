"""Linked data as documents and pages: IRIs mapped to this server, RDF serializations, the
JSON-LD context, and the HTML page of a resource or of a factor's evidence.

The w3id base is the canonical IRI space; the `public_base` setting says where this server
answers, and the mapping between the two is a change of base: https://w3id.org/rsme-kg/id/x is
served at {public_base}/id/x. Used by the linked-data router (api.ld) and by the source and
mapping routes; the pages themselves are drawn by api.html.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from api import html
from api.responses import JSONLD, NTRIPLES, RDFXML, TURTLE, VARIANTS
from api.rows import maybe_text
from kg import iris
from kg.namespaces import BASE, PREFIXES, RSME, bind_prefixes

# media type -> rdflib serializer
RDF_SERIALIZERS: dict[str, str] = {
    TURTLE: "turtle",
    JSONLD: "json-ld",
    NTRIPLES: "nt",
    RDFXML: "xml",
}
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


# ------------------------------------------------------------------------ JSON-LD context


@cache
def context_document() -> dict[str, Any]:
    """The JSON-LD context of every JSON-LD answer: the project's prefixes."""
    return {"@context": dict(PREFIXES)}


@cache
def context_body() -> bytes:
    """The JSON-LD context as served at CONTEXT_PATH."""
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


def best_labels(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
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


def label_rows(graph: Graph) -> list[dict[str, Any]]:
    """Rows like those of ld-labels.rq, from the labels a graph holds itself (VoID's)."""
    return [
        {"node": str(s), "property": str(p), "label": _literal_value(o)}
        for p in map(URIRef, LABEL_PROPERTIES)
        for s, o in graph.subject_objects(p)
        if isinstance(o, Literal)
    ]


def _own_label(graph: Graph, iri: URIRef) -> str | None:
    rows = [
        {"node": str(iri), "property": str(p), "label": _literal_value(o)}
        for p in map(URIRef, LABEL_PROPERTIES)
        for o in graph.objects(iri, p)
        if isinstance(o, Literal)
    ]
    return best_labels(rows).get(str(iri))


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
    return maybe_text(value) or ""
