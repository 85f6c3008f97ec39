"""Ontology quality checks: every *-violation.rq query passes on the model and catches its fault."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph

from kg import paths
from kg.build import parse_turtle
from kg.qc import QcFailure, qc_files, run_check, run_qc
from kg.sssom import mapping_links, read_sssom
from tests.conftest import SHARED

FIXTURES = Path(__file__).resolve().parent / "qc"
CHECKS = qc_files(paths.QC_DIR)


@pytest.fixture(scope="module")
def model() -> Graph:
    """What the build runs the checks on: the ontology, the taxonomy and the curated mapping
    triples (mappings/rsme-kg.sssom.tsv; kg/pipeline.py)."""
    links = Graph()
    for triple in mapping_links(read_sssom(paths.MAPPINGS_FILE)):
        links.add(triple)
    return parse_turtle(paths.ONTOLOGY_FILE) + parse_turtle(paths.TAXONOMY_FILE) + links


def test_the_checks_asked_for_exist() -> None:
    names = {p.stem for p in CHECKS}
    assert {
        "missing-label-violation",
        "missing-definition-violation",
        "factor-category-violation",
        "concept-scheme-violation",
        "unverified-mapping-violation",
    } <= names


@pytest.fixture(scope="module")
def clean_run(model: Graph) -> list[QcFailure]:
    """Every check over the model, as the build runs them: run once, for the tests below."""
    return run_qc(model, paths.QC_DIR)


@pytest.mark.parametrize("check", CHECKS, ids=[p.stem for p in CHECKS])
def test_check_passes_on_the_model(check: Path, clean_run: list[QcFailure]) -> None:
    failure = next((f for f in clean_run if f.check == check.stem), None)
    assert failure is None, str(failure)


@pytest.mark.parametrize("check", CHECKS, ids=[p.stem for p in CHECKS])
def test_check_catches_its_fault(check: Path, model: Graph) -> None:
    fixture = FIXTURES / f"{check.stem}.ttl"
    assert fixture.is_file(), f"no broken fixture for {check.name}"
    broken = model + parse_turtle(fixture)
    failure = run_check(broken, check)
    assert failure is not None and failure.rows, f"{check.name} missed the fault in {fixture.name}"
    # every row names the entity the fixture broke
    first_subject = next(iter(parse_turtle(fixture).subjects()))
    assert any(str(first_subject) in row.values() for row in failure.rows), failure


def test_run_qc_reports_only_failures(model: Graph, clean_run: list[QcFailure]) -> None:
    assert clean_run == []
    broken = model + parse_turtle(FIXTURES / "factor-category-violation.ttl")
    assert [f.check for f in run_qc(broken, paths.QC_DIR)] == ["factor-category-violation"]


def _verified_iris(text: str) -> set[str]:
    iris = {f"http://www.wikidata.org/entity/{q}" for q in re.findall(r"\| (Q\d+) \|", text)}
    iris |= {f"http://zbw.eu/stw/descriptor/{d}" for d in re.findall(r"\| (\d{5}-\d) \(", text)}
    iris |= {f"http://aims.fao.org/aos/agrovoc/{c}" for c in re.findall(r"(c_\d+) ", text)}
    return iris


def test_allow_list_is_exactly_the_verified_identifiers() -> None:
    """The QC allow-list and shared/vocabularies.md name the same 35 identifiers."""
    source = SHARED / "vocabularies.md"
    if not source.is_file():
        pytest.skip("../shared/vocabularies.md is not beside this checkout")
    verified = _verified_iris(source.read_text(encoding="utf-8"))
    assert len(verified) == 35
    query = (paths.QC_DIR / "unverified-mapping-violation.rq").read_text(encoding="utf-8")
    listed = set(
        re.findall(r"<(http://(?:www\.wikidata\.org|zbw\.eu|aims\.fao\.org)/[^>]+)>", query)
    )
    assert listed == verified


def test_taxonomy_maps_only_to_verified_identifiers(model: Graph) -> None:
    source = SHARED / "vocabularies.md"
    if not source.is_file():
        pytest.skip("../shared/vocabularies.md is not beside this checkout")
    verified = _verified_iris(source.read_text(encoding="utf-8"))
    # the taxonomy's mappings are curated in mappings/rsme-kg.sssom.tsv (the model holds them)
    targets = {
        str(o)
        for o in model.objects()
        if str(o).startswith(("http://www.wikidata.org/", "http://zbw.eu/", "http://aims.fao.org/"))
    }
    assert targets and targets <= verified
