"""The vendored browser packages (api/vendor.py): YASGUI for the SPARQL editor and axe-core for
the browser tests are committed files of pinned npm tarballs, each recorded with its sha256 in
one manifest, with its licence; a changed, missing or unrecorded file is reported by name.
Nothing here needs Node or the network (`refresh` is run on a tarball made here)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from api import vendor
from api.pages import assets, served_name
from kg import paths

ROOT = paths.ROOT
YASGUI = ROOT / "api/static/vendor/yasgui"
AXE = ROOT / "tests/vendor/axe-core"


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


def test_both_packages_are_pinned_with_npms_integrity() -> None:
    packages = manifest()
    assert set(packages) == {"@zazuko/yasgui", "axe-core"}
    assert packages["@zazuko/yasgui"]["version"] == "4.6.2"
    assert packages["axe-core"]["version"] == "4.14.1"
    for name, entry in packages.items():
        assert str(entry["integrity"]).startswith("sha512-"), name
        assert entry["folder"] == vendor.PACKAGES[name].folder
    assert packages["@zazuko/yasgui"]["folder"] == "api/static/vendor/yasgui"
    assert packages["axe-core"]["folder"] == "tests/vendor/axe-core"


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
    for file in ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css"):
        name = served_name(file)
        stem, _, suffix = Path(file).name.rpartition(".")
        assert "/" not in name and name.startswith(stem + ".") and name.endswith("." + suffix)
        digest = name.removeprefix(stem + ".").removesuffix("." + suffix)
        body = (ROOT / "api/static" / file).read_bytes()
        assert hashlib.sha256(body).hexdigest().startswith(digest)
        assert assets()[name].body == body
    # the licence and the manifest stay in the source tree; the top-level files keep their names
    assert not any(name.startswith(("LICENSE", "VENDORED")) for name in assets())
    assert served_name("style.css").startswith("style.")
