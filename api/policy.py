"""What the public endpoint refuses before any query runs: updates, SERVICE calls, size.

The facade is read-only, and outside requests must never make the server fetch arbitrary
URLs: SPARQL SERVICE would do exactly that, so each target is checked against an allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Comments and string literals can contain any keyword; strip them before looking.
_STRINGS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
)
_COMMENT = re.compile(r"#[^\n]*")
_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_PROLOGUE = re.compile(r"^\s*((BASE\s*<[^>]*>|PREFIX\s+[^\s:]*:\s*<[^>]*>)\s*)*", re.IGNORECASE)
_UPDATE = re.compile(r"^(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)
_SERVICE = re.compile(r"\bSERVICE\b(\s+SILENT\b)?\s*(<[^>]*>|[?$]\w+|\w*:\w*)", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, with the HTTP status to send."""

    status: int
    title: str
    detail: str


def _strip(query: str) -> str:
    """The query without comments and string literals (IRIs kept)."""
    # strings first: a '#' inside a string is not a comment
    without_strings = _STRINGS.sub('""', query)
    # a '#' inside an IRI is not a comment either: protect IRIs while removing comments
    iris: list[str] = []

    def keep(match: re.Match[str]) -> str:
        iris.append(match.group(0))
        return f"\x00{len(iris) - 1}\x00"

    protected = _IRI.sub(keep, without_strings)
    uncommented = _COMMENT.sub(" ", protected)
    return re.sub(r"\x00(\d+)\x00", lambda m: iris[int(m.group(1))], uncommented)


def is_update(query: str) -> bool:
    """Whether the text is a SPARQL Update request rather than a query.

    >>> is_update("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }")
    True
    >>> is_update("SELECT * WHERE { ?s ?p 'INSERT' }")
    False
    """
    body = _PROLOGUE.sub("", _strip(query), count=1)
    return bool(_UPDATE.match(body.lstrip()))


def service_targets(query: str) -> list[str]:
    """The targets of every SERVICE clause: IRIs, variables or prefixed names as written.

    >>> service_targets("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } } # SERVICE <http://y>")
    ['<http://x/sparql>']
    """
    return [m.group(2) for m in _SERVICE.finditer(_strip(query))]


def parsed_service_targets(query: str) -> list[str] | None:
    """SERVICE targets found by a full SPARQL parser (rdflib), or None if it cannot parse.

    A second opinion for queries that mention 'service' anywhere: the text scan above must
    not be the only thing between a request and an outbound connection.
    """
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateQuery, traverse
    from rdflib.plugins.sparql.parser import parseQuery

    from kg.namespaces import PREFIXES

    try:
        algebra = translateQuery(parseQuery(query), initNs=PREFIXES).algebra
    except Exception:  # any parser failure means: cannot vouch for this query
        return None
    found: list[str] = []

    def visit(node: object) -> None:
        if getattr(node, "name", None) == "ServiceGraphPattern":
            term = node.get("term")  # type: ignore[attr-defined]
            found.append(f"<{term}>" if isinstance(term, URIRef) else f"?{term}")

    traverse(algebra, visitPost=visit)
    return found


def check(query: str, *, max_length: int, service_allowlist: list[str]) -> Refusal | None:
    """The refusal for a query, or None when it may run."""
    if len(query) > max_length:
        return Refusal(
            413,
            "Query too long",
            f"the query has {len(query)} characters; the limit is {max_length}",
        )
    if is_update(query):
        return Refusal(
            403,
            "Read-only endpoint",
            "this endpoint answers queries only; SPARQL Update (and LOAD) is refused",
        )
    allowed = {a.strip().rstrip("/") for a in service_allowlist}
    targets = service_targets(query)
    if not targets and "service" in query.lower():
        second = parsed_service_targets(query)
        if second is None:
            return Refusal(
                403,
                "SERVICE not allowed",
                "the query mentions SERVICE in a way that could not be checked",
            )
        targets = second
    for target in targets:
        iri = target[1:-1].rstrip("/") if target.startswith("<") else None
        if iri is None or iri not in allowed:
            return Refusal(
                403,
                "SERVICE not allowed",
                f"federated query to {target} refused: only IRIs in the service allow-list "
                "may be called (setting RSME_KG_SERVICE_ALLOWLIST)",
            )
    return None
