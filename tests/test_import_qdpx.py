"""`rsme-kg import qdpx`: REFI-QDA projects built in code, checked against the schema, imported.

Every hostile or broken project ends in exit 2, a message that says where and what, and a
data folder whose files are byte for byte what they were.
"""

from __future__ import annotations

import csv
import struct
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xmlschema

from kg import pipeline
from kg.errors import InputErrors
from kg.ingest.corpus import read_corpus
from kg.interchange.safexml import PROJECT_XSD
from tests.apiclient import ApiClient
from tests.conftest import tree_digest
from tests.importing import line_count, next_code, refused, run
from tests.qdpx_factory import (
    NS,
    SCHEMA,
    Code,
    Coding,
    Project,
    Source,
    check_schema,
    write_zip,
)

STUDY = "yousefi-2019"  # a Persian-language study of the corpus, included
TITLE = "The Impact of Commercial and Social Networks on the Internationalization of SMEs"
PERSIAN = "مدیران با تجربه\u200cی بین\u200cالمللی"  # with zero-width non-joiners
TEXT = (
    f"{PERSIAN} بازارهای خارجی را بهتر می\u200cشناسند.\n"
    "Social networks of the owners open foreign markets.\r\n"
    "Managers speak the buyers' language.  Exports grew.\n"
)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Pilot:
    """A two-coder project with nested codes and a Persian and English text."""

    def __init__(self) -> None:
        self.project = Project(name="Pilot coding")
        self.ali = self.project.user("علی رضایی")
        self.sara = self.project.user("Sara Karimi")
        self.managers = Code("Human capital of the entrepreneur and managers")
        self.language = Code("Language skills", description="Managers speak the buyers' language")
        self.networks = Code("business networking")  # matched case-insensitively
        self.project.codes = [
            Code("Human capital", [self.managers, self.language], codable=False),
            Code("Networks and cooperation", [self.networks], codable=False),
        ]
        self.source = Source(f"{TITLE}.txt", TEXT)
        self.project.sources = [self.source]
        self.source.select(PERSIAN, Coding(self.managers.guid, self.ali))
        self.source.select(
            "Social networks of the owners",
            Coding(self.networks.guid, self.ali),
            Coding(self.networks.guid, self.sara, created="2026-03-02T09:30:00+03:30"),
        )

    def code_language(self) -> None:
        """Add a coding with a code that names no factor."""
        self.source.select(
            "Managers speak the buyers' language", Coding(self.language.guid, self.sara)
        )

    def write(self, folder: Path, name: str = "pilot.qdpx") -> Path:
        check_schema(self.project.xml())
        return self.project.write(folder / name)


@pytest.fixture()
def pilot() -> Pilot:
    return Pilot()


def imported(data: Path) -> list[dict[str, str]]:
    return [r for r in rows(data / "codes.csv") if r["basis"] == "fulltext"]


def one_coding(name: str, text: str, words: str, code: str = "Business networking") -> Project:
    """A project of one user, one code and one source, whose `words` are coded once."""
    project = Project()
    user = project.user("Sara Karimi")
    project.codes = [Code(code)]
    source = Source(name, text)
    project.sources = [source]
    source.select(words, Coding(project.codes[0].guid, user))
    return project


def test_the_factory_writes_valid_refi_qda_and_the_package_ships_the_same_schema(
    pilot: Pilot,
) -> None:
    pilot.code_language()
    check_schema(pilot.project.xml())  # raises on any schema violation
    assert PROJECT_XSD.read_bytes() == SCHEMA.read_bytes()


def test_two_coders_persian_text_nested_codes(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    ids = [next_code(data_copy, STUDY, k) for k in (1, 2, 3)]
    code, out = run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))
    assert code == 0, out
    assert f"study {STUDY} (name is the title)" in out
    new = imported(data_copy)
    assert [(r["id"], r["factor"], r["coder"]) for r in new] == [
        (ids[0], "entrepreneur-human-capital", "coder-" + pilot.ali[:8].lower()),
        (ids[1], "business-networking", "coder-" + pilot.ali[:8].lower()),
        (ids[2], "business-networking", "sara-karimi"),
    ]
    for row in new:  # verbatim at code-point offsets, read back from the stored text
        assert TEXT[int(row["start"]) : int(row["end"])] == row["quote"]
        assert row["basis"] == "fulltext" and row["direction"] == "" and row["outcome"] == ""
    assert new[0]["quote"] == PERSIAN and new[0]["start"] == "0" and new[0]["end"] == "28"
    assert len(PERSIAN.encode()) == 55  # the offsets count code points, not bytes
    assert [r["coded_on"] for r in new] == ["2026-03-01", "2026-03-01", "2026-03-02"]
    assert (data_copy / "sources" / f"{STUDY}.txt").read_bytes() == TEXT.encode()  # \r\n kept
    coders = {r["id"]: r for r in rows(data_copy / "coders.csv")}
    assert coders["sara-karimi"]["name"] == "Sara Karimi"
    assert coders["coder-" + pilot.ali[:8].lower()]["name"] == "علی رضایی"
    ledger = rows(data_copy / "refi-qda-ids.csv")
    assert {(r["kind"], r["id"]) for r in ledger} >= {("source", STUDY), ("user", "sara-karimi")}
    read_corpus(data_copy)  # the folder still reads, quotes checked against the source text


