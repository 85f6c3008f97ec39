"""The rsme-kg command line, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from kg import paths
from kg.cli import app
from kg.store.embedded import EmbeddedStore
from tests.conftest import ROOT, tree_digest
from tests.corpus import corpus

runner = CliRunner()
Built = tuple[Path, dict[str, object]]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture()
def store_dir(built: Built) -> str:
    return str(built[0] / paths.STORE_SUBDIR)


def test_query_json_is_sparql_results_json(store_dir: str) -> None:
    code, out = run(
        "query",
        "SELECT ?s WHERE { ?s a rsme:Study } ORDER BY ?s LIMIT 2",
        "--store",
        store_dir,
        "--format",
        "json",
    )
    assert code == 0, out
    doc = json.loads(out)
    assert doc["head"]["vars"] == ["s"]
    values = [b["s"]["value"] for b in doc["results"]["bindings"]]
    assert values == [
        "https://w3id.org/rsme-kg/id/study/akbari-2018",
        "https://w3id.org/rsme-kg/id/study/akbari-2019",
    ]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_query_csv_and_tsv(store_dir: str, fmt: str, delimiter: str) -> None:
    code, out = run(
        "query",
        "--file",
        str(ROOT / "kg/queries/examples/factors-by-studies.rq"),
        "--store",
        store_dir,
        "--format",
        fmt,
    )
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert [h.lstrip("?") for h in rows[0]] == [
        "factor",
        "factorLabel",
        "categoryLabel",
        "studies",
        "codes",
    ]
    assert len(rows) == 1 + len(corpus().supported_factors())  # header + one row per factor


def test_query_turtle_for_construct(store_dir: str) -> None:
    code, out = run(
        "query",
        "CONSTRUCT { ?s dcterms:title ?t } WHERE { ?s a rsme:Study ; dcterms:title ?t }",
        "--store",
        store_dir,
        "--format",
        "turtle",
    )
    assert code == 0, out
    assert len(Graph().parse(data=out, format="turtle")) == len(corpus().studies)


def test_query_table_and_bind(store_dir: str) -> None:
    code, out = run(
        "query",
        "--file",
        str(ROOT / "kg/queries/examples/evidence-for-factor.rq"),
        "--bind",
        "factor=factor:environmental-hostility",
        "--store",
        store_dir,
    )
    assert code == 0, out
    assert "study:akbari-2019" in out and "Global Environment Hostility" in out
    assert "1 row(s)" in out


def test_malformed_query_gives_the_parser_position(store_dir: str) -> None:
    code, out = run("query", "SELECT ?s WHERE { ?s ?p }", "--store", store_dir)
    assert code == 2
    assert (
        "malformed SPARQL query" in out and "error at 1:26" in out
    )  # just past the missing object


def test_turtle_for_select_is_a_usage_error(store_dir: str) -> None:
    code, out = run(
        "query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--store", store_dir, "--format", "turtle"
    )
    assert code == 2 and "CONSTRUCT/DESCRIBE" in out


def test_query_needs_exactly_one_source(store_dir: str) -> None:
    code, out = run("query", "--store", store_dir)
    assert code == 2 and "no query: give it as an argument or with --file" in out


def test_missing_store_says_to_build(tmp_path: Path) -> None:
    code, out = run("query", "ASK {}", "--store", str(tmp_path / "none"))
    assert code == 2 and "rsme-kg build" in out


def test_stats(built: Built, store_dir: str) -> None:
    code, out = run("stats", "--store", store_dir)
    assert code == 0, out
    f = corpus()
    assert (
        f"studies: {len(f.studies)} ({len(f.excluded)} excluded, {len(f.included)} included)" in out
    )
    assert (
        f"codes: {len(f.codes)} from {len(f.coded_studies())} studies by 1 coder(s), "
        f"evidencing {len(f.factors_with_evidence())} factors"
    ) in out
    assert "Government support" in out and "https://w3id.org/rsme-kg/graph/corpus" in out
    assert f"build {built[1]['build_id']}" in out


def test_load_outside_rdf_then_query_it(built: Built, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(built[0] / paths.STORE_SUBDIR, store)
    extra = tmp_path / "stw-extract.ttl"
    extra.write_text(
        "<http://zbw.eu/stw/descriptor/11224-2> "
        '<http://www.w3.org/2004/02/skos/core#prefLabel> "Human capital"@en .\n'
    )
    code, out = run("load", str(extra), "--store", str(store), "--graph", "https://example.org/stw")
    assert code == 0, out
    assert "loaded 1 statements" in out
    code, out = run(
        "query",
        'SELECT ?f WHERE { ?f skos:broadMatch ?c . ?c skos:prefLabel "Human capital"@en }',
        "--store",
        str(store),
        "--format",
        "csv",
    )
    assert code == 0 and "entrepreneur-human-capital" in out
    # loading again replaces the graph instead of duplicating it
    run("load", str(extra), "--store", str(store), "--graph", "https://example.org/stw")
    assert EmbeddedStore.open(store).graph_sizes()["https://example.org/stw"] == 1


def test_load_bad_rdf_changes_nothing(built: Built, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "store"
    shutil.copytree(built[0] / paths.STORE_SUBDIR, store)
    before = len(EmbeddedStore.open(store))
    bad = tmp_path / "bad.ttl"
    bad.write_text('<http://a> <http://b> <http://c> .\n<http://a> <http://b> "unterminated .\n')
    code, out = run("load", str(bad), "--store", str(store))
    assert code == 2 and "bad.ttl" in out and "not valid RDF" in out
    assert len(EmbeddedStore.open(store)) == before


def test_console_script_runs_as_a_process(built: Built) -> None:
    """The installed `rsme-kg` entry point, in a real process, with its exit code."""
    exe = Path(sys.executable).parent / "rsme-kg"
    done = subprocess.run(
        [
            str(exe),
            "query",
            "ASK { study:ruzzier-2007 bibo:doi ?d }",
            "--store",
            str(built[0] / paths.STORE_SUBDIR),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "true"
    done = subprocess.run(
        [str(exe), "validate", "--data", "/nonexistent"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "no such data folder" in done.stderr


def test_validate_reads_excel_files_and_writes_nothing(
    small_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rsme-kg validate` reads the data folder, ./data by default, and writes nowhere; Excel
    writes a byte-order mark and CRLF line ends, both fine. (The fixture corpus: the real
    data/ is validated by the session's build.)"""
    for path in small_data.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    assert small_data == tmp_path / "data"
    before = tree_digest(tmp_path)
    code, out = run("validate", "--no-reason")
    assert code == 0, out
    assert "valid" in out
    assert tree_digest(tmp_path) == before


