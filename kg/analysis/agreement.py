"""Agreement between coders: Cohen's kappa (two coders), Fleiss' kappa (more), Landis-Koch bands.

On the corpus, an item is one factor of the codebook (the taxonomy) in one study that both
coders coded: each coder either assigned the factor to the study (present) or not (absent).
Per-factor kappa takes the shared studies as items; the overall kappa takes every (study,
factor) pair, so the factors neither coder used count as agreements on "absent", as they do
when coders work through a codebook.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from kg.analysis.dataset import Dataset
from kg.errors import AnalysisError

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


@dataclass(frozen=True)
class FactorAgreement:
    """Two coders on one factor over the studies both coded."""

    factor: str
    both: int
    first_only: int
    second_only: int
    neither: int
    kappa: float
    band: str


@dataclass(frozen=True)
class PairAgreement:
    """Cohen's kappa of two coders over the studies both coded, overall and per factor."""

    first: str
    second: str
    studies: tuple[str, ...]
    items: int
    observed: float
    kappa: float
    band: str
    factors: list[FactorAgreement] = field(default_factory=list)


@dataclass(frozen=True)
class Agreement:
    """Every pair of coders with studies in common, Fleiss' kappa when there are more than two
    coders, and a message whenever agreement cannot be computed."""

    coders: list[str]
    pairs: list[PairAgreement]
    fleiss: float | None = None
    fleiss_band: str | None = None
    fleiss_studies: tuple[str, ...] = ()
    message: str | None = None


def _judgements(dataset: Dataset) -> dict[str, dict[str, set[str]]]:
    """coder -> study -> the factors that coder assigned to that study."""
    coded: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for code in dataset.codes:
        coded[code.coder][code.study].add(code.factor)
    return coded


def _pair(
    first: str, second: str, a: dict[str, set[str]], b: dict[str, set[str]], codebook: list[str]
) -> PairAgreement | None:
    studies = tuple(sorted(set(a) & set(b)))
    if not studies:
        return None
    x = [f in a[s] for s in studies for f in codebook]
    y = [f in b[s] for s in studies for f in codebook]
    kappa = cohen_kappa(x, y)
    per_factor = []
    for factor in codebook:
        fx = [factor in a[s] for s in studies]
        fy = [factor in b[s] for s in studies]
        if not any(fx) and not any(fy):
            continue  # neither coder used it on these studies: nothing to report
        both = sum(p and q for p, q in zip(fx, fy, strict=True))
        k = cohen_kappa(fx, fy)
        per_factor.append(
            FactorAgreement(
                factor,
                both,
                sum(fx) - both,
                sum(fy) - both,
                len(studies) - sum(fx) - sum(fy) + both,
                k,
                band(k),
            )
        )
    observed = sum(p == q for p, q in zip(x, y, strict=True)) / len(x)
    return PairAgreement(first, second, studies, len(x), observed, kappa, band(kappa), per_factor)


def coder_agreement(dataset: Dataset) -> Agreement:
    """Agreement of the coders of a dataset over the codebook of its taxonomy.

    >>> from kg.analysis.dataset import CodeRow
    >>> rows = [CodeRow(f"{c}{s}", s, 2020, f, "k", c, False)
    ...         for c, s, f in [("ann", "s1", "a"), ("bob", "s1", "a"), ("ann", "s2", "b")]]
    >>> coder_agreement(Dataset(rows, [], [], [])).pairs[0].kappa
    1.0
    """
    coded = _judgements(dataset)
    coders = sorted(coded)
    names = ", ".join(dataset.agents.get(c, c) for c in coders) or "none"
    if len(coders) < 2:
        return Agreement(
            coders,
            [],
            message=(
                f"The data has {'a single coder' if coders else 'no codes and no coder'} "
                f"({names}): agreement needs at least two coders who coded the same studies."
            ),
        )
    codebook = [r.factor for r in dataset.factors] or sorted({c.factor for c in dataset.codes})
    pairs = [
        pair
        for first, second in combinations(coders, 2)
        if (pair := _pair(first, second, coded[first], coded[second], codebook)) is not None
    ]
    message = None
    if not pairs:
        message = f"No two of the {len(coders)} coders ({names}) coded a study in common."
    fleiss: float | None = None
    studies: tuple[str, ...] = ()
    if len(coders) > 2:
        studies = tuple(sorted(set.intersection(*(set(coded[c]) for c in coders))))
        if studies:
            counts = []
            for study in studies:
                for factor in codebook:
                    present = sum(factor in coded[c][study] for c in coders)
                    counts.append([present, len(coders) - present])
            fleiss = fleiss_kappa(counts)
    return Agreement(
        coders, pairs, fleiss, None if fleiss is None else band(fleiss), studies, message
    )
