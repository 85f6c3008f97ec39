"""Property tests (hypothesis): the readers of outside files and the SPARQL policy against
hostile and random input.

Readers: the data folder's CSV tables (kg.ingest), BibTeX and RIS (kg.interchange.refs, then
studies), REFI-QDA projects (.qdpx) and codebooks (.qdc and CSV), highlights tables. Each gets
random bytes, hostile text (tabs, quotes, byte-order marks, NUL, lone surrogates, bidi marks)
and mutations of a valid file (truncated, lines repeated, dropped or swapped, columns swapped,
characters deleted or inserted, a huge field, another encoding; for archives, flipped bytes
and odd entries). Whatever comes in: only the project's own errors (kg.errors.RsmeError)
come out; a refused import leaves the data folder byte-identical; an accepted one leaves a
folder the corpus reader accepts, and importing the same file again changes nothing.

The policy (api/policy.py) gets random text, SPARQL-ish token soup and generated queries with
SERVICE and update keywords in every disguise: it never raises, and a query in which rdflib's
full parser finds a SERVICE call or an update operation is never let through.

Every test is derandomized (a fixed seed each), so a failure in CI is the failure on any
machine, and keeps no example database, so nothing is written into the checkout. Set
RSME_KG_PROPERTY_EXPLORE=N to run N times as many examples from random seeds, when looking
for new failures by hand.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _event
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.control import currently_in_test_context
from pyparsing import ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from typer.testing import CliRunner

from api import policy
from kg.cli import app
from kg.errors import RsmeError
from kg.ingest.corpus import read_corpus
from kg.interchange import codebook, refs
from kg.interchange.codebook_import import import_codebook
from kg.interchange.highlights import import_highlights
from kg.interchange.qdpx import import_project
from kg.interchange.studies import import_references
from kg.interchange.taxonomy import Taxonomy, load_taxonomy
from tests.conftest import DATA
from tests.qdpx_factory import Code, Coding, Project, Source

_EXPLORE = int(os.environ.get("RSME_KG_PROPERTY_EXPLORE", "0") or 0)
# hypothesis keeps caches (Unicode tables, constants found in the code) even without an example
# database, in ./.hypothesis unless told otherwise: outside the checkout, unless the caller
# names a place (HYPOTHESIS_STORAGE_DIRECTORY)
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "rsme-kg-hypothesis"))


def examples(n: int) -> settings:
    """Settings of one property: n examples (sized so the module runs in well under a
    minute on one core), a fixed seed, no database, no deadline (imports copy folders)."""
    return settings(
        max_examples=n * max(_EXPLORE, 1),
        derandomize=not _EXPLORE,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def event(outcome: str) -> None:
    """Count an outcome for --hypothesis-show-statistics (a no-op outside a property)."""
    if currently_in_test_context():
        _event(outcome)


# --- the target: a scratch copy of data/, hashed before and after every import ---------------

CODER = "rsme-kg-editors"  # the coder of coders.csv the highlights are imported as
STUDY = "ruzzier-2007"  # a study of data/ that the valid project and table code
FACTOR = "entrepreneur-human-capital"
PERSIAN = "بازارهای خارجی"
TEXT = (
    "Human capital of the founders drives the internationalization of small firms.\n"
    "Managers who studied abroad export earlier.\r\n"
    f"مدیران با تجربه\u200cی بین\u200cالمللی {PERSIAN} را بهتر می\u200cشناسند.\n"
)


def digest(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, by relative path: a hash, or 'dir'."""
    return {
        str(p.relative_to(folder)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


@dataclass
class Target:
    """A scratch data folder, put back as it was after each accepted import."""

    folder: Path
    scratch: Path  # where the generated input files are written
    texts: Path  # a --sources folder for the highlights
    taxonomy: Taxonomy

    def restore(self) -> None:
        shutil.rmtree(self.folder)
        shutil.copytree(DATA, self.folder)

    def write(self, name: str, data: bytes) -> Path:
        path = self.scratch / name
        path.write_bytes(data)
        return path


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    root = tmp_path_factory.mktemp("properties")
    (root / "in").mkdir()
    (root / "texts").mkdir()
    (root / "texts" / f"{STUDY}.txt").write_bytes(TEXT.encode("utf-8"))
    found = Target(root / "data", root / "in", root / "texts", TAXONOMY)
    shutil.copytree(DATA, found.folder)
    yield found


def guarded(target: Target, call: Callable[[], object]) -> object:
    """Run an import into the target: refused with RsmeError and nothing changed, or accepted
    into a folder the corpus reader still reads, where the same import again changes nothing.

    Any other exception escapes, and fails the property.
    """
    before = digest(target.folder)
    try:
        result = call()
    except RsmeError as exc:
        event(f"refused: {type(exc).__name__}")  # counted by --hypothesis-show-statistics
        changed = digest(target.folder) != before
        if changed:  # put back, so that the shrinking examples start from the same folder
            target.restore()
        assert not changed, f"refused ({exc}) but the folder changed"
        return exc
    event("accepted")
    try:
        read_corpus(target.folder, unfinished=[])
        after = digest(target.folder)
        call()
        assert digest(target.folder) == after, "a second import of the same file changed it"
    finally:
        target.restore()
    return result


# --- hostile bytes: text, encodings and mutations ---------------------------------------------

HOSTILE = [
    "\t",
    '"',
    "'",
    ",",
    ";",
    "\n",
    "\r",
    "\r\n",
    "\ufeff",
    "\x00",
    "\ud800",
    "\udfff",
    "\u202e",
    "\u200f",
    "\u2066",
    "\u200c",
    "\u00a0",
    "\u2028",
    "\x85",
    "\x0b",
    "{",
    "}",
    "@",
    "=",
    "<",
    ">",
    "&",
    "\\",
    "%",
    "#",
    " ",
    "and",
    "TY  - ",
    "ER  - ",
    "AU  - ",
    "@article{",
    "<![CDATA[",
    "&#13;",
    "&amp;",
    "internal://",
    "../",
]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "latin-1", "cp1252", "cp1256"]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=24).map(
    "".join
)


