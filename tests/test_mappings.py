"""The curated mappings: mappings/rsme-kg.sssom.tsv, kg/sssom.py, graph/mappings, VoID, /mappings.

sssom-py (the reference implementation of SSSOM) reads and validates the curated file, the
graph the build makes of it and the /mappings answers; the 42 mapping triples that stood in
ontology/factors.ttl at commit ad18945 are frozen below and must be exactly what the file says.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg import iris, paths, pipeline
from kg.describe import DATASET, void_description
from kg.errors import InputError, InputErrors
from kg.namespaces import MAPPINGS_GRAPH, NAMED_GRAPHS, PROV, PROVENANCE_GRAPH, RSME, TAXONOMY_GRAPH
from kg.namespaces import VOID as VOIDNS
from kg.sssom import (
    SSSOM,
    Mapping,
    MappingSet,
    from_graph,
    mapping_links,
    mapping_node,
    mapping_triples,
    read_sssom,
    sssom_bytes,
    write_sssom,
)
from kg.store.embedded import EmbeddedStore
from tests.apiclient import ApiClient
from tests.conftest import SHARED, tree_digest

Built = tuple[Path, dict[str, object]]
CURATED = paths.MAPPINGS_FILE
ID = "https://w3id.org/rsme-kg/id/"
SKOS_NS = str(SKOS)
SSSOM_NS = URIRef(SSSOM)

# The skos:*Match triples of ontology/factors.ttl at commit ad18945, the last before they moved
# (read with `git show ad18945:ontology/factors.ttl` and rdflib): subject under ID, SKOS
# property, object. 26 statements (subject, property) naming 29 outside identifiers: 42 triples.
FROZEN_AT_AD18945: tuple[tuple[str, str, str], ...] = (
    ("category/human-capital", "closeMatch", "http://www.wikidata.org/entity/Q165687"),
    ("category/human-capital", "closeMatch", "http://zbw.eu/stw/descriptor/11224-2"),
    ("category/networks", "relatedMatch", "http://www.wikidata.org/entity/Q19605341"),
    ("category/networks", "relatedMatch", "http://zbw.eu/stw/descriptor/19428-2"),
    ("category/rural-context", "relatedMatch", "http://aims.fao.org/aos/agrovoc/c_6699"),
    ("category/rural-context", "relatedMatch", "http://www.wikidata.org/entity/Q175185"),
    ("category/social-capital", "closeMatch", "http://www.wikidata.org/entity/Q214693"),
    ("factor/business-networking", "closeMatch", "http://www.wikidata.org/entity/Q19605341"),
    ("factor/business-networking", "closeMatch", "http://zbw.eu/stw/descriptor/19428-2"),
    ("factor/collective-activity", "relatedMatch", "http://zbw.eu/stw/descriptor/12036-5"),
    ("factor/competitive-strategy", "relatedMatch", "http://www.wikidata.org/entity/Q155953"),
    ("factor/cooperatives", "closeMatch", "http://aims.fao.org/aos/agrovoc/c_10090"),
    ("factor/e-marketing", "closeMatch", "http://www.wikidata.org/entity/Q189507"),
    ("factor/e-marketing", "closeMatch", "http://zbw.eu/stw/descriptor/21315-0"),
    ("factor/enterprise-social-capital", "broadMatch", "http://www.wikidata.org/entity/Q214693"),
    (
        "factor/entrepreneur-characteristics",
        "relatedMatch",
        "http://www.wikidata.org/entity/Q131524",
    ),
    ("factor/entrepreneur-characteristics", "relatedMatch", "http://zbw.eu/stw/descriptor/13992-3"),
    ("factor/entrepreneur-human-capital", "broadMatch", "http://www.wikidata.org/entity/Q165687"),
    ("factor/entrepreneur-human-capital", "broadMatch", "http://zbw.eu/stw/descriptor/11224-2"),
    ("factor/export-capabilities", "relatedMatch", "http://zbw.eu/stw/descriptor/10836-4"),
    ("factor/export-incentive-programs", "broadMatch", "http://www.wikidata.org/entity/Q7832068"),
    ("factor/export-incentive-programs", "broadMatch", "http://zbw.eu/stw/descriptor/10684-1"),
    ("factor/ict-adoption", "relatedMatch", "http://zbw.eu/stw/descriptor/19544-0"),
    ("factor/internal-social-capital", "broadMatch", "http://www.wikidata.org/entity/Q214693"),
    ("factor/learning-orientation", "relatedMatch", "http://www.wikidata.org/entity/Q1328304"),
    ("factor/learning-orientation", "relatedMatch", "http://www.wikidata.org/entity/Q1430172"),
    ("factor/learning-orientation", "relatedMatch", "http://zbw.eu/stw/descriptor/18867-2"),
    ("factor/regional-capabilities", "relatedMatch", "http://www.wikidata.org/entity/Q3045473"),
    ("factor/regional-capabilities", "relatedMatch", "http://zbw.eu/stw/descriptor/10575-6"),
    ("factor/rural-location", "relatedMatch", "http://aims.fao.org/aos/agrovoc/c_6699"),
    ("factor/rural-location", "relatedMatch", "http://www.wikidata.org/entity/Q175185"),
    ("factor/rural-location", "relatedMatch", "http://zbw.eu/stw/descriptor/19464-5"),
    ("factor/social-networks", "relatedMatch", "http://www.wikidata.org/entity/Q214693"),
    ("factor/technology-transfer", "broadMatch", "http://www.wikidata.org/entity/Q2586354"),
    ("factor/technology-transfer", "broadMatch", "http://zbw.eu/stw/descriptor/18869-5"),
    ("outcome/competitiveness", "closeMatch", "http://www.wikidata.org/entity/Q155953"),
    ("outcome/enterprise-development", "relatedMatch", "http://www.wikidata.org/entity/Q622439"),
    ("outcome/enterprise-development", "relatedMatch", "http://zbw.eu/stw/descriptor/18120-0"),
    ("outcome/export-performance", "relatedMatch", "http://zbw.eu/stw/descriptor/10836-4"),
    ("outcome/foreign-market-entry", "relatedMatch", "http://www.wikidata.org/entity/Q178803"),
    ("outcome/rural-development", "closeMatch", "http://www.wikidata.org/entity/Q3045473"),
    ("outcome/rural-development", "closeMatch", "http://zbw.eu/stw/descriptor/10575-6"),
)
FROZEN = {(ID + s, SKOS_NS + p, o) for s, p, o in FROZEN_AT_AD18945}
MATCHES = tuple(f"{SKOS_NS}{p}Match" for p in ("exact", "close", "broad", "narrow", "related"))
# The columns of the curated file, in order: the header row (its line: after the metadata).
COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_id",
    "author_label",
    "mapping_date",
    "confidence",
    "comment",
]


def column(name: str) -> int:
    """The 1-based column of a field in the curated file."""
    return COLUMNS.index(name) + 1


def header_line(path: Path = CURATED) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return 1 + next(i for i, line in enumerate(lines) if not line.startswith("#"))


def line_of(needle: str, path: Path = CURATED) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return 1 + next(i for i, line in enumerate(lines) if needle in line)


def expanded(mapping_set: MappingSet) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for s, p, o in mapping_links(mapping_set)}


# ------------------------------------------------------------------ the file, read by sssom-py


def test_sssom_py_reads_and_validates_the_curated_file() -> None:
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    msdf = parse_sssom_table(CURATED)
    # the checks sssom-py implements (its SHACL and SPARQL validators are not implemented yet)
    kinds = [
        SchemaValidationType.JsonSchema,
        SchemaValidationType.PrefixMapCompleteness,
        SchemaValidationType.StrictCurieFormat,
    ]
    reports = validate(msdf, validation_types=kinds, fail_on_error=False)
    assert set(reports) == set(kinds)
    assert {kind: report.results for kind, report in reports.items()} == {k: [] for k in kinds}
    # and its reading of the rows is ours: the same triples, expanded by its own prefix map
    assert len(msdf.df) == len(FROZEN)
    theirs = {
        tuple(msdf.converter.expand(row[k]) for k in ("subject_id", "predicate_id", "object_id"))
        for row in msdf.df.to_dict("records")
    }
    assert theirs == FROZEN
    assert msdf.metadata["mapping_set_id"] == "https://w3id.org/rsme-kg/mappings"
    assert msdf.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_the_mappings_moved_from_the_taxonomy_unchanged() -> None:
    """Exactly the 42 triples of factors.ttl at ad18945, and none left in factors.ttl."""
    assert len(FROZEN_AT_AD18945) == len(FROZEN) == 42
    assert len({(s, p) for s, p, _ in FROZEN}) == 26
    assert len({o for _, _, o in FROZEN}) == 29
    curated = read_sssom(CURATED)
    assert len(curated.mappings) == 42
    assert expanded(curated) == FROZEN
    taxonomy = Graph().parse(paths.TAXONOMY_FILE, format="turtle")
    assert not [t for m in MATCHES for t in taxonomy.triples((None, URIRef(m), None))]
    assert "mappings/rsme-kg.sssom.tsv" in paths.TAXONOMY_FILE.read_text(encoding="utf-8")


def test_every_row_says_who_when_why_and_how_sure() -> None:
    curated = read_sssom(CURATED)
    taxonomy = Graph().parse(paths.TAXONOMY_FILE, format="turtle")
    coders_csv = (paths.ROOT / "data" / "coders.csv").read_text(encoding="utf-8")
    coders = {r["id"]: r for r in csv.DictReader(coders_csv.splitlines())}
    assert curated.columns == COLUMNS
    for m in curated.mappings:
        assert m.mapping_justification == "semapv:ManualMappingCuration"
        assert [curated.expand(a) for a in m.author_id] == [str(iris.agent("rsme-kg-editors"))]
        assert list(m.author_label) == [coders["rsme-kg-editors"]["name"]]
        # the day the line entered ontology/factors.ttl (git log -S: commit bff53ab)
        assert m.mapping_date == date(2026, 11, 27)
        assert m.confidence is not None and 0 <= m.confidence <= 1
        assert m.comment and m.comment.startswith(m.predicate_id.removeprefix("skos:") + ":")
        subject = URIRef(curated.expand(m.subject_id))
        assert Literal(m.subject_label, lang="en") in set(taxonomy.objects(subject, SKOS.prefLabel))
        # outside labels only where shared/vocabularies.md gives them: STW and AGROVOC
        assert (m.object_label is None) == m.object_id.startswith("wd:")
    metadata = curated.metadata
    assert metadata["creator_id"] == ["agent:rsme-kg-editors"]
    assert "0.9 for every manual curation" in metadata["mapping_set_description"]


def test_object_labels_are_the_verified_ones() -> None:
    source = SHARED / "vocabularies.md"
    if not source.is_file():
        pytest.skip("../shared/vocabularies.md is not beside this checkout")
    text = source.read_text(encoding="utf-8")
    curated = read_sssom(CURATED)
    labelled = [m for m in curated.mappings if m.object_label]
    assert len(labelled) == 20  # the 17 STW and 3 AGROVOC rows
    for m in labelled:
        local = m.object_id.split(":", 1)[1]
        stated = f"{local} ({m.object_label})" if m.object_id.startswith("stw:") else None
        assert (stated or f"{local} {m.object_label}") in text, m.object_id


# ------------------------------------------------------------------ kg/sssom.py


def test_write_gives_the_same_bytes_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "again.sssom.tsv"
    write_sssom(read_sssom(CURATED), target)
    assert target.read_bytes() == CURATED.read_bytes()
    write_sssom(read_sssom(target), target)
    assert target.read_bytes() == CURATED.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["again.sssom.tsv"]


def test_multivalued_cells_extra_columns_and_quotes_survive_a_round_trip(tmp_path: Path) -> None:
    curated = read_sssom(CURATED)
    first = curated.mappings[0]
    changed = Mapping(
        **{
            **first.values(),
            "author_id": ("agent:rsme-kg-editors", "agent:other"),
            "author_label": ("rsme-kg editors", "Other"),
            "comment": '"quoted" at the start',
        },
        extra={"decision": "accept"},
    )
    mapping_set = MappingSet(
        {**curated.metadata, "curie_map": curated.metadata["curie_map"]},
        [changed],
        [*curated.columns, "decision"],
    )
    path = tmp_path / "one.sssom.tsv"
    write_sssom(mapping_set, path)
    assert "agent:rsme-kg-editors|agent:other" in path.read_text(encoding="utf-8")
    (back,) = read_sssom(path).mappings
    assert back == changed
    assert back.extra == {"decision": "accept"} and back.line == header_line(path) + 1
    with pytest.raises(ValueError, match="tab or line break"):
        sssom_bytes(
            MappingSet(curated.metadata, [Mapping(**{**first.values(), "comment": "a\tb"})])
        )


def test_the_rdf_reads_back_as_the_file() -> None:
    curated = read_sssom(CURATED)
    graph = Graph()
    for triple in mapping_triples(curated):
        graph.add(triple)
    assert sssom_bytes(from_graph(graph)) == CURATED.read_bytes()


# ------------------------------------------------------------------ bad files: located errors


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = CURATED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def only_error(path: Path) -> InputError:
    with pytest.raises(InputErrors) as caught:
        pipeline.read_mappings(path, Graph().parse(paths.TAXONOMY_FILE, format="turtle"))
    assert len(caught.value.errors) == 1, str(caught.value)
    assert caught.value.exit_code == 2
    return caught.value.errors[0]


ROW = "factor:technology-transfer\tTechnology transfer\tskos:broadMatch\twd:Q2586354"


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputErrors) as caught:
        read_sssom(tmp_path / "none.sssom.tsv")
    (error,) = caught.value.errors
    assert error.location.file == tmp_path / "none.sssom.tsv"
    assert "cannot read the file" in error.message


def test_bad_yaml_in_the_header(tmp_path: Path) -> None:
    path = broken(tmp_path, "#license: https://", "#license: [https://")
    error = only_error(path)
    assert error.location.file == path and error.location.field == "metadata"
    assert error.location.line is not None and error.location.line >= line_of("#license:", path)
    assert "not valid YAML" in error.message


def test_unknown_metadata_slot(tmp_path: Path) -> None:
    path = broken(tmp_path, "#license:", "#licence: x\n#license:")
    error = only_error(path)
    assert (error.location.line, error.location.field) == (line_of("#licence:", path), "licence")


def test_unknown_curie_prefix(tmp_path: Path) -> None:
    path = broken(tmp_path, ROW, ROW.replace("wd:Q2586354", "wikidata:Q2586354"))
    error = only_error(path)
    where = (error.location.line, error.location.column, error.location.field)
    assert where == (line_of("wikidata:Q2586354", path), column("object_id"), "object_id")
    assert "prefix 'wikidata'" in error.message


def test_unknown_subject(tmp_path: Path) -> None:
    path = broken(tmp_path, ROW, ROW.replace("factor:technology-transfer", "factor:no-such"))
    error = only_error(path)
    where = (error.location.line, error.location.column, error.location.field)
    assert where == (line_of("factor:no-such", path), column("subject_id"), "subject_id")
    assert "not a concept of the taxonomy" in error.message


def test_bad_predicate(tmp_path: Path) -> None:
    path = broken(tmp_path, ROW, ROW.replace("skos:broadMatch", "skos:broader"))
    error = only_error(path)
    where = (error.location.line, error.location.column, error.location.field)
    assert where == (line_of("skos:broader", path), column("predicate_id"), "predicate_id")
    assert "skos:exactMatch" in (error.expected or "")


def test_confidence_above_one(tmp_path: Path) -> None:
    row = line_of(ROW)
    lines = CURATED.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[row - 1].split("\t")
    cells[column("confidence") - 1] = "1.5"
    lines[row - 1] = "\t".join(cells)
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    error = only_error(path)
    where = (error.location.line, error.location.column, error.location.field)
    assert where == (row, column("confidence"), "confidence")
    assert "outside [0, 1]" in error.message


def test_bad_date(tmp_path: Path) -> None:
    old = "\t2026-11-27\t0.9\tbroadMatch: knowledge transfer"
    path = broken(tmp_path, old, old.replace("2026-11-27", "2026-13-01"))
    error = only_error(path)
    where = (error.location.line, error.location.column, error.location.field)
    assert where == (line_of("2026-13-01", path), column("mapping_date"), "mapping_date")


def test_missing_column(tmp_path: Path) -> None:
    lines = CURATED.read_text(encoding="utf-8").splitlines()
    drop = column("mapping_justification") - 1
    top = header_line() - 1
    table = [line.split("\t") for line in lines[top:]]
    kept = [*lines[:top], *("\t".join(cells[:drop] + cells[drop + 1 :]) for cells in table)]
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    error = only_error(path)
    assert (error.location.line, error.location.field) == (header_line(), "mapping_justification")


def test_a_row_twice(tmp_path: Path) -> None:
    text = CURATED.read_text(encoding="utf-8")
    row = text.splitlines()[line_of(ROW) - 1]
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(text + row + "\n", encoding="utf-8")
    error = only_error(path)
    assert error.location.line == len(text.splitlines()) + 1
    assert f"repeats line {line_of(ROW)}" in error.message


def test_bad_justification(tmp_path: Path) -> None:
    path = broken(tmp_path, "semapv:ManualMappingCuration", "semapv:Matching")
    error = only_error(path)
    assert (error.location.column, error.location.field) == (
        column("mapping_justification"),
        "mapping_justification",
    )


def test_a_bad_mapping_file_stops_the_build_and_leaves_the_output(
    small_built: Built, tmp_path: Path
) -> None:
    from tests.corpus import FIXTURE

    out = tmp_path / "dist"
    shutil.copytree(small_built[0], out)
    before = tree_digest(out)
    bad = broken(tmp_path, ROW, ROW.replace("skos:broadMatch", "skos:broader"))
    with pytest.raises(InputErrors) as caught:
        pipeline.build(FIXTURE, out, pipeline.Sources(mappings=bad), run_reasoner=False)
    assert caught.value.exit_code == 2
    assert caught.value.errors[0].location.file == bad
    assert tree_digest(out) == before


# ------------------------------------------------------------------ the graph of a build


@pytest.fixture(scope="module")
def dump(small_built: Built) -> Dataset:
    dataset = Dataset()
    dataset.parse(small_built[0] / pipeline.TRIG_NAME, format="trig")
    return dataset


def test_the_build_puts_the_mappings_in_their_own_graph(small_built: Built, dump: Dataset) -> None:
    mappings = dump.graph(MAPPINGS_GRAPH)
    asserted = {
        (str(s), str(p), str(o))
        for m in MATCHES
        for s, p, o in mappings.triples((None, URIRef(m), None))
    }
    assert asserted == FROZEN
    taxonomy = dump.graph(TAXONOMY_GRAPH)
    assert not [t for m in MATCHES for t in taxonomy.triples((None, URIRef(m), None))]
    the_set = URIRef("https://w3id.org/rsme-kg/mappings")
    assert (the_set, RDF.type, SSSOM_NS + "MappingSet") in mappings
    assert mappings.value(the_set, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert mappings.value(the_set, OWL.versionInfo) == Literal("0.1.0")
    assert len(list(mappings.objects(the_set, SSSOM_NS + "mappings"))) == 42
    assert small_built[1]["graphs"][str(MAPPINGS_GRAPH)] == len(mappings)  # type: ignore[index]
    assert MAPPINGS_GRAPH in NAMED_GRAPHS


def test_one_mapping_with_its_sssom_slots(dump: Dataset) -> None:
    """factor:technology-transfer skos:broadMatch wd:Q2586354, row by row as in the file."""
    mappings = dump.graph(MAPPINGS_GRAPH)
    curated = read_sssom(CURATED)
    (row,) = [
        m
        for m in curated.mappings
        if m.subject_id == "factor:technology-transfer" and m.object_id == "wd:Q2586354"
    ]
    node = mapping_node(curated, row)
    assert str(node).startswith("https://w3id.org/rsme-kg/mappings#m-")
    expected = {
        (RDF.type, OWL.Axiom),
        (OWL.annotatedSource, URIRef(ID + "factor/technology-transfer")),
        (OWL.annotatedProperty, SKOS.broadMatch),
        (OWL.annotatedTarget, URIRef("http://www.wikidata.org/entity/Q2586354")),
        (SSSOM_NS + "subject_label", Literal("Technology transfer")),
        (
            SSSOM_NS + "mapping_justification",
            URIRef("https://w3id.org/semapv/vocab/ManualMappingCuration"),
        ),
        (URIRef("http://purl.org/pav/authoredBy"), iris.agent("rsme-kg-editors")),
        (SSSOM_NS + "author_label", Literal("rsme-kg editors")),
        (DCTERMS.created, Literal("2026-11-27", datatype=XSD.date)),
        (SSSOM_NS + "confidence", Literal("0.9", datatype=XSD.double)),
        (RDFS.comment, Literal(row.comment)),
    }
    assert set(mappings.predicate_objects(node)) == expected


def test_sssom_py_reads_the_mapping_graph(dump: Dataset) -> None:
    from sssom.rdf_internal import MappingSetRDFConverter

    graph = Graph()
    for triple in dump.graph(MAPPINGS_GRAPH):
        graph.add(triple)
    curated = read_sssom(CURATED)
    for prefix, namespace in curated.prefixes.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    msdf = MappingSetRDFConverter().msdf_from_rdf(graph)
    assert len(msdf.df) == 42
    theirs = {
        tuple(msdf.converter.expand(row[k]) for k in ("subject_id", "predicate_id", "object_id"))
        for row in msdf.df.to_dict("records")
    }
    assert theirs == FROZEN
    assert msdf.metadata["mapping_set_title"] == curated.metadata["mapping_set_title"]


def test_provenance_and_manifest_name_the_sssom_file(small_built: Built, dump: Dataset) -> None:
    sha = hashlib.sha256(CURATED.read_bytes()).hexdigest()
    manifest = json.loads((small_built[0] / pipeline.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert {"name": "mappings/rsme-kg.sssom.tsv", "sha256": sha} in manifest["sources"]
    provenance = dump.graph(PROVENANCE_GRAPH)
    (entity,) = provenance.subjects(RDFS.label, Literal("mappings/rsme-kg.sssom.tsv"))
    assert provenance.value(entity, RSME.sha256) == Literal(sha)
    build = iris.build(str(manifest["build_id"]))
    assert (build, PROV.used, entity) in provenance
    assert (MAPPINGS_GRAPH, PROV.wasGeneratedBy, build) in provenance


# ------------------------------------------------------------------ VoID linksets


# Counted by hand in FROZEN_AT_AD18945 above: (outside dataset, SKOS property) -> rows.
LINKSETS = {
    ("wikidata", "closeMatch"): 6,  # human-capital, social-capital, business-networking,
    # e-marketing, competitiveness, rural-development
    ("wikidata", "broadMatch"): 5,  # enterprise- and internal-social-capital, entrepreneur-
    # human-capital, export-incentive-programs, technology-transfer
    ("wikidata", "relatedMatch"): 11,  # networks, rural-context, competitive-strategy,
    # entrepreneur-characteristics, learning-orientation (2), regional-capabilities,
    # rural-location, social-networks, enterprise-development, foreign-market-entry
    ("stw", "closeMatch"): 4,  # human-capital, business-networking, e-marketing, rural-dev.
    ("stw", "broadMatch"): 3,  # entrepreneur-human-capital, export-incentive-programs,
    # technology-transfer
    ("stw", "relatedMatch"): 10,  # networks, collective-activity, entrepreneur-characteristics,
    # export-capabilities, ict-adoption, learning-orientation, regional-capabilities,
    # rural-location, enterprise-development, export-performance
    ("agrovoc", "closeMatch"): 1,  # cooperatives
    ("agrovoc", "relatedMatch"): 2,  # rural-context, rural-location
}


def linksets(void: Graph) -> dict[tuple[str, str], int]:
    found = {}
    for node in void.subjects(RDF.type, VOIDNS.Linkset):
        predicate = str(void.value(node, VOIDNS.linkPredicate))
        if not predicate.startswith(SKOS_NS):
            continue
        outside = str(node).split("/linkset/")[1].split("/")[0]
        found[(outside, predicate.removeprefix(SKOS_NS))] = int(void.value(node, VOIDNS.triples))
        assert void.value(node, DCTERMS.source) == URIRef("https://w3id.org/rsme-kg/mappings")
    return found


def test_void_linksets_count_the_curated_mappings(small_store: Path) -> None:
    assert sum(LINKSETS.values()) == 42
    store = EmbeddedStore.open(small_store)
    void = void_description(store, base_url="http://127.0.0.1:8000", build_id="x")
    assert linksets(void) == LINKSETS
    assert (DATASET, VOIDNS.subset, MAPPINGS_GRAPH) in void


def test_a_rejected_mapping_is_no_link(tmp_path: Path) -> None:
    """A row with predicate_modifier Not records a rejection: no triple, no linkset count."""
    curated = read_sssom(CURATED)
    rejected = Mapping(
        **{**curated.mappings[0].values(), "object_id": "wd:Q659974", "predicate_modifier": "Not"}
    )
    mapping_set = MappingSet(curated.metadata, [*curated.mappings, rejected], curated.columns)
    graph = mapping_triples(mapping_set)
    assert (
        URIRef(ID + "category/human-capital"),
        SKOS.closeMatch,
        URIRef("http://www.wikidata.org/entity/Q659974"),
    ) not in graph
    assert (mapping_node(mapping_set, rejected), RDF.type, OWL.Axiom) in graph
    store = EmbeddedStore.create_from(tmp_path / "store", [(MAPPINGS_GRAPH, graph)])
    void = void_description(store, base_url="http://127.0.0.1:8000", build_id="x")
    assert linksets(void) == LINKSETS


# ------------------------------------------------------------------ /mappings


@pytest.fixture(scope="module")
def app(small_store: Path) -> Iterator[ApiClient]:
    with ApiClient(store=small_store) as client:
        yield client


def sssom_rows(msdf: object) -> list[dict[str, str]]:
    """The rows of a sssom-py mapping set as text, empty cells left out, sorted."""
    records = msdf.df.to_dict("records")  # type: ignore[attr-defined]
    return sorted(
        ({k: str(v) for k, v in r.items() if v == v and v is not None} for r in records),
        key=lambda r: sorted(r.items()),
    )


def test_mappings_tsv_round_trips_through_sssom_py(app: ApiClient, tmp_path: Path) -> None:
    from sssom.parsers import parse_sssom_table

    response = app.get("/mappings?format=tsv")
    assert response.status_code == 200
    served = tmp_path / "served.sssom.tsv"
    served.write_bytes(response.content)
    theirs, ours = parse_sssom_table(served), parse_sssom_table(CURATED)
    assert sssom_rows(theirs) == sssom_rows(ours)
    for key, value in ours.metadata.items():
        assert theirs.metadata[key] == value, key
    # and our own reader finds every row as curated, slot for slot
    assert sorted(read_sssom(served).mappings, key=lambda m: m.key) == sorted(
        read_sssom(CURATED).mappings, key=lambda m: m.key
    )


def test_mappings_json_round_trips_through_sssom_py(app: ApiClient, tmp_path: Path) -> None:
    from sssom.parsers import parse_sssom_json, parse_sssom_table

    response = app.get("/mappings", headers={"Accept": "application/json"})
    assert response.status_code == 200
    document = response.json()
    assert document["@context"] == document["curie_map"]
    served = tmp_path / "served.json"
    served.write_bytes(response.content)
    theirs, ours = parse_sssom_json(served), parse_sssom_table(CURATED)
    assert sssom_rows(theirs) == sssom_rows(ours)
    for key, value in ours.metadata.items():
        assert theirs.metadata[key] == value, key
    row = next(m for m in document["mappings"] if m["object_id"] == "wd:Q2586354")
    assert row == {
        "subject_id": "factor:technology-transfer",
        "subject_label": "Technology transfer",
        "predicate_id": "skos:broadMatch",
        "object_id": "wd:Q2586354",
        "mapping_justification": "semapv:ManualMappingCuration",
        "author_id": ["agent:rsme-kg-editors"],
        "author_label": ["rsme-kg editors"],
        "mapping_date": "2026-11-27",
        "confidence": 0.9,
        "comment": "broadMatch: knowledge transfer is broader; technology transfer moves "
        "technology and technical know-how.",
    }


def test_shacl_locates_a_mapping_to_our_own_namespace_at_its_row(tmp_path: Path) -> None:
    """The reader cannot know that an object is no outside concept; the shapes can, and the
    violation names the SSSOM row (the axiom's origin), as a CSV row's would."""
    from tests.corpus import FIXTURE

    path = broken(tmp_path, ROW, ROW.replace("wd:Q2586354", "factor:cooperatives"))
    outcome = pipeline.check(FIXTURE, pipeline.Sources(mappings=path), run_reasoner=False)
    assert not outcome.validation.conforms
    (violation,) = outcome.validation.violations
    assert violation.shape == "rsmesh:MappingObjectShape"
    assert violation.field == "object_id"
    assert violation.origin is not None
    assert (Path(violation.origin.file), violation.origin.line) == (path, line_of(ROW, CURATED))
    written = {str(o) for o in outcome.validation.graph.objects(None, RSME.sourceFile)}
    assert written == {"external/mappings/bad.sssom.tsv"}
