"""schemathesis against the real `rsme-kg serve`: every operation of the served OpenAPI
description, cases generated from it (its examples, its coverage of each parameter's edges,
then random fuzzing), every check schemathesis has. No answer may be a 5xx, and each must be
one the description declares: its status, its content type, its schema, its headers.

The server is the real one (uvicorn in its own process, query workers) over the fixture
corpus's store, reached over HTTP: what a client on the network meets. The description is made
in process at collection (to parametrize the test) and the first test checks that the server
serves the very same at /openapi.json.

Nothing is left out. Where a check's default expectation cannot hold for a reason of the HTTP
or SPARQL protocols rather than of the app, the exception is written in `CONFIG` below with the
reason, and is as narrow as it can be (one status, the operations it concerns).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from tests.apiserver import ApiServer

# fuzzing cases per operation, on top of the examples and the coverage phase's cases: enough
# for at least MIN_CASES in all, in well under two minutes on two cores
MAX_EXAMPLES = 10
MIN_CASES = 1_000

# `format` of the SPARQL endpoint and of the VoID description takes a short name or any media
# type (their lists of names are long, and a result format depends on the query's form); one
# that cannot be given is a 406 by HTTP's rules (RFC 9110 15.5.7), as an Accept it cannot meet.
# The linked-data routes list their `format` values (an enum); /id/{path}'s evidence view is a
# page only, so `view=evidence` with an RDF `format` is a 406 too (a rule across parameters)
_FORMAT_406 = ["/sparql", "/.well-known/void", "/id/{path}"]
# OpenAPI cannot state a rule across parameters (`year` excludes `year_from`/`year_to`, and
# year_from <= year_to) nor that a value must name something in the graph (a category, a
# factor, a research method, a country): a schema-valid request may break either, and is
# refused with 422 naming the parameter (problem+json, or the page with the form for a browser)
_SEMANTIC_422 = [
    "/factors",
    "/factors/{factor_id}/evidence",
    "/studies",
    "/explore/factors/{factor_id}",
    "/explore/studies",
    # q needs two letters besides spaces, marks and joiners: not a JSON Schema rule
    "/explore/search",
]
# a string the schema admits is rarely a SPARQL query: the grammar is not a JSON Schema, and a
# query that does not parse is a 400 by the SPARQL 1.1 Protocol (2.1.4)
_QUERY_400 = ["/sparql"]

DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _operations() -> list[dict[str, Any]]:
    """One override per path, with every status the path may refuse valid data with."""
    statuses: dict[str, list[str]] = {}
    for paths, status in ((_FORMAT_406, "406"), (_SEMANTIC_422, "422"), (_QUERY_400, "400")):
        for path in paths:
            statuses.setdefault(path, []).append(status)
    return [
        {
            "include-path": path,
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*DEFAULT_ACCEPTED, *extra]}
            },
        }
        for path, extra in statuses.items()
    ]


CONFIG: dict[str, Any] = {
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,  # the same cases on every run: a failure is reproducible
        "database": "none",  # nothing written to the working folder
        "mode": "all",  # valid and invalid data
    },
    "phases": {"stateful": {"enabled": False}},  # no links between operations to follow
    "operations": _operations(),
}

# what the run did, for the count test and the report at the end
CASES: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()
CHECKED: Counter[str] = Counter()
FAILED: Counter[str] = Counter()
SECONDS: dict[str, float] = defaultdict(float)  # the server's time to answer, by operation
# the whole time of the operation's cases, generation included
SPENT: dict[str, float] = defaultdict(float)
_LAST: list[float] = []


@pytest.fixture(scope="module")
def fuzz_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The real server over the fixture corpus's store, with two releases (1.0.0 is the
    description's example of a version, so that the release routes are reached too)."""
    from tests.test_releases_api import bundle, write_release

    folder = tmp_path_factory.mktemp("fuzz")
    releases = folder / "releases"
    write_release(releases, "0.9.0", "2026-01-10", bundle("0.9.0", None))
    write_release(releases, "1.0.0", "2026-12-01", bundle("1.0.0", "0.9.0"), previous="0.9.0")
    env = {"RSME_KG_RELEASES": str(releases)}
    with ApiServer(store=small_store, log=folder / "server.log", env=env) as running:
        yield running


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as opened:
        yield opened


