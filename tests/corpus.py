"""Facts of the corpus counted from data/*.csv, so that tests follow curation.

The graph's answers are checked against these counts, computed independently of the build
(plain csv reading, no RDF): a test then fails when the build loses or adds a row, not when an
editor adds a code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kg import paths

DATA = paths.ROOT / "data"


def rows(name: str, data: Path = DATA) -> list[dict[str, str]]:
    """The rows of one CSV file of a data folder."""
    with (data / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Facts:
    """Counts of the corpus as the CSV files state them."""

    studies: int
    included: frozenset[str]
    excluded: frozenset[str]
    persian: int
    codes: tuple[dict[str, str], ...]

    def support(self) -> list[dict[str, str]]:
        """Codes of included studies that are not settings (direction context)."""
        return [
            c for c in self.codes if c["direction"] != "context" and c["study"] in self.included
        ]

    def supported_factors(self) -> set[str]:
        """Factors with at least one supporting code."""
        return {c["factor"] for c in self.support()}

    def factors_with_evidence(self) -> set[str]:
        """Factors with at least one code of any kind."""
        return {c["factor"] for c in self.codes}

    def codes_of(self, factor: str) -> list[dict[str, str]]:
        """Every code of one factor."""
        return [c for c in self.codes if c["factor"] == factor]

    def coded_studies(self) -> set[str]:
        """Studies with at least one code."""
        return {c["study"] for c in self.codes}


@cache
def facts() -> Facts:
    """The facts of data/ (read once)."""
    screening = {r["study"]: r["decision"] for r in rows("screening.csv")}
    studies = rows("studies.csv")
    return Facts(
        studies=len(studies),
        included=frozenset(s for s, d in screening.items() if d == "included"),
        excluded=frozenset(s for s, d in screening.items() if d == "excluded"),
        persian=sum(1 for s in studies if s["language"] == "fa"),
        codes=tuple(rows("codes.csv")),
    )


def line_of(name: str, row_id: str, data: Path = DATA) -> int:
    """The 1-based line of the row whose first field is `row_id` in one CSV file."""
    lines = (data / name).read_text(encoding="utf-8").splitlines()
    return 1 + next(i for i, line in enumerate(lines) if line.startswith(f"{row_id},"))
