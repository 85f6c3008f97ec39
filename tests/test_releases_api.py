"""The releases on the server: /releases, /releases/{version}, their files, /ontology/{version}.

Release folders are written here by hand, as the contract of `rsme-kg release` lays them out
(a release.json listing every file with its media type, size and SHA-256, and SHA256SUMS);
sizes, digests and counts are computed from the bytes written, never typed in. The files of
a release are served only as release.json lists them: hostile paths (encoded separators, dot
segments, a link out of the folder, a file on disk that is not listed) are not found.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from kg import paths
from tests.apiclient import Api, ApiClient
from tests.apiserver import ApiServer
from tests.browser import Tab, axe_violations, fits_width

PROBLEM = "application/problem+json"
ONTOLOGY_IRI = URIRef("https://w3id.org/rsme-kg/ontology")
SECRET = b"the secret outside every release\n"


def ontology_turtle(version: str, previous: str | None) -> bytes:
    """A small ontology header as a release writes it: version IRI, info, prior version."""
    prior = (
        f"    owl:priorVersion <https://w3id.org/rsme-kg/ontology/{previous}> ;\n"
        if previous
        else ""
    )
    return (
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix rsme: <https://w3id.org/rsme-kg/ontology#> .\n\n"
        "<https://w3id.org/rsme-kg/ontology> a owl:Ontology ;\n"
        f"    owl:versionIRI <https://w3id.org/rsme-kg/ontology/{version}> ;\n"
        f"{prior}"
        f'    owl:versionInfo "{version}" .\n\n'
        'rsme:Study a owl:Class ;\n    rdfs:label "study"@en, "مطالعه"@fa .\n'
    ).encode()


@dataclass(frozen=True)
class Listed:
    """A file a test release lists: its bytes and media type."""

    body: bytes
    media_type: str


def write_release(
    root: Path,
    version: str,
    date: str,
    files: dict[str, Listed],
    previous: str | None = None,
    **metadata: object,
) -> Path:
    """A release folder as `rsme-kg release` writes it (the shared contract)."""
    folder = root / version
    folder.mkdir(parents=True)
    entries = []
    for path, listed in sorted(files.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(listed.body)
        entries.append(
            {
                "path": path,
                "media_type": listed.media_type,
                "bytes": len(listed.body),
                "sha256": hashlib.sha256(listed.body).hexdigest(),
                "title": f"the file {path}",
            }
        )
    manifest = {
        "version": version,
        "date": date,
        "previous": previous,
        "title": f"rsme-kg {version}",
        "files": entries,
        **metadata,
    }
    (folder / "release.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in entries)
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return folder


def bundle(version: str, previous: str | None) -> dict[str, Listed]:
    """The files of a typical release: ontology, a gzip-compressed dump, a note in Unicode."""
    nquads = b"<https://w3id.org/rsme-kg/id/x> <http://example.org/p> 'o' <urn:g> .\n" * 50
    return {
        "ontology.ttl": Listed(ontology_turtle(version, previous), "text/turtle"),
        "CHANGELOG.md": Listed(f"# {version}\n\n- a change\n".encode(), "text/markdown"),
        "dumps/rsme-kg.nq.gz": Listed(gzip.compress(nquads, mtime=0), "application/gzip"),
        "notes/café.md": Listed("Café, مطالعه\n".encode(), "text/markdown"),
    }


@dataclass(frozen=True)
class Releases:
    """The releases folder of the module's app, and the files of its releases."""

    root: Path
    outside: Path  # a file beside the releases folder that must never be sent
    files: dict[str, dict[str, Listed]]  # version -> listed files


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    base = tmp_path_factory.mktemp("releases-api")
    root = base / "releases"
    outside = base / "secret.txt"
    outside.write_bytes(SECRET)
    files = {
        "0.9.0": bundle("0.9.0", None),
        "0.10.0": bundle("0.10.0", "0.9.0"),
        "1.0.0": bundle("1.0.0", "0.10.0"),
    }
    write_release(root, "0.9.0", "2026-01-10", files["0.9.0"])
    write_release(root, "0.10.0", "2026-03-01", files["0.10.0"], previous="0.9.0")
    folder = write_release(
        root,
        "1.0.0",
        "2026-12-01",
        files["1.0.0"],
        previous="0.10.0",
        license="https://creativecommons.org/licenses/by/4.0/",
    )
    # on disk but not listed, and a link out of the release (listed, size and digest right)
    (folder / "unlisted.txt").write_bytes(SECRET)
    (folder / "escape.ttl").symlink_to(outside)
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    manifest["files"].append(
        {
            "path": "escape.ttl",
            "media_type": "text/turtle",
            "bytes": len(SECRET),
            "sha256": hashlib.sha256(SECRET).hexdigest(),
            "title": "a link out",
        }
    )
    manifest["files"].sort(key=lambda f: f["path"])
    (folder / "release.json").write_text(json.dumps(manifest), encoding="utf-8")
    # not releases: no release.json; a broken one; one listing a path out of its folder; a
    # link to another version's folder; a name no version may have
    (root / "2.0.0-draft").mkdir()
    (root / "3.0.0").mkdir()
    (root / "3.0.0" / "release.json").write_text("{not json", encoding="utf-8")
    hostile = write_release(root, "4.0.0", "2026-12-02", {"a.txt": Listed(b"a", "text/plain")})
    data = json.loads((hostile / "release.json").read_text(encoding="utf-8"))
    data["files"][0]["path"] = "../secret.txt"
    (hostile / "release.json").write_text(json.dumps(data), encoding="utf-8")
    (root / "latest").symlink_to(root / "1.0.0", target_is_directory=True)
    # a release.json that is a link to a file out of the folder (valid, and naming 6.0.0)
    linked = write_release(
        base / "elsewhere", "6.0.0", "2026-12-03", {"a.txt": Listed(b"a", "text/plain")}
    )
    (root / "6.0.0").mkdir()
    (root / "6.0.0" / "a.txt").write_bytes(b"a")
    (root / "6.0.0" / "release.json").symlink_to(linked / "release.json")
    (root / ".hidden").mkdir()
    return Releases(root, outside, files)


