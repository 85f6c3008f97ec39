"""Named SPARQL queries, stored as .rq files beside this module, loaded and run by name.

`run` (rdflib terms), `select` (typed rows) and `construct` (a graph) are the one runner of
named queries: the CLI, the VoID description and the analytics call them on a `Store`; the API
runs the same `bindings` and `QueryResult.rows` / `.graph` through its async executors
(api.named), so every face gets the same typed rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef

if TYPE_CHECKING:
    from kg.store.base import Bindings, QueryResult, Row, Store

QUERY_DIR = Path(__file__).resolve().parent

# What a caller may bind: an IRI, a literal, or a plain string (a literal without language).
Value = str | URIRef | Literal


@cache
def load(name: str) -> str:
    """The text of a named query, e.g. load('stats-studies') or load('examples/...')."""
    path = QUERY_DIR / f"{name}.rq"
    if not path.is_file():
        known = ", ".join(available())
        raise KeyError(f"no query named {name!r}; known: {known}")
    return path.read_text(encoding="utf-8")


def summary(name: str) -> str:
    """The one-line summary comment at the top of a query file."""
    first = load(name).splitlines()[0]
    return first.lstrip("#").strip()


def available() -> list[str]:
    """The names of all stored queries."""
    return sorted(str(p.relative_to(QUERY_DIR).with_suffix("")) for p in QUERY_DIR.rglob("*.rq"))


def bindings(values: Mapping[str, Value]) -> Bindings:
    """Values to bind as terms, in name order: strings become plain literals.

    >>> bindings({"q": 'a "b"', "f": URIRef("http://x/f")})
    {'f': rdflib.term.URIRef('http://x/f'), 'q': rdflib.term.Literal('a "b"')}
    """
    return {
        name: value if isinstance(value, URIRef | Literal) else Literal(value)
        for name, value in sorted(values.items())
    }


def run(store: Store, name: str, **values: Value) -> QueryResult:
    """The answer of a named query as rdflib terms, values bound (for code that builds RDF
    from the terms, e.g. the VoID description)."""
    return store.query(load(name), bindings(values))


def select(store: Store, name: str, **values: Value) -> list[Row]:
    """The typed rows of a named SELECT query (see kg.store.base.value), values bound."""
    return run(store, name, **values).rows()


def construct(store: Store, name: str, **values: Value) -> Graph:
    """The triples of a named CONSTRUCT or DESCRIBE query as an rdflib graph, values bound."""
    return run(store, name, **values).graph()
