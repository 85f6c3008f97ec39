"""`rsme-kg export codebook`: the taxonomy as a REFI-QDA codebook, valid and reproducible,
and a round trip (export, then import) that gives the taxonomy back."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xmlschema

from kg.interchange.matching import ConceptIndex
from kg.interchange.refi import QdaCode, read_codebook, read_project
from kg.interchange.safexml import CODEBOOK_NS, CODEBOOK_XSD
from kg.interchange.taxonomy import Taxonomy, load_taxonomy
from tests.conftest import tree_digest
from tests.importing import next_code, run
from tests.qdpx_factory import (
    BUNDLED_SCHEMA,
    SCHEMA,
    SHARED_SCHEMA,
    Code,
    Coding,
    Project,
    Source,
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def export(tmp_path: Path, fmt: str, name: str) -> Path:
    out = tmp_path / name
    code, output = run("export", "codebook", "--format", fmt, "--out", str(out))
    assert code == 0, output
    assert f"wrote {out}" in output
    return out


def tree(codes: dict[str, QdaCode], index: ConceptIndex, by: str) -> set[tuple[str, str | None]]:
    """(concept id, parent concept id) of each code, the concept found by GUID or by name."""

    def concept(code: QdaCode) -> str:
        guid = code.guid if by == "guid" else "no such GUID"
        kind = "factor" if code.codable else "category"
        [found] = [c for c in index.match(guid, code.name) if c.kind == kind]
        return found.id

    return {(concept(c), concept(codes[c.parent]) if c.parent else None) for c in codes.values()}


def expected_tree(taxonomy: Taxonomy) -> set[tuple[str, str | None]]:
    return {(c.id, None) for c in taxonomy.categories} | {
        (f.id, f.category) for f in taxonomy.factors
    }


def test_qdc_is_a_valid_codebook_in_its_namespace(tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = export(tmp_path, "qdc", "codes.qdc")
    xmlschema.XMLSchema(str(CODEBOOK_XSD)).validate(str(path))
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    top = root.findall(f"{{{CODEBOOK_NS}}}Codes/{{{CODEBOOK_NS}}}Code")
    assert [c.get("name") for c in top] == [c.label for c in taxonomy.categories]
    assert {c.get("isCodable") for c in top} == {"false"}
    children = root.findall(f"{{{CODEBOOK_NS}}}Codes/*/{{{CODEBOOK_NS}}}Code")
    assert len(children) == len(taxonomy.factors)
    assert {c.get("isCodable") for c in children} == {"true"}


def test_qdpx_holds_a_valid_project(tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = export(tmp_path, "qdpx", "codes.qdpx")
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["project.qde"]
        xml = archive.read("project.qde")
    xmlschema.XMLSchema(str(SCHEMA)).validate(io.BytesIO(xml))  # the shared copy of the XSD
    assert b'xmlns="urn:QDA-XML:project:1.0"' in xml


def test_exports_are_reproducible_and_guids_come_from_the_iris(
    tmp_path: Path, taxonomy: Taxonomy
) -> None:
    for fmt in ("qdc", "qdpx"):
        first = export(tmp_path, fmt, f"a.{fmt}").read_bytes()
        assert export(tmp_path, fmt, f"b.{fmt}").read_bytes() == first
    codes = read_codebook(tmp_path / "a.qdc")
    factor = next(f for f in taxonomy.factors if f.id == "psychic-distance")
    expected = str(uuid.uuid5(uuid.NAMESPACE_URL, factor.iri)).upper()
    assert codes[expected].name == factor.label
    assert codes[expected].description == factor.definition


@pytest.mark.parametrize("by", ["guid", "name"])
@pytest.mark.parametrize("fmt", ["qdc", "qdpx"])
def test_round_trip_gives_the_taxonomy_back(
    fmt: str, by: str, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    path = export(tmp_path, fmt, f"codes.{fmt}")
    codes = read_codebook(path) if fmt == "qdc" else read_project(path).codes
    index = ConceptIndex(taxonomy)
    # by GUID as exported, and by name alone (a QDA tool that mints its own GUIDs)
    assert tree(codes, index, by) == expected_tree(taxonomy)
    for code in codes.values():
        kind = "factor" if code.codable else "category"
        [concept] = [c for c in index.match(code.guid, code.name) if c.kind == kind]
        assert (code.name, code.description) == (concept.label, concept.definition)


def test_a_project_coded_with_the_exported_codebook_imports_by_guid(
    tmp_path: Path, data_copy: Path
) -> None:
    exported = read_project(export(tmp_path, "qdpx", "codes.qdpx"))
    project = Project()
    user = project.user("Sara Karimi")
    # the analyst renamed the code in the QDA tool: the GUID still says which factor it is
    guid = next(g for g, c in exported.codes.items() if c.name == "Psychic distance")
    project.codes = [Code("Psychische Distanz", guid=guid)]
    source = Source("ruzzier-2007.txt", "Distance to markets mattered a lot.")
    source.select("Distance to markets", Coding(guid, user))
    project.sources = [source]
    ident = next_code(data_copy, "ruzzier-2007")
    code, output = run(
        "import", "qdpx", str(project.write(tmp_path / "p.qdpx")), "--into", str(data_copy)
    )
    assert code == 0, output
    assert "1 by codebook GUID" in output
    codes = (data_copy / "codes.csv").read_text(encoding="utf-8")
    assert f"{ident},ruzzier-2007,psychic-distance,,,fulltext,Distance to markets,0,19," in codes


def test_the_exported_project_itself_imports_as_nothing_to_do(
    tmp_path: Path, data_copy: Path, taxonomy: Taxonomy
) -> None:
    path = export(tmp_path, "qdpx", "codes.qdpx")
    before = tree_digest(data_copy)
    code, output = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, output
    factors, categories = len(taxonomy.factors), len(taxonomy.categories)
    assert (
        f"codebook: {factors + categories} code(s); by GUID or name {factors} stand for factors, "
        f"{categories} for categories, 0 for neither" in output
    )
    assert tree_digest(data_copy) == before


def test_bad_options(tmp_path: Path) -> None:
    code, output = run("export", "codebook", "--out", str(tmp_path))
    assert code == 2
    assert f"--out {tmp_path} is a folder" in output
    code, output = run("export", "codebook", "--format", "nvivo")
    assert code == 2
    assert "nvivo" in output


@pytest.mark.skipif(not SHARED_SCHEMA.is_file(), reason="../shared is not beside this checkout")
def test_the_shipped_project_schema_is_the_shared_one() -> None:
    assert BUNDLED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_an_output_name_of_the_other_format_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "codes.qdc"
    code, output = run("export", "codebook", "--format", "qdpx", "--out", str(out))
    assert code == 2
    assert "--out" in output and "expected a file name ending in .qdpx" in output
    assert not out.exists()


def test_the_codebook_schema_says_it_is_a_reconstruction() -> None:
    header = CODEBOOK_XSD.read_text(encoding="utf-8")[:3000]
    assert "A RECONSTRUCTION, not the official REFI-QDA file" in header
    assert "Reconstructed by:" in header and "Reconstructed from:" in header


# --- the CSV codebook for Taguette, and Persian labels (issue 10) ---------------------------


def test_csv_has_the_columns_taguettes_codebook_import_reads(
    tmp_path: Path, taxonomy: Taxonomy
) -> None:
    """Taguette (taguette/import_codebook.py, `list_tags_csv`) lower-cases the header, takes
    the tag from the one column named tag, name or path, and the optional description;
    Taguette before 1.0 decoded the file as UTF-8 without looking for a byte-order mark."""
    data = export(tmp_path, "csv", "codes.csv").read_bytes()
    assert not data.startswith(codecs.BOM_UTF8)
    assert data.startswith(b"tag,description\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == ["tag", "description"]
    # one row per factor, English label and definition; categories are no tags
    assert rows[1:] == [[f.label, f.definition] for f in taxonomy.factors]
    assert export(tmp_path, "csv", "again.csv").read_bytes() == data


def test_csv_in_persian_names_the_factors_without_a_persian_label_in_english(
    tmp_path: Path, taxonomy: Taxonomy
) -> None:
    out = tmp_path / "fa.csv"
    code, output = run("export", "codebook", "--format", "csv", "--lang", "fa", "--out", str(out))
    assert code == 0, output
    english = [f.id for f in taxonomy.factors if not f.label_fa]
    if english:
        assert (
            f"note: {len(english)} code(s) have no label in 'fa' and are named in English: "
            f"{', '.join(english)}" in output
        )
    else:
        assert "note:" not in output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[1:] == [[f.label_fa or f.label, f.definition] for f in taxonomy.factors]
    assert sum(1 for f in taxonomy.factors if f.label_fa) > len(taxonomy.factors) // 2


def test_a_persian_qdc_has_the_same_guids(tmp_path: Path, taxonomy: Taxonomy) -> None:
    out = tmp_path / "fa.qdc"
    code, output = run("export", "codebook", "--lang", "fa", "--out", str(out))
    assert code == 0, output
    persian, english = read_codebook(out), read_codebook(export(tmp_path, "qdc", "en.qdc"))
    assert persian.keys() == english.keys()
    by_guid = {c.guid: c for c in (*taxonomy.categories, *taxonomy.factors)}
    assert {g: c.name for g, c in persian.items()} == {
        g: by_guid[g].label_fa or by_guid[g].label for g in persian
    }


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_csv_export_imports_back_with_every_factor_matched(
    lang: str, tmp_path: Path, data_copy: Path, taxonomy: Taxonomy
) -> None:
    out = tmp_path / "codes.csv"
    assert run("export", "codebook", "--format", "csv", "--lang", lang, "--out", str(out))[0] == 0
    before = tree_digest(data_copy)
    code, output = run("import", "codebook", str(out), "--into", str(data_copy))
    assert code == 0, output
    n = len(taxonomy.factors)
    assert f"codes: {n} of {n} codable code(s) stand for a factor ({n} by name), 0 for none" in (
        output
    )
    assert tree_digest(data_copy) == before


def test_a_csv_under_a_codebook_name_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "codes.qdc"
    code, output = run("export", "codebook", "--format", "csv", "--out", str(out))
    assert code == 2
    assert "expected a file name ending in .csv (or --format qdc)" in output
    assert not out.exists()
    code, output = run("export", "codebook", "--lang", "de")
    assert code == 2
    assert "de" in output
