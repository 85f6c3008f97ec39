"""rdflib's SPARQL processor, with a memory of the queries it has prepared.

pySHACL evaluates a SPARQL-based constraint by handing rdflib the same query text once per
focus node, and rdflib parses and translates the text every time: that was nine tenths of the
time SHACL took over the corpus. `install` registers, under rdflib's own plugin name "sparql"
(the library's extension point for processors), a processor that translates each distinct text
once and evaluates the prepared query, as rdflib's `prepareQuery` lets a caller that keeps the
object do. Answers are unchanged: the key is everything the translation reads (the text, the
base and the namespaces the graph lends it).

pySHACL also vets the text of a SPARQL-based constraint (no MINUS, VALUES, SERVICE, pre-bound
variables selected by nested SELECTs) once per focus node, with regular expressions that cost
about a millisecond per call: over ten copies of the corpus that was a third of SHACL's time.
The verdict depends only on the text and on which variables may be pre-bound, so `install`
also makes pySHACL remember the texts that passed (a text that fails is vetted, and fails,
every time, as before).

And for every focus node a shape is checked on, pySHACL finds the shape's constraint
parameters by testing each of its predicates for membership in a list of some forty IRIs, one
rdflib `==` (Python code) at a time: a third of what remained. `install` hands it the same
list with a set beside it for `in`; the membership, and so the constraints run, are the same.
Last, pySHACL writes a constraint's PREFIX lines again for every focus node; `install` makes
it write them once per set of prefixes (the text is the same, character for character).

Inside `mirrored(graph)`, queries on that graph go first to its Oxigraph copy (kg/oxmirror.py),
which answers those it can answer exactly as rdflib would, and declines the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any

import pyshacl.shape
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
from rdflib import Graph, plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor
from rdflib.term import Identifier

from kg.oxmirror import Mirror

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
        mirror = _MIRROR.get()
        if mirror is not None and mirror.graph is self.graph and isinstance(strOrQuery, str):
            prefixes = {str(k): str(v) for k, v in (initNs or {}).items()}
            answer = mirror.answer(strOrQuery, initBindings or {}, prefixes, base)
            if answer is not None:
                return answer
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((str(k), v) for k, v in (initNs or {}).items()))
            strOrQuery = prepared(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


# the Oxigraph copy of the graph being validated, if any (one validation at a time per context)
_MIRROR: ContextVar[Mirror | None] = ContextVar("rsme_kg_mirror", default=None)
USE_OXIGRAPH = True  # tests turn it off to get rdflib's answers to compare with


@contextmanager
def mirrored(graph: Graph) -> Iterator[Mirror | None]:
    """Within the block, SPARQL on `graph` is answered by its Oxigraph copy where exact.

    The graph must not change inside the block: the copy is made once, on entry.
    """
    mirror = Mirror.of(graph) if USE_OXIGRAPH else None
    token = _MIRROR.set(mirror)
    try:
        yield mirror
    finally:
        _MIRROR.reset(token)


_VETTED: set[tuple[str, bool, frozenset[str]]] = set()  # texts pySHACL found valid


def _vet_once(
    check: Callable[..., bool],
) -> Callable[..., bool]:
    """pySHACL's check of a constraint's text, remembering the texts that passed."""

    @wraps(check)
    def check_invalid_sparql(
        self: SPARQLQueryHelper,
        sparql_text: str,
        valuenode: object = None,
        extravars: Iterable[str] | None = None,
    ) -> bool:
        # everything the check reads: the text, whether $value may be pre-bound, the extras
        key = (sparql_text, valuenode is not None, frozenset(extravars or ()))
        if key in _VETTED:
            return True
        passed = check(self, sparql_text, valuenode, extravars)
        _VETTED.add(key)  # reached only when the check raised nothing
        return passed

    check_invalid_sparql.vets_once = True  # type: ignore[attr-defined]
    return check_invalid_sparql


class ParameterList(list[Any]):
    """pySHACL's list of constraint parameters, with a set beside it for `in`.

    pySHACL copies the list and appends to it (sh:expression in advanced mode): both keep the
    set in step."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.members = set(self)

    def __contains__(self, item: object) -> bool:
        return item in self.members

    def copy(self) -> ParameterList:
        return ParameterList(self)

    def append(self, item: Any) -> None:
        super().append(item)
        self.members.add(item)


_PROLOGUES: dict[tuple[tuple[str, str], ...], str] = {}  # a constraint's prefixes -> PREFIX lines


def _prologue_once(apply: Callable[..., str]) -> Callable[..., str]:
    """pySHACL's prefixing of a constraint's text, with the PREFIX lines written once per set
    of prefixes (pySHACL writes them again for every focus node)."""

    @wraps(apply)
    def apply_prefixes(self: SPARQLQueryHelper, sparql: str) -> str:
        key = tuple((str(p), str(ns)) for p, ns in self.prefixes.items())
        prologue = _PROLOGUES.get(key)
        if prologue is None:
            prologue = _PROLOGUES[key] = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in key)
        return f"{prologue}\n{sparql}"  # pySHACL's own layout, character for character

    apply_prefixes.writes_once = True  # type: ignore[attr-defined]
    return apply_prefixes


def install() -> None:
    """Make rdflib's default SPARQL processor the preparing (and mirror-asking) one, and
    pySHACL vet a constraint's text once, write its PREFIX lines once and find a shape's
    parameters in a set (idempotent; what is checked does not change)."""
    plugin.register("sparql", Processor, __name__, PreparingProcessor.__name__)
    check = SPARQLQueryHelper.check_invalid_sparql
    if not getattr(check, "vets_once", False):
        SPARQLQueryHelper.check_invalid_sparql = _vet_once(check)  # type: ignore[method-assign]
    apply = SPARQLQueryHelper.apply_prefixes
    if not getattr(apply, "writes_once", False):
        SPARQLQueryHelper.apply_prefixes = _prologue_once(apply)  # type: ignore[method-assign]
    # where pySHACL keeps the pair once it has made it (pyshacl/shape.py, Shape.validate)
    known = getattr(pyshacl.shape, "CONSTRAINT_PARAMS", None)
    if not (known and isinstance(known[0], ParameterList)):
        pyshacl.shape.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
            ParameterList(ALL_CONSTRAINT_PARAMETERS),
            CONSTRAINT_PARAMETERS_MAP,
        )
