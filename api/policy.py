"""What the public endpoint refuses before any query runs: updates, SERVICE calls, size, depth.

The facade is read-only, and outside requests must never make the server fetch arbitrary
URLs: SPARQL SERVICE would do exactly that, so each target is checked against an allow-list.
One single-pass lexer separates IRIs, string literals and comments from the query's own
words, so that neither can hide a keyword from the checks below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.store.sparqltext import UPDATE_FORMS, query_form

# SPARQL's IRIREF: no spaces, quotes, braces, pipes, carets, backquotes or backslashes inside.
_IRIREF = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_LONG_STRING = {
    "'''": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
}
_SHORT_STRING = {
    "'": re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
    '"': re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
}
# A keyword, not part of a variable (?service), prefixed name (ex:service) or longer word.
_SERVICE = re.compile(
    r"(?<![?$:\w.-])SERVICE\b(\s+SILENT\b)?\s*(<[^>]*>|[?$]\w+|[\w.-]*:[\w.-]*)", re.IGNORECASE
)
MAX_DEPTH = 200  # nested { ( [ beyond this overflow parsers' stacks (and crash some stores)
SECOND_OPINION_LIMIT = 20_000  # characters a full parse may take without blocking the server


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, with the HTTP status to send."""

    status: int
    title: str
    detail: str


class UnclosedToken(ValueError):
    """A string literal or IRI that never closes: the query cannot be vetted."""


# One pass of one compiled pattern finds every token that hides the query's own words: IRIs,
# long and short string literals, comments, and a quote that opens a literal never closed (a
# triple quote that does not close a long literal is unclosed, never two empty strings). What
# matches none of them (a lone '<' is the less-than operator) stays as it is.
_HIDING = re.compile(
    # the lookahead first: positions that cannot start a token are passed over in one test
    "(?=[<'\"#])(?:"
    + "|".join(
        (
            f"(?P<iri>{_IRIREF.pattern})",
            # only a long literal spans lines: its part alone is DOTALL (as _LONG_STRING)
            "(?P<long>(?s:" + "|".join(p.pattern for p in _LONG_STRING.values()) + "))",
            "(?P<open_long>'''|\"\"\")",
            "(?P<short>" + "|".join(p.pattern for p in _SHORT_STRING.values()) + ")",
            "(?P<open>['\"])",
            "(?P<comment>#[^\n]*)",
        )
    )
    + ")"
)


def _keep_code(match: re.Match[str]) -> str:
    kind, text = match.lastgroup, match.group()
    if kind == "iri":
        return text  # an IRI: quotes and '#' inside it mean nothing
    if kind in ("long", "short"):
        return text[0] * 2
    if kind == "comment":
        return " "
    raise UnclosedToken(f"a string literal opened at character {match.start()} is not closed")


def code_only(query: str) -> str:
    """The query's own words: string literals emptied, comments dropped, IRIs kept whole.

    >>> code_only("SELECT * { ?s ?p 'SERVICE # x' } # SERVICE <http://e/>")
    "SELECT * { ?s ?p '' }  "
    >>> code_only("SELECT * { BIND(<http://a/'> AS ?x) }")
    "SELECT * { BIND(<http://a/'> AS ?x) }"
    >>> code_only("ASK { FILTER (1 < 2 && '''a''b''' != 'c') }")
    "ASK { FILTER (1 < 2 && '' != '') }"
    """
    return _HIDING.sub(_keep_code, query)


def nesting_depth(code: str) -> int:
    """The deepest nesting of braces, parentheses and brackets in query code.

    >>> nesting_depth("SELECT * { ?s ?p ?o FILTER ((1)) }")
    3
    """
    depth = deepest = 0
    for char in code:
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth -= 1
    return deepest


def service_targets(query: str) -> list[str]:
    """The targets of every SERVICE clause: IRIs, variables or prefixed names as written.

    >>> service_targets("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } } # SERVICE <http://y>")
    ['<http://x/sparql>']
    >>> service_targets("SELECT ?service { ?service ex:service ?o }")
    []
    """
    return [m.group(2) for m in _SERVICE.finditer(code_only(query))]


