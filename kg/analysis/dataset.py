"""The facts the analytics read, fetched with the named queries of kg/queries/analysis/.

Every number of the analytics is computed from these rows, so the embedded store, a remote
SPARQL 1.1 store and the API (which runs the same queries through its backend) agree. The rows
are the typed rows of the one runner of named queries (`kg.queries.select`, `api.named.select`);
`plain` makes IRIs minted by rsme-kg their short ids and language-tagged labels their text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from kg import queries
from kg.namespaces import ID, RSME
from kg.store.base import Store

# the named queries (kg/queries/analysis/<name>.rq) one analysis needs, by table name
QUERIES = ("codes", "studies", "appraisals", "taxonomy", "agents", "build")

Value = str | int | float | bool | None
Row = dict[str, Value]
Tables = Mapping[str, Iterable[Mapping[str, Any]]]


def plain(value: Any) -> Value:
    """A value of a typed row as the analytics read it; rsme-kg IRIs become short ids.

    >>> plain("https://w3id.org/rsme-kg/id/factor/psychic-distance")
    'psychic-distance'
    >>> plain("https://w3id.org/rsme-kg/ontology#included"), plain("3"), plain(3)
    ('included', '3', 3)
    >>> plain({"value": "شبکه", "lang": "fa"})
    'شبکه'
    """
    if isinstance(value, dict):  # a language-tagged literal
        value = value.get("value")
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(str(ID)):  # .../id/<kind>/<id> (a coding activity has two segments)
        return text[len(str(ID)) :].split("/", 1)[-1]
    if text.startswith(str(RSME)):
        return text[len(str(RSME)) :]
    return text


@dataclass(frozen=True)
class CodeRow:
    """One code of an included study."""

    code: str
    study: str
    year: int
    factor: str
    category: str
    coder: str
    setting: bool  # direction context: the code names the study's setting, not an effect


@dataclass(frozen=True)
class StudyRow:
    """One study and its screening decision (empty strings where none is recorded)."""

    study: str
    year: int
    decision: str
    reason: str
    stage: str


@dataclass(frozen=True)
class AnswerRow:
    """One answer of one appraiser to one CASP criterion."""

    study: str
    appraiser: str
    criterion: int
    answer: str
    score: float | None


@dataclass(frozen=True)
class FactorRow:
    """One factor of the taxonomy with its category and labels (Persian ones may be empty)."""

    factor: str
    label: str
    label_fa: str
    category: str
    category_label: str
    category_label_fa: str


@dataclass(frozen=True)
class Dataset:
    """Everything one analysis reads, with the build it was read from."""

    codes: list[CodeRow]
    studies: list[StudyRow]
    appraisals: list[AnswerRow]
    factors: list[FactorRow]
    agents: dict[str, str] = field(default_factory=dict)
    build: str | None = None
    built_at: str | None = None

    def label(self, factor: str, lang: str = "en") -> str:
        """A factor's label in `lang` (English when there is none), or its id."""
        row = self.factor_rows.get(factor)
        if row is None:
            return factor
        return row.label_fa if lang == "fa" and row.label_fa else row.label

    def category_label(self, category: str, lang: str = "en") -> str:
        """A category's label in `lang` (English when there is none), or its id."""
        row = self._category_rows.get(category)
        if row is None:
            return category
        return (
            row.category_label_fa if lang == "fa" and row.category_label_fa else row.category_label
        )

    @cached_property
    def support(self) -> list[CodeRow]:
        """The codes that count as support: all but those that name the study's setting.

        Every count of support (matrices, weights, co-occurrence, timeline, the model) reads
        these; coder agreement reads `codes`, since it measures the coding, settings included.
        """
        return [c for c in self.codes if not c.setting]

    # the lookups below are asked for once per label drawn or written: computed once
    @cached_property
    def factor_rows(self) -> dict[str, FactorRow]:
        """The taxonomy by factor id."""
        return {row.factor: row for row in self.factors}

    @cached_property
    def _category_rows(self) -> dict[str, FactorRow]:
        """The first taxonomy row of each category (it carries the category's labels)."""
        rows: dict[str, FactorRow] = {}
        for row in self.factors:
            rows.setdefault(row.category, row)
        return rows

    @property
    def categories(self) -> list[str]:
        """Category ids in taxonomy order (first appearance)."""
        return list(dict.fromkeys(row.category for row in self.factors))


def _rows(tables: Tables, name: str) -> list[Row]:
    return [{k: plain(v) for k, v in row.items()} for row in tables.get(name, ())]


def _text(row: Row, key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value)


def _int(row: Row, key: str) -> int:
    value = row.get(key)
    return int(value) if isinstance(value, int | float | str) and str(value) else 0


def from_tables(tables: Tables) -> Dataset:
    """A dataset from the rows of the named queries (each a mapping of variable to value)."""
    codes = [
        CodeRow(
            _text(r, "code"),
            _text(r, "study"),
            _int(r, "year"),
            _text(r, "factor"),
            _text(r, "category"),
            _text(r, "coder"),
            r.get("setting") in (True, "true", "1"),
        )
        for r in _rows(tables, "codes")
    ]
    studies = [
        StudyRow(
            _text(r, "study"),
            _int(r, "year"),
            _text(r, "decision"),
            _text(r, "reason"),
            _text(r, "stage"),
        )
        for r in _rows(tables, "studies")
    ]
    answers = [
        AnswerRow(
            _text(r, "study"),
            _text(r, "appraiser"),
            _int(r, "criterion"),
            _text(r, "answer"),
            None if r.get("score") is None else float(str(r["score"])),
        )
        for r in _rows(tables, "appraisals")
    ]
    factors = [
        FactorRow(
            _text(r, "factor"),
            _text(r, "label"),
            _text(r, "labelFa"),
            _text(r, "category"),
            _text(r, "categoryLabel"),
            _text(r, "categoryLabelFa"),
        )
        for r in _rows(tables, "taxonomy")
    ]
    agents = {_text(r, "agent"): _text(r, "name") for r in _rows(tables, "agents")}
    build = next(iter(_rows(tables, "build")), {})
    return Dataset(
        codes,
        studies,
        answers,
        factors,
        agents,
        _text(build, "build") or None,
        timestamp(_text(build, "started")) or None,
    )


def timestamp(text: str) -> str:
    """An xsd:dateTime in one spelling, whichever way the store wrote it (UTC as Z).

    >>> timestamp("2026-11-27T16:27:15+00:00"), timestamp("2026-11-27T16:27:15Z")
    ('2026-11-27T16:27:15Z', '2026-11-27T16:27:15Z')
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.isoformat().replace("+00:00", "Z")


def fetch(store: Store) -> Dataset:
    """Run the analysis queries on a store (embedded or remote) and read their rows."""
    return from_tables({name: queries.select(store, f"analysis/{name}") for name in QUERIES})
