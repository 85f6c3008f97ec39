"""Agreement between coders: Cohen's kappa (two coders), Fleiss' kappa (more), Landis-Koch bands."""

from __future__ import annotations

from collections.abc import Sequence

from kg.analysis.weights import AnalysisError

# Landis & Koch (1977): upper bounds of each band (shared/vocabularies.md)
BANDS = (
    (0.0, "poor"),
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.0, "almost perfect"),
)


def band(kappa: float) -> str:
    """The Landis-Koch band of a kappa value.

    >>> band(-0.1), band(0.2), band(0.4), band(0.61), band(1.0)
    ('poor', 'slight', 'fair', 'substantial', 'almost perfect')
    """
    if kappa < 0:
        return "poor"
    for upper, name in BANDS[1:]:
        if kappa <= upper + 1e-12:
            return name
    return "almost perfect"


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float:
    """Cohen's kappa of two coders' present/absent judgements on the same items.

    >>> a = [True] * 6 + [False] * 4
    >>> b = [True] * 4 + [False] * 2 + [True] + [False] * 3
    >>> round(cohen_kappa(a, b), 3)
    0.4
    """
    if len(first) != len(second):
        raise AnalysisError("the two coders judged different numbers of items")
    n = len(first)
    if n == 0:
        raise AnalysisError("kappa needs at least one item judged by both coders")
    observed = sum(1 for x, y in zip(first, second, strict=True) if x == y) / n
    p1, p2 = sum(first) / n, sum(second) / n
    expected = p1 * p2 + (1 - p1) * (1 - p2)
    if expected >= 1.0:  # both coders gave one and the same answer to every item: p_o = 1 too
        return 1.0
    return (observed - expected) / (1 - expected)


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa from counts[subject][category] (each subject rated by the same n raters).

    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1], [1, 2]]), 6)  # by hand: (2/3 - 1/2)/(1 - 1/2)
    0.333333
    """
    if not counts:
        raise AnalysisError("Fleiss' kappa needs at least one subject")
    raters = {sum(row) for row in counts}
    if len(raters) != 1:
        raise AnalysisError("every subject must be rated by the same number of coders")
    n = raters.pop()
    if n < 2:
        raise AnalysisError("Fleiss' kappa needs at least two coders; the data has one")
    subjects = len(counts)
    per_subject = [(sum(c * c for c in row) - n) / (n * (n - 1)) for row in counts]
    p_bar = sum(per_subject) / subjects
    categories = len(counts[0])
    shares = [sum(row[j] for row in counts) / (subjects * n) for j in range(categories)]
    p_e = sum(p * p for p in shares)
    if p_e >= 1.0:  # every rating in one category: the coders agree on everything
        return 1.0
    return (p_bar - p_e) / (1 - p_e)
