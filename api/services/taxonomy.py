"""The factors and categories of the taxonomy with their counts, labels and weights.

/factors, /factors/{id} and /categories/{id} show the same factor summaries; the weights are
those of the analysis (api.services.analysis), read only where they are shown.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable

from fastapi import Request

from api.models.factors import CategoryRef, CategorySummary, FactorSummary, LanguageLabels
from api.named import Row, select
from api.rows import local, maybe_text, text
from api.services.analysis import factor_weights
from api.services.build import once


def group_labels(rows: Iterable[Row]) -> dict[str, LanguageLabels]:
    """Rows of ?kind ?label (pref or alt, language-tagged) grouped by language."""
    grouped: dict[str, LanguageLabels] = {}
    for row in rows:
        label = row["label"]
        lang = label["lang"] if isinstance(label, dict) else ""
        entry = grouped.setdefault(lang, LanguageLabels())
        if row["kind"] == "pref":
            entry.pref = text(label)
        else:
            entry.alt.append(text(label))
    for entry in grouped.values():
        entry.alt.sort()
    return dict(sorted(grouped.items()))


def factor_summary(row: Row) -> FactorSummary:
    """A row of factor-summary.rq as the response model (without its weight)."""
    return FactorSummary(
        id=local(row["factor"]),
        iri=row["factor"],
        label=text(row["label"]),
        label_fa=maybe_text(row.get("labelFa")),
        category=CategoryRef(
            id=local(row["category"]), iri=row["category"], label=text(row["categoryLabel"])
        ),
        studies=row["studies"],
        codes=row["codes"],
        settings=row["settings"],
    )


def with_weight(summary: FactorSummary, weights: dict[str, tuple[float, int]]) -> FactorSummary:
    """The summary with the factor's entropy weight and rank (null when it has no codes)."""
    weight, rank = weights.get(summary.id, (None, None))
    return summary.model_copy(update={"weight": weight, "weight_rank": rank})


def rank(
    factors: list[FactorSummary], sort: str = "studies", descending: bool = True
) -> list[FactorSummary]:
    """Factors ordered by one key; ties always by English label, A to Z."""
    by_label = sorted(factors, key=lambda f: (f.label.casefold(), f.id))
    if sort == "label":
        return list(reversed(by_label)) if descending else by_label
    if sort == "weight":  # factors without codes have no weight: last in either order
        weighted = [f for f in by_label if f.weight is not None]
        unweighted = [f for f in by_label if f.weight is None]
        return sorted(weighted, key=lambda f: f.weight or 0.0, reverse=descending) + unweighted
    # sorted() is stable also with reverse=True, so equal keys keep the label order
    return sorted(by_label, key=lambda f: getattr(f, sort), reverse=descending)


async def factor_summaries(request: Request) -> list[FactorSummary]:
    """Every factor of the taxonomy with its counts, without weights (no code is read)."""

    async def compute() -> list[FactorSummary]:
        return [factor_summary(row) for row in await select(request, "api/factor-summary")]

    return await once(request, "factor-summaries", compute)


async def weighted_factors(request: Request) -> list[FactorSummary]:
    """Every factor of the taxonomy with its counts and its entropy weight."""
    summaries, weights = await asyncio.gather(factor_summaries(request), factor_weights(request))
    return [with_weight(summary, weights) for summary in summaries]


def category_summary(row: Row, labels: dict[str, LanguageLabels]) -> CategorySummary:
    """A row of category-summary.rq with the category's labels as the response model."""
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


async def categories(request: Request) -> list[CategorySummary]:
    """Every category, by English label, with its labels and its numbers of factors, studies
    and codes."""

    async def compute() -> list[CategorySummary]:
        rows, label_rows = await asyncio.gather(
            select(request, "api/category-summary"), select(request, "api/category-labels")
        )
        by_category: dict[str, list[Row]] = defaultdict(list)
        for label_row in label_rows:
            by_category[label_row["category"]].append(label_row)
        found = [category_summary(row, group_labels(by_category[row["category"]])) for row in rows]
        return sorted(found, key=lambda c: (c.label.casefold(), c.id))

    return await once(request, "categories", compute)
