"""The vendored browser packages (api/vendor.py): YASGUI for the SPARQL editor and axe-core for
the browser tests are committed files of pinned npm tarballs, each recorded with its sha256 in
one manifest, with its licence; a changed, missing or unrecorded file is reported by name.
Nothing here needs Node or the network (`refresh` is run on a tarball made here)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from api import vendor
from api.pages import assets, served_name
from kg import paths

ROOT = paths.ROOT
YASGUI = ROOT / "api/static/vendor/yasgui"
SWAGGER_UI = ROOT / "api/static/vendor/swagger-ui"
REDOC = ROOT / "api/static/vendor/redoc"
AXE = ROOT / "tests/vendor/axe-core"
# the pins: a move is a decision (review the notices, run the browser tests), not a side effect
PINNED = {
    "@zazuko/yasgui": "4.6.2",
    "axe-core": "4.14.1",
    "swagger-ui-dist": "5.36.0",
    # 2.x: the ReDoc FastAPI's get_redoc_html is written for (api/vendor.py says why not 3.x)
    "redoc": "2.5.4",
}


def manifest() -> dict[str, dict[str, object]]:
    packages: dict[str, dict[str, object]] = json.loads(
        (ROOT / vendor.MANIFEST).read_text(encoding="utf-8")
    )["packages"]
    return packages


def copy_vendored(target: Path) -> Path:
    """The manifest and the vendored folders, copied below `target` as in the repository."""
    for entry in manifest().values():
        shutil.copytree(ROOT / str(entry["folder"]), target / str(entry["folder"]))
    (target / vendor.MANIFEST).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / vendor.MANIFEST, target / vendor.MANIFEST)
    return target


def test_every_package_is_pinned_with_npms_integrity() -> None:
    packages = manifest()
    assert set(packages) == {"@zazuko/yasgui", "axe-core", "swagger-ui-dist", "redoc"}
    assert set(packages) == set(vendor.PACKAGES) == set(PINNED)
    assert packages["@zazuko/yasgui"]["version"] == "4.6.2"
    assert packages["axe-core"]["version"] == "4.14.1"
    for name, entry in packages.items():
        assert entry["version"] == PINNED[name], name
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", str(entry["integrity"])), name
        assert entry["folder"] == vendor.PACKAGES[name].folder
        assert entry["tarball"] == (
            f"https://registry.npmjs.org/{name}/-/{name.rpartition('/')[2]}-{PINNED[name]}.tgz"
        )
        assert entry["members"] == vendor.PACKAGES[name].members
    assert packages["@zazuko/yasgui"]["folder"] == "api/static/vendor/yasgui"
    assert packages["axe-core"]["folder"] == "tests/vendor/axe-core"
    assert packages["swagger-ui-dist"]["folder"] == "api/static/vendor/swagger-ui"
    assert packages["redoc"]["folder"] == "api/static/vendor/redoc"
    # what the API's documentation pages load (api.app.add_docs), with the licence texts
    swagger, redoc = packages["swagger-ui-dist"]["files"], packages["redoc"]["files"]
    assert isinstance(swagger, dict) and isinstance(redoc, dict)
    assert set(swagger) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js.LICENSE.txt",
        "LICENSE",
        "NOTICE",
    }
    assert set(redoc) == {"redoc.standalone.js", "redoc.standalone.js.LICENSE.txt", "LICENSE"}


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    seen = set()
    for entry in manifest().values():
        files = entry["files"]
        assert isinstance(files, dict) and files
        for file, recorded in files.items():
            path = ROOT / str(entry["folder"]) / file
            assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded, path
            seen.add(path)
    assert {YASGUI / "yasgui.min.js", YASGUI / "yasgui.min.css", AXE / "axe.min.js"} <= seen
    assert {
        SWAGGER_UI / "swagger-ui-bundle.js",
        SWAGGER_UI / "swagger-ui.css",
        REDOC / "redoc.standalone.js",
    } <= seen
    assert vendor.check(ROOT) == []


def test_every_vendored_package_ships_a_licence_file() -> None:
    for name, entry in manifest().items():
        files = entry["files"]
        assert isinstance(files, dict)
        licences = [f for f in files if f.upper().startswith(vendor.LICENCE_NAMES)]
        assert licences, f"{name} ships no licence"
        for file in licences:
            assert (ROOT / str(entry["folder"]) / file).stat().st_size > 500, (name, file)
    yasgui = (YASGUI / "LICENSE").read_text(encoding="utf-8")
    # the tarball has none: upstream's text, with where it came from on the first line
    assert "github.com/TriplyDB/Yasgui" in yasgui.splitlines()[0]
    assert "The MIT License (MIT)" in yasgui
    assert "Permission is hereby granted, free of charge" in yasgui
    assert "Mozilla Public License" in (AXE / "LICENSE").read_text(encoding="utf-8")
    # Swagger UI: Apache-2.0, whose section 4(d) asks that its NOTICE go along
    swagger = (SWAGGER_UI / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in swagger and "Version 2.0, January 2004" in swagger
    assert "SmartBear Software" in (SWAGGER_UI / "NOTICE").read_text(encoding="utf-8")
    redoc = (REDOC / "LICENSE").read_text(encoding="utf-8")
    assert "The MIT License (MIT)" in redoc and "Rebilly" in redoc
    # their bundles' builds moved the licence comments of what they contain to a .txt beside
    # the script, which the script names on its first line
    for script in (SWAGGER_UI / "swagger-ui-bundle.js", REDOC / "redoc.standalone.js"):
        notices = script.with_name(script.name + ".LICENSE.txt")
        assert notices.stat().st_size > 1000, notices
        assert "Licensed under the MIT License" in notices.read_text(encoding="utf-8")
    assert (
        (REDOC / "redoc.standalone.js")
        .read_text(encoding="utf-8")
        .startswith("/*! For license information please see redoc.standalone.js.LICENSE.txt */")
    )


def test_a_tampered_copy_is_reported_with_the_files_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_vendored(tmp_path)
    assert vendor.check(copy) == []  # the copy itself passes: what fails below is the change
    css = copy / "api/static/vendor/yasgui/yasgui.min.css"
    css.write_bytes(css.read_bytes().replace(b"#888", b"#999", 1))
    problems = vendor.check(copy)
    assert len(problems) == 1
    assert problems[0].startswith("api/static/vendor/yasgui/yasgui.min.css: sha256 ")
    assert "@zazuko/yasgui 4.6.2" in problems[0]
    assert vendor.main(["--root", str(copy), "check"]) == 1
    assert "api/static/vendor/yasgui/yasgui.min.css" in capsys.readouterr().err
    assert vendor.check(ROOT) == []  # the repository's files were not touched


def test_a_missing_or_unrecorded_file_is_reported(tmp_path: Path) -> None:
    copy = copy_vendored(tmp_path)
    (copy / "tests/vendor/axe-core/axe.min.js").unlink()
    (copy / "api/static/vendor/yasgui/yasgui.min.js.map").write_text("{}")
    problems = vendor.check(copy)
    assert "tests/vendor/axe-core/axe.min.js: missing (axe-core 4.14.1)" in problems
    assert "api/static/vendor/yasgui/yasgui.min.js.map: not in the manifest" in problems
    assert len(problems) == 2


def test_check_says_so_when_there_is_no_manifest(tmp_path: Path) -> None:
    assert vendor.check(tmp_path) == [f"{vendor.MANIFEST}: no manifest, or it lists no package"]
    assert vendor.main(["--root", str(tmp_path), "check"]) == 1


def tarball(members: dict[str, bytes]) -> bytes:
    """A gzipped tar as npm packs one."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def test_refresh_copies_the_listed_members_and_records_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tarball(
        {
            "package/axe.min.js": b"/* axe */",
            "package/LICENSE": b"Mozilla Public License, version 2.0\n",
            "package/LICENSE-3RD-PARTY.txt": b"third parties\n",
            "package/package.json": b"{}",  # not listed: not copied
        }
    )
    fetched: list[tuple[str, str]] = []

    def fake_fetch(name: str, version: str, work: Path) -> vendor.Tarball:
        fetched.append((name, version))
        return vendor.Tarball(body, vendor.integrity(body), "https://registry.example/axe.tgz")

    monkeypatch.setattr(vendor, "fetch", fake_fetch)
    entry = vendor.refresh("axe-core", "9.9.9", root=tmp_path)
    assert fetched == [("axe-core", "9.9.9")]
    folder = tmp_path / "tests/vendor/axe-core"
    assert sorted(p.name for p in folder.iterdir()) == [
        "LICENSE",
        "LICENSE-3RD-PARTY.txt",
        "axe.min.js",
    ]
    assert (folder / "axe.min.js").read_bytes() == b"/* axe */"
    assert entry["integrity"] == vendor.integrity(body)
    assert entry["files"]["axe.min.js"] == hashlib.sha256(b"/* axe */").hexdigest()
    assert vendor.check(tmp_path) == []
    # the same version again: the pin is read from the manifest, and must give the same bytes
    vendor.refresh("axe-core", root=tmp_path)
    assert fetched[-1] == ("axe-core", "9.9.9")
    body = tarball({"package/axe.min.js": b"/* other */"})
    with pytest.raises(vendor.InputError, match="integrity"):
        vendor.refresh("axe-core", root=tmp_path)
    assert (folder / "axe.min.js").read_bytes() == b"/* axe */"  # nothing was written


