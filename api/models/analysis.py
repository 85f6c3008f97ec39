"""Response models of /analysis: the tables of kg.analysis.report, documented for OpenAPI.

The examples are cut from the answers on the corpus of this release (one coder, no appraisals),
except where they show a shape the corpus cannot (two coders, an appraisal): those say so.

Every count of support (weights, matrices, co-occurrence, timeline) leaves out the codes whose
direction is `context`: they name the study's setting, and /analysis/settings counts them
apart. Coder agreement (/analysis/kappa) counts every code, settings included.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.models.factors import _examples
from kg.analysis.report import SETTINGS_NOTE, SUPPORT_NOTE, TIMELINE_NOTE, WEIGHTS_NOTE

BUILD = Field(description="Id of the build the numbers were computed from.")
SUPPORT = Field(
    description="Says that the numbers count support only and where the settings are "
    "(/analysis/settings)."
)


class FactorWeight(BaseModel):
    """One factor's Shannon-entropy weight with the evidence behind it (support only: a factor
    that only names studies' settings has no weight)."""

    factor: str
    label: str
    label_fa: str | None = None
    category: str | None = None
    rank: int = Field(description="1 = highest weight; equal weights share a rank.")
    weight: float = Field(description="W_j = d_j / sum_j d_j.")
    entropy: float = Field(description="E_j, 0 (one study) to 1 (even over every study).")
    diversification: float = Field(description="d_j = 1 - E_j.")
    studies: int = Field(
        description="Included studies that support the factor (a code whose direction is not "
        "context); the same number as `studies` of /factors."
    )
    codes: int = Field(
        description="Support codes: the factor's cells of the study x factor matrix, summed "
        "(several coders' codes of one finding count once)."
    )


class Weights(BaseModel):
    """GET /analysis/weights: computed over the support matrix; settings are not counted."""

    build: str | None = BUILD
    studies: int = Field(
        description="m, the rows of the matrix: the coded included studies, those coded only "
        "for their setting included (rows of zeros)."
    )
    formula: str
    note: str
    error: str | None = Field(None, description="Why there are no weights, when there are none.")
    weights: list[FactorWeight]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "studies": 41,
            "formula": "p_ij = f_ij / sum_i f_ij; E_j = -(1/ln m) sum_i p_ij ln p_ij; "
            "d_j = 1 - E_j; W_j = d_j / sum_j d_j",
            "note": WEIGHTS_NOTE,
            "error": None,
            "weights": [
                {
                    "factor": "internationalization-strategy",
                    "label": "Internationalization strategy",
                    "label_fa": "راهبرد بین\u200cالمللی\u200cسازی",
                    "category": "strategy",
                    "rank": 40,
                    "weight": 0.017507051975375176,
                    "entropy": 0.2958370724829093,
                    "diversification": 0.7041629275170906,
                    "studies": 3,
                    "codes": 3,
                }
            ],
        }
    )


class MatrixColumn(BaseModel):
    """A factor or a category."""

    id: str
    label: str


class MatrixRow(BaseModel):
    """One included study's support codes, in the order of `columns` (all zeros for a study
    coded only for its setting)."""

    study: str
    counts: list[int]


class FrequencyMatrix(BaseModel):
    """GET /analysis/matrix (JSON; CSV with Accept: text/csv or format=csv): support codes per
    coded included study and factor or category; settings are at /analysis/settings."""

    build: str | None = BUILD
    by: Literal["factor", "category"]
    note: str = SUPPORT
    columns: list[MatrixColumn] = Field(description="The factors or categories with support.")
    rows: list[MatrixRow]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "by": "category",
            "note": SUPPORT_NOTE,
            "columns": [
                {
                    "id": "entrepreneurial-orientation",
                    "label": "Entrepreneurial and international orientation",
                },
                {"id": "family-governance", "label": "Family ownership and governance"},
            ],
            "rows": [{"study": "alayo-2019", "counts": [1, 1]}],
        }
    )


