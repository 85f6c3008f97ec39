"""Response models of /analysis: the tables of kg.analysis.report, documented for OpenAPI.

The examples are cut from the answers on the corpus of this release (one coder, no appraisals),
except where they show a shape the corpus cannot (two coders, an appraisal): those say so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.models.factors import _examples

BUILD = Field(description="Id of the build the numbers were computed from.")


class FactorWeight(BaseModel):
    """One factor's Shannon-entropy weight with the evidence behind it."""

    factor: str
    label: str
    label_fa: str | None = None
    category: str | None = None
    rank: int = Field(description="1 = highest weight; equal weights share a rank.")
    weight: float = Field(description="W_j = d_j / sum_j d_j.")
    entropy: float = Field(description="E_j, 0 (one study) to 1 (even over every study).")
    diversification: float = Field(description="d_j = 1 - E_j.")
    studies: int = Field(description="Included studies that code the factor (any role).")
    codes: int = Field(description="Cells of the study x factor matrix, summed.")


class Weights(BaseModel):
    """GET /analysis/weights."""

    build: str | None = BUILD
    studies: int = Field(description="m, the rows (coded included studies) of the matrix.")
    formula: str
    note: str
    error: str | None = Field(None, description="Why there are no weights, when there are none.")
    weights: list[FactorWeight]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "studies": 42,
            "formula": "p_ij = f_ij / sum_i f_ij; E_j = -(1/ln m) sum_i p_ij ln p_ij; "
            "d_j = 1 - E_j; W_j = d_j / sum_j d_j",
            "note": "The weight rewards concentration, not breadth: a factor coded in one "
            "study only has E = 0 and the top weight. Read it beside the number of studies.",
            "error": None,
            "weights": [
                {
                    "factor": "rural-location",
                    "label": "Rural location",
                    "label_fa": "موقعیت روستایی",
                    "category": "rural-context",
                    "rank": 50,
                    "weight": 0.007114068518529707,
                    "entropy": 0.6648277947394574,
                    "diversification": 0.3351722052605426,
                    "studies": 12,
                    "codes": 12,
                }
            ],
        }
    )


class MatrixColumn(BaseModel):
    """A factor or a category."""

    id: str
    label: str


class MatrixRow(BaseModel):
    """One included study's codes, in the order of `columns`."""

    study: str
    counts: list[int]


class FrequencyMatrix(BaseModel):
    """GET /analysis/matrix (JSON; CSV with Accept: text/csv or format=csv)."""

    build: str | None = BUILD
    by: Literal["factor", "category"]
    columns: list[MatrixColumn]
    rows: list[MatrixRow]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "by": "category",
            "columns": [
                {
                    "id": "entrepreneurial-orientation",
                    "label": "Entrepreneurial and international orientation",
                },
                {"id": "family-governance", "label": "Family ownership and governance"},
            ],
            "rows": [{"study": "alayo-2019", "counts": [1, 2]}],
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
    """GET /analysis/kappa."""

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
                "out-of-scope": 1,
            },
            "assessed_for_eligibility": 42,
            "excluded_at_fulltext": {},
            "included": 42,
        }
    )


class Pair(BaseModel):
    """Two factors coded in the same studies."""

    first: str
    second: str
    first_label: str
    second_label: str
    studies: int
    study_ids: list[str]


class Cooccurrence(BaseModel):
    """GET /analysis/cooccurrence."""

    build: str | None = BUILD
    minimum: int
    pairs: list[Pair]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
            "minimum": 1,
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
    """One category in one year."""

    category: str
    studies: int
    codes: int


class Year(BaseModel):
    """One year of publication."""

    year: int
    studies: int = Field(description="Included studies published that year.")
    codes: int
    categories: list[CategoryYear]


class Timeline(BaseModel):
    """GET /analysis/timeline."""

    build: str | None = BUILD
    years: list[Year]

    model_config = _examples(
        {
            "build": "a6ab4e1fe6ff6cdd",
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
