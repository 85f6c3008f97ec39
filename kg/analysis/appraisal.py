"""Quality appraisal with the CASP qualitative checklist: per study and per criterion.

CASP publishes no scoring scheme (shared/vocabularies.md), so the total and the inclusion
cut-off are settings: a study's total is the sum of the scores its appraiser gave when every
answer in the data carries a score, otherwise the number of "yes" answers (out of 10). A study
appraised by several appraisers passes when the mean of their totals reaches the cut-off.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import fmean

from kg.analysis.dataset import AnswerRow, Dataset
from kg.errors import AnalysisError

# the ten questions of the CASP qualitative checklist, in order (criterion 1 to 10)
CASP = (
    "clear statement of aims",
    "qualitative methodology appropriate",
    "research design appropriate",
    "recruitment strategy appropriate",
    "data collection addresses the issue",
    "researcher-participant relationship considered",
    "ethical issues considered",
    "data analysis sufficiently rigorous",
    "clear statement of findings",
    "value of the research",
)
ANSWERS = ("yes", "cant-tell", "no")


@dataclass(frozen=True)
class StudyAppraisal:
    """One appraiser's appraisal of one study: answer counts and the total."""

    study: str
    appraiser: str
    yes: int
    cant_tell: int
    no: int
    total: float


@dataclass(frozen=True)
class Criterion:
    """How the appraised studies fared on one CASP question."""

    criterion: int
    question: str
    yes: int
    cant_tell: int
    no: int


@dataclass(frozen=True)
class AppraisalSummary:
    """Every appraisal, every criterion, and which studies pass the cut-off (if one is set)."""

    appraisals: list[StudyAppraisal]
    criteria: list[Criterion]
    scale: str  # "score" (sum of scores) or "yes" (number of yes answers)
    cutoff: float | None
    study_totals: dict[str, float]  # mean total per study over its appraisers
    unappraised: list[str]  # included studies nobody appraised
    partly_scored: bool = False  # some answers carry a score, not all: totals count yes answers

    @property
    def passed(self) -> list[str] | None:
        """Studies whose mean total reaches the cut-off; None when no cut-off is set."""
        if self.cutoff is None:
            return None
        return [s for s, total in self.study_totals.items() if total >= self.cutoff]


def _total(answers: list[AnswerRow], scale: str) -> float:
    if scale == "score":
        return float(sum(a.score or 0.0 for a in answers))
    return float(sum(1 for a in answers if a.answer == "yes"))


def summarise(dataset: Dataset, cutoff: float | None = None) -> AppraisalSummary:
    """The appraisal summary of a dataset with an optional inclusion cut-off on the total.

    >>> from kg.analysis.dataset import AnswerRow, StudyRow
    >>> rows = [AnswerRow("s", "ann", i, "yes" if i < 8 else "no", None) for i in range(1, 11)]
    >>> s = summarise(Dataset([], [StudyRow("s", 2020, "included", "", "")], rows, []), 7)
    >>> s.scale, s.study_totals, s.passed
    ('yes', {'s': 7.0}, ['s'])
    """
    if cutoff is not None and not math.isfinite(cutoff):
        raise AnalysisError(f"the appraisal cut-off must be a finite number, not {cutoff}")
    answers = dataset.appraisals
    scale = "score" if answers and all(a.score is not None for a in answers) else "yes"
    partly_scored = scale == "yes" and any(a.score is not None for a in answers)
    grouped: dict[tuple[str, str], list[AnswerRow]] = defaultdict(list)
    for answer in answers:
        grouped[answer.study, answer.appraiser].append(answer)
    appraisals = []
    for (study, appraiser), rows in sorted(grouped.items()):
        counts = Counter(a.answer for a in rows)
        appraisals.append(
            StudyAppraisal(
                study,
                appraiser,
                counts["yes"],
                counts["cant-tell"],
                counts["no"],
                _total(rows, scale),
            )
        )
    per_study: dict[str, list[float]] = defaultdict(list)
    for appraisal in appraisals:
        per_study[appraisal.study].append(appraisal.total)
    criteria = []
    for number, question in enumerate(CASP, start=1):
        counts = Counter(a.answer for a in answers if a.criterion == number)
        criteria.append(
            Criterion(number, question, counts["yes"], counts["cant-tell"], counts["no"])
        )
    included = sorted(s.study for s in dataset.studies if s.decision == "included")
    return AppraisalSummary(
        appraisals,
        criteria,
        scale,
        cutoff,
        {study: fmean(totals) for study, totals in sorted(per_study.items())},
        [s for s in included if s not in per_study],
        partly_scored,
    )
