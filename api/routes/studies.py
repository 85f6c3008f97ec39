"""REST routes: the studies of the corpus, listed with filters and one by one."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam

from api.fastcache import cacheable
from api.models.studies import (
    AppraisalAnswer,
    Context,
    Decision,
    Labelled,
    Screening,
    ScreeningDetail,
    StudyCode,
    StudyDetail,
    StudyPage,
    StudySummary,
)
from api.named import Row, select
from api.paging import link_header
from api.problems import Problem, check_year_range, not_found, not_found_response
from api.rows import local, maybe_text, valid_id
from api.services.build import kept_rows
from api.services.ids import factor_ids
from kg import iris
from kg.namespaces import RSME

router = APIRouter(tags=["studies"])

_DECISIONS: dict[str, Decision] = {
    str(RSME.included): "included",
    str(RSME.excluded): "excluded",
}
_TYPES = {
    "http://purl.org/ontology/bibo/AcademicArticle": "article",
    "http://purl.org/ontology/bibo/Book": "book",
    "http://purl.org/ontology/bibo/Chapter": "chapter",
}


def labelled(row: Row, key: str, label_key: str) -> Labelled | None:
    """The term in row[key] with its label, or None when the row has none."""
    iri = row.get(key)
    if iri is None:
        return None
    return Labelled(id=local(iri), iri=iri, label=maybe_text(row.get(label_key)))


def authors_by_study(rows: list[Row]) -> dict[str, list[str]]:
    """Author names per study IRI, in the order of the study's author list."""
    ordered: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        ordered.setdefault(row["study"], []).append(
            (int(row["position"]), maybe_text(row["name"]) or "")
        )
    return {study: [name for _, name in sorted(names)] for study, names in ordered.items()}


def screening_of(row: Row) -> Screening | None:
    """The listed screening decision of a study row."""
    decision = _DECISIONS.get(row.get("decision") or "")
    if decision is None:
        return None
    return Screening(
        decision=decision,
        reason=labelled(row, "reason", "reasonLabel"),
    )


def summary(row: Row, authors: list[str]) -> StudySummary:
    """A row of study-list as a listed study."""
    return StudySummary(
        id=row["id"],
        iri=row["study"],
        title=row["title"],
        year=int(row["year"]),
        language=row["language"],
        authors=authors,
        venue=maybe_text(row.get("venue")),
        doi=row.get("doi"),
        doi_url=row.get("doiLink"),
        screening=screening_of(row),
        codes=int(row.get("codes", 0)),
    )


async def studies_with_factor(request: Request, factor: str) -> set[str]:
    """The IRIs of the studies with a code for a factor; 422 with suggestions if it is unknown."""
    rows = await select(request, "api/study-factors", factor=iris.factor(factor))
    if not rows:
        close = not_found("factor", factor, set(await factor_ids(request)))
        raise Problem(
            422,
            "Invalid parameters",
            f"no factor with id {factor!r}",
            kind="invalid-parameters",
            errors=[{"location": ["query", "factor"], "message": "unknown factor id"}],
            suggestions=close.extra["suggestions"],
        )
    return {r["study"] for r in rows if r.get("study")}


STUDY_LIST_EXAMPLE: dict[str, Any] = {
    "total": 1,
    "limit": 20,
    "offset": 0,
    "items": [
        {
            "id": "assadinia-2019",
            "iri": "https://w3id.org/rsme-kg/id/study/assadinia-2019",
            "title": "The effects of learning orientation and marketing programme planning on "
            "export performance: Paradoxical moderating role of psychic distance",
            "year": 2019,
            "language": "en",
            "authors": ["Assadinia, S.", "Kadile, V.", "Boso, N."],
            "venue": "International Small Business Journal: Researching Entrepreneurship",
            "doi": "10.1177/0266242619831914",
            "doi_url": "https://doi.org/10.1177/0266242619831914",
            "screening": {"decision": "included", "reason": None},
            "codes": 3,
        }
    ],
}


