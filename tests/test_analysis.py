"""The method's numbers, checked against examples worked by hand."""

from __future__ import annotations

import csv
import math
from collections import Counter

import pytest

from kg import paths
from kg.analysis.agreement import band, cohen_kappa, fleiss_kappa
from kg.analysis.dataset import fetch
from kg.analysis.matrix import study_factor_matrix
from kg.analysis.report import analyse
from kg.analysis.weights import AnalysisError, entropy_weights
from kg.store.embedded import EmbeddedStore


def test_entropy_worked_example() -> None:
    """Two studies: a = (2, 1), b = (1, 1).

    By hand: p_a = (2/3, 1/3), E_a = -(2/3 ln 2/3 + 1/3 ln 1/3) / ln 2 = 0.918296;
    p_b = (1/2, 1/2), E_b = 1; d = (0.081704, 0); W = (1, 0).
    """
    weights = {
        w.factor: w for w in entropy_weights({"s1": {"a": 2, "b": 1}, "s2": {"a": 1, "b": 1}})
    }
    assert weights["a"].entropy == pytest.approx(0.918296, abs=1e-6)
    assert weights["b"].entropy == pytest.approx(1.0)
    assert weights["a"].weight == pytest.approx(1.0) and weights["b"].weight == pytest.approx(0.0)
    assert (weights["a"].rank, weights["b"].rank) == (1, 2)
    assert (weights["a"].studies, weights["a"].codes) == (2, 3)


def test_three_factors_share_the_weight_by_concentration() -> None:
    """Four studies: a in one study, b in two (1 each), c in all four (1 each).

    By hand with m = 4, ln 4 = 1.386294: E_a = 0, E_b = ln 2 / ln 4 = 0.5, E_c = 1;
    d = (1, 0.5, 0); W = (2/3, 1/3, 0).
    """
    matrix = {
        "s1": {"a": 1, "b": 1, "c": 1},
        "s2": {"b": 1, "c": 1},
        "s3": {"c": 1},
        "s4": {"c": 1},
    }
    weights = {w.factor: w.weight for w in entropy_weights(matrix)}
    assert weights == pytest.approx({"a": 2 / 3, "b": 1 / 3, "c": 0.0})
    assert math.isclose(sum(weights.values()), 1.0)


def test_entropy_edge_cases() -> None:
    # a factor present in one study only gets E = 0, one present evenly in all gets E = 1
    only = {w.factor: w for w in entropy_weights({"s1": {"a": 1, "b": 1}, "s2": {"b": 1}})}
    assert only["a"].entropy == 0.0 and only["b"].entropy == 1.0
    with pytest.raises(AnalysisError, match="at least two studies"):
        entropy_weights({"s1": {"a": 1}})
    with pytest.raises(AnalysisError, match="at least one supported factor"):
        entropy_weights({"s1": {}, "s2": {}})
    with pytest.raises(AnalysisError, match="spread evenly"):
        entropy_weights({"s1": {"a": 1, "b": 1}, "s2": {"a": 1, "b": 1}})


def test_cohen_worked_example() -> None:
    """10 items: both yes 4, A yes B no 2, A no B yes 1, both no 3.

    p_o = 0.7; p_e = 0.6 * 0.5 + 0.4 * 0.5 = 0.5; kappa = 0.2 / 0.5 = 0.4: 'fair'.
    """
    a = [True] * 4 + [True] * 2 + [False] * 1 + [False] * 3
    b = [True] * 4 + [False] * 2 + [True] * 1 + [False] * 3
    kappa = cohen_kappa(a, b)
    assert kappa == pytest.approx(0.4)
    assert band(kappa) == "fair"


def test_coders_who_never_agree() -> None:
    """Always opposite answers, half yes each: p_o = 0, p_e = 0.5, kappa = -1: 'poor'."""
    a = [True, False, True, False]
    b = [False, True, False, True]
    assert cohen_kappa(a, b) == pytest.approx(-1.0)
    assert band(cohen_kappa(a, b)) == "poor"


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([True, True], [True, True]) == 1.0  # perfect agreement on one answer
    # opposite constant answers: p_o = 0, p_e = 1 * 0 + 0 * 1 = 0, kappa = 0
    assert cohen_kappa([True, True], [False, False]) == 0.0
    with pytest.raises(AnalysisError, match="different numbers"):
        cohen_kappa([True], [True, False])
    with pytest.raises(AnalysisError, match="at least one item"):
        cohen_kappa([], [])


def test_fleiss_worked_example_and_a_single_coder() -> None:
    # 4 subjects, 3 coders: P_i = (1, 1, 1/3, 1/3), P = 2/3; p_j = (1/2, 1/2), P_e = 1/2
    assert fleiss_kappa([[3, 0], [0, 3], [2, 1], [1, 2]]) == pytest.approx(1 / 3)
    with pytest.raises(AnalysisError, match="one"):
        fleiss_kappa([[1, 0], [0, 1]])


