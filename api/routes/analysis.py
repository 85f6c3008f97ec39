"""REST routes: the analytics of the meta-synthesis and its pictures, on either backend.

Every route takes the analysis from api.services.analysis (the named queries of
kg/queries/analysis/ run through the backend, so a remote store gives the same numbers as the
embedded one; kept once per build of the embedded store) and serialises it with
kg.analysis.report, as `rsme-kg report` does. Pictures are drawn in a worker thread, one at a
time (matplotlib's text layout and font cache are shared state), and kept by the digest of the
rows they were drawn from (api.services.analysis.Pictures). Every
count of support leaves out the codes whose direction is context (they name the study's
setting, counted apart at /analysis/settings); kappa counts every code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api import pages, warmup
from api.fastcache import cacheable
from api.models import analysis as models
from api.problems import Problem
from api.responses import Offers, negotiate
from api.services.analysis import (
    PICTURES,
    current,
    everything_json,
    picture_key,
    site_picture,
    with_digest,
)
from api.services.build import once
from kg.analysis import figures
from kg.analysis.document import render_body
from kg.analysis.matrix import to_csv
from kg.analysis.report import (
    appraisal_json,
    cooccurrence_json,
    flow_json,
    kappa_json,
    matrix_json,
    settings_json,
    timeline_json,
    weights_json,
)

router = APIRouter(prefix="/analysis", tags=["analysis"])
_PICTURE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
Lang = Annotated[Literal["en", "fa"], Query(description="Language of the labels.")]
# the analysis routes have always listed the formats they offer as "offers" in a 406
_JSON_OR_HTML = Offers(("application/json", "text/html"), "this resource", listed_as="offers")
_JSON_OR_CSV = Offers(("application/json", "text/csv"), "this resource", listed_as="offers")


@cacheable
@router.get(
    "",
    summary="Every result of the analytics: one JSON document, or the report as a web page",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}, "text/html": {}}},
        406: {"description": "Neither JSON nor HTML is acceptable."},
    },
)
async def all_results(
    request: Request,
    lang: Lang = "en",
    cutoff: Annotated[
        float | None,
        Query(allow_inf_nan=False, description="Appraisal inclusion cut-off on a study's total."),
    ] = None,
) -> Response:
    """Flow, weights, both matrices, settings, co-occurrence, timeline, kappa and appraisal as
    JSON; a browser (Accept: text/html) gets the report of `rsme-kg report` with its pictures.
    Every count of support leaves the settings (direction context) out; `settings` counts them."""
    if negotiate(request, _JSON_OR_HTML) == "application/json":
        body = await everything_json(request, cutoff)
        return Response(body, media_type="application/json", headers={"Vary": "Accept"})
    body = await report_page(request, lang, cutoff)
    return Response(body, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


async def report_page(request: Request, lang: str = "en", cutoff: float | None = None) -> bytes:
    """The report as the /analysis page, with its pictures; drawn once per build (api.warmup
    draws the English one ahead): a page of 2 MB at 100k triples, whose "generated" then says
    when it was drawn."""
    analysis, digest = await with_digest(request, cutoff)

    def page() -> bytes:
        svgs = {
            name: PICTURES.get(
                picture_key(request, digest, name, "svg", lang),
                lambda name=name: site_picture(request, analysis, name, "svg", lang),  # type: ignore[misc]
            )
            for name in figures.names()
        }
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

        def href(name: str, fmt: str) -> str:
            path = request.url_for("picture", name=name, extension=fmt).path
            return f"{path}?lang={lang}"

        # the report's body (kg/analysis/templates/body.html) in the site's layout
        return pages.render(
            request, "analysis.html", body=render_body(analysis, svgs, generated, href)
        )

    where = request.scope.get("root_path", "")
    return await once(
        request, ("analysis-page", lang, cutoff, where), lambda: run_in_threadpool(page)
    )


@warmup.step("report page", late=True)
async def _warm_report(request: Request) -> None:
    await report_page(request, "en")


@warmup.step("matrix as JSON")
async def _warm_matrix(request: Request) -> None:
    await matrix_body(request, "factor")


@cacheable
@router.get(
    "/weights",
    summary="Shannon-entropy weights of the factors, with ranks",
    response_model=models.Weights,
)
async def weights(request: Request) -> dict[str, Any]:
    """Weights with ranks (equal weights share one), the supporting studies and codes beside each
    (settings are not counted: a factor that only names settings has no weight)."""
    return weights_json(await current(request))


@cacheable
@router.get(
    "/matrix",
    summary="The study x factor or study x category frequency matrix of support (JSON or CSV)",
    response_model=models.FrequencyMatrix,
    responses={200: {"content": {"text/csv": {}}}},
)
async def matrix(
    request: Request,
    by: Annotated[
        Literal["factor", "category"], Query(description="Columns: factors or categories.")
    ] = "factor",
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="Overrides the Accept header."),
    ] = None,
) -> Response:
    """Support codes per coded included study (rows) and factor or category (columns); a study
    coded only for its setting is a row of zeros."""
    analysis = await current(request)
    kind = format or negotiate(request, _JSON_OR_CSV)
    if kind in ("csv", "text/csv"):
        cells = analysis.factor_matrix if by == "factor" else analysis.category_matrix
        order = analysis.factor_order() if by == "factor" else analysis.dataset.categories
        return Response(
            to_csv(cells, order),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'inline; filename="matrix-{by}.csv"',
                "Vary": "Accept",
            },
        )
    body = await matrix_body(request, by)
    return Response(body, media_type="application/json", headers={"Vary": "Accept"})


async def matrix_body(request: Request, by: str = "factor") -> bytes:
    """The frequency matrix as JSON, encoded once per build (a megabyte at 100k triples)."""

    async def encoded() -> bytes:
        found = await current(request)
        return json.dumps(matrix_json(found, by), ensure_ascii=False).encode("utf-8")

    return await once(request, ("matrix-json", by), encoded)


@cacheable
@router.get(
    "/kappa",
    summary="Agreement between coders: Cohen's and Fleiss' kappa",
    response_model=models.Agreement,
)
async def kappa(request: Request) -> dict[str, Any]:
    """Per pair of coders (overall and per factor) with Landis-Koch bands, or why there is none.

    Over every code, settings included: agreement measures the coding, not support."""
    return kappa_json(await current(request))


@cacheable
@router.get(
    "/flow",
    summary="Screening-flow counts in the PRISMA 2020 shape",
    response_model=models.Flow,
)
async def flow(request: Request) -> dict[str, Any]:
    """Records identified, screened, excluded with reasons, assessed and included."""
    return flow_json(await current(request))


@cacheable
@router.get(
    "/cooccurrence",
    summary="Pairs of factors supported by the same study",
    response_model=models.Cooccurrence,
)
async def cooccurrence(
    request: Request,
    min_studies: Annotated[
        int, Query(ge=1, description="Only pairs shared by at least this many studies.")
    ] = 1,
) -> dict[str, Any]:
    """Pairs with the number and ids of the studies that support both factors."""
    return cooccurrence_json(await current(request), min_studies)


@cacheable
@router.get(
    "/timeline",
    summary="Included studies and support codes per year, overall and per category",
    response_model=models.Timeline,
)
async def timeline(request: Request) -> dict[str, Any]:
    """Evidence over time (settings not counted)."""
    return timeline_json(await current(request))


@cacheable
@router.get(
    "/settings",
    summary="The settings studied (codes whose direction is context), per category and factor",
    response_model=models.Settings,
)
async def settings(request: Request) -> dict[str, Any]:
    """The included studies whose setting each category and factor is, counted apart from
    support (the band 'settings studied' of the model picture)."""
    return settings_json(await current(request))


@cacheable
@router.get(
    "/appraisal",
    summary="CASP quality appraisal per study and per criterion",
    response_model=models.Appraisal,
)
async def appraisal(
    request: Request,
    cutoff: Annotated[
        float | None,
        Query(
            allow_inf_nan=False,
            description="Inclusion cut-off on a study's total (sum of scores or yes answers).",
        ),
    ] = None,
) -> dict[str, Any]:
    """Answer counts and totals per study and appraiser, counts per criterion, who passes."""
    return appraisal_json(await current(request, cutoff))


@cacheable
@router.get(
    "/{name}.{extension}",
    summary=f"A picture: {figures.in_words()}, as SVG or PNG",
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}},
        404: {"description": "No such picture."},
    },
    response_class=Response,
)
async def picture(
    request: Request,
    name: Annotated[str, PathParam(description=", ".join(figures.names()))],
    extension: Annotated[str, PathParam(description="svg or png")],
    lang: Lang = "en",
) -> Response:
    """The picture drawn from the current data; Persian labels with lang=fa."""
    if name not in figures.names() or extension not in _PICTURE_TYPES:
        raise Problem(
            404,
            "Not found",
            f"no picture {name}.{extension}; pictures: "
            + ", ".join(f"{n}.svg|png" for n in figures.names()),
            kind="not-found",
            suggestions=[f"{n}.svg" for n in figures.names()],
        )
    analysis, digest = await with_digest(request)
    body = await run_in_threadpool(
        PICTURES.get,
        picture_key(request, digest, name, extension, lang),
        lambda: site_picture(request, analysis, name, extension, lang),
    )
    return Response(body, media_type=_PICTURE_TYPES[extension])