def test_refresh_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(vendor.UsageError, match="no vendored package"):
        vendor.refresh("left-pad", "1.0.0", root=tmp_path)
    with pytest.raises(vendor.UsageError, match="not pinned yet"):
        vendor.refresh("axe-core", root=tmp_path)
    # YASGUI's licence is kept by hand (the tarball has none): without it, no refresh
    with pytest.raises(vendor.UsageError, match="LICENSE is kept by hand"):
        vendor.refresh("@zazuko/yasgui", "4.6.2", root=tmp_path)


def test_the_vendored_scripts_are_served_under_flat_hashed_names() -> None:
    for file in (
        "vendor/yasgui/yasgui.min.js",
        "vendor/yasgui/yasgui.min.css",
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "vendor/redoc/redoc.standalone.js",
    ):
        name = served_name(file)
        stem, _, suffix = Path(file).name.rpartition(".")
        assert "/" not in name and name.startswith(stem + ".") and name.endswith("." + suffix)
        digest = name.removeprefix(stem + ".").removesuffix("." + suffix)
        body = (ROOT / "api/static" / file).read_bytes()
        assert hashlib.sha256(body).hexdigest().startswith(digest)
        assert assets()[name].body == body
    # the licence and the manifest stay in the source tree; the top-level files keep their names
    assert not any(name.startswith(("LICENSE", "VENDORED", "NOTICE")) for name in assets())
    assert served_name("style.css").startswith("style.")


