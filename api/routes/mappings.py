"""The taxonomy's curated mappings to outside vocabularies as an SSSOM mapping set: /mappings.

SSSOM (Simple Standard for Sharing Ontological Mappings): a TSV table whose metadata is a
YAML block in commented lines above it, or the same as JSON. The answer comes from the
curated set in the graph (graph/mappings, built from mappings/rsme-kg.sssom.tsv): every row's
justification, authors, reviewers, date, confidence, comment and labels, and the set's
metadata. The TSV is written by kg/sssom.py, the writer of the curated file itself, so the
rows and metadata read back as they were curated; the JSON carries the same slots plus a
JSON-LD `@context` of the prefixes, the form sssom-py's JSON reader takes.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from rdflib import Graph

from api.fastcache import cacheable
from api.named import construct
from api.problems import PROBLEM_TYPE
from api.responses import (
    JSON,
    TSV,
    VARIANTS,
    build_tag,
    format_query,
    linked_data,
    negotiate,
    send,
    unchanged,
)
from kg import sssom
from kg.namespaces import BASE

router = APIRouter(tags=["mappings"])

MAPPING_SET_ID = BASE + "mappings"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "rsme-kg factor taxonomy: mappings to Wikidata, STW and AGROVOC"
JUSTIFICATION = "semapv:ManualMappingCuration"
SEMAPV = sssom.SEMAPV
OFFERS = linked_data((JSON, TSV), "the mapping set")

_EXAMPLE_MAPPING: dict[str, Any] = {
    "subject_id": "category:human-capital",
    "subject_label": "Human capital",
    "predicate_id": "skos:closeMatch",
    "object_id": "stw:11224-2",
    "object_label": "Human capital",
    "mapping_justification": JUSTIFICATION,
    "author_id": ["agent:rsme-kg-editors"],
    "author_label": ["rsme-kg editors"],
    "mapping_date": "2026-11-27",
    "confidence": 0.9,
    "comment": "closeMatch: the same idea of knowledge and skills as an economic resource; "
    "the category scopes it to the entrepreneur and management team, so not exactMatch.",
}
_EXAMPLE_CURIE_MAP: dict[str, Any] = {
    "agent": "https://w3id.org/rsme-kg/id/agent/",
    "agrovoc": "http://aims.fao.org/aos/agrovoc/",
    "category": "https://w3id.org/rsme-kg/id/category/",
    "factor": "https://w3id.org/rsme-kg/id/factor/",
    "outcome": "https://w3id.org/rsme-kg/id/outcome/",
    "semapv": SEMAPV,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "stw": "http://zbw.eu/stw/descriptor/",
    "wd": "http://www.wikidata.org/entity/",
}
_EXAMPLE_TSV = (
    "#curie_map:\n#  agent: https://w3id.org/rsme-kg/id/agent/\n#  ...\n"
    f"#mapping_set_id: {MAPPING_SET_ID}\n#mapping_set_version: 0.1.0\n"
    f"#mapping_set_title: '{TITLE}'\n#license: {LICENSE}\n#publication_date: '2026-12-06'\n"
    "subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\t"
    "mapping_justification\tauthor_id\tauthor_label\tmapping_date\tconfidence\tcomment\n"
    "category:human-capital\tHuman capital\tskos:closeMatch\tstw:11224-2\tHuman capital\t"
    f"{JUSTIFICATION}\tagent:rsme-kg-editors\trsme-kg editors\t2026-11-27\t0.9\t...\n"
)


class Mapping(BaseModel):
    """One curated mapping of a taxonomy concept to a concept of an outside vocabulary.

    The SSSOM slots the curated file fills; any other SSSOM slot a row has is passed on too.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE_MAPPING]})

    subject_id: str = Field(description="The taxonomy concept, as a CURIE of the curie_map.")
    subject_label: str | None = Field(None, description="Its English preferred label.")
    predicate_id: str = Field(description="skos:exactMatch, closeMatch, broadMatch, ...")
    predicate_modifier: str | None = Field(None, description="Not: the mapping was rejected.")
    object_id: str = Field(description="The outside concept (Wikidata, STW or AGROVOC).")
    object_label: str | None = Field(
        None, description="Its label, where a primary source gives it."
    )
    mapping_justification: str = Field(description="How it was made (a SEMAPV term).")
    author_id: list[str] | None = Field(None, description="Who asserted it (CURIEs).")
    author_label: list[str] | None = Field(None, description="Their names.")
    reviewer_id: list[str] | None = Field(None, description="Who reviewed it (CURIEs).")
    reviewer_label: list[str] | None = Field(None, description="Their names.")
    mapping_date: str | None = Field(None, description="When it was asserted (YYYY-MM-DD).")
    review_date: str | None = Field(None, description="When it was reviewed (YYYY-MM-DD).")
    confidence: float | None = Field(None, ge=0, le=1, description="The curators' confidence.")
    comment: str | None = Field(None, description="Why this predicate.")


