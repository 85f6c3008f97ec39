"""Incremental SHACL (kg.validate.validate_partition) gives exactly what full validation gives.

A scratch copy of the fixture corpus (tests/data/corpus) takes random edits, good and bad;
after each, the build is validated module by module with a cache carried over from the rounds
before, and as one graph by `validate`: the same conformance, the same located violations in
the same order, isomorphic report graphs. Then what the cache saves: a second run checks no
module, one edited row checks only its module, a damaged entry is checked again.
"""

from __future__ import annotations

import csv
import hashlib
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

import kg.validate as kg_validate
from kg import paths, sparqlcache
from kg import validate as validation
from kg.build import corpus_graph, parse_turtle, vocabulary_of
from kg.cache import Cache
from kg.errors import InputError
from kg.ingest.corpus import check_vocabulary, read_corpus
from kg.modules import Module, Partition, digest_texts, partition
from kg.records import Origin
from kg.shaclparts import Result, decode, encode
from kg.sssom import mapping_triples, read_sssom
from kg.validate import ValidationReport, load_shapes, validate, validate_partition
from tests.corpus import FIXTURE, line_of, taxonomy_factors

ROUNDS = 30
SEED = 20261206
# what the pipeline salts module digests with: the ontology's, taxonomy's and mappings' files
MODEL_DIGEST = digest_texts(
    *(
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (paths.ONTOLOGY_FILE, paths.TAXONOMY_FILE, paths.MAPPINGS_FILE)
    )
)


@cache
def model_and_shapes() -> tuple[Graph, Graph]:
    """Ontology + taxonomy + the curated mappings' graph (the model, as kg/pipeline.py makes
    it), and the shapes, read once (as one run of the CLI reads them)."""
    model = parse_turtle(paths.ONTOLOGY_FILE) + parse_turtle(paths.TAXONOMY_FILE)
    for triple in mapping_triples(read_sssom(paths.MAPPINGS_FILE)):
        model.add(triple)
    return model, load_shapes(paths.SHAPES_DIR)


@dataclass
class Built:
    """What validation reads of one build of a data folder."""

    model: Graph
    corpus: Graph
    shapes: Graph
    parts: Partition
    origins: dict[URIRef, Origin]

    def full(self) -> ValidationReport:
        """One pySHACL run over everything, its SPARQL answered by rdflib's engine alone: the
        reference the incremental path (Oxigraph where exact) is held to."""
        with rdflib_only():
            return validate(self.model + self.corpus, self.shapes, self.origins, _published)

    def incremental(self, store: Cache) -> ValidationReport:
        return validate_partition(
            self.model, self.parts, self.shapes, store, self.origins, _published
        )


@contextmanager
def rdflib_only() -> Iterator[None]:
    saved = sparqlcache.USE_OXIGRAPH
    sparqlcache.USE_OXIGRAPH = False
    try:
        yield
    finally:
        sparqlcache.USE_OXIGRAPH = saved


def _published(path: Path) -> str:
    return f"data/{path.name}"


def build(data: Path) -> Built:
    """Read and build a data folder as the pipeline does (InputError on unreadable rows)."""
    model, shapes = model_and_shapes()
    corpus = read_corpus(data)
    check_vocabulary(corpus, vocabulary_of(model))
    graph, origins = corpus_graph(corpus)
    return Built(model, graph, shapes, partition(model, list(graph), MODEL_DIGEST), origins)


def assert_same(incremental: ValidationReport, full: ValidationReport) -> None:
    assert incremental.conforms == full.conforms
    assert [str(v) for v in incremental.violations] == [str(v) for v in full.violations]
    assert incremental.text() == full.text()
    assert isomorphic(incremental.graph, full.graph), "report graphs differ"


# --- editing the CSV files -----------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


Edit = Callable[[Path, random.Random], str]


def _edit(name: str, change: Callable[[list[dict[str, str]], random.Random], str]) -> Edit:
    def apply(data: Path, rng: random.Random) -> str:
        header, rows = read_rows(data / name)
        said = change(rows, rng)
        write_rows(data / name, header, rows)
        return f"{name}: {said}"

    return apply


def _title_codes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r["basis"] == "title"]


