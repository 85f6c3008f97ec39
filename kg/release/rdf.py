"""The release's RDF as bytes that depend only on the graph: canonical blank nodes, sorted
statements, and one writer per format (N-Quads, TriG, Turtle, JSON-LD with the published
context).

Blank nodes are relabelled with W3C RDF Dataset Canonicalization (RDFC-1.0) over the whole
dataset: the parser labels the ontology's blank nodes at random, and a release must give the
same bytes for the same graph. The N-Quads dump is then the dataset's canonical form (sorted
lines, `_:c14nN` labels), the form a verifier recomputes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from kg.namespaces import BASE, GRAPH, PREFIXES

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
OWL = "http://www.w3.org/2002/07/owl#"
OWL_ONTOLOGY = ox.NamedNode(OWL + "Ontology")
VERSION_IRI = ox.NamedNode(OWL + "versionIRI")
VERSION_INFO = ox.NamedNode(OWL + "versionInfo")
PRIOR_VERSION = ox.NamedNode(OWL + "priorVersion")
# the version IRIs of the ontology: https://w3id.org/rsme-kg/ontology/1.0.0
ONTOLOGY_VERSIONS = BASE + "ontology/"
# a dump larger than this is published gzip-compressed (1 MB, decimal as in file listings)
GZIP_OVER = 1_000_000

Term = ox.NamedNode | ox.BlankNode | ox.Literal
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


def term_key(term: Term | ox.DefaultGraph) -> tuple[int, str, str, str]:
    """A sort key of a term: the default graph, IRIs, blank nodes, then literals."""
    if isinstance(term, ox.DefaultGraph):
        return (0, "", "", "")
    if isinstance(term, ox.NamedNode):
        return (1, term.value, "", "")
    if isinstance(term, ox.BlankNode):
        return (2, term.value, "", "")
    return (3, term.value, term.datatype.value, term.language or "")


def quad_key(quad: ox.Quad) -> tuple[object, ...]:
    """Statements by graph, subject, then rdf:type first (as Turtle readers expect), object."""
    predicate = quad.predicate
    return (
        term_key(quad.graph_name),
        term_key(quad.subject),  # type: ignore[arg-type]
        (0 if predicate == RDF_TYPE else 1, predicate.value),
        term_key(quad.object),  # type: ignore[arg-type]
    )


def canonical(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with RDFC-1.0 blank node labels, each once, in `quad_key` order."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=quad_key)


def graph_names(quads: Iterable[ox.Quad]) -> list[GraphName]:
    """The graphs the quads fall in, sorted (the default graph first when it has any)."""
    names = {q.graph_name for q in quads}
    return sorted(names, key=term_key)


def in_graph(quads: Iterable[ox.Quad], name: GraphName) -> list[ox.Triple]:
    """The triples of one graph, in the order given."""
    return [q.triple for q in quads if q.graph_name == name]


def graph_file_stem(name: GraphName) -> str:
    """The file name (without suffix) of a graph's Turtle dump: its name under graph/.

    >>> graph_file_stem(ox.NamedNode("https://w3id.org/rsme-kg/graph/corpus"))
    'corpus'
    >>> graph_file_stem(ox.DefaultGraph())
    'default'
    >>> graph_file_stem(ox.NamedNode("http://example.org/g"))[:6]
    'graph-'
    """
    if isinstance(name, ox.DefaultGraph):
        return "default"
    local = name.value.removeprefix(str(GRAPH))
    if name.value.startswith(str(GRAPH)) and local.replace("-", "").isalnum() and local.isascii():
        return local
    # a graph added from outside (`rsme-kg load`): a stable name from its IRI
    return "graph-" + hashlib.sha256(name.value.encode()).hexdigest()[:16]


def stamp_ontology(
    quads: Sequence[ox.Quad], graph: ox.NamedNode, version: str, previous: str | None
) -> tuple[list[ox.Quad], ox.NamedNode]:
    """The quads with the ontology header's version statements set to this release's.

    The header is the one `owl:Ontology` of `graph`; its owl:versionIRI, owl:versionInfo and
    owl:priorVersion are replaced (the hand-edited file's own are a draft's). ValueError when the
    graph has no header or more than one.
    """
    headers = [
        q.subject
        for q in quads
        if q.graph_name == graph and q.predicate == RDF_TYPE and q.object == OWL_ONTOLOGY
    ]
    if len(headers) != 1 or not isinstance(headers[0], ox.NamedNode):
        raise ValueError(f"expected one owl:Ontology named by an IRI in <{graph.value}>")
    header = headers[0]
    replaced = {VERSION_IRI, VERSION_INFO, PRIOR_VERSION}
    kept = [
        q
        for q in quads
        if not (q.graph_name == graph and q.subject == header and q.predicate in replaced)
    ]
    kept.append(ox.Quad(header, VERSION_IRI, ontology_version_iri(version), graph))
    kept.append(ox.Quad(header, VERSION_INFO, ox.Literal(version), graph))
    if previous is not None:
        kept.append(ox.Quad(header, PRIOR_VERSION, ontology_version_iri(previous), graph))
    return kept, header


def ontology_version_iri(version: str) -> ox.NamedNode:
    """The owl:versionIRI of the ontology of a release.

    >>> ontology_version_iri("1.0.0").value
    'https://w3id.org/rsme-kg/ontology/1.0.0'
    """
    return ox.NamedNode(ONTOLOGY_VERSIONS + version)


# ------------------------------------------------------------------------------- writers


def nquads(quads: Sequence[ox.Quad]) -> bytes:
    """N-Quads, one statement a line, in the order given."""
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def trig(quads: Sequence[ox.Quad]) -> bytes:
    """TriG with the project's prefixes, in the order given."""
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES)) or b""


