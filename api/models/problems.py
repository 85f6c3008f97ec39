"""The problem document (RFC 9457) every error of the API is answered with, as a schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE: dict[str, Any] = {
    "type": "https://w3id.org/rsme-kg/problems/not-found",
    "title": "Not found",
    "status": 404,
    "detail": "no factor with id 'psychic-distanse'; did you mean psychic-distance?",
    "instance": "/factors/psychic-distanse",
    "suggestions": ["psychic-distance"],
}


class ProblemDocument(BaseModel):
    """An error: what went wrong, for people (`title`, `detail`) and programs (`type`,
    `status`), with members of its own kind besides (`errors`, `suggestions`, `acceptable`,
    `line` and `column`, `timeout_seconds`)."""

    # extension members are part of the document (RFC 9457 3.2): the schema admits them
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})

    type: str = Field(description="An IRI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(ge=100, le=599, description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, and where.")
    instance: str | None = Field(None, description="The path of the request.")
