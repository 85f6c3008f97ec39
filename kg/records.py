"""Typed records of the coded corpus, each remembering the file and line it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from kg.errors import Location


@dataclass(frozen=True)
class Origin:
    """The CSV file and 1-based line a record was read from, and where its columns stand."""

    file: Path
    line: int
    columns: tuple[tuple[str, int], ...] = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def location(self, field: str) -> Location:
        """The location of one field of the record (column number from the file's header)."""
        return Location(self.file, self.line, dict(self.columns).get(field), field)


@dataclass(frozen=True)
class Study:
    """One reference of the review, with its bibliographic facts and title-level context."""

    id: str
    type: str
    authors: tuple[str, ...]
    year: int
    title: str
    language: str
    origin: Origin
    venue: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    publisher: str = ""
    place: str = ""
    country: str = ""
    region: str = ""
    rural: bool | None = None
    sector: str = ""
    firm_type: str = ""
    methods: tuple[str, ...] = ()
    citation: str = ""
    editorial_note: str = ""


@dataclass(frozen=True)
class Code:
    """One extracted finding: a study, the factor it evidences, and the verbatim quote."""

    id: str
    study: str
    factor: str
    basis: str
    quote: str
    coder: str
    origin: Origin
    direction: str = ""
    outcome: str = ""
    start: int | None = None
    end: int | None = None
    coded_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Screening:
    """The screening decision on one study (and the reason when excluded)."""

    study: str
    decision: str
    screener: str
    origin: Origin
    reason: str = ""
    stage: str = ""
    note: str = ""


@dataclass(frozen=True)
class Agent:
    """A coder, screener or appraiser."""

    id: str
    name: str
    kind: str
    origin: Origin
    note: str = ""


@dataclass(frozen=True)
class AppraisalAnswer:
    """One answer of one appraiser to one CASP criterion for one study."""

    study: str
    appraiser: str
    criterion: int
    answer: str
    origin: Origin
    score: Decimal | None = None
    note: str = ""


@dataclass
class Corpus:
    """Everything read from a data folder."""

    studies: list[Study] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)
    screenings: list[Screening] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    appraisals: list[AppraisalAnswer] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