@cacheable
@router.get(
    "/studies",
    response_model=StudyPage,
    summary="Studies of the corpus, filtered and paginated",
    responses={
        200: {
            "description": "One page of studies; `Link` (first, prev, next, last) and "
            "`X-Total-Count` headers give the way through the rest",
            "content": {"application/json": {"example": STUDY_LIST_EXAMPLE}},
        }
    },
)
async def list_studies(
    request: Request,
    response: Response,
    year: Annotated[int | None, Query(ge=1000, le=9999, description="Exact year")] = None,
    year_from: Annotated[int | None, Query(ge=1000, le=9999, description="Earliest year")] = None,
    year_to: Annotated[int | None, Query(ge=1000, le=9999, description="Latest year")] = None,
    language: Annotated[
        str | None, Query(pattern=r"^[a-z]{2,3}$", description="Language: en or fa")
    ] = None,
    decision: Annotated[Decision | None, Query(description="Screening decision")] = None,
    factor: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9-]+$",
            description="A factor id: only studies with a code for it",
            examples=["psychic-distance"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    offset: Annotated[int, Query(ge=0, description="Studies to skip.")] = 0,
) -> StudyPage:
    """The studies that pass every filter given, ordered by id, one page at a time."""
    if year is not None and (year_from is not None or year_to is not None):
        raise Problem(
            422,
            "Invalid parameters",
            "give either year or a year_from/year_to range, not both",
            kind="invalid-parameters",
            errors=[{"location": ["query", "year"], "message": "year excludes a range"}],
        )
    check_year_range(year_from, year_to)
    # Filtering happens here, not in SPARQL: the remote backend binds values with a trailing
    # VALUES block, joined after the pattern, so a bound value cannot drive a FILTER (a year
    # range); the list is one row per study and the embedded backend caches it per build.
    rows, author_rows = await asyncio.gather(
        kept_rows(request, "api/study-list"), kept_rows(request, "api/study-authors")
    )
    wanted = await studies_with_factor(request, factor) if factor is not None else None
    low = year if year is not None else year_from
    high = year if year is not None else year_to
    matching = [
        row
        for row in rows
        if (low is None or int(row["year"]) >= low)
        and (high is None or int(row["year"]) <= high)
        and (language is None or row["language"] == language)
        and (decision is None or _DECISIONS.get(row.get("decision") or "") == decision)
        and (wanted is None or row["study"] in wanted)
    ]
    authors = authors_by_study(author_rows)
    page = matching[offset : offset + limit]
    total = len(matching)
    response.headers["X-Total-Count"] = str(total)
    response.headers["Link"] = link_header(request.url, total, limit, offset)
    return StudyPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[summary(row, authors.get(row["study"], [])) for row in page],
    )


STUDY_EXAMPLE: dict[str, Any] = {
    "id": "ruzzier-2007",
    "iri": "https://w3id.org/rsme-kg/id/study/ruzzier-2007",
    "type": "article",
    "title": "Human Capital and SME Internationalization: A Structural Equation Modeling Study",
    "year": 2007,
    "authors": ["Ruzzier, M.", "Hisrich, R. D.", "Konecnik, M."],
    "language": "en",
    "venue": "CANADIAN JOURNAL OF ADMINISTRATIVE SCIENCES-REVUE CANADIENNE DES SCIENCES DE "
    "L ADMINISTRATION",
    "volume": "24",
    "issue": None,
    "pages": "15–29",
    "doi": "10.1002/cjas.3",
    "doi_url": "https://doi.org/10.1002/cjas.3",
    "publisher": None,
    "place": None,
    "citation": "Ruzzier, M., Hisrich, R. D., & Konecnik, M. (2007). ‘Human Capital and SME "
    "Internationalization\u202f: A Structural Equation Modeling Study’, CANADIAN JOURNAL OF "
    "ADMINISTRATIVE SCIENCES-REVUE CANADIENNE DES SCIENCES DE L ADMINISTRATION, 24, pp. 15–29. "
    "doi: 10.1002/CJAS.3.",
    "editorial_note": 'Title: corrected "Internationalization\u202f: A" (seed) to '
    '"Internationalization: A" (PDF-artifact narrow no-break space before ":" removed); DOI: '
    'lower-cased "10.1002/CJAS.3" (seed) to "10.1002/cjas.3"',
    "context": {
        "country": None,
        "region": None,
        "rural": None,
        "sector": None,
        "firm_type": "SME",
    },
    "methods": [
        {
            "id": "structural-equation-modeling",
            "iri": "https://w3id.org/rsme-kg/id/method/structural-equation-modeling",
            "label": "Structural equation modeling",
        }
    ],
    "screening": {
        "decision": "included",
        "reason": None,
        "stage": "title",
        "note": "Included: the title studies human capital and SME internationalization "
        "(structural equation modeling)",
        "screener": {
            "id": "rsme-kg-editors",
            "iri": "https://w3id.org/rsme-kg/id/agent/rsme-kg-editors",
            "label": "rsme-kg editors",
        },
    },
    "codes": [
        {
            "id": "ruzzier-2007-1",
            "iri": "https://w3id.org/rsme-kg/id/code/ruzzier-2007-1",
            "factor": {
                "id": "entrepreneur-human-capital",
                "iri": "https://w3id.org/rsme-kg/id/factor/entrepreneur-human-capital",
                "label": "Human capital of the entrepreneur and managers",
            },
            "quote": "Human Capital",
            "basis": "title",
            "direction": None,
            "outcome": {
                "id": "internationalization",
                "iri": "https://w3id.org/rsme-kg/id/outcome/internationalization",
                "label": "Internationalization",
            },
            "coder": {
                "id": "rsme-kg-editors",
                "iri": "https://w3id.org/rsme-kg/id/agent/rsme-kg-editors",
                "label": "rsme-kg editors",
            },
        }
    ],
    "appraisal": [],
}