def encode(text: str, encoding: str = "utf-8") -> bytes:
    """Text as bytes; lone surrogates become the invalid bytes a broken file holds."""
    errors = "surrogatepass" if encoding.startswith("utf") else "replace"
    return text.encode(encoding, errors)


hostile_bytes = st.builds(encode, hostile_text, st.sampled_from(ENCODINGS))


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


Draw = Callable[[st.SearchStrategy[Any]], Any]


def _at(draw: Draw, data: bytes) -> int:
    return int(draw(st.integers(0, len(data))))


def _truncate(draw: Draw, data: bytes) -> bytes:
    return data[: _at(draw, data)]


def _delete(draw: Draw, data: bytes) -> bytes:
    i = _at(draw, data)
    return data[:i] + data[i + draw(st.integers(1, 40)) :]


def _insert(draw: Draw, data: bytes) -> bytes:
    i = _at(draw, data)
    return data[:i] + draw(hostile_bytes) + data[i:]


def _flip(draw: Draw, data: bytes) -> bytes:
    if not data:
        return data
    i = draw(st.integers(0, len(data) - 1))
    return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]


def _huge(draw: Draw, data: bytes, size: int) -> bytes:
    i = _at(draw, data)
    return data[:i] + draw(st.sampled_from([b"A", b"\xd9\x85", b"{", b" "])) * size + data[i:]


