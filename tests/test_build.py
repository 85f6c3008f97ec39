"""The built graph of the real corpus: known facts from the seed, stable IRIs, atomic output."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDFS, XSD

from kg import iris, paths, pipeline
from kg.build import SourceFile, digest
from kg.errors import NonConformingError
from kg.namespaces import BIBO, CORPUS_GRAPH, NAMED_GRAPHS, PROVENANCE_GRAPH, RSME
from kg.store.embedded import EmbeddedStore
from tests.conftest import DATA, tree_digest
from tests.corpus import corpus, read, tiny_data

Built = tuple[Path, dict[str, object]]


def count(store: EmbeddedStore, body: str) -> int:
    value = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {body} }}").scalar()
    return int(value)  # type: ignore[arg-type]


def test_seed_counts(store: EmbeddedStore) -> None:
    """Every reference, DOI and Persian one of studies.csv (the seed's 48, 13 and 20: see
    test_data_curation), and the screening as screening.csv records it."""
    studies = corpus().studies.values()
    assert count(store, "?s a rsme:Study") == len(studies)
    assert count(store, "?s a rsme:Study ; bibo:doi ?d") == sum(1 for s in studies if s["doi"])
    persian = sum(1 for s in studies if s["language"] == "fa")
    assert count(store, '?s a rsme:Study ; dcterms:language "fa"^^xsd:language') == persian
    screened = corpus()
    included = count(store, "?s rsme:screeningDecision/rsme:decision rsme:included")
    excluded = count(store, "?s rsme:screeningDecision/rsme:decision rsme:excluded")
    assert (included, excluded) == (len(screened.included), len(screened.excluded))
    assert included + excluded == len(studies)


def test_every_included_study_has_a_code_and_no_excluded_one_does(store: EmbeddedStore) -> None:
    assert (
        count(
            store,
            """?s rsme:screeningDecision/rsme:decision rsme:included
                           FILTER NOT EXISTS { ?s rsme:hasCode ?c }""",
        )
        == 0
    )
    assert (
        count(store, "?s rsme:screeningDecision/rsme:decision rsme:excluded ; rsme:hasCode ?c") == 0
    )


def test_stable_iris_and_doi(store: EmbeddedStore) -> None:
    ruzzier = iris.study("ruzzier-2007")
    assert str(ruzzier) == "https://w3id.org/rsme-kg/id/study/ruzzier-2007"
    result = store.query(
        "SELECT ?s ?doi ?same ?year WHERE { ?s bibo:doi ?doi ; owl:sameAs ?same ; "
        "dcterms:issued ?year }",
        {"s": ruzzier},
    )
    (row,) = result.solutions
    assert row["doi"] == Literal("10.1002/cjas.3")
    assert row["same"] == URIRef("https://doi.org/10.1002/cjas.3")
    assert row["year"] == Literal("2007", datatype=XSD.gYear)


def test_author_order_is_kept_and_repeats_dropped(built: Built) -> None:
    dataset = Dataset()
    dataset.parse(built[0] / pipeline.TRIG_NAME, format="trig")
    corpus = dataset.graph(CORPUS_GRAPH)
    names = {
        "ruzzier-2007": ["Ruzzier, M.", "Hisrich, R. D.", "Konecnik, M."],
        # the seed lists Eschker, Gold and Lane twice
        "eschker-2017": ["Eschker, E.", "Gold, G.", "Lane, M. D."],
        "crowley-2018": ["Crowley, C.", "McAdam, M.", "Cunningham, J. A.", "Hilliard, R."],
    }
    for study_id, expected in names.items():
        head = corpus.value(iris.study(study_id), BIBO.authorList)
        people = list(Collection(corpus, head))
        assert [
            str(corpus.value(p, URIRef("http://xmlns.com/foaf/0.1/name"))) for p in people
        ] == expected
        assert set(corpus.objects(iris.study(study_id), DCTERMS.creator)) == set(people)


def test_shared_author_is_one_person(store: EmbeddedStore) -> None:
    """Akbari, M. co-authored three references; the graph has one person for them."""
    theirs = [s for s in corpus().studies.values() if "Akbari, M." in s["authors"].split("; ")]
    assert len(theirs) > 1
    assert count(store, "?s dcterms:creator person:akbari-m") == len(theirs)


def test_each_quote_occurs_verbatim_in_its_title(store: EmbeddedStore) -> None:
    rows = store.query("""SELECT ?quote ?title ?start ?end WHERE {
        ?c rsme:quote ?quote ; rsme:basis rsme:title ; prov:wasDerivedFrom/dcterms:title ?title ;
           rsme:selectionStart ?start ; rsme:selectionEnd ?end }""").solutions
    assert len(rows) == sum(1 for c in corpus().codes if c["basis"] == "title")
    for r in rows:
        title, quote = str(r["title"]), str(r["quote"])
        assert title[int(r["start"]) : int(r["end"])] == quote  # type: ignore[call-overload]


def test_editorial_note_keeps_the_seed_original(store: EmbeddedStore) -> None:
    result = store.query(
        "SELECT ?s ?title ?note ?citation WHERE { ?s dcterms:title ?title ; "
        "skos:editorialNote ?note ; dcterms:bibliographicCitation ?citation }",
        {"s": iris.study("korsgaard-2015")},
    )
    (row,) = result.solutions
    assert "entrepreneurship in the rural – between place and space" in str(row["title"])
    assert "entreneurship" in str(row["note"]) and "betwwn" in str(row["note"])
    assert str(row["citation"]).startswith("Korsgard, S., Muller, S., & Tenvig, H. (2015).")


def test_build_writes_store_trig_report_and_manifest(built: Built, store: EmbeddedStore) -> None:
    out, manifest = built
    assert (out / pipeline.TRIG_NAME).is_file() and (out / pipeline.REPORT_NAME).is_file()
    on_disk = json.loads((out / pipeline.MANIFEST_NAME).read_text())
    assert on_disk["build_id"] == manifest["build_id"]
    assert on_disk["conforms"] is True
    assert (
        on_disk["reasoner"]["consistent"] is True
        and on_disk["reasoner"]["unsatisfiable_classes"] == []
    )
    assert sorted(on_disk["graphs"]) == sorted(map(str, NAMED_GRAPHS))
    assert all(n > 0 for n in on_disk["graphs"].values())
    assert on_disk["triples"] == len(store) == sum(on_disk["graphs"].values())
    dataset = Dataset()
    dataset.parse(out / pipeline.TRIG_NAME, format="trig")
    assert {str(g.identifier) for g in dataset.graphs() if len(g)} == set(map(str, NAMED_GRAPHS))


def _sources(data: Path) -> list[SourceFile]:
    model = [paths.ONTOLOGY_FILE, paths.TAXONOMY_FILE, paths.MAPPINGS_FILE]
    return [
        *(SourceFile.read(f, paths.published_name(f, paths.ROOT, "", "external")) for f in model),
        *(
            SourceFile.read(f, paths.published_name(f, data, "data", "data"))
            for f in sorted(data.glob("*.csv"))
        ),
    ]


def test_build_id_depends_on_the_inputs_not_on_where_they_are(data_copy: Path) -> None:
    """Same inputs, same id, wherever the data folder is; a changed input, a new id."""
    assert digest(_sources(DATA)) == digest(_sources(data_copy))
    (data_copy / "coders.csv").write_text((data_copy / "coders.csv").read_text() + "x,X,person,\n")
    assert digest(_sources(DATA)) != digest(_sources(data_copy))


def _local_paths(*folders: Path) -> set[bytes]:
    """The spellings of this machine's folders that a published build must not contain, and
    the beginnings of absolute paths and file IRIs of any machine."""
    found = {paths.ROOT, Path.home(), Path.cwd(), *folders}
    named = {str(p).encode() for f in found for p in (f, f.resolve())} - {b"/"}
    return named | {b"file:/", b"/home/", b"/tmp/", b"/root/", b"/Users/"}


def test_a_good_build_replaces_the_output_whole_and_names_no_folder_of_this_machine(
    built: Built, tmp_path: Path
) -> None:
    """An earlier build of the whole corpus, with a stray file in it, replaced by a build of
    two studies: nothing of the earlier one is left, and nothing written names a folder of
    this machine, also with the sources folder and a table linked from elsewhere and an
    ontology file from outside the checkout. (One build for both: each takes seconds.)"""
    data = tiny_data(tmp_path / "my-review")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "texts").mkdir(parents=True)
    (elsewhere / "texts" / "ruzzier-2007.txt").write_text("Human capital matters.\n")
    (data / "sources").symlink_to(elsewhere / "texts")
    shutil.move(data / "coders.csv", elsewhere / "coders.csv")
    (data / "coders.csv").symlink_to(elsewhere / "coders.csv")
    ontology = elsewhere / "rsme.ttl"
    shutil.copy(paths.ONTOLOGY_FILE, ontology)
    out = tmp_path / "published"
    shutil.copytree(built[0], out)
    (out / "stale.txt").write_text("from an older build")
    _, manifest = pipeline.build(data, out, pipeline.Sources(ontology=ontology), run_reasoner=False)
    # the earlier output is replaced whole
    assert not (out / "stale.txt").exists()
    assert manifest["reasoner"] is None
    corpus_graph = str(CORPUS_GRAPH)
    store = EmbeddedStore.open(out / paths.STORE_SUBDIR)
    sizes = store.graph_sizes()
    assert sizes[corpus_graph] == manifest["graphs"][corpus_graph]  # type: ignore[index]
    assert 0 < sizes[corpus_graph] < built[1]["graphs"][corpus_graph]  # type: ignore[index]
    assert count(store, "?s a rsme:Study") == len(read(data).studies)
    del store
    # and names no folder of this machine
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"build.json", "rsme-kg.trig", "void.ttl"}
    for path in written:
        content = path.read_bytes()
        leaks = [local for local in _local_paths(tmp_path) if local in content]
        assert not leaks, f"{path.relative_to(out)} names {leaks}"
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    names = [s["name"] for s in manifest["sources"]]
    assert names[:3] == [
        "external/ontology/rsme.ttl",
        "ontology/factors.ttl",
        "mappings/rsme-kg.sssom.tsv",
    ]
    assert {"data/codes.csv", "data/coders.csv", "data/sources/ruzzier-2007.txt"} <= set(names)
    files = {
        "external/ontology/rsme.ttl": ontology,
        "ontology/factors.ttl": paths.TAXONOMY_FILE,
        "mappings/rsme-kg.sssom.tsv": paths.MAPPINGS_FILE,
    }
    for source in manifest["sources"]:
        file = files.get(source["name"]) or data / source["name"].removeprefix("data/")
        assert source["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    provenance = Dataset()
    provenance.parse(out / pipeline.TRIG_NAME, format="trig")
    labels = {
        str(o)
        for o in provenance.graph(PROVENANCE_GRAPH).objects(None, RDFS.label)
        if isinstance(o, Literal)
    }
    assert labels >= {
        "ontology/factors.ttl",
        "mappings/rsme-kg.sssom.tsv",
        "data/codes.csv",
        "data/sources/ruzzier-2007.txt",
    }


def test_a_failed_build_leaves_the_previous_output_and_reports_sources_as_published(
    small_built: Built, tmp_path: Path
) -> None:
    """A build that SHACL refuses changes nothing of the previous output, shows the person
    fixing it the local file, and writes its report beside the output naming the sources
    as published. (One build for both: each takes seconds.)"""
    data = tiny_data(tmp_path / "my-review")
    codes = data / "codes.csv"
    with codes.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["quote"] += " not in the title"  # a SHACL violation of data/codes.csv, line 2
    with codes.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "published"
    shutil.copytree(small_built[0], out)
    before = tree_digest(out)
    with pytest.raises(NonConformingError) as caught:
        pipeline.build(data, out, run_reasoner=False)
    assert str(codes) in str(caught.value)  # the person fixing it is shown the local file
    assert tree_digest(out) == before
    assert not list(tmp_path.glob(".published.*")), "temporary folders were left behind"
    report = pipeline.failed_report_path(out).read_bytes()
    assert not [local for local in _local_paths(tmp_path) if local in report]
    graph = Graph().parse(data=report, format="turtle")
    assert {str(o) for o in graph.objects(None, RSME.sourceFile)} == {"data/codes.csv"}


def test_typed_as_bibo_and_fabio(store: EmbeddedStore) -> None:
    articles = sum(1 for s in corpus().studies.values() if s["type"] == "article")
    assert count(store, "?s a rsme:Study, bibo:AcademicArticle, fabio:JournalArticle") == articles
    assert count(store, "study:sandelowski-2007 a bibo:Book, fabio:Book") == 1


def test_binding_an_unreturned_variable_is_refused(store: EmbeddedStore) -> None:
    """Regression: a trailing VALUES fallback gave silently wrong counts under aggregation."""
    from kg.errors import QueryError

    query = "SELECT (COUNT(*) AS ?n) WHERE { ?code rsme:codesFactor ?factor }"
    with pytest.raises(QueryError, match="bind only variables the query returns"):
        store.query(query, {"factor": iris.factor("rural-location")})
    grouped = (
        "SELECT ?factor (COUNT(*) AS ?n) WHERE { ?code rsme:codesFactor ?factor } GROUP BY ?factor"
    )
    (row,) = store.query(grouped, {"factor": iris.factor("rural-location")}).solutions
    assert int(str(row["n"])) == len(corpus().evidence("rural-location"))
