"""Add or update rows of studies.csv from references (BibTeX, RIS).

A reference matches a study by DOI, or by normalised title and year. A matched study
gets the values it lacks; a value that differs is only reported, and replaced only with
`update`. An unmatched reference becomes a new study, if it has everything a study needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, InputErrors, UsageError
from kg.ingest.corpus import STUDIES, STUDY_COLUMNS, check_vocabulary, read_corpus
from kg.interchange.matching import normalise
from kg.interchange.refs import Reference, language_tag
from kg.interchange.taxonomy import Taxonomy, load_taxonomy
from kg.interchange.writer import Changes, Report, Table, apply
from kg.iris import slug
from kg.records import Code

COLUMNS = (
    "authors",
    "year",
    "title",
    "venue",
    "volume",
    "issue",
    "pages",
    "doi",
    "language",
    "publisher",
    "place",
)
REQUIRED = ("authors", "year", "title", "language")
_DASH = re.compile(r"\s*[-–—]+\s*")


@dataclass
class _Index:
    """The rows of studies.csv by DOI and by (normalised title, year)."""

    table: Table
    title_codes: list[Code]  # quotes of titles: a new title must keep them
    rows: dict[int, dict[str, str]] = field(default_factory=dict)
    dois: dict[str, int] = field(default_factory=dict)
    titles: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    title_of: dict[int, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, row in self.table.rows():
            self.add(index, row)

    def add(self, index: int, row: dict[str, str]) -> None:
        """Index one row."""
        self.rows[index] = row
        if row.get("doi"):
            self.dois[row["doi"].lower()] = index
        if index in self.title_of:  # a row whose title changed is found by its new one
            self.titles[self.title_of[index]].remove(index)
        key = (normalise(row.get("title", "")), row.get("year", ""))
        self.titles.setdefault(key, []).append(index)
        self.title_of[index] = key

    def match(self, ref: Reference) -> int | None:
        """The row a reference stands for; an InputError if DOI and title disagree."""
        by_doi = self.dois.get(ref.values.get("doi", ""))
        key = (normalise(ref.values.get("title", "")), ref.values.get("year", ""))
        same = self.titles.get(key, []) if key[0] else []
        if by_doi is None and len(same) > 1:
            ids = ", ".join(self.rows[i]["id"] for i in same)
            raise InputError(
                ref.location("title"),
                f"{ref.label} has the title and year of several studies: {ids}",
                "a DOI in the entry that says which (or the studies told apart in studies.csv)",
            )
        by_title = same[0] if len(same) == 1 else None
        if by_doi is not None and by_title is not None and by_doi != by_title:
            raise InputError(
                ref.location("doi"),
                f"{ref.label}: its DOI is that of study {self.rows[by_doi]['id']!r} but its "
                f"title and year are those of {self.rows[by_title]['id']!r}",
                "a reference whose DOI, title and year describe one study",
            )
        return by_doi if by_doi is not None else by_title


def import_references(
    refs: list[Reference],
    data_dir: Path,
    *,
    update: bool = False,
    language: str | None = None,
    dry_run: bool = False,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """Add or complete the studies of `refs` in the data folder's studies.csv."""
    language = language_option(language)
    taxonomy = taxonomy or load_taxonomy()
    changes = Changes(data_dir)
    # included studies still waiting for codes do not stop the import (see writer.apply)
    corpus = read_corpus(data_dir, unfinished=changes.unfinished)
    check_vocabulary(corpus, taxonomy.vocabulary)
    report = Report(dry_run=dry_run)
    table = changes.table(STUDIES, [c.name for c in STUDY_COLUMNS])
    index = _Index(table, [c for c in corpus.codes if c.basis == "title"])
    errors: list[InputError] = []
    claimed: dict[int, Reference] = {}
    added: list[str] = []
    for ref in refs:
        report.notes.extend(ref.notes)
        if language and "language" not in ref.values:
            ref.values["language"] = language
        try:
            found = index.match(ref)
            if found is not None and found in claimed:
                raise InputError(
                    ref.location(),
                    f"{ref.label} is the same study as {claimed[found].label}",
                    "each study once in the file",
                )
            if found is None:
                found = _add(ref, table, index, update)
                added.append(index.rows[found]["id"])
                report.lines.append(f"+ {index.rows[found]['id']} <- {ref.label}: new study")
            else:
                report.lines.append(_complete(ref, found, index, update))
            claimed[found] = ref
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise InputErrors(errors)
    apply(changes, taxonomy.vocabulary, report)
    if added:
        report.notes.append(
            f"{len(added)} new stud{'y has' if len(added) == 1 else 'ies have'} no screening "
            f"decision yet ({', '.join(added)}): before `rsme-kg build`, add a row for each "
            "to screening.csv and give each included one its codes (`rsme-kg import qdpx`, "
            "before or after the screening rows)"
        )
    return report


