"""The analytics over datasets, against examples worked by hand (no store needed)."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef

from kg.analysis.agreement import coder_agreement
from kg.analysis.appraisal import summarise
from kg.analysis.cooccurrence import cooccurrence
from kg.analysis.dataset import AnswerRow, CodeRow, Dataset, FactorRow, StudyRow, from_tables
from kg.analysis.flow import screening_flow
from kg.analysis.matrix import study_category_matrix, study_factor_matrix, to_csv
from kg.analysis.report import analyse, kappa_json
from kg.analysis.timeline import timeline
from kg.analysis.weights import entropy_weights
from kg.store.base import QueryResult

CODEBOOK = [
    FactorRow("a", "A", "الف", "k1", "K one", ""),
    FactorRow("b", "B", "", "k1", "K one", ""),
    FactorRow("c", "C", "", "k2", "K two", ""),
]
CATEGORY = {"a": "k1", "b": "k1", "c": "k2"}


def codes(*triples: tuple[str, str, str], year: int = 2020) -> list[CodeRow]:
    """Codes from (coder, study, factor) triples."""
    return [
        CodeRow(
            f"{coder}-{study}-{factor}-{i}", study, year, factor, CATEGORY[factor], coder, False
        )
        for i, (coder, study, factor) in enumerate(triples)
    ]


def test_several_coders_count_once_per_cell() -> None:
    """Two coders agreeing on a finding make one code in the matrix, not two (max, not sum)."""
    data = Dataset(
        codes(("ann", "s1", "a"), ("bob", "s1", "a"), ("bob", "s1", "a"), ("ann", "s1", "c")),
        [],
        [],
        CODEBOOK,
    )
    assert study_factor_matrix(data) == {"s1": {"a": 2, "c": 1}}
    assert study_category_matrix(data) == {"s1": {"k1": 2, "k2": 1}}


def test_category_matrix_and_csv_by_hand() -> None:
    data = Dataset(
        codes(("x", "s1", "a"), ("x", "s1", "b"), ("x", "s2", "c"), ("x", "s2", "a")), [], [], []
    )
    assert study_category_matrix(data) == {"s1": {"k1": 2}, "s2": {"k1": 1, "k2": 1}}
    assert to_csv(study_category_matrix(data), ["k2", "k1"]) == (
        "study,k2,k1,total\ns1,0,2,2\ns2,1,1,2\n"
    )


def test_cooccurrence_counts_studies_not_codes() -> None:
    """s1 codes a, b, c; s2 codes a and b twice; s3 codes c: a-b in 2 studies, a-c and b-c in 1."""
    data = Dataset(
        codes(
            ("x", "s1", "a"),
            ("x", "s1", "b"),
            ("x", "s1", "c"),
            ("x", "s2", "a"),
            ("x", "s2", "b"),
            ("x", "s2", "b"),
            ("x", "s3", "c"),
        ),
        [],
        [],
        [],
    )
    pairs = [(p.first, p.second, p.count, p.studies) for p in cooccurrence(data)]
    assert pairs == [("a", "b", 2, ("s1", "s2")), ("a", "c", 1, ("s1",)), ("b", "c", 1, ("s1",))]


def test_timeline_counts_included_studies_and_codes_per_year() -> None:
    data = Dataset(
        codes(("x", "s1", "a"), ("x", "s1", "c"), year=2018)
        + codes(("x", "s2", "a"), ("x", "s3", "b"), ("x", "s3", "a"), year=2019),
        [
            StudyRow("s1", 2018, "included", "", "title"),
            StudyRow("s2", 2019, "included", "", "title"),
            StudyRow("s3", 2019, "included", "", "title"),
            StudyRow("s4", 2019, "excluded", "out-of-scope", "title"),
            StudyRow("s5", 2021, "included", "", "title"),  # included, not coded yet
        ],
        [],
        [],
    )
    years = {y.year: y for y in timeline(data)}
    assert sorted(years) == [2018, 2019, 2021]
    assert (years[2018].studies, years[2018].codes) == (1, 2)
    assert years[2018].category_codes == {"k1": 1, "k2": 1}
    assert (years[2019].studies, years[2019].codes) == (2, 3)  # s4 is excluded
    assert years[2019].category_studies == {"k1": 2}
    assert (years[2021].studies, years[2021].codes) == (1, 0)


def test_prisma_flow_adds_up() -> None:
    """10 records: 1 undecided; 3 excluded at title/abstract (2 reasons), 2 at full text, 4 in."""
    rows = [StudyRow(f"s{i}", 2020, "included", "", "fulltext") for i in range(4)]
    rows += [
        StudyRow("t1", 2020, "excluded", "out-of-scope", "title"),
        StudyRow("t2", 2020, "excluded", "out-of-scope", "abstract"),
        StudyRow("t3", 2020, "excluded", "methodological-reference", ""),
        StudyRow("f1", 2020, "excluded", "other-field-synthesis", "fulltext"),
        StudyRow("f2", 2020, "excluded", "other-field-synthesis", "fulltext"),
        StudyRow("u1", 2020, "", "", ""),
    ]
    flow = screening_flow(Dataset([], rows, [], []))
    assert (flow.identified, flow.awaiting, flow.screened) == (10, 1, 9)
    assert flow.excluded_at_screening == {"methodological-reference": 1, "out-of-scope": 2}
    assert (flow.assessed, flow.excluded_at_fulltext) == (6, {"other-field-synthesis": 2})
    assert flow.included == 4 and flow.excluded == 5
    assert flow.assessed - sum(flow.excluded_at_fulltext.values()) == flow.included


def _casp(study: str, appraiser: str, answers: str, scores: list[float] | None = None) -> list:
    """Ten answers from a string of y (yes), ? (can't tell) and n (no)."""
    value = {"y": "yes", "?": "cant-tell", "n": "no"}
    return [
        AnswerRow(study, appraiser, i + 1, value[a], scores[i] if scores else None)
        for i, a in enumerate(answers)
    ]


def test_appraisal_by_yes_answers_with_a_cut_off() -> None:
    """s1: 8 yes (ann) and 6 yes (bob), mean 7; s2: 5 yes. Cut-off 7: s1 passes, s2 does not."""
    answers = (
        _casp("s1", "ann", "yyyyyyyy?n")
        + _casp("s1", "bob", "yyyyyynnn?")
        + _casp("s2", "ann", "yyyyynnnnn")
    )
    studies = [StudyRow(s, 2020, "included", "", "") for s in ("s1", "s2", "s3")]
    summary = summarise(Dataset([], studies, answers, []), cutoff=7)
    assert summary.scale == "yes"
    assert [
        (a.study, a.appraiser, a.yes, a.cant_tell, a.no, a.total) for a in summary.appraisals
    ] == [
        ("s1", "ann", 8, 1, 1, 8.0),
        ("s1", "bob", 6, 1, 3, 6.0),
        ("s2", "ann", 5, 0, 5, 5.0),
    ]
    assert summary.study_totals == {"s1": 7.0, "s2": 5.0}
    assert summary.passed == ["s1"]
    assert summary.unappraised == ["s3"]
    first, last = summary.criteria[0], summary.criteria[9]
    assert (first.criterion, first.yes, first.no) == (1, 3, 0)
    assert (last.criterion, last.question, last.yes, last.cant_tell, last.no) == (
        10,
        "value of the research",
        0,
        1,
        2,
    )
    assert summarise(Dataset([], studies, answers, []), cutoff=None).passed is None


def test_appraisal_by_scores_when_every_answer_has_one() -> None:
    scores = [2, 2, 2, 1, 1, 1, 0, 2, 2, 2]  # sum 15
    summary = summarise(Dataset([], [], _casp("s1", "ann", "yyy???nyyy", scores), []), 16)
    assert summary.scale == "score" and summary.study_totals == {"s1": 15.0}
    assert summary.passed == []


def test_cohen_kappa_of_two_coders_over_the_codebook() -> None:
    """Codebook a, b, c; ann and bob both coded s1 and s2; ann alone coded s3.

    s1: ann {a, b}, bob {a}; s2: ann {c}, bob {c, b}. Items = 2 studies x 3 factors = 6:
    both present 2 (s1 a, s2 c), ann only 1 (s1 b), bob only 1 (s2 b), neither 2.
    p_o = 4/6; p_ann = p_bob = 3/6; p_e = 1/4 + 1/4 = 1/2; kappa = (2/3 - 1/2) / (1/2) = 1/3.
    Per factor over the 2 studies: a present for both in s1, absent for both in s2: kappa 1;
    b: ann (T, F), bob (F, T): p_o 0, p_e 1/2, kappa -1.
    """
    data = Dataset(
        codes(
            ("ann", "s1", "a"),
            ("ann", "s1", "b"),
            ("bob", "s1", "a"),
            ("ann", "s2", "c"),
            ("bob", "s2", "c"),
            ("bob", "s2", "b"),
            ("ann", "s3", "a"),
        ),
        [],
        [],
        CODEBOOK,
        {"ann": "Ann", "bob": "Bob"},
    )
    agreement = coder_agreement(data)
    assert agreement.message is None and agreement.coders == ["ann", "bob"]
    (pair,) = agreement.pairs
    assert (pair.first, pair.second, pair.studies, pair.items) == ("ann", "bob", ("s1", "s2"), 6)
    assert pair.observed == pytest.approx(4 / 6)
    assert pair.kappa == pytest.approx(1 / 3) and pair.band == "fair"
    per_factor = {f.factor: f for f in pair.factors}
    assert per_factor["a"].kappa == pytest.approx(1.0)
    assert (per_factor["a"].both, per_factor["a"].neither) == (1, 1)
    assert per_factor["b"].kappa == pytest.approx(-1.0) and per_factor["b"].band == "poor"
    assert (per_factor["b"].first_only, per_factor["b"].second_only) == (1, 1)
    assert agreement.fleiss is None  # two coders: Cohen's kappa is the measure


def test_fleiss_kappa_of_three_coders() -> None:
    """Three coders on one study, codebook a, b, c: a by all 3, b by 2, c by none.

    Subjects (a, b, c) as counts [present, absent]: [3, 0], [2, 1], [0, 3].
    P_i = (1, 1/3, 1); P = 7/9; p = (5/9, 4/9); P_e = 41/81; kappa = (63 - 41)/(81 - 41) = 0.55.
    """
    data = Dataset(
        codes(
            ("ann", "s1", "a"),
            ("bob", "s1", "a"),
            ("cy", "s1", "a"),
            ("ann", "s1", "b"),
            ("bob", "s1", "b"),
        ),
        [],
        [],
        CODEBOOK,
    )
    agreement = coder_agreement(data)
    assert agreement.fleiss == pytest.approx(0.55)
    assert agreement.fleiss_band == "moderate" and agreement.fleiss_studies == ("s1",)
    assert len(agreement.pairs) == 3


def test_agreement_messages() -> None:
    single = coder_agreement(Dataset(codes(("ann", "s1", "a")), [], [], CODEBOOK, {"ann": "Ann"}))
    assert single.pairs == [] and single.message is not None
    assert "single coder (Ann)" in single.message and "at least two coders" in single.message
    apart = coder_agreement(
        Dataset(codes(("ann", "s1", "a"), ("bob", "s2", "a")), [], [], CODEBOOK)
    )
    assert apart.pairs == [] and apart.message is not None and "in common" in apart.message
    nobody = coder_agreement(Dataset([], [], [], CODEBOOK))
    assert nobody.message is not None and "no codes" in nobody.message
    assert kappa_json(analyse(Dataset([], [], [], CODEBOOK)))["message"] == nobody.message


def test_equal_weights_share_a_rank() -> None:
    """a and b each in one study (W equal), c in both studies evenly (W = 0): ranks 1, 1, 3."""
    weights = entropy_weights({"s1": {"a": 1, "c": 1}, "s2": {"b": 1, "c": 1}})
    assert [(w.factor, w.rank) for w in weights] == [("a", 1), ("b", 1), ("c", 3)]
    assert weights[0].weight == pytest.approx(0.5)


def test_edge_cases_do_not_break_the_whole_analysis() -> None:
    """One study: weights cannot be computed; the analysis says why and the rest still runs."""
    one = analyse(
        Dataset(codes(("ann", "s1", "a")), [StudyRow("s1", 2020, "included", "", "")], [], CODEBOOK)
    )
    assert one.weights == [] and one.weights_error is not None
    assert "at least two studies" in one.weights_error
    assert one.flow.included == 1 and one.pairs == []
    empty = analyse(Dataset([], [], [], CODEBOOK))
    assert empty.weights == [] and empty.factor_matrix == {} and empty.years == []


def test_a_stores_terms_read_as_typed_rows() -> None:
    """A store's rdflib terms, typed by the one runner (CLI and API alike), read as a code."""
    base = "https://w3id.org/rsme-kg/"
    as_terms = {
        "code": URIRef(base + "id/code/s1-1"),
        "study": URIRef(base + "id/study/s1"),
        "year": Literal(2019),
        "factor": URIRef(base + "id/factor/a"),
        "category": URIRef(base + "id/category/k1"),
        "coder": URIRef(base + "id/agent/ann"),
        "setting": Literal(True),
    }
    rows = QueryResult("select", list(as_terms), [as_terms]).rows()
    as_json = {k: (str(v) if isinstance(v, URIRef) else v.toPython()) for k, v in as_terms.items()}
    assert rows == [as_json]  # the values the API's JSON rows carried
    first = from_tables({"codes": rows}).codes
    assert first == [CodeRow("s1-1", "s1", 2019, "a", "k1", "ann", True)]


def test_report_tables_carry_fleiss_kappa_for_three_coders() -> None:
    from kg.analysis.document import tables

    data = Dataset(
        codes(
            ("ann", "s1", "a"),
            ("bob", "s1", "a"),
            ("cy", "s1", "a"),
            ("ann", "s1", "b"),
            ("bob", "s1", "b"),
        ),
        [],
        [],
        CODEBOOK,
    )
    by_name = {t.name: t for t in tables(analyse(data))}
    ((coders, studies, kappa, band),) = by_name["fleiss"].rows
    assert (coders, studies, band) == (3, 1, "moderate") and kappa == pytest.approx(0.55)
    assert len(by_name["kappa"].rows) == 3  # every pair of coders
