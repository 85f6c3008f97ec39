"""Screening-flow counts in the shape of the PRISMA 2020 flow diagram.

Decisions made at the title or abstract stage (or with no stage recorded) are exclusions of
records at screening; those made at the full-text stage are reports excluded with reasons after
assessment. Studies without a screening decision are counted apart as awaiting screening, so
the boxes always add up: identified = screened + awaiting; screened - excluded at screening =
assessed; assessed - excluded at full text = included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from kg.analysis.dataset import Dataset


@dataclass(frozen=True)
class Flow:
    """The counts of each box of the flow diagram; exclusions by reason id."""

    identified: int
    awaiting: int
    screened: int
    excluded_at_screening: dict[str, int]
    assessed: int
    excluded_at_fulltext: dict[str, int]
    included: int

    @property
    def excluded(self) -> int:
        """All excluded studies, at either stage."""
        return sum(self.excluded_at_screening.values()) + sum(self.excluded_at_fulltext.values())


def screening_flow(dataset: Dataset) -> Flow:
    """The PRISMA 2020 counts of the studies and their screening decisions.

    >>> from kg.analysis.dataset import StudyRow
    >>> rows = [StudyRow("a", 2020, "included", "", "fulltext"),
    ...         StudyRow("b", 2020, "excluded", "out-of-scope", "title"),
    ...         StudyRow("c", 2020, "excluded", "out-of-scope", "fulltext"),
    ...         StudyRow("d", 2020, "", "", "")]
    >>> f = screening_flow(Dataset([], rows, [], []))
    >>> f.identified, f.screened, f.assessed, f.included, f.awaiting
    (4, 3, 2, 1, 1)
    """
    decided = [s for s in dataset.studies if s.decision]
    at_screening: Counter[str] = Counter()
    at_fulltext: Counter[str] = Counter()
    for study in decided:
        if study.decision != "excluded":
            continue
        reason = study.reason or "unspecified"
        (at_fulltext if study.stage == "fulltext" else at_screening)[reason] += 1
    screened = len(decided)
    assessed = screened - sum(at_screening.values())
    return Flow(
        identified=len(dataset.studies),
        awaiting=len(dataset.studies) - screened,
        screened=screened,
        excluded_at_screening=dict(sorted(at_screening.items())),
        assessed=assessed,
        excluded_at_fulltext=dict(sorted(at_fulltext.items())),
        included=sum(1 for s in decided if s.decision == "included"),
    )
