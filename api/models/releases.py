"""Response models of /releases and /releases/{version}: plain JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_LINKS: dict[str, Any] = {
    "self": "http://127.0.0.1:8000/releases/1.0.0",
    "ontology": "http://127.0.0.1:8000/ontology/1.0.0",
    "release.json": "http://127.0.0.1:8000/releases/1.0.0/release.json",
    "SHA256SUMS": "http://127.0.0.1:8000/releases/1.0.0/SHA256SUMS",
    "previous": "http://127.0.0.1:8000/releases/0.9.0",
}
_SUMMARY: dict[str, Any] = {
    "version": "1.0.0",
    "date": "2026-12-06",
    "previous": "0.9.0",
    "title": "rsme-kg 1.0.0",
    "files": 14,
    "bytes": 2_483_117,
    "links": _LINKS,
}


class ReleaseSummary(BaseModel):
    """A release in the list of releases."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    version: str
    date: str = Field(description="The release's date (YYYY-MM-DD), from its data.")
    previous: str | None = Field(description="The version this one is compared with, if any.")
    title: str
    files: int = Field(description="How many files release.json lists.")
    bytes: int = Field(description="Their total size in bytes.")
    links: dict[str, str] = Field(description="The release, its ontology, its manifests.")


class ReleaseList(BaseModel):
    """The releases this server holds, newest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"releases": [_SUMMARY]}]})

    releases: list[ReleaseSummary]


class ReleaseFileInfo(BaseModel):
    """A file of a release, as its release.json lists it, with where to download it."""

    path: str = Field(description="Relative to the release's folder (POSIX).")
    media_type: str
    bytes: int
    sha256: str = Field(description="SHA-256 of the file's bytes (its ETag when downloaded).")
    title: str
    url: str


class ReleaseDetail(BaseModel):
    """One release: the metadata of its release.json and its files."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in _SUMMARY.items() if k not in ("files", "links")},
                    "metadata": {},
                    "files": [
                        {
                            "path": "ontology.ttl",
                            "media_type": "text/turtle",
                            "bytes": 61_204,
                            "sha256": "9f2c" + "0" * 60,
                            "title": "The ontology",
                            "url": "http://127.0.0.1:8000/releases/1.0.0/ontology.ttl",
                        }
                    ],
                    "links": dict(_LINKS),
                }
            ]
        }
    )

    version: str
    date: str
    previous: str | None
    title: str
    bytes: int = Field(description="Total size of the listed files in bytes.")
    metadata: dict[str, Any] = Field(description="release.json's other top-level members.")
    files: list[ReleaseFileInfo]
    links: dict[str, str]
