"""The settings the studies name: codes whose direction is `context`, reported apart from support.

Such a code names where a study was done (rural Scotland, the halal food industry), not
something that drives internationalization, so no count of support includes it. A study is a
setting of a factor when every code it has of that factor is a context code, as /factors counts
`settings`: a study that also supports the factor counts as support only, never twice. A
study is a setting of a category when it is a setting of one of the category's factors; it may
also support the category through another factor (a study of family firms that finds family
character matters is both), so at the category level support and settings may overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kg.analysis.dataset import Dataset

Studies = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Settings:
    """Per factor and per category, the included studies whose setting it is (sorted ids).

    `named` are the studies that are the setting of at least one factor; `unsupported` those
    whose every code is a context code (rows without cells in the frequency matrices).
    """

    factors: Studies
    categories: Studies
    named: tuple[str, ...]
    unsupported: tuple[str, ...]


def _apart(settings: Iterable[tuple[str, str]], support: Iterable[tuple[str, str]]) -> Studies:
    """key -> studies, from (study, key) pairs of settings minus those the study also supports."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for study, key in set(settings).difference(support):
        grouped[key].add(study)
    return {key: tuple(sorted(studies)) for key, studies in sorted(grouped.items())}


def settings(dataset: Dataset) -> Settings:
    """The settings of a dataset's included studies, per factor and per category.

    >>> from kg.analysis.dataset import CodeRow
    >>> rows = [CodeRow("1", "s1", 2020, "rural", "k", "a", True),
    ...         CodeRow("2", "s1", 2020, "network", "k", "a", False),
    ...         CodeRow("3", "s2", 2020, "rural", "k", "a", True),
    ...         CodeRow("4", "s3", 2020, "rural", "k", "a", False),
    ...         CodeRow("5", "s3", 2020, "rural", "k", "a", True)]
    >>> found = settings(Dataset(rows, [], [], []))
    >>> found.factors, found.categories, found.named, found.unsupported
    ({'rural': ('s1', 's2')}, {'k': ('s1', 's2')}, ('s1', 's2'), ('s2',))
    """
    setting = [c for c in dataset.codes if c.setting]
    support = [(c.study, c.factor) for c in dataset.support]
    factors = _apart(((c.study, c.factor) for c in setting), support)
    category_of = {c.factor: c.category for c in setting}
    categories: dict[str, set[str]] = defaultdict(set)
    for factor, studies in factors.items():
        categories[category_of[factor]].update(studies)
    return Settings(
        factors=factors,
        categories={k: tuple(sorted(v)) for k, v in sorted(categories.items())},
        named=tuple(sorted({s for studies in factors.values() for s in studies})),
        unsupported=tuple(sorted({c.study for c in setting} - {c.study for c in dataset.support})),
    )
