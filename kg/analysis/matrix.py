"""The frequency matrices of the synthesis: support codes per included study and factor or category.

A cell counts the codes of one factor in one study that support it: a code whose direction is
`context` names the study's setting, not an influence, and is counted apart
(kg.analysis.settings). Every coded included study is a row, so a study coded only for its
setting is a row without cells (zeros): it is a study of the synthesis that supports no factor.
When several coders coded a study, a cell takes the largest count any one of them gave (not the
sum), so a finding two coders agree on is counted once; their agreement is the business of
kg.analysis.agreement.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from kg.analysis.dataset import Dataset

Matrix = dict[str, dict[str, int]]


def study_factor_matrix(dataset: Dataset) -> Matrix:
    """Support codes per coded included study (rows) and factor (columns); zero cells are absent.

    >>> from kg.analysis.dataset import CodeRow
    >>> rows = [CodeRow("c1", "s", 2020, "f", "k", "ann", False),
    ...         CodeRow("c2", "s", 2020, "f", "k", "bob", False),
    ...         CodeRow("c3", "s", 2020, "f", "k", "bob", True),
    ...         CodeRow("c4", "t", 2020, "f", "k", "ann", True)]
    >>> study_factor_matrix(Dataset(rows, [], [], []))
    {'s': {'f': 1}, 't': {}}
    """
    per_coder = Counter((c.study, c.factor, c.coder) for c in dataset.support)
    # rows from every code, so that a study with settings only keeps its (empty) row
    matrix: Matrix = {study: {} for study in sorted({c.study for c in dataset.codes})}
    for (study, factor, _), count in sorted(per_coder.items()):
        matrix[study][factor] = max(matrix[study].get(factor, 0), count)
    return matrix


def study_category_matrix(dataset: Dataset) -> Matrix:
    """Support codes per coded included study (rows) and category (columns): factor cells summed."""
    category = {c.factor: c.category for c in dataset.codes}
    matrix: Matrix = {}
    for study, row in study_factor_matrix(dataset).items():
        cells: Counter[str] = Counter()
        for factor, count in row.items():
            cells[category[factor]] += count
        matrix[study] = dict(sorted(cells.items()))
    return matrix


def ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    """Keys in `order` (the taxonomy's) first, in that order, then any others by id.

    >>> ordered({"z", "b", "a"}, ["b", "c"])
    ['b', 'a', 'z']
    """
    present = set(keys)
    return [k for k in order if k in present] + sorted(present.difference(order))


def columns(matrix: Mapping[str, Mapping[str, int]], order: Sequence[str] = ()) -> list[str]:
    """The columns with at least one code: those in `order` first, in that order, then the rest."""
    return ordered((c for row in matrix.values() for c, n in row.items() if n), order)


def to_csv(matrix: Mapping[str, Mapping[str, int]], order: Sequence[str] = ()) -> str:
    """The matrix as CSV: a `study` column, one column per factor or category, then `total`.

    >>> print(to_csv({"s2": {"b": 1}, "s1": {"a": 2, "b": 1}}), end="")
    study,a,b,total
    s1,2,1,3
    s2,0,1,1
    """
    names = columns(matrix, order)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["study", *names, "total"])
    for study in sorted(matrix):
        cells = [matrix[study].get(name, 0) for name in names]
        writer.writerow([study, *cells, sum(cells)])
    return out.getvalue()
