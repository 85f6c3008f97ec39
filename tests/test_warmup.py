"""The warm-up after start (api.warmup) and the answers it prepares: computed once, shared with
the requests that come meanwhile, and the same as those computed on demand.

The queries that read every factor at once (api.services.build.by_factor) are checked against
the same queries bound to each factor; the rewritten ld-labels.rq against its former text.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from rdflib import URIRef

from api import warmup
from api.backends import EmbeddedBackend
from api.worker import Lookup
from kg import iris, paths, queries
from kg.store.base import QueryResult
from kg.store.embedded import EmbeddedStore
from tests.apiclient import ApiClient

ROOT = Path(__file__).resolve().parent.parent
Built = tuple[Path, dict[str, object]]

# ld-labels.rq as it was before it was written to start from the resource: the oracle of its
# answers (the new text must give the same rows for every IRI)
LD_LABELS_BEFORE = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>

SELECT DISTINCT ?resource ?node ?property ?label
WHERE {
  { ?resource ?node ?x }
  UNION { ?resource ?x ?node }
  UNION { ?node ?x ?resource }
  UNION { ?x ?node ?resource }
  UNION { ?resource ?x ?list . FILTER (isBlank(?list)) ?list rdf:rest*/rdf:first ?node }
  VALUES ?property { skos:prefLabel rdfs:label dcterms:title foaf:name rsme:quote }
  ?node ?property ?label .
  FILTER (isIRI(?node))
}
"""

# the named queries read for every factor at once, and kept per build
BY_FACTOR = (
    "api/factor-evidence",
    "api/factor-labels",
    "api/factor-hierarchy",
    "api/factor-mappings",
    "api/ld-evidence",
)


def _wait_warm(app: ApiClient, timeout: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health: dict[str, object] = app.get("/healthz").json()
        if health.get("warm"):
            return health
        time.sleep(0.05)
    raise AssertionError(f"not warm after {timeout} s")


@pytest.fixture()
def lookups(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, tuple[object, ...]]]]:
    """Every named query the embedded backend is asked, with its bindings, counted."""
    asked: Counter[tuple[str, tuple[object, ...]]] = Counter()
    original = EmbeddedBackend.lookup

    async def counting(self: EmbeddedBackend, lookup: Lookup, timeout: float) -> QueryResult:
        asked[(lookup.query, lookup.bindings)] += 1
        return await original(self, lookup, timeout)

    monkeypatch.setattr(EmbeddedBackend, "lookup", counting)
    yield asked


def _named(asked: Counter[tuple[str, tuple[object, ...]]], name: str) -> int:
    text = queries.load(name)
    return sum(n for (query, bound), n in asked.items() if query == text and not bound)


def test_the_warm_up_runs_every_step_and_healthz_says_when(small_store: Path) -> None:
    with ApiClient(store=small_store, warmup=True) as app:
        health = _wait_warm(app)
        state: warmup.Warmup = app.app.state.warmup
        assert state.failed == []
        assert state.done == [name for name, _ in warmup.steps()]
        assert isinstance(health["warmup_seconds"], float) and health["warmup_seconds"] >= 0
        assert health["status"] == "ok"


def test_after_the_warm_up_the_first_requests_ask_the_store_nothing_it_read(
    small_store: Path, lookups: Counter[tuple[str, tuple[object, ...]]]
) -> None:
    """The lists, the search, the analysis, the pages of a factor and the pictures are ready:
    their first requests send no query the warm-up has sent already, and no query at all for
    what is read for every factor at once."""
    with ApiClient(store=small_store, warmup=True) as app:
        _wait_warm(app)
        before = Counter(lookups)
        factor = app.get("/factors").json()[0]["id"]
        for path, accept in (
            ("/factors", "application/json"),
            (f"/factors/{factor}", "application/json"),
            (f"/factors/{factor}/evidence", "application/json"),
            ("/categories", "application/json"),
            ("/studies", "application/json"),
            ("/search?q=export", "application/json"),
            ("/analysis", "application/json"),
            ("/analysis", "text/html"),
            ("/analysis/matrix", "application/json"),
            ("/analysis/model.png", "*/*"),
            ("/", "text/html"),
            ("/explore", "text/html"),
            (f"/explore/factors/{factor}", "text/html"),
            ("/explore/studies", "text/html"),
            (f"/id/factor/{factor}?view=evidence", "text/html"),
        ):
            assert app.get(path, headers={"Accept": accept}).status_code == 200, path
        asked_now = lookups - before
        assert asked_now == Counter(), f"asked again after the warm-up: {list(asked_now)}"


def test_a_request_during_the_warm_up_shares_its_computation(
    small_store: Path, lookups: Counter[tuple[str, tuple[object, ...]]]
) -> None:
    """The factor list asked at once after start waits for the warm-up's factor summaries
    (or the warm-up for its): the summaries of every factor are read from the store once."""
    with ApiClient(store=small_store, warmup=True) as app:
        first = app.get("/factors")
        _wait_warm(app)
        again = app.get("/factors")
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        assert _named(lookups, "api/factor-summary") == 1
        assert _named(lookups, "api/study-list") == 1


