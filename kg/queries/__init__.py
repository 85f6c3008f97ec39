"""Named SPARQL queries, stored as .rq files beside this module and loaded by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """The text of a named query, e.g. load('stats-studies') or load('examples/...')."""
    path = QUERY_DIR / f"{name}.rq"
    if not path.is_file():
        known = ", ".join(available())
        raise KeyError(f"no query named {name!r}; known: {known}")
    return path.read_text(encoding="utf-8")


def summary(name: str) -> str:
    """The one-line summary comment at the top of a query file."""
    first = load(name).splitlines()[0]
    return first.lstrip("#").strip()


def available() -> list[str]:
    """The names of all stored queries."""
    return sorted(str(p.relative_to(QUERY_DIR).with_suffix("")) for p in QUERY_DIR.rglob("*.rq"))
