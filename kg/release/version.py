"""A release's name, its predecessor and its date: all from the arguments and the inputs,
never from the clock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from packaging.version import InvalidVersion, Version

from kg.errors import InputError, Location, UsageError

# the contract of the bundle's folder name (shared with the server, api/routes/releases.py)
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$")
RELEASE_JSON = "release.json"


def check_version(version: str) -> str:
    """The version if it can name a release folder; UsageError saying what is expected.

    >>> check_version("1.0.0")
    '1.0.0'
    >>> check_version("../x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.UsageError: VERSION '../x' cannot name a release: expected 1 to 64 letters, ...
    """
    if not VERSION_PATTERN.fullmatch(version) or version in {".", ".."}:
        raise UsageError(
            f"VERSION {version!r} cannot name a release: expected 1 to 64 letters, digits, "
            "'.', '_', '+' or '-', starting with a letter or digit (e.g. 1.0.0)"
        )
    return version


def ordered(version: str) -> Version | None:
    """The version as PEP 440 orders it (semantic versions included), None if it does not parse.

    >>> ordered("1.10.0") > ordered("1.9.2")
    True
    >>> ordered("1.0.0-rc.1") < ordered("1.0.0")  # semantic versions' pre-releases too
    True
    >>> ordered("spring-edition") is None
    True
    """
    try:
        return Version(version)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Previous:
    """The release a new one is compared with: its folder and its version."""

    folder: Path
    version: str


def read_previous(folder: Path) -> Previous:
    """A release folder given as --previous: it must hold a readable release.json."""
    manifest = folder / RELEASE_JSON
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            Location(manifest), f"cannot read it: {exc.strerror}", "the folder of a release"
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(Location(manifest, exc.lineno, exc.colno), f"not JSON: {exc.msg}") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise InputError(Location(manifest, field="version"), "no valid version", "a string")
    return Previous(folder, version)


def find_previous(root: Path, version: str) -> Previous | None:
    """The newest release in `root` older than `version`, None if there is none.

    Only folders holding a release.json count. A version that does not order (not PEP 440)
    cannot pick its predecessor: UsageError asking for --previous when others exist.
    """
    others = (
        [
            p
            for p in sorted(root.iterdir())
            if p.is_dir() and p.name != version and (p / RELEASE_JSON).is_file()
        ]
        if root.is_dir()
        else []
    )
    if not others:
        return None
    this = ordered(version)
    if this is None:
        raise UsageError(
            f"VERSION {version!r} is not a PEP 440 or semantic version, so the previous release "
            f"in {root} cannot be chosen by order: name it with --previous DIR"
        )
    older = [(v, p) for p in others if (v := ordered(p.name)) is not None and v < this]
    if not older:
        return None
    return read_previous(max(older)[1])


def release_date(dates: list[date], given: str | None) -> date:
    """The release date: `given` (YYYY-MM-DD) or the latest date recorded in the inputs."""
    if given is not None:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):
                raise ValueError(given)
            return date.fromisoformat(given)
        except ValueError:
            raise UsageError(f"--date {given!r}: expected a date as YYYY-MM-DD") from None
    if not dates:
        raise UsageError(
            "the inputs record no date (codes' coded_on, the mappings' dates): give the "
            "release date with --date YYYY-MM-DD"
        )
    return max(dates)
