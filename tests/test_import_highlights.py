"""`rsme-kg import highlights`: a highlights table becomes full-text codes, located in the texts.

The tables are built here in Taguette's exact format, as its source writes it (Taguette
1.5.2, github.com/remram44/taguette, taguette/export.py, `highlights_csv`): Python's csv
writer (excel dialect: CRLF line ends, quotes only where needed), UTF-8 without byte-order
mark, the header `id,document,tag,content`, one row per highlight and tag (a highlight with
two tags is two rows with the same id), ordered by document and position. `document` is the
document's name as the user typed it when adding the document, or else the file's name,
cut to 50 characters (taguette/static/js/taguette.js; taguette/validate.py refuses longer
names). `content` is the highlight's HTML snippet turned to plain text by
`convert.html_to_plaintext`, i.e. BeautifulSoup's `get_text(' ', strip=True)`: no markup,
no HTML entities, each text node trimmed and the nodes joined by one space. The exported
rows carry no offsets: each content is found in the study's source text.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from kg.ingest.corpus import read_corpus
from kg.interchange.codebook_import import tag_guid
from kg.interchange.taxonomy import load_taxonomy
from tests.conftest import tree_digest
from tests.importing import next_code, refused, run

PERSIAN_STUDY = "yousefi-2019"
TITLE = "The Impact of Commercial and Social Networks on the Internationalization of SMEs"
PERSIAN = "مدیران با تجربه\u200cی بین\u200cالمللی"  # with zero-width non-joiners
PERSIAN_TEXT = (
    f"{PERSIAN} بازارهای خارجی را بهتر می\u200cشناسند.\n"
    "Social networks of the owners open foreign markets.\r\n"
    "Managers speak the buyers' language.  Exports grew.\n"
)
STUDY = "ruzzier-2007"
TEXT = (
    "Distance to markets mattered a lot.\n"
    "Social networks of the owners open foreign markets across the border.\n"
    "The owners travel.\n"
)
CODER = "sara-karimi"


def taguette_highlights(rows: list[tuple[object, str, str, str]]) -> bytes:
    """A highlights table as Taguette's `highlights_csv` writes it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "document", "tag", "content"])
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def codes(data: Path) -> list[dict[str, str]]:
    with (data / "codes.csv").open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["basis"] == "fulltext"]


@pytest.fixture()
def data(data_copy: Path) -> Path:
    """A copy of data/ with the coder of the highlights in coders.csv."""
    path = data_copy / "coders.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + ("" if text.endswith("\n") else "\n") + f"{CODER},Sara Karimi,person,\n",
        encoding="utf-8",
    )
    return data_copy


@pytest.fixture()
def texts(tmp_path: Path) -> Path:
    """A --sources folder: texts named after the document, or after the study."""
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "yousefi-2019.txt").write_bytes(PERSIAN_TEXT.encode())
    (folder / f"{STUDY}.txt").write_text(TEXT, encoding="utf-8")
    return folder


def write(folder: Path, rows: list[tuple[object, str, str, str]], name: str = "h.csv") -> Path:
    path = folder / name
    path.write_bytes(taguette_highlights(rows))
    return path


def highlights(path: Path, data: Path, *options: str, coder: str = CODER) -> tuple[int, str]:
    return run("import", "highlights", str(path), "--into", str(data), "--coder", coder, *options)


def test_the_table_is_as_taguette_writes_it() -> None:
    assert taguette_highlights([(2, "a.txt", "Luck", 'say "hi", then')]) == (
        b'id,document,tag,content\r\n2,a.txt,Luck,"say ""hi"", then"\r\n'
    )


