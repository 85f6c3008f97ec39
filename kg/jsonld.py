"""The JSON-LD context of the project: served at /context.jsonld and shipped in releases.

It lives in kg/ (not api/) because a release bundle (kg/release) carries the same bytes as the
server publishes, and kg must not import the web layer.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from kg.namespaces import PREFIXES


def context_document() -> dict[str, Any]:
    """The JSON-LD context of every JSON-LD answer: the project's prefixes."""
    return {"@context": dict(PREFIXES)}


@cache
def context_body() -> bytes:
    """The JSON-LD context as a document (served at /context.jsonld)."""
    return json.dumps(context_document(), indent=2).encode("utf-8")
