"""`rsme-kg release`: the bundle of a version, reproducible to the byte, described in VoID/DCAT,
RO-Crate and CFF, with a change log against the previous release (kg/release/)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, XSD
from typer.testing import CliRunner

from kg import paths
from kg.cache import ENV as CACHE_ENV
from kg.cache import Cache
from kg.cli import app
from kg.errors import NonConformingError, UsageError
from kg.jsonld import context_body as kg_context_body
from kg.namespaces import ONTOLOGY_GRAPH, TAXONOMY_GRAPH
from kg.pipeline import Sources
from kg.release import rdf
from kg.release.bundle import SUMS, Request, make_release
from kg.release.version import check_version, find_previous
from kg.store.embedded import EmbeddedStore, to_ox
from tests.conftest import DATA, tree_digest

DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ONTOLOGY = URIRef("https://w3id.org/rsme-kg/ontology")
STUDY = "https://w3id.org/rsme-kg/id/study/"
CODE = "https://w3id.org/rsme-kg/id/code/"
runner = CliRunner()


def _release(root: Path, version: str, **kwargs: Any) -> tuple[Path, dict[str, Any]]:
    sources = kwargs.pop("sources", None)
    folder, manifest = make_release(
        Request(version=version, root=root, data=kwargs.pop("data", DATA), **kwargs),
        sources,
        cache=Cache.at(),  # the suite's check cache (tests/conftest.py)
    )
    return folder, manifest


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Release 1.0.0 of the real sources (once for the module)."""
    return _release(tmp_path_factory.mktemp("releases"), "1.0.0")


