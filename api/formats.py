"""Result formats of the SPARQL endpoint: negotiation per query form, truncation, writing.

Used inside the query worker processes and for answers relayed from a remote store, so the
rules (formats, row limit, header signalling truncation) are the same for both backends.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

import pyoxigraph as ox

from api.conneg import MediaRange, choose, parse_accept

# media type -> pyoxigraph format, in the server's order of preference
RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
# Aliases that clients (and browsers, through ?format=) commonly use for the same types.
ALIASES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "application/json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "application/xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "application/x-turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "text/plain": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nquads": "application/n-quads",
    # spellings SPARQLWrapper and other clients send in format=
    "rdf+xml": "application/rdf+xml",
    "application/x-json+ld": "application/ld+json",
    "n3": "text/turtle",
    "text/n3": "text/turtle",
}
# For a CONSTRUCT asked with a results-only format alias (?format=json), answer JSON-LD.
GRAPH_FALLBACK = {
    "application/sparql-results+json": "application/ld+json",
    "application/sparql-results+xml": "application/rdf+xml",
}


class NotAcceptable(Exception):
    """No format the client accepts can carry this kind of answer (HTTP 406)."""

    def __init__(self, form: str, offers: list[str]) -> None:
        self.form = form
        self.offers = offers
        super().__init__(f"a {form} answer can be sent as: {', '.join(offers)}")


@dataclass(frozen=True)
class Rendered:
    """A serialized answer."""

    media_type: str
    body: bytes
    rows: int
    truncated: bool


def canonical(name: str) -> str:
    """A format name or media type in canonical media-type form."""
    lowered = name.strip().lower()
    return ALIASES.get(lowered, lowered)


# clients send the same few Accept headers over and over: each is read once (a refusal, which
# raises, is not kept)
@lru_cache(maxsize=512)
def negotiate(form: str, accept: str | None, override: str | None) -> str:
    """The media type to answer a query of `form` ('select', 'ask' or 'graph') with."""
    offers = list(GRAPH_TYPES if form == "graph" else RESULT_TYPES)
    if override:
        wanted = canonical(override)
        if form == "graph":
            wanted = GRAPH_FALLBACK.get(wanted, wanted)
        if wanted in offers:
            return wanted
        # an unknown or unfitting format= is ignored: the Accept header decides
    ranges = [_alias(r) for r in parse_accept(accept)]
    chosen = choose(ranges, offers)
    if chosen is None:
        raise NotAcceptable(form, offers)
    return chosen


def _alias(media_range: MediaRange) -> MediaRange:
    """Accept: application/json means SPARQL JSON results here (and likewise for XML)."""
    full = f"{media_range.type}/{media_range.subtype}"
    if "*" in full or full not in ALIASES:
        return media_range
    main, _, sub = ALIASES[full].partition("/")
    return MediaRange(main, sub, media_range.q)


def content_type(media_type: str) -> str:
    """The Content-Type header value (text types get charset=utf-8)."""
    if media_type.startswith("text/") or media_type.endswith(("+json", "+xml", "json")):
        return f"{media_type}; charset=utf-8"
    return media_type


def form_of(answer: object) -> str:
    """'select', 'ask' or 'graph' for a pyoxigraph query answer."""
    if isinstance(answer, ox.QueryBoolean):
        return "ask"
    if isinstance(answer, ox.QueryTriples | list):
        return "graph"
    return "select"


_quoted = json.encoder.encode_basestring  # a JSON string as json.dumps writes it (ensure_ascii off)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _term_json(term: object) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):  # RDF 1.2 triple terms, as SPARQL-star JSON writes them
        return {
            "type": "triple",
            "value": {
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    raise TypeError(f"unexpected term {term!r}")


def _fragment(term: object, known: dict[object, str]) -> str:
    """A term's SPARQL JSON, as json.dumps writes `_term_json(term)`, made once per answer
    (rows repeat their IRIs and labels)."""
    if isinstance(term, ox.NamedNode):
        text = f'{{"type": "uri", "value": {_quoted(term.value)}}}'
    elif isinstance(term, ox.Literal):
        text = f'{{"type": "literal", "value": {_quoted(term.value)}'
        if term.language:
            text += f', "xml:lang": {_quoted(term.language)}}}'
        elif term.datatype.value != _XSD_STRING:
            text += f', "datatype": {_quoted(term.datatype.value)}}}'
        else:
            text += "}"
    else:  # blank nodes and triple terms
        text = json.dumps(_term_json(term), ensure_ascii=False)
    known[term] = text
    return text


def _limited_solutions(answer: ox.QuerySolutions, max_rows: int) -> tuple[bytes, int, bool]:
    """The first `max_rows` solutions as SPARQL JSON, their number, and whether more existed.

    Written piece by piece from each distinct term's JSON, the text json.dumps would write for
    the whole document, without a dictionary per row and term.
    """
    variables = [v.value for v in answer.variables]
    rows = list(islice(answer, max_rows + 1))
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    keys = [_quoted(v) + ": " for v in variables]
    known: dict[object, str] = {}
    bindings = [
        "{"
        + ", ".join(
            key + (known.get(term) or _fragment(term, known))
            for key, term in zip(keys, row, strict=True)
            if term is not None
        )
        + "}"
        for row in rows
    ]
    head = '{"vars": [' + ", ".join(map(_quoted, variables)) + "]}"
    text = f'{{"head": {head}, "results": {{"bindings": [{", ".join(bindings)}]}}}}'
    return text.encode("utf-8"), len(rows), truncated


def render(answer: object, media_type: str, max_rows: int) -> Rendered:
    """Serialize a pyoxigraph answer in `media_type`, keeping at most `max_rows` rows/triples."""
    out = io.BytesIO()
    if isinstance(answer, ox.QueryBoolean):
        answer.serialize(out, RESULT_TYPES[media_type])
        return Rendered(media_type, out.getvalue(), 1, False)
    if isinstance(answer, ox.QueryTriples | list):
        triples = list(islice(answer, max_rows + 1))
        truncated = len(triples) > max_rows
        triples = triples[:max_rows]
        ox.serialize(triples, out, GRAPH_TYPES[media_type], prefixes=_prefixes())
        return Rendered(media_type, out.getvalue(), len(triples), truncated)
    assert isinstance(answer, ox.QuerySolutions)
    data, count, truncated = _limited_solutions(answer, max_rows)
    if media_type == "application/sparql-results+json":
        return Rendered(media_type, data, count, truncated)
    # the other result formats: let pyoxigraph write them from the (limited) JSON
    limited = ox.parse_query_results(data, ox.QueryResultsFormat.JSON)
    limited.serialize(out, RESULT_TYPES[media_type])
    return Rendered(media_type, out.getvalue(), count, truncated)


def _prefixes() -> dict[str, str]:
    from kg.namespaces import PREFIXES

    return PREFIXES


def triples_from(data: bytes, media_type: str) -> Iterator[ox.Triple]:
    """Parse an RDF answer relayed from a remote store."""
    fmt = GRAPH_TYPES[media_type]
    for quad in ox.parse(data, format=fmt):
        yield ox.Triple(quad.subject, quad.predicate, quad.object)


def all_media_types() -> Iterable[str]:
    """Every media type the endpoint can produce."""
    return [*RESULT_TYPES, *GRAPH_TYPES]
