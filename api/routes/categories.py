"""REST routes: the factor categories (top concepts of the taxonomy) and their factors."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam

from api.fastcache import cacheable
from api.models.factors import CategoryDetail, CategoryFactor, CategorySummary
from api.problems import NOT_FOUND, not_found
from api.services.taxonomy import categories, factor_summaries, rank

router = APIRouter(tags=["categories"])


@cacheable
@router.get(
    "/categories",
    summary="Every factor category with its labels and evidence counts",
    response_model=list[CategorySummary],
)
async def list_categories(request: Request) -> list[CategorySummary]:
    """Every category, by English label, with its number of factors, studies and codes."""
    return await categories(request)


@cacheable
@router.get(
    "/categories/{category_id}",
    summary="One category with its factors and their evidence counts",
    response_model=CategoryDetail,
    responses=NOT_FOUND,
)
async def get_category(
    request: Request,
    category_id: Annotated[str, PathParam(description="The id of a category, e.g. human-capital.")],
) -> CategoryDetail:
    """The category, and its factors ranked by supporting studies, then label."""
    known, factors = await asyncio.gather(categories(request), factor_summaries(request))
    summary = next((c for c in known if c.id == category_id), None)
    if summary is None:
        raise not_found("category", category_id, [c.id for c in known])
    return CategoryDetail(
        **summary.model_dump(),
        factors=[
            CategoryFactor(
                id=f.id,
                iri=f.iri,
                label=f.label,
                label_fa=f.label_fa,
                studies=f.studies,
                codes=f.codes,
                settings=f.settings,
            )
            for f in rank([f for f in factors if f.category.iri == summary.iri])
        ],
    )