def turtle(
    triples: Sequence[ox.Triple], header: str = "", extra_prefixes: dict[str, str] | None = None
) -> bytes:
    """Turtle with the project's prefixes (and `extra_prefixes`) after a comment `header`."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    prefixes = _used({**PREFIXES, **(extra_prefixes or {})}, triples)
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""
    return (comment + ("\n" if comment else "")).encode("utf-8") + body


def _used(prefixes: dict[str, str], triples: Sequence[ox.Triple]) -> dict[str, str]:
    """The prefixes whose namespace some IRI of the triples starts with (the others are noise)."""
    iris = {
        term.value
        for triple in triples
        for term in (*triple, *(t.datatype for t in triple if isinstance(t, ox.Literal)))
        if isinstance(term, ox.NamedNode)
    }
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


def headers_first(triples: Sequence[ox.Triple]) -> list[ox.Triple]:
    """The triples with those of the owl:Ontology header first (where readers look for it),
    the order otherwise kept."""
    headers = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == OWL_ONTOLOGY}
    return [t for t in triples if t.subject in headers] + [
        t for t in triples if t.subject not in headers
    ]


def gzipped(data: bytes) -> bytes:
    """gzip without a file name or time in its header, so the same bytes give the same file."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(data)
    return buffer.getvalue()


def jsonld(quads: Sequence[ox.Quad], context_url: str) -> bytes:
    """JSON-LD of the dataset: one `@graph` per named graph, nodes with their statements,
    IRIs shortened to the prefixes of the published context, which `context_url` names.

    Literals keep their lexical form (a typed value is `@value` + `@type`), so reading the
    document back gives exactly these quads.
    """
    graphs: list[Any] = []
    for name in graph_names(quads):
        nodes = _nodes(in_graph(quads, name))
        if isinstance(name, ox.DefaultGraph):
            graphs.extend(nodes)
        else:
            graphs.append({"@id": _ref(name), "@graph": nodes})
    document = {"@context": context_url, "@graph": graphs}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _nodes(triples: Sequence[ox.Triple]) -> list[dict[str, Any]]:
    nodes: dict[Term, dict[str, Any]] = {}
    for s, p, o in triples:
        node = nodes.setdefault(s, {"@id": _ref(s)})
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            node.setdefault("@type", []).append(compact(o.value))
        else:
            node.setdefault(compact(p.value), []).append(_value(o))
    return [
        {key: node[key] for key in sorted(node, key=lambda k: (not k.startswith("@"), k))}
        for node in nodes.values()
    ]


def _ref(term: Term | ox.DefaultGraph) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    assert isinstance(term, ox.NamedNode)
    return compact(term.value)


def _value(term: Term) -> Any:
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": compact(term.datatype.value)}
    return {"@id": _ref(term)}


def compact(iri: str) -> str:
    """`prefix:local` by the longest namespace of the context, else the IRI itself.

    >>> compact("https://w3id.org/rsme-kg/id/study/akbari-2019")
    'study:akbari-2019'
    >>> compact("http://example.org/x")
    'http://example.org/x'
    """
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    # a local part starting with // would be read as an absolute IRI, not a compact one
    if best is None or iri[len(best) :].startswith("//"):
        return iri
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best) :]}"
