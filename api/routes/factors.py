"""REST routes: the factors of the taxonomy, their details and the evidence behind them."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam

from api.fastcache import cacheable
from api.models.factors import (
    Direction,
    Evidence,
    EvidenceCoder,
    EvidenceOutcome,
    EvidencePage,
    EvidenceStudy,
    FactorDetail,
    FactorMapping,
    FactorSummary,
    RelatedConcept,
)
from api.named import Row
from api.paging import link_header
from api.problems import NOT_FOUND, Problem, check_year_range, not_found
from api.rows import kind_and_id, local, maybe_text, text
from api.services.analysis import factor_weights
from api.services.build import by_factor
from api.services.evidence import factor_evidence_rows
from api.services.ids import known_factor
from api.services.taxonomy import factor_summary, group_labels, rank, weighted_factors, with_weight
from kg import iris
from kg.namespaces import AGROVOC, STW, WD

router = APIRouter(tags=["factors"])

_VOCABULARIES = {str(WD): "Wikidata", str(STW): "STW", str(AGROVOC): "AGROVOC"}


@cacheable
@router.get(
    "/factors",
    summary="Every factor with its category and evidence counts",
    response_model=list[FactorSummary],
    responses={422: {"description": "A parameter is not valid (unknown category, ...)."}},
)
async def list_factors(
    request: Request,
    category: Annotated[
        str | None, Query(description="Only the factors of this category id.")
    ] = None,
    min_studies: Annotated[
        int, Query(ge=0, description="Only factors with at least this many supporting studies.")
    ] = 0,
    sort: Annotated[
        Literal["studies", "codes", "weight", "label"],
        Query(description="Sort key; ties by label (factors without a weight sort last)."),
    ] = "studies",
    order: Annotated[
        Literal["asc", "desc"] | None,
        Query(description="Default: desc for studies, codes and weight, asc for label."),
    ] = None,
) -> list[FactorSummary]:
    """Every factor of the taxonomy, also those without evidence, filtered and sorted."""
    factors = await weighted_factors(request)
    if category is not None:
        known = {f.category.id for f in factors}
        if category not in known:
            close = not_found("category", category, known)
            raise Problem(
                422,
                "Invalid parameters",
                close.detail,
                kind="invalid-parameters",
                errors=[{"location": ["query", "category"], "message": "unknown category"}],
                suggestions=close.extra["suggestions"],
            )
        factors = [f for f in factors if f.category.id == category]
    factors = [f for f in factors if f.studies >= min_studies]
    descending = order == "desc" if order else sort != "label"
    return rank(factors, sort, descending)


@cacheable
@router.get(
    "/factors/{factor_id}",
    summary="One factor: labels, definition, hierarchy, mappings, counts",
    response_model=FactorDetail,
    responses=NOT_FOUND,
)
async def get_factor(
    request: Request,
    factor_id: Annotated[str, PathParam(description="The id of a factor, e.g. psychic-distance.")],
) -> FactorDetail:
    """A factor with its labels in every language and its links inside and outside the graph."""
    found = await known_factor(request, factor_id, "api/factor-summary")
    summary = with_weight(factor_summary(found), await factor_weights(request))
    labels, hierarchy, mappings = await asyncio.gather(
        by_factor(request, "api/factor-labels", summary.id),
        by_factor(request, "api/factor-hierarchy", summary.id),
        by_factor(request, "api/factor-mappings", summary.id),
    )
    related: dict[str, list[RelatedConcept]] = defaultdict(list)
    for row in hierarchy:
        kind, ident = kind_and_id(row["concept"])
        related[row["relation"]].append(
            RelatedConcept(
                id=ident, iri=row["concept"], type=kind, label=maybe_text(row.get("conceptLabel"))
            )
        )
    return FactorDetail(
        id=summary.id,
        iri=summary.iri,
        label=summary.label,
        labels=group_labels(labels),
        definition=maybe_text(found.get("definition")),
        category=summary.category,
        broader=related["broader"],
        narrower=related["narrower"],
        mappings=[
            FactorMapping(
                relation=row["relation"],
                target=row["target"],
                vocabulary=next(
                    (v for base, v in _VOCABULARIES.items() if row["target"].startswith(base)),
                    None,
                ),
            )
            for row in mappings
        ],
        evidence=request.url_for("factor_evidence", factor_id=summary.id).path,
        studies=summary.studies,
        codes=summary.codes,
        settings=summary.settings,
        weight=summary.weight,
        weight_rank=summary.weight_rank,
    )


def evidence(row: Row) -> Evidence:
    """A row of factor-evidence.rq as the response model."""
    doi = row.get("doi")
    link = row.get("doiLink") or (str(iris.doi(doi)) if doi else None)
    outcome = row.get("outcome")
    coder = row.get("coder")
    direction = row.get("direction")
    return Evidence(
        code=local(row["code"]),
        iri=row["code"],
        study=EvidenceStudy(
            id=local(row["study"]),
            iri=row["study"],
            citation=maybe_text(row.get("citation")),
            title=text(row["title"]),
            year=int(text(row["year"])),
            doi=doi,
            doi_link=link,
            language=maybe_text(row.get("language")),
            included=bool(row.get("included")),
        ),
        quote=text(row["quote"]),
        basis=local(row["basis"]),
        direction=Direction(local(direction)) if direction else None,
        outcome=EvidenceOutcome(
            id=local(outcome), iri=outcome, label=maybe_text(row.get("outcomeLabel"))
        )
        if outcome
        else None,
        coder=EvidenceCoder(id=local(coder), iri=coder, name=maybe_text(row.get("coderName")))
        if coder
        else None,
    )


def _numbered(code_id: str) -> tuple[str, int]:
    # code ids are {study}-{n}: study-2 before study-10
    stem, _, number = code_id.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (code_id, 0)


@cacheable
@router.get(
    "/factors/{factor_id}/evidence",
    summary="The codes behind a factor, with their studies, filtered and paged",
    response_model=EvidencePage,
    responses={
        **NOT_FOUND,
        200: {
            "description": "One page of codes; `Link` (first, prev, next, last) and "
            "`X-Total-Count` headers.",
            "headers": {
                "Link": {"description": "RFC 8288 links to the other pages, filters kept."},
                "X-Total-Count": {"description": "Codes that pass the filters, on all pages."},
            },
        },
    },
    name="factor_evidence",
)
async def factor_evidence(
    request: Request,
    response: Response,
    factor_id: Annotated[str, PathParam(description="The id of a factor, e.g. psychic-distance.")],
    year_from: Annotated[
        int | None, Query(description="Studies published this year or later.")
    ] = None,
    year_to: Annotated[
        int | None, Query(description="Studies published this year or earlier.")
    ] = None,
    language: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{2,3}$", description="Study language: en or fa.")
    ] = None,
    direction: Annotated[
        Direction | None, Query(description="Only codes of this direction.")
    ] = None,
    included_only: Annotated[
        bool, Query(description="Only codes of studies the screening included.")
    ] = True,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Codes to skip.")] = 0,
) -> EvidencePage:
    """Each code of the factor with its study, quote, basis, direction, outcome and coder."""
    check_year_range(year_from, year_to)
    factor = local((await known_factor(request, factor_id))["factor"])
    # One query per factor, filtered and paged here: LIMIT and OFFSET cannot be bound (only
    # pasted into the text, which we never do), the total count needs every matching row
    # anyway, a factor has at most a few hundred codes, and the one answer is cached for
    # every page and filter combination (embedded backend).
    rows = await factor_evidence_rows(request, factor)
    items = [evidence(row) for row in rows]
    items = [
        item
        for item in items
        if (year_from is None or item.study.year >= year_from)
        and (year_to is None or item.study.year <= year_to)
        and (language is None or (item.study.language or "").lower() == language.lower())
        and (direction is None or item.direction == direction)
        and (item.study.included or not included_only)
    ]
    # the store's order of xsd:gYear values may differ between engines: order here
    items.sort(key=lambda item: (item.study.year, item.study.id, _numbered(item.code)))
    total = len(items)
    response.headers["X-Total-Count"] = str(total)
    response.headers["Link"] = link_header(request.url, total, limit, offset)
    return EvidencePage(
        factor=factor,
        total=total,
        limit=limit,
        offset=offset,
        items=items[offset : offset + limit],
    )
