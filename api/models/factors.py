"""Response models of /factors and /categories: plain JSON, no RDF terms."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class Direction(StrEnum):
    """How a code relates the factor to its outcome (rsme:EffectDirection)."""

    driver = "driver"
    barrier = "barrier"
    moderator = "moderator"
    mediator = "mediator"
    context = "context"


class LanguageLabels(BaseModel):
    """The labels of a concept in one language."""

    pref: str | None = Field(None, description="skos:prefLabel (at most one per language).")
    alt: list[str] = Field(default_factory=list, description="skos:altLabel, sorted.")


class CategoryRef(BaseModel):
    """A factor category, by id and English label."""

    id: str = Field(description="The last path segment of the category's IRI.")
    iri: str
    label: str

    model_config = _examples(
        {
            "id": "market-environment",
            "iri": "https://w3id.org/rsme-kg/id/category/market-environment",
            "label": "Market and institutional environment",
        }
    )


class RelatedConcept(BaseModel):
    """A concept of the taxonomy linked by skos:broader or skos:narrower."""

    id: str
    iri: str
    type: str = Field(description="'category' or 'factor': their ids may coincide.")
    label: str | None = None


class FactorMapping(BaseModel):
    """A SKOS mapping of a factor to a concept of an outside vocabulary."""

    relation: str = Field(
        description="exactMatch, closeMatch, broadMatch (the outside concept is broader), "
        "narrowMatch or relatedMatch."
    )
    target: str = Field(description="IRI of the outside concept.")
    vocabulary: str | None = Field(
        None, description="Wikidata, STW or AGROVOC; null for any other namespace."
    )


def _studies() -> Any:
    return Field(
        description="Included studies with at least one code of this factor whose direction is "
        "not context (as in kg/queries/examples/factors-by-studies.rq)."
    )


def _codes() -> Any:
    return Field(description="Codes of included studies whose direction is not context.")


def _settings() -> Any:
    return Field(
        description="Included studies where the factor is coded only as context (their setting)."
    )


def _weight() -> Any:
    return Field(
        None,
        description="Shannon-entropy weight over the study x factor matrix of the included "
        "studies (GET /analysis/weights); null for a factor without codes or when fewer than two "
        "studies are coded. It rewards concentration, not breadth: read it beside `studies`.",
    )


def _weight_rank() -> Any:
    return Field(None, description="Rank of the weight, 1 = highest; equal weights share a rank.")


class FactorSummary(BaseModel):
    """One row of GET /factors."""

    id: str = Field(description="The last path segment of the factor's IRI.")
    iri: str
    label: str = Field(description="English preferred label.")
    label_fa: str | None = Field(None, description="Persian preferred label, when there is one.")
    category: CategoryRef
    studies: int = _studies()
    codes: int = _codes()
    settings: int = _settings()
    weight: float | None = _weight()
    weight_rank: int | None = _weight_rank()

    model_config = _examples(
        {
            "id": "internationalization-strategy",
            "iri": "https://w3id.org/rsme-kg/id/factor/internationalization-strategy",
            "label": "Internationalization strategy",
            "label_fa": "راهبرد بین‌المللی‌سازی",
            "category": {
                "id": "strategy",
                "iri": "https://w3id.org/rsme-kg/id/category/strategy",
                "label": "Internationalization and competitive strategy",
            },
            "studies": 3,
            "codes": 3,
            "settings": 0,
            "weight": 0.017507051975375176,
            "weight_rank": 40,
        }
    )


class FactorDetail(BaseModel):
    """GET /factors/{id}: a factor with its labels, hierarchy, mappings and counts."""

    id: str
    iri: str
    label: str = Field(description="English preferred label.")
    labels: dict[str, LanguageLabels] = Field(
        description="Preferred and alternative labels grouped by language tag."
    )
    definition: str | None = Field(None, description="English skos:definition.")
    category: CategoryRef
    broader: list[RelatedConcept]
    narrower: list[RelatedConcept]
    mappings: list[FactorMapping]
    evidence: str = Field(description="Path of the factor's evidence (GET /factors/{id}/evidence).")
    studies: int = _studies()
    codes: int = _codes()
    settings: int = _settings()
    weight: float | None = _weight()
    weight_rank: int | None = _weight_rank()

    model_config = _examples(
        {
            "id": "psychic-distance",
            "iri": "https://w3id.org/rsme-kg/id/factor/psychic-distance",
            "label": "Psychic distance",
            "labels": {
                "en": {
                    "pref": "Psychic distance",
                    "alt": ["perceived distance", "psychological distance"],
                },
                "fa": {"pref": "فاصله روانی", "alt": []},
            },
            "definition": "The perceived differences between the home market and a foreign "
            "market, for example in language, culture, business practices, education and "
            "political system, that hinder the flow of information and raise the uncertainty "
            "of foreign operations.",
            "category": {
                "id": "market-environment",
                "iri": "https://w3id.org/rsme-kg/id/category/market-environment",
                "label": "Market and institutional environment",
            },
            "broader": [
                {
                    "id": "market-environment",
                    "iri": "https://w3id.org/rsme-kg/id/category/market-environment",
                    "type": "category",
                    "label": "Market and institutional environment",
                }
            ],
            "narrower": [],
            "mappings": [],
            "evidence": "/factors/psychic-distance/evidence",
            "studies": 1,
            "codes": 1,
            "settings": 0,
            "weight": 0.02486221766474672,
            "weight_rank": 1,
        },
        {
            "id": "entrepreneur-human-capital",
            "iri": "https://w3id.org/rsme-kg/id/factor/entrepreneur-human-capital",
            "label": "Human capital of the entrepreneur and managers",
            "labels": {
                "en": {
                    "pref": "Human capital of the entrepreneur and managers",
                    "alt": [
                        "entrepreneur's education and experience",
                        "international experience of managers",
                        "managerial human capital",
                    ],
                },
                "fa": {"pref": "سرمایه انسانی کارآفرین و مدیران", "alt": []},
            },
            "definition": "The education, work and international experience, language "
            "proficiency and skills of an SME's founder, owner or managers, which sharpen the "
            "perception of foreign opportunities and the capacity to exploit them.",
            "category": {
                "id": "human-capital",
                "iri": "https://w3id.org/rsme-kg/id/category/human-capital",
                "label": "Human capital",
            },
            "broader": [
                {
                    "id": "human-capital",
                    "iri": "https://w3id.org/rsme-kg/id/category/human-capital",
                    "type": "category",
                    "label": "Human capital",
                }
            ],
            "narrower": [],
            "mappings": [
                {
                    "relation": "broadMatch",
                    "target": "http://www.wikidata.org/entity/Q165687",
                    "vocabulary": "Wikidata",
                },
                {
                    "relation": "broadMatch",
                    "target": "http://zbw.eu/stw/descriptor/11224-2",
                    "vocabulary": "STW",
                },
            ],
            "evidence": "/factors/entrepreneur-human-capital/evidence",
            "studies": 1,
            "codes": 1,
            "settings": 0,
            "weight": 0.02486221766474672,
            "weight_rank": 1,
        },
    )


class EvidenceStudy(BaseModel):
    """The study a code was derived from."""

    id: str
    iri: str
    citation: str | None = Field(None, description="dcterms:bibliographicCitation (the seed's).")
    title: str
    year: int
    doi: str | None = Field(None, description="Lower-cased DOI, when the seed gives one.")
    doi_link: str | None = Field(None, description="https://doi.org/... link of the DOI.")
    language: str | None = Field(None, description="Language tag of the study (en, fa).")
    included: bool = Field(description="Included by the screening.")


class EvidenceOutcome(BaseModel):
    """The outcome a code relates the factor to."""

    id: str
    iri: str
    label: str | None = None


class EvidenceCoder(BaseModel):
    """The coder a code is attributed to."""

    id: str
    iri: str
    name: str | None = None


class Evidence(BaseModel):
    """One code of a factor: a finding with its source, quote and coding."""

    code: str = Field(description="The id of the code.")
    iri: str
    study: EvidenceStudy
    quote: str = Field(description="Verbatim quote from the source the basis names.")
    basis: str = Field(description="What the code was read from: title, abstract or fulltext.")
    direction: Direction | None = Field(None, description="Null when the study states none.")
    outcome: EvidenceOutcome | None = None
    coder: EvidenceCoder | None = None


class EvidencePage(BaseModel):
    """GET /factors/{id}/evidence: one page of a factor's codes after the filters."""

    factor: str = Field(description="The factor's id.")
    total: int = Field(description="Codes that pass the filters, on all pages.")
    limit: int
    offset: int
    items: list[Evidence]

    model_config = _examples(
        {
            "factor": "rural-location",
            "total": 13,
            "limit": 1,
            "offset": 1,
            "items": [
                {
                    "code": "deakins-2004-3",
                    "iri": "https://w3id.org/rsme-kg/id/code/deakins-2004-3",
                    "study": {
                        "id": "deakins-2004",
                        "iri": "https://w3id.org/rsme-kg/id/study/deakins-2004",
                        "citation": "Deakins, D., Mochrie, R. & Galloway, L. (2004). Rural "
                        "business use of information and communications technologies (ICTs): a "
                        "study of the relative impact of collective activity in rural Scotland, "
                        "150, 139–150. doi: 10.1002/jsc.683.",
                        "title": "Rural business use of information and communications "
                        "technologies (ICTs): a study of the relative impact of collective "
                        "activity in rural Scotland",
                        "year": 2004,
                        "doi": "10.1002/jsc.683",
                        "doi_link": "https://doi.org/10.1002/jsc.683",
                        "language": "en",
                        "included": True,
                    },
                    "quote": "rural Scotland",
                    "basis": "title",
                    "direction": "context",
                    "outcome": None,
                    "coder": {
                        "id": "rsme-kg-editors",
                        "iri": "https://w3id.org/rsme-kg/id/agent/rsme-kg-editors",
                        "name": "rsme-kg editors",
                    },
                }
            ],
        }
    )


