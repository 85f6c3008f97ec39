"""Where SPARQL servers depart from the protocol, and how the remote store absorbs it.

Each departure was found on a real server (Virtuoso open source 7.2, in the contract suite):
answers it cuts short and marks only in headers, blank node labels strict readers refuse, a
copy of the query at the end of its error messages, content negotiation that answers a
CONSTRUCT with a table, and bound values that it refuses (or, after a BIND, misapplies) as a
trailing VALUES block. The functions are pure: each shows its case in a doctest.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterable, Mapping

from kg.store.sparqltext import query_form

# Virtuoso's "anytime" queries: past its time limit (its MaxQueryExecutionTime setting, or a
# request's `timeout` parameter) it answers 200 with the solutions found so far and says so only
# in these headers. A partial answer is not the answer: it is refused as a timeout.
_PARTIAL_STATE = "S1TAT"
_STATE_HEADER = "X-SQL-State"
# Virtuoso's limit on the rows of an answer (its ResultSetMaxRows setting): a SELECT answer cut
# there carries this header and is refused too. (A CONSTRUCT answer is cut without a word:
# the README tells operators to set the limit above the facade's own.)
_MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
# The SQL state of Virtuoso's error when a query outruns its MaxQueryExecutionTime setting.
TIMED_OUT = re.compile(r"\bS1T00\b")
# Virtuoso ends its error messages with a copy of the query it received ("SPARQL query:\n"
# and the text, prologue and all), which would bury the message; the caller has the query.
_QUERY_ECHO = re.compile(r"\s*\bSPARQL query:\n[\s\S]*\Z")
# Blank node labels that a SPARQL JSON reader must take (Virtuoso writes "nodeID://b10001").
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?")
# Tokens that decide where a query's groups are: strings and IRIs whole (braces inside them
# are no groups), comments, braces.
_STRINGS = re.compile(
    r'"""[\s\S]*?"""|' r"'''[\s\S]*?'''|" r'"(?:[^"\\\n]|\\.)*"|' r"'(?:[^'\\\n]|\\.)*'"
)
_ALIAS = re.compile(r"\bAS\s+[?$](\w+)", re.I)
_GROUP_TOKEN = re.compile(
    r'"""[\s\S]*?"""|'
    r"'''[\s\S]*?'''|"
    r'"(?:[^"\\\n]|\\.)*"|'
    r"'(?:[^'\\\n]|\\.)*'|"
    r'<[^<>"{}|^`\\\s]*>|#[^\n]*|[{}]'
)
_RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
}
_RDF_TYPES = {
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
    "text/plain",
    "application/x-turtle",
}
_TABULAR_FORMS = {"SELECT", "ASK"}
_GRAPH_FORMS = {"CONSTRUCT", "DESCRIBE"}


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def without_echo(message: str) -> str:
    """An error message without Virtuoso's copy of the query.

    >>> without_echo("Error SP030: line 1: syntax error\\n\\nSPARQL query:\\nSELEC ?s")
    'Error SP030: line 1: syntax error'
    """
    return _QUERY_ECHO.sub("", message)


def cut_short(headers: Mapping[str, str] | http.client.HTTPMessage) -> tuple[str, bool] | None:
    """Why an answer holds only part of the solutions (Virtuoso's headers), and whether at a
    time limit (else at a row limit); None for a whole answer.

    >>> cut_short({"X-SQL-State": "S1TAT", "X-SQL-Message": "RC...: Returning incomplete"})
    ('RC...: Returning incomplete', True)
    >>> cut_short({"X-SPARQL-MaxRows": "10000"})
    ('it returns at most 10000 rows: its ResultSetMaxRows setting', False)
    >>> cut_short({}) is None
    True
    """
    if str(headers.get(_STATE_HEADER, "")).strip().upper() == _PARTIAL_STATE:
        return str(headers.get("X-SQL-Message", "")).strip() or _PARTIAL_STATE, True
    rows = headers.get(_MAX_ROWS_HEADER)
    if rows is not None:
        return f"it returns at most {str(rows).strip()} rows: its ResultSetMaxRows setting", False
    return None


def valid_bnodes(body: bytes) -> bytes:
    """A SPARQL JSON answer whose blank node labels every reader takes.

    Virtuoso labels blank nodes "nodeID://b10001", which strict readers (pyoxigraph) refuse.
    Labels only name a node within one answer, so all are renamed b0, b1, ... consistently;
    an answer whose labels are valid already is returned as it is.

    >>> body = b'{"head": {"vars": ["x"]}, "results": {"bindings": ['
    >>> body += b'{"x": {"type": "bnode", "value": "nodeID://b7"}}]}}'
    >>> json.loads(valid_bnodes(body))["results"]["bindings"][0]["x"]["value"]
    'b0'
    """
    if b"bnode" not in body:
        return body
    try:
        document = json.loads(body)
    except ValueError:
        return body  # not JSON: the reader says so
    results = document.get("results") if isinstance(document, dict) else None
    rows = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(rows, list):
        return body
    nodes = [
        term
        for row in rows
        if isinstance(row, dict)
        for term in row.values()
        if isinstance(term, dict) and term.get("type") == "bnode"
    ]
    if all(_BNODE_LABEL.fullmatch(str(term.get("value", ""))) for term in nodes):
        return body
    names: dict[str, str] = {}
    for term in nodes:
        term["value"] = names.setdefault(str(term.get("value")), f"b{len(names)}")
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def accept_for(query: str, accept: str) -> str:
    """The Accept header without the media types that cannot carry the query's kind of answer.

    Asked for SPARQL JSON results first, Virtuoso writes a CONSTRUCT answer as a results table
    (?s ?p ?o), and asked for Turtle a SELECT answer as a graph: either would be read as the
    other kind. Left as it is when nothing would remain (the endpoint then answers 406).

    >>> accept_for("CONSTRUCT WHERE { ?s ?p ?o }", "application/sparql-results+json, text/turtle")
    'text/turtle'
    """
    form = query_form(query)
    if form in _GRAPH_FORMS:
        unfit = _RESULT_TYPES
    elif form in _TABULAR_FORMS:
        unfit = _RDF_TYPES
    else:
        return accept
    kept = [
        part.strip()
        for part in accept.split(",")
        if part.split(";", 1)[0].strip().lower() not in unfit
    ]
    return ", ".join(kept) if kept else accept


def _aliases(sparql: str) -> set[str]:
    """The variables a query's projection defines with `(expression AS ?name)`.

    >>> sorted(_aliases("SELECT ?f (COUNT(?c) AS ?n) WHERE { BIND (1 AS ?x) }"))
    ['n']
    """
    first = next((t for t in _GROUP_TOKEN.finditer(sparql) if t.group() == "{"), None)
    head = sparql[: first.start()] if first else sparql
    return set(_ALIAS.findall(_STRINGS.sub('""', head)))


def values_inside(sparql: str, form: str | None, names: Iterable[str], values: str) -> str | None:
    """The query with a VALUES block joined inside its WHERE group, where that means the same
    as the trailing block the protocol allows; None where it may not, or where the text has
    no such group (the short CONSTRUCT WHERE, a DESCRIBE of IRIs, a VALUES of its own).

    Virtuoso refuses a trailing block on any form but SELECT (SP031), and on a SELECT whose
    pattern has a BIND it sets the bound variable in every row instead of joining (answers
    with other factors' codes under the bound factor). Inside, as `{ { P } VALUES ... }`, it
    is the trailing block's Join(P, VALUES) as long as no bound variable is computed by the
    projection (an aggregate's `AS ?n`, which exists only after grouping): those stay trailing.

    >>> print(values_inside("ASK { ?s ?p '}' }", "ASK", ["s"], "VALUES ?s { <x:a> }"))
    ASK { { ?s ?p '}'
    } VALUES ?s { <x:a> } }
    >>> values_inside("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "SELECT", ["n"], "VALUES ?n {1}")
    """
    if form == "SELECT" and _aliases(sparql) & set(names):
        return None
    groups: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for token in _GROUP_TOKEN.finditer(sparql):
        text = token.group()
        if text == "{":
            if depth == 0:
                start = token.start()
            depth += 1
        elif text == "}":
            depth -= 1
            if depth == 0:
                groups.append((start, token.start()))
            elif depth < 0:
                return None
    wanted = 2 if form == "CONSTRUCT" else 1  # a CONSTRUCT's template comes first
    if depth != 0 or len(groups) != wanted:
        return None
    open_at, close_at = groups[-1]
    body = sparql[open_at + 1 : close_at].rstrip()  # a comment on its last line ends there
    return f"{sparql[: open_at + 1]} {{{body}\n}} {values} {sparql[close_at:]}"