def language_option(value: str | None) -> str | None:
    """The --language option as a BCP 47 tag (names such as English are accepted)."""
    if value is None:
        return None
    try:
        return language_tag(value)
    except ValueError:
        raise UsageError(
            f"--language {value!r}: not a language tag or a known language name "
            "(expected a BCP 47 tag such as en or fa, or a name such as English or Persian)"
        ) from None


def _same(column: str, old: str, new: str) -> bool:
    """Whether two values say the same (spacing, dash kinds and DOI case aside)."""
    if column == "pages":
        return _DASH.sub("-", old) == _DASH.sub("-", new)
    if column == "doi":
        return old.lower() == new.lower()
    return " ".join(old.split()) == " ".join(new.split())


def _complete(ref: Reference, found: int, index: _Index, update: bool) -> str:
    """Fill the empty values of a matched row; report (or, with update, replace) the others."""
    row = index.rows[found]
    changed: dict[str, str] = {}
    said: list[str] = []
    for column in COLUMNS:
        new, old = ref.values.get(column, ""), row.get(column, "")
        if not new or _same(column, old, new):
            continue  # a value the file lacks never erases one the data has
        if not old:
            changed[column] = new
            said.append(f"filled {column} {new!r}")
        elif update:
            changed[column] = new
            said.append(f"updated {column} {old!r} -> {new!r}")
        else:
            said.append(f"{column} differs: data {old!r}, file {new!r} (kept; --update replaces)")
    if "title" in changed:
        _keep_title_quotes(ref, row["id"], changed["title"], index.title_codes)
    if changed:
        index.table.update(found, changed)
        index.add(found, {**row, **changed})
    return f"{'~' if changed else '='} {row['id']} <- {ref.label}: " + ("; ".join(said) or "same")


def _keep_title_quotes(ref: Reference, study: str, title: str, codes: list[Code]) -> None:
    """Refuse a new title that no longer holds the quotes (and offsets) of the title codes."""
    for code in codes:
        if code.study != study:
            continue
        at = title[code.start : code.end] if code.start is not None else None
        if code.quote not in title or (at is not None and at != code.quote):
            raise InputError(
                ref.location("title"),
                f"{ref.label}: the new title {title!r} of {study!r} no longer holds the quote "
                f"{code.quote!r} of code {code.id!r} at its offsets",
                "a title the study's title codes still quote (or change codes.csv first)",
            )


def _add(ref: Reference, table: Table, index: _Index, update: bool) -> int:
    """A new row for a reference that matches no study."""
    missing = [c for c in REQUIRED if not ref.values.get(c)]
    if ref.type is None:
        raise InputError(
            ref.location(),
            f"{ref.label} of type {ref.kind!r} matches no study, and that type has none here",
            "a new study as article (@article, TY JOUR), book (@book, BOOK) or chapter "
            "(@incollection/@inbook, CHAP); or the study added to studies.csv by hand",
        )
    if missing:
        hint = " (give --language TAG for entries without one)" if "language" in missing else ""
        raise InputError(
            ref.location(missing[0]),
            f"{ref.label} matches no study and lacks {', '.join(missing)}{hint}",
            "authors, year, title and language for a new study",
        )
    ident = _new_id(ref, {row["id"] for row in index.rows.values()})
    row = {"id": ident, "type": ref.type, **{c: ref.values.get(c, "") for c in COLUMNS}}
    table.append(row)
    position = len(table.records) - 1
    index.add(position, row)
    return position


def _new_id(ref: Reference, taken: set[str]) -> str:
    """`{first author's surname}-{year}`, with b, c, ... when taken.

    Names in other scripts give no ASCII slug: the entry key (or 'study') stands in.
    """
    surname = ref.values["authors"].split(";")[0].split(",")[0]
    base = f"{slug(surname) or slug(ref.key) or 'study'}-{ref.values['year']}"
    ident, letter = base, ord("a")
    while ident in taken:
        letter += 1
        ident = f"{base}{chr(letter)}"
    return ident