def test_answers_are_the_same_with_and_without_the_warm_up(
    small_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every route gives the same body whether the warm-up prepared its answer or the request
    computed it (the analysis page aside: it says when it was generated)."""
    paths_ = (
        "/factors",
        "/factors?sort=weight",
        "/categories",
        "/studies?limit=100",
        "/search?q=capital",
        "/analysis",
        "/analysis/matrix",
        "/analysis/weights",
    )
    with ApiClient(store=small_store, warmup=True) as warm:
        _wait_warm(warm)
        factor = warm.get("/factors").json()[0]["id"]
        pages = (f"/factors/{factor}", f"/factors/{factor}/evidence", f"/explore/factors/{factor}")
        warmed = {p: warm.get(p).content for p in (*paths_, *pages)}
    monkeypatch.setattr(warmup, "steps", tuple)
    with ApiClient(store=small_store, warmup=True) as cold:
        computed = {p: cold.get(p).content for p in (*paths_, *pages)}
    assert computed == warmed


def test_the_warm_up_can_be_turned_off(small_store: Path) -> None:
    """RSME_KG_WARMUP=0 (Settings.warmup): nothing is computed before it is asked for, and
    /healthz does not claim a warm-up."""
    with ApiClient(store=small_store, warmup=False) as app:
        health = app.get("/healthz").json()
        assert "warm" not in health and "warmup_seconds" not in health
        assert getattr(app.app.state, "warmup", None) is None
        assert app.get("/factors").status_code == 200  # computed on demand, as before


def test_a_store_without_a_build_is_not_warmed() -> None:
    """A remote store keeps nothing per build: nothing to warm, and /healthz says warm."""

    async def scenario() -> warmup.Warmup:
        app = FastAPI()
        app.state.manifest = {}
        state = warmup.start(app)
        await warmup.stop(app)
        return state

    state = asyncio.run(scenario())
    assert state.finished and state.task is None and state.done == []


def test_a_failed_step_is_recorded_and_the_others_run() -> None:
    ran: list[str] = []

    async def fine(request: object) -> None:
        ran.append("fine")

    async def broken(request: object) -> None:
        raise RuntimeError("store down")

    async def scenario() -> warmup.Warmup:
        app = FastAPI()
        state = warmup.Warmup()
        steps = (("broken", broken), ("fine", fine))
        await warmup.warm(app, state, steps)
        return state

    state = asyncio.run(scenario())
    assert state.failed == ["broken"] and state.done == ["fine"] and ran == ["fine"]
    assert state.finished


@pytest.fixture(scope="module")
def corpus_store(built: Built) -> EmbeddedStore:
    return EmbeddedStore.copy_in_memory(built[0] / paths.STORE_SUBDIR)


@pytest.mark.parametrize("name", BY_FACTOR)
def test_every_factor_at_once_gives_each_factor_its_bound_rows(
    corpus_store: EmbeddedStore, name: str
) -> None:
    """Grouped by ?factor, the rows of the query for every factor are, factor by factor and in
    order, the rows of the query bound to that factor (so api.services.build.by_factor may
    answer from them)."""
    every: dict[str, list[dict[str, object]]] = {}
    for row in queries.select(corpus_store, name):
        every.setdefault(str(row["factor"]), []).append(row)
    factors = [str(row["factor"]) for row in queries.select(corpus_store, "api/factor-ids")]
    assert len(factors) > 40 and any(every.get(f) for f in factors)
    for factor in [*factors, str(iris.factor("no-such-factor"))]:
        bound = queries.select(corpus_store, name, factor=URIRef(factor))
        assert every.get(factor, []) == bound, factor


@pytest.mark.parametrize("name", ["api/factor-summary"])
def test_the_first_row_of_each_factor_is_that_of_the_bound_query(
    corpus_store: EmbeddedStore, name: str
) -> None:
    first: dict[str, dict[str, object]] = {}
    for row in queries.select(corpus_store, name):
        first.setdefault(str(row["factor"]), row)
    for factor, row in first.items():
        assert queries.select(corpus_store, name, factor=URIRef(factor))[0] == row


def test_ld_labels_gives_the_rows_it_gave_before(corpus_store: EmbeddedStore) -> None:
    """The rewritten ld-labels.rq (starting from the resource) labels the same nodes with the
    same labels as before, for every IRI of the corpus (studies with author lists included)."""
    every = corpus_store.query(
        "SELECT DISTINCT ?s WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } FILTER (isIRI(?s)) }"
    )
    resources = sorted(str(row["s"]) for row in every.solutions)
    assert any("/study/" in r for r in resources) and len(resources) > 500

    def rows(text: str, resource: str) -> list[tuple[tuple[str, str], ...]]:
        answer = corpus_store.query(text, {"resource": URIRef(resource)})
        return sorted(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in answer.solutions)

    new = queries.load("api/ld-labels")
    listed = 0
    for resource in resources:
        before = rows(LD_LABELS_BEFORE, resource)
        assert rows(new, resource) == before, resource
        listed += "/study/" in resource and len(before) > 0
    assert listed > 0


def test_importing_the_app_leaves_matplotlib_unloaded() -> None:
    """The server imports matplotlib only when it draws (the first picture, or the warm-up)."""
    probe = "import sys, api.app; print('matplotlib' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