def test_no_two_packages_serve_a_file_under_the_same_flat_name() -> None:
    """The served names drop the package's folder: a file of one package that took the name
    of another's would hide it. Each script, stylesheet and notice served is its own."""
    for entry in manifest().values():
        folder = ROOT / str(entry["folder"])
        if not folder.is_relative_to(ROOT / "api/static"):
            continue  # axe-core: the tests' own, never served
        files = entry["files"]
        assert isinstance(files, dict)
        for file in files:
            path = folder / file
            if path.suffix in (".js", ".css", ".txt"):
                name = served_name(path.relative_to(ROOT / "api/static").as_posix())
                assert assets()[name].path == path


def test_check_holds_the_manifest_to_the_declared_files(tmp_path: Path) -> None:
    """A file deleted together with its manifest entry leaves nothing to compare: the files
    PACKAGES declares must all be recorded, and only those."""
    copy = copy_vendored(tmp_path)
    (copy / "api/static/vendor/yasgui/THIRD-PARTY-NOTICES.txt").unlink()
    recorded = json.loads((copy / vendor.MANIFEST).read_text(encoding="utf-8"))
    del recorded["packages"]["@zazuko/yasgui"]["files"]["THIRD-PARTY-NOTICES.txt"]
    recorded["packages"]["axe-core"]["files"]["extra.js"] = "0" * 64
    (copy / vendor.MANIFEST).write_text(json.dumps(recorded), encoding="utf-8")
    problems = vendor.check(copy)
    assert (
        "api/static/vendor/yasgui/THIRD-PARTY-NOTICES.txt: declared for @zazuko/yasgui "
        "but not recorded" in problems
    )
    assert "tests/vendor/axe-core/extra.js: recorded for axe-core but not declared" in problems
    # a package the code no longer declares
    recorded["packages"]["left-pad"] = {"version": "1.0.0", "folder": "x", "files": {}}
    (copy / vendor.MANIFEST).write_text(json.dumps(recorded), encoding="utf-8")
    problems = vendor.check(copy)
    assert f"{vendor.MANIFEST}: left-pad is recorded but not declared in api/vendor.py" in problems
    assert vendor.main(["--root", str(copy), "check"]) == 1


