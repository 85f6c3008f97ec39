"""Read reference-manager files (BibTeX with bibtexparser 2, RIS with rispy) as study facts.

Each entry becomes a Reference: the columns of studies.csv it can fill, in their format
(authors as 'Surname, Initials; ...', a four-digit year, a lower-case DOI, a BCP 47
language tag), with the line it starts on. Syntax errors are InputErrors at their line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bibtexparser
import rispy
from bibtexparser import middlewares
from bibtexparser.middlewares.names import (
    InvalidNameError,
    NameParts,
    parse_single_name_into_parts,
)
from bibtexparser.model import DuplicateBlockKeyBlock, MiddlewareErrorBlock, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from kg.errors import InputError, InputErrors, Location
from kg.ingest.corpus import parse_doi, parse_language

BIBTEX_TYPES = {
    "article": "article",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
}
RIS_TYPES = {
    "JOUR": "article",
    "EJOUR": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
}
# language names and ISO 639-2 codes as reference managers write them, to BCP 47 tags
LANGUAGES = {
    "english": "en",
    "eng": "en",
    "persian": "fa",
    "farsi": "fa",
    "per": "fa",
    "fas": "fa",
    "german": "de",
    "ger": "de",
    "deu": "de",
    "french": "fr",
    "fre": "fr",
    "fra": "fr",
    "spanish": "es",
    "spa": "es",
    "arabic": "ar",
    "ara": "ar",
    "turkish": "tr",
    "tur": "tr",
}
_YEAR = re.compile(r"^\s*(\d{4})")
_DASHES = re.compile(r"\s*(?:-{1,3}|–|—)\s*")


@dataclass
class Reference:
    """One entry of a reference file, as values of studies.csv columns."""

    file: Path
    line: int
    key: str
    kind: str  # the file's own entry type, e.g. 'article', 'JOUR'
    type: str | None  # our study type, None when it has none
    values: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the import should say about it

    def location(self, column: str | None = None) -> Location:
        """Where the entry (and one of its fields) stands."""
        return Location(self.file, self.line, None, column)

    @property
    def label(self) -> str:
        """How the report names the entry."""
        return (
            f"entry {self.key!r} (line {self.line})"
            if self.key
            else f"the entry of line {self.line}"
        )


def read_text(path: Path) -> str:
    """A UTF-8 text file (a BOM is allowed), or an InputError saying where it is not."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            Location(path, line), f"the file is not UTF-8 (byte {exc.start})", "UTF-8 text"
        ) from exc


def initials(given: str) -> str:
    """Given names as initials, the way studies.csv writes them.

    >>> initials("Robert D."), initials("Jean-Paul"), initials("R.D."), initials("")
    ('R. D.', 'J.-P.', 'R. D.', '')
    """
    parts = []
    for token in re.split(r"\s+|(?<=\.)(?=\S)", given.strip()):
        pieces = [p.strip(".") for p in token.split("-")]
        letters = [next((c for c in p if c.isalpha()), "") for p in pieces if p.strip(".")]
        if any(letters):
            parts.append("-".join(f"{c}." for c in letters if c))
    return " ".join(parts)


def person(name: NameParts) -> str:
    """'Surname, Initials' of a parsed name (an organisation keeps its whole name)."""
    surname = " ".join([*name.von, *name.last]).strip()
    if name.jr:
        surname += ", " + " ".join(name.jr)
    given = initials(" ".join(name.first))
    return f"{surname}, {given}" if given else surname


def language_tag(value: str) -> str:
    """A BCP 47 tag for a tag or a language name; ValueError if it is neither.

    >>> language_tag("English"), language_tag("Farsi"), language_tag("EN"), language_tag("fa")
    ('en', 'fa', 'en', 'fa')
    """
    return parse_language(LANGUAGES.get(value.strip().lower(), value.strip().lower()))


def _language(value: str, ref: Reference, field_name: str) -> str:
    try:
        return language_tag(value)
    except ValueError as exc:
        raise InputError(
            ref.location(field_name),
            f"{ref.label}: language {value!r} cannot be written as a language tag",
            "a BCP 47 tag such as en or fa, or a language name such as English or Persian",
        ) from exc


def _year(value: str, ref: Reference, field_name: str) -> str:
    match = _YEAR.match(value)
    if not match:
        raise InputError(
            ref.location(field_name),
            f"{ref.label}: {value!r} does not start with a four-digit year",
            "a year such as 2007 (RIS: 2007///)",
        )
    return match.group(1)


def _doi(value: str, ref: Reference, field_name: str) -> str:
    try:
        return parse_doi(value)
    except ValueError as exc:
        raise InputError(
            ref.location(field_name), f"{ref.label}: {value!r} is not a DOI: {exc}", "10.xxxx/..."
        ) from exc


