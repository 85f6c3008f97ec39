"""Read the coded corpus (data/*.csv) into typed records and check its cross-references."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.errors import InputError, InputErrors, Location
from kg.ingest.table import Column, Parser, Row, read_table
from kg.records import Agent, AppraisalAnswer, Code, Corpus, Origin, Screening, Study

STUDIES = "studies.csv"
CODES = "codes.csv"
SCREENING = "screening.csv"
CODERS = "coders.csv"
APPRAISALS = "appraisals.csv"
SOURCES = "sources"  # data/sources/<study>.txt: full texts that fulltext quotes are checked in

STUDY_TYPES = ("article", "book", "chapter")
DIRECTIONS = ("driver", "barrier", "moderator", "mediator", "context")
BASES = ("title", "abstract", "fulltext")
DECISIONS = ("included", "excluded")
EXCLUSION_REASONS = ("methodological-reference", "other-field-synthesis", "out-of-scope")
AGENT_KINDS = ("person", "organization", "software")
ANSWERS = ("yes", "cant-tell", "no")

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_YEAR = re.compile(r"^\d{4}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")

ID_EXPECTED = "an id of lower-case letters, digits and hyphens, e.g. ruzzier-2007"


def parse_id(value: str) -> str:
    """An identifier: lower-case ASCII letters, digits and hyphens."""
    if not _ID.match(value):
        raise ValueError("ids use lower-case letters, digits and hyphens only")
    return value


def one_of(*allowed: str) -> Parser:
    """A parser accepting exactly one of `allowed`."""

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError("not one of the allowed values")
        return value

    return parse


def parse_year(value: str) -> int:
    """A four-digit year."""
    if not _YEAR.match(value):
        raise ValueError("a year is four digits")
    return int(value)


def parse_doi(value: str) -> str:
    """A DOI, normalised to lower case without a resolver prefix.

    >>> parse_doi("https://doi.org/10.1002/CJAS.3")
    '10.1002/cjas.3'
    """
    doi = value.strip()
    for prefix in _DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :].strip()
    if not _DOI.match(doi):
        raise ValueError("a DOI starts with '10.', a registrant code of 4-9 digits and '/'")
    return doi.lower()


def parse_language(value: str) -> str:
    """A BCP 47 language tag such as en or fa."""
    if not _LANGUAGE.match(value):
        raise ValueError("a language tag is two or three lower-case letters")
    return value


def parse_bool(value: str) -> bool:
    """true/false (also yes/no)."""
    lowered = value.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    raise ValueError("a yes/no value")


def parse_list(value: str) -> tuple[str, ...]:
    """A '; '-separated list, blanks dropped."""
    return tuple(part.strip() for part in value.split(";") if part.strip())


def parse_ids(value: str) -> tuple[str, ...]:
    """A '; '-separated list of ids."""
    return tuple(parse_id(part) for part in parse_list(value))


def parse_offset(value: str) -> int:
    """A character offset: a whole number from 0."""
    if not value.isdigit():
        raise ValueError("an offset is a whole number from 0")
    return int(value)


def parse_date(value: str) -> date:
    """An ISO 8601 date, YYYY-MM-DD."""
    return date.fromisoformat(value)


def parse_criterion(value: str) -> int:
    """A CASP criterion number: a whole number (the shapes check 1 to 10)."""
    if not value.isdigit():
        raise ValueError("a criterion is a whole number from 1 to 10")
    return int(value)


def parse_decimal(value: str) -> Decimal:
    """A decimal number."""
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError("a decimal number") from exc


def _enum(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


STUDY_COLUMNS = [
    Column("id", nonempty=True, parse=parse_id, expected=ID_EXPECTED),
    Column("type", nonempty=True, parse=one_of(*STUDY_TYPES), expected=_enum(STUDY_TYPES)),
    Column("authors", expected="authors as 'Surname, Initials' separated by '; '"),
    Column("year", nonempty=True, parse=parse_year, expected="a four-digit year such as 2018"),
    Column("title", nonempty=True, expected="the title of the study"),
    Column("venue", required=False),
    Column("volume", required=False),
    Column("issue", required=False),
    Column("pages", required=False),
    Column("doi", required=False, parse=parse_doi, expected="a DOI such as 10.1002/cjas.3"),
    Column("language", nonempty=True, parse=parse_language, expected="a language tag: en, fa"),
    Column("publisher", required=False),
    Column("place", required=False),
    Column("country", required=False),
    Column("region", required=False),
    Column("rural", required=False, parse=parse_bool, expected="true, false or empty"),
    Column("sector", required=False),
    Column("firm_type", required=False),
    Column("methods", required=False, parse=parse_ids, expected="method ids separated by '; '"),
    Column("citation", required=False),
    Column("editorial_note", required=False),
]

CODE_COLUMNS = [
    Column("id", nonempty=True, parse=parse_id, expected=ID_EXPECTED),
    Column("study", nonempty=True, parse=parse_id, expected="the id of a study in studies.csv"),
    Column("factor", nonempty=True, parse=parse_id, expected="the id of a factor"),
    Column("direction", required=False, parse=one_of(*DIRECTIONS), expected=_enum(DIRECTIONS)),
    Column("outcome", required=False, parse=parse_id, expected="the id of an outcome"),
    Column("basis", nonempty=True, parse=one_of(*BASES), expected=_enum(BASES)),
    Column("quote", nonempty=True, expected="the verbatim words of the source"),
    Column("start", required=False, parse=parse_offset, expected="a character offset from 0"),
    Column("end", required=False, parse=parse_offset, expected="a character offset from 0"),
    Column("coder", nonempty=True, parse=parse_id, expected="the id of a coder in coders.csv"),
    Column("coded_on", required=False, parse=parse_date, expected="a date as YYYY-MM-DD"),
    Column("note", required=False),
]

SCREENING_COLUMNS = [
    Column("study", nonempty=True, parse=parse_id, expected="the id of a study in studies.csv"),
    Column("decision", nonempty=True, parse=one_of(*DECISIONS), expected=_enum(DECISIONS)),
    Column(
        "reason",
        required=False,
        parse=one_of(*EXCLUSION_REASONS),
        expected=_enum(EXCLUSION_REASONS),
    ),
    Column("screener", nonempty=True, parse=parse_id, expected="the id of an agent in coders.csv"),
    Column("stage", required=False),
    Column("note", required=False),
]

AGENT_COLUMNS = [
    Column("id", nonempty=True, parse=parse_id, expected=ID_EXPECTED),
    Column("name", nonempty=True, expected="the coder's name"),
    Column("kind", nonempty=True, parse=one_of(*AGENT_KINDS), expected=_enum(AGENT_KINDS)),
    Column("note", required=False),
]

APPRAISAL_COLUMNS = [
    Column("study", nonempty=True, parse=parse_id, expected="the id of a study in studies.csv"),
    Column("appraiser", nonempty=True, parse=parse_id, expected="the id of an agent in coders.csv"),
    Column(
        "criterion", nonempty=True, parse=parse_criterion, expected="a CASP question number 1-10"
    ),
    Column("answer", nonempty=True, parse=one_of(*ANSWERS), expected=_enum(ANSWERS)),
    Column("score", required=False, parse=parse_decimal, expected="a decimal number"),
    Column("note", required=False),
]


def _origin(row: Row) -> Origin:
    return Origin(row.file, row.line, tuple(row.columns.items()))


def _text(row: Row, name: str) -> str:
    value = row.values.get(name)
    return "" if value is None else str(value)


def _study(row: Row) -> Study:
    v = row.values
    return Study(
        id=v["id"],
        type=v["type"],
        authors=parse_list(v["authors"] or ""),
        year=v["year"],
        title=v["title"],
        language=v["language"],
        origin=_origin(row),
        venue=_text(row, "venue"),
        volume=_text(row, "volume"),
        issue=_text(row, "issue"),
        pages=_text(row, "pages"),
        doi=_text(row, "doi"),
        publisher=_text(row, "publisher"),
        place=_text(row, "place"),
        country=_text(row, "country"),
        region=_text(row, "region"),
        rural=v.get("rural"),
        sector=_text(row, "sector"),
        firm_type=_text(row, "firm_type"),
        methods=v.get("methods") or (),
        citation=_text(row, "citation"),
        editorial_note=_text(row, "editorial_note"),
    )


def _code(row: Row) -> Code:
    v = row.values
    return Code(
        id=v["id"],
        study=v["study"],
        factor=v["factor"],
        basis=v["basis"],
        quote=v["quote"],
        coder=v["coder"],
        origin=_origin(row),
        direction=_text(row, "direction"),
        outcome=_text(row, "outcome"),
        start=v.get("start"),
        end=v.get("end"),
        coded_on=v.get("coded_on"),
        note=_text(row, "note"),
    )


def _screening(row: Row) -> Screening:
    v = row.values
    return Screening(
        study=v["study"],
        decision=v["decision"],
        screener=v["screener"],
        origin=_origin(row),
        reason=_text(row, "reason"),
        stage=_text(row, "stage"),
        note=_text(row, "note"),
    )


def _agent(row: Row) -> Agent:
    v = row.values
    return Agent(v["id"], v["name"], v["kind"], _origin(row), _text(row, "note"))


def _appraisal(row: Row) -> AppraisalAnswer:
    v = row.values
    return AppraisalAnswer(
        study=v["study"],
        appraiser=v["appraiser"],
        criterion=v["criterion"],
        answer=v["answer"],
        origin=_origin(row),
        score=v.get("score"),
        note=_text(row, "note"),
    )


def read_corpus(data_dir: Path, *, unfinished: list[InputError] | None = None) -> Corpus:
    """Read every table of a data folder; raise InputErrors listing all problems found.

    With `unfinished`, included studies that have no code yet are listed there instead of
    raised: an import that is about to add codes reads a folder the build would refuse.
    """
    errors: list[InputError] = []
    corpus = Corpus()
    if not data_dir.is_dir():
        raise InputErrors([InputError(Location(data_dir), "no such data folder")])
    for name in (STUDIES, CODES):
        if not (data_dir / name).is_file():
            errors.append(InputError(Location(data_dir / name), "the file is missing", f"{name}"))
    if errors:
        raise InputErrors(errors)

    def table(name: str, columns: list[Column]) -> list[Row]:
        path = data_dir / name
        if not path.is_file():
            return []
        corpus.files.append(path)
        return read_table(path, columns, errors)

    corpus.studies = [_study(r) for r in table(STUDIES, STUDY_COLUMNS)]
    corpus.codes = [_code(r) for r in table(CODES, CODE_COLUMNS)]
    corpus.screenings = [_screening(r) for r in table(SCREENING, SCREENING_COLUMNS)]
    corpus.agents = [_agent(r) for r in table(CODERS, AGENT_COLUMNS)]
    corpus.appraisals = [_appraisal(r) for r in table(APPRAISALS, APPRAISAL_COLUMNS)]
    if not errors:  # references between rows are checked once every row has parsed,
        errors.extend(check_references(corpus, unfinished))  # so one bad row does not cascade
    if not errors:
        errors.extend(check_sources(corpus, data_dir / SOURCES))
    if errors:
        raise InputErrors(errors)
    return corpus


def read_source(path: Path) -> str:
    """A full text as stored: UTF-8 (a BOM is ignored), line ends untranslated (\\r counts)."""
    if path.is_dir():
        raise InputError(
            Location(path), "is a folder, not a file", "a UTF-8 plain text file <study id>.txt"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the text: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            Location(path), f"the text is not UTF-8 (byte {exc.start})", "UTF-8 plain text"
        ) from exc


def check_sources(corpus: Corpus, sources_dir: Path) -> list[InputError]:
    """Check `basis = fulltext` quotes against data/sources/<study>.txt where that file exists.

    With offsets, the text's code points start..end must be exactly the quote; without,
    the quote must occur in the text. The files read join the build's inputs.
    """
    if not sources_dir.is_dir():
        return []
    errors: list[InputError] = []
    studies = {s.id for s in corpus.studies}
    texts: dict[str, str] = {}
    for path in sorted(sources_dir.glob("*.txt")):
        if path.stem not in studies:
            errors.append(
                InputError(
                    Location(path),
                    f"no study {path.stem!r} in studies.csv.{suggest(path.stem, studies)}",
                    "a file named <study id>.txt",
                )
            )
            continue
        try:
            texts[path.stem] = read_source(path)
        except InputError as exc:
            errors.append(exc)
            continue
        corpus.files.append(path)
    for code in corpus.codes:
        text = texts.get(code.study)
        if code.basis == "fulltext" and text is not None:
            errors.extend(_check_quote(code, text, sources_dir / f"{code.study}.txt"))
    return errors


def _check_quote(code: Code, text: str, path: Path) -> list[InputError]:
    if code.start is None or code.end is None:
        if code.quote in text:
            return []
        return [
            InputError(
                code.origin.location("quote"),
                f"the quote does not occur in {path}",
                "the verbatim words of the source text",
            )
        ]
    selected = text[code.start : code.end]
    if code.end <= len(text) and selected == code.quote:
        return []
    if code.end > len(text):
        found = f"lie outside {path} ({len(text)} code points)"
    else:
        found = f"select {selected!r} in {path}, not the quote {code.quote!r}"
    return [
        InputError(
            code.origin.location("start"),
            f"offsets {code.start}..{code.end} {found}",
            "offsets that select exactly the quote in the source text",
        )
    ]


def _duplicates(items: Iterable[tuple[str, Origin]], what: str, field: str) -> list[InputError]:
    seen: dict[str, Origin] = {}
    errors: list[InputError] = []
    for key, origin in items:
        if key in seen:
            errors.append(
                InputError(
                    origin.location(field),
                    f"duplicate {what} {key!r} (first defined at line {seen[key].line})",
                    f"a unique {what}",
                )
            )
        else:
            seen[key] = origin
    return errors


def suggest(value: str, known: Iterable[str], n: int = 3) -> str:
    """A ' Did you mean ...?' hint naming the nearest known ids, or ''."""
    close = difflib.get_close_matches(value, sorted(known), n=n, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


def _unknown(origin: Origin, field: str, what: str, value: str, known: Iterable[str]) -> InputError:
    return InputError(
        origin.location(field),
        f"unknown {what} {value!r}.{suggest(value, known)}",
        f"the id of a known {what}",
    )


def check_references(
    corpus: Corpus, unfinished: list[InputError] | None = None
) -> list[InputError]:
    """Duplicate ids and references between the tables (studies, coders).

    An included study without codes goes to `unfinished` when that list is given (the
    corpus lacks something, rather than says something wrong), else among the errors.
    """
    errors: list[InputError] = []
    errors += _duplicates(((s.id, s.origin) for s in corpus.studies), "study id", "id")
    errors += _duplicates(((c.id, c.origin) for c in corpus.codes), "code id", "id")
    errors += _duplicates(((a.id, a.origin) for a in corpus.agents), "agent id", "id")
    errors += _duplicates(
        ((s.study, s.origin) for s in corpus.screenings), "screening of study", "study"
    )
    errors += _duplicates(
        ((f"{a.study}/{a.appraiser}/{a.criterion}", a.origin) for a in corpus.appraisals),
        "answer for study/appraiser/criterion",
        "criterion",
    )
    studies = {s.id for s in corpus.studies}
    agents = {a.id for a in corpus.agents}
    for code in corpus.codes:
        if code.study not in studies:
            errors.append(_unknown(code.origin, "study", "study", code.study, studies))
        if corpus.agents and code.coder not in agents:
            errors.append(_unknown(code.origin, "coder", "coder", code.coder, agents))
        if code.start is not None and code.end is not None and code.start >= code.end:
            errors.append(
                InputError(
                    code.origin.location("end"),
                    f"end {code.end} is not after start {code.start}",
                    "end > start",
                )
            )
    for screening in corpus.screenings:
        if screening.study not in studies:
            errors.append(_unknown(screening.origin, "study", "study", screening.study, studies))
        if corpus.agents and screening.screener not in agents:
            errors.append(
                _unknown(screening.origin, "screener", "agent", screening.screener, agents)
            )
    coded = {c.study for c in corpus.codes}
    for screening in corpus.screenings:
        # the synthesis counts codes of included studies only; both mistakes would skew it
        if screening.decision == "included" and screening.study not in coded:
            (errors if unfinished is None else unfinished).append(
                InputError(
                    screening.origin.location("decision"),
                    f"study {screening.study!r} is included but has no code",
                    "a row in codes.csv for it, or decision excluded",
                )
            )
        if screening.decision == "excluded" and screening.study in coded:
            errors.append(
                InputError(
                    screening.origin.location("decision"),
                    f"study {screening.study!r} is excluded but has codes",
                    "no codes for an excluded study (or include it)",
                )
            )
    for answer in corpus.appraisals:
        if answer.study not in studies:
            errors.append(_unknown(answer.origin, "study", "study", answer.study, studies))
        if corpus.agents and answer.appraiser not in agents:
            errors.append(_unknown(answer.origin, "appraiser", "agent", answer.appraiser, agents))
    return errors


@dataclass(frozen=True)
class Vocabulary:
    """The ids the taxonomy defines, against which the corpus is checked."""

    factors: frozenset[str]
    outcomes: frozenset[str]
    methods: frozenset[str]


def check_vocabulary(corpus: Corpus, vocabulary: Vocabulary) -> None:
    """Raise InputErrors for factor, outcome or method ids the taxonomy does not define."""
    errors: list[InputError] = []
    for code in corpus.codes:
        if code.factor not in vocabulary.factors:
            errors.append(
                _unknown(code.origin, "factor", "factor", code.factor, vocabulary.factors)
            )
        if code.outcome and code.outcome not in vocabulary.outcomes:
            errors.append(
                _unknown(code.origin, "outcome", "outcome", code.outcome, vocabulary.outcomes)
            )
    for study in corpus.studies:
        for method in study.methods:
            if method not in vocabulary.methods:
                errors.append(
                    _unknown(study.origin, "methods", "method", method, vocabulary.methods)
                )
    if errors:
        raise InputErrors(errors)
