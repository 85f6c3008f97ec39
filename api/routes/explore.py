"""Pages of the explorer: the factor categories, a category's factors, a factor's evidence.

Each page is HTML for people, drawn from the same services as the REST routes it links to as
its JSON form (/categories, /categories/{id}, /factors/{id}/evidence); filters are plain query
parameters of a GET form, so every view has a URL to share and works without JavaScript.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from api.fastcache import cacheable
from api.named import Row
from api.openapi import page_errors
from api.problems import not_found
from api.rows import text
from api.services.analysis import factor_weights
from api.services.build import by_factor
from api.services.evidence import (
    BASES,
    DIRECTIONS,
    LANGUAGES,
    UNSPECIFIED,
    EvidenceFilters,
    EvidenceItem,
    factor_evidence,
    study_languages,
)
from api.services.ids import known_factor
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
from api.services.taxonomy import categories, factor_summary, rank, weighted_factors, with_weight

router = APIRouter(tags=["pages"])

EVIDENCE_PAGE = 20  # codes on a page unless the URL asks for another number


def _weight(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


@cacheable
@router.get(
    "/explore",
    response_class=HTMLResponse,
    summary="The explorer: every factor category with its factors and supporting studies (HTML)",
    responses=page_errors({406: PAGE_ERRORS[406]}),
)
async def explore(request: Request) -> Response:
    """The categories of the taxonomy, each with its numbers, leading to its factors."""
    root = site(request)

    async def make(offer: Offer) -> Page:
        json = offer(f"{root}/categories")
        known = await categories(request)
        return Page(
            "explore.html",
            "Explore the factors",
            home_crumbs(request),
            json=json,
            iri_page=f"{root}/id/scheme/factors",
            context={"categories": known, "root": root},
        )

    return await respond(request, f"{root}/explore", make)


@cacheable
@router.get(
    "/explore/categories/{category_id}",
    response_class=HTMLResponse,
    summary="A factor category's factors: studies supporting, settings, weight and rank (HTML)",
    responses=page_errors(PAGE_ERRORS),
)
async def explore_category(
    request: Request,
    category_id: Annotated[str, PathParam(description="The id of a category, e.g. human-capital.")],
) -> Response:
    """The factors of one category with the studies that support them, the settings counted
    apart, and their Shannon-entropy weights and ranks."""
    root = site(request)

    async def make(offer: Offer) -> Page:
        known = await categories(request)
        category = next((c for c in known if c.id == category_id), None)
        if category is None:
            raise not_found("category", category_id, [c.id for c in known])
        json = offer(f"{root}/categories/{category.id}")
        factors = await weighted_factors(request)
        members = rank([f for f in factors if f.category.iri == category.iri])
        return Page(
            "explore_category.html",
            category.label,
            home_crumbs(request, Link(f"{root}/explore/categories/{category.id}", category.label)),
            json=json,
            iri_page=f"{root}/id/category/{category.id}",
            context={
                "category": category,
                "factors": members,
                "weighted": sum(1 for f in factors if f.weight is not None),
                "weight": _weight,
                "root": root,
            },
        )

    here = f"{root}/explore/categories/{quote(category_id, safe='')}"
    return await respond(request, here, make, lambda ident: f"{root}/explore/categories/{ident}")


@cacheable
@router.get(
    "/explore/factors/{factor_id}",
    response_class=HTMLResponse,
    summary="A factor's evidence: each code's quote marked in its source, filtered, paged (HTML)",
    responses=page_errors(FILTER_ERRORS),
)
async def explore_factor(
    request: Request,
    factor_id: Annotated[str, PathParam(description="The id of a factor, e.g. psychic-distance.")],
    year_from: Annotated[str | None, Query(description="Studies of this year or later.")] = None,
    year_to: Annotated[str | None, Query(description="Studies of this year or earlier.")] = None,
    language: Annotated[str | None, Query(description="Study language: en or fa.")] = None,
    direction: Annotated[
        str | None,
        Query(description="driver, barrier, moderator, mediator, context or unspecified."),
    ] = None,
    basis: Annotated[str | None, Query(description="title, abstract or fulltext.")] = None,
    coder: Annotated[str | None, Query(description="The id of a coder.")] = None,
    limit: Annotated[str | None, Query(description="Codes on a page (1 to 100).")] = None,
    offset: Annotated[str | None, Query(description="Codes to skip.")] = None,
) -> Response:
    """Every code of the factor: its quote marked in the study's title, with its study, year,
    language, direction, outcome, basis and coder; empty filters mean any value."""
    root = site(request)

    async def make(offer: Offer) -> Page:
        row, languages = await asyncio.gather(
            known_factor(request, factor_id, "api/factor-summary"), study_languages(request)
        )
        params = Params()
        filters = EvidenceFilters(
            year_from=params.year("year_from", year_from),
            year_to=params.year("year_to", year_to),
            language=params.choice("language", language, languages),
            direction=params.choice("direction", direction, (*DIRECTIONS, UNSPECIFIED)),
            basis=params.choice("basis", basis, BASES),
            coder=params.ident("coder", coder),
        )
        params.range(("year_from", filters.year_from), ("year_to", filters.year_to))
        size = params.number("limit", limit, EVIDENCE_PAGE, 1, 100)
        skip = params.number("offset", offset, 0, 0, 1_000_000)
        params.check()
        alternate = _evidence_json(f"{root}/factors/{factor_id}/evidence", filters, size, skip)
        json = offer(alternate.json)
        weights, labels, items = await asyncio.gather(
            factor_weights(request),
            by_factor(request, "api/factor-labels", factor_id),
            factor_evidence(request, factor_id),
        )
        factor = with_weight(factor_summary(row), weights)
        matching = [item for item in items if filters.admits(item)]
        path = f"{root}/explore/factors/{factor.id}"
        category = factor.category
        return Page(
            "explore_factor.html",
            factor.label,
            home_crumbs(
                request,
                Link(f"{root}/explore/categories/{category.id}", category.label),
                Link(path, factor.label),
            ),
            json=json,
            json_note=alternate.note,
            nearest=alternate.nearest,
            iri_page=f"{root}/id/factor/{factor.id}",
            context={
                "factor": factor,
                "definition": text(row["definition"]) if row.get("definition") else None,
                "alt_labels": _alt_labels(labels),
                "weight": _weight,
                "filters": filters,
                "items": matching[skip : skip + size],
                "total": len(items),
                "paging": paging(path, filters.params(), len(matching), size, skip, EVIDENCE_PAGE),
                "limit": size if size != EVIDENCE_PAGE else None,
                "path": path,
                "options": _evidence_options(items, filters),
                "detail_json": f"{root}/factors/{factor.id}",
                "languages": LANGUAGES,
                "bases": BASES,
                "root": root,
            },
        )

    here = f"{root}/explore/factors/{quote(factor_id, safe='')}"
    return await respond(request, here, make, lambda ident: f"{root}/explore/factors/{ident}")


def _evidence_json(rest: str, filters: EvidenceFilters, size: int, skip: int) -> Alternate:
    """The JSON of an evidence view at `rest` (/factors/{id}/evidence), if it has one: that
    route filters by years, language and every direction but "unspecified", and has no basis or
    coder filter. With one of those given, no JSON holds the page's codes: the nearest is the
    codes under the other filters (not the page's slice of them, which would be other codes)."""
    given = {k: v for k, v in filters.params().items() if k in ("year_from", "year_to")}
    if filters.language:
        given["language"] = filters.language
    if filters.direction and filters.direction != UNSPECIFIED:
        given["direction"] = filters.direction
    lacking = [name for name in ("basis", "coder") if getattr(filters, name)]
    if filters.direction == UNSPECIFIED:
        lacking.append("an unstated direction")
    if not lacking:
        page = {"limit": str(size)} | ({"offset": str(skip)} if skip else {})
        return Alternate(with_query(rest, {**given, "included_only": "false", **page}))
    return Alternate(
        None,
        f"No JSON holds this view: the REST evidence has no filter by {' or '.join(lacking)}.",
        Link(
            with_query(rest, {**given, "included_only": "false"}),
            "The codes under its other filters, as JSON",
        ),
    )


def _alt_labels(rows: list[Row]) -> list[tuple[str, str | None]]:
    """A factor's alternative labels with their languages, English first."""
    found = [
        (text(row["label"]), row["label"].get("lang") if isinstance(row["label"], dict) else None)
        for row in rows
        if row["kind"] == "alt"
    ]
    return sorted(found, key=lambda pair: (pair[1] != "en", pair[1] or "", pair[0].casefold()))


def _evidence_options(items: list[EvidenceItem], filters: EvidenceFilters) -> dict[str, list[Link]]:
    """The values each select of the evidence form offers: the closed lists in full, the
    languages and coders the factor's codes have (and the ones asked for)."""
    languages = {i.language for i in items if i.language}
    if filters.language:
        languages.add(filters.language)
    coders = {i.coder: i.coder_name or i.coder for i in items if i.coder}
    if filters.coder and filters.coder not in coders:
        coders[filters.coder] = filters.coder
    return {
        "language": [Link(code, LANGUAGES.get(code, code)) for code in sorted(languages)],
        "direction": [Link(d, d) for d in DIRECTIONS] + [Link(UNSPECIFIED, "not stated")],
        "basis": [Link(value, label) for value, label in BASES.items()],
        "coder": [Link(ident, name) for ident, name in sorted(coders.items())],
    }
