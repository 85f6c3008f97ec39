"""HermiT really runs: the model is consistent and satisfiable, and broken models are caught."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from typer.testing import CliRunner

from kg import paths, reason
from kg.build import parse_turtle
from kg.cli import app
from kg.errors import ReasonerUnavailable
from kg.namespaces import BIBO, RSME

EX = Namespace("https://example.org/test#")
pytestmark = pytest.mark.reasoner


@pytest.fixture(scope="module")
def model() -> tuple[Graph, Graph]:
    return parse_turtle(paths.ONTOLOGY_FILE), parse_turtle(paths.TAXONOMY_FILE)


def test_ontology_and_taxonomy_are_consistent_and_satisfiable(model: tuple[Graph, Graph]) -> None:
    report = reason.check(*model)
    assert report.consistent
    assert report.unsatisfiable == []
    assert report.ok


def test_an_individual_that_is_both_study_and_code_is_inconsistent(
    model: tuple[Graph, Graph],
) -> None:
    broken = Graph()
    broken.add((EX.thing, RDF.type, RSME.Study))
    broken.add((EX.thing, RDF.type, RSME.Code))
    report = reason.check(*model, broken)
    assert not report.consistent
    assert not report.ok


def test_a_code_with_two_directions_is_inconsistent(model: tuple[Graph, Graph]) -> None:
    """rsme:direction is functional and the directions are all different."""
    broken = Graph()
    broken.add((EX.code, RDF.type, RSME.Code))
    broken.add((EX.code, RSME.direction, RSME.driver))
    broken.add((EX.code, RSME.direction, RSME.barrier))
    assert not reason.check(*model, broken).consistent


def test_an_unsatisfiable_class_is_named(model: tuple[Graph, Graph]) -> None:
    broken = Graph()
    broken.add((EX.Chimera, RDF.type, OWL.Class))
    broken.add((EX.Chimera, RDFS.subClassOf, RSME.Study))
    broken.add((EX.Chimera, RDFS.subClassOf, RSME.Code))
    report = reason.check(*model, broken)
    assert report.consistent
    assert report.unsatisfiable == [str(EX.Chimera)]
    with pytest.raises(
        Exception, match=r"unsatisfiable classes: https://example\.org/test#Chimera"
    ):
        reason.require_ok(report)


def test_reasoner_input_drops_author_lists_but_keeps_owl_lists(model: tuple[Graph, Graph]) -> None:
    data = Graph()
    head = BNode()
    Collection(data, head, [EX.a, EX.b])
    data.add((EX.study, BIBO.authorList, head))
    merged = reason.reasoner_input(model[0], data)
    assert (EX.study, BIBO.authorList, head) not in merged
    assert not list(merged.triples((head, None, None)))
    # the ontology's own lists (owl:oneOf, owl:AllDisjointClasses members) survive
    one_of = next(merged.objects(None, OWL.oneOf), None)
    assert one_of is not None and merged.value(one_of, RDF.first) is not None


def test_without_java_the_reasoner_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, model: tuple[Graph, Graph]
) -> None:
    monkeypatch.setattr(reason.shutil, "which", lambda name: None)
    with pytest.raises(ReasonerUnavailable, match="apt-get install default-jre-headless"):
        reason.check(*model)
    result = CliRunner().invoke(app, ["build", "--out", "/nonexistent/never-written"])
    assert result.exit_code == 2
    assert "Java" in result.output and "--no-reason" in result.output


def test_literal_times_are_accepted_by_hermit(model: tuple[Graph, Graph]) -> None:
    """Regression: microsecond timestamps made HermiT fail; the build writes whole seconds."""
    from datetime import UTC, datetime

    from kg.build import provenance_graph

    prov = provenance_graph("test", datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), [])
    stamps = [o for o in prov.objects() if isinstance(o, Literal) and "T" in str(o)]
    assert [str(s) for s in stamps] == ["2026-01-02T03:04:05+00:00"]
    assert reason.check(*model, prov).consistent
