"""Shared fixtures: the real corpus built once per session, scratch copies of data/, and the
web facade over it: in this process (`embedded`, `remote`, `server`) or as the real
`rsme-kg serve` (`live`)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import paths, pipeline
from kg.cache import ENV as CACHE_ENV
from kg.store.embedded import EmbeddedStore
from tests.apiclient import ApiClient
from tests.apiserver import ApiServer
from tests.browser import browser, phone, tab  # noqa: F401  (fixtures of the page tests)
from tests.servers import OxigraphServer, start_oxigraph

ROOT = paths.ROOT
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"

# The check cache of CLI runs (kg/cache.py) is one folder for the whole suite, shared by the
# xdist workers (entries are content-keyed and written atomically), rather than a new one in
# every working folder a test changes to. Tests of the cache itself name their own folders.
os.environ.setdefault(CACHE_ENV, str(ROOT / ".rsme-kg-cache"))


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


@pytest.fixture(scope="session")
def oxigraph(
    built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OxigraphServer]:
    """A real `oxigraph serve` loaded with the build by `rsme-kg publish` (tests only read it)."""
    from kg.publish import publish

    with start_oxigraph(tmp_path_factory.mktemp("oxigraph")) as running:
        publish(built[0] / pipeline.TRIG_NAME, running.store_url)
        yield running


@pytest.fixture(scope="session")
def embedded(built: tuple[Path, dict[str, object]]) -> Iterator[ApiClient]:
    """The facade over the embedded store, in this process (one query worker)."""
    with ApiClient(store=built[0] / paths.STORE_SUBDIR) as app:
        yield app


@pytest.fixture(scope="session")
def remote(oxigraph: OxigraphServer) -> Iterator[ApiClient]:
    """The same facade, in this process, over the real `oxigraph serve` holding the build."""
    with ApiClient(endpoint=oxigraph.query_url) as app:
        yield app


@pytest.fixture(scope="module", params=["embedded", "remote"])
def server(request: pytest.FixtureRequest) -> ApiClient:
    """A test that takes `server` runs against both backends."""
    app: ApiClient = request.getfixturevalue(request.param)
    return app


@pytest.fixture(scope="session")
def live(
    built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The real `rsme-kg serve` over the embedded store: uvicorn in its own process, with a
    query worker per core (for real clients, browsers and what only a real server shows)."""
    log = tmp_path_factory.mktemp("live") / "server.log"
    with ApiServer(store=built[0] / paths.STORE_SUBDIR, log=log) as running:
        yield running


# --- the fixture corpus (tests/data/corpus): six studies of data/, built in seconds -----------


@pytest.fixture()
def small_data(tmp_path: Path) -> Path:
    """A scratch copy of the fixture corpus that a test may break (see tests/data/README.md)."""
    from tests.corpus import FIXTURE

    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture(scope="session")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The fixture corpus built once per session, without the reasoner (not what it tests)."""
    from tests.corpus import FIXTURE

    out = tmp_path_factory.mktemp("small-build") / "dist"
    _, manifest = pipeline.build(FIXTURE, out, run_reasoner=False)
    return out, manifest


@pytest.fixture(scope="session")
def small_store(small_built: tuple[Path, dict[str, object]]) -> Path:
    """The folder of the fixture corpus's built store (tests copy it or open it read-only)."""
    return small_built[0] / paths.STORE_SUBDIR