class FakeNpm:
    """npm as `fetch` calls it (`view … version dist --json`, `pack … --pack-destination`),
    answering from a dict of published versions and dist-tags; records what was asked."""

    def __init__(
        self, versions: dict[str, bytes], tags: dict[str, str], published: str = ""
    ) -> None:
        self.versions = versions
        self.tags = tags
        self.published = published  # an integrity to announce instead of the true one
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str, cwd: Path) -> str:
        self.calls.append(args)
        name, _, asked = args[1].rpartition("@")
        version = self.tags.get(asked, asked)
        if args[0] == "view":
            if version not in self.versions:
                return ""
            body = self.versions[version]
            dist = {"integrity": self.published or vendor.integrity(body), "tarball": "https://r/x"}
            return json.dumps({"version": version, "dist": dist})
        assert args[0] == "pack" and asked in self.versions, args  # packs exact versions only
        destination = Path(args[args.index("--pack-destination") + 1])
        (destination / f"{name}-{asked}.tgz").write_bytes(self.versions[asked])
        return json.dumps([{"filename": f"{name}-{asked}.tgz"}])


AXE_TARBALL = {
    "package/axe.min.js": b"/* axe 9.9.9 */",
    "package/LICENSE": b"Mozilla Public License, version 2.0\n",
    "package/LICENSE-3RD-PARTY.txt": b"third parties\n",
}


def test_refresh_resolves_a_dist_tag_to_the_version_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm = FakeNpm({"9.9.9": tarball(AXE_TARBALL)}, {"latest": "9.9.9"})
    monkeypatch.setattr(vendor, "_npm", npm)
    assert vendor.main(["--root", str(tmp_path), "refresh", "axe-core", "--version", "latest"]) == 0
    entry = vendor.read_manifest(tmp_path)["packages"]["axe-core"]
    assert entry["version"] == "9.9.9"  # never the tag: a tag moves
    assert npm.calls[0][:2] == ("view", "axe-core@latest")
    assert npm.calls[1][:2] == ("pack", "axe-core@9.9.9")  # the version the tag named then
    assert (tmp_path / "tests/vendor/axe-core/axe.min.js").read_bytes() == b"/* axe 9.9.9 */"
    assert vendor.check(tmp_path) == []
    # the pin is the exact version: a refresh later asks for it, not for the tag
    npm.tags["latest"] = "10.0.0"
    vendor.refresh("axe-core", root=tmp_path)
    assert npm.calls[-1][:2] == ("pack", "axe-core@9.9.9")


