"""REST routes: search across factors, categories, studies, authors and quotes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.fastcache import cacheable
from api.models.studies import HitType, SearchResults
from api.problems import Problem
from api.services import search as index

router = APIRouter(tags=["search"])

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


@cacheable
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
    query = index.fold(q)
    if len(query) < 2:  # e.g. a letter padded with joiners that folding removes
        raise Problem(
            422,
            "Invalid parameters",
            "the query needs at least 2 characters besides spaces, marks and joiners",
            kind="invalid-parameters",
            errors=[{"location": ["query", "q"], "message": "too short once folded"}],
        )
    hits = await index.hits(request, query, set(kinds) if kinds else None)
    return SearchResults(query=q, total=len(hits), results=hits[:limit])
