"""A SHACL validation report cut into its results, and put back together, for the cache.

pySHACL's report is one sh:ValidationReport with an sh:result per finding; each result is a
blank node whose triples (and those of the blank nodes it leads to: nested sh:detail results,
copies of data blank nodes such as an author list) say everything about it. Cut there, the
results of a report can be kept per module (kg/validate.py) and a report assembled later from
results of different runs is the same graph, up to the labels of its own blank nodes, as one
run over everything would give.

Entries are JSON with every term spelled out (IRI, blank node label, literal lexical form,
datatype and language), so nothing is normalised on the way back: a literal comes back with
the lexical form it had, a data blank node with its label.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.namespace import RDF

from kg.namespaces import SH

Triple = tuple[Node, Node, Node]
_FORMAT = 1  # bump when the entry layout changes: older entries then read as missing


@dataclass(frozen=True)
class Result:
    """One top-level sh:ValidationResult: its node and the triples reachable from it."""

    node: Node
    triples: tuple[Triple, ...]

    def value(self, predicate: URIRef) -> Node | None:
        """The object of one of the result's own triples."""
        return next((o for s, p, o in self.triples if s == self.node and p == predicate), None)


def results_of(report: Graph) -> list[Result]:
    """The top-level results of a pySHACL report graph."""
    return [
        Result(node, _reachable(report, node))
        for top in report.subjects(RDF.type, SH.ValidationReport)
        for node in report.objects(top, SH.result)
    ]


def _reachable(report: Graph, root: Node) -> tuple[Triple, ...]:
    """The triples of `root` and of every blank node reached from it (its closure)."""
    seen = {root}
    todo = [root]
    triples: list[Triple] = []
    while todo:
        node = todo.pop()
        for s, p, o in report.triples((node, None, None)):
            triples.append((s, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)
    return tuple(triples)


def assemble(results: Iterable[Result], conforms: bool, namespaces: Graph) -> Graph:
    """A report graph as pySHACL writes one: the report node, sh:conforms and the results,
    with the prefixes pySHACL binds (those of the shapes graph)."""
    report = Graph(bind_namespaces="core")
    for prefix, namespace in namespaces.namespace_manager.namespaces():
        report.namespace_manager.bind(prefix, namespace)
    top = BNode()
    report.add((top, RDF.type, SH.ValidationReport))
    report.add((top, SH.conforms, Literal(conforms)))
    for result in results:
        report.add((top, SH.result, result.node))
        for triple in result.triples:
            report.add(triple)
    return report


def _term(node: Node) -> list[str | None]:
    if isinstance(node, URIRef):
        return ["u", str(node)]
    if isinstance(node, BNode):
        return ["b", str(node)]
    if isinstance(node, Literal):
        datatype = str(node.datatype) if node.datatype is not None else None
        return ["l", str(node), datatype, node.language]
    raise TypeError(f"not an RDF term of a report: {node!r}")


def _node(spelled: object) -> Node:
    match spelled:
        case ["u", str(iri)]:
            return URIRef(iri)
        case ["b", str(label)]:
            return BNode(label)
        case ["l", str(lexical), str() | None as datatype, str() | None as language]:
            # normalize=False: the lexical form stays the one the report had, byte for byte
            return Literal(
                lexical,
                lang=language,
                datatype=URIRef(datatype) if datatype else None,
                normalize=False,
            )
    raise ValueError(f"not a stored term: {spelled!r}")


def encode(results: Iterable[Result]) -> bytes:
    """The bytes of a cache entry holding `results`."""
    entry = {
        "format": _FORMAT,
        "results": [
            {"node": _term(r.node), "triples": [[_term(n) for n in t] for t in r.triples]}
            for r in results
        ],
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()


def decode(data: bytes | None) -> list[Result] | None:
    """The results of a cache entry; None when absent or not a well-formed entry (a damaged
    entry is as good as none: the module is checked again)."""
    if data is None:
        return None
    try:
        entry = json.loads(data)
        if not isinstance(entry, Mapping) or entry.get("format") != _FORMAT:
            return None
        return [
            Result(
                _node(item["node"]),
                tuple(_triple(t) for t in item["triples"]),
            )
            for item in entry["results"]
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _triple(spelled: object) -> Triple:
    if not isinstance(spelled, list) or len(spelled) != 3:
        raise ValueError(f"not a stored triple: {spelled!r}")
    s, p, o = (_node(n) for n in spelled)
    return s, p, o
