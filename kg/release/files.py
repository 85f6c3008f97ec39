"""The files of a release bundle: their place, media type, size, checksum and title, and the
facts every description of the release shares (its IRIs, licence, creators)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from kg import iris
from kg.describe import DESCRIPTION, LICENSE, TITLE
from kg.namespaces import BASE

RELEASES = BASE + "releases/"
# the same licence as the graph's VoID description, the ontology header and /mappings state
LICENSE_IRI = str(LICENSE)
LICENSE_SPDX = "CC-BY-4.0"
# the project's editors: the agent the corpus already names (data/coders.csv)
CREATOR_NAME = "rsme-kg editors"
CREATOR = iris.agent("rsme-kg-editors")

# media type by file suffix; a .gz file is application/gzip and says what it holds
MEDIA_TYPES: dict[str, str] = {
    ".ttl": "text/turtle",
    ".trig": "application/trig",
    ".nq": "application/n-quads",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".tsv": "text/tab-separated-values",
    ".cff": "application/yaml",
    ".md": "text/markdown",
    ".gz": "application/gzip",
}


@dataclass(frozen=True)
class BundleFile:
    """One file of a bundle: its path inside the release folder (POSIX) and its bytes."""

    path: str
    data: bytes
    title: str

    @property
    def media_type(self) -> str:
        """The file's own media type (application/gzip for a compressed dump)."""
        return media_type(self.path)

    @property
    def content_type(self) -> str:
        """The media type of what the file holds (that of the uncompressed dump for a .gz)."""
        return media_type(self.path.removesuffix(".gz"))

    @property
    def compressed(self) -> bool:
        """True for a gzip-compressed dump."""
        return self.path.endswith(".gz")

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes, in hex."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.data)


def media_type(path: str) -> str:
    """The media type of a bundle file by its suffix.

    >>> media_type("dumps/rsme-kg.nq.gz"), media_type("CITATION.cff")
    ('application/gzip', 'application/yaml')
    """
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    if path.endswith("ro-crate-metadata.json"):
        return "application/ld+json"
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


@dataclass(frozen=True)
class ReleaseInfo:
    """What names and dates a release: version, date, the previous version if any."""

    version: str
    date: date
    previous: str | None
    build_id: str

    @property
    def iri(self) -> str:
        """The release's IRI, also the base of its files' download URLs."""
        return RELEASES + self.version

    def url(self, path: str) -> str:
        """The download URL of one file of the release."""
        return f"{self.iri}/{path}"

    @property
    def previous_iri(self) -> str | None:
        """The IRI of the previous release, if there is one."""
        return None if self.previous is None else RELEASES + self.previous

    @property
    def title(self) -> str:
        """The release's title."""
        return f"{TITLE} (release {self.version})"

    @property
    def description(self) -> str:
        """The release's description: the dataset's."""
        return DESCRIPTION
