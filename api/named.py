"""Run the named queries of kg/queries/ for the REST routes, on either backend.

Values are bound as terms (substitution in the embedded engine, a VALUES block of escaped
terms for a remote store), never pasted into the query text. Bound variables must be ones the
query returns, so both backends bind them before aggregation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from rdflib import Literal, URIRef

from api.problems import Problem
from api.sparql import answer_job
from api.worker import Job
from kg import queries

Row = dict[str, Any]
_NUMERIC: dict[str, Callable[[str], Any]] = {
    "http://www.w3.org/2001/XMLSchema#integer": int,
    "http://www.w3.org/2001/XMLSchema#int": int,
    "http://www.w3.org/2001/XMLSchema#long": int,
    "http://www.w3.org/2001/XMLSchema#nonNegativeInteger": int,
    "http://www.w3.org/2001/XMLSchema#decimal": float,
    "http://www.w3.org/2001/XMLSchema#double": float,
    "http://www.w3.org/2001/XMLSchema#boolean": lambda v: v == "true",
}


def _value(binding: dict[str, Any]) -> Any:
    if binding["type"] == "literal" and "datatype" in binding:
        convert = _NUMERIC.get(binding["datatype"])
        if convert is not None:
            return convert(binding["value"])
    if binding["type"] == "literal" and "xml:lang" in binding:
        return {"value": binding["value"], "lang": binding["xml:lang"]}
    return binding["value"]


def term(value: str | URIRef | Literal) -> str:
    """A value as an N-Triples term: IRIs for URIRef, plain literals for str."""
    if isinstance(value, URIRef | Literal):
        return value.n3()
    return Literal(value).n3()


async def select(
    request: Request, name: str, max_rows: int = 100_000, **bindings: str | URIRef | Literal
) -> list[Row]:
    """The rows of a named SELECT query, values as Python values (language-tagged as dicts)."""
    job = Job(
        queries.load(name),
        "application/sparql-results+json",
        None,
        max_rows=max_rows,
        bindings=tuple((k, term(v)) for k, v in sorted(bindings.items())),
    )
    answer = await answer_job(request, job)
    if answer.status != 200:
        raise Problem(500, "Named query failed", f"{name}: {answer.detail}", kind="query-failed")
    document = json.loads(answer.body)
    return [{k: _value(v) for k, v in row.items()} for row in document["results"]["bindings"]]