def test_taguette_highlights_become_located_fulltext_codes(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    taxonomy = load_taxonomy()
    factor = next(f for f in taxonomy.factors if f.id == "entrepreneur-characteristics")
    assert "ی" in factor.label_fa
    persian_tag = factor.label_fa.replace("ی", "\u064a")  # Arabic yeh, as some keyboards type
    path = write(
        tmp_path,
        [
            (1, "yousefi-2019.txt", persian_tag, PERSIAN),
            (2, "yousefi-2019.txt", "business networking", "Social networks of the owners"),
            (2, "yousefi-2019.txt", "Social networks", "Social networks of the owners"),
            (7, "Ruzzier-2007", "Psychic distance", "Distance to markets mattered"),
        ],
    )
    ids = [next_code(data, PERSIAN_STUDY, k) for k in (1, 2, 3)] + [next_code(data, STUDY)]
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert out.splitlines()[:8] == [
        "  highlights 'h.csv': 4 highlight(s) with a tag, 4 tag(s), 2 document(s), coder "
        "sara-karimi",
        "  codebook: 4 code(s); by GUID or name 4 stand for factors, 0 for categories, 0 for "
        "neither",
        "  codes used: 4; 4 by name",
        "  user 'Sara Karimi' -> coder sara-karimi (--coder)",
        "  document 'yousefi-2019.txt' -> study yousefi-2019 (name is the study id)",
        "  document 'Ruzzier-2007' -> study ruzzier-2007 (name is the study id)",
        "  codes: 4 new",
        "wrote 4 file(s):",
    ]
    today = date.today().isoformat()
    start = PERSIAN_TEXT.index("Social networks")
    assert [
        (r["id"], r["study"], r["factor"], r["quote"], r["start"], r["end"], r["coder"])
        for r in codes(data)
    ] == [  # in the order of the file: by study, then place
        (ids[3], STUDY, "psychic-distance", "Distance to markets mattered", "0", "28", CODER),
        (ids[0], PERSIAN_STUDY, factor.id, PERSIAN, "0", "28", CODER),
        (
            ids[1],
            PERSIAN_STUDY,
            "business-networking",
            "Social networks of the owners",
            str(start),
            str(start + 29),
            CODER,
        ),
        (
            ids[2],
            PERSIAN_STUDY,
            "social-networks",
            "Social networks of the owners",
            str(start),
            str(start + 29),
            CODER,
        ),
    ]
    assert {r["coded_on"] for r in codes(data)} == {today}
    assert {r["direction"] + r["outcome"] + r["note"] for r in codes(data)} == {""}
    # the texts the quotes were found in are kept where the build checks every quote
    assert (data / "sources" / f"{PERSIAN_STUDY}.txt").read_bytes() == PERSIAN_TEXT.encode()
    assert (data / "sources" / f"{STUDY}.txt").read_text(encoding="utf-8") == TEXT
    assert start == 63 and len(PERSIAN.encode()) == 55  # code points, not bytes; CR LF kept
    read_corpus(data)
    # the same table again changes nothing, also on another day (the date is the first
    # import's)
    before = tree_digest(data)
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert "codes: 4 unchanged" in out and "nothing to change" in out
    assert tree_digest(data) == before


def test_a_dry_run_says_what_it_would_write_and_writes_nothing(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, [(7, f"{STUDY}.txt", "Psychic distance", "Distance to markets")])
    before = tree_digest(data)
    code, out = highlights(path, data, "--sources", str(texts), "--dry-run")
    assert code == 0, out
    assert "codes: 1 new" in out
    assert (
        f"note: dry run: would write {data}/codes.csv, {data}/refi-qda-ids.csv, "
        f"{data}/sources/{STUDY}.txt" in out
    )
    assert tree_digest(data) == before


def test_the_text_in_the_data_folder_serves_when_there_is_no_sources_folder(
    data: Path, tmp_path: Path
) -> None:
    (data / "sources").mkdir()
    (data / "sources" / f"{STUDY}.txt").write_text(TEXT, encoding="utf-8")
    path = write(tmp_path, [(7, f"{STUDY}.txt", "Psychic distance", "The owners travel")])
    code, out = highlights(path, data)
    assert code == 0, out
    [row] = codes(data)
    assert (row["quote"], row["start"], row["end"]) == ("The owners travel", "106", "123")
    assert TEXT[106:123] == "The owners travel"


def test_a_document_named_by_a_title_cut_to_50_characters_is_mapped(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    name = TITLE[:50]  # Taguette keeps 50 characters of a document's name
    path = write(tmp_path, [(1, name, "business networking", "Social networks of the owners")])
    out = refused(
        "highlights",
        path,
        data,
        f"{path}, line 2, column 2, field 'document': document {name!r} matches no study by id "
        f"or title. Did you mean {PERSIAN_STUDY}? (expected a line `source,<name or GUID>,"
        "<study id>` in --factor-map",
        options=("--coder", CODER, "--sources", str(texts)),
    )
    assert "GUID)" not in out.split("expected")[0]  # a derived GUID is never shown
    mapping = tmp_path / "map.csv"
    mapping.write_text(f'kind,qda,target\nsource,"{name}",{PERSIAN_STUDY}\n', encoding="utf-8")
    (texts / f"{name}.txt").write_bytes(PERSIAN_TEXT.encode())  # <document>.txt comes first
    code, out = highlights(path, data, "--sources", str(texts), "--factor-map", str(mapping))
    assert code == 0, out
    assert f"document {name!r} -> study {PERSIAN_STUDY} (mapping file)" in out
    [row] = codes(data)
    assert (row["study"], row["quote"], row["start"]) == (
        PERSIAN_STUDY,
        "Social networks of the owners",
        "63",
    )


def test_a_tag_is_matched_by_its_taguette_guid_in_a_mapping_file(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, [(7, f"{STUDY}.txt", "Luck", "Distance to markets")])
    mapping = tmp_path / "map.csv"
    # a line written from Taguette's .qdc, where the tag has this GUID
    mapping.write_text(f"kind,qda,target\ncode,{tag_guid('Luck')},psychic-distance\n")
    code, out = highlights(path, data, "--sources", str(texts), "--factor-map", str(mapping))
    assert code == 0, out
    assert [(r["factor"], r["quote"]) for r in codes(data)] == [
        ("psychic-distance", "Distance to markets")
    ]


def test_a_tag_that_names_no_factor_is_refused_or_proposed(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        [
            (7, f"{STUDY}.txt", "Psychic distance", "Distance to markets"),
            (8, f"{STUDY}.txt", "Luck", "across the border"),
        ],
    )
    refused(
        "highlights",
        path,
        data,
        f"{path}, line 3, column 3, field 'tag': tag 'Luck', used by 1 coding(s), matches no "
        "factor.",
        options=("--coder", CODER, "--sources", str(texts)),
    )
    code, out = highlights(path, data, "--sources", str(texts), "--allow-new")
    assert code == 0, out
    [proposal] = csv.DictReader(io.StringIO((data / "factor-proposals.csv").read_text()))
    assert proposal == {
        "guid": tag_guid("Luck"),
        "code": "Luck",
        "parent": "",
        "category": "",
        "proposed_id": "luck",
        "description": "",
        "codings": "1",
        "example": "across the border",
        "project": "h.csv",
    }
    assert [r["factor"] for r in codes(data)] == ["psychic-distance"]


def test_quotes_found_twice_or_not_at_all_are_errors_at_their_line(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    first = TEXT.index("markets")
    second = TEXT.index("markets", first + 1)
    path = write(
        tmp_path,
        [
            (1, f"{STUDY}.txt", "Psychic distance", "markets"),
            (2, f"{STUDY}.txt", "Psychic distance", "Distance  to MARKETS mattered"),
            (3, f"{STUDY}.txt", "Psychic distance", "<p>The owners <b>fly</b></p>"),
            (4, f"{STUDY}.txt", "Psychic distance", "owners walk"),
        ],
    )
    text = texts / f"{STUDY}.txt"
    out = refused(
        "highlights",
        path,
        data,
        f"{path}, line 2, column 4, field 'content': the content 'markets' occurs 2 times in "
        f"{text}, at code points {first}..{first + 7} and {second}..{second + 7}: which one is "
        "highlighted cannot be told (expected content that occurs once in the text (widen the "
        "highlight in the QDA program until it does))",
        f"{path}, line 3, column 4, field 'content': the content 'Distance  to MARKETS "
        f"mattered' does not occur in {text}; ignoring white space and case it is found at "
        "code points 0..28 ('Distance to markets mattered'): correct the content, or the text",
        f"{path}, line 4, column 4, field 'content': the content '<p>The owners <b>fly</b></p>' "
        f"does not occur in {text}; the content looks like HTML: the table should hold the "
        "plain text",
        f"{path}, line 5, column 4, field 'content': the content 'owners walk' does not occur "
        f"in {text} (expected the highlighted words exactly as the source text has them)",
        options=("--coder", CODER, "--sources", str(texts)),
    )
    assert "error: 4 problem(s)" in out


def test_highlights_without_a_tag_are_left_out_and_repeated_rows_read_once(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        [
            (1, f"{STUDY}.txt", "", "Distance to markets"),
            (2, f"{STUDY}.txt", "Psychic distance", "The owners travel"),
            (2, f"{STUDY}.txt", "Psychic distance", "The owners travel"),
        ],
    )
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert "note: 1 highlight(s) without a tag: not imported" in out
    assert f"note: {path}, line 4 repeats line 3: read once" in out
    assert [r["quote"] for r in codes(data)] == ["The owners travel"]


def test_a_moved_highlight_updates_its_code(data: Path, texts: Path, tmp_path: Path) -> None:
    path = write(tmp_path, [(9, f"{STUDY}.txt", "Psychic distance", "Distance to markets")])
    assert highlights(path, data, "--sources", str(texts))[0] == 0
    [before] = codes(data)
    # the coder widened highlight 9 in Taguette and exported again
    write(tmp_path, [(9, f"{STUDY}.txt", "Psychic distance", "Distance to markets mattered")])
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert "codes: 1 updated" in out
    [after] = codes(data)
    assert (after["id"], after["quote"], after["start"], after["end"]) == (
        before["id"],
        "Distance to markets mattered",
        "0",
        "28",
    )


def test_without_ids_a_moved_highlight_is_a_new_code_and_the_old_one_is_listed(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = tmp_path / "other-tool.csv"
    path.write_text(f"Document,Tag,Content\n{STUDY}.txt,Psychic distance,markets mattered\n")
    assert highlights(path, data, "--sources", str(texts))[0] == 0
    [old] = codes(data)
    path.write_text(f"Document,Tag,Content\n{STUDY}.txt,Psychic distance,to markets mattered\n")
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert "codes: 1 new" in out
    assert (
        f"1 code(s) imported earlier are no longer coded in the project and were kept: "
        f"{old['id']}" in out
    )


def test_an_unknown_coder_is_refused_with_how_to_add_one(data: Path, tmp_path: Path) -> None:
    path = write(tmp_path, [(7, f"{STUDY}.txt", "Psychic distance", "Distance to markets")])
    refused(
        "highlights",
        path,
        data,
        f"--coder: no coder 'sara-karimy' in {data}/coders.csv. Did you mean sara-karimi? "
        "(expected the id of a coder of coders.csv; add the coder there first, as a line "
        "`id,name,kind` (e.g. `sara-karimi,Sara Karimi,person`))",
        options=("--coder", "sara-karimy"),
    )


def test_a_document_named_after_its_original_file_is_read_from_the_plain_text(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    """Taguette names a document after the uploaded file (ruzzier-2007.docx) by default; the
    original may lie beside the .txt, and only the plain text is ever read."""
    (texts / f"{STUDY}.docx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\xff\xfe binary")
    path = write(tmp_path, [(1, f"{STUDY}.docx", "Psychic distance", "Distance to markets")])
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    (row,) = codes(data)
    assert (row["study"], row["quote"], row["start"], row["end"]) == (
        STUDY,
        "Distance to markets",
        "0",
        "19",
    )


def test_a_highlight_across_paragraphs_is_refused_with_where_it_is(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    """Taguette joins the paragraphs of a highlight with one space (get_text(' ')), so a
    highlight across a line break of the text is not verbatim: it is refused, and the error
    says where it is once white space is ignored (narrow the highlight, or join the lines)."""
    content = "mattered a lot. Social networks"  # the text has a line break after "lot."
    start = TEXT.index("mattered")
    path = write(tmp_path, [(1, f"{STUDY}.txt", "Psychic distance", content)])
    before = tree_digest(data)
    refused(
        "highlights",
        path,
        data,
        f"{path}, line 2, column 4, field 'content': the content '{content}' does not occur in "
        f"{texts / f'{STUDY}.txt'}; ignoring white space and case it is found at code points "
        f"{start}..{start + len(content)} ('mattered a lot.\\nSocial networks')",
        options=("--coder", CODER, "--sources", str(texts)),
    )
    assert tree_digest(data) == before


def test_a_document_without_a_text_says_where_it_looked(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text(TEXT, encoding="utf-8")  # never read
    path = write(tmp_path, [(7, "../outside", "Psychic distance", "Distance to markets")])
    mapping = tmp_path / "map.csv"
    mapping.write_text(f"kind,qda,target\nsource,../outside,{STUDY}\n", encoding="utf-8")
    refused(
        "highlights",
        path,
        data,
        f"{path}, line 2, column 2, field 'document': no text for document '../outside' (study "
        f"{STUDY}): none of {folder}/{STUDY}.txt, {data}/sources/{STUDY}.txt exists",
        options=("--coder", CODER, "--sources", str(folder), "--factor-map", str(mapping)),
    )


@pytest.mark.parametrize(
    ("data_bytes", "expected"),
    [
        pytest.param(
            b"id,document,tag\r\n1,a.txt,Luck\r\n",
            "h.csv, line 1, field 'content': no column 'content' in the header 'id', "
            "'document', 'tag'",
            id="no-content",
        ),
        pytest.param(
            "id,document,tag,content\r\n1,ruzzier-2007.txt,Luck,r\xe9seau\r\n".encode("cp1252"),
            "h.csv, line 2, column 26: the file is not UTF-8 (byte 0xE9 cannot be decoded)",
            id="not-utf8",
        ),
        pytest.param(
            b"id,document,tag,content\r\n1,ruzzier-2007.txt,Psychic distance,  \r\n",
            "h.csv, line 2, column 4, field 'content': the value is empty (expected the "
            "highlighted words, as in the source text)",
            id="empty-content",
        ),
        pytest.param(
            b"id,document,tag,content\r\n1,ruzzier-2007.txt,Psychic distance\r\n",
            "h.csv, line 2, column 4: the row has 3 fields but the header has 4",
            id="short-row",
        ),
    ],
)
def test_a_broken_table_is_located(
    data_bytes: bytes, expected: str, data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(data_bytes)
    refused("highlights", path, data, expected, options=("--coder", CODER))


def test_a_byte_order_mark_and_other_columns_are_fine(
    data: Path, texts: Path, tmp_path: Path
) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(
        b"\xef\xbb\xbfContent,Document,Tag,Memo\n"
        b'"The owners travel",ruzzier-2007.txt,Psychic distance,checked\n'
    )
    code, out = highlights(path, data, "--sources", str(texts))
    assert code == 0, out
    assert "note: columns not read: Memo" in out
    assert [r["quote"] for r in codes(data)] == ["The owners travel"]
