"""What the store reads from a query's text before running it: its form, the variables it
returns (the one check of bindings, for every backend) and the dataset it names with FROM.

A light lexer, not a parser: the engine parses the query anyway; these answers only decide
how to send it, and an unreadable text gets the cautious answer (None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Node, URIRef

from kg.errors import QueryError
from kg.namespaces import PREFIXES

_PROLOGUE_ITEM = re.compile(r"\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>", re.I)
_PREFIX_DECL = re.compile(r"PREFIX\s+([^\s:]*):\s*<([^>]*)>", re.I)
_KEYWORD = re.compile(r"[A-Za-z]+")
_STRING = re.compile(
    r'"""[\s\S]*?"""|' r"'''[\s\S]*?'''|" r'"(?:[^"\\\n]|\\.)*"|' r"'(?:[^'\\\n]|\\.)*'"
)
_PROJECTION_TOKEN = re.compile(
    r"\bAS\s+[?$](\w+)|[?$](\w+)|#[^\n]*|<[^>]*>|[(){*]|[^\s(){*?$#<]+", re.I
)
# tokens of the dataset clause: strings and IRIs first, so '#' or 'FROM' inside them is no token
_DATASET_TOKEN = re.compile(
    _STRING.pattern + r"""|<[^<>"{}|^`\\\s]*>|#[^\n]*|[?$]\w+|[^\s<>"'#?$]+""", re.I
)
# the keyword as a word of its own (not prov:wasDerivedFrom): without it there is no clause
_FROM_WORD = re.compile(r"(?<![\w:?$])FROM(?![\w:])", re.I)


def _mentions_from(sparql: str) -> bool:
    """Whether FROM may stand as a word of its own (a cautious yes: strings and comments are
    not told apart here). The case-blind pattern only where a plain search finds the letters,
    which most queries lack or have once or twice inside other words.

    >>> _mentions_from("SELECT * { ?c prov:wasDerivedFrom ?s }"), _mentions_from("ASK FROM<g:x> {}")
    (False, True)
    """
    lowered = sparql.lower()
    at = lowered.find("from")
    while at >= 0:
        if _FROM_WORD.match(sparql, at):  # its lookbehind sees the character before `at`
            return True
        at = lowered.find("from", at + 1)
    return False


_IRI_FORBIDDEN = frozenset('<>"{}|^`\\ \n\t')
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

UPDATE_FORMS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


def _form_at(sparql: str) -> re.Match[str] | None:
    pos = 0
    while (item := _PROLOGUE_ITEM.match(sparql, pos)) and item.end() > pos:
        pos = item.end()
    return _KEYWORD.match(sparql, pos)


def query_form(sparql: str) -> str | None:
    """The keyword that starts a query after its prologue (SELECT, CONSTRUCT, INSERT, ...).

    >>> query_form("# all\\nPREFIX ex: <http://x/#> select * { ?s ?p ?o }")
    'SELECT'
    >>> query_form("{ oops") is None
    True
    """
    word = _form_at(sparql)
    return word.group().upper() if word else None


def projection(sparql: str) -> set[str] | None:
    """The variables a SELECT query returns; None for SELECT *, other forms or unreadable text.

    >>> sorted(projection("SELECT DISTINCT ?f (COUNT(?c) AS ?n) WHERE { ?c ?p ?f }") or [])
    ['f', 'n']
    >>> projection("SELECT * { ?s ?p ?o }") is None
    True
    """
    word = _form_at(sparql)
    if word is None or word.group().upper() != "SELECT":
        return None
    names: set[str] = set()
    depth = 0
    # strings in expressions may hold parentheses: blank them before counting
    for token in _PROJECTION_TOKEN.finditer(_STRING.sub('""', sparql[word.end() :])):
        text, alias, var = token.group(), token.group(1), token.group(2)
        if alias:
            names.add(alias)
        elif var and depth == 0:
            names.add(var)
        elif text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth == 0 and text == "*":
            return None
        elif depth == 0 and (text == "{" or text.upper() in ("WHERE", "FROM")):
            return names
    return None


