"""GET /studies, /studies/{id} and /search through the app, on both backends."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.routes.search import SEARCH_EXAMPLE
from api.routes.studies import STUDY_EXAMPLE, STUDY_LIST_EXAMPLE
from kg import paths
from tests.apiclient import Api

Built = tuple[Path, dict[str, object]]
DATA = paths.ROOT / "data"


def rows(name: str) -> list[dict[str, str]]:
    """The rows of a CSV file of the corpus."""
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# Known answers are counted from the corpus itself (data/studies.csv, screening.csv, codes.csv);
# the seed gives 48 studies, 20 of them in Persian and 10 from 2019; the screening decides the rest.
STUDIES = rows("studies.csv")
SCREENING = {r["study"]: r for r in rows("screening.csv")}
CODES = rows("codes.csv")
ALL_IDS = sorted(r["id"] for r in STUDIES)


def ids_where(keep: Any) -> list[str]:
    """The ids of the studies of studies.csv that `keep` accepts, sorted."""
    return sorted(r["id"] for r in STUDIES if keep(r))


def get(server: Api, path: str, **params: Any) -> httpx.Response:
    return server.get(path, params=params)


def listed(server: Api, **params: Any) -> list[str]:
    """The ids of every study /studies lists for these filters (one big page)."""
    answer = get(server, "/studies", limit=100, **params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


def links(answer: httpx.Response) -> dict[str, str]:
    """The RFC 8288 Link header of an answer, by relation."""
    found = re.findall(r'<([^>]*)>;\s*rel="([^"]+)"', answer.headers.get("link", ""))
    return {rel: url for url, rel in found}


# --- /studies -----------------------------------------------------------------------------


def test_every_study_is_listed_with_its_total(server: Api) -> None:
    answer = get(server, "/studies", limit=100)
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] == len(STUDIES) == 48
    assert answer.headers["x-total-count"] == str(len(STUDIES))
    assert [item["id"] for item in body["items"]] == ALL_IDS


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"decision": "included"},
            ids_where(lambda r: SCREENING[r["id"]]["decision"] == "included"),
        ),
        (
            {"decision": "excluded"},
            ids_where(lambda r: SCREENING[r["id"]]["decision"] == "excluded"),
        ),
        ({"language": "fa"}, ids_where(lambda r: r["language"] == "fa")),
        ({"year": 2019}, ids_where(lambda r: r["year"] == "2019")),
        ({"year_from": 2018, "year_to": 2019}, ids_where(lambda r: r["year"] in {"2018", "2019"})),
        ({"year_to": 2007}, ids_where(lambda r: int(r["year"]) <= 2007)),
        (
            {"language": "en", "decision": "included", "year_from": 2015},
            ids_where(
                lambda r: (
                    r["language"] == "en"
                    and SCREENING[r["id"]]["decision"] == "included"
                    and int(r["year"]) >= 2015
                )
            ),
        ),
        ({"factor": "psychic-distance"}, ["assadinia-2019"]),
        (
            {"factor": "rural-location"},
            sorted({c["study"] for c in CODES if c["factor"] == "rural-location"}),
        ),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else "",
)
def test_filters_select_the_studies_of_the_data(
    server: Api, params: dict[str, Any], expected: list[str]
) -> None:
    assert listed(server, **params) == expected


def test_filter_counts_are_the_known_ones(server: Api) -> None:
    # the seed's figures; the included ones counted in data/screening.csv
    included = sum(1 for r in SCREENING.values() if r["decision"] == "included")
    assert len(listed(server, decision="included")) == included
    assert len(listed(server, language="fa")) == 20
    assert len(listed(server, year=2019)) == 10


def test_listed_studies_carry_authors_doi_screening_and_code_counts(server: Api) -> None:
    items = {item["id"]: item for item in get(server, "/studies", limit=100).json()["items"]}
    per_study = Counter(c["study"] for c in CODES)  # codes per study, from data/codes.csv
    for row in STUDIES:
        item = items[row["id"]]
        assert item["codes"] == per_study[row["id"]], row["id"]
        assert item["year"] == int(row["year"])
        assert item["doi"] == (row["doi"] or None)
        assert item["screening"]["decision"] == SCREENING[row["id"]]["decision"]
        reason = item["screening"]["reason"]
        assert (reason["id"] if reason else "") == SCREENING[row["id"]]["reason"]
    assert items["ruzzier-2007"]["authors"] == ["Ruzzier, M.", "Hisrich, R. D.", "Konecnik, M."]
    assert items["ruzzier-2007"]["doi_url"] == "https://doi.org/10.1002/cjas.3"
    assert items["akbari-2018"]["screening"]["reason"]["label"] == "methodological reference"


def test_pages_follow_the_link_header_through_every_study(server: Api) -> None:
    seen: list[str] = []
    url: str | None = "/studies?limit=10"
    pages = 0
    while url is not None:
        answer = server.get(url)
        assert answer.status_code == 200
        assert answer.headers["x-total-count"] == "48"
        rel = links(answer)
        assert {"first", "last"} <= rel.keys()
        assert ("prev" in rel) == (pages > 0)
        seen += [item["id"] for item in answer.json()["items"]]
        url = rel.get("next")
        pages += 1
    assert pages == 5
    assert seen == ALL_IDS


def test_link_header_keeps_the_filters(server: Api) -> None:
    answer = get(server, "/studies", decision="included", limit=20, offset=20)
    rel = links(answer)
    included = sum(1 for r in SCREENING.values() if r["decision"] == "included")
    assert answer.json()["total"] == included > 40  # so that a third page exists
    assert "decision=included" in rel["next"] and "offset=40" in rel["next"]
    assert "offset=0" in rel["prev"] and "offset=0" in rel["first"]
    assert "offset=40" in rel["last"]
    last = server.get(rel["last"])
    assert [item["id"] for item in last.json()["items"]] == listed(server, decision="included")[40:]
    assert "next" not in links(last)


@pytest.mark.parametrize(
    "params",
    [
        {"year": 2019, "year_from": 2018},
        {"year_from": 2020, "year_to": 2010},
        {"decision": "maybe"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"year": "recent"},
    ],
)
def test_bad_filters_are_422_problems(server: Api, params: dict[str, Any]) -> None:
    answer = get(server, "/studies", **params)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_unknown_factor_filter_suggests_close_ids(server: Api) -> None:
    answer = get(server, "/studies", factor="psychic-distanse")
    assert answer.status_code == 422
    assert "psychic-distance" in answer.json()["suggestions"]


# --- /studies/{id} ------------------------------------------------------------------------


def test_one_study_in_full(server: Api) -> None:
    answer = get(server, "/studies/ruzzier-2007")
    assert answer.status_code == 200
    study = answer.json()
    assert study["authors"] == ["Ruzzier, M.", "Hisrich, R. D.", "Konecnik, M."]
    assert study["doi_url"] == "https://doi.org/10.1002/cjas.3"
    assert study["type"] == "article" and study["year"] == 2007
    assert [m["id"] for m in study["methods"]] == ["structural-equation-modeling"]
    assert study["screening"]["decision"] == "included"
    assert study["screening"]["reason"] is None
    # data/codes.csv: one code, ruzzier-2007-1, for entrepreneur-human-capital
    assert [(c["id"], c["factor"]["id"]) for c in study["codes"]] == [
        ("ruzzier-2007-1", "entrepreneur-human-capital")
    ]
    assert study["codes"][0]["quote"] == "Human Capital"
    assert study["appraisal"] == []  # data/appraisals.csv is empty


def test_seed_repeating_its_authors_gives_each_once(server: Api) -> None:
    # the seed citation of eschker-2017 names its three authors twice
    study = get(server, "/studies/eschker-2017").json()
    assert study["authors"] == ["Eschker, E.", "Gold, G.", "Lane, M. D."]
    assert study["citation"].count("Eschker, E.") == 2
    assert study["context"]["rural"] is True


def test_excluded_study_gives_its_reason(server: Api) -> None:
    excluded = next(r for r in SCREENING.values() if r["decision"] == "excluded")
    screening = get(server, f"/studies/{excluded['study']}").json()["screening"]
    assert screening["decision"] == "excluded"
    assert screening["reason"]["id"] == excluded["reason"]
    assert screening["note"] == excluded["note"]
    assert screening["stage"] == excluded["stage"]


def test_every_study_has_its_codes(server: Api) -> None:
    for row in STUDIES[::7]:  # a sample: one request per study is slow on two backends
        study = get(server, f"/studies/{row['id']}").json()
        expected = sorted(c["id"] for c in CODES if c["study"] == row["id"])
        assert sorted(c["id"] for c in study["codes"]) == expected
        assert study["title"] == row["title"]


@pytest.mark.parametrize("ident", ["ruzier-2007", "a>b", "ruzzier-2007x"])
def test_unknown_study_is_404_with_suggestions(server: Api, ident: str) -> None:
    answer = get(server, f"/studies/{ident}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    if ident != "a>b":
        assert problem["suggestions"][0] == "ruzzier-2007"


# --- /search ------------------------------------------------------------------------------


def search(server: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    answer = get(server, "/search", q=q, **params)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    scores = [hit["score"] for hit in results]
    assert scores == sorted(scores, reverse=True)
    return results


def found(results: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(hit["type"], hit["id"]) for hit in results}


def test_search_finds_a_study_and_its_author(server: Api) -> None:
    hits = found(search(server, "ruzzier"))
    assert ("study", "ruzzier-2007") in hits
    assert ("author", "ruzzier-m") in hits


def test_search_ignores_case_and_ranks_labels_first(server: Api) -> None:
    results = search(server, "HUMAN capital")
    assert (results[0]["type"], results[0]["id"]) == ("category", "human-capital")
    assert results[0]["score"] == 1.0  # an exact label
    assert ("factor", "entrepreneur-human-capital") in found(results)
    assert ("study", "ruzzier-2007") in found(results)  # by its title, ranked below labels
    kinds = [hit["type"] for hit in results]
    assert kinds.index("study") > kinds.index("factor")


def test_search_finds_a_factor_by_a_word(server: Api) -> None:
    results = search(server, "psychic")
    assert (results[0]["type"], results[0]["id"]) == ("factor", "psychic-distance")
    assert ("code", "assadinia-2019-3") in found(results)


def test_search_ignores_accents(server: Api) -> None:
    results = search(server, "Grezes")
    hits = found(results)
    assert ("study", "habersetzer-2019") in hits
    assert ("author", "grezes-burcher-s") in hits
    assert any(hit["matched"] == "Grèzes-bürcher, S." for hit in results)


def test_search_in_persian(server: Api) -> None:
    hits = found(search(server, "سرمایه"))
    assert ("factor", "entrepreneur-human-capital") in hits
    assert ("category", "social-capital") in hits
    assert ("category", "human-capital") in hits


def test_search_unifies_arabic_and_persian_letters(server: Api) -> None:
    # Arabic yeh (U+064A) in the query, Persian yeh (U+06CC) in the labels
    arabic = search(server, "سرمايه")
    assert found(arabic) == found(search(server, "سرمایه"))
    assert ("factor", "entrepreneur-human-capital") in found(arabic)


def test_search_ignores_zero_width_non_joiner(server: Api) -> None:
    # the label is written "ویژگی\u200cهای کارآفرین"
    hits = found(search(server, "ویژگیهای کارآفرین"))
    assert ("factor", "entrepreneur-characteristics") in hits


def test_search_filters_by_type_and_limits(server: Api) -> None:
    results = search(server, "capital", type="category")
    assert results and {hit["type"] for hit in results} == {"category"}
    both = search(server, "capital", type=["category", "factor"])
    assert {hit["type"] for hit in both} == {"category", "factor"}
    answer = get(server, "/search", q="capital", limit=2).json()
    assert len(answer["results"]) == 2 and answer["total"] > 2


@pytest.mark.parametrize(
    "params", [{"q": "a"}, {"q": ""}, {}, {"q": "ab", "limit": 0}, {"q": "ab", "type": "x"}]
)
def test_bad_searches_are_422_problems(server: Api, params: dict[str, Any]) -> None:
    answer = get(server, "/search", **params)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_search_answers_nothing_for_what_is_not_there(server: Api) -> None:
    assert search(server, "zzqx") == []


# --- documentation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "example"),
    [
        ("/studies/ruzzier-2007", {}, STUDY_EXAMPLE),
        ("/studies", {"factor": "psychic-distance"}, STUDY_LIST_EXAMPLE),
        ("/search", {"q": "ruzzier"}, SEARCH_EXAMPLE),
    ],
)
def test_openapi_examples_are_real_answers(
    server: Api, path: str, params: dict[str, Any], example: dict[str, Any]
) -> None:
    assert get(server, path, **params).json() == example


def test_openapi_documents_the_routes(server: Api) -> None:
    spec = get(server, "/openapi.json").json()
    for path in ("/studies", "/studies/{study_id}", "/search"):
        assert "200" in spec["paths"][path]["get"]["responses"]
    names = {p["name"] for p in spec["paths"]["/studies"]["get"]["parameters"]}
    assert {"year", "year_from", "year_to", "language", "decision", "factor"} <= names
    assert {"q", "type", "limit"} <= {
        p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]
    }
