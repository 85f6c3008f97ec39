"""The store interface every backend implements, its query result, and typed rows of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from rdflib import Graph, Node, URIRef
from rdflib import Literal as RdfLiteral

from kg.store.sparqltext import check_terms

ResultKind = Literal["select", "ask", "graph"]
# A row of a SELECT as the REST answers carry it: see `value`.
Row = dict[str, Any]

# Result formats by short name: SPARQL results for SELECT/ASK, RDF for CONSTRUCT/DESCRIBE.
TABULAR_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml")


@dataclass
class QueryResult:
    """A query answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).

    Values are rdflib terms so that callers never depend on a backend's own term types.
    """

    kind: ResultKind
    variables: list[str]
    solutions: list[dict[str, Node]]
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] | None = None

    def __iter__(self) -> Iterator[dict[str, Node]]:
        return iter(self.solutions)

    def __len__(self) -> int:
        if self.kind == "graph":
            return len(self.triples or [])
        return len(self.solutions)

    def column(self, name: str) -> list[Node | None]:
        """The values of one variable, row by row."""
        return [row.get(name) for row in self.solutions]

    def scalar(self) -> Node | None:
        """The first value of the first row (handy for COUNT queries)."""
        if not self.solutions or not self.variables:
            return None
        return self.solutions[0].get(self.variables[0])

    def rows(self) -> list[Row]:
        """The solutions as typed rows: each term as `value` gives it."""
        return [{name: value(term) for name, term in row.items()} for row in self.solutions]

    def graph(self) -> Graph:
        """The triples of a CONSTRUCT or DESCRIBE answer as a new rdflib graph."""
        graph = Graph()
        for triple in self.triples or []:
            graph.add(triple)
        return graph

    def limited(self, max_rows: int) -> QueryResult:
        """The same answer cut to its first `max_rows` solutions (or triples)."""
        triples = None if self.triples is None else self.triples[:max_rows]
        return replace(self, solutions=self.solutions[:max_rows], triples=triples)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS: dict[str, Callable[[str], Any]] = {
    _XSD + "integer": int,
    _XSD + "int": int,
    _XSD + "long": int,
    _XSD + "nonNegativeInteger": int,
    _XSD + "decimal": float,
    _XSD + "double": float,
    _XSD + "boolean": lambda text: text == "true",
}


def value(term: Node) -> Any:
    """A term as a plain value: numbers and booleans as Python's, a language-tagged literal as
    {"value", "lang"}, anything else (IRIs, strings, dates) as its text.

    >>> from rdflib.namespace import XSD
    >>> value(RdfLiteral(3)), value(RdfLiteral("0.5", datatype=XSD.decimal))
    (3, 0.5)
    >>> value(RdfLiteral("شبکه", lang="fa")), value(URIRef("https://w3id.org/rsme-kg/id/study/x"))
    ({'value': 'شبکه', 'lang': 'fa'}, 'https://w3id.org/rsme-kg/id/study/x')
    """
    if isinstance(term, RdfLiteral):
        if term.language:
            return {"value": str(term), "lang": term.language}
        convert = _NUMBERS.get(str(term.datatype)) if term.datatype else None
        if convert is not None:
            return convert(str(term))
    return str(term)


Bindings = Mapping[str, URIRef | RdfLiteral]


def values_clause(bindings: Bindings) -> str:
    """A SPARQL VALUES block binding each variable to one safely escaped term.

    >>> f = URIRef("https://w3id.org/rsme-kg/id/factor/x")
    >>> print(values_clause({"f": f, "q": RdfLiteral('a "b"')}))
    VALUES (?f ?q) { (<https://w3id.org/rsme-kg/id/factor/x> "a \\"b\\"") }
    """
    check_terms(bindings)
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(term.n3() for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


class Store(Protocol):
    """What every backend offers: SPARQL queries over the union of the build's graphs (or
    over the dataset a query names with FROM / FROM NAMED)."""

    def query(self, sparql: str, bindings: Bindings | None = None) -> QueryResult:
        """Run a SPARQL query; `bindings` pre-bind variables safely (no text pasting)."""
        ...

    def serialize(self, sparql: str, fmt: str, bindings: Bindings | None = None) -> bytes:
        """Run a query and serialize its answer in `fmt` (see TABULAR_FORMATS, GRAPH_FORMATS)."""
        ...
