"""The study x factor frequency matrix, read from any store with a named SPARQL query."""

from __future__ import annotations

from collections import defaultdict

from kg import iris, queries
from kg.store.base import Store

Matrix = dict[str, dict[str, int]]


def study_factor_matrix(store: Store) -> Matrix:
    """Codes per included study (rows) and factor (columns), by id; zero cells are absent."""
    matrix: Matrix = defaultdict(dict)
    for row in store.query(queries.load("analysis/study-factor-counts")):
        study = iris.local_id(str(row["study"]), "study") or str(row["study"])
        factor = iris.local_id(str(row["factor"]), "factor") or str(row["factor"])
        matrix[study][factor] = int(str(row["codes"]))
    return dict(matrix)
