"""Pages of the explorer: the studies, filtered and paged, and one study with its codes.

The JSON of the same views is /studies and /studies/{id}. /studies has no method or country
filter: a list filtered by one has no JSON form, and the page links the nearest instead (the
studies under its other filters).
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from api.fastcache import cacheable
from api.openapi import page_errors
from api.problems import not_found
from api.services.build import kept_rows
from api.services.catalogue import (
    DECISIONS,
    Option,
    StudyFilters,
    catalogue,
    study_detail,
    study_view,
)
from api.services.evidence import BASES, LANGUAGES
from api.services.ids import factor_ids
from api.services.pages import (
    FILTER_ERRORS,
    PAGE_ERRORS,
    Alternate,
    Link,
    Offer,
    Page,
    Params,
    home_crumbs,
    paging,
    respond,
    site,
    with_query,
)

router = APIRouter(tags=["pages"])

STUDY_PAGE = 20  # studies on a page unless the URL asks for another number


@cacheable
@router.get(
    "/explore/studies",
    response_class=HTMLResponse,
    summary="The studies of the corpus, filtered and paged (HTML)",
    responses=page_errors(FILTER_ERRORS),
)
async def explore_studies(
    request: Request,
    year_from: Annotated[str | None, Query(description="Published this year or later.")] = None,
    year_to: Annotated[str | None, Query(description="Published this year or earlier.")] = None,
    language: Annotated[str | None, Query(description="Language: en or fa.")] = None,
    decision: Annotated[
        str | None, Query(description="Screening decision: included or excluded.")
    ] = None,
    method: Annotated[str | None, Query(description="The id of a research method.")] = None,
    country: Annotated[str | None, Query(description="The country the study reports.")] = None,
    factor: Annotated[str | None, Query(description="A factor id: studies with a code for it.")] = (
        None
    ),
    limit: Annotated[str | None, Query(description="Studies on a page (1 to 100).")] = None,
    offset: Annotated[str | None, Query(description="Studies to skip.")] = None,
) -> Response:
    """The studies that pass every filter given (empty ones mean any value), by id."""
    root = site(request)

    async def make(offer: Offer) -> Page:
        found, known_factors = await asyncio.gather(catalogue(request), factor_ids(request))
        params = Params()
        filters = StudyFilters(
            year_from=params.year("year_from", year_from),
            year_to=params.year("year_to", year_to),
            language=params.choice("language", language, {o.value for o in found.languages}),
            decision=params.choice("decision", decision, DECISIONS),
            method=params.choice("method", method, {o.value for o in found.methods}),
            country=params.choice("country", country, {o.value for o in found.countries}),
            factor=params.choice("factor", factor, known_factors),
        )
        params.range(("year_from", filters.year_from), ("year_to", filters.year_to))
        size = params.number("limit", limit, STUDY_PAGE, 1, 100)
        skip = params.number("offset", offset, 0, 0, 1_000_000)
        params.check()
        alternate = _studies_json(f"{root}/studies", filters, size, skip)
        json = offer(alternate.json)
        matching = [s for s in found.studies if filters.admits(s)]
        path = f"{root}/explore/studies"
        factors = found.factors
        if filters.factor and filters.factor not in {o.value for o in factors}:
            # a factor no study is coded with: no study, and the form still names it
            factors = [*factors, Option(filters.factor, filters.factor)]
        return Page(
            "explore_studies.html",
            "Studies",
            home_crumbs(request, Link(path, "Studies")),
            json=json,
            json_note=alternate.note,
            nearest=alternate.nearest,
            iri_page=f"{root}/graph/corpus",
            context={
                "filters": filters,
                "studies": matching[skip : skip + size],
                "total": len(found.studies),
                "paging": paging(path, filters.params(), len(matching), size, skip, STUDY_PAGE),
                "limit": size if size != STUDY_PAGE else None,
                "path": path,
                "languages": LANGUAGES,
                "options": {
                    "language": found.languages,
                    "decision": DECISIONS,
                    "method": found.methods,
                    "country": found.countries,
                    "factor": factors,
                },
                "root": root,
            },
        )

    return await respond(request, f"{root}/explore/studies", make)


def _studies_json(rest: str, filters: StudyFilters, size: int, skip: int) -> Alternate:
    """The JSON of a view of the studies at `rest` (/studies), if it has one: with a method or
    country filter, which /studies lacks, the nearest is the studies under the other filters
    (not the page's slice of them, which would be other studies)."""
    lacking = [name for name in ("method", "country") if getattr(filters, name)]
    if not lacking:
        page = {"limit": str(size)} | ({"offset": str(skip)} if skip else {})
        return Alternate(with_query(rest, {**filters.rest_params(), **page}))
    return Alternate(
        None,
        f"No JSON holds this view: /studies has no filter by {' or '.join(lacking)}.",
        Link(
            with_query(rest, filters.rest_params()), "The studies under its other filters, as JSON"
        ),
    )


@cacheable
@router.get(
    "/explore/studies/{study_id}",
    response_class=HTMLResponse,
    summary="One study: citation, screening, notes, and its codes marked in its title (HTML)",
    responses=page_errors(PAGE_ERRORS),
)
async def explore_study(
    request: Request,
    study_id: Annotated[str, PathParam(description="The id of a study, e.g. ruzzier-2007.")],
) -> Response:
    """The study's citation and bibliographic data, its setting and methods, its screening
    decision with the reason, the editorial notes, and each code with its quote marked."""
    root = site(request)

    async def make(offer: Offer) -> Page:
        row = await study_detail(request, study_id)
        if row is None:
            known = await kept_rows(request, "api/study-list")
            raise not_found("study", study_id, [r["id"] for r in known])
        json = offer(f"{root}/studies/{row['id']}")
        study = await study_view(request, row)
        path = f"{root}/explore/studies/{study.id}"
        return Page(
            "explore_study.html",
            study.title,
            home_crumbs(request, Link(f"{root}/explore/studies", "Studies"), Link(path, study.id)),
            json=json,
            iri_page=f"{root}/id/study/{study.id}",
            context={
                "study": study,
                "languages": LANGUAGES,
                "bases": BASES,
                "root": root,
            },
        )

    here = f"{root}/explore/studies/{quote(study_id, safe='')}"
    return await respond(request, here, make, lambda ident: f"{root}/explore/studies/{ident}")
