"""rdflib's SPARQL processor, with a memory of the queries it has prepared.

pySHACL evaluates a SPARQL-based constraint by handing rdflib the same query text once per
focus node, and rdflib parses and translates the text every time: that was nine tenths of the
time SHACL took over the corpus. `install` registers, under rdflib's own plugin name "sparql"
(the library's extension point for processors), a processor that translates each distinct text
once and evaluates the prepared query, as rdflib's `prepareQuery` lets a caller that keeps the
object do. Answers are unchanged: the key is everything the translation reads (the text, the
base and the namespaces the graph lends it).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rdflib import plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor
from rdflib.term import Identifier

# distinct query texts of one process: the shapes' constraints and the quality checks
_PREPARED = 512


@lru_cache(maxsize=_PREPARED)
def prepared(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    """The translated form of a query text (kept: the same text is asked for again and again)."""
    return translateQuery(parseQuery(text), base, dict(namespaces))


class PreparingProcessor(SPARQLProcessor):
    """SPARQLProcessor that prepares each distinct query text once."""

    # rdflib's own signature and parameter names, so that callers notice no difference
    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,
        initBindings: Mapping[str, Identifier] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Mapping[str, Any]:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((str(k), v) for k, v in (initNs or {}).items()))
            strOrQuery = prepared(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


def install() -> None:
    """Make rdflib's default SPARQL processor the preparing one (idempotent)."""
    plugin.register("sparql", Processor, __name__, PreparingProcessor.__name__)
