"""REST routes: the factor categories (top concepts of the taxonomy) and their factors."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam

from api.models.factors import CategoryDetail, CategoryFactor, CategorySummary, LanguageLabels
from api.named import Row, select
from api.problems import not_found
from api.routes.factors import (
    NOT_FOUND,
    factor_summary,
    group_labels,
    local,
    maybe_text,
    rank,
    text,
    valid_id,
)
from kg import iris

router = APIRouter(tags=["categories"])


def _summary(row: Row, labels: dict[str, LanguageLabels]) -> CategorySummary:
    return CategorySummary(
        id=local(row["category"]),
        iri=row["category"],
        label=text(row["label"]),
        label_fa=maybe_text(row.get("labelFa")),
        labels=labels,
        definition=maybe_text(row.get("definition")),
        factor_count=row["factors"],
        studies=row["studies"],
        codes=row["codes"],
    )


@router.get(
    "/categories",
    summary="Every factor category with its labels and evidence counts",
    response_model=list[CategorySummary],
)
async def list_categories(request: Request) -> list[CategorySummary]:
    """Every category, by English label, with its number of factors, studies and codes."""
    rows, label_rows = await asyncio.gather(
        select(request, "api/category-summary"), select(request, "api/category-labels")
    )
    by_category: dict[str, list[Row]] = defaultdict(list)
    for label_row in label_rows:
        by_category[label_row["category"]].append(label_row)
    categories = [_summary(row, group_labels(by_category[row["category"]])) for row in rows]
    return sorted(categories, key=lambda c: (c.label.casefold(), c.id))


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
    if valid_id(category_id):
        iri = iris.category(category_id)
        rows, label_rows, factor_rows = await asyncio.gather(
            select(request, "api/category-summary", category=iri),
            select(request, "api/category-labels", category=iri),
            select(request, "api/factor-summary", category=iri),
        )
        if rows:
            summary = _summary(rows[0], group_labels(label_rows))
            factors = rank([factor_summary(row) for row in factor_rows])
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
                    for f in factors
                ],
            )
    known = [local(row["category"]) for row in await select(request, "api/category-summary")]
    raise not_found("category", category_id, known)
