"""The store interface every backend implements, and the query result it returns."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from rdflib import Literal as RdfLiteral
from rdflib import Node, URIRef

ResultKind = Literal["select", "ask", "graph"]

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


Bindings = Mapping[str, URIRef | RdfLiteral]

_IRI_FORBIDDEN = set('<>"{}|^`\\ \n\t')


def values_clause(bindings: Bindings) -> str:
    """A SPARQL VALUES block binding each variable to one safely escaped term.

    >>> f = URIRef("https://w3id.org/rsme-kg/id/factor/x")
    >>> print(values_clause({"f": f, "q": RdfLiteral('a "b"')}))
    VALUES (?f ?q) { (<https://w3id.org/rsme-kg/id/factor/x> "a \\"b\\"") }
    """
    names, terms = [], []
    for name, term in bindings.items():
        if not name.isidentifier():
            raise ValueError(f"not a variable name: {name!r}")
        if isinstance(term, URIRef) and _IRI_FORBIDDEN & set(str(term)):
            raise ValueError(f"not a valid IRI: {str(term)!r}")
        names.append(f"?{name}")
        terms.append(term.n3())
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


class Store(Protocol):
    """What every backend offers: SPARQL queries over the union of the build's graphs."""

    def query(self, sparql: str, bindings: Bindings | None = None) -> QueryResult:
        """Run a SPARQL query; `bindings` pre-bind variables safely (no text pasting)."""
        ...

    def serialize(self, sparql: str, fmt: str, bindings: Bindings | None = None) -> bytes:
        """Run a query and serialize its answer in `fmt` (see TABULAR_FORMATS, GRAPH_FORMATS)."""
        ...