def parsed_service_targets(query: str) -> list[str] | None:
    """SERVICE targets found by a full SPARQL parser (rdflib), or None if it cannot parse.

    A second opinion whenever a query mentions 'service': the lexer above must not be the
    only thing between a request and an outbound connection.
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


def _service_refusal(target: str) -> Refusal:
    return Refusal(
        403,
        "SERVICE not allowed",
        f"federated query to {target} refused: only IRIs in the service allow-list "
        "may be called (setting RSME_KG_SERVICE_ALLOWLIST)",
    )


# SPARQL 1.1 (section 19.2): \uXXXX and \UXXXXXXXX may stand anywhere in a query and are
# replaced before it is parsed, so `SERVIC\u0045` is the keyword SERVICE to a store that
# follows the letter (Jena does; pyoxigraph expands them only in IRIs and strings)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def expand_codepoints(query: str) -> str:
    """The query as a store that replaces codepoint escapes before parsing reads it.

    >>> expand_codepoints(r"SERVIC\u0045 <http://x/> \U00000041")
    'SERVICE <http://x/> A'
    """

    def codepoint(match: re.Match[str]) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else match.group()

    return _CODEPOINT.sub(codepoint, query)


def check(query: str, *, max_length: int, service_allowlist: list[str]) -> Refusal | None:
    """The refusal for a query, or None when it may run.

    A query with codepoint escapes is checked twice, as written (as pyoxigraph reads it) and
    with the escapes replaced (as a store that follows SPARQL 1.1 section 19.2 does): it runs
    only if neither reading is refused.
    """
    if len(query) > max_length:
        return Refusal(
            413,
            "Query too long",
            f"the query has {len(query)} characters; the limit is {max_length}",
        )
    refusal = _check_text(query, service_allowlist)
    if refusal is None and _CODEPOINT.search(query):
        expanded = expand_codepoints(query)
        refusal = _check_text(expanded, service_allowlist)
        # an escaped quote inside a literal ('it\u0027s') is fine to pyoxigraph but leaves the
        # expanded text unreadable: refused only when that text could call out
        if refusal is not None and refusal.status == 400 and "service" not in expanded.lower():
            refusal = None
    return refusal


def _check_text(query: str, service_allowlist: list[str]) -> Refusal | None:
    """The refusals other than length, for one reading of the query text."""
    try:
        code = code_only(query)
    except UnclosedToken as exc:
        return Refusal(400, "Malformed query", f"the query does not parse: {exc}")
    # a byte-order mark is no word of the query: read past it as past a space
    if query_form(code.replace("\ufeff", " ")) in UPDATE_FORMS:  # the one reader (kg.store)
        return Refusal(
            403,
            "Read-only endpoint",
            "this endpoint answers queries only; SPARQL Update (and LOAD) is refused",
        )
    # no bracket can be deeper than the number of opening brackets: count first (in C)
    opening = code.count("{") + code.count("(") + code.count("[")
    depth = nesting_depth(code) if opening > MAX_DEPTH else 0
    if depth > MAX_DEPTH:
        return Refusal(
            400,
            "Query too deeply nested",
            f"the query nests braces and parentheses {depth} deep; the limit is {MAX_DEPTH}",
        )
    allowed = {a.strip().rstrip("/") for a in service_allowlist}
    # the keyword can only be where the word is: most queries skip both SERVICE checks
    targets = [m.group(2) for m in _SERVICE.finditer(code)] if "service" in code.lower() else []
    if "service" in query.lower():
        if len(query) > SECOND_OPINION_LIMIT:
            if targets or not allowed:  # can't vouch for a long query that may call out
                return Refusal(
                    403,
                    "SERVICE not allowed",
                    "a long query that mentions SERVICE cannot be checked; "
                    "shorten it or remove the SERVICE clause",
                )
        else:
            second = parsed_service_targets(query)
            if second is None and targets:
                return Refusal(
                    403,
                    "SERVICE not allowed",
                    "the query mentions SERVICE in a way that could not be checked",
                )
            targets = targets + (second or [])
    for target in targets:
        iri = target[1:-1].rstrip("/") if target.startswith("<") else None
        if iri is None or iri not in allowed:
            return _service_refusal(target)
    return None
