"""Shannon-entropy weights of factors over a study x factor frequency matrix.

Formulas (shared/vocabularies.md): p_ij = f_ij / sum_i f_ij; E_j = -(1/ln m) sum_i p_ij ln p_ij
(0 ln 0 = 0); d_j = 1 - E_j; W_j = d_j / sum_j d_j. The weight rewards concentration, not
breadth, so the number of studies is always reported beside it. Over a dataset the matrix
counts support only (kg.analysis.matrix): a factor that only names studies' settings has no
weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kg.analysis.dataset import Dataset
from kg.analysis.matrix import study_factor_matrix
from kg.errors import AnalysisError

__all__ = ["AnalysisError", "Weight", "entropy_weights", "factor_weights"]


@dataclass(frozen=True)
class Weight:
    """The entropy weight of one factor, its rank, and the raw evidence behind it.

    `studies` counts the studies whose cell is not zero and `codes` the cells summed: over a
    dataset, the studies and codes that support the factor (settings are not counted, as in
    /factors); equal weights share a rank.
    """

    factor: str
    studies: int
    codes: int
    entropy: float
    diversification: float
    weight: float
    rank: int


def entropy_weights(
    matrix: Mapping[str, Mapping[str, int]], factors: Sequence[str] | None = None
) -> list[Weight]:
    """Weights of each factor from counts f[study][factor]; studies are the rows.

    >>> ws = entropy_weights({"s1": {"a": 1}, "s2": {"a": 1}, "s3": {"a": 1, "b": 1}})
    >>> [(w.factor, round(w.entropy, 3), round(w.weight, 3), w.studies) for w in ws]
    [('b', 0.0, 1.0, 1), ('a', 1.0, 0.0, 3)]
    """
    studies = sorted(matrix)
    m = len(studies)
    if m < 2:
        raise AnalysisError(f"entropy weights need at least two studies; the matrix has {m}")
    names = (
        sorted(factors)
        if factors is not None
        else sorted({f for row in matrix.values() for f, count in row.items() if count})
    )
    if not names:
        raise AnalysisError(
            "entropy weights need at least one supported factor (a code whose direction is not "
            "context); there are none"
        )
    rows = []
    for name in names:
        column = [max(int(matrix[s].get(name, 0)), 0) for s in studies]
        total = sum(column)
        if total == 0:
            raise AnalysisError(f"factor {name!r} has no codes: its entropy is undefined")
        h = -sum((f / total) * math.log(f / total) for f in column if f) / math.log(m)
        e = min(1.0, max(0.0, h))  # clamp rounding just outside [0, 1] (and -0.0)
        rows.append((name, sum(1 for f in column if f), total, e, 1.0 - e))
    spread = sum(d for *_, d in rows)
    if spread <= 1e-12:
        raise AnalysisError(
            "every factor is spread evenly over the studies: no factor carries "
            "more weight than another (all diversification degrees are 0)"
        )
    ranked = sorted(rows, key=lambda r: (-r[4], -r[1], r[0]))
    weights, rank, previous = [], 0, math.inf
    for position, (name, n, codes, e, d) in enumerate(ranked, start=1):
        if not math.isclose(d, previous, abs_tol=1e-9):
            rank, previous = position, d  # equal weights share a rank ("1224" ranking)
        weights.append(Weight(name, n, codes, e, d, d / spread, rank))
    return weights


def factor_weights(dataset: Dataset) -> list[Weight]:
    """The entropy weights of the supported factors of a dataset (its study x factor matrix)."""
    return entropy_weights(study_factor_matrix(dataset))
