"""Evidence over time: included studies and support codes per publication year, overall and per
category (a code whose direction is context names the study's setting and is not counted)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kg.analysis.dataset import Dataset
from kg.analysis.matrix import study_category_matrix


@dataclass(frozen=True)
class Year:
    """One publication year: included studies, their support codes, and both per category.

    `studies` counts every included study of the year; `category_studies` those that support
    the category.
    """

    year: int
    studies: int
    codes: int
    category_studies: dict[str, int] = field(default_factory=dict)
    category_codes: dict[str, int] = field(default_factory=dict)


def timeline(dataset: Dataset) -> list[Year]:
    """Included studies and support codes per year, oldest first (years without a study are
    left out).

    >>> from kg.analysis.dataset import CodeRow, StudyRow
    >>> codes = [CodeRow("1", "s1", 2019, "f", "k", "a", False),
    ...          CodeRow("2", "s1", 2019, "g", "k", "a", False),
    ...          CodeRow("3", "s2", 2019, "h", "m", "a", False),
    ...          CodeRow("4", "s2", 2019, "r", "n", "a", True)]  # a setting: not counted
    >>> studies = [StudyRow("s1", 2019, "included", "", ""),
    ...            StudyRow("s2", 2019, "included", "", ""),
    ...            StudyRow("s3", 2020, "excluded", "out-of-scope", "title")]
    >>> [(y.year, y.studies, y.codes, y.category_studies, y.category_codes)
    ...  for y in timeline(Dataset(codes, studies, [], []))]
    [(2019, 2, 3, {'k': 1, 'm': 1}, {'k': 2, 'm': 1})]
    """
    years = {s.study: s.year for s in dataset.studies if s.decision == "included"}
    years.update({c.study: c.year for c in dataset.codes})
    studies: Counter[int] = Counter(years.values())
    codes: Counter[int] = Counter()
    cat_studies: dict[int, Counter[str]] = defaultdict(Counter)
    cat_codes: dict[int, Counter[str]] = defaultdict(Counter)
    for study, row in study_category_matrix(dataset).items():
        year = years[study]
        for category, count in row.items():
            codes[year] += count
            cat_codes[year][category] += count
            cat_studies[year][category] += 1
    return [
        Year(
            year,
            studies[year],
            codes[year],
            dict(sorted(cat_studies[year].items())),
            dict(sorted(cat_codes[year].items())),
        )
        for year in sorted(studies)
    ]