def check_terms(bindings: Mapping[str, Node]) -> None:
    """Refuse names that are not variables and IRIs that could break out of their brackets.

    >>> check_terms({"f": URIRef('http://x/"> } ?s ?p ?o { <y')})
    Traceback (most recent call last):
    kg.errors.QueryError: not a valid IRI: 'http://x/"> } ?s ?p ?o { <y'
    """
    for name, term in bindings.items():
        if not name.isidentifier():
            raise QueryError(f"not a variable name: {name!r}")
        if isinstance(term, URIRef) and _IRI_FORBIDDEN & set(str(term)):
            raise QueryError(f"not a valid IRI: {str(term)!r}")


def check_bindings(sparql: str, bindings: Mapping[str, Node]) -> None:
    """Refuse bindings that a backend would not apply as asked (QueryError), on every backend.

    Both binding mechanisms act on returned variables only: the embedded engine substitutes
    them before evaluation, and a VALUES block sent to a remote store joins after aggregation,
    where binding any other variable would silently leave counts unchanged.

    >>> f = {"f": URIRef("https://w3id.org/rsme-kg/id/factor/x")}
    >>> check_bindings("SELECT ?f (COUNT(*) AS ?n) { ?c ?p ?f } GROUP BY ?f", f)
    >>> check_bindings("SELECT (COUNT(*) AS ?n) { ?c ?p ?f }", f)
    Traceback (most recent call last):
    kg.errors.QueryError: the query does not return ?f: bind only variables the query returns
    """
    check_terms(bindings)
    returned = projection(sparql) if bindings else None
    for name in bindings:
        if returned is not None and name not in returned:
            raise QueryError(
                f"the query does not return ?{name}: bind only variables the query returns"
            )


@dataclass(frozen=True)
class DatasetClause:
    """The graphs a query names with FROM (default graph) and FROM NAMED (named graphs)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def dataset_clause(sparql: str) -> DatasetClause | None:
    """The query's FROM / FROM NAMED graphs as IRIs; None when one cannot be read for sure.

    Prefixed names are expanded with the query's own prefixes, then the project's.

    >>> clause = dataset_clause("ASK FROM <http://g/1> FROM NAMED study:x { ?s ?p ?o }")
    >>> clause.default_graphs, clause.named_graphs
    (('http://g/1',), ('https://w3id.org/rsme-kg/id/study/x',))
    >>> bool(dataset_clause("SELECT ?from WHERE { ?from ?p 'FROM <x>' } # FROM <y>"))
    False
    """
    if not _mentions_from(sparql):  # most queries: no FROM clause at all, nothing to tokenize
        return DatasetClause()
    prefixes = dict(PREFIXES)
    prefixes.update((m.group(1), m.group(2)) for m in _PREFIX_DECL.finditer(sparql))
    default: list[str] = []
    named: list[str] = []
    tokens = [t.group() for t in _DATASET_TOKEN.finditer(sparql) if not t.group().startswith("#")]
    depth = 0
    for i, token in enumerate(tokens):
        if not token.startswith(("'", '"')):
            depth += token.count("{") - token.count("}")
        if depth or token.upper() != "FROM":
            continue
        is_named = i + 1 < len(tokens) and tokens[i + 1].upper() == "NAMED"
        at = i + 2 if is_named else i + 1
        iri = _iri(tokens[at], prefixes) if at < len(tokens) else None
        if iri is None:
            return None
        (named if is_named else default).append(iri)
    return DatasetClause(tuple(default), tuple(named))


def _iri(token: str, prefixes: dict[str, str]) -> str | None:
    """An absolute IRI written as <iri> or as a prefixed name; None for anything else."""
    if token.startswith("<") and token.endswith(">"):
        iri = token[1:-1]
    else:
        prefix, colon, local = token.partition(":")
        if not colon or prefix not in prefixes:
            return None
        iri = prefixes[prefix] + local
    return iri if _ABSOLUTE.match(iri) else None
