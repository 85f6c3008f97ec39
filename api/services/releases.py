"""The release bundles in the releases folder (`rsme-kg release` writes them; kg.release).

A release is a folder `ROOT/VERSION/` holding a `release.json` that lists its files with their
media types, sizes and SHA-256 digests (and `SHA256SUMS`). The folder is read on every request
(a new release appears without a restart); a release's files never change, so its parsed
release.json is kept, keyed on the file's identity and modification time.

Only what release.json lists is ever served, and only from inside the release's own folder: a
path with an empty, `.` or `..` segment, a backslash, a control character or a colon is
refused, and so is a file whose real path (symbolic links followed) leaves the folder.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from packaging.version import InvalidVersion, Version

log = logging.getLogger("rsme_kg.api")

# the contract of `rsme-kg release` (kg.release): a version names a folder of ROOT
VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+-]{0,63}")
MANIFEST = "release.json"
CHECKSUMS = "SHA256SUMS"
ONTOLOGY = "ontology.ttl"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# a media type as a header may carry it (no line breaks, no quotes to escape)
_MEDIA = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(; ?[\w.+-]+=[\w.+-]+)*")
_OCTETS = "application/octet-stream"


@dataclass(frozen=True)
class ReleaseFile:
    """A file of a release, as release.json lists it (path relative, POSIX)."""

    path: str
    media_type: str
    bytes: int
    sha256: str
    title: str


@dataclass(frozen=True)
class Release:
    """A release read from its release.json."""

    version: str
    date: str
    previous: str | None
    title: str
    files: tuple[ReleaseFile, ...]  # sorted by path, as release.json lists them
    folder: Path  # the release's folder, its real path
    metadata: dict[str, Any]  # release.json's other top-level members (licence, DOI, ...)

    @property
    def total_bytes(self) -> int:
        """The bytes of the files release.json lists."""
        return sum(f.bytes for f in self.files)

    def listed(self, path: str) -> ReleaseFile | None:
        """A file of the release by its path, if release.json lists it."""
        for found in self.files:
            if found.path == path:
                return found
        return None


class ReleaseError(ValueError):
    """A release.json that does not follow the contract (the release is not served)."""


def valid_version(version: str) -> bool:
    """Whether a version may name a release folder (the contract of kg.release).

    >>> [valid_version(v) for v in ("1.0.0", "2026.12-rc1", "v1+local", "a" * 64)]
    [True, True, True, True]
    >>> [valid_version(v) for v in ("", ".", "..", ".hidden", "a/b", "1.0\\x00", "a" * 65)]
    [False, False, False, False, False, False, False]
    """
    return VERSION.fullmatch(version) is not None


def safe_path(path: str) -> bool:
    """Whether a file path is one a release may serve: relative, POSIX, every segment a plain
    name (no empty, `.` or `..` segment, no backslash, control character or colon).

    >>> [safe_path(p) for p in ("ontology.ttl", "dumps/rsme-kg.nq.gz", "notes/é.md")]
    [True, True, True]
    >>> bad = ("", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a\\\\b", "c:x", "a\\x00")
    >>> [safe_path(p) for p in bad]
    [False, False, False, False, False, False, False, False, False]
    """
    if not path or len(path) > 1024:
        return False
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return False
        if any(c in "\\:" or ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
            return False
    return True


def releases_root(request: Request) -> Path:
    """The releases folder named by the settings (Settings.releases)."""
    return Path(request.app.state.settings.releases)


def read_release(root: Path, version: str) -> Release | None:
    """The release `version` of the folder `root`, or None when there is none: no such
    folder, no readable release.json, or one that does not follow the contract (logged)."""
    if not valid_version(version):
        return None
    try:
        real_root = root.resolve(strict=True)
        folder = (root / version).resolve(strict=True)
        manifest = (folder / MANIFEST).resolve(strict=True)
        info = manifest.stat()
    except (OSError, RuntimeError):
        return None
    # a version folder that is a link out of the releases folder, or to another version's
    # folder (its release.json names that version), is not a release of its own; nor is one
    # whose release.json is a link to a file elsewhere
    if folder.parent != real_root or folder.name != version:
        return None
    if manifest.parent != folder or not stat.S_ISREG(info.st_mode):
        return None
    try:
        return _parsed(str(manifest), info.st_ino, info.st_mtime_ns, info.st_size, version)
    except ReleaseError as error:
        log.warning("release %s not served: %s", version, error)
        return None


def list_releases(root: Path) -> list[Release]:
    """Every release of `root`, newest first (an empty list when the folder does not exist)."""
    try:
        names = [entry.name for entry in os.scandir(root)]
    except OSError:
        return []
    found = [r for r in (read_release(root, name) for name in names) if r is not None]
    return newest_first(found)


def newest_first(releases: list[Release]) -> list[Release]:
    """Releases newest first: by version order (PEP 440) when every version parses, else by
    date, then version text.

    >>> def r(v, d):
    ...     return Release(v, d, None, "", (), Path("."), {})
    >>> [x.version for x in newest_first([r("1.9.0", "2026-01-01"), r("1.10.0", "2025-01-01")])]
    ['1.10.0', '1.9.0']
    >>> [x.version for x in newest_first([r("beta", "2026-02-01"), r("1.0.0", "2026-03-01")])]
    ['1.0.0', 'beta']
    """
    try:
        parsed = {r.version: Version(r.version) for r in releases}
    except InvalidVersion:
        return sorted(releases, key=lambda r: (r.date, r.version), reverse=True)
    return sorted(releases, key=lambda r: (parsed[r.version], r.date, r.version), reverse=True)


@dataclass(frozen=True)
class Served:
    """A file of a release to send: its real path, its stat, media type and SHA-256."""

    path: Path
    stat: os.stat_result
    media_type: str
    sha256: str | None  # None for release.json and SHA256SUMS (digested when sent)


def served_file(release: Release, path: str) -> Served | None:
    """The file `path` of a release, if release.json lists it (or it is release.json or
    SHA256SUMS), it is a regular file inside the release's folder and has the listed size."""
    if not safe_path(path):
        return None
    listed = release.listed(path)
    if listed is None and path not in (MANIFEST, CHECKSUMS):
        return None
    try:
        real = (release.folder / path).resolve(strict=True)
        info = real.stat()
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(release.folder) or not stat.S_ISREG(info.st_mode):
        return None  # a link that leads out of the release, or not a file
    if listed is None:
        media = "application/json" if path == MANIFEST else "text/plain"
        return Served(real, info, media, None)
    if info.st_size != listed.bytes:
        log.warning(
            "release %s: %s has %d bytes, not %d", release.version, path, info.st_size, listed.bytes
        )
        return None
    media = listed.media_type if _MEDIA.fullmatch(listed.media_type) else _OCTETS
    return Served(real, info, media, listed.sha256)


# ------------------------------------------------------------------------------ release.json


@lru_cache(maxsize=256)
def _parsed(manifest: str, inode: int, mtime_ns: int, size: int, version: str) -> Release:
    """A release.json read and checked (kept per file identity: a release never changes)."""
    try:
        data = json.loads(Path(manifest).read_bytes())
    except (OSError, ValueError) as error:
        raise ReleaseError(f"{manifest}: not readable JSON ({error})") from error
    if not isinstance(data, dict):
        raise ReleaseError(f"{manifest}: expected a JSON object")
    where = f"{manifest}:"
    if data.get("version") != version:
        raise ReleaseError(f"{where} field version is {data.get('version')!r}, not {version!r}")
    date = _text(data, "date", where)
    if not _DATE.fullmatch(date):
        raise ReleaseError(f"{where} field date is {date!r}, expected YYYY-MM-DD")
    previous = data.get("previous")
    if previous is not None and not (isinstance(previous, str) and valid_version(previous)):
        raise ReleaseError(f"{where} field previous is {previous!r}, expected a version or null")
    files = data.get("files")
    if not isinstance(files, list):
        raise ReleaseError(f"{where} field files: expected a list")
    listed = tuple(_file(item, f"{where} files[{i}]") for i, item in enumerate(files))
    paths = [f.path for f in listed]
    if len(set(paths)) != len(paths) or {MANIFEST, CHECKSUMS} & set(paths):
        raise ReleaseError(f"{where} field files: a path listed twice, or release.json itself")
    others = {k: v for k, v in data.items() if k not in _FIELDS}
    return Release(
        version=version,
        date=date,
        previous=previous,
        title=_text(data, "title", where),
        files=tuple(sorted(listed, key=lambda f: f.path)),
        folder=Path(manifest).parent,
        metadata=others,
    )


_FIELDS = frozenset({"version", "date", "previous", "title", "files"})


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ReleaseError(f"{where} field {key} is {value!r}, expected a string")
    return value


def _file(item: Any, where: str) -> ReleaseFile:
    if not isinstance(item, dict):
        raise ReleaseError(f"{where}: expected an object")
    path = _text(item, "path", where)
    if not safe_path(path):
        raise ReleaseError(f"{where} field path {path!r}: expected a relative POSIX path")
    size = item.get("bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ReleaseError(f"{where} field bytes is {size!r}, expected a count of bytes")
    digest = _text(item, "sha256", where)
    if not _SHA256.fullmatch(digest):
        raise ReleaseError(f"{where} field sha256 is {digest!r}, expected 64 hex digits")
    title = item.get("title", "")
    return ReleaseFile(
        path=path,
        media_type=_text(item, "media_type", where),
        bytes=size,
        sha256=digest,
        title=title if isinstance(title, str) else "",
    )
