"""HermiT really runs: the model is consistent and satisfiable, and broken models are caught."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
from tests.corpus import tiny_data

EX = Namespace("https://example.org/test#")
pytestmark = pytest.mark.reasoner


@pytest.fixture(scope="module")
def model() -> tuple[Graph, Graph]:
    return parse_turtle(paths.ONTOLOGY_FILE), parse_turtle(paths.TAXONOMY_FILE)


@pytest.fixture(scope="module")
def model_run(
    model: tuple[Graph, Graph], tmp_path_factory: pytest.TempPathFactory
) -> tuple[reason.ReasonerReport, int, list[str]]:
    """One HermiT run (each starts a JVM) for three tests: the model with a provenance graph
    of microsecond timestamps, on a java the user names. Its report, how often that java was
    called, and the timestamps the provenance graph holds.

    Adding a graph cannot make an inconsistent model consistent or an unsatisfiable class
    satisfiable, so a consistent run with no unsatisfiable class says so of the model alone.
    """
    from datetime import UTC, datetime

    from kg.build import provenance_graph

    prov = provenance_graph("test", datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), [])
    stamps = [str(o) for o in prov.objects() if isinstance(o, Literal) and "T" in str(o)]
    script, marker = _recording_java(tmp_path_factory.mktemp("java"))
    report = reason.check(*model, prov, java=str(script))
    return report, marker.read_text().count("called"), stamps


def test_ontology_and_taxonomy_are_consistent_and_satisfiable(
    model_run: tuple[reason.ReasonerReport, int, list[str]],
) -> None:
    report, _, _ = model_run
    assert report.consistent
    assert report.unsatisfiable == []
    assert report.ok


@pytest.fixture(scope="module")
def study_and_code(model: tuple[Graph, Graph]) -> reason.ReasonerReport:
    """HermiT (the default runtime, with nothing on PATH) on an individual that is both a
    study and a code: one run for two tests."""
    broken = Graph()
    broken.add((EX.thing, RDF.type, RSME.Study))
    broken.add((EX.thing, RDF.type, RSME.Code))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", "/nonexistent")
        return reason.check(*model, broken)


def test_an_individual_that_is_both_study_and_code_is_inconsistent(
    study_and_code: reason.ReasonerReport,
) -> None:
    report = study_and_code
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


def test_hermit_runs_with_no_java_on_path(tmp_path: Path) -> None:
    """A fresh machine has no Java: the build runs HermiT on the runtime that pip installed."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    env["RSME_KG_CACHE"] = str(tmp_path / "cache")  # HermiT must run, not a cached verdict
    env.pop("JAVA_HOME", None)
    env.pop("RSME_KG_JAVA", None)
    assert shutil.which("java", path=env["PATH"]) is None
    out = tmp_path / "dist"
    data = tiny_data(tmp_path / "data")
    script = "from kg.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", script, "build", "--data", str(data), "--out", str(out)],
        cwd=paths.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HermiT: consistent, 0 unsatisfiable class(es)" in done.stdout
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert manifest["reasoner"]["consistent"] is True


def test_the_bundled_runtime_still_finds_inconsistencies(
    study_and_code: reason.ReasonerReport,
) -> None:
    """`study_and_code` ran with nothing on PATH and the default runtime, the bundled one."""
    assert inspect.signature(reason.check).parameters["java"].default == reason.BUNDLED
    assert not study_and_code.consistent


def _recording_java(tmp_path: Path) -> tuple[Path, Path]:
    """A java that notes each call, then runs the bundled one: shows which runtime was used."""
    marker = tmp_path / "calls"
    script = tmp_path / "my-java"
    real = reason.java_executable(reason.BUNDLED)
    script.write_text(f'#!/bin/sh\necho called >> "{marker}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return script, marker


def test_a_java_the_user_names_runs_hermit(
    model_run: tuple[reason.ReasonerReport, int, list[str]],
) -> None:
    report, calls, _ = model_run
    assert report.ok
    assert calls == 1


def test_the_java_setting_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, marker = _recording_java(tmp_path)
    monkeypatch.setenv("RSME_KG_JAVA", str(script))
    monkeypatch.setenv("RSME_KG_CACHE", str(tmp_path / "cache"))  # a cold run: HermiT runs
    result = CliRunner().invoke(app, ["validate", "--data", str(tiny_data(tmp_path / "data"))])
    assert result.exit_code == 0, result.output
    assert marker.read_text().count("called") == 1


def test_system_java_asked_for_but_missing_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: tuple[Graph, Graph]
) -> None:
    monkeypatch.setattr(reason.shutil, "which", lambda name: None)
    with pytest.raises(ReasonerUnavailable, match="apt-get install default-jre-headless"):
        reason.check(*model, java=reason.SYSTEM)
    out = tmp_path / "dist"
    result = CliRunner().invoke(app, ["build", "--java", "system", "--out", str(out)])
    assert result.exit_code == 2
    assert "no java on PATH" in result.output and "--no-reason" in result.output
    assert not out.exists()


def test_a_bare_name_is_looked_up_on_path_and_a_java_home_gets_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, _ = _recording_java(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert reason.java_executable("my-java") == str(script)
    home = Path(reason.java_executable(reason.BUNDLED)).parent.parent
    with pytest.raises(ReasonerUnavailable, match="is a Java home folder: give its bin/java"):
        reason.java_executable(str(home))


@pytest.mark.parametrize("kind", ["missing", "not-executable"])
def test_a_java_path_that_cannot_run_is_refused(tmp_path: Path, kind: str) -> None:
    java = tmp_path / "java"
    if kind == "not-executable":
        java.write_text("not a program")
    result = CliRunner().invoke(app, ["validate", "--java", str(java)])
    assert result.exit_code == 2
    assert f"the Java runtime {java} does not exist or is not executable" in result.output


def test_literal_times_are_accepted_by_hermit(
    model_run: tuple[reason.ReasonerReport, int, list[str]],
) -> None:
    """Regression: microsecond timestamps made HermiT fail; the build writes whole seconds."""
    report, _, stamps = model_run
    assert stamps == ["2026-01-02T03:04:05+00:00"]
    assert report.consistent