def _pages(first: str, last: str = "") -> str:
    pages = _DASHES.sub("–", first.strip())
    return f"{pages}–{last.strip()}" if last.strip() else pages


def finish(
    ref: Reference, raw: dict[str, str], names: list[NameParts], errors: list[InputError]
) -> Reference:
    """Fill a Reference's values from the fields read; year, DOI and language are checked."""
    checks = {"year": _year, "doi": _doi, "language": _language}
    for column, value in raw.items():
        value = " ".join(value.split())
        check = checks.get(column)
        try:
            if value:
                ref.values[column] = check(value, ref, column) if check else value
        except InputError as exc:
            errors.append(exc)
    named = [n for n in names if not _others(n)]
    if len(named) < len(names):
        ref.notes.append(
            f"{ref.label}: 'and others' stands for authors it does not name; only the "
            f"{len(named)} named author(s) are written"
        )
    if named:
        ref.values["authors"] = "; ".join(dict.fromkeys(person(n) for n in named))
    return ref


def _others(name: NameParts) -> bool:
    """Whether a name is BibTeX's 'others' (et al.), which names nobody."""
    return not (name.first or name.von or name.jr) and [p.lower() for p in name.last] == ["others"]


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    # bibtexparser logs each failed block; the failures are reported as errors instead
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_bibtex(path: Path) -> list[Reference]:
    """The entries of a BibTeX file; InputErrors for blocks that do not parse."""
    text = read_text(path)
    with _quiet("bibtexparser"):
        library = bibtexparser.parse_string(
            text,
            append_middleware=[
                # field names are case-insensitive in BibTeX (Author = ...), and the name
                # middlewares only look at lower-case ones
                middlewares.NormalizeFieldKeys(),
                # names are split before LaTeX is decoded, so that the braces of a
                # corporate author ({World Bank}) keep it one name; the decoding skips the
                # split names, which _decode_name decodes part by part
                middlewares.SeparateCoAuthors(),
                middlewares.SplitNameParts(),
                middlewares.LatexDecodingMiddleware(),
            ],
        )
    errors = [_block_error(path, block, text) for block in library.failed_blocks]
    if not errors and not library.entries:
        errors.append(
            InputError(
                Location(path, 1), "no BibTeX entry found", "entries like @article{key, ...}"
            )
        )
    refs = [_bibtex_entry(path, entry, errors) for entry in library.entries]
    if errors:
        raise InputErrors(errors)
    return refs


def _block_error(path: Path, block: Any, text: str) -> InputError:
    line = block.start_line + 1  # bibtexparser counts lines from 0
    if isinstance(block, DuplicateBlockKeyBlock):
        message = f"the entry key {block.key!r} is used twice"
    elif isinstance(block, MiddlewareErrorBlock):
        message = f"the entry cannot be read: {block.error}"
    elif isinstance(block, ParsingFailedBlock):
        reason = (getattr(block.error, "abort_reason", None) or str(block.error)).strip()
        end = getattr(block.error, "end_index", None)
        stop = f" (reading stopped at line {text.count(chr(10), 0, end) + 1})" if end else ""
        message = f"BibTeX syntax error in the entry starting here{stop}: {reason}"
    else:
        message = f"the block cannot be read: {getattr(block, 'error', '')}"
    return InputError(
        Location(path, line), message, "well-formed BibTeX: @type{key, field = {value}, ...}"
    )


def _bibtex_entry(path: Path, entry: Any, errors: list[InputError]) -> Reference:
    fields = {f.key.lower(): f.value for f in entry.fields}
    kind = entry.entry_type.lower()
    ref = Reference(path, entry.start_line + 1, entry.key, kind, BIBTEX_TYPES.get(kind))
    venue_keys = {"chapter": ("booktitle",), "book": ("series",)}.get(ref.type or "", ())
    raw = {
        "title": _first(fields, "title"),
        "year": _first(fields, "year", "date"),
        "venue": _first(fields, *venue_keys, "journal", "journaltitle"),
        "volume": _first(fields, "volume"),
        "issue": _first(fields, "number", "issue"),
        "pages": _pages(_first(fields, "pages")),
        "doi": _first(fields, "doi"),
        "language": _first(fields, "language", "langid"),
        "publisher": _first(fields, "publisher"),
        "place": _first(fields, "address", "location"),
    }
    authors = fields.get("author", [])
    names = [_decode_name(n) for n in authors if isinstance(n, NameParts)]
    return finish(ref, raw, names if isinstance(authors, list) else [], errors)


_LATEX = LatexNodes2Text(keep_braced_groups=False, math_mode="verbatim")