def quote_not_in_title(rows: list[dict[str, str]], rng: random.Random) -> str:
    code = rng.choice(_title_codes(rows))
    code["quote"] = "a phrase no title has"
    return f"quote of {code['id']} not in its title"


def break_offsets(rows: list[dict[str, str]], rng: random.Random) -> str:
    code = rng.choice([r for r in rows if r["start"] and r["end"]])
    code["start"] = str(int(code["start"]) + rng.choice([1, 2]))
    return f"offsets of {code['id']} moved"


def one_sided_offsets(rows: list[dict[str, str]], rng: random.Random) -> str:
    code = rng.choice([r for r in rows if r["start"] and r["end"]])
    code["end"] = ""
    return f"{code['id']} without an end offset"


def remove_code(rows: list[dict[str, str]], rng: random.Random) -> str:
    code = rng.choice(rows)
    rows.remove(code)
    return f"{code['id']} removed"


def change_factor(rows: list[dict[str, str]], rng: random.Random) -> str:
    code = rng.choice(rows)
    code["factor"] = rng.choice(sorted(taxonomy_factors()))
    return f"{code['id']} codes {code['factor']}"


def year_1800(rows: list[dict[str, str]], rng: random.Random) -> str:
    study = rng.choice(rows)
    study["year"] = "1800"
    return f"{study['id']} in 1800"


def rename_author(rows: list[dict[str, str]], rng: random.Random) -> str:
    study = rng.choice([r for r in rows if r["authors"]])
    authors = study["authors"].split("; ")
    i = rng.randrange(len(authors))
    authors[i] = f"Renamed{rng.randrange(100)}, Q."
    study["authors"] = "; ".join(authors)
    return f"an author of {study['id']} renamed"


def drop_authors(rows: list[dict[str, str]], rng: random.Random) -> str:
    study = rng.choice(rows)
    study["authors"] = ""
    return f"{study['id']} without authors"


def shared_doi(rows: list[dict[str, str]], rng: random.Random) -> str:
    with_doi = [r for r in rows if r["doi"]]
    source = rng.choice(with_doi)
    target = rng.choice([r for r in rows if r is not source])
    target["doi"] = source["doi"]
    return f"{target['id']} given the DOI of {source['id']}"


def add_study(data: Path, rng: random.Random) -> str:
    """A new excluded study (a copy of a row under a new id), with its screening row."""
    header, rows = read_rows(data / "studies.csv")
    new = dict(rng.choice(rows))
    new["id"] = f"added-{rng.randrange(10**6)}"
    new["doi"] = ""
    rows.append(new)
    write_rows(data / "studies.csv", header, rows)
    header, screening = read_rows(data / "screening.csv")
    decision = dict(next(r for r in screening if r["decision"] == "excluded"))
    decision["study"] = new["id"]
    screening.append(decision)
    write_rows(data / "screening.csv", header, screening)
    return f"study {new['id']} added"


EDITS: list[Edit] = [
    _edit("codes.csv", quote_not_in_title),
    _edit("codes.csv", break_offsets),
    _edit("codes.csv", one_sided_offsets),
    _edit("codes.csv", remove_code),
    _edit("codes.csv", change_factor),
    _edit("studies.csv", year_1800),
    _edit("studies.csv", rename_author),
    _edit("studies.csv", drop_authors),
    _edit("studies.csv", shared_doi),
    add_study,
]


def restore_one(data: Path, rng: random.Random) -> str:
    """A good edit: one file back as the fixture has it."""
    name = rng.choice(sorted(p.name for p in FIXTURE.glob("*.csv")))
    shutil.copy(FIXTURE / name, data / name)
    return f"{name} restored"