class CategoryCounts(BaseModel):
    """A category with its labels, definition and counts."""

    id: str = Field(description="The last path segment of the category's IRI.")
    iri: str
    label: str = Field(description="English preferred label.")
    label_fa: str | None = Field(None, description="Persian preferred label, when there is one.")
    labels: dict[str, LanguageLabels] = Field(
        description="Preferred and alternative labels grouped by language tag."
    )
    definition: str | None = Field(None, description="English skos:definition.")
    factor_count: int = Field(description="Factors whose skos:broader is this category.")
    studies: int = Field(
        description="Distinct included studies supporting any of its factors (not context)."
    )
    codes: int = Field(description="Supporting codes (not context) of its factors.")


_HUMAN_CAPITAL: dict[str, Any] = {
    "id": "human-capital",
    "iri": "https://w3id.org/rsme-kg/id/category/human-capital",
    "label": "Human capital",
    "label_fa": "سرمایه انسانی",
    "labels": {
        "en": {
            "pref": "Human capital",
            "alt": ["entrepreneur-related factors", "individual factors"],
        },
        "fa": {"pref": "سرمایه انسانی", "alt": []},
    },
    "definition": "The knowledge, education, experience and skills embodied in the entrepreneur, "
    "the owner-managers and the management team, treated in internationalization research as a "
    "firm-level resource that shapes whether and how an SME enters foreign markets.",
    "factor_count": 4,
    "studies": 3,
    "codes": 3,
}


