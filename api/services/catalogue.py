"""The studies as the explorer browses them: one row per study with what it can be filtered by
(year, language, screening decision, method, country, factor), and everything about one study.

The list joins a few named queries (each one row per study or per value) once per build of the
embedded store; the filters are applied here, as /studies applies its own.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from fastapi import Request
from rdflib import URIRef

from api.named import Row, select
from api.rows import local, maybe_text, text, valid_id
from api.services.build import kept_rows, once
from api.services.evidence import LANGUAGES, Passage, numbered, passage, script_lang, selections
from api.services.taxonomy import factor_summaries
from kg import iris

DECISIONS = ("included", "excluded")


@dataclass(frozen=True)
class Option:
    """A value a filter can take and what the form shows for it."""

    value: str
    label: str
    lang: str | None = None


@dataclass(frozen=True)
class Listed:
    """A study as the list shows it, with what it is filtered by."""

    id: str
    iri: str
    title: str
    year: int
    language: str
    authors: tuple[str, ...]
    decision: str | None
    reason: str | None
    codes: int
    methods: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    factors: frozenset[str] = frozenset()

    @property
    def lang(self) -> str | None:
        """'fa' when the title is written in Persian."""
        return script_lang(self.title)


@dataclass(frozen=True)
class Catalogue:
    """Every study, and the values each filter can take (those the studies have)."""

    studies: list[Listed]
    languages: list[Option]
    methods: list[Option]
    countries: list[Option]
    factors: list[Option]


def authors_of(rows: list[Row]) -> dict[str, tuple[str, ...]]:
    """Author names per study IRI, in the order of the study's author list."""
    ordered: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        ordered[row["study"]].append((int(row["position"]), maybe_text(row["name"]) or ""))
    return {study: tuple(name for _, name in sorted(names)) for study, names in ordered.items()}