@cache
def every_check() -> list[Any]:
    """Every check schemathesis registers ('all' on its command line)."""
    load_all_checks()
    return list(CHECKS.get_all())


def description() -> dict[str, Any]:
    """The description the app serves at /openapi.json (made here, to parametrize the test
    at collection, before any server runs; the first test checks the server serves it)."""
    from api.app import create_app

    return create_app().openapi()


# a SPARQL query POSTed as application/sparql-query is its text, in UTF-8
schemathesis.serializer.alias("application/sparql-query", "text/plain")


# schemathesis.pytest.from_fixture would load it from the server, but its lazy loader does not
# run on pytest 9 (it sets the removed Node._nodeid)
def _name(check: Any) -> str:
    return str(getattr(check, "__name__", type(check).__name__))


schema = schemathesis.openapi.from_dict(description(), config=schemathesis.Config.from_dict(CONFIG))


def test_the_server_serves_the_description_fuzzed(fuzz_server: ApiServer) -> None:
    """The cases below come from the very description the running server serves."""
    served = fuzz_server.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == description()


@pytest.mark.parametrize(
    "path",
    [
        "/id/%C2%84",  # U+0084, a C1 control: schemathesis's first run found a 500 here
        "/id/factor/%C2%84",
        "/id/%EF%BF%BE",  # U+FFFE, a noncharacter
        "/id/%25zz",  # "%zz": a bad escape once decoded
        "/id/a%20b",
        "/graph/%C2%84",
    ],
)
@pytest.mark.parametrize("fmt", ["html", "ttl", "jsonld"])
def test_a_path_that_is_no_iri_is_a_404(fuzz_server: ApiServer, path: str, fmt: str) -> None:
    """A linked-data path holding what no IRI may hold names nothing: 404 problem+json, before
    any query (the store refused the IRI, and the named query's failure was a 500)."""
    reply = fuzz_server.get(path, params={"format": fmt})
    assert reply.status_code == 404, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert "is not an IRI" in reply.json()["detail"]


@schema.parametrize()
def test_every_answer_is_declared(
    case: schemathesis.Case, fuzz_server: ApiServer, session: requests.Session
) -> None:
    """One generated case: no 5xx, and the answer is one the description declares."""
    response = case.call(base_url=fuzz_server.base, session=session, timeout=30)
    CASES[case.operation.label] += 1
    SECONDS[case.operation.label] += response.elapsed
    now = time.monotonic()
    SPENT[case.operation.label] += now - _LAST[0] if _LAST else 0.0
    _LAST[:] = [now]
    STATUSES[str(response.status_code)] += 1
    checks = every_check()
    CHECKED.update(_name(check) for check in checks)
    failures: list[str] = []
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as exc:
        failures.append(str(exc))
        for check in checks:  # which of them failed, for the tallies (rare: one by one)
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup:
                FAILED[_name(check)] += 1
    assert not failures, "\n".join(failures)


def test_the_run_was_at_least_a_thousand_cases() -> None:
    """The fuzz run above (run the file whole) sent MIN_CASES cases or more, to every
    operation; the tallies are printed (pytest -s) for the record."""
    total = sum(CASES.values())
    print(f"\nfuzz cases: {total} over {len(CASES)} operations")
    for label, count in sorted(CASES.items()):
        print(f"  {count:5d}  {label}  ({SECONDS[label]:.1f} s answering, {SPENT[label]:.1f} s)")
    print("statuses:", dict(sorted(STATUSES.items())))
    for name in sorted(CHECKED):
        print(f"  check {name}: {CHECKED[name]} responses, {FAILED[name]} failed")
    # under pytest-xdist the fuzz items (alike in name on pytest 9) are not all run: `make test`
    # runs this file in a process of its own (-p no:xdist)
    assert total >= MIN_CASES, (total, "run the whole file, without xdist (-p no:xdist)")
    assert not any(re.match(r"5\d\d", status) for status in STATUSES), STATUSES