@pytest.mark.parametrize(
    ("kappa", "name"),
    [
        (-0.01, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.41, "moderate"),
        (0.6, "moderate"),
        (0.61, "substantial"),
        (0.81, "almost perfect"),
    ],
)
def test_landis_koch_bands(kappa: float, name: str) -> None:
    assert band(kappa) == name


def _csv(name: str) -> list[dict[str, str]]:
    with (paths.DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _corpus() -> tuple[set[str], list[dict[str, str]]]:
    """The included studies and their codes, straight from the CSVs (counts change as the
    corpus is curated, so none is typed in here)."""
    included = {r["study"] for r in _csv("screening.csv") if r["decision"] == "included"}
    return included, [r for r in _csv("codes.csv") if r["study"] in included]


def _support_matrix(rows: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    """The study x factor matrix of the method worked from CSV rows: support codes only, the
    largest count of any one coder per cell, every coded study a row."""
    per_coder = Counter(
        (r["study"], r["factor"], r["coder"]) for r in rows if r["direction"] != "context"
    )
    matrix: dict[str, dict[str, int]] = {r["study"]: {} for r in rows}
    for (study, factor, _), n in per_coder.items():
        matrix[study][factor] = max(matrix[study].get(factor, 0), n)
    return matrix


def test_corpus_matrix_and_weights(store: EmbeddedStore) -> None:
    """The real corpus through SPARQL, checked against counts taken straight from the CSVs:
    support codes only (a code whose direction is context names the study's setting)."""
    data = fetch(store)
    included, rows = _corpus()
    support = [r for r in rows if r["direction"] != "context"]
    assert support and len(support) < len(rows)  # the corpus has both kinds
    matrix = study_factor_matrix(data)
    # every included study (each has codes) is a row, also one coded only for its setting
    assert set(matrix) == included == {r["study"] for r in rows}
    assert matrix == _support_matrix(rows)
    unsupported = {r["study"] for r in rows} - {r["study"] for r in support}
    assert {s for s, row in matrix.items() if not row} == unsupported
    weights = entropy_weights(matrix)
    assert math.isclose(sum(w.weight for w in weights), 1.0)
    studies_of = Counter(f for row in matrix.values() for f in row)
    assert {w.factor: w.studies for w in weights} == dict(studies_of)
    assert {w.factor: w.codes for w in weights} == {
        f: sum(row.get(f, 0) for row in matrix.values()) for f in studies_of
    }
    # a factor that only names settings has no weight
    settings_only = {r["factor"] for r in rows} - {r["factor"] for r in support}
    assert settings_only and not settings_only & {w.factor for w in weights}
    # every factor supported by one study only is fully concentrated (E = 0) and shares the top
    # weight; one supported once in each of its n studies has E = ln n / ln m
    m = len(matrix)
    single = {f for f, n in studies_of.items() if n == 1}
    top = [w for w in weights if w.rank == 1]
    assert {w.factor for w in top} == single
    assert all(w.entropy == 0.0 and w.weight == pytest.approx(top[0].weight) for w in top)
    for w in weights:
        if w.codes == w.studies:
            assert w.entropy == pytest.approx(math.log(w.studies) / math.log(m)), w.factor


def test_corpus_flow_and_timeline(store: EmbeddedStore) -> None:
    """PRISMA counts and support codes per year of the corpus, against the CSVs."""
    analysis = analyse(fetch(store))
    screening = _csv("screening.csv")
    excluded = [r for r in screening if r["decision"] == "excluded"]
    early = Counter(r["reason"] for r in excluded if r["stage"] != "fulltext")
    late = Counter(r["reason"] for r in excluded if r["stage"] == "fulltext")
    assert analysis.flow.identified == len(_csv("studies.csv"))
    assert analysis.flow.excluded_at_screening == dict(early)
    assert analysis.flow.excluded_at_fulltext == dict(late)
    included, rows = _corpus()
    assert analysis.flow.included == len(included)
    year_of = {r["id"]: int(r["year"]) for r in _csv("studies.csv")}
    per_year: Counter[int] = Counter()
    for study, row in _support_matrix(rows).items():
        per_year[year_of[study]] += sum(row.values())
    assert {y.year: y.codes for y in analysis.years} == dict(per_year)
    assert {y.year: y.studies for y in analysis.years} == dict(
        Counter(year_of[s] for s in included)
    )
    coders = {r["coder"] for r in rows}
    if len(coders) == 1:
        assert analysis.agreement.message is not None
        assert "single coder" in analysis.agreement.message
    appraised = {r["study"] for r in _csv("appraisals.csv")}
    assert set(analysis.appraisal.unappraised) == included - appraised
