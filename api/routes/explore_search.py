"""Page of the explorer: search in English and Persian, the results grouped by kind.

The matching is /search's (api.services.search, kg.text.fold): case, accents, Arabic and
Persian letter variants and the zero-width non-joiner make no difference. Each result leads to
its page in the explorer.
"""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.fastcache import cacheable
from api.models.studies import SearchHit
from api.openapi import page_errors
from api.services import search as index
from api.services.evidence import script_lang
from api.services.pages import (
    FILTER_ERRORS,
    Link,
    Offer,
    Page,
    Params,
    home_crumbs,
    respond,
    site,
    with_query,
)
from api.services.taxonomy import categories, factor_summaries

router = APIRouter(tags=["pages"])

# the kinds of results shown, in this order, with their headings and explorer paths
KINDS = {
    "factor": ("Factors", "explore/factors"),
    "category": ("Categories", "explore/categories"),
    "study": ("Studies", "explore/studies"),
}
LONGEST = 200  # characters of a query, as /search
JSON_MOST = 100  # the most results /search gives (its largest limit)
_FIELDS = {
    "prefLabel": "label",
    "altLabel": "alternative label",
    "title": "title",
    "author": "author",
}


@dataclass(frozen=True)
class Result:
    """One result as the page lists it: its page, its labels, and what the query matched."""

    href: str
    label: str
    label_lang: str | None
    label_fa: str | None
    note: str | None
    matched: str | None
    matched_lang: str | None
    field: str


@dataclass(frozen=True)
class Group:
    """The results of one kind."""

    kind: str
    heading: str
    results: list[Result]


async def _groups(request: Request, query: str) -> list[Group]:
    hits, factors, known = await asyncio.gather(
        index.hits(request, query, set(KINDS)), factor_summaries(request), categories(request)
    )
    persian = {f.id: f.label_fa for f in factors} | {c.id: c.label_fa for c in known}
    notes = {f.id: f.category.label for f in factors}
    root = site(request)

    def result(hit: SearchHit) -> Result:
        label_fa = persian.get(hit.id) if hit.type != "study" else None
        # the text matched, when it is not the label already shown
        shown = {hit.label, label_fa}
        matched = hit.matched if hit.matched not in shown else None
        return Result(
            href=f"{root}/{KINDS[hit.type][1]}/{hit.id}",
            label=hit.label,
            label_lang=script_lang(hit.label),
            label_fa=label_fa,
            note=notes.get(hit.id) if hit.type == "factor" else None,
            matched=matched,
            matched_lang=hit.lang or script_lang(matched),
            field=_FIELDS.get(hit.field, hit.field),
        )

    return [
        Group(kind, heading, [result(h) for h in hits if h.type == kind])
        for kind, (heading, _) in KINDS.items()
    ]


@cacheable
@router.get(
    "/explore/search",
    response_class=HTMLResponse,
    summary="Search factors, categories and studies in English and Persian (HTML)",
    responses=page_errors(FILTER_ERRORS),
)
async def explore_search(
    request: Request,
    q: Annotated[
        str | None,
        Query(
            description="Text to find; case, accents, Persian letter variants and joiners are "
            "ignored. Empty: the search form alone.",
            examples=["psychic", "سرمایه"],
        ),
    ] = None,
) -> Response:
    """The factors, categories and studies whose labels, titles or authors contain the text,
    grouped by kind, best first."""
    root = site(request)
    # control characters are never part of a word: a NUL typed into a URL finds nothing
    query = " ".join("".join(c for c in q or "" if unicodedata.category(c) != "Cc").split())

    async def make(offer: Offer) -> Page:
        folded = index.fold(query)
        params = Params()
        if len(query) > LONGEST:
            params.wrong("q", query[:LONGEST] + "…", f"at most {LONGEST} characters")
        elif query and len(folded) < 2:
            params.wrong("q", query, "at least 2 characters besides spaces, marks and joiners")
        params.check()
        # the JSON of the view: /search of the same kinds, as many results as it gives
        rest: dict[str, str | list[str]] = {
            "q": query,
            "type": list(KINDS),
            "limit": str(JSON_MOST),
        }
        json = offer(with_query(f"{root}/search", rest) if query else None)
        groups = await _groups(request, folded) if query else []
        found = sum(len(g.results) for g in groups)
        # the page shows every result, /search at most JSON_MOST: say so when that is fewer
        fewer = f"the first {JSON_MOST} of the {found} results" if found > JSON_MOST else None
        path = f"{root}/explore/search"
        return Page(
            "explore_search.html",
            f"Search: {query}" if query else "Search",
            home_crumbs(request, Link(path, "Search")),
            json=json,
            json_note=fewer,
            iri_page=f"{root}/id/scheme/factors",
            context={
                "query": query,
                "query_lang": script_lang(query),
                "groups": groups,
                "found": found,
                "path": path,
            },
        )

    return await respond(request, f"{root}/explore/search", make)