def restore_all(data: Path, rng: random.Random) -> str:
    """A good edit: every file back as the fixture has it (all errors fixed)."""
    for path in FIXTURE.glob("*.csv"):
        shutil.copy(path, data / path.name)
    return "all files restored"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture()
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The modules each pySHACL run of validate_partition checked (a list per run)."""
    runs: list[list[str]] = []
    real = validation.check_batch

    def counting(model: Graph, modules: list[Module], shapes: Graph) -> Graph:
        runs.append([m.key for m in modules])
        return real(model, modules, shapes)

    monkeypatch.setattr(validation, "check_batch", counting)
    yield runs


# --- incremental == full, under random edits -----------------------------------------------


def test_random_edits_validate_incrementally_as_in_full(data: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    store = Cache.at(tmp_path / "cache")
    compared = failing = 0
    history: list[str] = []
    while compared < ROUNDS:
        backup = {p.name: p.read_bytes() for p in data.glob("*.csv")}
        draw = rng.random()
        edit = restore_all if draw < 0.2 else restore_one if draw < 0.35 else rng.choice(EDITS)
        history.append(edit(data, rng))
        try:
            built = build(data)
        except InputError:  # the tables refuse the edit before SHACL: undo it
            for name, content in backup.items():
                (data / name).write_bytes(content)
            history[-1] += " (refused by the reader, undone)"
            continue
        incremental, full = built.incremental(store), built.full()
        try:
            assert_same(incremental, full)
        except AssertionError as e:
            raise AssertionError(f"after edits {history}: {e}") from e
        compared += 1
        failing += not full.conforms
    # the edits must have exercised both sides: reports that fail and reports that pass
    assert 0 < failing < ROUNDS, history


def test_a_known_violation_is_found_and_located_incrementally(data: Path, tmp_path: Path) -> None:
    """Hand-worked: alayo-2019 given the year 1800 is one violation, on its row's year."""
    header, rows = read_rows(data / "studies.csv")
    next(r for r in rows if r["id"] == "alayo-2019")["year"] = "1800"
    write_rows(data / "studies.csv", header, rows)
    store = Cache.at(tmp_path / "cache")
    for _ in range(2):  # checked, then read back from the cache: the same either way
        report = build(data).incremental(store)
        assert not report.conforms
        assert len(report.violations) == 1
        (violation,) = report.violations
        line = line_of("studies.csv", "alayo-2019", data)
        assert str(violation).startswith(f"{data / 'studies.csv'}, line {line}, column 4")
        assert "field 'year'" in str(violation) and "study:alayo-2019" in str(violation)
        assert violation.value == '"1800"^^xsd:gYear'


# --- what the cache saves --------------------------------------------------------------------


def test_a_second_run_checks_no_module(data: Path, tmp_path: Path, spy: list[list[str]]) -> None:
    store = Cache.at(tmp_path / "cache")
    built = build(data)
    # shapes as read, never validated with (pySHACL once added triples to the shapes graph it
    # was given, so a second run in the same process missed every entry)
    built.shapes = load_shapes(paths.SHAPES_DIR)
    read = set(built.shapes)
    first = built.incremental(store)
    assert len(spy) == 1 and sorted(spy[0]) == sorted(m.key for m in built.parts.modules)
    assert set(built.shapes) == read, "validation changed the shapes graph"
    second = built.incremental(store)
    assert len(spy) == 1, "a run with every module cached ran pySHACL"
    assert_same(second, first)


def test_one_edited_row_checks_only_its_module(
    data: Path, tmp_path: Path, spy: list[list[str]]
) -> None:
    store = Cache.at(tmp_path / "cache")
    build(data).incremental(store)
    header, rows = read_rows(data / "codes.csv")
    code = next(r for r in rows if r["id"] == "assadinia-2019-3")
    code["quote"] = "psychological distance"
    write_rows(data / "codes.csv", header, rows)
    built = build(data)
    report = built.incremental(store)
    study = "https://w3id.org/rsme-kg/id/study/assadinia-2019"
    assert spy[1:] == [[study]]
    assert_same(report, built.full())
    assert not report.conforms


def test_a_damaged_entry_is_checked_again(data: Path, tmp_path: Path, spy: list[list[str]]) -> None:
    store = Cache.at(tmp_path / "cache")
    built = build(data)
    built.incremental(store)
    entries = sorted((tmp_path / "cache").rglob("*/shacl/*/*"))
    assert len(entries) == len(built.parts.modules) + 1  # and one for the model's results
    rng = random.Random(SEED)
    for damage in (b"", b"{not json", b'{"format": 1, "results": [{"node": ["x"]}]}'):
        victim = rng.choice(entries)
        victim.write_bytes(damage)
        report = build(data).incremental(store)
        assert len(spy[-1]) <= 1, "more than the damaged module was checked again"
        assert_same(report, built.full())
    runs = len(spy)
    build(data).incremental(store)
    assert len(spy) == runs, "the rewritten entries were not read back"