def test_import_appends_and_keeps_the_other_bytes(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    before = (data_copy / "codes.csv").read_bytes()
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))[0] == 0
    assert (data_copy / "codes.csv").read_bytes().startswith(before)


def test_importing_the_same_project_twice_changes_nothing(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    path = pilot.write(tmp_path)
    assert run("import", "qdpx", str(path), "--into", str(data_copy))[0] == 0
    first = tree_digest(data_copy)
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert "3 unchanged" in out and "nothing to change" in out
    assert tree_digest(data_copy) == first


def test_a_moved_selection_updates_its_code(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))[0] == 0
    selection = pilot.source.selections[1]
    selection.start += len("Social ")  # the coder narrowed the selection in the QDA tool
    code, out = run(
        "import", "qdpx", str(pilot.write(tmp_path, "v2.qdpx")), "--into", str(data_copy)
    )
    assert code == 0, out
    assert "2 updated" in out
    new = imported(data_copy)
    assert len(new) == 3
    assert {r["quote"] for r in new if r["factor"] == "business-networking"} == {
        "networks of the owners"
    }


def test_an_edited_source_text_replaces_the_stored_one_only_if_all_codes_fit(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    second = line_count(data_copy / "codes.csv") + 2  # the line of the second code imported
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))[0] == 0
    preface = "Preface.\n"
    pilot.source.text = preface + TEXT
    for selection in pilot.source.selections:
        selection.start += len(preface)
        selection.end += len(preface)
    code, out = run(
        "import", "qdpx", str(pilot.write(tmp_path, "v2.qdpx")), "--into", str(data_copy)
    )
    assert code == 0, out
    assert "3 updated" in out and f"sources/{STUDY}.txt is replaced" in out
    assert (data_copy / "sources" / f"{STUDY}.txt").read_text(encoding="utf-8").startswith(preface)
    # a third version drops a selection: its code stays, and no longer fits a new text
    pilot.source.text = "Foreword.\n" + TEXT
    pilot.source.selections = pilot.source.selections[:1]
    pilot.source.selections[0].start -= len(preface) - len("Foreword.\n")
    pilot.source.selections[0].end -= len(preface) - len("Foreword.\n")
    before = tree_digest(data_copy)
    code, out = run(
        "import", "qdpx", str(pilot.write(tmp_path, "v3.qdpx")), "--into", str(data_copy)
    )
    assert code == 2
    assert f"codes.csv, line {second}, column 8, field 'start': offsets 72..101 select " in out
    assert f"in the text of source {TITLE + '.txt'!r} that this import would write to " in out
    assert f"{data_copy}/sources/{STUDY}.txt, not the quote" in out
    assert tree_digest(data_copy) == before


def test_codes_that_name_no_factor_are_listed_and_refused(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.code_language()
    before = tree_digest(data_copy)
    code, out = run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))
    assert code == 2
    assert "pilot.qdpx:project.qde, line " in out
    assert "code 'Language skills'" in out and "matches no factor" in out
    assert "--factor-map" in out and "--allow-new" in out
    assert tree_digest(data_copy) == before


def test_allow_new_proposes_factors_for_review(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.code_language()
    path = pilot.write(tmp_path)
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy), "--allow-new")
    assert code == 0, out
    [proposal] = rows(data_copy / "factor-proposals.csv")
    assert proposal["code"] == "Language skills"
    assert proposal["guid"] == pilot.language.guid
    assert proposal["parent"] == "Human capital" and proposal["category"] == "human-capital"
    assert proposal["proposed_id"] == "language-skills"
    assert proposal["description"] == "Managers speak the buyers' language"
    assert proposal["example"] == "Managers speak the buyers' language"
    assert proposal["codings"] == "1"
    assert len(imported(data_copy)) == 3  # the held coding waits for the review
    assert "ontology/factors.ttl" in out


def test_the_mapping_file_maps_codes_sources_and_users(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.code_language()
    pilot.source.name = "Interview 7"  # a name that is no title
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "kind,qda,target\n"
        "code,language skills,entrepreneur-human-capital\n"
        f"code,{{{pilot.networks.guid.lower()}}},-\n"
        f"source,Interview 7,{STUDY}\n"
        "user,Sara Karimi,rsme-kg-editors\n",
        encoding="utf-8",
    )
    path = pilot.write(tmp_path)
    code, out = run(
        "import", "qdpx", str(path), "--into", str(data_copy), "--factor-map", str(mapping)
    )
    assert code == 0, out
    new = imported(data_copy)
    assert [(r["factor"], r["coder"], r["quote"]) for r in new] == [
        ("entrepreneur-human-capital", "coder-" + pilot.ali[:8].lower(), PERSIAN),
        ("entrepreneur-human-capital", "rsme-kg-editors", "Managers speak the buyers' language"),
    ]
    assert "sara-karimi" not in {r["id"] for r in rows(data_copy / "coders.csv")}