def _decode_name(name: NameParts) -> NameParts:
    """A name split from LaTeX source, each part decoded (Gr{\\`e}zes -> Grèzes)."""

    def decode(parts: list[str]) -> list[str]:
        return [" ".join(_LATEX.latex_to_text(p).split()) for p in parts]

    return NameParts(
        first=decode(name.first), von=decode(name.von), last=decode(name.last), jr=decode(name.jr)
    )


def _first(fields: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value:
            return str(value[0])
    return ""


def _ris_records(path: Path, text: str) -> list[tuple[int, int]]:
    """The first and last line of each RIS record; InputErrors where the structure is broken.

    rispy skips what it does not understand, so the structure is checked here first:
    every record opens with TY, closes with ER, and nothing but blank lines stands
    between records. A line without a tag continues the tag before it, so one right after
    TY continues nothing: rispy would drop it, or add it to a tag of the record before.
    """
    errors: list[InputError] = []
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    tagged = False  # whether a tag other than TY came since the record opened
    expected = "RIS records: 'TY  - JOUR' ... 'ER  - ', one tag per line as 'XX  - value'"
    for number, line in enumerate(text.split("\n"), start=1):
        tag = line[:2] if line[2:5] == "  -" and line[:2].isalnum() and line[:2].isupper() else None
        if tag == "TY":
            if open_at is not None:
                errors.append(
                    InputError(
                        Location(path, number),
                        f"a new record starts before the record of line {open_at} ends with ER",
                        expected,
                    )
                )
            open_at, tagged = number, False
        elif tag == "ER":
            if open_at is None:
                errors.append(InputError(Location(path, number), "ER closes no record", expected))
            else:
                spans.append((open_at, number))
            open_at = None
        elif tag is not None:
            tagged = True
        elif open_at is None and line.strip():
            errors.append(
                InputError(
                    Location(path, number),
                    f"{line.strip()[:40]!r} stands outside any record",
                    expected,
                )
            )
        elif not tagged and line.strip():
            errors.append(
                InputError(
                    Location(path, number),
                    f"{line.strip()[:40]!r} has no tag, and no tag before it in the record "
                    "that it could continue",
                    expected,
                )
            )
    if open_at is not None:
        errors.append(
            InputError(
                Location(path, open_at), "the record starting here is not closed with ER", expected
            )
        )
    if not errors and not spans:
        errors.append(InputError(Location(path, 1), "no RIS record found", expected))
    if errors:
        raise InputErrors(errors)
    return spans


def read_ris(path: Path) -> list[Reference]:
    """The records of a RIS file; InputErrors for broken structure or values."""
    text = read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    errors: list[InputError] = []
    refs = []
    # one record at a time: rispy carries the last tag from one record into the next
    for first, last in _ris_records(path, text):
        found = rispy.loads("\n".join(lines[first - 1 : last]), skip_unknown_tags=True)
        if len(found) != 1:  # the check above and rispy disagree on where records are
            raise InputError(Location(path, first), "the record cannot be read", "a RIS record")
        refs.append(_ris_record(path, first, found[0], errors))
    if errors:
        raise InputErrors(errors)
    return refs


def _ris_record(
    path: Path, line: int, record: dict[str, Any], errors: list[InputError]
) -> Reference:
    kind = str(record.get("type_of_reference", "")).upper()
    key = str(record.get("id") or "")
    ref = Reference(path, line, key, kind, RIS_TYPES.get(kind))
    venue_keys = ("secondary_title",) if ref.type == "chapter" else ()
    raw = {
        "title": _first(record, "title", "primary_title"),
        "year": _first(record, "year", "publication_year", "date"),
        "venue": _first(record, *venue_keys, "alternate_title3", "journal_name", "secondary_title"),
        "volume": _first(record, "volume"),
        "issue": _first(record, "number"),
        "pages": _pages(_first(record, "start_page"), _first(record, "end_page")),
        "doi": _first(record, "doi"),
        "language": _first(record, "language"),
        "publisher": _first(record, "publisher"),
        "place": _first(record, "place_published"),
    }
    authors = record.get("authors") or record.get("first_authors") or []
    names: list[NameParts] = []
    for author in (a for a in authors if a.strip()):
        if "," not in author:  # RIS writes "Surname, Given": without a comma, one whole name
            names.append(NameParts(first=[], von=[], last=[" ".join(author.split())], jr=[]))
            continue
        try:
            names.append(parse_single_name_into_parts(author))
        except InvalidNameError as exc:
            errors.append(
                InputError(
                    ref.location("authors"),
                    f"{ref.label}: author {author!r} cannot be read: {exc}",
                    "AU  - Surname, Given names",
                )
            )
    return finish(ref, raw, names, errors)