@pytest.fixture(scope="module")
def app(releases: Releases, small_store: Path) -> Iterator[ApiClient]:
    with ApiClient(store=small_store, releases=releases.root) as client:
        yield client


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def checksums(text: str) -> dict[str, str]:
    """A SHA256SUMS file read: digest by path."""
    found = {}
    for line in text.splitlines():
        digest, path = line.split("  ", 1)
        found[path] = digest
    return found


# ------------------------------------------------------------------------------ the list


def test_the_list_is_newest_first_by_version_order_with_counts_from_release_json(
    app: Api, releases: Releases
) -> None:
    reply = app.get("/releases")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["cache-control"] == "no-cache"
    listed = reply.json()["releases"]
    # 0.10.0 after 1.0.0 and before 0.9.0: version order, not text order
    assert [r["version"] for r in listed] == ["1.0.0", "0.10.0", "0.9.0"]
    for entry in listed:
        files = releases.files[entry["version"]]
        extra = 1 if entry["version"] == "1.0.0" else 0  # the listed link out
        assert entry["files"] == len(files) + extra
        sizes = sum(len(f.body) for f in files.values()) + extra * len(SECRET)
        assert entry["bytes"] == sizes
        assert entry["links"]["self"].endswith(f"/releases/{entry['version']}")
        assert entry["links"]["ontology"].endswith(f"/ontology/{entry['version']}")
    assert listed[0]["previous"] == "0.10.0" and listed[2]["previous"] is None
    assert listed[0]["links"]["previous"].endswith("/releases/0.10.0")


