"""`rsme-kg import codebook`: a QDA program's codebook matched against the factor taxonomy.

The files are built here in Taguette's exact formats, as its source writes them (Taguette
1.5.2, github.com/remram44/taguette):

* `.qdc` (taguette/export.py, `codebook_xml`): written with xml.sax's XMLGenerator
  (encoding utf-8, short empty elements): the declaration `<?xml version="1.0"
  encoding="utf-8"?>`, a newline, then the whole codebook on one line and no final newline:
  `<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.5.2"><Codes>` and one
  `<Code guid=".." name=".." isCodable="true"/>` per tag (no `<Description>`, all tags
  codable, flat), then `</Codes><Sets/></CodeBook>`: always an empty `<Sets/>`, which the
  codebook schema (a `<Sets>` holds at least one `<Set>`) refuses. A tag's GUID is
  `str(uuid.uuid5(UUID('51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2'), tag.path)).upper()`.
* `.csv` (taguette/export.py, `codebook_csv`): Python's csv writer (excel dialect: CRLF
  line ends, quotes where needed), UTF-8 without byte-order mark, the header
  `tag,description,number of highlights,number of documents` (1.5.2; older releases wrote
  `tag,description`, the development version adds `parent`).
* Taguette's own CSV codebook import (taguette/import_codebook.py, `list_tags_csv`) guesses
  the encoding (chardet), lower-cases the header, takes the tag from exactly one of the
  columns `tag`, `name`, `path`, and the optional `description`; a row with fewer fields
  than it needs, or an empty tag, is an error with its row number. Ours reads the same
  columns the same way, and says where (file, line, column) a file is wrong.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesNSImpl

import pytest

from kg import paths
from kg.interchange.codebook_import import tag_guid
from kg.interchange.taxonomy import Taxonomy, load_taxonomy
from tests.conftest import tree_digest
from tests.importing import refused, run

TAGUETTE = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")
TAGS = ["Psychic distance", "business networking", "Luck"]  # the last one names no factor


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def taguette_qdc(tags: list[str], version: str = "1.5.2") -> bytes:
    """A codebook as Taguette's `codebook_xml` writes it (the same XMLGenerator calls)."""
    buffer = io.BytesIO()
    output = XMLGenerator(buffer, encoding="utf-8", short_empty_elements=True)
    output.startDocument()
    output.startPrefixMapping(None, "urn:QDA-XML:codebook:1.0")
    origin = {(None, "origin"): f"Taguette {version}"}
    output.startElementNS((None, "CodeBook"), "CodeBook", AttributesNSImpl(origin, {}))
    output.startElementNS((None, "Codes"), "Codes", AttributesNSImpl({}, {}))
    for tag in tags:
        guid = str(uuid.uuid5(TAGUETTE, tag)).upper()
        attributes = {(None, "guid"): guid, (None, "name"): tag, (None, "isCodable"): "true"}
        output.startElementNS((None, "Code"), "Code", AttributesNSImpl(attributes, {}))
        output.endElementNS((None, "Code"), "Code")
    output.endElementNS((None, "Codes"), "Codes")
    output.startElementNS((None, "Sets"), "Sets", AttributesNSImpl({}, {}))
    output.endElementNS((None, "Sets"), "Sets")
    output.endElementNS((None, "CodeBook"), "CodeBook")
    output.endPrefixMapping(None)
    output.endDocument()
    return buffer.getvalue()