def _repeat_line(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    return b"\n".join(lines[: i + 1] + [lines[i]] * draw(st.integers(1, 3)) + lines[i + 1 :])


def _drop_line(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    return b"\n".join(lines[:i] + lines[i + 1 :])


def _swap_lines(draw: Draw, data: bytes) -> bytes:
    lines = _lines(data)
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _swap_columns(draw: Draw, data: bytes) -> bytes:
    i, j = draw(st.integers(0, 5)), draw(st.integers(0, 5))

    def swap(line: bytes) -> bytes:
        cells = line.split(b",")
        if max(i, j) < len(cells):
            cells[i], cells[j] = cells[j], cells[i]
        return b",".join(cells)

    return b"\n".join(swap(line) for line in _lines(data))


def _reencode(draw: Draw, data: bytes) -> bytes:
    return encode(data.decode("utf-8", "replace"), draw(st.sampled_from(ENCODINGS)))


def _line_ends(draw: Draw, data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"])))


MUTATIONS = [
    _truncate,
    _delete,
    _insert,
    _insert,
    _flip,
    _repeat_line,
    _drop_line,
    _swap_lines,
    _swap_columns,
    _reencode,
    _line_ends,
]
# past csv's field limit (131,072 characters) and any real value; LaTeX decoding of BibTeX
# takes some 30 microseconds a character, so its huge values are smaller (still no real one)
HUGE = 140_000
HUGE_BIBTEX = 20_000


@st.composite
def mutated(draw: Draw, seed: bytes, huge: int = HUGE) -> bytes:
    """A valid file with one to four mutations (one in 13 is a huge value)."""
    data = seed
    for _ in range(draw(st.integers(1, 4))):
        mutation = draw(st.sampled_from([*MUTATIONS, None]))
        data = _huge(draw, data, huge) if mutation is None else mutation(draw, data)
    return data


# files that are almost empty: readers that expect a first line must say there is none
NEARLY_EMPTY = [
    b"",
    b"\xef\xbb\xbf",
    b"\xef\xbb\xbf\n",
    b"\n",
    b"\r\n\r\n",
    b" ",
    b"\x00",
    b"\xff\xfe",
]


def inputs(seed: bytes, huge: int = HUGE) -> st.SearchStrategy[bytes]:
    """What a reader is fed: mostly mutations of a valid file, else hostile or random bytes."""
    variants = mutated(seed, huge)
    return st.one_of(
        variants, variants, hostile_bytes, st.binary(max_size=300), st.sampled_from(NEARLY_EMPTY)
    )


# --- valid seeds: each is accepted as it is (test_every_seed_is_accepted) ---------------------

BIBTEX = rb"""% a reference manager's export
@article{doe2020,
  author  = {Doe, Jane and Gr{\`e}zes-B{\"u}rcher, Sylvie and others},
  title   = {Export Readiness of Rural Firms: {A} Survey},
  journal = {Journal of Rural Studies},
  year    = {2020}, volume = {12}, number = {3}, pages = {1--20},
  doi     = {10.1234/RURAL.2020.1},
  language = {english}
}

@incollection{rezaei1400,
  author    = {\xd8\xb1\xd8\xb6\xd8\xa7\xdb\x8c\xdb\x8c, \xd8\xb9\xd9\x84\xdb\x8c and Karimi, Sara},
  title     = {Rural Exports in Practice},
  booktitle = {Essays on Rural Development},
  year      = {2021},
  langid    = {persian}
}
"""

RIS = b"""TY  - JOUR
AU  - Ruzzier, Mitja
AU  - Hisrich, Robert D.
TI  - Human capital and SME internationalization: a structural equation modeling study
T2  - Canadian Journal of Administrative Sciences
PY  - 2007///
VL  - 24
SP  - 15
EP  - 29
DO  - 10.1002/cjas.3
LA  - English
ER  -

TY  - CHAP
AU  - Karimi, Sara
TI  - Networks Abroad
T2  - Rural Enterprise
PY  - 2022
LA  - fa
ER  -
""".replace(b"ER  -\n", b"ER  - \n")  # as RIS writes it


def _project() -> Project:
    project = Project(name="Hostile test project")
    sara = project.user("Sara Karimi")
    code = Code(FACTOR)
    project.codes = [Code("Human capital", children=[code], codable=False)]
    file = Source(STUDY, TEXT)
    file.select("Human capital of the founders", Coding(code.guid, sara))
    file.select("studied abroad", Coding(code.guid, sara))
    project.sources = [file]
    return project


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PROJECT = _project()
QDPX = _zip(PROJECT.entries())
HIGHLIGHTS = (
    "id,document,tag,content\r\n"
    f"1,{STUDY},{FACTOR},Human capital of the founders\r\n"
    f"2,{STUDY},{FACTOR},studied abroad\r\n"
    f'3,{STUDY},"Business networking","{PERSIAN}"\r\n'
).encode()


# the taxonomy's codebooks as the export writes them (the taxonomy is the repository's own)
TAXONOMY = load_taxonomy()
QDC = codebook.qdc(TAXONOMY)
CSV_CODEBOOK = codebook.csv_codebook(TAXONOMY)


def _bibtex(target: Target, path: Path) -> object:
    return import_references(refs.read_bibtex(path), target.folder, taxonomy=target.taxonomy)


def _ris(target: Target, path: Path) -> object:
    return import_references(refs.read_ris(path), target.folder, taxonomy=target.taxonomy)


def _qdpx(target: Target, path: Path) -> object:
    return import_project(path, target.folder, taxonomy=target.taxonomy)


def _codebook(target: Target, path: Path) -> object:
    return import_codebook(path, target.folder, taxonomy=target.taxonomy)


def _highlights(target: Target, path: Path) -> object:
    return import_highlights(
        path, target.folder, coder=CODER, sources_dir=target.texts, taxonomy=target.taxonomy
    )


IMPORTS: dict[str, tuple[str, bytes, Callable[[Target, Path], object]]] = {
    "bibtex": ("refs.bib", BIBTEX, _bibtex),
    "ris": ("refs.ris", RIS, _ris),
    "qdpx": ("project.qdpx", QDPX, _qdpx),
    "qdc": ("codebook.qdc", QDC, _codebook),
    "csv-codebook": ("codebook.csv", CSV_CODEBOOK, _codebook),
    "highlights": ("highlights.csv", HIGHLIGHTS, _highlights),
}


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_every_seed_is_accepted(target: Target, kind: str) -> None:
    """The mutations start from files the import accepts (else they would test nothing)."""
    name, seed, run = IMPORTS[kind]
    path = target.write(name, seed)
    result = guarded(target, lambda: run(target, path))
    assert not isinstance(result, RsmeError), result


def _import_property(kind: str, data: bytes, target: Target) -> None:
    name, _, run = IMPORTS[kind]
    path = target.write(name, data)
    guarded(target, lambda: run(target, path))


@examples(100)
@given(data=inputs(BIBTEX, HUGE_BIBTEX))
def test_bibtex_import_refuses_cleanly_or_accepts_soundly(target: Target, data: bytes) -> None:
    _import_property("bibtex", data, target)


@examples(100)
@given(data=inputs(RIS))
def test_ris_import_refuses_cleanly_or_accepts_soundly(target: Target, data: bytes) -> None:
    _import_property("ris", data, target)


@examples(100)
@given(data=inputs(HIGHLIGHTS))
def test_highlights_import_refuses_cleanly_or_accepts_soundly(target: Target, data: bytes) -> None:
    _import_property("highlights", data, target)


@examples(100)
@given(data=inputs(CSV_CODEBOOK))
def test_csv_codebook_import_refuses_cleanly_or_accepts_soundly(
    target: Target, data: bytes
) -> None:
    _import_property("csv-codebook", data, target)


MAPPING = (
    "kind,qda,target\n"
    f"code,{PROJECT.codes[0].children[0].guid},{FACTOR}\n"
    f"source,{STUDY},{STUDY}\n"
    "user,Sara Karimi,-\n"
).encode()


def test_the_mapping_seed_is_accepted(target: Target) -> None:
    """The mapping file the property mutates is one the import accepts."""
    project = target.write("project.qdpx", QDPX)
    mapping = target.write("map.csv", MAPPING)
    result = guarded(
        target,
        lambda: import_project(
            project, target.folder, mapping_file=mapping, taxonomy=target.taxonomy
        ),
    )
    assert not isinstance(result, RsmeError), result


@examples(60)
@given(data=inputs(MAPPING))
def test_a_mapping_file_refuses_cleanly_or_maps_soundly(target: Target, data: bytes) -> None:
    """--factor-map: a broken mapping file is refused before anything is read or written."""
    project = target.write("project.qdpx", QDPX)
    mapping = target.write("map.csv", data)
    guarded(
        target,
        lambda: import_project(
            project, target.folder, mapping_file=mapping, taxonomy=target.taxonomy
        ),
    )


# --- XML and zip: hostile documents and archives ----------------------------------------------

_NS = 'xmlns="urn:QDA-XML:project:1.0"'


def _deep(n: int) -> bytes:
    return (f"<Project {_NS} name='p'>" + "<Description>" * n + "</Description>" * n).encode() + (
        b"</Project>"
    )


HOSTILE_XML = [
    _deep(250),
    _deep(5000),
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<Project " + _NS.encode() + b">&b;</Project>",
    b'<!DOCTYPE p SYSTEM "file:///etc/passwd"><Project ' + _NS.encode() + b"/>",
    b'<?xml version="1.0" encoding="utf-16"?><Project/>',
    b'<?xml version="1.0" encoding="x-no-such"?><Project/>',
    ("<?xml version='1.0' encoding='utf-16'?><Project " + _NS + "/>").encode("utf-16"),
    b"<Project " + _NS.encode() + b" name='" + b"x" * 200_000 + b"'/>",
    b"\xef\xbb\xbf\xef\xbb\xbf<Project/>",
    b"",
    b"<a:Project xmlns:a='urn:QDA-XML:project:1.0'><a:Sources/></a:Project>",
]


def _startpositions(draw: Draw, xml: bytes) -> bytes:
    value = draw(
        st.sampled_from(
            [b"-1", b"1e3", b" 7 ", b"+2", b"9" * 5000, b"", b"0x10", b"\xd9\xa3", b"99999999999"]
        )
    )
    attribute = draw(st.sampled_from([b"startPosition", b"endPosition"]))
    return re.sub(attribute + rb'="[^"]*"', attribute + b'="' + value + b'"', xml, count=1)


def _retag(draw: Draw, xml: bytes) -> bytes:
    old = draw(st.sampled_from([b"Coding", b"CodeRef", b"TextSource", b"Code", b"User"]))
    new = draw(st.sampled_from([b"Coding", b"Sources", b"x:y", b"PlainTextContent", b"Note"]))
    return xml.replace(b"<" + old, b"<" + new, 1)


@st.composite
def project_documents(draw: Draw) -> bytes:
    """project.qde: a valid one mutated as text or as XML, or a hostile one."""
    xml = PROJECT.xml()
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return bytes(draw(st.sampled_from(HOSTILE_XML)))
    if choice == 1:
        return _startpositions(draw, xml)
    if choice == 2:
        return _retag(draw, xml)
    return bytes(draw(mutated(xml)))


ODD_NAMES = [
    "../project.qde",
    "/etc/passwd",
    "C:\\x.txt",
    "sources\\..\\..\\x",
    "Sources/" + f"{PROJECT.sources[0].guid}.txt",
    "SOURCES/" + f"{PROJECT.sources[0].guid}.TXT",
    "project.qde/",
    "sources/",
    "\u202eeqd.tcejorp",
    " ",
]


def _names_not_utf8(data: bytes) -> bytes:
    """The archive with its first entry name flagged UTF-8 in the central directory, and a
    first byte that UTF-8 cannot decode."""
    out = bytearray(data)
    central = out.find(b"PK\x01\x02")
    out[central + 9] |= 0x08  # general purpose flag bit 11: the name is UTF-8
    out[central + 46] = 0xFF  # the name's first byte
    return bytes(out)


@st.composite
def archives(draw: Draw) -> bytes:
    """A .qdpx: valid entries with one mutated, odd entries added, or the bytes mutated."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return bytes(draw(mutated(QDPX)))
    if choice == 4:
        return _names_not_utf8(QDPX)
    entries = dict(PROJECT.entries())
    if choice == 1:
        entries["project.qde"] = draw(project_documents())
    elif choice == 2:
        source = f"sources/{PROJECT.sources[0].guid}.txt"
        entries[source] = draw(st.one_of(mutated(TEXT.encode()), hostile_bytes))
    else:
        for name in draw(st.lists(st.sampled_from(ODD_NAMES), min_size=1, max_size=3)):
            entries[name] = draw(hostile_bytes)
        if draw(st.booleans()):
            del entries["project.qde"]
    compression = draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    return _zip(entries, compression)


@examples(120)
@given(data=st.one_of(archives(), archives(), st.binary(max_size=300)))
def test_qdpx_import_refuses_cleanly_or_accepts_soundly(target: Target, data: bytes) -> None:
    _import_property("qdpx", data, target)


@st.composite
def codebook_documents(draw: Draw) -> bytes:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return bytes(draw(st.sampled_from(HOSTILE_XML))).replace(b"project", b"codebook")
    if choice == 1:
        return _retag(draw, QDC)
    return bytes(draw(mutated(QDC)))


@examples(80)
@given(data=st.one_of(codebook_documents(), st.binary(max_size=200)))
def test_qdc_import_refuses_cleanly_or_accepts_soundly(target: Target, data: bytes) -> None:
    _import_property("qdc", data, target)


# --- the data folder's own tables -------------------------------------------------------------

TABLES = ["studies.csv", "codes.csv", "screening.csv", "coders.csv", "appraisals.csv"]


@st.composite
def broken_tables(draw: Draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(TABLES))
    return name, bytes(draw(inputs((DATA / name).read_bytes())))


@examples(150)
@given(table=broken_tables())
def test_the_corpus_reader_raises_only_input_errors(
    target: Target, table: tuple[str, bytes]
) -> None:
    """A table of the data folder, broken: read_corpus says so (or reads a sound corpus)."""
    name, data = table
    path = target.folder / name
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        try:
            corpus = read_corpus(target.folder, unfinished=[])
        except RsmeError as exc:
            event(f"refused: {type(exc).__name__}")
            return
        event("accepted")
        studies = {s.id for s in corpus.studies}
        assert all(c.study in studies for c in corpus.codes)
        assert all(s.study in studies for s in corpus.screenings)
    finally:
        path.write_bytes(original)


def test_a_table_of_only_a_byte_order_mark_is_an_input_error(target: Target) -> None:
    """Regression (found by hand while probing the readers, now among the NEARLY_EMPTY inputs
    of the properties): a CSV file holding only a byte-order mark raised StopIteration."""
    path = target.folder / "coders.csv"
    original = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf")
    try:
        with pytest.raises(
            RsmeError, match=re.escape("coders.csv, line 1: the file has no header row")
        ):
            read_corpus(target.folder)
    finally:
        path.write_bytes(original)


def test_an_entry_name_that_is_not_utf8_is_an_input_error(target: Target) -> None:
    """Regression (found by hand while probing the readers, now one of the archives of the
    .qdpx property): an entry name flagged UTF-8 that is not raised UnicodeDecodeError."""
    path = target.write("bad-name.qdpx", _names_not_utf8(_zip({"project.qde": PROJECT.xml()})))
    before = digest(target.folder)
    with pytest.raises(RsmeError, match="not a zip archive"):
        _qdpx(target, path)
    assert digest(target.folder) == before


def test_a_header_offset_before_the_archive_start_is_an_input_error(target: Target) -> None:
    """Regression (found by the .qdpx property, a flipped byte): an entry whose local header
    lies before the start of the file raised OSError (EINVAL, from seek), not an InputError."""
    data = bytearray(_zip({"project.qde": PROJECT.xml()}))
    end = data.rfind(b"PK\x05\x06")  # the central directory's offset, in the end record
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (offset + 1000).to_bytes(4, "little")
    path = target.write("bad-offset.qdpx", bytes(data))
    before = digest(target.folder)
    with pytest.raises(RsmeError, match=re.escape("project.qde: the entry cannot be read")):
        _qdpx(target, path)
    assert digest(target.folder) == before


@pytest.mark.parametrize("suffix", [".qdc", ".qdpx"])
def test_an_unknown_xml_encoding_is_an_input_error(target: Target, suffix: str) -> None:
    """Regression (found by the .qdc and .qdpx properties): an XML declaration naming an
    encoding Python does not know raised LookupError from the parser."""
    xml = b'<?xml version="1.0" encoding="x-no-such"?><CodeBook/>'
    path = target.write(f"unknown{suffix}", xml if suffix == ".qdc" else _zip({"project.qde": xml}))
    run = _codebook if suffix == ".qdc" else _qdpx
    before = digest(target.folder)
    with pytest.raises(RsmeError, match="line 1: the XML declares an unknown encoding"):
        run(target, path)
    assert digest(target.folder) == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # the shrunk example of the RIS property: rispy carried the tag LA of the first record
        # into the second, where a line without a tag then raised KeyError
        ("TY  - JOUR\nLA  - en\nER  - \nTY  - CHAP\nSara,AU  - Karimi\nER  - ", 5),
        # the same path without the crash: the line became an author of the second record
        ("TY  - JOUR\nAU  - Doe, J.\nER  - \n\nTY  - JOUR\nSmith, K.\nER  - \n", 6),
    ],
)
def test_a_ris_line_that_continues_no_tag_is_an_input_error(
    target: Target, text: str, line: int
) -> None:
    path = target.write("continues.ris", text.encode())
    with pytest.raises(RsmeError, match=f"continues.ris, line {line}: .* has no tag"):
        refs.read_ris(path)


def test_ris_records_are_read_one_by_one(tmp_path: Path) -> None:
    """A line without a tag continues the tag before it, within its own record only."""
    path = tmp_path / "two.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - x\nER  - \nTY  - JOUR\n\nTI  - y\n  more\nER  - \n")
    found = refs.read_ris(path)
    assert [(r.line, r.values.get("title")) for r in found] == [(1, "x"), (4, "y more")]


# --- once through the command line: exit 2, folder unchanged ----------------------------------

_runner = CliRunner()
_CLI = {
    "bibtex": ("refs.bib", ()),
    "ris": ("refs.ris", ()),
    "qdpx": ("project.qdpx", ()),
    "codebook": ("codebook.qdc", ()),
    "highlights": ("highlights.csv", ("--coder", CODER)),
}


@pytest.mark.parametrize("kind", list(_CLI))
@examples(4)
@given(data=st.one_of(hostile_bytes, st.binary(max_size=200)))
def test_the_command_line_exits_2_and_writes_nothing(
    target: Target, kind: str, data: bytes
) -> None:
    name, options = _CLI[kind]
    path = target.write(name, data)
    before = digest(target.folder)
    args = ["import", kind, str(path), "--into", str(target.folder), *options]
    result = _runner.invoke(app, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert digest(target.folder) == before


# --- the SPARQL policy ------------------------------------------------------------------------

ALLOWED = "http://127.0.0.1:9999/sparql"
EVIL = "<http://169.254.169.254/latest>"


def check(query: str) -> policy.Refusal | None:
    return policy.check(query, max_length=100_000, service_allowlist=[ALLOWED])


def _services(node: object) -> list[str]:
    """SERVICE targets anywhere in rdflib's parse tree (the oracle: not the policy's code)."""
    found: list[str] = []
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(str(node.get("term")))
        children: Any = node.values()
    elif isinstance(node, list | tuple | ParseResults):
        children = node
    else:
        return found
    for child in children:
        found.extend(_services(child))
    return found


def oracle_services(query: str) -> list[str] | None:
    """The SERVICE targets rdflib's full parser finds, or None if it does not parse."""
    try:
        return _services(parseQuery(query))
    except Exception:  # the parser's many failures all mean: no query the oracle can judge
        return None


def oracle_updates(query: str) -> int:
    """How many update operations rdflib's parser finds in the text (0 if not an update)."""
    try:
        parsed = parseUpdate(query)
    except Exception:
        return 0
    # CompValue.get answers a missing key with the key itself: ask with `in`
    return len(parsed["request"]) if "request" in parsed else 0


def escape(word: str, draw: Draw) -> str:
    """A word with some of its letters written as SPARQL \\u or \\U escapes."""
    out = []
    for char in word:
        form = draw(st.sampled_from(["", "", "u", "U"]))
        out.append(
            char if not form else f"\\u{ord(char):04X}" if form == "u" else f"\\U{ord(char):08X}"
        )
    return "".join(out)


@st.composite
def keyword(draw: Draw, word: str, escapes: bool = False) -> str:
    """A keyword in any case, and with escapes when asked."""
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word)
    return escape(cased, draw) if escapes else cased


# words that are no SERVICE call and no update: as terms (strings, IRIs, names) and comments
DECOY_TERMS = [
    "'SERVICE <http://evil.example/>'",
    '"""INSERT DATA { <a:b> <a:c> <a:d> }"""',
    "<http://e/p#SERVICE>",
    "?service",
    "ex:service",
    "'''a'' SERVICE'''",
    '"\\" SERVICE <http://evil.example/>"',
]
DECOY_COMMENTS = ["", "# SERVICE <http://evil.example/>\n", "#INSERT DATA { <a:b> <a:c> <a:d> }\n"]
DECOYS = [*DECOY_TERMS, *DECOY_COMMENTS[1:]]
TARGETS = [EVIL, f"<{ALLOWED}>", "?endpoint", "ex:sparql", f"<{ALLOWED}/../x>", "<>"]


@st.composite
def service_queries(draw: Draw, escapes: bool = False) -> str:
    """A query holding a SERVICE clause somewhere among groups, decoys and comments."""
    service = draw(keyword("SERVICE", escapes))
    silent = draw(st.sampled_from(["", " SILENT", " silent"]))
    term, comment = st.sampled_from(DECOY_TERMS), st.sampled_from(DECOY_COMMENTS)
    inner = f"{{ ?s ?p ?o . {draw(comment)}?s ?p {draw(term)} }}"
    clause = f"{service}{silent} {draw(st.sampled_from(TARGETS))} {inner}"
    for _ in range(draw(st.integers(0, 3))):
        clause = draw(
            st.sampled_from(
                [
                    "{ " + clause + " }",
                    "OPTIONAL { " + clause + " }",
                    "{ ?a ?b ?c } UNION { " + clause + " }",
                    "MINUS { " + clause + " }",
                    "FILTER EXISTS { " + clause + " }",
                    "GRAPH ?g { " + clause + " }",
                ]
            )
        )
    if escapes and draw(st.booleans()):
        # inside a literal to a reader of escaped text, outside it once they are expanded
        clause = f"?x ?y 'a\\u0027 . {clause} ?x ?y \\u0027b' ."
    prologue = draw(st.sampled_from(["", "PREFIX ex: <http://evil.example/>\n", "# q\n"]))
    form = draw(keyword("SELECT"))
    where = f"{{ ?x ?y {draw(term)} . {draw(comment)}{clause} }}"
    return f"{prologue}{form} * WHERE {where}\n{draw(comment)}"


@st.composite
def update_requests(draw: Draw, escapes: bool = False) -> str:
    """An update request, its operation keywords in any case."""
    operation = draw(
        st.sampled_from(
            [
                "INSERT DATA { <a:b> <a:c> <a:d> }",
                "DELETE DATA { <a:b> <a:c> <a:d> }",
                "DELETE WHERE { ?s ?p ?o }",
                "LOAD <http://127.0.0.1/x.ttl>",
                "LOAD SILENT <http://127.0.0.1/x.ttl> INTO GRAPH <g:x>",
                "CLEAR ALL",
                "DROP GRAPH <g:x>",
                "CREATE GRAPH <g:x>",
                "COPY DEFAULT TO <g:x>",
                "MOVE <g:x> TO <g:y>",
                "ADD <g:x> TO <g:y>",
                "WITH <g:x> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
            ]
        )
    )
    word, rest = operation.split(" ", 1)
    prologue = draw(
        st.sampled_from(["", "# INSERT\n", "PREFIX ex: <http://e/#>\n", "BASE <http://e/>\n"])
    )
    more = draw(st.sampled_from(["", " ; CLEAR DEFAULT", " ;"]))
    return f"{prologue}{draw(keyword(word, escapes))} {rest}{more}"


TOKENS = [
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "*",
    "WHERE",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "?s",
    "?p",
    "?o",
    ".",
    ";",
    "SERVICE",
    "service",
    "SILENT",
    EVIL,
    f"<{ALLOWED}>",
    "ex:x",
    "PREFIX ex: <http://evil.example/>",
    "INSERT",
    "DATA",
    "DELETE",
    "LOAD",
    "WITH",
    "CLEAR",
    "GRAPH",
    "'",
    '"',
    "'''",
    '"""',
    "#",
    "\n",
    "\\u0053ERVICE",
    "\\u003c",
    "\\",
    "FILTER",
    "EXISTS",
    "BIND",
    "AS",
    "VALUES",
    "OPTIONAL",
    "UNION",
    "<",
    ">",
    "1",
    *DECOYS,
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)
any_query = st.one_of(
    st.text(max_size=200),
    hostile_text,
    token_soup,
    service_queries(),
    update_requests(),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
)


@examples(400)
@given(query=any_query)
def test_the_policy_never_raises_and_agrees_with_itself(query: str) -> None:
    """check() answers every text; when it lets a query through, the route's own use of
    service_targets cannot fail and finds only allowed targets."""
    refusal = check(query)
    event("let through" if refusal is None else f"refused {refusal.status}")
    assert refusal is None or refusal.status in (400, 403, 413)
    assert check(query) == refusal  # no state: the same text, the same answer
    try:
        policy.code_only(query)
    except policy.UnclosedToken:
        assert refusal is not None and refusal.status == 400
        return
    if refusal is None:
        targets = policy.service_targets(query)
        assert all(t.strip("<>").rstrip("/") == ALLOWED for t in targets), targets
        # a comment added after the query does not change the verdict
        assert check(query + "\n# SERVICE " + EVIL) is None


def _refused_if_the_parser_sees_a_call_out(query: str) -> None:
    services = oracle_services(query)
    calls_out = services is not None and any(s != ALLOWED for s in services)
    updates = oracle_updates(query)
    refusal = check(query)
    event(
        "rdflib: calls out"
        if calls_out
        else "rdflib: updates"
        if updates
        else "rdflib: neither"
        if services is not None
        else "rdflib: no query"
    )
    if calls_out:
        assert refusal is not None, f"rdflib finds SERVICE {services} but it was let through"
    if updates:
        assert refusal is not None, f"rdflib finds {updates} update operation(s), let through"


def test_the_oracle_sees_what_it_should() -> None:
    """The oracle finds SERVICE deep inside a query and counts update operations, and rdflib
    expands escapes (else the properties above could pass by seeing nothing)."""
    nested = "SELECT * { OPTIONAL { { ?a ?b ?c } UNION { SERVICE ?e { ?s ?p ?o } } } }"
    assert oracle_services(nested) == ["e"]
    assert oracle_services("SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }") == ["http://x/"]
    assert oracle_services("SELECT * { ?s ?p 'SERVICE <http://x/>' }") == []
    assert oracle_services("SELECT * {") is None
    assert oracle_updates("# c\nINSERT DATA { <a:b> <a:c> <a:d> } ; CLEAR ALL") == 2
    assert oracle_updates("SELECT * { ?s ?p ?o }") == 0


@examples(250)
@given(query=st.one_of(service_queries(), update_requests(), token_soup))
def test_what_the_parser_sees_calling_out_or_updating_is_refused(query: str) -> None:
    _refused_if_the_parser_sees_a_call_out(query)


@examples(150)
@given(query=st.one_of(service_queries(escapes=True), update_requests(escapes=True)))
def test_keywords_written_with_unicode_escapes_are_refused_too(query: str) -> None:
    """SPARQL lets \\u and \\U escapes stand anywhere; a store that expands them first (Jena,
    rdflib) must not see a SERVICE or an update the policy did not."""
    _refused_if_the_parser_sees_a_call_out(query)


@pytest.mark.parametrize(
    "query",
    [
        # found by hand while writing the property above: api/policy.py let both through
        # until it expanded the escapes (expand_codepoints)
        "SELECT * WHERE { \\u0053ERVICE <http://169.254.169.254/latest> { ?s ?p ?o } }",
        "\\u0049NSERT DATA { <a:b> <a:c> <a:d> }",
    ],
)
def test_an_escaped_keyword_is_no_way_around_the_policy(query: str) -> None:
    _refused_if_the_parser_sees_a_call_out(query)


@examples(60)
@given(depth=st.integers(1, 600), opener=st.sampled_from(["{", "(", "["]))
def test_nesting_beyond_the_limit_is_refused(depth: int, opener: str) -> None:
    closer = {"{": "}", "(": ")", "[": "]"}[opener]
    query = "SELECT * WHERE { " + opener * depth + closer * depth + " }"
    refusal = check(query)
    if depth + 1 > policy.MAX_DEPTH:
        assert refusal is not None and refusal.status == 400
    else:
        assert refusal is None or refusal.title != "Query too deeply nested"
