"""REST routes: search across factors, categories, studies, authors and quotes."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.models.studies import HitType, SearchHit, SearchResults
from api.named import select
from api.problems import Problem
from api.routes.studies import last_segment, text

router = APIRouter(tags=["search"])

# Persian is written with Arabic-script letters that have Arabic look-alikes (yeh, kaf) and
# with joiners that do not change the word (zero-width non-joiner, tatweel, direction marks)
_SCRIPT = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # Arabic alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u200e": None,  # left-to-right mark
        "\u200f": None,  # right-to-left mark
        "\u0640": None,  # tatweel
    }
)
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


def fold(value: str) -> str:
    """Text folded for matching: no accents, no case, Persian letter variants unified.

    >>> fold("Grèzes-BÜRCHER")
    'grezes-burcher'
    >>> fold("سرمايه") == fold("سرمایه")
    True
    >>> fold("ویژگی\u200cهای") == fold("ویژگیهای")
    True
    """
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().translate(_SCRIPT).split())


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
    """An entry for a text of the graph, folded once."""
    plain = text(value) or ""
    lang = value.get("lang") if isinstance(value, dict) else None
    return Entry(
        kind, last_segment(iri), iri, label, field, plain, lang, fold(plain), studies, factor
    )


async def _load(request: Request) -> list[Entry]:
    labels, studies, authors, codes = await asyncio.gather(
        select(request, "api/search-labels"),
        select(request, "api/study-list"),
        select(request, "api/study-authors"),
        select(request, "api/study-codes"),
    )
    entries: list[Entry] = []
    for row in labels:
        label = text(row.get("display")) or text(row["label"]) or ""
        field = _FIELDS[row["property"]]
        entries.append(entry(_KINDS[row["kind"]], row["concept"], label, field, row["label"]))
    titles = {row["study"]: text(row["title"]) or "" for row in studies}
    for row in studies:
        entries.append(entry("study", row["study"], titles[row["study"]], "title", row["title"]))
    works: dict[str, list[str]] = {}
    names: dict[str, Any] = {}
    for row in authors:
        works.setdefault(row["person"], []).append(last_segment(row["study"]))
        names[row["person"]] = row["name"]
        # a study is found through its authors as well as through its title
        title = titles.get(row["study"], "")
        entries.append(entry("study", row["study"], title, "author", row["name"]))
    for person, name in names.items():
        entries.append(
            entry("author", person, text(name) or "", "name", name, tuple(sorted(works[person])))
        )
    for row in codes:
        quote = text(row["quote"]) or ""
        study = (last_segment(row["study"]),)
        factor = last_segment(row["factor"])
        entries.append(entry("code", row["code"], quote, "quote", row["quote"], study, factor))
    return entries


async def searchable(request: Request) -> list[Entry]:
    """Every searchable text, fetched once per build of the embedded store."""
    # SPARQL cannot do this matching: REGEX and LCASE neither fold accents nor unify Persian
    # letter variants and joiners, so the texts are fetched by a few named queries and matched
    # here. The embedded graph is read-only between builds, so they are kept per build id; a
    # remote store has no build id here and may change under us, so it is asked every time.
    build = request.app.state.manifest.get("build_id")
    cached: dict[str, list[Entry]] = getattr(request.app.state, "search_index", {})
    if build is not None and build in cached:
        return cached[build]
    entries = await _load(request)
    if build is not None:
        request.app.state.search_index = {build: entries}
    return entries


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
    ordered = sorted(best.values(), key=lambda c: (-c[0], fold(c[2].label), c[2].type, c[2].id))
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


SEARCH_EXAMPLE: dict[str, Any] = {
    "query": "ruzzier",
    "total": 2,
    "results": [
        {
            "type": "study",
            "id": "ruzzier-2007",
            "iri": "https://w3id.org/rsme-kg/id/study/ruzzier-2007",
            "label": "Human Capital and SME Internationalization: A Structural Equation "
            "Modeling Study",
            "matched": "Ruzzier, M.",
            "field": "author",
            "lang": None,
            "score": 0.3,
            "studies": [],
            "factor": None,
        },
        {
            "type": "author",
            "id": "ruzzier-m",
            "iri": "https://w3id.org/rsme-kg/id/person/ruzzier-m",
            "label": "Ruzzier, M.",
            "matched": "Ruzzier, M.",
            "field": "name",
            "lang": None,
            "score": 0.3,
            "studies": ["ruzzier-2007"],
            "factor": None,
        },
    ],
}


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Search factors, categories, studies, authors and quotes (English and Persian)",
    responses={200: {"content": {"application/json": {"example": SEARCH_EXAMPLE}}}},
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=200,
            description="Text to find; case, accents and Persian letter variants are ignored",
            examples=["psychic", "سرمایه"],
        ),
    ],
    kinds: Annotated[
        list[HitType] | None,
        Query(alias="type", description="Only hits of these types (repeat for several)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Most results to return.")] = 20,
) -> SearchResults:
    """Typed hits ranked: exact label, label prefix, label contains, title, author, quote."""
    query = fold(q)
    if len(query) < 2:  # e.g. a letter padded with joiners that folding removes
        raise Problem(
            422,
            "Invalid parameters",
            "the query needs at least 2 characters besides spaces, marks and joiners",
            kind="invalid-parameters",
            errors=[{"location": ["query", "q"], "message": "too short once folded"}],
        )
    hits = rank(await searchable(request), query, set(kinds) if kinds else None)
    return SearchResults(query=q, total=len(hits), results=hits[:limit])
