"""Browser packages from npm, vendored: their built files are committed, pinned and checked.

The SPARQL editor's YASGUI (api/static/vendor/yasgui), the API documentation's Swagger UI
(/docs, api/static/vendor/swagger-ui) and ReDoc (/redoc, api/static/vendor/redoc), all served
by this server (no CDN, they work offline), and the axe-core that the browser tests inject
(tests/vendor/axe-core) are copies of files of npm tarballs. One manifest
(api/static/vendor/VENDORED.json) records each package's version, npm's integrity of its
tarball (sha512) and the sha256 of every file kept, so that `make run` and the tests need no
Node and a changed byte is noticed:

    python -m api.vendor check                      # every file against the manifest
    python -m api.vendor refresh                    # fetch the pinned versions again (needs npm)
    python -m api.vendor refresh @zazuko/yasgui --version 4.6.3   # move a pin

`refresh` asks the registry which exact version a `--version` names (a dist-tag such as
`latest` is resolved first: the manifest records versions, never tags), runs `npm pack` into a
temporary folder, checks the tarball against the integrity the registry publishes (and against
the manifest's, for the same version: a published tarball never changes), takes only the listed
members out of it (never extracting the archive) and writes the files and then the manifest,
each atomically. `check` also holds the manifest to PACKAGES below: a file declared here must be
recorded there, and the other way round.

YASGUI's bundle is built with the licence comments of what it contains stripped:
api/static/vendor/yasgui/THIRD-PARTY-NOTICES.txt, kept by hand, lists those components with
their licences (tests/test_vendor.py checks it against the bundle; review it when the pin moves).
Swagger UI's and ReDoc's builds move those comments to a <script>.LICENSE.txt beside the
script, which their tarballs ship: it is kept with them, as is the NOTICE Apache-2.0 asks for.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError, Location, RsmeError, UsageError

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path("api/static/vendor/VENDORED.json")  # below the repository's root
LICENCE_NAMES = ("LICENSE", "LICENCE", "COPYING")
# an exact npm version (semver), as opposed to a dist-tag ("latest") or a range ("^4")
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class Package:
    """An npm package and what of it is kept."""

    name: str
    folder: str  # where its files live, below the repository's root
    members: dict[str, str]  # file kept -> its path inside the tarball
    # files written by hand beside the members (e.g. a licence the tarball lacks), recorded
    # in the manifest but never overwritten by a refresh
    kept: tuple[str, ...] = ()

    def files(self) -> set[str]:
        """Every file of the package that the manifest must record."""
        return {*self.members, *self.kept}


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
            # upstream repository's text, its first line says where it came from; the bundle's
            # build strips the licence comments of its components: the notices list them
            kept=("LICENSE", "THIRD-PARTY-NOTICES.txt"),
        ),
        Package(
            "swagger-ui-dist",
            "api/static/vendor/swagger-ui",
            {
                "swagger-ui-bundle.js": "package/swagger-ui-bundle.js",
                # pictures are data: URIs and fonts the system's: nothing else to ship
                "swagger-ui.css": "package/swagger-ui.css",
                # the licence comments the bundle's build took out of the script
                "swagger-ui-bundle.js.LICENSE.txt": "package/swagger-ui-bundle.js.LICENSE.txt",
                "LICENSE": "package/LICENSE",  # Apache-2.0, which asks for its NOTICE too
                "NOTICE": "package/NOTICE",
            },
        ),
        Package(
            # 2.x, the line FastAPI's get_redoc_html is written for: 3.x is an ES module
            # (a classic <script> fails on its `export`) and reports usage to Redocly unless
            # told not to
            "redoc",
            "api/static/vendor/redoc",
            {
                "redoc.standalone.js": "package/bundles/redoc.standalone.js",
                "redoc.standalone.js.LICENSE.txt": (
                    "package/bundles/redoc.standalone.js.LICENSE.txt"
                ),
                "LICENSE": "package/LICENSE",
            },
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
    vendored folders): one line per file changed, missing or not recorded, and per file or
    package that the manifest and PACKAGES do not both name; empty if none."""
    manifest = read_manifest(root)
    if not manifest["packages"]:
        return [f"{MANIFEST}: no manifest, or it lists no package"]
    problems = _declared_but_not_recorded(manifest["packages"])
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


