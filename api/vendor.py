"""Browser packages from npm, vendored: their built files are committed, pinned and checked.

The SPARQL editor's YASGUI (api/static/vendor/yasgui, served by this server: no CDN, works
offline) and the axe-core that the browser tests inject (tests/vendor/axe-core) are copies of
files of npm tarballs. One manifest (api/static/vendor/VENDORED.json) records each package's
version, npm's integrity of its tarball (sha512) and the sha256 of every file kept, so that
`make run` and the tests need no Node and a changed byte is noticed:

    python -m api.vendor check                      # every file against the manifest
    python -m api.vendor refresh                    # fetch the pinned versions again (needs npm)
    python -m api.vendor refresh @zazuko/yasgui --version 4.6.3   # move a pin

`refresh` runs `npm pack` into a temporary folder, checks the tarball against the integrity the
registry publishes (and against the manifest's, for the same version: a published tarball never
changes), takes only the listed members out of it (never extracting the archive) and writes the
files and then the manifest, each atomically.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError, Location, RsmeError, UsageError

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path("api/static/vendor/VENDORED.json")  # below the repository's root
LICENCE_NAMES = ("LICENSE", "LICENCE", "COPYING")


@dataclass(frozen=True)
class Package:
    """An npm package and what of it is kept."""

    name: str
    folder: str  # where its files live, below the repository's root
    members: dict[str, str]  # file kept -> its path inside the tarball
    # files written by hand beside the members (e.g. a licence the tarball lacks), recorded
    # in the manifest but never overwritten by a refresh
    kept: tuple[str, ...] = ()


PACKAGES = {
    package.name: package
    for package in (
        Package(
            "@zazuko/yasgui",
            "api/static/vendor/yasgui",
            {
                "yasgui.min.js": "package/build/yasgui.min.js",
                # the stylesheet names no fonts or pictures (no url()): nothing else to ship
                "yasgui.min.css": "package/build/yasgui.min.css",
            },
            # the tarball has no licence file (package.json says MIT): LICENSE holds the
            # upstream repository's text, its first line says where it came from
            kept=("LICENSE",),
        ),
        Package(
            "axe-core",
            "tests/vendor/axe-core",
            {
                "axe.min.js": "package/axe.min.js",
                "LICENSE": "package/LICENSE",
                "LICENSE-3RD-PARTY.txt": "package/LICENSE-3RD-PARTY.txt",
            },
        ),
    )
}


def sha256(path: Path) -> str:
    """The hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(body: bytes) -> str:
    """npm's integrity string (Subresource Integrity, sha512) of a tarball.

    >>> integrity(b"")[:19]
    'sha512-z4PhNX7vuL3x'
    """
    return "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")


def read_manifest(root: Path = ROOT) -> dict[str, Any]:
    """The manifest below `root`: {"packages": {name: {version, integrity, folder, files}}}."""
    path = root / MANIFEST
    if not path.is_file():
        return {"packages": {}}
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


# ------------------------------------------------------------------------------------ check


def check(root: Path = ROOT) -> list[str]:
    """What differs from the manifest below `root` (a repository's root, or a copy of its
    vendored folders): one line per file changed, missing or not recorded; empty if none."""
    manifest = read_manifest(root)
    if not manifest["packages"]:
        return [f"{MANIFEST}: no manifest, or it lists no package"]
    problems: list[str] = []
    for name, entry in sorted(manifest["packages"].items()):
        folder = root / entry["folder"]
        for file, recorded in sorted(entry["files"].items()):
            shown = f"{entry['folder']}/{file}"
            path = folder / file
            if not path.is_file():
                problems.append(f"{shown}: missing ({name} {entry['version']})")
            elif sha256(path) != recorded:
                problems.append(
                    f"{shown}: sha256 {sha256(path)} differs from the recorded {recorded} "
                    f"({name} {entry['version']})"
                )
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.name not in entry["files"]:
                    problems.append(f"{entry['folder']}/{path.name}: not in the manifest")
        if not any(f.upper().startswith(LICENCE_NAMES) for f in entry["files"]):
            problems.append(f"{entry['folder']}: {name} ships no licence file")
    return problems


# ---------------------------------------------------------------------------------- refresh