def test_validate_keeps_its_check_cache_in_the_working_folder_only(
    small_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no --cache and no RSME_KG_CACHE, `validate` keeps its check results in
    ./.rsme-kg-cache (and writes nothing else); --no-cache keeps none."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RSME_KG_CACHE", raising=False)
    data_before = tree_digest(small_data)
    code, out = run("validate", "--no-reason", "--no-cache")
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    code, out = run("validate", "--no-reason")
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rsme-kg-cache", "data"]
    assert (tmp_path / ".rsme-kg-cache" / "README.txt").is_file()
    assert tree_digest(small_data) == data_before


@pytest.fixture()
def store_copy(built: Built, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "store"
    shutil.copytree(built[0] / paths.STORE_SUBDIR, target)
    return target


def test_two_files_into_one_graph_keep_both(store_copy: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    a.write_text("<http://e/a> <http://e/p> 1 .\n")
    b.write_text("<http://e/b> <http://e/p> 2 .\n")
    code, out = run("load", str(a), str(b), "--store", str(store_copy), "--graph", "https://e/g")
    assert code == 0, out
    assert EmbeddedStore.open(store_copy).graph_sizes()["https://e/g"] == 2


def test_a_bad_file_among_several_changes_nothing(store_copy: Path, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text("<http://e/a> <http://e/p> 1 .\n")
    bad.write_text("<http://e/a> <http://e/p> .\n")
    before = EmbeddedStore.open(store_copy).graph_sizes()
    code, out = run(
        "load", str(good), str(bad), "--store", str(store_copy), "--graph", "https://e/h"
    )
    assert code == 2 and "bad.ttl" in out
    assert EmbeddedStore.open(store_copy).graph_sizes() == before


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ("https://w3id.org/rsme-kg/graph/corpus", "cannot be loaded into"),
        ("not an iri", "is not a graph IRI"),
    ],
)
def test_load_refuses_build_graphs_and_bad_iris(
    store_copy: Path, tmp_path: Path, graph: str, message: str
) -> None:
    extra = tmp_path / "x.ttl"
    extra.write_text("<http://e/a> <http://e/p> 1 .\n")
    before = EmbeddedStore.open(store_copy).graph_sizes()
    code, out = run("load", str(extra), "--store", str(store_copy), "--graph", graph)
    assert code == 2 and message in out
    assert EmbeddedStore.open(store_copy).graph_sizes() == before


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ("factor=<bad iri>", "is not a valid IRI"),
        ("a-b=x", "is not a SPARQL variable name"),
        ("noequals", "expected NAME=VALUE"),
    ],
)
def test_bad_bindings_are_usage_errors(store_dir: str, binding: str, message: str) -> None:
    code, out = run(
        "query",
        "SELECT ?factor WHERE { ?factor a rsme:Factor }",
        "--bind",
        binding,
        "--store",
        store_dir,
    )
    assert code == 2 and message in out


def test_binding_an_unreturned_variable_is_an_error_not_a_wrong_count(store_dir: str) -> None:
    code, out = run(
        "query",
        "SELECT (COUNT(*) AS ?n) WHERE { ?c rsme:codesFactor ?f }",
        "--bind",
        "f=factor:psychic-distance",
        "--store",
        store_dir,
    )
    assert code == 2 and "bind only variables the query returns" in out