class FactorAgreement(BaseModel):
    """Two coders on one factor over the studies both coded."""

    factor: str
    both: int
    first_only: int
    second_only: int
    neither: int
    kappa: float
    band: str


class CoderPair(BaseModel):
    """Cohen's kappa of two coders over the codebook x the studies both coded."""

    first: str
    second: str
    studies: list[str]
    items: int
    observed_agreement: float
    kappa: float
    band: str = Field(
        description="Landis & Koch: poor, slight, fair, moderate, substantial, almost perfect."
    )
    factors: list[FactorAgreement]


class Coder(BaseModel):
    """A coder by id and name."""

    id: str
    name: str


class Fleiss(BaseModel):
    """Fleiss' kappa over the studies every coder coded (more than two coders)."""

    kappa: float
    band: str
    studies: list[str]


class Agreement(BaseModel):
    """GET /analysis/kappa: over every code, settings included (agreement measures the coding,
    not support)."""

    build: str | None = BUILD
    coders: list[Coder]
    message: str | None = Field(None, description="Why there is no kappa, when there is none.")
    pairs: list[CoderPair]
    fleiss: Fleiss | None = None

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "coders": [{"id": "rsme-kg-editors", "name": "rsme-kg editors"}],
            "message": "The data has a single coder (rsme-kg editors): agreement needs at "
            "least two coders who coded the same studies.",
            "pairs": [],
            "fleiss": None,
        }
    )


class Flow(BaseModel):
    """GET /analysis/flow: the boxes of the PRISMA 2020 flow diagram."""

    build: str | None = BUILD
    identified: int
    awaiting_screening: int
    screened: int
    excluded_at_screening: dict[str, int] = Field(description="By exclusion reason.")
    assessed_for_eligibility: int
    excluded_at_fulltext: dict[str, int] = Field(description="By exclusion reason.")
    included: int

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "identified": 48,
            "awaiting_screening": 0,
            "screened": 48,
            "excluded_at_screening": {
                "methodological-reference": 3,
                "other-field-synthesis": 2,
                "out-of-scope": 2,
            },
            "assessed_for_eligibility": 41,
            "excluded_at_fulltext": {},
            "included": 41,
        }
    )


class Pair(BaseModel):
    """Two factors supported by the same studies."""

    first: str
    second: str
    first_label: str
    second_label: str
    studies: int = Field(description="Included studies that support both factors.")
    study_ids: list[str]


class Cooccurrence(BaseModel):
    """GET /analysis/cooccurrence: pairs of factors supported by the same study (a setting forms
    no pair)."""

    build: str | None = BUILD
    minimum: int
    note: str = SUPPORT
    pairs: list[Pair]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "minimum": 1,
            "note": SUPPORT_NOTE,
            "pairs": [
                {
                    "first": "learning-orientation",
                    "second": "psychic-distance",
                    "first_label": "Learning orientation",
                    "second_label": "Psychic distance",
                    "studies": 1,
                    "study_ids": ["assadinia-2019"],
                }
            ],
        }
    )


class CategoryYear(BaseModel):
    """One category in one year (support only)."""

    category: str
    studies: int = Field(description="Included studies of the year that support the category.")
    codes: int = Field(description="Support codes of the category that year.")


class Year(BaseModel):
    """One year of publication."""

    year: int
    studies: int = Field(description="Included studies published that year (all of them).")
    codes: int = Field(description="Support codes of those studies (settings not counted).")
    categories: list[CategoryYear]


class Timeline(BaseModel):
    """GET /analysis/timeline: included studies and support codes per year."""

    build: str | None = BUILD
    note: str = SUPPORT
    years: list[Year]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "note": TIMELINE_NOTE,
            "years": [
                {
                    "year": 2000,
                    "studies": 2,
                    "codes": 2,
                    "categories": [
                        {"category": "marketing-capabilities", "studies": 1, "codes": 1},
                        {"category": "rural-context", "studies": 1, "codes": 1},
                    ],
                }
            ],
        }
    )