def test_refresh_refuses_a_tarball_that_is_not_the_published_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tarball(AXE_TARBALL)
    announced = vendor.integrity(b"what the registry published")
    monkeypatch.setattr(vendor, "_npm", FakeNpm({"9.9.9": body}, {}, published=announced))
    with pytest.raises(vendor.InputError, match="differs from the registry's"):
        vendor.refresh("axe-core", "9.9.9", root=tmp_path)
    assert not (tmp_path / "tests").exists()  # no file written
    assert not (tmp_path / vendor.MANIFEST).exists()  # nor the manifest
    assert vendor.main(["--root", str(tmp_path), "refresh", "axe-core", "--version", "9.9.9"]) == 2
    assert "differs from the registry's" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("view", "pack", "said"),
    [
        ("not json {", "[]", "npm's answer is not JSON"),
        (json.dumps({"version": "9.9.9"}), "[]", "no dist"),
        ("", "[]", "no version axe-core@9.9.9"),
        ("[{}, {}]", "[]", "names 2 versions"),
        (None, "[]", "no tarball"),  # pack names no file
        (None, json.dumps([{"filename": "axe.tgz"}]), "not a readable tarball"),
    ],
)
def test_what_npm_answers_wrongly_is_an_error_not_a_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    view: str | None,
    pack: str,
    said: str,
) -> None:
    garbage = b"this is no gzip"

    def npm(*args: str, cwd: Path) -> str:
        if args[0] == "view":
            dist = {"integrity": vendor.integrity(garbage)}
            return view if view is not None else json.dumps({"version": "9.9.9", "dist": dist})
        (Path(args[args.index("--pack-destination") + 1]) / "axe.tgz").write_bytes(garbage)
        return pack

    monkeypatch.setattr(vendor, "_npm", npm)
    code = vendor.main(["--root", str(tmp_path), "refresh", "axe-core", "--version", "9.9.9"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and said in err and "Traceback" not in err
    assert not (tmp_path / vendor.MANIFEST).exists()


def test_a_file_is_on_disk_before_its_new_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_atomically syncs the bytes before the rename (and the folder after it)."""
    events: list[str] = []
    real_fsync, real_replace = vendor.os.fsync, vendor.os.replace

    def fsync(handle: int) -> None:
        events.append("fsync")
        real_fsync(handle)

    def replace(source: str, target: Path) -> None:
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(vendor.os, "fsync", fsync)
    monkeypatch.setattr(vendor.os, "replace", replace)
    vendor.write_atomically(tmp_path / "a" / "file.txt", b"bytes")
    assert (tmp_path / "a" / "file.txt").read_bytes() == b"bytes"
    assert events == ["fsync", "replace", "fsync"]
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["file.txt"]  # no scratch left


NOTICES = YASGUI / "THIRD-PARTY-NOTICES.txt"
# what a reviewer found in yasgui.min.js with its licence comments stripped (issue 12)
MUST_LIST = ("CodeMirror", "DataTables", "SortableJS", "jQuery", "store.js", "Font Awesome")


def notice_entries() -> dict[str, list[str]]:
    """The components the notices list (part 2), each with the strings that found it."""
    text = NOTICES.read_text(encoding="utf-8")
    part = text.split("\n2. Components bundled in yasgui.min.js\n", 1)[1].split("\n3. ", 1)[0]
    entries: dict[str, list[str]] = {}
    for block in part.split("\n- ")[1:]:
        title = " ".join(block.split("\n  npm:")[0].split("\n  licence:")[0].split())
        assert "licence: " in block and "upstream: https://" in block, title
        found = block.split("found as: ", 1)[1]
        entries[title] = re.findall(r'"([^"]+)"', found)
    return entries


def test_the_notices_name_every_component_found_in_the_bundle() -> None:
    bundle = (YASGUI / "yasgui.min.js").read_text(encoding="utf-8")
    entries = notice_entries()
    assert len(entries) >= 20
    for name in MUST_LIST:
        assert any(title.startswith(name) for title in entries), name
    for title, found in entries.items():
        assert found, title
        for string in found:
            assert string in bundle, (title, string)  # the component is really in there
    # a version is given where the bundle states one, and each stated one is given
    stated = set(re.findall(r"`(\d+\.\d+\.\d+)`", bundle))
    assert {"5.65.21", "3.7.1", "2.3.8"} <= stated  # CodeMirror, jQuery, DataTables
    given = {v for title in entries for v in re.findall(r"\d+\.\d+\.\d+", title)}
    assert given == stated
    for title in entries:
        has_version = bool(re.search(r"\d+\.\d+\.\d+", title))
        assert has_version != ("version not stated in the bundle" in title), title


def test_the_notices_carry_yasguis_licence_and_the_texts_they_refer_to() -> None:
    text = NOTICES.read_text(encoding="utf-8")
    assert (YASGUI / "LICENSE").read_text(encoding="utf-8") in text  # verbatim
    assert "@zazuko/yasgui 4.6.2" in text and manifest()["@zazuko/yasgui"]["version"] == "4.6.2"
    assert "Permission is hereby granted, free of charge" in text  # MIT
    assert "Neither the name of the copyright holder" in text  # BSD-3-Clause
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text  # Font Awesome's icons
    # kept by hand beside the bundle, recorded in the manifest, served under a hashed name
    assert "THIRD-PARTY-NOTICES.txt" in vendor.PACKAGES["@zazuko/yasgui"].kept
    name = served_name("vendor/yasgui/THIRD-PARTY-NOTICES.txt")
    assert name.startswith("THIRD-PARTY-NOTICES.") and name.endswith(".txt")
    assert assets()[name].body == NOTICES.read_bytes()