@pytest.fixture(scope="module")
def again(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same release made a second time, elsewhere, later, from another temporary build, by
    the command in another process (another hash seed, so no set order can leak into bytes)."""
    root = tmp_path_factory.mktemp("again")
    env = {**os.environ, "PYTHONHASHSEED": "12345", CACHE_ENV: str(Cache.at().root)}
    command = ["release", "1.0.0", "--out", str(root), "--data", str(DATA)]
    subprocess.run(
        [sys.executable, "-c", "from kg.cli import main; main()", *command],
        check=True,
        env=env,
        cwd=root,
        capture_output=True,
    )
    return root / "1.0.0"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _data(folder: Path, path: str) -> bytes:
    """A dump's bytes, decompressed when the release wrote it gzip-compressed."""
    plain, packed = folder / path, folder / f"{path}.gz"
    return plain.read_bytes() if plain.is_file() else gzip.decompress(packed.read_bytes())


# ------------------------------------------------------------------------ layout, sums


def test_the_bundle_holds_the_files_of_the_contract(first: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = first
    names = set(_files(folder))
    for required in (
        "release.json",
        SUMS,
        "ontology.ttl",
        "taxonomy.ttl",
        "mappings.sssom.tsv",
        "validation-report.ttl",
        "void.ttl",
        "ro-crate-metadata.json",
        "CITATION.cff",
        "CHANGELOG.md",
        "changes.json",
        "dumps/context.jsonld",
    ):
        assert required in names
    for dump in ("dumps/rsme-kg.trig", "dumps/rsme-kg.nq", "dumps/rsme-kg.jsonld"):
        assert (dump in names) != (f"{dump}.gz" in names), dump
    assert manifest["version"] == "1.0.0" and manifest["previous"] is None
    # no leftovers of the work: no staging folder beside the release
    assert sorted(p.name for p in folder.parent.iterdir()) == ["1.0.0"]


def test_a_dump_over_1_mb_is_gzip_without_name_or_time(first: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = first
    for path in (folder / "dumps").iterdir():
        data = path.read_bytes()
        if path.suffix == ".gz":
            assert data[:2] == b"\x1f\x8b"
            assert data[3] & 0x08 == 0, "no file name in the header"
            assert data[4:8] == b"\0\0\0\0", "mtime 0"
            assert len(gzip.decompress(data)) > rdf.GZIP_OVER
        else:
            assert len(data) <= rdf.GZIP_OVER, path.name


def test_release_json_and_sha256sums_agree_with_the_files(
    first: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = first
    files = _files(folder)
    on_disk = json.loads(files["release.json"])
    assert on_disk == manifest
    listed = {f["path"]: f for f in manifest["files"]}
    assert list(listed) == sorted(listed)
    assert set(listed) == set(files) - {"release.json", SUMS}
    for path, entry in listed.items():
        assert entry["bytes"] == len(files[path])
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
        assert entry["media_type"] and entry["title"]
    assert listed["dumps/rsme-kg.trig"]["media_type"] == "application/trig"
    sums = [line.split("  ", 1) for line in files[SUMS].decode().splitlines()]
    assert [p for _, p in sums] == sorted(set(files) - {SUMS})
    for digest, path in sums:
        assert digest == hashlib.sha256(files[path]).hexdigest()


def test_the_same_inputs_give_the_same_bytes(
    first: tuple[Path, dict[str, Any]], again: Path
) -> None:
    one, two = _files(first[0]), _files(again)
    assert one.keys() == two.keys()
    for path in one:
        assert one[path] == two[path], path
    assert one[SUMS] == two[SUMS]


# -------------------------------------------------------------------------------- RDF


def test_the_ontology_carries_the_release_version(first: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = first
    g = Graph().parse(folder / "ontology.ttl", format="turtle")
    assert set(g.objects(ONTOLOGY, OWL.versionIRI)) == {
        URIRef("https://w3id.org/rsme-kg/ontology/1.0.0")
    }
    assert set(g.objects(ONTOLOGY, OWL.versionInfo)) == {Literal("1.0.0")}
    assert not set(g.objects(ONTOLOGY, OWL.priorVersion))  # the first release has none
    # the header is written first, where a reader looks for it
    text = (folder / "ontology.ttl").read_text(encoding="utf-8")
    body = [line for line in text.splitlines() if line and line[0] not in "#@"]
    assert body[0].startswith("<https://w3id.org/rsme-kg/ontology> a owl:Ontology")


def _build_quads(tmp: Path) -> list[ox.Quad]:
    """The quads of a plain build of the same sources (its own build, not the release's)."""
    from kg import pipeline

    out = tmp / "dist"
    pipeline.build(DATA, out, cache=Cache.at(), started=None)
    store = EmbeddedStore.open(out / paths.STORE_SUBDIR)
    return list(ox.parse(store.dump("nquads"), format=ox.RdfFormat.N_QUADS))


def _without_versions_and_build(quads: list[ox.Quad]) -> set[str]:
    """Quads as text, but the ontology header's version statements and the build's time."""
    skipped = {rdf.VERSION_IRI, rdf.VERSION_INFO, rdf.PRIOR_VERSION}
    started = ox.NamedNode("http://www.w3.org/ns/prov#startedAtTime")
    return {
        str(q)
        for q in rdf.canonical(quads)
        if not (q.subject == ox.NamedNode(str(ONTOLOGY)) and q.predicate in skipped)
        and q.predicate != started
    }


def test_the_dumps_hold_the_quads_of_the_build(
    first: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, _ = first
    nquads = list(ox.parse(_data(folder, "dumps/rsme-kg.nq"), format=ox.RdfFormat.N_QUADS))
    # the N-Quads dump is the canonical form (RDFC-1.0): recomputing it changes nothing
    assert rdf.nquads(rdf.canonical(nquads)) == _data(folder, "dumps/rsme-kg.nq")
    assert _without_versions_and_build(nquads) == _without_versions_and_build(
        _build_quads(tmp_path)
    )
    expected = rdf.canonical(nquads)
    trig = ox.parse(_data(folder, "dumps/rsme-kg.trig"), format=ox.RdfFormat.TRIG)
    assert rdf.canonical(trig) == expected
    # one Turtle file per named graph, together the whole dataset
    per_graph: list[ox.Quad] = []
    for name in rdf.graph_names(expected):
        assert isinstance(name, ox.NamedNode)
        data = _data(folder, f"dumps/{rdf.graph_file_stem(name)}.ttl")
        per_graph += [
            ox.Quad(q.subject, q.predicate, q.object, name)
            for q in ox.parse(data, format=ox.RdfFormat.TURTLE)
        ]
    assert rdf.canonical(per_graph) == expected
    assert len(rdf.graph_names(expected)) >= 4


def test_the_json_ld_dump_reads_back_with_the_published_context(
    first: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = first
    document = json.loads(_data(folder, "dumps/rsme-kg.jsonld"))
    assert document["@context"] == ("https://w3id.org/rsme-kg/releases/1.0.0/dumps/context.jsonld")
    context = json.loads((folder / "dumps/context.jsonld").read_bytes())
    # the file the server publishes at /context.jsonld, byte for byte
    from api.linkeddata import context_body

    assert context_body is kg_context_body
    assert (folder / "dumps/context.jsonld").read_bytes() == context_body()
    document["@context"] = context["@context"]  # offline: the context from the bundle
    monkeypatch.setattr(rdflib, "NORMALIZE_LITERALS", False)  # keep lexical forms as written
    dataset = Dataset()
    dataset.parse(data=json.dumps(document), format="json-ld")
    back = [
        ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(str(g)))  # type: ignore[arg-type]
        for s, p, o, g in dataset.quads()
    ]
    nquads = ox.parse(_data(folder, "dumps/rsme-kg.nq"), format=ox.RdfFormat.N_QUADS)
    assert rdf.canonical(back) == rdf.canonical(nquads)


def test_the_validation_report_and_taxonomy_parse(first: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = first
    report = Graph().parse(folder / "validation-report.ttl", format="turtle")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, Literal(True)) in report
    taxonomy = Graph().parse(folder / "taxonomy.ttl", format="turtle")
    nquads = ox.parse(_data(folder, "dumps/rsme-kg.nq"), format=ox.RdfFormat.N_QUADS)
    in_dump = [q for q in nquads if q.graph_name == ox.NamedNode(str(TAXONOMY_GRAPH))]
    assert len(taxonomy) == len(in_dump) > 0
    assert (folder / "mappings.sssom.tsv").read_bytes() == paths.MAPPINGS_FILE.read_bytes()


# ---------------------------------------------------------------------------- VoID/DCAT


def test_void_dcat_has_one_distribution_per_file(first: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = first
    g = Graph().parse(folder / "void.ttl", format="turtle")
    release = URIRef("https://w3id.org/rsme-kg/releases/1.0.0")
    assert (release, RDF.type, DCAT.Dataset) in g
    assert (release, DCAT.version, Literal("1.0.0")) in g
    assert (
        release,
        URIRef("http://purl.org/dc/terms/issued"),
        Literal(manifest["date"], datatype=XSD.date),
    ) in g
    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (release, URIRef("http://purl.org/dc/terms/license"), licence) in g
    assert (None, DCAT.endpointURL, URIRef("https://w3id.org/rsme-kg/sparql")) in g
    assert (None, URIRef("http://rdfs.org/ns/void#sparqlEndpoint"), None) in g
    described = {f["path"]: f for f in manifest["files"]}
    # void.ttl cannot hold its own checksum, nor the crate that lists void.ttl
    expected = set(described) - {"void.ttl", "ro-crate-metadata.json"}
    by_url: dict[str, URIRef] = {}
    for dist in g.objects(release, DCAT.distribution):
        urls = list(g.objects(dist, DCAT.downloadURL))
        assert len(urls) == 1
        by_url[str(urls[0]).removeprefix(str(release) + "/")] = dist  # type: ignore[assignment]
    assert set(by_url) == expected
    for path in expected:
        dist = by_url[path]
        data = (folder / path).read_bytes()
        assert g.value(dist, DCAT.byteSize).toPython() == len(data)  # type: ignore[union-attr]
        checksum = g.value(dist, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert g.value(dist, DCAT.mediaType) is not None
    # one by hand: the change log of a first release is three lines
    changelog = by_url["CHANGELOG.md"]
    text = (folder / "CHANGELOG.md").read_bytes()
    assert text.startswith(b"# rsme-kg 1.0.0 (") and text.count(b"\n") == 3
    assert g.value(changelog, DCAT.byteSize).toPython() == len(text)  # type: ignore[union-attr]
    assert g.value(changelog, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/markdown"
    )


# ------------------------------------------------------------------- RO-Crate, CFF


def _offline_context(cache: Path) -> None:
    """Put the RO-Crate JSON-LD context into the validator's HTTP cache, so it runs offline.

    The validator fetches https://w3id.org/ro/crate/1.1/context to check the crate's terms;
    here the context the `rocrate` package ships (RO-Crate 1.3, whose terms include those of
    1.1) answers that request, through the validator's own cache (requests-cache).
    """
    import requests
    from requests.adapters import HTTPAdapter
    from requests_cache import CachedSession
    from rocrate import __file__ as rocrate_init
    from urllib3 import HTTPResponse

    body = (Path(rocrate_init).parent / "data" / "ro-crate.jsonld").read_bytes()

    class Local(HTTPAdapter):
        """Answers every request with the context, as the network would (no socket opened)."""

        def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
            raw = HTTPResponse(
                body=io.BytesIO(body),
                headers={"Content-Type": "application/ld+json"},
                status=200,
                preload_content=False,
                request_url=request.url,
            )
            return self.build_response(request, raw)

    session = CachedSession(cache_name=str(cache), backend="sqlite", expire_after=-1)
    session.mount("https://w3id.org/", Local())
    session.get(
        "https://w3id.org/ro/crate/1.1/context",
        headers={"Accept": "application/ld+json, application/json"},
    )
    session.close()


def test_the_ro_crate_is_valid(first: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from rocrate_validator import services
    from rocrate_validator.models import Severity, ValidationSettings

    folder, manifest = first
    crate = json.loads((folder / "ro-crate-metadata.json").read_bytes())
    root = next(e for e in crate["@graph"] if e["@id"] == "./")
    assert root["datePublished"] == manifest["date"]  # the release's, not the clock's
    assert root["version"] == "1.0.0"
    parts = {p["@id"] for p in root["hasPart"]}
    assert {f["path"] for f in manifest["files"]} - {"ro-crate-metadata.json"} <= parts
    cache = tmp_path / "http-cache"
    _offline_context(cache)
    result = services.validate(
        ValidationSettings(
            rocrate_uri=str(folder),
            profile_identifier="ro-crate-1.1",
            requirement_severity=Severity.REQUIRED,
            cache_path=cache,
            offline=True,  # no network: the context comes from the cache
        )
    )
    issues = [issue.message for issue in result.get_issues()]
    assert result.passed(), issues


def test_citation_cff(first: tuple[Path, dict[str, Any]]) -> None:
    import yaml

    folder, manifest = first
    cff = yaml.safe_load((folder / "CITATION.cff").read_bytes())
    # no CFF schema ships in the environment: the required keys and their types
    for key in ("cff-version", "message", "title", "authors"):
        assert key in cff
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == "1.0.0"
    assert cff["date-released"] == manifest["date"]
    assert cff["authors"] == [{"name": "rsme-kg editors"}]  # an entity, not a person
    assert cff["license"] == "CC-BY-4.0"
    assert cff["type"] == "dataset"
    assert set(cff) <= {
        "cff-version",
        "message",
        "type",
        "title",
        "abstract",
        "version",
        "date-released",
        "authors",
        "license",
        "keywords",
    }


# ----------------------------------------------------------- the date, the change log


def test_the_date_is_the_latest_recorded_in_the_inputs(first: tuple[Path, dict[str, Any]]) -> None:
    from kg import sssom

    codes = list(csv.DictReader((DATA / "codes.csv").open(encoding="utf-8")))
    dates = [date.fromisoformat(r["coded_on"]) for r in codes if r["coded_on"]]
    mapping_set = sssom.read_sssom(paths.MAPPINGS_FILE)
    for m in mapping_set.mappings:
        dates += [d for d in (m.mapping_date, m.review_date, m.publication_date) if d]
    for key in ("mapping_date", "publication_date"):
        if mapping_set.metadata.get(key):
            dates.append(date.fromisoformat(str(mapping_set.metadata[key])))
    assert first[1]["date"] == max(dates).isoformat()


def _edit(tmp: Path) -> tuple[Path, Sources]:
    """A copy of data/ and of the SSSOM file with the edits the expected change log names."""
    data = tmp / "data"
    shutil.copytree(DATA, data)
    with (data / "codes.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        codes = [r for r in reader if r["id"] != "akbari-2019-2"]  # removed
    studies_file = data / "studies.csv"
    with studies_file.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        study_columns = list(reader.fieldnames or [])
        studies = list(reader)
    study = next(s for s in studies if s["id"] == "akbari-2019")
    # appended: the codes' quotes keep their offsets in the title
    study["title"] += " (revised)"
    codes.append(
        {
            **{c: "" for c in columns},
            "id": "akbari-2019-9",
            "study": "akbari-2019",
            "factor": "environmental-hostility",
            "basis": "title",
            "quote": study["title"][0:10],
            "start": "0",
            "end": "10",
            "coder": "rsme-kg-editors",
            "coded_on": "2026-12-20",
        }
    )
    for path, cols, rows in (
        (data / "codes.csv", columns, codes),
        (studies_file, study_columns, studies),
    ):
        out = io.StringIO()
        writer = csv.DictWriter(out, cols, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    lines = paths.MAPPINGS_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    tsv_cols = lines[header].rstrip("\n").split("\t")
    tsv_rows = [line.rstrip("\n").split("\t") for line in lines[header + 1 :]]
    template = dict(
        zip(tsv_cols, tsv_rows[0], strict=True)
    )  # category:human-capital closeMatch stw
    added = {
        **template,
        "subject_id": "factor:entrepreneurial-skills",
        "subject_label": "Entrepreneurial skills",
        "predicate_id": "skos:relatedMatch",
        "mapping_date": "2026-12-10",
        "comment": "relatedMatch: added in the test",
    }
    changed = [
        r
        for r in tsv_rows
        if r[tsv_cols.index("subject_id")] == "category:human-capital"
        and r[tsv_cols.index("object_id")] == "wd:Q165687"
    ]
    assert len(changed) == 1
    changed[0][tsv_cols.index("confidence")] = "0.8"  # was 0.9
    tsv_rows.append([added[c] for c in tsv_cols])
    text = "".join(lines[: header + 1]) + "".join("\t".join(r) + "\n" for r in tsv_rows)
    mappings = tmp / "rsme-kg.sssom.tsv"
    mappings.write_text(text, encoding="utf-8")
    return data, Sources(mappings=mappings)


@pytest.fixture(scope="module")
def second(
    first: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """Release 1.1.0 after the edits of `_edit`, compared with 1.0.0 named by --previous."""
    tmp = tmp_path_factory.mktemp("edited")
    data, sources = _edit(tmp)
    return _release(tmp / "releases", "1.1.0", data=data, sources=sources, previous=first[0])


def test_the_change_log_names_the_edits(second: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = second
    assert manifest["previous"] == "1.0.0"
    assert manifest["date"] == "2026-12-20"  # the new code's coded_on, the latest date
    changes = json.loads((folder / "changes.json").read_bytes())
    title = (
        "Moderating Global Environment Hostility between International Corporate "
        "Entrepreneurship and Halal Food Industry (revised)"
    )
    assert changes["studies"] == {
        "added": [],
        "removed": [],
        "changed": [{"id": STUDY + "akbari-2019", "label": title, "properties": ["dcterms:title"]}],
    }
    assert changes["codes"] == {
        "added": [{"id": CODE + "akbari-2019-9", "label": ""}],
        "removed": [{"id": CODE + "akbari-2019-2", "label": ""}],
        "changed": [],
    }
    # a factor gaining a code or a mapping is reported as that code or mapping
    assert changes["factors"] == {"added": [], "removed": [], "changed": []}
    assert changes["mappings"] == {
        "added": [
            {
                "subject": "https://w3id.org/rsme-kg/id/factor/entrepreneurial-skills",
                "predicate": "skos:relatedMatch",
                "object": "http://zbw.eu/stw/descriptor/11224-2",
            }
        ],
        "removed": [],
        "changed": [
            {
                "subject": "https://w3id.org/rsme-kg/id/category/human-capital",
                "predicate": "skos:closeMatch",
                "object": "http://www.wikidata.org/entity/Q165687",
                "previous_predicate": "skos:closeMatch",
                "properties": ["https://w3id.org/sssom/confidence"],
            }
        ],
    }
    text = (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Changes since release 1.0.0" in text
    assert "- `code:akbari-2019-9`" in text and "- `code:akbari-2019-2`" in text
    assert f"- `study:akbari-2019` {title} (changed: dcterms:title)" in text


def test_the_second_release_names_its_prior_version(second: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = second
    g = Graph().parse(folder / "ontology.ttl", format="turtle")
    assert set(g.objects(ONTOLOGY, OWL.priorVersion)) == {
        URIRef("https://w3id.org/rsme-kg/ontology/1.0.0")
    }
    assert set(g.objects(ONTOLOGY, OWL.versionInfo)) == {Literal("1.1.0")}
    void = Graph().parse(folder / "void.ttl", format="turtle")
    assert (
        URIRef("https://w3id.org/rsme-kg/releases/1.1.0"),
        DCAT.previousVersion,
        URIRef("https://w3id.org/rsme-kg/releases/1.0.0"),
    ) in void
    # the dumps hold the same ontology as ontology.ttl
    nq = ox.parse(_data(folder, "dumps/rsme-kg.nq"), format=ox.RdfFormat.N_QUADS)
    prior = [q for q in nq if q.predicate == rdf.PRIOR_VERSION]
    assert [q.graph_name for q in prior] == [ox.NamedNode(str(ONTOLOGY_GRAPH))]


# ----------------------------------------------------------------- choosing the previous


def _fake_release(root: Path, version: str) -> None:
    (root / version).mkdir(parents=True)
    (root / version / "release.json").write_text(json.dumps({"version": version}))


def test_the_previous_release_is_the_newest_older_one(tmp_path: Path) -> None:
    for version in ("0.9.0", "1.2.0", "1.10.0", "2.0.0"):
        _fake_release(tmp_path, version)
    (tmp_path / "notes").mkdir()  # not a release: no release.json
    assert find_previous(tmp_path, "1.11.0").version == "1.10.0"  # type: ignore[union-attr]
    assert find_previous(tmp_path, "1.2.0").version == "0.9.0"  # type: ignore[union-attr]
    assert find_previous(tmp_path, "0.1.0") is None
    assert find_previous(tmp_path / "none", "1.0.0") is None
    with pytest.raises(UsageError, match="--previous"):
        find_previous(tmp_path, "spring-edition")


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize("version", ["../x", "", "a/b", ".", "..", "-1", "x" * 65])
def test_a_bad_version_is_refused_and_nothing_is_written(tmp_path: Path, version: str) -> None:
    root = tmp_path / "releases"
    result = runner.invoke(app, ["release", "--out", str(root), "--", version])
    assert result.exit_code == 2, result.output
    assert "cannot name a release" in result.output
    assert not root.exists()
    with pytest.raises(UsageError):
        check_version(version)


def test_an_existing_release_is_never_rewritten(first: tuple[Path, dict[str, Any]]) -> None:
    folder, _ = first
    before = tree_digest(folder.parent)
    result = runner.invoke(app, ["release", "1.0.0", "--out", str(folder.parent)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert tree_digest(folder.parent) == before


def test_a_failed_release_leaves_root_as_it_was(
    first: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root = tmp_path / "releases"
    shutil.copytree(first[0], root / "1.0.0")
    before = tree_digest(root)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    codes = (data / "codes.csv").read_text(encoding="utf-8")
    # a code whose quote is not in its study's title: read fine, refused by the gate
    (data / "codes.csv").write_text(
        codes.replace("Global Environment Hostility,11,39", "Global Environment Hostility,12,40"),
        encoding="utf-8",
    )
    with pytest.raises(NonConformingError):  # SHACL: the offsets select another text
        _release(root, "2.0.0", data=data)
    assert tree_digest(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["1.0.0"]
    # a ROOT that did not exist is not left behind either
    with pytest.raises(NonConformingError):
        _release(tmp_path / "new-root", "2.0.0", data=data)
    assert not (tmp_path / "new-root").exists()


def test_release_date_option(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["release", "1.0.0", "--out", str(tmp_path / "r"), "--date", "27/11/2026"]
    )
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    assert not (tmp_path / "r").exists()


def test_an_interrupted_write_leaves_root_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.release import bundle
    from kg.release.files import BundleFile

    root = tmp_path / "releases"
    _fake_release(root, "0.9.0")
    before = tree_digest(root)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle.os, "rename", interrupted)
    files = [BundleFile("ontology.ttl", b"x", "t"), BundleFile("dumps/a.nq", b"y", "t")]
    with pytest.raises(KeyboardInterrupt):
        bundle._write_folder(root, root / "1.0.0", files, {"version": "1.0.0"})
    assert tree_digest(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["0.9.0"]  # no staging folder left
