"""Response models of /studies, /studies/{id} and /search (no rdflib terms, only plain values)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["included", "excluded"]
HitType = Literal["factor", "category", "study", "author", "code"]


class Labelled(BaseModel):
    """A term of the graph by its id, with its English label."""

    id: str = Field(description="The last segment of the term's IRI")
    iri: str
    label: str | None = None


class Screening(BaseModel):
    """The screening decision on a study, as listed."""

    decision: Decision
    reason: Labelled | None = Field(None, description="Why an excluded study was excluded")


class ScreeningDetail(Screening):
    """The screening decision on a study, with who took it, at what stage and why."""

    stage: str | None = Field(None, description="title, abstract or fulltext")
    note: str | None = None
    screener: Labelled | None = None


class StudySummary(BaseModel):
    """One study of the corpus, as listed by /studies."""

    id: str
    iri: str
    title: str
    year: int
    language: str = Field(description="Language of the publication: en or fa")
    authors: list[str] = Field(description="'Surname, Initials', in the order of publication")
    venue: str | None = None
    doi: str | None = None
    doi_url: str | None = Field(None, description="The DOI as an https://doi.org/ link")
    screening: Screening | None = None
    codes: int = Field(description="Number of codes (findings) extracted from the study")


class StudyPage(BaseModel):
    """One page of studies, with the total number that match the filters."""

    total: int
    limit: int
    offset: int
    items: list[StudySummary]


class Context(BaseModel):
    """The setting a study reports: where, how rural, which sector and kind of firm."""

    country: str | None = None
    region: str | None = None
    rural: bool | None = None
    sector: str | None = None
    firm_type: str | None = None


class StudyCode(BaseModel):
    """One code (finding) extracted from a study."""

    id: str
    iri: str
    factor: Labelled
    quote: str = Field(description="The verbatim text the code rests on")
    basis: str | None = Field(
        None, description="Where the quote is from: title, abstract or fulltext"
    )
    direction: str | None = Field(
        None, description="driver, barrier, moderator, mediator or context"
    )
    outcome: Labelled | None = None
    coder: Labelled | None = None


class AppraisalAnswer(BaseModel):
    """One answer of a quality appraisal (a CASP question)."""

    appraiser: Labelled | None = None
    criterion: int = Field(description="The CASP question number, 1 to 10")
    answer: str = Field(description="yes, cant-tell or no")
    score: float | None = None
    comment: str | None = None


class StudyDetail(BaseModel):
    """Everything the graph holds about one study."""

    id: str
    iri: str
    type: str | None = Field(None, description="article, book or chapter")
    title: str
    year: int
    authors: list[str] = Field(description="'Surname, Initials', in the order of publication")
    language: str
    venue: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    doi_url: str | None = None
    publisher: str | None = None
    place: str | None = None
    citation: str | None = Field(None, description="The full citation as the seed gives it")
    editorial_note: str | None = Field(None, description="Every correction made to the seed")
    context: Context | None = None
    methods: list[Labelled]
    screening: ScreeningDetail | None = None
    codes: list[StudyCode]
    appraisal: list[AppraisalAnswer] = Field(description="Empty when the study is not appraised")


class SearchHit(BaseModel):
    """One search result: what was found, the text that matched and how well."""

    type: HitType
    id: str
    iri: str
    label: str = Field(description="Display label: English label, title, name or quote")
    matched: str = Field(description="The text the query was found in")
    field: str = Field(description="Where: prefLabel, altLabel, title, author, name or quote")
    lang: str | None = Field(None, description="Language tag of the matched text, if any")
    score: float = Field(
        description="1 exact label, 0.8 label prefix, 0.6 label contains, "
        "0.4 title, 0.3 author, 0.2 quote"
    )
    studies: list[str] = Field(
        default_factory=list, description="An author's studies, or a code's study"
    )
    factor: str | None = Field(None, description="The factor a code is for")


class SearchResults(BaseModel):
    """The ranked hits of a search, best first."""

    model_config = ConfigDict(json_schema_extra={"description": "Best first; ties by label."})

    query: str
    total: int = Field(description="Number of hits before the limit")
    results: list[SearchHit]