def test_a_mapping_to_an_unknown_factor_says_where(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("kind,qda,target\ncode,business networking,busines-networking\n")
    before = tree_digest(data_copy)
    code, out = run(
        "import",
        "qdpx",
        str(pilot.write(tmp_path)),
        "--into",
        str(data_copy),
        "--map",
        str(mapping),
    )
    assert code == 2
    assert "map.csv, line 2, column 3, field 'target'" in out
    assert "'busines-networking' is not a factor id. Did you mean business-networking" in out
    assert tree_digest(data_copy) == before


def test_a_source_that_matches_no_study_is_refused_with_suggestions(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.source.name = "The Impact of Commercial Networks on SMEs"
    before = tree_digest(data_copy)
    code, out = run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))
    assert code == 2
    assert "text source 'The Impact of Commercial Networks on SMEs'" in out
    assert "matches no study by id or title. Did you mean yousefi-2019" in out
    assert tree_digest(data_copy) == before


def test_inline_text_and_white_space_at_the_ends_of_a_selection(
    data_copy: Path, tmp_path: Path
) -> None:
    text = "Owners said:   networks matter  \n\nThe end."
    project = one_coding(f"{STUDY}.txt", text, "   networks matter  ")
    project.sources[0].inline = True
    check_schema(project.xml())
    code, out = run(
        "import", "qdpx", str(project.write(tmp_path / "p.qdpx")), "--into", str(data_copy)
    )
    assert code == 0, out
    [row] = imported(data_copy)
    assert (row["quote"], row["start"], row["end"]) == ("networks matter", "15", "30")
    assert text[15:30] == "networks matter"