def test_without_a_cache_every_run_checks_everything(data: Path, spy: list[list[str]]) -> None:
    built = build(data)
    for _ in range(2):
        assert_same(built.incremental(Cache(None)), built.full())
    assert [len(run) for run in spy] == [len(built.parts.modules)] * 2


# --- the entries themselves --------------------------------------------------------------


def test_entries_keep_every_term_as_it_was() -> None:
    """Lexical forms, datatypes, languages and blank node labels come back unchanged."""
    node, author_list = BNode("r1"), BNode("authorsabc123n0")
    terms = [
        Literal("05", datatype=XSD.nonNegativeInteger, normalize=False),
        Literal("7", datatype=XSD.nonNegativeInteger),
        Literal("1800", datatype=XSD.gYear),
        Literal("1.0", datatype=XSD.decimal, normalize=False),
        Literal("عنوان", lang="fa"),
        Literal("plain"),
        Literal("typed", datatype=XSD.string),
        author_list,
        URIRef("https://w3id.org/rsme-kg/id/study/x"),
    ]
    p = URIRef("urn:p")
    result = Result(node, tuple((node, p, t) for t in terms))
    (back,) = decode(encode([result])) or []
    assert back == result
    for before, after in zip(result.triples, back.triples, strict=True):
        assert type(after[2]) is type(before[2]) and str(after[2]) == str(before[2])
        if isinstance(before[2], Literal):
            assert isinstance(after[2], Literal)
            assert (after[2].datatype, after[2].language) == (
                before[2].datatype,
                before[2].language,
            )


@pytest.mark.parametrize(
    "damaged",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"format": 0, "results": []}',
        b'{"format": 1}',
        b'{"format": 1, "results": [{"node": ["u", "x"], "triples": [["u", "a"]]}]}',
    ],
)
def test_a_damaged_entry_reads_as_missing(damaged: bytes) -> None:
    assert decode(damaged) is None


def test_a_digest_of_the_shapes_files_keys_the_entries_as_well(
    data: Path, tmp_path: Path, spy: list[list[str]]
) -> None:
    store = Cache.at(tmp_path / "cache")
    built = build(data)

    def run(files_digest: str) -> ValidationReport:
        return validate_partition(
            built.model,
            built.parts,
            built.shapes,
            store,
            built.origins,
            _published,
            shapes_files_digest=files_digest,
        )

    assert_same(run("shapes v1"), built.full())
    run("shapes v1")
    assert len(spy) == 1, "the same shapes digest missed the cache"
    run("shapes v2")
    assert len(spy) == 2, "other shapes were answered from the cache"


def test_a_batch_shared_by_processes_reports_as_one(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big batches are checked by two processes (kg/validate.py, PARALLEL_MIN_MODULES): with
    errors in several studies, the report is the full run's, cached results included."""
    rng = random.Random(SEED + 1)
    for edit in (year_1800, quote_not_in_title, one_sided_offsets, shared_doi):
        name = "studies.csv" if edit in (year_1800, shared_doi) else "codes.csv"
        header, rows = read_rows(data / name)
        edit(rows, rng)
        write_rows(data / name, header, rows)
    built = build(data)
    full = built.full()
    # results in three studies at least, so that both processes' groups hold some
    assert not full.conforms and len({v.focus for v in full.violations}) >= 3
    answers: list[object] = []
    answer = kg_validate._Helper.result

    def kept(helper: kg_validate._Helper) -> object:
        answers.append(answer(helper))
        return answers[-1]

    monkeypatch.setattr(kg_validate._Helper, "result", kept)
    shared = validate_partition(
        built.model,
        built.parts,
        built.shapes,
        Cache.at(tmp_path / "c"),
        built.origins,
        _published,
        processes=2,
    )
    assert_same(shared, full)
    # the helper answered (its group was not checked again here), with results of its own
    assert len(answers) == 1 and isinstance(answers[0], kg_validate._Split)
    assert answers[0].modules
    # the entries the helper wrote are read back as the serial run's would be
    again = validate_partition(
        built.model,
        built.parts,
        built.shapes,
        Cache.at(tmp_path / "c"),
        built.origins,
        _published,
        processes=1,
    )
    assert_same(again, full)