def _declared_but_not_recorded(recorded: dict[str, Any]) -> list[str]:
    """Where the manifest and PACKAGES disagree on a package's files: a file deleted together
    with its manifest entry would otherwise pass every other check. (A declared package the
    manifest lacks is one not vendored yet, as below a fresh root: `refresh` adds it.)"""
    problems: list[str] = []
    for name, entry in sorted(recorded.items()):
        package = PACKAGES.get(name)
        if package is None:
            problems.append(f"{MANIFEST}: {name} is recorded but not declared in api/vendor.py")
            continue
        if entry["folder"] != package.folder:
            problems.append(
                f"{MANIFEST}: {name} is recorded in {entry['folder']}, declared in {package.folder}"
            )
        listed = set(entry["files"])
        for file in sorted(package.files() - listed):
            problems.append(f"{package.folder}/{file}: declared for {name} but not recorded")
        for file in sorted(listed - package.files()):
            problems.append(f"{package.folder}/{file}: recorded for {name} but not declared")
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
    version: str = ""  # the exact version it is (a dist-tag asked for is resolved)


def _json(text: str, command: str) -> Any:
    """npm's --json output; what is not JSON is an error that names the command."""
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise InputError(Location(command), f"npm's answer is not JSON: {exc}") from exc


def _published(name: str, version: str, work: Path) -> tuple[str, dict[str, Any]]:
    """The exact version that `version` (exact, dist-tag or range) names, and its `dist`."""
    command = f"npm view {name}@{version}"
    found = _json(_npm("view", f"{name}@{version}", "version", "dist", "--json", cwd=work), command)
    if isinstance(found, list):  # a range: one entry per version it matches
        if len(found) != 1:
            raise UsageError(f"{name}@{version} names {len(found)} versions: give one")
        found = found[0]
    exact = found.get("version") if isinstance(found, dict) else None
    dist = found.get("dist") if isinstance(found, dict) else None
    if not isinstance(exact, str) or not EXACT_VERSION.fullmatch(exact):
        raise UsageError(f"the registry has no version {name}@{version}: {found!r}"[:500])
    if not isinstance(dist, dict):
        raise InputError(Location(command), f"no dist for {name}@{exact}: {found!r}"[:500])
    return exact, dist


def fetch(name: str, version: str, work: Path) -> Tarball:
    """The tarball of name@version, checked against the integrity the registry publishes;
    `version` may be a dist-tag ("latest"), resolved to the exact version it names now."""
    exact, dist = _published(name, version, work)
    spec = f"{name}@{exact}"
    published = dist.get("integrity")
    if not isinstance(published, str) or not published.startswith("sha512-"):
        raise UsageError(f"the registry gives no sha512 integrity for {spec}: {dist!r}")
    packed = _json(
        _npm("pack", spec, "--json", "--pack-destination", str(work), cwd=work),
        f"npm pack {spec}",
    )
    try:
        path = work / Path(str(packed[0]["filename"])).name
        body = path.read_bytes()
    except (KeyError, IndexError, TypeError, OSError) as exc:
        raise InputError(Location(f"npm pack {spec}"), f"no tarball: {exc!r}") from exc
    if integrity(body) != published:
        raise InputError(
            Location(path.name),
            f"integrity {integrity(body)} differs from the registry's",
            expected=published,
        )
    return Tarball(body, published, str(dist.get("tarball", "")), exact)


def _members(tarball: Path, wanted: dict[str, str]) -> dict[str, bytes]:
    """The bytes of the wanted members, read one by one (nothing is extracted to disk)."""
    found: dict[str, bytes] = {}
    try:
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
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise InputError(Location(tarball.name), f"not a readable tarball: {exc}") from exc
    return found


def write_atomically(path: Path, body: bytes) -> None:
    """Write a file so that a reader sees the old bytes or the new, never a part, even after
    a crash: the bytes reach the disk before the new name does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(scratch, 0o644)  # mkstemp's 0600 would hide the file from a server's user
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); systems that cannot open a folder (Windows)
    have nothing to sync."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


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
        version = tarball.version or version  # the exact version a dist-tag named
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
    again.add_argument(
        "--version", help="the version to pin, exact or a dist-tag such as latest (one package)"
    )
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
        return exc.exit_code
    except OSError as exc:  # a folder not writable, a full disk: said, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