def test_the_ingest_checks_fulltext_quotes_against_the_stored_source(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    second = line_count(data_copy / "codes.csv") + 2  # the line of the second code imported
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))[0] == 0
    path = data_copy / "codes.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Social networks of the owners,", "Social networks of the owner,", 1
        ),
        encoding="utf-8",
    )
    (data_copy / "sources" / "nobody-2020.txt").write_text("text", encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_corpus(data_copy)
    text = str(caught.value)
    assert f"codes.csv, line {second}, column 8, field 'start': offsets 63..92 select " in text
    assert "not the quote 'Social networks of the owner'" in text
    assert "nobody-2020.txt: no study 'nobody-2020' in studies.csv" in text


# --- hostile and broken projects -----------------------------------------------------------


def test_not_a_zip(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "project.qdpx"
    path.write_text("<Project/>", encoding="utf-8")
    refused(
        "qdpx",
        path,
        data_copy,
        f"{path}: the file is not a zip archive",
        "expected a REFI-QDA project",
    )


def test_a_zip_without_project_qde(data_copy: Path, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.qdpx", {"sources/a.txt": b"text", "Project.xml": b"<x/>"})
    refused(
        "qdpx",
        path,
        data_copy,
        "the archive holds no project.qde (it holds sources/a.txt, Project.xml)",
    )


def test_malformed_xml(data_copy: Path, tmp_path: Path) -> None:
    xml = b'<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Users>\n'
    xml += b"</Project>"
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": xml})
    refused(
        "qdpx",
        path,
        data_copy,
        "p.qdpx:project.qde, line 4, column 3: malformed XML: mismatched tag",
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>
"""
DOCTYPE_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.org/project.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>
"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, DOCTYPE_ONLY], ids=["laughs", "xxe", "dtd"])
def test_dtds_and_entities_are_refused(xml: bytes, data_copy: Path, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": xml})
    out = refused("qdpx", path, data_copy, "p.qdpx:project.qde: the XML declares a DTD, entities")
    assert "root:" not in out  # nothing of /etc/passwd


def test_xml_nested_without_bound(data_copy: Path, tmp_path: Path) -> None:
    xml = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><CodeBook><Codes>'
    xml += b"<Code>" * 5000  # would exhaust the stack of a recursive reader
    path = write_zip(tmp_path / "deep.qdpx", {"project.qde": xml})
    refused("qdpx", path, data_copy, "deep.qdpx:project.qde, line 1: elements are nested more")


def _patch_sizes(path: Path, size: int) -> None:
    """Make the zip declare `size` uncompressed bytes for each entry (local + central)."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset : at + offset + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_a_zip_bomb_by_declared_size(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    path = pilot.write(tmp_path)
    _patch_sizes(path, 0xF0000000)
    refused(
        "qdpx",
        path,
        data_copy,
        "pilot.qdpx:project.qde: the entry is 4026531840 bytes uncompressed",
        "refused as a zip bomb",
    )


def test_a_zip_bomb_by_compression_ratio(data_copy: Path, tmp_path: Path) -> None:
    xml = b'<Project xmlns="urn:QDA-XML:project:1.0" name="x">' + b" " * (48 * 1024 * 1024)
    path = write_zip(tmp_path / "bomb.qdpx", {"project.qde": xml + b"</Project>"})
    refused(
        "qdpx", path, data_copy, "bomb.qdpx:project.qde: the entry expands", "refused as a zip bomb"
    )


def test_an_entry_that_lies_about_its_size_is_corrupt(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    path = pilot.write(tmp_path)
    _patch_sizes(path, 100)  # smaller than the real project.qde: reading stops, the CRC fails
    refused("qdpx", path, data_copy, "pilot.qdpx:project.qde: the entry cannot be read")


@pytest.mark.parametrize(
    "name", ["../../outside.txt", "/etc/cron.d/evil", "sources/../../x.txt", "C:\\evil.txt"]
)
def test_entry_names_outside_the_archive(
    pilot: Pilot, name: str, data_copy: Path, tmp_path: Path
) -> None:
    path = pilot.project.write(tmp_path / "p.qdpx", extra={name: b"evil"})
    assert name in zipfile.ZipFile(path).namelist()
    refused("qdpx", path, data_copy, f"unsafe entry name {name!r}: it points outside the archive")


def test_a_source_path_outside_the_archive(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    xml = pilot.project.xml().replace(b"internal://", b"internal://../../")
    path = write_zip(tmp_path / "p.qdpx", {"project.qde": xml})
    refused(
        "qdpx", path, data_copy, "field 'plainTextPath': the archive has no entry 'sources/../../"
    )


def test_a_selection_outside_the_source_text(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    pilot.source.selections[1].end = len(TEXT) + 40
    refused(
        "qdpx",
        pilot.write(tmp_path),
        data_copy,
        "pilot.qdpx:project.qde, line ",
        f"field 'startPosition': selection {pilot.source.selections[1].guid}",
        f"runs from 63 to {len(TEXT) + 40}, outside the source text of {len(TEXT)} code points",
    )


def test_a_coding_by_an_unknown_user(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    stranger = str(uuid.uuid4()).upper()
    pilot.source.selections[0].codings[0].user = stranger
    refused(
        "qdpx",
        pilot.write(tmp_path),
        data_copy,
        "field 'creatingUser'",
        f"is by unknown user {stranger}",
        "a creatingUser GUID listed in the project's <Users>",
    )


def test_xml_that_breaks_the_schema(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    xml = pilot.project.xml().replace(pilot.ali.encode(), b"not-a-guid", 1)
    path = write_zip(tmp_path / "p.qdpx", {**pilot.project.entries(), "project.qde": xml})
    refused(
        "qdpx",
        path,
        data_copy,
        "p.qdpx:project.qde, line 4, field '/Project/Users/User[1]'",
        "not valid REFI-QDA: attribute guid='not-a-guid'",
    )


# --- end to end: import, build, serve ------------------------------------------------------


def test_imported_evidence_is_served(pilot: Pilot, small_data: Path, tmp_path: Path) -> None:
    """Imported into the fixture corpus (its rows of the study are those of data/), built and
    served: the codes of both coders, with their names."""
    ids = [next_code(small_data, STUDY, k) for k in (2, 3)]
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(small_data))[0] == 0
    out = tmp_path / "dist"
    pipeline.build(small_data, out, run_reasoner=False)
    with ApiClient(store=out / "store") as server:
        answer = server.get("/factors/business-networking/evidence?limit=100")
    assert answer.status_code == 200, answer.text
    items = [i for i in answer.json()["items"] if i["basis"] == "fulltext"]
    assert {(i["code"], i["quote"], i["coder"]["name"]) for i in items} == {
        (ids[0], "Social networks of the owners", "علی رضایی"),
        (ids[1], "Social networks of the owners", "Sara Karimi"),
    }
    assert all(i["study"]["id"] == STUDY for i in items)


# --- regressions from the review of the import (issue 6) ------------------------------------


def _add_screening(data: Path, line: str) -> None:
    path = data / "screening.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n", encoding="utf-8")


def _imported_pilot(pilot: Pilot, data: Path, folder: Path) -> Path:
    """The pilot project, written and imported once; its path."""
    path = pilot.write(folder)
    assert run("import", "qdpx", str(path), "--into", str(data))[0] == 0
    return path


def _ledger_lines(data: Path) -> list[str]:
    return (data / "refi-qda-ids.csv").read_text(encoding="utf-8").splitlines()


def _line_of(lines: list[str], start: str) -> int:
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(start))


def test_nvivo_capitalised_sources_folder_is_found(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    entries = {k.replace("sources/", "Sources/"): v for k, v in pilot.project.entries().items()}
    path = write_zip(tmp_path / "nvivo.qdpx", entries)
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert imported(data_copy)[0]["quote"] == PERSIAN


def test_source_entries_that_differ_only_in_case_are_refused(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    entries = pilot.project.entries()
    entries[f"Sources/{pilot.source.guid}.txt"] = b"another text"
    path = write_zip(tmp_path / "p.qdpx", entries)
    refused(
        "qdpx",
        path,
        data_copy,
        "field 'plainTextPath': several archive entries match",
        f"sources/{pilot.source.guid}.txt",
        f"Sources/{pilot.source.guid}.txt",
    )


@pytest.mark.parametrize("written", [b"\r\n", b"&#13;\n"], ids=["raw-crlf", "entity-cr"])
def test_inline_text_with_crlf_line_ends_keeps_its_offsets(
    written: bytes, data_copy: Path, tmp_path: Path
) -> None:
    text = "First line.\r\nSecond line.\r\nOwners' networks matter.\r\nLast line."
    project = one_coding(f"{STUDY}.txt", text, "networks matter")
    project.sources[0].inline = True
    xml = project.xml()
    assert xml.count(b"\r\n") == 3  # ElementTree writes CR raw; an XML reader makes it LF
    entries = {"project.qde": xml.replace(b"\r\n", written)}
    path = write_zip(tmp_path / "p.qdpx", entries)
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    [row] = imported(data_copy)
    assert (row["quote"], row["start"], row["end"]) == ("networks matter", "35", "50")
    assert (data_copy / "sources" / f"{STUDY}.txt").read_bytes() == text.encode()
    read_corpus(data_copy)


def test_a_coding_guid_used_twice_is_refused(pilot: Pilot, data_copy: Path, tmp_path: Path) -> None:
    twin = pilot.source.selections[0].codings[0].guid
    pilot.source.selections[1].codings[1].guid = twin
    xml = pilot.project.xml().decode()
    lines = [n for n, line in enumerate(xml.splitlines(), start=1) if twin in line]
    assert len(lines) == 2
    refused(
        "qdpx",
        pilot.write(tmp_path),
        data_copy,
        f"pilot.qdpx:project.qde, line {lines[1]}, field 'guid': the coding GUID {twin} is "
        f"also the GUID of the coding of line {lines[0]}",
    )


def test_a_malformed_ledger_is_a_located_error(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    path = _imported_pilot(pilot, data_copy, tmp_path)
    ledger = data_copy / "refi-qda-ids.csv"
    n = len(_ledger_lines(data_copy))
    ledger.write_text(ledger.read_text(encoding="utf-8") + 'coding,"broken\n', encoding="utf-8")
    out = refused("qdpx", path, data_copy, f"refi-qda-ids.csv, line {n + 1}: the CSV record")
    assert "Traceback" not in out
    ledger.write_text("\n".join(_ledger_lines(data_copy)[:n]) + "\nthing,ABC,x,\n")
    refused("qdpx", path, data_copy, f"refi-qda-ids.csv, line {n + 1}, column 1, field 'kind'")


def test_a_malformed_proposals_file_is_a_located_error(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.code_language()
    (data_copy / "factor-proposals.csv").write_text('guid,code\n"x,y\n', encoding="utf-8")
    out = refused(
        "qdpx",
        pilot.write(tmp_path),
        data_copy,
        "factor-proposals.csv, line 2: the CSV record starting here is malformed",
        options=("--allow-new",),
    )
    assert "Traceback" not in out


def test_ledger_edits_are_located_in_the_ledger(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    path = _imported_pilot(pilot, data_copy, tmp_path)
    ledger = data_copy / "refi-qda-ids.csv"
    original = ledger.read_text(encoding="utf-8")
    line = _line_of(_ledger_lines(data_copy), "source,")
    ledger.write_text(original.replace(f",{STUDY},", ",nobody-2020,"), encoding="utf-8")
    refused(
        "qdpx",
        path,
        data_copy,
        f"refi-qda-ids.csv, line {line}, column 3, field 'id': no study 'nobody-2020'",
    )
    line = _line_of(_ledger_lines(data_copy), "user,")
    ledger.write_text(original.replace(",sara-karimi,", ",Sara K,"), encoding="utf-8")
    out = refused("qdpx", path, data_copy, "refi-qda-ids.csv, line ", "field 'id': 'Sara K'")
    assert "codes.csv" not in out


def test_a_renamed_code_keeps_the_factor_of_the_earlier_import(
    data_copy: Path, tmp_path: Path
) -> None:
    # named by an alternative label, with a GUID the QDA tool minted
    project = one_coding(
        f"{STUDY}.txt", "Owners' networks matter.", "networks matter", "business networks"
    )
    code = project.codes[0]
    assert (
        run("import", "qdpx", str(project.write(tmp_path / "a.qdpx")), "--into", str(data_copy))[0]
        == 0
    )
    assert ("code", code.guid, "business-networking") in {
        (r["kind"], r["guid"], r["id"]) for r in rows(data_copy / "refi-qda-ids.csv")
    }
    code.name = "Networks of the owners"  # renamed in the QDA tool: no factor has that name
    result, out = run(
        "import", "qdpx", str(project.write(tmp_path / "b.qdpx")), "--into", str(data_copy)
    )
    assert result == 0, out
    assert "1 by earlier import" in out and "1 unchanged" in out
    # renamed to another factor's name: which one is meant is for the analyst to say
    code.name = "Social networks"
    out = refused(
        "qdpx",
        project.write(tmp_path / "c.qdpx"),
        data_copy,
        "code 'Social networks'",
        "was imported as factor business-networking",
        "now matches factor social-networks",
    )
    assert "--factor-map" in out


def test_included_studies_awaiting_codes_do_not_lock_the_imports(
    data_copy: Path, tmp_path: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{n, author={Nguyen, An}, title={Rural export networks}, journal={J},\n"
        " year={2023}, language={en}}\n",
        encoding="utf-8",
    )
    code, out = run("import", "bibtex", str(bib), "--into", str(data_copy))
    assert code == 0, out
    assert "rsme-kg import qdpx" in out  # the note gives an order that works
    _add_screening(data_copy, "nguyen-2023,included,,rsme-kg-editors,fulltext,")
    screened = line_count(data_copy / "screening.csv")
    with pytest.raises(InputErrors, match="'nguyen-2023' is included but has no code"):
        read_corpus(data_copy)  # validate and build still refuse
    code, out = run("import", "bibtex", str(bib), "--into", str(data_copy))
    assert code == 0, out
    assert "'nguyen-2023' is included but has no code" in out  # said, as still to do
    project = one_coding(
        "nguyen-2023.txt", "Export networks of rural firms grew.", "Export networks"
    )
    code, out = run(
        "import", "qdpx", str(project.write(tmp_path / "p.qdpx")), "--into", str(data_copy)
    )
    assert code == 0, out
    assert "nguyen-2023" in out and "has codes now" in out
    read_corpus(data_copy)  # the folder is whole again
    # an import that would itself take the codes of an included study away is refused
    ledger = data_copy / "refi-qda-ids.csv"
    ledger.write_text(
        ledger.read_text(encoding="utf-8").replace(",nguyen-2023,", f",{STUDY},"), encoding="utf-8"
    )
    refused(
        "qdpx",
        tmp_path / "p.qdpx",
        data_copy,
        f"screening.csv, line {screened}, column 2, field 'decision': study 'nguyen-2023' is "
        "included "
        "but has no code",
    )


def test_a_replaced_source_text_is_named_as_the_import_would_write_it(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    assert run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))[0] == 0
    pilot.source.text = TEXT[:40]
    pilot.source.selections = pilot.source.selections[:1]
    out = refused(
        "qdpx",
        pilot.write(tmp_path, "v2.qdpx"),
        data_copy,
        "offsets 63..92 lie outside the text of source",
        f"that this import would write to {data_copy}/sources/{STUDY}.txt (40 code points)",
    )
    assert f"{data_copy}/sources/{STUDY}.txt ({len(TEXT)}" not in out


def test_mapping_lines_are_all_checked_and_unused_ones_reported(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "kind,qda,target\n"
        "code,Not in this project,busines-networking\n"
        "source,Interview 99,nobody-2020\n"
        "user,Nobody,nobody-here\n",
        encoding="utf-8",
    )
    path = pilot.write(tmp_path)
    refused(
        "qdpx",
        path,
        data_copy,
        "map.csv, line 2, column 3, field 'target': 'busines-networking' is not a factor id",
        "map.csv, line 3, column 3, field 'target': no study 'nobody-2020'",
        "map.csv, line 4, column 3, field 'target': no coder 'nobody-here' in coders.csv",
        options=("--map", str(mapping)),
    )
    mapping.write_text(
        "kind,qda,target\ncode,Not in this project,business-networking\n", encoding="utf-8"
    )
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy), "--map", str(mapping))
    assert code == 0, out
    assert "map.csv, line 2: code 'Not in this project' matches no code of the project" in out


def test_an_interrupted_write_changes_nothing(
    pilot: Pilot, data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from kg.interchange.qdpx import import_project

    path = pilot.write(tmp_path)
    before = tree_digest(data_copy)
    real = os.replace
    calls: list[str] = []

    def interrupted(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_project(path, data_copy)
    monkeypatch.undo()
    assert tree_digest(data_copy) == before
    assert not (data_copy / "sources").exists()
    assert not [p for p in data_copy.iterdir() if p.name.startswith(".")]


def test_a_selection_error_is_said_once_and_an_empty_one_as_empty(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    selection = pilot.source.selections[1]  # coded twice
    selection.end = selection.start
    out = refused(
        "qdpx",
        pilot.write(tmp_path),
        data_copy,
        f"selection {selection.guid} of source {pilot.source.name!r} is empty",
    )
    assert out.count(selection.guid) == 1


def test_a_folder_where_a_source_text_belongs_is_a_located_error(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    folder = data_copy / "sources" / f"{STUDY}.txt"
    folder.mkdir(parents=True)
    out = refused(
        "qdpx", pilot.write(tmp_path), data_copy, f"{folder}: ", "is a folder, not a file"
    )
    assert "Traceback" not in out
    with pytest.raises(InputErrors, match="is a folder, not a file"):
        read_corpus(data_copy)


def test_a_user_name_is_never_written_as_a_spreadsheet_formula(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.project.users[pilot.sara] = '=HYPERLINK("http://evil.example","Sara")'
    code, out = run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))
    assert code == 0, out
    names = {r["name"] for r in rows(data_copy / "coders.csv")}
    assert '\'=HYPERLINK("http://evil.example","Sara")' in names
    assert not [n for n in names if n.startswith(("=", "+", "-", "@"))]


def test_a_source_named_after_the_study_id_in_any_case(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.source.name = "Yousefi-2019.TXT"
    code, out = run("import", "qdpx", str(pilot.write(tmp_path)), "--into", str(data_copy))
    assert code == 0, out
    assert f"study {STUDY} (name is the study id)" in out


# --- files from real QDA programs: harmless deviations read, with warnings (issue 10) -------

VENDOR = "urn:example:vendor"


def _lines(xml: bytes, text: str) -> list[int]:
    """The lines of `xml` that hold `text`."""
    return [n for n, line in enumerate(xml.decode().splitlines(), start=1) if text in line]


def _deviant(xml: bytes) -> bytes:
    """The project as real exports write it: <Users> and <CodeBook> after <Sources> (the
    schema's order is Users, CodeBook, ..., Sources), empty <Sets/> and <Cases/>, attributes
    and elements the schema does not know."""
    ET.register_namespace("", NS)
    ET.register_namespace("vendor", VENDOR)
    root = ET.fromstring(xml)
    for name in ("Users", "CodeBook"):
        element = root.find(f"{{{NS}}}{name}")
        assert element is not None
        root.remove(element)
        root.append(element)
    ET.SubElement(root, f"{{{NS}}}Sets")
    ET.SubElement(root, f"{{{NS}}}Cases")
    root.set("exportedBy", "Some QDA 2.0")
    for code in root.iter(f"{{{NS}}}Code"):
        code.set("colour", "red")
    source = root.find(f"{{{NS}}}Sources/{{{NS}}}TextSource")
    assert source is not None
    source.set(f"{{{VENDOR}}}folder", "Interviews")
    user = root.find(f"{{{NS}}}Users/{{{NS}}}User")
    assert user is not None
    ET.SubElement(user, f"{{{VENDOR}}}Preferences")
    ET.SubElement(root, f"{{{NS}}}Extension", {"kind": "layout"})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _warnings(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip().startswith("warning:")]


def test_a_project_that_deviates_harmlessly_is_imported_with_located_warnings(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    xml = _deviant(pilot.project.xml())
    with pytest.raises(xmlschema.XMLSchemaValidationError):  # what the strict schema says
        check_schema(xml)
    path = write_zip(tmp_path / "real.qdpx", {**pilot.project.entries(), "project.qde": xml})
    where = f"{path}:project.qde"
    [project], [sources] = _lines(xml, "<Project "), _lines(xml, "<Sources>")
    [text_source], user = _lines(xml, "<TextSource "), _lines(xml, "<User ")[0]
    [users], [codebook] = _lines(xml, "<Users>"), _lines(xml, "<CodeBook>")
    [sets], [cases] = _lines(xml, "<Sets />"), _lines(xml, "<Cases />")
    [preferences], [extension] = _lines(xml, "<vendor:Preferences />"), _lines(xml, "<Extension")
    first_code = _lines(xml, "<Code ")[0]
    said = [
        (project, "attribute 'exportedBy' of <Project> is not part of REFI-QDA: ignored"),
        (
            text_source,
            f"attribute 'folder' (namespace {VENDOR}) of <TextSource> is not part of "
            "REFI-QDA: ignored",
        ),
        (
            users,
            f"<Users> comes after <Sources> (line {sources}) among the children of <Project>, "
            "which the schema orders Users, CodeBook, Sources: read regardless of order",
        ),
        (
            preferences,
            f"<Preferences> (namespace {VENDOR}) inside <User> is not part of REFI-QDA: ignored",
        ),
        (
            first_code,
            "attribute 'colour' of <Code> is not part of REFI-QDA: ignored (and 4 more like it)",
        ),
        (sets, "empty <Sets> ignored (the schema wants at least one <Set> in it)"),
        (cases, "empty <Cases> ignored (the schema wants at least one <Case> in it)"),
        (extension, "<Extension> inside <Project> is not part of REFI-QDA: ignored"),
    ]
    # one warning per kind of deviation, at the line where it first occurs, in line order
    expected = [f"warning: {where}, line {line}: {message}" for line, message in said]
    assert [line for line, _ in said] == sorted(line for line, _ in said)
    assert project < sources < text_source < users < preferences < codebook < first_code
    assert preferences == user + 1 and first_code < sets < cases < extension
    before = tree_digest(data_copy)
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy), "--dry-run")
    assert code == 0, out
    assert _warnings(out) == expected
    assert tree_digest(data_copy) == before
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert _warnings(out) == expected
    assert [(r["factor"], r["quote"], r["start"], r["end"]) for r in imported(data_copy)] == [
        ("entrepreneur-human-capital", PERSIAN, "0", "28"),
        ("business-networking", "Social networks of the owners", "63", "92"),
        ("business-networking", "Social networks of the owners", "63", "92"),
    ]
    read_corpus(data_copy)


def test_children_of_a_selection_in_another_order_keep_the_note(
    data_copy: Path, tmp_path: Path
) -> None:
    project = one_coding(f"{STUDY}.txt", "Owners' networks matter.", "networks matter")
    project.sources[0].selections[0].description = "a memo"
    xml = project.xml().decode()
    # <Description> after <Coding>, as some programs write it (the schema wants it first)
    description = "<Description>a memo</Description>"
    assert description in xml
    xml = xml.replace(description, "").replace(
        "</PlainTextSelection>", description + "</PlainTextSelection>"
    )
    path = write_zip(tmp_path / "p.qdpx", {**project.entries(), "project.qde": xml.encode()})
    [line] = _lines(xml.encode(), description)
    [coding] = _lines(xml.encode(), "<Coding ")
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert _warnings(out) == [
        f"warning: {path}:project.qde, line {line}: <Description> comes after <Coding> (line "
        f"{coding}) among the children of <PlainTextSelection>, which the schema orders "
        "Description, Coding: read regardless of order"
    ]
    [row] = imported(data_copy)
    assert (row["quote"], row["note"]) == ("networks matter", "a memo")


def test_inline_crlf_texts_keep_their_offsets_when_containers_are_reordered(
    data_copy: Path, tmp_path: Path
) -> None:
    text = "First line.\r\nOwners' networks matter.\r\nLast line."
    project = one_coding(f"{STUDY}.txt", text, "networks matter")
    project.sources[0].inline = True
    xml = project.xml()
    # by hand, so that the CRs stay as written: <Users> and <CodeBook> after <Sources>
    head, rest = xml.split(b"<Users>", 1)
    moved, tail = rest.split(b"<Sources>", 1)
    xml = head + b"<Sources>" + tail.replace(b"</Project>", b"<Users>" + moved + b"</Project>")
    assert xml.count(b"\r\n") == 2 and xml.index(b"<Sources>") < xml.index(b"<Users>")
    code, out = run(
        "import",
        "qdpx",
        str(write_zip(tmp_path / "p.qdpx", {"project.qde": xml})),
        "--into",
        str(data_copy),
    )
    assert code == 0, out
    [row] = imported(data_copy)
    assert (row["quote"], row["start"], row["end"]) == ("networks matter", "21", "36")
    assert text[21:36] == "networks matter"


# what changes the meaning, or is unsafe, stays refused however lenient the reading


def test_an_unknown_element_holding_codings_is_refused(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    xml = pilot.project.xml().decode()
    start = xml.index("<PlainTextSelection")
    xml = xml[:start] + "<Highlights>" + xml[start:]
    end = xml.rindex("</PlainTextSelection>") + len("</PlainTextSelection>")
    xml = xml[:end] + "</Highlights>" + xml[end:]
    [line] = _lines(xml.encode(), "<Highlights>")
    path = write_zip(tmp_path / "p.qdpx", {**pilot.project.entries(), "project.qde": xml.encode()})
    refused(
        "qdpx",
        path,
        data_copy,
        f"p.qdpx:project.qde, line {line}: <Highlights> is not a child of <TextSource> in "
        "REFI-QDA, and it holds <CodeRef>, <Coding>, <PlainTextSelection>: ignoring it would "
        "lose them",
    )


def test_markup_inside_a_source_text_is_refused(data_copy: Path, tmp_path: Path) -> None:
    project = one_coding(f"{STUDY}.txt", "Owners' networks matter.", "networks matter")
    project.sources[0].inline = True
    xml = project.xml().replace(b"networks matter", b"<b>networks</b> matter")
    [line] = _lines(xml, "<b>")
    refused(
        "qdpx",
        write_zip(tmp_path / "p.qdpx", {"project.qde": xml}),
        data_copy,
        f"p.qdpx:project.qde, line {line}: <b> inside <PlainTextContent>, whose content is "
        "text: ignoring it would change the text (and the offsets counted in it)",
    )


@pytest.mark.parametrize("kind", ["code", "user"])
def test_a_code_or_user_guid_used_twice_is_refused(
    kind: str, pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    if kind == "code":
        twin, first = pilot.language.guid, pilot.managers.guid
        pilot.language.guid = first
    else:
        pilot.project.users = {pilot.ali: "علی رضایی"}
        twin = first = pilot.ali
    xml = pilot.project.xml()
    if kind == "user":  # a second user with the GUID of the first
        xml = xml.replace(
            b"</Users>", f'<User guid="{twin}" name="Someone else" /></Users>'.encode()
        )
    lines = _lines(xml, f'guid="{first}"')
    refused(
        "qdpx",
        write_zip(tmp_path / "p.qdpx", {**pilot.project.entries(), "project.qde": xml}),
        data_copy,
        f"p.qdpx:project.qde, line {lines[1]}, field 'guid': the {kind} GUID {first} is also "
        f"the GUID of the {kind} of line {lines[0]}",
    )


def test_a_dtd_is_refused_before_any_leniency(data_copy: Path, tmp_path: Path) -> None:
    xml = _deviant(one_coding(f"{STUDY}.txt", "Owners' networks.", "networks").xml())
    xml = xml.replace(b"<Project ", b'<!DOCTYPE Project [<!ENTITY x "y">]>\n<Project ', 1)
    out = refused(
        "qdpx",
        write_zip(tmp_path / "p.qdpx", {"project.qde": xml}),
        data_copy,
        "p.qdpx:project.qde: the XML declares a DTD, entities",
    )
    assert "warning" not in out


def test_a_refused_deviant_project_says_its_warnings_and_its_errors(
    pilot: Pilot, data_copy: Path, tmp_path: Path
) -> None:
    pilot.source.selections[1].end = len(TEXT) + 40
    xml = _deviant(pilot.project.xml())
    path = write_zip(tmp_path / "p.qdpx", {**pilot.project.entries(), "project.qde": xml})
    [sets] = _lines(xml, "<Sets />")
    out = refused(
        "qdpx",
        path,
        data_copy,
        f"warning: {path}:project.qde, line {sets}: empty <Sets> ignored",
        f"outside the source text of {len(TEXT)} code points",
    )
    assert out.index("warning:") < out.index("error:")
    assert "nothing to change" not in out


def test_cases_after_sources_as_the_issue_reported_them(data_copy: Path, tmp_path: Path) -> None:
    """The file of issue 10 was refused with 'Unexpected child with tag Cases'."""
    project = one_coding(f"{STUDY}.txt", "Owners' networks matter.", "networks matter")
    source = project.sources[0].guid
    case = f'<Cases><Case guid="{uuid.uuid4()}" name="Firm A"><SourceRef targetGUID="{source}"/>'
    xml = project.xml().replace(b"</Project>", case.encode() + b"</Case></Cases></Project>")
    path = write_zip(tmp_path / "p.qdpx", {**project.entries(), "project.qde": xml})
    [cases], [sources] = _lines(xml, "<Cases>"), _lines(xml, "<Sources>")
    code, out = run("import", "qdpx", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert _warnings(out) == [
        f"warning: {path}:project.qde, line {cases}: <Cases> comes after <Sources> (line "
        f"{sources}) among the children of <Project>, which the schema orders Users, CodeBook, "
        "Cases, Sources: read regardless of order"
    ]
    assert [r["quote"] for r in imported(data_copy)] == ["networks matter"]
