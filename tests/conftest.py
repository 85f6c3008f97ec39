"""Shared fixtures: the real corpus built once per session, and scratch copies of data/."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import paths, pipeline
from kg.store.embedded import EmbeddedStore
from tests.apiserver import ApiServer
from tests.servers import start_oxigraph

ROOT = paths.ROOT
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, object]]]:
    """The real corpus built with the reasoner into a temporary dist/ (once per session)."""
    out = tmp_path_factory.mktemp("build") / "dist"
    _, manifest = pipeline.build(DATA, out, run_reasoner=True)
    yield out, manifest


@pytest.fixture(scope="session")
def store(built: tuple[Path, dict[str, object]]) -> EmbeddedStore:
    """The built store, opened read-only."""
    return EmbeddedStore.open(built[0] / paths.STORE_SUBDIR)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, by relative path (to prove it was not touched)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def embedded(
    built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The facade over the embedded store (a real server on a free port)."""
    log = tmp_path_factory.mktemp("embedded") / "server.log"
    with ApiServer(store=built[0] / paths.STORE_SUBDIR, log=log) as running:
        yield running


@pytest.fixture(scope="module")
def remote(
    built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The same facade over a real `oxigraph serve`, loaded with `rsme-kg publish`."""
    from kg.publish import publish

    with start_oxigraph(tmp_path_factory.mktemp("oxigraph")) as oxigraph:
        publish(built[0] / pipeline.TRIG_NAME, oxigraph.store_url)
        log = tmp_path_factory.mktemp("remote") / "server.log"
        with ApiServer(endpoint=oxigraph.query_url, log=log) as running:
            yield running


@pytest.fixture(scope="module", params=["embedded", "remote"])
def server(request: pytest.FixtureRequest) -> ApiServer:
    """A test that takes `server` runs against both backends."""
    running: ApiServer = request.getfixturevalue(request.param)
    return running