def _npm(*args: str, cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["npm", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
        )
    except FileNotFoundError as exc:
        raise UsageError("refreshing needs npm (Node.js); checking does not") from exc
    if done.returncode != 0:
        raise UsageError(f"npm {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


@dataclass(frozen=True)
class Tarball:
    """A package's tarball as fetched, and where the registry publishes it."""

    body: bytes
    integrity: str  # the registry's, which the body matches
    url: str


def fetch(name: str, version: str, work: Path) -> Tarball:
    """The tarball of name@version, checked against the integrity the registry publishes."""
    spec = f"{name}@{version}"
    dist = json.loads(_npm("view", spec, "dist", "--json", cwd=work) or "null")
    published = dist.get("integrity") if isinstance(dist, dict) else None
    if not isinstance(published, str) or not published.startswith("sha512-"):
        raise UsageError(f"the registry gives no sha512 integrity for {spec}: {dist!r}")
    packed = json.loads(_npm("pack", spec, "--json", "--pack-destination", str(work), cwd=work))
    path = work / packed[0]["filename"]
    body = path.read_bytes()
    if integrity(body) != published:
        raise InputError(
            Location(path.name),
            f"integrity {integrity(body)} differs from the registry's",
            expected=published,
        )
    return Tarball(body, published, str(dist.get("tarball", "")))


def _members(tarball: Path, wanted: dict[str, str]) -> dict[str, bytes]:
    """The bytes of the wanted members, read one by one (nothing is extracted to disk)."""
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for file, member in wanted.items():
            try:
                info = archive.getmember(member)
            except KeyError as exc:
                raise InputError(Location(tarball.name), f"no member {member}") from exc
            stream = archive.extractfile(info) if info.isfile() else None
            if stream is None:
                raise InputError(Location(tarball.name), f"{member} is not a regular file")
            found[file] = stream.read()
    return found


def write_atomically(path: Path, body: bytes) -> None:
    """Write a file so that a reader sees the old bytes or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.chmod(scratch, 0o644)  # mkstemp's 0600 would hide the file from a server's user
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def refresh(name: str, version: str | None = None, root: Path = ROOT) -> dict[str, Any]:
    """Fetch a package (at `version`, or the manifest's pin), write its files and record them
    in the manifest; returns its manifest entry."""
    package = PACKAGES.get(name)
    if package is None:
        raise UsageError(f"no vendored package {name!r}; known: {', '.join(PACKAGES)}")
    manifest = read_manifest(root)
    before = manifest["packages"].get(name)
    version = version or (before["version"] if before else None)
    if version is None:
        raise UsageError(f"{name} is not pinned yet: give --version")
    folder = root / package.folder
    for file in package.kept:
        if not (folder / file).is_file():
            raise UsageError(f"{package.folder}/{file} is kept by hand and is missing")
    with tempfile.TemporaryDirectory(prefix="rsme-vendor-") as scratch:
        work = Path(scratch)
        tarball = fetch(name, version, work)
        # a published version never changes: a different tarball is not the one we checked
        if before and before["version"] == version and before["integrity"] != tarball.integrity:
            raise InputError(
                Location(f"{name}@{version}"),
                f"the registry now gives integrity {tarball.integrity}",
                expected=before["integrity"],
            )
        (work / "package.tgz").write_bytes(tarball.body)
        files = _members(work / "package.tgz", package.members)
    for file, data in files.items():
        write_atomically(folder / file, data)
    entry = {
        "version": version,
        "integrity": tarball.integrity,
        "tarball": tarball.url,
        "folder": package.folder,
        "members": package.members,
        "files": {f: sha256(folder / f) for f in sorted([*package.members, *package.kept])},
    }
    manifest["packages"][name] = entry
    manifest["packages"] = dict(sorted(manifest["packages"].items()))
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_atomically(root / MANIFEST, text.encode("utf-8"))
    return entry


# -------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """`check` or `refresh`; the exit status says whether all went well."""
    parser = argparse.ArgumentParser(prog="python -m api.vendor", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository's root")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="verify every vendored file against the manifest")
    again = commands.add_parser("refresh", help="fetch the packages with npm and record them")
    again.add_argument("packages", nargs="*", help=f"default: all ({', '.join(PACKAGES)})")
    again.add_argument("--version", help="the version to pin (one package only)")
    args = parser.parse_args(argv)
    if args.command == "check":
        problems = check(args.root)
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            count = sum(len(e["files"]) for e in read_manifest(args.root)["packages"].values())
            print(f"{count} vendored files match {MANIFEST}")
        return 1 if problems else 0
    names = args.packages or list(PACKAGES)
    if args.version and len(names) != 1:
        parser.error("--version needs exactly one package")
    try:
        for name in names:
            entry = refresh(name, args.version, args.root)
            print(f"{name} {entry['version']} ({entry['integrity']}): {len(entry['files'])} files")
    except RsmeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
