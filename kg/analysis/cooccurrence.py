"""Factor co-occurrence: pairs of factors supported by the same included study, with the studies.

Support only, as in the frequency matrix: a setting (a code whose direction is context) shares
no pair with the factors its study supports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from kg.analysis.dataset import Dataset
from kg.analysis.matrix import study_factor_matrix


@dataclass(frozen=True)
class Pair:
    """Two factors (in id order) and the studies that support both."""

    first: str
    second: str
    studies: tuple[str, ...]

    @property
    def count(self) -> int:
        """The number of studies that support both factors."""
        return len(self.studies)


def cooccurrence(dataset: Dataset) -> list[Pair]:
    """Every pair of factors supported together by at least one study, most shared studies first.

    >>> from kg.analysis.dataset import CodeRow
    >>> rows = [CodeRow(f"{s}{f}", s, 2020, f, "k", "ann", False)
    ...         for s, fs in {"s1": "abc", "s2": "ab", "s3": "c"}.items() for f in fs]
    >>> rows.append(CodeRow("s3d", "s3", 2020, "d", "k", "ann", True))  # a setting: no pair
    >>> [(p.first, p.second, p.count) for p in cooccurrence(Dataset(rows, [], [], []))]
    [('a', 'b', 2), ('a', 'c', 1), ('b', 'c', 1)]
    """
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for study, row in sorted(study_factor_matrix(dataset).items()):
        for first, second in combinations(sorted(f for f, n in row.items() if n), 2):
            shared[first, second].append(study)
    pairs = [Pair(a, b, tuple(studies)) for (a, b), studies in shared.items()]
    return sorted(pairs, key=lambda p: (-p.count, p.first, p.second))