class CategorySummary(CategoryCounts):
    """One row of GET /categories."""

    model_config = _examples(_HUMAN_CAPITAL)


class CategoryFactor(BaseModel):
    """A factor of a category, with its counts."""

    id: str
    iri: str
    label: str
    label_fa: str | None = None
    studies: int = _studies()
    codes: int = _codes()
    settings: int = _settings()


class CategoryDetail(CategoryCounts):
    """GET /categories/{id}: the category and its factors (by supporting studies, then label)."""

    factors: list[CategoryFactor]

    model_config = _examples(
        {
            **_HUMAN_CAPITAL,
            "factors": [
                {
                    "id": "entrepreneurial-skills",
                    "iri": "https://w3id.org/rsme-kg/id/factor/entrepreneurial-skills",
                    "label": "Entrepreneurial skills",
                    "label_fa": "مهارت‌های کارآفرینی",
                    "studies": 1,
                    "codes": 1,
                    "settings": 0,
                },
                {
                    "id": "entrepreneur-human-capital",
                    "iri": "https://w3id.org/rsme-kg/id/factor/entrepreneur-human-capital",
                    "label": "Human capital of the entrepreneur and managers",
                    "label_fa": "سرمایه انسانی کارآفرین و مدیران",
                    "studies": 1,
                    "codes": 1,
                    "settings": 0,
                },
                {
                    "id": "top-management-team",
                    "iri": "https://w3id.org/rsme-kg/id/factor/top-management-team",
                    "label": "Top management team characteristics",
                    "label_fa": "ویژگی‌های تیم مدیریت ارشد",
                    "studies": 1,
                    "codes": 1,
                    "settings": 0,
                },
                {
                    "id": "entrepreneur-characteristics",
                    "iri": "https://w3id.org/rsme-kg/id/factor/entrepreneur-characteristics",
                    "label": "Characteristics of the entrepreneur",
                    "label_fa": "ویژگی‌های کارآفرین",
                    "studies": 0,
                    "codes": 0,
                    "settings": 0,
                },
            ],
        }
    )