class CategorySetting(BaseModel):
    """A category and the included studies whose setting it is."""

    category: str
    label: str
    label_fa: str | None = None
    studies: int = Field(description="Studies whose setting is one of the category's factors.")
    study_ids: list[str]


class FactorSetting(BaseModel):
    """A factor and the included studies whose setting it is."""

    factor: str
    label: str
    label_fa: str | None = None
    category: str | None = None
    studies: int = Field(
        description="Studies whose every code of the factor is a context code: the same "
        "number as `settings` of /factors."
    )
    study_ids: list[str]


class Settings(BaseModel):
    """GET /analysis/settings: the settings studied, counted apart from support.

    A code whose direction is context names where a study was done, not an influence; it is
    counted here and in no other table of /analysis except kappa. The model picture shows these
    numbers in the band 'settings studied' under the boxes.
    """

    build: str | None = BUILD
    note: str
    studies: int = Field(description="Included studies that are the setting of a factor.")
    unsupported: list[str] = Field(
        description="Included studies coded only for their setting: rows of zeros in the "
        "matrices (they count in m of the weights)."
    )
    categories: list[CategorySetting] = Field(description="In taxonomy order.")
    factors: list[FactorSetting] = Field(description="In taxonomy order.")

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "note": SETTINGS_NOTE,
            "studies": 29,
            "unsupported": [
                "amini-2018",
                "azar-2011",
                "eftekhari-2009",
                "eschker-2017",
                "etemad-1999",
                "faghihi-2010",
                "korsgaard-2015",
                "mollashahi-2015",
                "phillipson-2018",
                "salami-1999",
                "zarei-2020",
            ],
            "categories": [
                {
                    "category": "networks",
                    "label": "Networks and cooperation",
                    "label_fa": "شبکه\u200cها و همکاری",
                    "studies": 1,
                    "study_ids": ["zarei-2020"],
                }
            ],
            "factors": [
                {
                    "factor": "peripheral-location",
                    "label": "Peripheral location",
                    "label_fa": "موقعیت پیرامونی",
                    "category": "rural-context",
                    "studies": 2,
                    "study_ids": ["habersetzer-2019", "virkkala-2007"],
                }
            ],
        }
    )


class StudyAppraisal(BaseModel):
    """One appraiser's CASP answers on one study."""

    study: str
    appraiser: str
    yes: int
    cant_tell: int
    no: int
    total: float


class StudyVerdict(BaseModel):
    """A study's mean total over its appraisers and whether it passes the cut-off."""

    study: str
    total: float
    passes: bool | None = Field(None, description="null when no cut-off is set.")


class CriterionCounts(BaseModel):
    """The answers to one CASP question across all appraisals."""

    criterion: int
    question: str
    yes: int
    cant_tell: int
    no: int


class Appraisal(BaseModel):
    """GET /analysis/appraisal."""

    build: str | None = BUILD
    scale: Literal["yes", "score"] = Field(
        description="score: sum of the scores (every answer has one); yes: yes answers of 10."
    )
    cutoff: float | None
    message: str | None = Field(None, description="Why there is nothing, when there is nothing.")
    note: str | None = Field(None, description="A caveat, e.g. scores given to some answers only.")
    appraisals: list[StudyAppraisal]
    studies: list[StudyVerdict]
    criteria: list[CriterionCounts]
    unappraised: list[str] = Field(description="Included studies nobody appraised.")

    model_config = _examples(
        {
            "build": "(not this release: a corpus with one appraisal, as in the tests)",
            "scale": "yes",
            "cutoff": 7,
            "message": None,
            "note": None,
            "appraisals": [
                {
                    "study": "assadinia-2019",
                    "appraiser": "coder-b",
                    "yes": 8,
                    "cant_tell": 1,
                    "no": 1,
                    "total": 8,
                }
            ],
            "studies": [{"study": "assadinia-2019", "total": 8, "passes": True}],
            "criteria": [
                {
                    "criterion": 1,
                    "question": "clear statement of aims",
                    "yes": 1,
                    "cant_tell": 0,
                    "no": 0,
                }
            ],
            "unappraised": ["akbari-2019"],
        }
    )