def test_the_list_for_browsers_is_a_page_with_a_captioned_table(app: Api) -> None:
    reply = app.get("/releases", headers={"Accept": "text/html,*/*;q=0.8"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    page = reply.text
    assert "<h1>Releases</h1>" in page and "<caption>" in page
    assert page.count('<th scope="col"') == 6 and page.count('<th scope="row">') == 3
    for version in ("1.0.0", "0.10.0", "0.9.0"):
        assert f'href="/releases/{version}"' in page
    assert page.index(">1.0.0<") < page.index(">0.10.0<") < page.index(">0.9.0<")
    assert app.get("/releases", params={"format": "json"}).json()["releases"]


def test_the_list_answers_a_304_and_a_406(app: Api) -> None:
    first = app.get("/releases")
    again = app.get("/releases", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    refused = app.get("/releases", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.headers["content-type"] == PROBLEM


def test_a_new_release_is_listed_without_a_restart(tmp_path: Path, small_store: Path) -> None:
    root = tmp_path / "releases"  # not there yet: no release, an empty list
    with ApiClient(store=small_store, releases=root) as client:
        empty = client.get("/releases")
        assert empty.status_code == 200 and empty.json() == {"releases": []}
        assert "No release has been published" in client.get("/releases?format=html").text
        assert client.get("/ontology/2.0.0").status_code == 404
        write_release(root, "2.0.0", "2026-12-06", bundle("2.0.0", None))
        listed = client.get("/releases")
        assert [r["version"] for r in listed.json()["releases"]] == ["2.0.0"]
        assert listed.headers["etag"] != empty.headers["etag"]
        assert client.get("/releases/2.0.0").status_code == 200
        ontology = client.get("/ontology/2.0.0", headers={"Accept": "text/turtle"})
        assert ontology.status_code == 200
        write_release(root, "2.1.0", "2026-12-07", bundle("2.1.0", "2.0.0"), previous="2.0.0")
        versions = [r["version"] for r in client.get("/releases").json()["releases"]]
        assert versions == ["2.1.0", "2.0.0"]


def test_folders_that_are_not_releases_are_neither_listed_nor_served(app: Api) -> None:
    versions = {r["version"] for r in app.get("/releases").json()["releases"]}
    for name in ("2.0.0-draft", "3.0.0", "4.0.0", "latest", "6.0.0"):
        assert name not in versions
        assert app.get(f"/releases/{name}").status_code == 404
    assert app.get("/releases/latest/ontology.ttl").status_code == 404
    assert app.get("/releases/4.0.0/a.txt").status_code == 404


# ------------------------------------------------------------------------------ a release


def test_a_release_lists_its_files_with_sizes_types_digests_and_links(
    app: Api, releases: Releases
) -> None:
    reply = app.get("/releases/1.0.0")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    detail = reply.json()
    assert (detail["version"], detail["date"], detail["previous"]) == (
        "1.0.0",
        "2026-12-01",
        "0.10.0",
    )
    assert detail["metadata"] == {"license": "https://creativecommons.org/licenses/by/4.0/"}
    files = {f["path"]: f for f in detail["files"]}
    for path, listed in releases.files["1.0.0"].items():
        entry = files[path]
        assert entry["bytes"] == len(listed.body)
        assert entry["sha256"] == sha(listed.body)
        assert entry["media_type"] == listed.media_type
        download = app.get(entry["url"])
        assert download.status_code == 200 and download.content == listed.body
    assert [f["path"] for f in detail["files"]] == sorted(files)
    assert detail["links"]["release.json"].endswith("/releases/1.0.0/release.json")
    assert app.get("/releases/1.0.0/").json() == detail


def test_a_release_page_shows_every_file_and_its_digest(app: Api, releases: Releases) -> None:
    page = app.get("/releases/1.0.0", headers={"Accept": "text/html"}).text
    assert "<h1>Release 1.0.0</h1>" in page and "<caption>" in page
    for listed in releases.files["1.0.0"].values():
        assert sha(listed.body) in page
    assert 'href="/releases/1.0.0/notes/caf%C3%A9.md"' in page
    assert 'href="/ontology/1.0.0?format=ttl"' in page
    assert 'href="/releases/0.10.0"' in page


@pytest.mark.parametrize(
    "version", ["1.0.1", "1.0", "%2e%2e", ".hidden", "a%20b", "x" * 65, "1.0.0%00"]
)
def test_an_unknown_or_malformed_version_is_not_found_with_suggestions(
    app: Api, version: str
) -> None:
    reply = app.get(f"/releases/{version}")
    assert reply.status_code == 404 and reply.headers["content-type"] == PROBLEM
    suggestions = reply.json()["suggestions"]
    assert suggestions and set(suggestions) <= {"1.0.0", "0.10.0", "0.9.0"}
    if version == "1.0.1":
        assert suggestions[0] == "1.0.0"


# ------------------------------------------------------------------------------ its files


def test_a_file_is_sent_with_its_type_length_strong_etag_and_a_year_of_cache(
    app: Api, releases: Releases
) -> None:
    body = releases.files["1.0.0"]["ontology.ttl"].body
    reply = app.get("/releases/1.0.0/ontology.ttl")
    assert reply.status_code == 200 and reply.content == body
    assert reply.headers["content-type"].split(";")[0] == "text/turtle"
    assert reply.headers["content-length"] == str(len(body))
    assert reply.headers["etag"] == f'"{sha(body)}"'
    assert "immutable" in reply.headers["cache-control"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    again = app.get(
        "/releases/1.0.0/ontology.ttl", headers={"If-None-Match": reply.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    other = app.get("/releases/1.0.0/ontology.ttl", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


def test_head_and_range_of_a_file(app: Api, releases: Releases) -> None:
    body = releases.files["1.0.0"]["CHANGELOG.md"].body
    head = app.head("/releases/1.0.0/CHANGELOG.md")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(body))
    assert head.headers["etag"] == f'"{sha(body)}"'
    part = app.get("/releases/1.0.0/CHANGELOG.md", headers={"Range": "bytes=2-6"})
    assert part.status_code == 206 and part.content == body[2:7]
    assert part.headers["content-range"] == f"bytes 2-6/{len(body)}"


def test_a_compressed_dump_is_sent_as_the_gzip_file_it_is(app: Api, releases: Releases) -> None:
    body = releases.files["1.0.0"]["dumps/rsme-kg.nq.gz"].body
    reply = app.get("/releases/1.0.0/dumps/rsme-kg.nq.gz", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in reply.headers
    assert reply.content == body  # httpx decodes nothing: no Content-Encoding
    assert gzip.decompress(reply.content).startswith(b"<https://w3id.org/rsme-kg/id/x>")


def test_the_manifests_are_served_and_agree_with_the_files(app: Api, releases: Releases) -> None:
    manifest = app.get("/releases/1.0.0/release.json")
    assert manifest.status_code == 200 and manifest.headers["content-type"] == "application/json"
    assert manifest.headers["etag"] == f'"{sha(manifest.content)}"'
    assert manifest.json()["version"] == "1.0.0"
    sums = app.get("/releases/1.0.0/SHA256SUMS")
    assert sums.status_code == 200 and sums.headers["content-type"].startswith("text/plain")
    digests = checksums(sums.text)
    for path, listed in releases.files["1.0.0"].items():
        assert digests[path] == sha(listed.body)


def test_a_unicode_name_listed_in_release_json_is_served(app: Api, releases: Releases) -> None:
    reply = app.get("/releases/1.0.0/notes/café.md")
    assert reply.status_code == 200
    assert reply.content == releases.files["1.0.0"]["notes/café.md"].body


HOSTILE = [
    "/releases/1.0.0/..%2F..%2Fpyproject.toml",
    "/releases/1.0.0/..%2F..%2Fsecret.txt",
    "/releases/1.0.0/..%2f..%2fsecret.txt",
    "/releases/..%2F/x",
    "/releases/..%2F..%2Fsecret.txt/x",
    "/releases/1.0.0/%2e%2e/x",
    "/releases/1.0.0/%2e%2e/%2e%2e/secret.txt",
    "/releases/1.0.0/notes/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/releases/1.0.0/..%5C..%5Csecret.txt",
    "/releases/1.0.0/%2Fetc%2Fpasswd",
    "/releases/1.0.0//etc/passwd",
    "/releases/1.0.0/unlisted.txt",  # on disk, not in release.json
    "/releases/1.0.0/escape.ttl",  # listed, but a link out of the release
    "/releases/1.0.0/ontology.ttl%00",
    "/releases/1.0.0/%00",
    "/releases/1.0.0/notes/cafe%CC%81.md",  # the same name decomposed: not the listed one
    "/releases/1.0.0/notes",  # a folder
    "/releases/1.0.0/%2e/ontology.ttl",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_are_not_found(app: Api, path: str) -> None:
    reply = app.get(path)
    assert reply.status_code == 404, path
    assert reply.headers["content-type"] == PROBLEM
    assert SECRET not in reply.content and b"[project]" not in reply.content


def test_an_unknown_file_suggests_the_listed_paths(app: Api) -> None:
    reply = app.get("/releases/1.0.0/ontologie.ttl")
    assert reply.status_code == 404
    assert "ontology.ttl" in reply.json()["suggestions"]


# ------------------------------------------------------------------------------ /ontology/{v}


def test_the_ontology_of_a_release_in_every_rdf_format(app: Api, releases: Releases) -> None:
    body = releases.files["0.10.0"]["ontology.ttl"].body
    turtle = app.get("/ontology/0.10.0", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.content == body
    assert turtle.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=turtle.text, format="turtle")
    version_iri = URIRef("https://w3id.org/rsme-kg/ontology/0.10.0")
    assert (ONTOLOGY_IRI, OWL.versionIRI, version_iri) in graph
    assert (ONTOLOGY_IRI, OWL.versionInfo, Literal("0.10.0")) in graph
    assert (ONTOLOGY_IRI, OWL.priorVersion, URIRef(str(ONTOLOGY_IRI) + "/0.9.0")) in graph
    for media, name in (
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ):
        reply = app.get("/ontology/0.10.0", headers={"Accept": media})
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(media)
        if name == "json-ld":  # its context is the served one: read it from the server
            document = reply.json()
            document["@context"] = app.get("/context.jsonld").json()["@context"]
            parsed = Graph().parse(data=json.dumps(document), format="json-ld")
        else:
            parsed = Graph().parse(data=reply.text, format=name)
        assert isomorphic(parsed, graph), media
    again = app.get(
        "/ontology/0.10.0?format=ttl", headers={"If-None-Match": turtle.headers["etag"]}
    )
    assert again.status_code == 304


def test_a_browser_asking_for_a_released_ontology_goes_to_the_release(app: Api) -> None:
    reply = app.get("/ontology/1.0.0", headers={"Accept": "text/html"})
    assert reply.status_code == 303 and reply.headers["location"] == "/releases/1.0.0"


def test_the_served_version_still_leads_to_the_ontology(app: Api) -> None:
    source = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    served = str(source.value(ONTOLOGY_IRI, OWL.versionInfo))
    moved = app.get(f"/ontology/{served}")
    assert moved.status_code == 303 and moved.headers["location"] == "/ontology"
    missing = app.get("/ontology/9.9.9")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert missing.json()["suggestions"] == [served, "1.0.0", "0.10.0", "0.9.0"]
    assert app.get("/ontology/..%2F..%2Fpyproject.toml").status_code == 404


def test_a_release_without_an_ontology_has_no_ontology_version(
    tmp_path: Path, small_store: Path
) -> None:
    root = tmp_path / "releases"
    write_release(root, "5.0.0", "2026-12-06", {"a.txt": Listed(b"a\n", "text/plain")})
    with ApiClient(store=small_store, releases=root) as client:
        assert client.get("/releases/5.0.0").status_code == 200
        assert "ontology" not in client.get("/releases/5.0.0").json()["links"]
        assert client.get("/ontology/5.0.0").status_code == 404


# ------------------------------------------------------------------------------ a real server


@pytest.fixture(scope="module")
def live_releases(
    releases: Releases, small_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The real `rsme-kg serve`, told the releases folder by its environment variable."""
    env = {"RSME_KG_RELEASES": str(releases.root)}
    log = tmp_path_factory.mktemp("releases-live") / "server.log"
    with ApiServer(store=small_store, env=env, log=log) as server:
        yield server


def test_a_real_server_serves_releases_to_real_clients(
    releases: Releases, live_releases: ApiServer
) -> None:
    server = live_releases
    listed = httpx.get(f"{server.base}/releases").json()["releases"]
    assert [r["version"] for r in listed] == ["1.0.0", "0.10.0", "0.9.0"]
    # rdflib reads the version IRI as a linked-data client would, by content negotiation
    graph = Graph().parse(f"{server.base}/ontology/1.0.0", format="turtle")
    assert (ONTOLOGY_IRI, OWL.versionInfo, Literal("1.0.0")) in graph
    assert (URIRef(str(ONTOLOGY_IRI) + "#Study"), RDF.type, OWL.Class) in graph
    dump = releases.files["1.0.0"]["dumps/rsme-kg.nq.gz"].body
    with httpx.stream("GET", f"{server.base}/releases/1.0.0/dumps/rsme-kg.nq.gz") as reply:
        assert reply.headers["content-length"] == str(len(dump))
        assert "content-encoding" not in reply.headers
        assert reply.read() == dump
    part = httpx.get(
        f"{server.base}/releases/1.0.0/dumps/rsme-kg.nq.gz", headers={"Range": "bytes=0-1"}
    )
    assert part.status_code == 206 and part.content == dump[:2] == b"\x1f\x8b"
    for path in HOSTILE:
        reply = httpx.get(f"{server.base}{path}")
        assert reply.status_code in (400, 404), path  # uvicorn may refuse a NUL itself
        assert SECRET not in reply.content, path


@pytest.mark.parametrize("path", ["/releases", "/releases/1.0.0"])
def test_the_release_pages_are_accessible_and_fit_a_phone(
    live_releases: ApiServer, tab: Tab, phone: Tab, path: str
) -> None:
    response = tab.goto(live_releases.base + path)
    assert response is not None and response.status == 200
    assert tab.page.locator("h1").count() == 1 and tab.page.title().strip()
    grave = axe_violations(tab.page)
    assert grave == [], grave
    assert tab.errors == []
    phone.goto(live_releases.base + path)
    wide = phone.page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => {"
        " const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1"
        " && !e.closest('.scroll'); }).slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert fits_width(phone.page), f"{path} is wider than a phone: {wide}"
    assert phone.errors == []


# ------------------------------------------------------------------------------ a real release


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Release 1.0.0 of the real sources, made by `kg.release` (a build: once per module)."""
    from kg.cache import Cache
    from kg.release.bundle import Request, make_release
    from tests.conftest import DATA

    root = tmp_path_factory.mktemp("made") / "releases"
    folder, manifest = make_release(
        Request(version="1.0.0", root=root, data=DATA), None, cache=Cache.at()
    )
    return folder, manifest


def test_a_release_made_by_kg_release_is_served_file_for_file(
    made: tuple[Path, dict[str, Any]], small_store: Path
) -> None:
    folder, manifest = made
    with ApiClient(store=small_store, releases=folder.parent) as client:
        (listed,) = client.get("/releases").json()["releases"]
        assert (listed["version"], listed["date"]) == (manifest["version"], manifest["date"])
        assert listed["files"] == len(manifest["files"])
        assert listed["bytes"] == sum(f["bytes"] for f in manifest["files"])
        sums = client.get("/releases/1.0.0/SHA256SUMS").text
        summed = checksums(sums)
        for entry in client.get("/releases/1.0.0").json()["files"]:
            reply = client.get(entry["url"])
            assert reply.status_code == 200, entry["path"]
            assert reply.content == (folder / entry["path"]).read_bytes()
            assert reply.headers["etag"] == f'"{sha(reply.content)}"' == f'"{entry["sha256"]}"'
            assert reply.headers["content-type"].split(";")[0] == entry["media_type"]
            assert "content-encoding" not in reply.headers
            assert summed[entry["path"]] == entry["sha256"]
        assert any(e["path"].endswith(".gz") for e in manifest["files"])  # the check saw one
        turtle = client.get("/ontology/1.0.0", headers={"Accept": "text/turtle"})
        assert turtle.content == (folder / "ontology.ttl").read_bytes()
        graph = Graph().parse(data=turtle.text, format="turtle")
        version_iri = URIRef("https://w3id.org/rsme-kg/ontology/1.0.0")
        assert (ONTOLOGY_IRI, OWL.versionIRI, version_iri) in graph
        triples = client.get("/ontology/1.0.0", headers={"Accept": "application/n-triples"})
        assert isomorphic(Graph().parse(data=triples.text, format="nt"), graph)
