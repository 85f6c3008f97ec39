"""The search index: every searchable text of the graph, folded once, and its ranking.

SPARQL cannot do this matching: REGEX and LCASE neither fold accents nor unify Persian letter
variants and joiners, so the texts are fetched by a few named queries and matched here. The
index is kept per build of the embedded store (api.services.build); a remote store may change
under us, so it is read again for every search.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.models.studies import HitType, SearchHit
from api.rows import local, maybe_text
from api.services.build import kept_rows, once
from kg.text import fold as fold  # the import's rules: one table of letter variants, joiners

_KINDS: dict[str, HitType] = {
    "https://w3id.org/rsme-kg/ontology#Factor": "factor",
    "https://w3id.org/rsme-kg/ontology#FactorCategory": "category",
}
_FIELDS = {
    "http://www.w3.org/2004/02/skos/core#prefLabel": "prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel": "altLabel",
}
# the ranking: exact label > label prefix > label contains > title > author > quote
EXACT, PREFIX, CONTAINS, TITLE, AUTHOR, QUOTE = 1.0, 0.8, 0.6, 0.4, 0.3, 0.2
_FLAT = {"title": TITLE, "author": AUTHOR, "name": AUTHOR, "quote": QUOTE}


@dataclass(frozen=True)
class Entry:
    """One searchable text of the graph and what it belongs to."""

    type: HitType
    id: str
    iri: str
    label: str
    field: str
    text: str
    lang: str | None
    folded: str
    label_folded: str  # the order of hits of equal score
    studies: tuple[str, ...] = ()
    factor: str | None = None


def entry(
    kind: HitType,
    iri: str,
    label: str,
    field: str,
    value: Any,
    studies: tuple[str, ...] = (),
    factor: str | None = None,
) -> Entry:
    """An entry for a text of the graph, folded once (and its label, for the ranking)."""
    plain = maybe_text(value) or ""
    lang = value.get("lang") if isinstance(value, dict) else None
    folded = fold(plain)
    # most entries are a label or a title whose text is the label: fold it once
    label_folded = folded if label == plain else fold(label)
    return Entry(
        kind, local(iri), iri, label, field, plain, lang, folded, label_folded, studies, factor
    )


async def load(request: Request) -> list[Entry]:
    """Every searchable text, read from the graph now."""
    labels, studies, authors, codes = await asyncio.gather(
        kept_rows(request, "api/search-labels"),
        kept_rows(request, "api/study-list"),
        kept_rows(request, "api/study-authors"),
        kept_rows(request, "api/study-codes"),
    )
    entries: list[Entry] = []
    for row in labels:
        label = maybe_text(row.get("display")) or maybe_text(row["label"]) or ""
        field = _FIELDS[row["property"]]
        entries.append(entry(_KINDS[row["kind"]], row["concept"], label, field, row["label"]))
    titles = {row["study"]: maybe_text(row["title"]) or "" for row in studies}
    for row in studies:
        entries.append(entry("study", row["study"], titles[row["study"]], "title", row["title"]))
    works: dict[str, list[str]] = {}
    names: dict[str, Any] = {}
    for row in authors:
        works.setdefault(row["person"], []).append(local(row["study"]))
        names[row["person"]] = row["name"]
        # a study is found through its authors as well as through its title
        title = titles.get(row["study"], "")
        entries.append(entry("study", row["study"], title, "author", row["name"]))
    for person, name in names.items():
        entries.append(
            entry(
                "author", person, maybe_text(name) or "", "name", name, tuple(sorted(works[person]))
            )
        )
    for row in codes:
        quote = maybe_text(row["quote"]) or ""
        study = (local(row["study"]),)
        factor = local(row["factor"])
        entries.append(entry("code", row["code"], quote, "quote", row["quote"], study, factor))
    return entries


async def searchable(request: Request) -> list[Entry]:
    """Every searchable text, read once per build of the embedded store."""
    return await once(request, "search-index", lambda: load(request))


def score(item: Entry, query: str) -> float:
    """How well an entry matches a folded query; 0 when it does not."""
    if query not in item.folded:
        return 0.0
    if item.field in _FLAT:
        return _FLAT[item.field]
    if item.folded == query:
        return EXACT
    return PREFIX if item.folded.startswith(query) else CONTAINS


def rank(entries: list[Entry], query: str, kinds: set[str] | None) -> list[SearchHit]:
    """The best match of each thing the query is found in, best first, ties by label."""
    best: dict[tuple[str, str], tuple[float, bool, Entry]] = {}
    for item in entries:
        if kinds is not None and item.type not in kinds:
            continue
        value = score(item, query)
        if value == 0.0:
            continue
        key = (item.type, item.id)
        # on equal scores a preferred label is the better witness than an alternative one
        candidate = (value, item.field == "prefLabel", item)
        if key not in best or candidate[:2] > best[key][:2]:
            best[key] = candidate
    ordered = sorted(best.values(), key=lambda c: (-c[0], c[2].label_folded, c[2].type, c[2].id))
    return [
        SearchHit(
            type=item.type,
            id=item.id,
            iri=item.iri,
            label=item.label,
            matched=item.text,
            field=item.field,
            lang=item.lang,
            score=value,
            studies=list(item.studies),
            factor=item.factor,
        )
        for value, _, item in ordered
    ]


async def hits(request: Request, query: str, kinds: set[str] | None) -> list[SearchHit]:
    """Every hit of a folded query (of the given types only, if any), best first."""
    return rank(await searchable(request), query, kinds)
