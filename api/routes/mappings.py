"""The taxonomy's mappings to outside vocabularies as an SSSOM mapping set: /mappings.

SSSOM (Simple Standard for Sharing Ontological Mappings): a TSV table whose metadata is a
YAML block in commented lines above it, or the same as JSON. Identifiers are CURIEs expanded
by the set's curie_map. Every mapping was chosen by hand from a verified list of outside
identifiers, hence semapv:ManualMappingCuration.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.fastcache import cacheable
from api.linkeddata import curie
from api.named import select
from api.problems import PROBLEM_TYPE
from api.responses import (
    JSON,
    TSV,
    VARIANTS,
    build_tag,
    linked_data,
    negotiate,
    send,
    unchanged,
)
from api.rows import maybe_text
from kg.namespaces import BASE, PREFIXES

router = APIRouter(tags=["mappings"])

MAPPING_SET_ID = BASE + "mappings"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "rsme-kg factor taxonomy: mappings to Wikidata, STW and AGROVOC"
JUSTIFICATION = "semapv:ManualMappingCuration"
SEMAPV = "https://w3id.org/semapv/vocab/"
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "mapping_justification",
    "author_label",
    "subject_source",
)
OFFERS = linked_data((JSON, TSV), "the mapping set")

_EXAMPLE_MAPPING: dict[str, Any] = {
    "subject_id": "category:human-capital",
    "subject_label": "Human capital",
    "predicate_id": "skos:closeMatch",
    "object_id": "wd:Q165687",
    "mapping_justification": JUSTIFICATION,
    "author_label": ["rsme-kg editors"],
    "subject_source": "scheme:factors",
}
_EXAMPLE_CURIE_MAP: dict[str, Any] = {
    "agrovoc": "http://aims.fao.org/aos/agrovoc/",
    "category": "https://w3id.org/rsme-kg/id/category/",
    "factor": "https://w3id.org/rsme-kg/id/factor/",
    "outcome": "https://w3id.org/rsme-kg/id/outcome/",
    "scheme": "https://w3id.org/rsme-kg/id/scheme/",
    "semapv": SEMAPV,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "stw": "http://zbw.eu/stw/descriptor/",
    "wd": "http://www.wikidata.org/entity/",
}
_EXAMPLE_TSV = (
    "#curie_map:\n#  agrovoc: http://aims.fao.org/aos/agrovoc/\n"
    "#  category: https://w3id.org/rsme-kg/id/category/\n#  ...\n"
    f"#mapping_set_id: {MAPPING_SET_ID}\n#mapping_set_version: 0.1.0\n"
    f"#license: {LICENSE}\n#mapping_date: 2026-11-27\n"
    + "\t".join(COLUMNS)
    + "\ncategory:human-capital\tHuman capital\tskos:closeMatch\twd:Q165687\t"
    + f"{JUSTIFICATION}\trsme-kg editors\tscheme:factors\n"
)


class Mapping(BaseModel):
    """One mapping of a taxonomy concept to a concept of an outside vocabulary."""

    subject_id: str = Field(description="The taxonomy concept, as a CURIE of the curie_map.")
    subject_label: str | None = Field(None, description="Its English preferred label.")
    predicate_id: str = Field(description="skos:exactMatch, closeMatch, broadMatch, ...")
    object_id: str = Field(description="The outside concept (Wikidata, STW or AGROVOC).")
    mapping_justification: str = Field(JUSTIFICATION, description="How it was made (SEMAPV).")
    author_label: list[str] = Field(default_factory=list, description="Who asserted it.")
    subject_source: str | None = Field(None, description="The concept scheme of the subject.")

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE_MAPPING]}}


class MappingSet(BaseModel):
    """The SSSOM mapping set of the taxonomy."""

    mapping_set_id: str = Field(description="The IRI of this mapping set.")
    mapping_set_version: str | None = Field(None, description="The ontology release.")
    mapping_set_title: str
    license: str
    creator_label: list[str] = Field(default_factory=list)
    mapping_date: str | None = Field(None, description="When the mappings were asserted.")
    publication_date: str | None = Field(None, description="When this set was built.")
    curie_map: dict[str, str] = Field(description="Prefix -> namespace for every CURIE used.")
    mappings: list[Mapping]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "mapping_set_id": MAPPING_SET_ID,
                    "mapping_set_version": "0.1.0",
                    "mapping_set_title": TITLE,
                    "license": LICENSE,
                    "creator_label": ["rsme-kg editors"],
                    "mapping_date": "2026-11-27",
                    "publication_date": "2026-11-27",
                    "curie_map": _EXAMPLE_CURIE_MAP,
                    "mappings": [_EXAMPLE_MAPPING],
                }
            ]
        }
    }


def _prefix_of(curie: str | None) -> str | None:
    if not curie or ":" not in curie or curie.startswith(("http:", "https:")):
        return None
    return curie.split(":", 1)[0]


async def mapping_set(request: Request) -> MappingSet:
    """The mapping set, from the named queries (either backend)."""
    rows, meta_rows = await asyncio.gather(
        select(request, "api/mapping-list"), select(request, "api/mapping-set")
    )
    meta = meta_rows[0] if meta_rows else {}
    creators = [str(meta["creator"])] if meta.get("creator") else []
    mappings = [
        Mapping(
            subject_id=curie(str(row["subject"])),
            subject_label=maybe_text(row.get("subjectLabel")),
            predicate_id=curie(str(row["predicate"])),
            object_id=curie(str(row["object"])),
            author_label=creators,
            subject_source=curie(str(row["scheme"])) if row.get("scheme") else None,
        )
        for row in rows
    ]
    used = {"skos", "semapv"}
    for m in mappings:
        used.update(
            p
            for p in (
                _prefix_of(m.subject_id),
                _prefix_of(m.predicate_id),
                _prefix_of(m.object_id),
                _prefix_of(m.subject_source),
            )
            if p
        )
    namespaces = {**PREFIXES, "semapv": SEMAPV}
    published = meta.get("published")
    return MappingSet(
        mapping_set_id=MAPPING_SET_ID,
        mapping_set_version=str(meta["release"]) if meta.get("release") else None,
        mapping_set_title=TITLE,
        license=LICENSE,
        creator_label=creators,
        # the taxonomy records no date per mapping: they were made for the ontology release
        mapping_date=str(meta["asserted"])[:10] if meta.get("asserted") else None,
        publication_date=str(published)[:10] if published else None,
        curie_map={p: namespaces[p] for p in sorted(used) if p in namespaces},
        mappings=mappings,
    )


def _yaml_scalar(value: str) -> str:
    """A YAML scalar: plain when safe, else a JSON string (JSON strings are YAML)."""
    plain = value and value[0] not in "-?:,[]{}#&*!|>'\"%@`" and ": " not in value
    return value if plain and " #" not in value and value.strip() == value else json.dumps(value)


def _metadata_lines(data: MappingSet) -> Iterable[str]:
    yield "curie_map:"
    for prefix, namespace in data.curie_map.items():
        yield f"  {prefix}: {_yaml_scalar(namespace)}"
    fields = data.model_dump(exclude={"curie_map", "mappings"}, exclude_none=True)
    for key, value in fields.items():
        if isinstance(value, list):
            if value:
                yield f"{key}:"
                yield from (f"  - {_yaml_scalar(str(v))}" for v in value)
        else:
            yield f"{key}: {_yaml_scalar(str(value))}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)  # SSSOM's separator for multivalued slots
    # a tab or line break would break the table
    return " ".join(str(value).split())


def sssom_tsv(data: MappingSet) -> bytes:
    """SSSOM/TSV with the metadata embedded as a commented YAML block."""
    lines = [f"#{line}" for line in _metadata_lines(data)]
    lines.append("\t".join(COLUMNS))
    for mapping in data.mappings:
        row = mapping.model_dump()
        lines.append("\t".join(_cell(row[c]) for c in COLUMNS))
    return ("\n".join(lines) + "\n").encode("utf-8")


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
        str | None, Query(description="tsv for SSSOM TSV, json (the default) for JSON.")
    ] = None,
) -> Response:
    """Every skos:*Match from a taxonomy concept to an outside concept, as SSSOM."""
    media = negotiate(request, OFFERS)
    tag = await build_tag(request, f"sssom-{VARIANTS[media]}")
    current = unchanged(request, tag)
    if current is not None:  # the same build: no need to ask the store
        return current
    data = await mapping_set(request)
    if media == TSV:
        headers = {"Content-Disposition": 'inline; filename="rsme-kg.sssom.tsv"'}
        return send(request, sssom_tsv(data), media, tag, headers)
    return send(request, data.model_dump_json(indent=2).encode("utf-8"), media, tag)


router.add_api_route("/mappings", mappings, methods=["HEAD"], include_in_schema=False)
