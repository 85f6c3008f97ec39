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
    with pytest.raises(AnalysisError, match="at least one coded factor"):
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


def test_corpus_matrix_and_weights(store: EmbeddedStore) -> None:
    """The real corpus through SPARQL, checked against counts taken straight from the CSVs."""
    data = fetch(store)
    included = {r["study"] for r in _csv("screening.csv") if r["decision"] == "included"}
    rows = [r for r in _csv("codes.csv") if r["study"] in included]
    matrix = study_factor_matrix(data)
    assert len(matrix) == len(included) == 42
    assert sum(sum(row.values()) for row in matrix.values()) == len(rows) == 78
    assert matrix["assadinia-2019"] == {
        "learning-orientation": 1,
        "marketing-programme-planning": 1,
        "psychic-distance": 1,
    }
    weights = entropy_weights(matrix)
    coded = {r["factor"] for r in rows}
    assert len(weights) == len(coded) == 50
    assert math.isclose(sum(w.weight for w in weights), 1.0)
    studies_of = Counter(r["factor"] for r in {(r["study"], r["factor"]): r for r in rows}.values())
    assert {w.factor: w.studies for w in weights} == dict(studies_of)
    # every factor coded once, in one study, is fully concentrated (E = 0) and shares the top
    # weight (rank 1); rural location, coded once in each of 12 studies, is spread out
    # (E = ln 12 / ln 42) and ranks last
    single = {f for f, n in studies_of.items() if n == 1}
    top = [w for w in weights if w.rank == 1]
    assert {w.factor for w in top} == single and len(single) == 41
    assert all(w.entropy == 0.0 and w.weight == pytest.approx(top[0].weight) for w in top)
    rural = weights[-1]
    assert (rural.factor, rural.studies, rural.rank) == ("rural-location", 12, 50)
    assert rural.entropy == pytest.approx(math.log(12) / math.log(42))


def test_corpus_flow_and_timeline(store: EmbeddedStore) -> None:
    """PRISMA counts and codes per year of the corpus, against the CSVs."""
    analysis = analyse(fetch(store))
    screening = _csv("screening.csv")
    reasons = Counter(r["reason"] for r in screening if r["decision"] == "excluded")
    assert analysis.flow.identified == len(_csv("studies.csv")) == 48
    assert analysis.flow.excluded_at_screening == dict(reasons)  # all decided at title stage
    assert reasons == {"methodological-reference": 3, "other-field-synthesis": 2, "out-of-scope": 1}
    assert analysis.flow.included == 42 and analysis.flow.excluded_at_fulltext == {}
    year_of = {r["id"]: int(r["year"]) for r in _csv("studies.csv")}
    included = {r["study"] for r in screening if r["decision"] == "included"}
    per_year = Counter(year_of[r["study"]] for r in _csv("codes.csv") if r["study"] in included)
    assert {y.year: y.codes for y in analysis.years} == dict(per_year)
    assert {y.year: y.studies for y in analysis.years} == dict(
        Counter(year_of[s] for s in included)
    )
    assert analysis.agreement.message is not None and "single coder" in analysis.agreement.message
    assert analysis.appraisal.appraisals == [] and len(analysis.appraisal.unappraised) == 42
