"""The evidence behind a factor, as the explorer shows it: each code's quote marked inside its
source text, with its study, and the filters a reader narrows the codes with.

The graph holds a study's title but no abstract and no full text: a quote whose basis is the
title is marked inside the title (at its selection offsets when the code has them, else where it
occurs); any other quote is marked in the title if it is there, and shown on its own otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fastapi import Request

from api.named import Row, select
from api.rows import local, maybe_text, text
from api.services.build import by_factor, every_factor, once
from kg import iris
from kg.text import fold, folded_with_positions

BASES = {"title": "title", "abstract": "abstract", "fulltext": "full text"}
# rsme:EffectDirection, and the codes that name none
DIRECTIONS = ("driver", "barrier", "moderator", "mediator", "context")
UNSPECIFIED = "unspecified"
# the names the pages give the languages of the corpus (a filter takes any language it has)
LANGUAGES = {"en": "English", "fa": "Persian"}
# the blocks of the Arabic script, in which Persian is written
_ARABIC_SCRIPT = ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
# any character of those blocks: one scan in C (a search page tests thousands of titles)
_ARABIC = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _ARABIC_SCRIPT) + "]")


def script_lang(value: str | None) -> str | None:
    """'fa' for a text written in the Arabic script (the corpus's Persian), else None: the
    titles and quotes of the graph carry no language tag of their own.

    >>> script_lang("فاصله روانی"), script_lang("Psychic distance"), script_lang(None)
    ('fa', None, None)
    """
    return "fa" if value and _ARABIC.search(value) else None


def _with_marks(source: str, first: int, last: int) -> tuple[int, int]:
    """A span of the source stretched over the combining marks that follow it: the accents of
    its last letter (or the hamza above a final heh) belong to that letter."""
    while last < len(source) and unicodedata.combining(source[last]):
        last += 1
    return first, last


def locate(
    source: str, quote: str, start: int | None = None, end: int | None = None
) -> tuple[int, int] | None:
    """Where a quote lies in its source text: at its selection offsets if they select it, else
    at its first verbatim occurrence, else where it occurs once both are folded (Arabic and
    Persian letter variants, joiners, case, accents); None when it is not there. However it is
    found, the span takes in the combining marks of its last letter.

    >>> locate("Paradoxical role of psychic distance", "psychic distance")
    (20, 36)
    >>> locate("distance, psychic distance", "distance", 18, 26)
    (18, 26)
    >>> title = "نقش سرمایه\u200cاجتماعی در صادرات"  # Persian yeh and a joiner
    >>> for typed in ("سرمايهاجتماعي", "سرمايه اجتماعي"):  # Arabic yeh, no joiner or a space
    ...     first, last = locate(title, typed)
    ...     print(title[first:last] == "سرمایه\u200cاجتماعی")
    True
    True
    >>> locate("Human Capital", "social capital") is None
    True
    >>> locate("Café owners", "Cafe")  # the accent of its last letter comes along
    (0, 5)
    """
    if not quote:
        return None
    if start is not None and end is not None and source[start:end] == quote:
        return _with_marks(source, start, end)
    at = source.find(quote)
    if at >= 0:
        return _with_marks(source, at, at + len(quote))
    # a joiner is nothing inside a word, or a break between its parts: either spelling
    for joiner in ("", " "):
        folded, where = folded_with_positions(source, joiner)
        wanted = fold(quote, joiner)
        at = folded.find(wanted) if wanted else -1
        if at >= 0:
            return _with_marks(source, where[at], where[at + len(wanted) - 1] + 1)
    return None


@dataclass(frozen=True)
class Passage:
    """A source text cut around the quote it holds: before, the quote as the source spells
    it, after; or the quote alone when the graph holds no source text that contains it."""

    before: str
    marked: str
    after: str
    source: str  # "title", or "quote" when the quote is shown alone
    lang: str | None  # "fa" when the text is Persian

    @property
    def alone(self) -> bool:
        """Whether the quote is shown without its source text."""
        return self.source == "quote"


def passage(
    title: str, quote: str, basis: str | None, start: int | None = None, end: int | None = None
) -> Passage:
    """The quote marked in the study's title; the offsets count in the title only when the
    code's basis is the title (otherwise they point into a text the graph does not hold).

    >>> p = passage("Paradoxical role of psychic distance", "psychic distance", "title")
    >>> (p.before, p.marked, p.after, p.source)
    ('Paradoxical role of ', 'psychic distance', '', 'title')
    >>> passage("A title", "a finding of the full text", "fulltext").alone
    True
    """
    on_title = basis == "title"
    span = locate(title, quote, start if on_title else None, end if on_title else None)
    if span is None:
        return Passage("", quote, "", "quote", script_lang(quote))
    first, last = span
    return Passage(title[:first], title[first:last], title[last:], "title", script_lang(title))


@dataclass(frozen=True)
class EvidenceItem:
    """One code of a factor with its study, as the explorer lists it."""

    code: str
    code_iri: str
    study: str
    study_iri: str
    title: str
    citation: str | None
    year: int
    language: str | None
    included: bool
    quote: str
    basis: str
    direction: str | None
    outcome: str | None
    outcome_label: str | None
    coder: str | None
    coder_name: str | None
    passage: Passage


async def study_languages(request: Request) -> frozenset[str]:
    """The languages the studies are written in: what a language filter may ask for."""

    async def compute() -> frozenset[str]:
        rows = await select(request, "api/study-languages")
        return frozenset(text(row["language"]) for row in rows)

    return await once(request, "study-languages", compute)


async def selections(request: Request) -> dict[str, tuple[int, int]]:
    """code IRI -> (start, end) of its quote in the source text, for the codes that have them."""

    async def compute() -> dict[str, tuple[int, int]]:
        rows = await select(request, "api/code-selections")
        return {row["code"]: (int(row["start"]), int(row["end"])) for row in rows}

    return await once(request, "code-selections", compute)


def numbered(code_id: str) -> tuple[str, int]:
    """The order of code ids {study}-{n}: study-2 before study-10."""
    stem, _, number = code_id.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (code_id, 0)


def evidence_item(row: Row, spans: dict[str, tuple[int, int]]) -> EvidenceItem:
    """A row of factor-evidence.rq as an item, its quote marked in the title."""
    title, quote, basis = text(row["title"]), text(row["quote"]), local(row["basis"])
    start, end = spans.get(row["code"], (None, None))
    outcome, coder, direction = row.get("outcome"), row.get("coder"), row.get("direction")
    return EvidenceItem(
        code=local(row["code"]),
        code_iri=row["code"],
        study=local(row["study"]),
        study_iri=row["study"],
        title=title,
        citation=maybe_text(row.get("citation")),
        year=int(text(row["year"])),
        language=maybe_text(row.get("language")),
        included=bool(row.get("included")),
        quote=quote,
        basis=basis,
        direction=local(direction) if direction else None,
        outcome=local(outcome) if outcome else None,
        outcome_label=maybe_text(row.get("outcomeLabel")),
        coder=local(coder) if coder else None,
        coder_name=maybe_text(row.get("coderName")),
        passage=passage(title, quote, basis, start, end),
    )


async def factor_evidence_rows(request: Request, factor: str) -> list[Row]:
    """The rows of factor-evidence.rq for a (known) factor id; on the embedded store read for
    every factor at once, once per build (`build.by_factor`). Shared: never change them."""
    return await by_factor(request, "api/factor-evidence", factor)


def _items(rows: list[Row], spans: dict[str, tuple[int, int]]) -> list[EvidenceItem]:
    items = [evidence_item(row, spans) for row in rows]
    # the store's order of xsd:gYear values may differ between engines: order here
    items.sort(key=lambda item: (item.year, item.study, numbered(item.code)))
    return items


async def factor_evidence(request: Request, factor: str) -> list[EvidenceItem]:
    """Every code of a (known) factor, by year, study and code number; on the embedded store
    made for every factor once per build (each quote located in its title once). Shared: a
    caller filters into a list of its own."""
    every = await every_factor(request, "api/factor-evidence")
    if every is None:
        rows = await factor_evidence_rows(request, factor)
        return _items(rows, await selections(request))

    async def compute() -> dict[str, list[EvidenceItem]]:
        spans = await selections(request)
        return {iri: _items(rows, spans) for iri, rows in every.items()}

    items = await once(request, "evidence-items", compute)
    return items.get(str(iris.factor(factor)), [])


@dataclass(frozen=True)
class EvidenceFilters:
    """What a reader narrows a factor's codes to; None lets everything through."""

    year_from: int | None = None
    year_to: int | None = None
    language: str | None = None
    direction: str | None = None  # a direction, or UNSPECIFIED for codes that name none
    basis: str | None = None
    coder: str | None = None

    def admits(self, item: EvidenceItem) -> bool:
        """Whether a code passes every filter given."""
        return (
            (self.year_from is None or item.year >= self.year_from)
            and (self.year_to is None or item.year <= self.year_to)
            and (self.language is None or (item.language or "").lower() == self.language)
            and (self.direction is None or (item.direction or UNSPECIFIED) == self.direction)
            and (self.basis is None or item.basis == self.basis)
            and (self.coder is None or item.coder == self.coder)
        )

    def params(self) -> dict[str, str]:
        """The filters given, as query parameters."""
        return {k: str(v) for k, v in vars(self).items() if v is not None}

    @property
    def active(self) -> bool:
        """Whether any filter is given."""
        return bool(self.params())
