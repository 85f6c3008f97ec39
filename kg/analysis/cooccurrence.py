"""Factor co-occurrence: pairs of factors coded in the same included study, with the studies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from kg.analysis.dataset import Dataset
from kg.analysis.matrix import study_factor_matrix


@dataclass(frozen=True)
class Pair:
    """Two factors (in id order) and the studies that code both."""

    first: str
    second: str
    studies: tuple[str, ...]

    @property
    def count(self) -> int:
        """The number of studies that code both factors."""
        return len(self.studies)


def cooccurrence(dataset: Dataset) -> list[Pair]:
    """Every pair of factors coded together in at least one study, most shared studies first.

    >>> from kg.analysis.dataset import CodeRow
    >>> rows = [CodeRow(f"{s}{f}", s, 2020, f, "k", "ann", False)
    ...         for s, fs in {"s1": "abc", "s2": "ab", "s3": "c"}.items() for f in fs]
    >>> [(p.first, p.second, p.count) for p in cooccurrence(Dataset(rows, [], [], []))]
    [('a', 'b', 2), ('a', 'c', 1), ('b', 'c', 1)]
    """
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for study, row in sorted(study_factor_matrix(dataset).items()):
        for first, second in combinations(sorted(f for f, n in row.items() if n), 2):
            shared[first, second].append(study)
    pairs = [Pair(a, b, tuple(studies)) for (a, b), studies in shared.items()]
    return sorted(pairs, key=lambda p: (-p.count, p.first, p.second))