def taguette_csv(rows: list[tuple[str, str]]) -> bytes:
    """A codebook as Taguette 1.5.2's `codebook_csv` writes it (counts made up)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["tag", "description", "number of highlights", "number of documents"])
    for tag, description in rows:
        writer.writerow([tag, description, 3, 1])
    return buffer.getvalue().encode("utf-8")


def test_the_taguette_files_are_as_taguette_writes_them() -> None:
    qdc = taguette_qdc(["Luck"])
    assert qdc == (
        b'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" '
        b'origin="Taguette 1.5.2"><Codes><Code guid="8FF201CA-6FA5-5F6E-AE39-85E80A760DAB" '
        b'name="Luck" isCodable="true"/></Codes><Sets/></CodeBook>'
    )
    assert taguette_csv([("Luck", "a, b")]) == (
        b'tag,description,number of highlights,number of documents\r\nLuck,"a, b",3,1\r\n'
    )
    assert tag_guid("Luck") == "8FF201CA-6FA5-5F6E-AE39-85E80A760DAB"


def test_taguettes_qdc_is_read_its_empty_sets_a_warning_and_unmatched_tags_refused(
    data_copy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "codebook.qdc"
    path.write_bytes(taguette_qdc(TAGS))
    ontology = tree_digest(paths.ROOT / "ontology")
    out = refused(
        "codebook",
        path,
        data_copy,
        f"{path}, line 2, field 'name': code 'Luck' (8FF201CA-6FA5-5F6E-AE39-85E80A760DAB) "
        "matches no factor. (expected a line `code,<name or GUID>,<factor id>` in --factor-map "
        "('-' skips the code), or --allow-new to propose it as a new factor)",
    )
    # what matches is said too, before the refusal
    assert out.splitlines()[:6] == [
        f"  warning: {path}, line 2: empty <Sets> ignored (the schema wants at least one <Set> "
        "in it)",
        "  codebook 'codebook.qdc' (origin 'Taguette 1.5.2'): 3 code(s), 3 codable",
        "  code 'Psychic distance' -> factor psychic-distance (name)",
        "  code 'business networking' -> factor business-networking (name)",
        "  code 'Luck' -> no factor",
        "  codes: 2 of 3 codable code(s) stand for a factor (2 by name), 1 for none",
    ]
    assert tree_digest(paths.ROOT / "ontology") == ontology  # never changed


def test_allow_new_proposes_the_unmatched_tags_for_review(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "codebook.qdc"
    path.write_bytes(taguette_qdc([*TAGS, "Export subsidies awareness"]))
    before = tree_digest(data_copy)
    code, out = run(
        "import", "codebook", str(path), "--into", str(data_copy), "--allow-new", "--dry-run"
    )
    assert code == 0, out
    assert f"dry run: would write {data_copy / 'factor-proposals.csv'}" in out
    assert tree_digest(data_copy) == before
    code, out = run("import", "codebook", str(path), "--into", str(data_copy), "--allow-new")
    assert code == 0, out
    assert "code 'Export subsidies awareness' -> no factor (nearest: " in out
    text = (data_copy / "factor-proposals.csv").read_text(encoding="utf-8")
    assert text == (
        "guid,code,parent,category,proposed_id,description,codings,example,project\n"
        f"{tag_guid('Luck')},Luck,,,luck,,,,Taguette 1.5.2\n"
        f"{tag_guid('Export subsidies awareness')},Export subsidies awareness,,,"
        "export-subsidies-awareness,,,,Taguette 1.5.2\n"
    )
    changed = {k for k, v in tree_digest(data_copy).items() if before.get(k) != v}
    assert changed == {"factor-proposals.csv"}  # nothing else: no ledger, no codes
    # again: the same lines, updated in place, not added twice
    code, out = run("import", "codebook", str(path), "--into", str(data_copy), "--allow-new")
    assert code == 0, out
    assert "nothing to change" in out
    assert (data_copy / "factor-proposals.csv").read_text(encoding="utf-8") == text


def test_taguettes_csv_codebook_gives_the_same_guids_as_its_qdc(
    data_copy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "codebook.csv"
    path.write_bytes(taguette_csv([(t, f"about {t}") for t in TAGS]))
    code, out = run("import", "codebook", str(path), "--into", str(data_copy), "--allow-new")
    assert code == 0, out
    assert "  tag 'Psychic distance' -> factor psychic-distance (name)" in out
    assert "note: columns not read: number of highlights, number of documents" in out
    [proposal] = csv.DictReader(io.StringIO((data_copy / "factor-proposals.csv").read_text()))
    assert (proposal["guid"], proposal["code"], proposal["description"]) == (
        str(uuid.uuid5(TAGUETTE, "Luck")).upper(),
        "Luck",
        "about Luck",
    )
    assert proposal["project"] == "codebook.csv"


def test_a_mapping_file_maps_or_skips_tags(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "codebook.csv"
    path.write_bytes(taguette_csv([(t, "") for t in [*TAGS, "Networks"]]))
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        f"kind,qda,target\ncode,luck,-\ncode,{tag_guid('Networks')},business-networking\n"
        "code,Not in this codebook,innovation\nsource,Interview 7,ruzzier-2007\n",
        encoding="utf-8",
    )
    before = tree_digest(data_copy)
    code, out = run(
        "import", "codebook", str(path), "--into", str(data_copy), "--factor-map", str(mapping)
    )
    assert code == 0, out
    assert "  tag 'Luck' -> not imported (skipped by the mapping)" in out
    assert "  tag 'Networks' -> factor business-networking (mapping file)" in out
    assert (
        "  codes: 3 of 4 codable code(s) stand for a factor (1 by mapping file, 2 by name), "
        "1 skipped by the mapping, 0 for none" in out
    )
    assert f"note: {mapping}, line 4: code 'Not in this codebook' matches no code" in out
    assert "Interview 7" not in out  # a source line is no business of a codebook
    assert tree_digest(data_copy) == before


def test_persian_tags_match_whatever_their_letter_variants_and_zwnj(
    data_copy: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    factor = next(f for f in taxonomy.factors if "ی" in f.label_fa and " " in f.label_fa)
    # Arabic yeh and kaf for the Persian letters, a zero-width non-joiner for a space
    variant = factor.label_fa.replace("ی", "\u064a").replace("ک", "\u0643").replace(" ", "\u200c")
    assert variant != factor.label_fa
    path = tmp_path / "codebook.csv"
    path.write_bytes(f"Name,Description\r\n{variant},\r\n".encode())
    code, out = run("import", "codebook", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert f"  tag {variant!r} -> factor {factor.id} (name)" in out


def test_categories_group_codes_but_are_not_codable(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "codebook.qdc"
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder">\n<Codes>\n'
        f'<Code guid="{uuid.uuid4()}" name="Human capital" isCodable="false">\n'
        f'  <Code guid="{uuid.uuid4()}" name="Language skills" isCodable="true"/>\n'
        "</Code>\n"
        f'<Code guid="{uuid.uuid4()}" name="Miscellany" isCodable="false"/>\n'
        f'<Code guid="{uuid.uuid4()}" name="Networks and cooperation" isCodable="true"/>\n'
        "</Codes>\n</CodeBook>\n"
    )
    path.write_text(xml, encoding="utf-8")
    out = refused(
        "codebook",
        path,
        data_copy,
        "  code 'Human capital' -> category human-capital\n",
        "  code 'Language skills' -> no factor",
        "  code 'Miscellany' -> nothing (a parent code: it only groups codes)",
        "  code 'Networks and cooperation' -> category networks, not a factor",
        "  codes: 0 of 2 codable code(s) stand for a factor, 2 for none",
        f"{path}, line 5, field 'name': code 'Language skills'",
        f"{path}, line 8, field 'name': code 'Networks and cooperation'",
        "is a category, not a factor",
    )
    assert "line 4, field 'name'" not in out  # a parent code needs no factor
    # proposed with --allow-new, under the category its parent code stands for
    code, out = run("import", "codebook", str(path), "--into", str(data_copy), "--allow-new")
    assert code == 0, out
    proposals = list(csv.DictReader(io.StringIO((data_copy / "factor-proposals.csv").read_text())))
    assert [(p["code"], p["parent"], p["category"]) for p in proposals] == [
        ("Language skills", "Human capital", "human-capital"),
        ("Networks and cooperation", "", ""),
    ]


# --- broken and hostile codebooks: exit 2, said where, data untouched ----------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            b"tag;description\r\nLuck;x\r\n",
            "codebook.csv, line 1, field 'tag': no column 'tag' (or name, path) in the header "
            "'tag;description' (the header is one column: is the file separated by semicolons "
            "or tabs?)",
            id="semicolons",
        ),
        pytest.param(
            b"tag,name,description\r\nLuck,Luck,x\r\n",
            "codebook.csv, line 1, column 2, field 'tag': the columns 'tag' (column 1) and "
            "'name' (column 2) both name the tag",
            id="tag-and-name",
        ),
        pytest.param(
            "tag,description\r\nPsychic distance,ok\r\nR\xe9seaux,x\r\n".encode("latin-1"),
            "codebook.csv, line 3, column 2: the file is not UTF-8 (byte 0xE9 cannot be decoded)",
            id="latin-1",
        ),
        pytest.param(
            b"tag,description\r\nPsychic distance,x\r\n  ,empty\r\n",
            "codebook.csv, line 3, column 1, field 'tag': the tag is empty",
            id="empty-tag",
        ),
        pytest.param(
            b"tag,description\r\nLuck,x\r\nLuck,y\r\n",
            "codebook.csv, line 3, column 1, field 'tag': the tag 'Luck' is also the tag of line 2",
            id="twice",
        ),
        pytest.param(
            b'tag,description\r\nLuck,"unclosed\r\nPsychic distance,x\r\n',
            "codebook.csv, line 2: the CSV record starting here is malformed",
            id="unclosed-quote",
        ),
        pytest.param(
            b"tag,description\r\nLuck,x,3,extra\r\n",
            "codebook.csv, line 2, column 3: the row has 4 fields but the header has 2",
            id="extra-fields",
        ),
        pytest.param(b"", "codebook.csv, line 1: the file is empty", id="empty"),
        pytest.param(
            b"Description,Name\r\nx,Luck\r\ny,\r\n",
            "codebook.csv, line 3, column 2, field 'Name': the tag is empty",
            id="named-as-written",
        ),
    ],
)
def test_a_broken_csv_codebook_is_located(
    data: bytes, expected: str, data_copy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "codebook.csv"
    path.write_bytes(data)
    refused("codebook", path, data_copy, expected)


def test_a_csv_codebook_with_a_byte_order_mark_is_read(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "codebook.csv"
    path.write_bytes("\ufefftag,description\r\nPsychic distance,x\r\n".encode())
    code, out = run("import", "codebook", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert "  tag 'Psychic distance' -> factor psychic-distance (name)" in out


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        pytest.param(
            b'<?xml version="1.0"?>\n<!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/><Sets/></CodeBook>',
            "codebook.qdc: the XML declares a DTD, entities or external references",
            id="xxe",
        ),
        pytest.param(
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n<Codes>\n</CodeBook>',
            "codebook.qdc, line 3, column 3: malformed XML: mismatched tag",
            id="malformed",
        ),
        pytest.param(
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>\n<Group><Code guid="'
            + str(uuid.uuid4()).encode()
            + b'" name="Luck" isCodable="true"/></Group></Codes></CodeBook>',
            "codebook.qdc, line 2: <Group> is not a child of <Codes> in REFI-QDA, and it holds "
            "<Code>: ignoring it would lose them",
            id="unknown-wrapper",
        ),
        pytest.param(
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>\n'
            b'<Code guid="not-a-guid" name="Luck" isCodable="true"/></Codes></CodeBook>',
            "codebook.qdc, line 2, field '/CodeBook/Codes/Code': not valid REFI-QDA: "
            "attribute guid='not-a-guid'",
            id="bad-guid",
        ),
        pytest.param(
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>\n'
            b'<Code guid="8FF201CA-6FA5-5F6E-AE39-85E80A760DAB" name="Luck" isCodable="true"/>\n'
            b'<Code guid="{8ff201ca-6fa5-5f6e-ae39-85e80a760dab}" name="Fate" isCodable="true"/>'
            b"\n</Codes></CodeBook>",
            "codebook.qdc, line 3, field 'guid': the code GUID 8FF201CA-6FA5-5F6E-AE39-"
            "85E80A760DAB is also the GUID of the code of line 2",
            id="guid-twice",
        ),
    ],
)
def test_a_broken_or_hostile_qdc_is_refused(
    xml: bytes, expected: str, data_copy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "codebook.qdc"
    path.write_bytes(xml)
    out = refused("codebook", path, data_copy, expected)
    assert "root:" not in out  # nothing of /etc/passwd


def test_a_codebook_is_a_qdc_or_a_csv_file(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "codebook.txt"
    path.write_text("tag\nLuck\n", encoding="utf-8")
    refused(
        "codebook",
        path,
        data_copy,
        f"{path}: a codebook is read from a .qdc or a .csv file, not .txt",
    )
