"""The graph in numbers, for the home page and its JSON index."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fastapi import Request

from api.services.analysis import current


@dataclass(frozen=True)
class Counts:
    """What the home page counts: studies (screened), codes, taxonomy and coders."""

    studies: int
    included: int
    excluded: int
    codes: int
    factors: int
    categories: int
    coders: int

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return asdict(self)


@dataclass(frozen=True)
class Overview:
    """The counts and the build they were read from."""

    counts: Counts
    build: str | None
    built: str | None


async def overview(request: Request) -> Overview:
    """The counts of the graph being served (from the analysis, which is kept per build)."""
    analysis = await current(request)
    data = analysis.dataset
    counts = Counts(
        studies=len(data.studies),
        included=analysis.flow.included,
        excluded=analysis.flow.excluded,
        codes=len(data.codes),
        factors=len(data.factors),
        categories=len({row.category for row in data.factors}),
        coders=len({code.coder for code in data.codes}),
    )
    return Overview(counts, data.build, data.built_at)


def index(links: dict[str, str], found: Overview) -> dict[str, Any]:
    """The JSON index of the API: its entry points and the counts."""
    return {
        "name": "rsme-kg",
        "description": "Knowledge graph of the factors behind the internationalization of "
        "small and medium rural enterprises, built from a meta-synthesis.",
        "build": found.build,
        "built": found.built,
        "counts": found.counts.as_dict(),
        "links": links,
    }