def context_of(row: Row) -> Context | None:
    """The study's context, or None when it reports none."""
    context = Context(
        country=maybe_text(row.get("country")),
        region=maybe_text(row.get("region")),
        rural=row.get("rural"),
        sector=maybe_text(row.get("sector")),
        firm_type=maybe_text(row.get("firmType")),
    )
    return context if context.model_dump(exclude_none=True) else None


def code_of(row: Row) -> StudyCode:
    """A row of study-codes as a code."""
    factor = labelled(row, "factor", "factorLabel")
    assert factor is not None  # the query requires it
    return StudyCode(
        id=row["id"],
        iri=row["code"],
        factor=factor,
        quote=maybe_text(row["quote"]) or "",
        basis=local(row["basis"]) if row.get("basis") else None,
        direction=local(row["direction"]) if row.get("direction") else None,
        outcome=labelled(row, "outcome", "outcomeLabel"),
        coder=labelled(row, "coder", "coderName"),
    )


def answer_of(row: Row) -> AppraisalAnswer:
    """A row of study-appraisals as an answer."""
    return AppraisalAnswer(
        appraiser=labelled(row, "appraiser", "appraiserName"),
        criterion=int(row["criterion"]),
        answer=local(row["answer"]),
        score=row.get("score"),
        comment=maybe_text(row.get("comment")),
    )


@cacheable
@router.get(
    "/studies/{study_id}",
    response_model=StudyDetail,
    summary="One study: bibliographic data, context, methods, screening, codes, appraisal",
    responses={
        200: {"content": {"application/json": {"example": STUDY_EXAMPLE}}},
        **not_found_response(
            "No study with this id; `suggestions` lists close ids",
            "study",
            "ruzier-2007",
            "ruzzier-2007",
            "/studies/ruzier-2007",
        ),
    },
)
async def get_study(
    request: Request,
    study_id: Annotated[str, PathParam(description="The id of a study, e.g. ruzzier-2007.")],
) -> StudyDetail:
    """Everything the graph holds about the study with this id."""
    if not valid_id(study_id):
        known = await kept_rows(request, "api/study-list")
        raise not_found("study", study_id, [r["id"] for r in known])
    study = iris.study(study_id)
    rows, author_rows, method_rows, code_rows, answer_rows = await asyncio.gather(
        select(request, "api/study-detail", study=study),
        select(request, "api/study-authors", study=study),
        select(request, "api/study-methods", study=study),
        select(request, "api/study-codes", study=study),
        select(request, "api/study-appraisals", study=study),
    )
    if not rows:
        known = await kept_rows(request, "api/study-list")
        raise not_found("study", study_id, [r["id"] for r in known])
    row = rows[0]  # one row unless a single-valued property was given twice: keep the first
    screening = None
    decision = _DECISIONS.get(row.get("decision") or "")
    if decision is not None:
        screening = ScreeningDetail(
            decision=decision,
            reason=labelled(row, "reason", "reasonLabel"),
            stage=maybe_text(row.get("stage")),
            note=maybe_text(row.get("screeningNote")),
            screener=labelled(row, "screener", "screenerName"),
        )
    return StudyDetail(
        id=row["id"],
        iri=row["study"],
        type=_TYPES.get(row.get("type") or ""),
        title=row["title"],
        year=int(row["year"]),
        authors=authors_by_study(author_rows).get(str(study), []),
        language=row["language"],
        venue=maybe_text(row.get("venue")),
        volume=maybe_text(row.get("volume")),
        issue=maybe_text(row.get("issue")),
        pages=maybe_text(row.get("pages")),
        doi=row.get("doi"),
        doi_url=row.get("doiLink"),
        publisher=maybe_text(row.get("publisher")),
        place=maybe_text(row.get("place")),
        citation=maybe_text(row.get("citation")),
        editorial_note=maybe_text(row.get("editorialNote")),
        context=context_of(row),
        methods=[m for m in (labelled(r, "method", "label") for r in method_rows) if m],
        screening=screening,
        codes=[code_of(r) for r in code_rows],
        appraisal=[answer_of(r) for r in answer_rows],
    )