class MappingSet(BaseModel):
    """The SSSOM mapping set of the taxonomy, curated in mappings/rsme-kg.sssom.tsv."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "@context": _EXAMPLE_CURIE_MAP,
                    "curie_map": _EXAMPLE_CURIE_MAP,
                    "mapping_set_id": MAPPING_SET_ID,
                    "mapping_set_version": "0.1.0",
                    "mapping_set_title": TITLE,
                    "license": LICENSE,
                    "creator_id": ["agent:rsme-kg-editors"],
                    "creator_label": ["rsme-kg editors"],
                    "publication_date": "2026-12-06",
                    "mappings": [_EXAMPLE_MAPPING],
                }
            ]
        },
    )

    context: dict[str, str] = Field(
        alias="@context",
        description="The prefixes as a JSON-LD context: what sssom-py's JSON reader expands "
        "CURIEs with.",
    )
    curie_map: dict[str, str] = Field(description="Prefix -> namespace for every CURIE used.")
    mapping_set_id: str = Field(description="The IRI of this mapping set.")
    mapping_set_version: str | None = Field(None, description="The set's version.")
    mapping_set_title: str | None = None
    mapping_set_description: str | None = Field(
        None, description="What the set holds and the curators' rules (confidence, dates)."
    )
    license: str
    creator_id: list[str] | None = None
    creator_label: list[str] | None = None
    mapping_date: str | None = Field(None, description="When the mappings were asserted.")
    publication_date: str | None = Field(None, description="When this set was built.")
    mappings: list[Mapping]


def _plain(value: Any) -> Any:
    """A slot value as JSON has it: tuples as lists, dates as ISO text."""
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


async def curated_set(request: Request) -> sssom.MappingSet:
    """The curated mapping set as kg/sssom.py reads it back from the graph (either backend),
    with the built-in prefixes its CURIEs use added to its curie_map."""
    meta, rows = await asyncio.gather(
        construct(request, "api/mapping-set"), construct(request, "api/mapping-list")
    )
    graph = Graph()
    for triple in (*meta, *rows):
        graph.add(triple)
    found = sssom.from_graph(graph) if len(graph) else sssom.MappingSet(_empty_metadata())
    curie_map = dict(found.metadata.get("curie_map") or {})
    for prefix in _used_prefixes(found):
        if prefix in sssom.BUILTIN_PREFIXES:
            curie_map.setdefault(prefix, sssom.BUILTIN_PREFIXES[prefix])
    found.metadata["curie_map"] = dict(sorted(curie_map.items()))
    return found


def _empty_metadata() -> dict[str, Any]:
    """The metadata of a build without curated mappings: the set exists, with no rows."""
    return {"curie_map": {}, "mapping_set_id": MAPPING_SET_ID, "license": LICENSE}


def _used_prefixes(mapping_set: sssom.MappingSet) -> set[str]:
    used = {"semapv", "skos"}
    for mapping in mapping_set.mappings:
        for name, value in mapping.values().items():
            if sssom.MAPPING_SLOTS[name].kind != "ref":
                continue
            for item in value if isinstance(value, tuple) else (value,):
                used.add(str(item).split(":", 1)[0])
    for name in ("creator_id",):
        for item in mapping_set.metadata.get(name) or []:
            used.add(str(item).split(":", 1)[0])
    return used


def json_model(mapping_set: sssom.MappingSet) -> MappingSet:
    """The JSON answer: the set's metadata, its prefixes as @context and curie_map, its rows."""
    metadata = {k: _plain(v) for k, v in mapping_set.metadata.items() if k != "curie_map"}
    curie_map = dict(mapping_set.metadata.get("curie_map") or {})
    rows = [Mapping(**{k: _plain(v) for k, v in m.values().items()}) for m in mapping_set.mappings]
    return MappingSet.model_validate(
        {**metadata, "@context": curie_map, "curie_map": curie_map, "mappings": rows}
    )


@cacheable
@router.get(
    "/mappings",
    summary="Mappings of the taxonomy to Wikidata, STW and AGROVOC (SSSOM: JSON or TSV)",
    response_model=MappingSet,
    responses={
        200: {
            "description": "The mapping set: JSON (default) or SSSOM/TSV (format=tsv or "
            "Accept: text/tab-separated-values); Vary: Accept, ETag",
            "content": {TSV: {"example": _EXAMPLE_TSV}},
        },
        304: {"description": "Not modified: If-None-Match names the current ETag"},
        406: {
            "description": "Neither JSON nor TSV is acceptable",
            "content": {
                PROBLEM_TYPE: {
                    "example": {
                        "type": "https://w3id.org/rsme-kg/problems/not-acceptable",
                        "title": "Not acceptable",
                        "status": 406,
                        "detail": "the mapping set is available as application/json "
                        "(format=json), text/tab-separated-values (format=tsv)",
                        "acceptable": list(OFFERS.media),
                    }
                }
            },
        },
    },
)
async def mappings(
    request: Request,
    format: Annotated[
        str | None, format_query(OFFERS.media, "tsv for SSSOM TSV, json (the default) for JSON.")
    ] = None,
) -> Response:
    """The curated mappings of the taxonomy concepts to outside concepts, as SSSOM."""
    media = negotiate(request, OFFERS)
    tag = await build_tag(request, f"sssom-{VARIANTS[media]}")
    current = unchanged(request, tag)
    if current is not None:  # the same build: no need to ask the store
        return current
    data = await curated_set(request)
    if media == TSV:
        headers = {"Content-Disposition": 'inline; filename="rsme-kg.sssom.tsv"'}
        return send(request, sssom.sssom_bytes(data), media, tag, headers)
    body = json_model(data).model_dump_json(indent=2, by_alias=True, exclude_none=True)
    return send(request, body.encode("utf-8"), media, tag)


router.add_api_route("/mappings", mappings, methods=["HEAD"], include_in_schema=False)
