"""Values of the rows of named queries, as the REST routes and services show them.

A row maps variable names to Python values (api.named.select); a language-tagged literal comes
as {"value": ..., "lang": ...}. These helpers turn them into the plain strings and ids of the
response models; no route or service parses a row by hand.
"""

from __future__ import annotations

import re
from typing import Any

from kg.namespaces import ID

# ids are slugs (kg/iris.py); anything else cannot name a resource and is never sent to a store
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")


def text(value: Any) -> str:
    """The lexical form of a bound value (language-tagged literals come as dicts).

    >>> text({"value": "فاصله روانی", "lang": "fa"}), text(2019)
    ('فاصله روانی', '2019')
    """
    return str(value["value"]) if isinstance(value, dict) else str(value)


def maybe_text(value: Any) -> str | None:
    """Like text, but None for an unbound value."""
    return None if value is None else text(value)


def local(iri: str) -> str:
    """The id of an IRI: its fragment, else its last path segment.

    >>> local("https://w3id.org/rsme-kg/ontology#included")
    'included'
    >>> local("https://w3id.org/rsme-kg/id/factor/psychic-distance")
    'psychic-distance'
    """
    return iri.rsplit("#", 1)[1] if "#" in iri else iri.rsplit("/", 1)[-1]


def kind_and_id(iri: str) -> tuple[str, str]:
    """('factor', 'psychic-distance') for a minted IRI; ('', iri) for any other.

    >>> kind_and_id("https://w3id.org/rsme-kg/id/category/human-capital")
    ('category', 'human-capital')
    """
    base = str(ID)
    if iri.startswith(base) and "/" in iri[len(base) :]:
        kind, _, ident = iri[len(base) :].partition("/")
        return kind, ident
    return "", iri


def valid_id(ident: str) -> bool:
    """Whether a path segment can be an id at all (it is bound into a query only then).

    >>> valid_id("psychic-distance"), valid_id("a b"), valid_id("-x")
    (True, False, False)
    """
    return _ID.fullmatch(ident) is not None