def _by_study(rows: list[Row], key: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.get(key) is not None:
            found[row["study"]].add(text(row[key]))
    return found


async def catalogue(request: Request) -> Catalogue:
    """Every study with its filters' values, read once per build of the embedded store."""

    async def compute() -> Catalogue:
        studies, authors, methods, countries, codes, factors = await asyncio.gather(
            kept_rows(request, "api/study-list"),
            kept_rows(request, "api/study-authors"),
            select(request, "api/study-methods"),
            select(request, "api/study-countries"),
            kept_rows(request, "api/study-codes"),
            factor_summaries(request),
        )
        names = authors_of(authors)
        method_of, country_of = _by_study(methods, "method"), _by_study(countries, "country")
        factor_of = _by_study(codes, "factor")
        listed = [
            Listed(
                id=row["id"],
                iri=row["study"],
                title=text(row["title"]),
                year=int(text(row["year"])),
                language=text(row["language"]),
                authors=names.get(row["study"], ()),
                decision=local(row["decision"]) if row.get("decision") else None,
                reason=maybe_text(row.get("reasonLabel")),
                codes=int(row.get("codes", 0)),
                methods=frozenset(local(m) for m in method_of[row["study"]]),
                countries=frozenset(country_of[row["study"]]),
                factors=frozenset(local(f) for f in factor_of[row["study"]]),
            )
            for row in studies
        ]
        method_labels = {local(r["method"]): maybe_text(r.get("label")) for r in methods}
        coded = {f for study in listed for f in study.factors}
        return Catalogue(
            studies=listed,
            languages=[
                Option(code, LANGUAGES.get(code, code))
                for code in sorted({s.language for s in listed})
            ],
            methods=sorted(
                (Option(m, label or m) for m, label in method_labels.items()),
                key=lambda o: o.label.casefold(),
            ),
            countries=[Option(c, c) for c in sorted({c for s in listed for c in s.countries})],
            factors=sorted(
                (Option(f.id, f.label) for f in factors if f.id in coded),
                key=lambda o: o.label.casefold(),
            ),
        )

    return await once(request, "study-catalogue", compute)


@dataclass(frozen=True)
class StudyFilters:
    """What a reader narrows the studies to; None lets everything through."""

    year_from: int | None = None
    year_to: int | None = None
    language: str | None = None
    decision: str | None = None
    method: str | None = None
    country: str | None = None
    factor: str | None = None

    def admits(self, study: Listed) -> bool:
        """Whether a study passes every filter given."""
        return (
            (self.year_from is None or study.year >= self.year_from)
            and (self.year_to is None or study.year <= self.year_to)
            and (self.language is None or study.language == self.language)
            and (self.decision is None or study.decision == self.decision)
            and (self.method is None or self.method in study.methods)
            and (self.country is None or self.country in study.countries)
            and (self.factor is None or self.factor in study.factors)
        )

    def params(self) -> dict[str, str]:
        """The filters given, as query parameters."""
        return {k: str(v) for k, v in vars(self).items() if v is not None}

    def rest_params(self) -> dict[str, str]:
        """The filters /studies understands (it has no method or country filter)."""
        return {k: v for k, v in self.params().items() if k not in ("method", "country")}


# --------------------------------------------------------------------------- one study


@dataclass(frozen=True)
class CodeView:
    """A code of a study: its factor, and its quote marked in the study's title."""

    id: str
    iri: str
    factor: str
    factor_label: str
    factor_label_fa: str | None
    quote: str
    basis: str | None
    direction: str | None
    outcome: str | None
    coder: str | None
    passage: Passage


@dataclass(frozen=True)
class StudyView:
    """Everything the study page shows."""

    id: str
    iri: str
    type: str | None
    title: str
    year: int
    language: str
    authors: tuple[str, ...]
    venue: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    doi_url: str | None
    publisher: str | None
    place: str | None
    citation: str | None
    editorial_note: str | None
    context: dict[str, str] = field(default_factory=dict)
    methods: list[Option] = field(default_factory=list)
    decision: str | None = None
    reason: str | None = None
    stage: str | None = None
    screening_note: str | None = None
    screener: str | None = None
    codes: list[CodeView] = field(default_factory=list)
    appraisal: list[dict[str, str]] = field(default_factory=list)

    @property
    def lang(self) -> str | None:
        """'fa' when the title is written in Persian."""
        return script_lang(self.title)


_TYPES = {
    "http://purl.org/ontology/bibo/AcademicArticle": "article",
    "http://purl.org/ontology/bibo/Book": "book",
    "http://purl.org/ontology/bibo/Chapter": "chapter",
}


def _context(row: Row) -> dict[str, str]:
    rural = row.get("rural")
    found = {
        "Country": maybe_text(row.get("country")),
        "Region": maybe_text(row.get("region")),
        "Rural": None if rural is None else ("yes" if rural in (True, "true") else "no"),
        "Sector": maybe_text(row.get("sector")),
        "Firm type": maybe_text(row.get("firmType")),
    }
    return {name: value for name, value in found.items() if value}


async def study_detail(request: Request, ident: str) -> Row | None:
    """The bibliographic and screening row of the study with this id, or None when the graph
    has none (one row unless a single-valued property was given twice: the first)."""
    if not valid_id(ident):
        return None
    rows = await select(request, "api/study-detail", study=iris.study(ident))
    return rows[0] if rows else None


async def study_view(request: Request, row: Row) -> StudyView:
    """Everything about the study of a row of study_detail."""
    study = URIRef(row["study"])
    authors, methods, codes, answers, factors, spans = await asyncio.gather(
        select(request, "api/study-authors", study=study),
        select(request, "api/study-methods", study=study),
        select(request, "api/study-codes", study=study),
        select(request, "api/study-appraisals", study=study),
        factor_summaries(request),
        selections(request),
    )
    title = text(row["title"])
    persian = {f.id: f.label_fa for f in factors}
    return StudyView(
        id=row["id"],
        iri=row["study"],
        type=_TYPES.get(row.get("type") or ""),
        title=title,
        year=int(text(row["year"])),
        language=text(row["language"]),
        authors=authors_of(authors).get(str(study), ()),
        venue=maybe_text(row.get("venue")),
        volume=maybe_text(row.get("volume")),
        issue=maybe_text(row.get("issue")),
        pages=maybe_text(row.get("pages")),
        doi=maybe_text(row.get("doi")),
        doi_url=maybe_text(row.get("doiLink")),
        publisher=maybe_text(row.get("publisher")),
        place=maybe_text(row.get("place")),
        citation=maybe_text(row.get("citation")),
        editorial_note=maybe_text(row.get("editorialNote")),
        context=_context(row),
        methods=[Option(local(m["method"]), maybe_text(m.get("label")) or "") for m in methods],
        decision=local(row["decision"]) if row.get("decision") else None,
        reason=maybe_text(row.get("reasonLabel")),
        stage=maybe_text(row.get("stage")),
        screening_note=maybe_text(row.get("screeningNote")),
        screener=maybe_text(row.get("screenerName")),
        codes=sorted(
            (_code(c, title, persian, spans) for c in codes), key=lambda c: numbered(c.id)
        ),
        appraisal=[
            {
                "criterion": text(a["criterion"]),
                "answer": local(a["answer"]),
                "appraiser": maybe_text(a.get("appraiserName")) or "",
                "comment": maybe_text(a.get("comment")) or "",
            }
            for a in answers
        ],
    )


def _code(
    row: Row, title: str, persian: dict[str, str | None], spans: dict[str, tuple[int, int]]
) -> CodeView:
    factor = local(row["factor"])
    quote = maybe_text(row["quote"]) or ""
    basis = local(row["basis"]) if row.get("basis") else None
    start, end = spans.get(row["code"], (None, None))
    return CodeView(
        id=row["id"],
        iri=row["code"],
        factor=factor,
        factor_label=maybe_text(row.get("factorLabel")) or factor,
        factor_label_fa=persian.get(factor),
        quote=quote,
        basis=basis,
        direction=local(row["direction"]) if row.get("direction") else None,
        outcome=maybe_text(row.get("outcomeLabel")),
        coder=maybe_text(row.get("coderName")),
        passage=passage(title, quote, basis, start, end),
    )
