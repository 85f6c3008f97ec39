"""GET /factors, /factors/{id}, /factors/{id}/evidence and /categories, through the app.

Every route runs against both backends (the embedded store and `oxigraph serve` loaded with
`rsme-kg publish`). Expected answers are counted from the sources themselves: data/codes.csv,
data/studies.csv, data/screening.csv and ontology/factors.ttl (see `Corpus`), and a few are
also written out as literal known answers, counted by hand from the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

from kg import paths
from tests.apiclient import Api, ApiClient
from tests.corpus import corpus
from tests.servers import CountingProxy, OxigraphServer

Counted = tuple[ApiClient, CountingProxy]
DATA = paths.ROOT / "data"
TAXONOMY = paths.ROOT / "ontology" / "factors.ttl"
PROBLEM = "application/problem+json"


def get(server: Api, path: str, **params: Any) -> httpx.Response:
    return server.get(path, params=params)


def ok(server: Api, path: str, **params: Any) -> Any:
    response = get(server, path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


# --- GET /factors -------------------------------------------------------------------------


def test_every_factor_of_the_taxonomy_with_counts_from_the_csv(server: Api) -> None:
    factors = by_id(ok(server, "/factors"))
    data = corpus()
    assert len(factors) == 51 == len(data.factors)
    assert set(factors) == set(data.factors)
    for ident, factor in factors.items():
        support = data.support(ident)
        assert factor["category"]["id"] == data.factors[ident], ident
        assert factor["codes"] == len(support), ident
        assert factor["studies"] == len({c["study"] for c in support}), ident
        assert factor["settings"] == data.settings(ident), ident
        assert factor["iri"] == f"https://w3id.org/rsme-kg/id/factor/{ident}"
        # the entropy weight is over support only: null for a factor without support
        assert (factor["weight"] is None) == (not support), ident
        assert (factor["weight_rank"] is None) == (not support), ident


def test_known_factor_counts(server: Api) -> None:
    # counted by hand in data/codes.csv: internationalization-strategy is coded (not as
    # context) in westhead-2006, riviere-2016, esmaeilpour-2020; business-networking in
    # virkkala-2007, crowley-2018, yousefi-2019; rural-location's 13 codes are all context, in
    # 13 included studies; entrepreneur-characteristics has no code at all
    factors = by_id(ok(server, "/factors"))
    strategy = factors["internationalization-strategy"]
    assert (strategy["studies"], strategy["codes"]) == (3, 3)
    assert factors["business-networking"]["studies"] == 3
    rural = factors["rural-location"]
    assert (rural["studies"], rural["codes"], rural["settings"]) == (0, 0, 13)
    assert factors["entrepreneur-characteristics"]["studies"] == 0
    assert factors["psychic-distance"]["label_fa"] == "فاصله روانی"
    assert factors["embeddedness"]["label_fa"] is None  # no Persian label in factors.ttl
    assert factors["psychic-distance"]["category"] == {
        "id": "market-environment",
        "iri": "https://w3id.org/rsme-kg/id/category/market-environment",
        "label": "Market and institutional environment",
    }


def test_default_order_is_studies_descending_then_label(server: Api) -> None:
    factors = ok(server, "/factors")
    keys = [(-f["studies"], f["label"].casefold()) for f in factors]
    assert keys == sorted(keys)
    # the top three by supporting studies (3, 3, 2 in data/codes.csv; the tie by label)
    assert [f["id"] for f in factors[:3]] == [
        "business-networking",
        "internationalization-strategy",
        "innovation",
    ]


@pytest.mark.parametrize(
    ("params", "key", "reverse"),
    [
        ({"sort": "label"}, "label", False),
        ({"sort": "label", "order": "desc"}, "label", True),
        ({"sort": "codes"}, "codes", True),
        ({"sort": "codes", "order": "asc"}, "codes", False),
        ({"sort": "studies", "order": "asc"}, "studies", False),
    ],
)
def test_sorting(server: Api, params: dict[str, str], key: str, reverse: bool) -> None:
    factors = ok(server, "/factors", **params)
    values = [f[key].casefold() if key == "label" else f[key] for f in factors]
    assert values == sorted(values, reverse=reverse)
    assert values != sorted(values, reverse=not reverse)  # the order is not trivially both
    if key != "label":  # ties by label, A to Z, whatever the order of the key
        for a, b in pairwise(factors):
            if a[key] == b[key]:
                assert a["label"].casefold() <= b["label"].casefold()


def test_filter_by_category(server: Api) -> None:
    data = corpus()
    factors = ok(server, "/factors", category="human-capital")
    # factors.ttl: human-capital has four factors
    expected = {f for f, c in data.factors.items() if c == "human-capital"}
    assert len(expected) == 4
    assert {f["id"] for f in factors} == expected
    assert {f["category"]["id"] for f in factors} == {"human-capital"}


def test_filter_by_minimum_studies(server: Api) -> None:
    data = corpus()
    factors = ok(server, "/factors", min_studies=2)
    expected = {f for f in data.factors if len({c["study"] for c in data.support(f)}) >= 2}
    assert (
        {f["id"] for f in factors}
        == expected
        == {
            "internationalization-strategy",
            "business-networking",
            "innovation",
        }
    )
    assert len(ok(server, "/factors", min_studies=0)) == 51
    assert ok(server, "/factors", min_studies=5) == []
    both = ok(server, "/factors", category="networks", min_studies=1)
    assert {f["id"] for f in both} == {
        f for f, c in data.factors.items() if c == "networks" and data.support(f)
    }


def test_bad_list_parameters(server: Api) -> None:
    response = get(server, "/factors", category="strategi")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["suggestions"][0] == "strategy"
    for params in ({"min_studies": -1}, {"sort": "entropy"}, {"order": "up"}):
        response = get(server, "/factors", **params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == PROBLEM


# --- GET /factors/{id} --------------------------------------------------------------------


def test_factor_with_persian_label_and_no_mappings(server: Api) -> None:
    factor = ok(server, "/factors/psychic-distance")
    assert factor["labels"]["fa"] == {"pref": "فاصله روانی", "alt": []}
    assert factor["labels"]["en"] == {
        "pref": "Psychic distance",
        "alt": ["perceived distance", "psychological distance"],
    }
    assert factor["mappings"] == []
    assert factor["definition"].startswith("The perceived differences between the home market")
    assert factor["broader"] == [
        {
            "id": "market-environment",
            "iri": "https://w3id.org/rsme-kg/id/category/market-environment",
            "type": "category",
            "label": "Market and institutional environment",
        }
    ]
    assert factor["narrower"] == []
    # data/codes.csv: one code, assadinia-2019-3, with no direction
    assert (factor["studies"], factor["codes"], factor["settings"]) == (1, 1, 0)
    # the evidence is one link away
    evidence = ok(server, factor["evidence"])
    assert [item["code"] for item in evidence["items"]] == ["assadinia-2019-3"]


def test_factor_mappings(server: Api) -> None:
    factor = ok(server, "/factors/entrepreneur-human-capital")
    assert factor["mappings"] == [
        {
            "relation": "broadMatch",
            "target": "http://www.wikidata.org/entity/Q165687",
            "vocabulary": "Wikidata",
        },
        {
            "relation": "broadMatch",
            "target": "http://zbw.eu/stw/descriptor/11224-2",
            "vocabulary": "STW",
        },
    ]
    assert factor["category"]["id"] == "human-capital"
    rural = ok(server, "/factors/rural-location")
    # factors.ttl: relatedMatch wd:Q175185 , agrovoc:c_6699 , stw 19464-5
    assert {(m["vocabulary"], m["relation"]) for m in rural["mappings"]} == {
        ("Wikidata", "relatedMatch"),
        ("AGROVOC", "relatedMatch"),
        ("STW", "relatedMatch"),
    }


@pytest.mark.parametrize(
    "path",
    ["/factors/psychic-distanse", "/factors/psychic-distanse/evidence"],
)
def test_unknown_factor_is_404_with_suggestions(server: Api, path: str) -> None:
    response = get(server, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 404
    assert problem["suggestions"][0] == "psychic-distance"
    assert "psychic-distanse" in problem["detail"]


def test_ids_that_cannot_be_slugs_are_404_not_errors(server: Api) -> None:
    for raw in ("a%20b%3E", "%22%7D", "x%5Cy"):
        response = server.get(f"/factors/{raw}")
        assert response.status_code == 404, raw
        assert response.headers["content-type"] == PROBLEM


@pytest.fixture(scope="module")
def counted(oxigraph: OxigraphServer) -> Iterator[Counted]:
    """The facade over `oxigraph serve` through a proxy that records every query it sends."""
    proxy = CountingProxy(oxigraph.query_url)
    try:
        with ApiClient(endpoint=proxy.url) as running:
            yield running, proxy
    finally:
        proxy.close()


# the summary lines of the named queries (their first comment), as the store receives them
ONE_FACTOR = "One factor (bind ?factor) if the taxonomy has it"
SUMMARY = "Every factor (bind ?factor for one"
EVIDENCE = "Every code of the factors (bind ?factor for one)"
FACTOR_IDS = "The IRI of every factor of the taxonomy"
CODES = "Every code of an included study"  # what the entropy weights are computed from


def _queries_of(counted: Counted, path: str, status: int) -> list[str]:
    server, proxy = counted
    proxy.clear()
    response = get(server, path)
    assert response.status_code == status, response.text
    return proxy.summaries()


def _kinds(seen: list[str]) -> list[str]:
    known = (ONE_FACTOR, SUMMARY, EVIDENCE, FACTOR_IDS, CODES)
    return [next((k for k in known if s.startswith(k)), s) for s in seen]


def test_an_evidence_lookup_costs_two_store_queries(counted: Counted) -> None:
    """The factor, its evidence: no weights, no counts over the corpus (issue 10.5)."""
    seen = _queries_of(counted, "/factors/psychic-distance/evidence?limit=1", 200)
    assert _kinds(seen) == [ONE_FACTOR, EVIDENCE]


def test_an_unknown_factor_costs_two_store_queries(counted: Counted) -> None:
    """The miss, then the ids for the suggestions: no weights, no counts over the corpus."""
    seen = _queries_of(counted, "/factors/psychic-distanse/evidence", 404)
    assert _kinds(seen) == [ONE_FACTOR, FACTOR_IDS]
    seen = _queries_of(counted, "/factors/psychic-distanse", 404)
    assert _kinds(seen) == [SUMMARY, FACTOR_IDS]


def test_weights_are_read_only_where_they_are_shown(counted: Counted) -> None:
    detail = _kinds(_queries_of(counted, "/factors/psychic-distance", 200))
    assert detail.count(CODES) == 1 and detail[0] == SUMMARY
    listing = _kinds(_queries_of(counted, "/factors", 200))
    assert sorted(listing) == sorted([SUMMARY, CODES])


# --- GET /factors/{id}/evidence -----------------------------------------------------------


def test_evidence_rows_match_the_csv(server: Api) -> None:
    data = corpus()
    page = ok(server, "/factors/rural-location/evidence")
    expected = data.evidence("rural-location")
    assert page["total"] == len(expected) == 13  # counted in data/codes.csv
    assert (page["limit"], page["offset"]) == (50, 0)
    assert {item["code"] for item in page["items"]} == {c["id"] for c in expected}
    assert {item["direction"] for item in page["items"]} == {"context"}
    years = [item["study"]["year"] for item in page["items"]]
    assert years == sorted(years)
    rows = {c["id"]: c for c in expected}
    for item in page["items"]:
        row = rows[item["code"]]
        study = data.studies[row["study"]]
        assert item["study"]["id"] == row["study"]
        assert item["quote"] == row["quote"]
        assert item["basis"] == row["basis"]
        assert item["study"]["year"] == int(study["year"])
        assert item["study"]["language"] == study["language"]
        assert item["study"]["title"] == study["title"]
        assert item["study"]["citation"] == study["citation"]
        doi = study["doi"].lower() or None
        assert item["study"]["doi"] == doi
        assert item["study"]["doi_link"] == (f"https://doi.org/{doi}" if doi else None)
        assert item["study"]["included"] is True
        assert (item["outcome"] or {}).get("id", "") == row["outcome"]
        assert item["coder"]["id"] == row["coder"] == "rsme-kg-editors"
        assert item["coder"]["name"] == "rsme-kg editors"


def test_evidence_of_a_code_with_outcome_and_no_direction(server: Api) -> None:
    # data/codes.csv: ruzzier-2007-1, factor entrepreneur-human-capital, no direction, outcome
    # internationalization; the seed gives DOI 10.1002/CJAS.3 (stored lower-cased)
    (item,) = ok(server, "/factors/entrepreneur-human-capital/evidence")["items"]
    assert item["code"] == "ruzzier-2007-1"
    assert item["direction"] is None
    assert item["outcome"] == {
        "id": "internationalization",
        "iri": "https://w3id.org/rsme-kg/id/outcome/internationalization",
        "label": "Internationalization",
    }
    assert item["study"]["doi_link"] == "https://doi.org/10.1002/cjas.3"


def test_evidence_pages_follow_the_link_header(server: Api) -> None:
    total = len(corpus().evidence("rural-location"))
    last = 5 * ((total - 1) // 5)  # the offset of the last page of five
    assert last >= 10, "the corpus gives rural location at least three pages of five"
    first = get(server, "/factors/rural-location/evidence", limit=5)
    assert first.status_code == 200
    assert first.headers["x-total-count"] == str(total)
    links = first.links
    assert set(links) == {"first", "next", "last"}  # no prev on the first page
    assert f"offset={last}" in links["last"]["url"] and "limit=5" in links["last"]["url"]
    assert "offset=5" in links["next"]["url"]
    seen = [item["code"] for item in first.json()["items"]]
    pages = 1
    response = first
    while "next" in response.links:
        response = server.get(response.links["next"]["url"])
        assert response.status_code == 200
        body = response.json()
        assert body["offset"] == 5 * pages and body["limit"] == 5 and body["total"] == total
        seen += [item["code"] for item in body["items"]]
        pages += 1
        assert "prev" in response.links
    assert pages == last // 5 + 1
    assert response.links["last"]["url"] == links["last"]["url"]
    assert len(seen) == len(set(seen)) == total
    assert set(seen) == {c["id"] for c in corpus().evidence("rural-location")}
    # prev of the last page leads back to the one before
    before = server.get(response.links["prev"]["url"]).json()
    assert [item["code"] for item in before["items"]] == seen[last - 5 : last]


def test_evidence_links_keep_the_filters(server: Api) -> None:
    data = corpus()
    english = [
        c
        for c in data.evidence("rural-location")
        if c["direction"] == "context" and data.studies[c["study"]]["language"] == "en"
    ]
    assert len(english) > 2, "the corpus gives more than one page of two"
    response = get(
        server, "/factors/rural-location/evidence", limit=2, language="en", direction="context"
    )
    assert response.headers["x-total-count"] == str(len(english))
    following = server.get(response.links["next"]["url"])
    for url in (response.links["next"]["url"], response.links["last"]["url"]):
        assert "language=en" in url and "direction=context" in url
    assert all(item["study"]["language"] == "en" for item in following.json()["items"])
    assert following.json()["total"] == len(english)


def test_evidence_past_the_end_is_an_empty_page(server: Api) -> None:
    total = len(corpus().evidence("rural-location"))
    response = get(server, "/factors/rural-location/evidence", limit=5, offset=40)
    assert response.status_code == 200
    assert response.json()["items"] == [] and response.json()["total"] == total < 40
    assert f"offset={5 * ((total - 1) // 5)}" in response.links["prev"]["url"]
    assert "next" not in response.links


def expected_codes(factor: str, params: dict[str, Any]) -> set[str]:
    """The codes the evidence filters must keep, read from data/codes.csv and studies.csv."""
    data = corpus()
    kept = set()
    for code in data.evidence(factor):
        study = data.studies[code["study"]]
        year = int(study["year"])
        if (
            year >= params.get("year_from", year)
            and year <= params.get("year_to", year)
            and study["language"] == params.get("language", study["language"])
            and code["direction"] == params.get("direction", code["direction"])
        ):
            kept.add(code["id"])
    return kept


@pytest.mark.parametrize(
    ("factor", "params"),
    [
        ("rural-location", {"year_from": 2015, "year_to": 2018}),
        ("rural-location", {"year_from": 2019}),
        ("rural-location", {"year_to": 2004}),
        ("rural-location", {"language": "fa"}),
        ("rural-location", {"direction": "driver"}),
        ("embeddedness", {"direction": "context"}),
        ("embeddedness", {}),
        ("industry-characteristics", {"language": "fa", "year_from": 2019}),
        ("internationalization-strategy", {"language": "en"}),
    ],
    ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else v,
)
def test_evidence_filters(server: Api, factor: str, params: dict[str, Any]) -> None:
    expected = expected_codes(factor, params)
    page = ok(server, f"/factors/{factor}/evidence", **params)
    codes = {item["code"] for item in page["items"]}
    assert codes == expected
    assert page["total"] == len(codes)


def test_evidence_filters_known_answers(server: Api) -> None:
    # counted by hand: rural-location codes of 2015-2018 are korsgaard-2015, eschker-2017,
    # gheidari-2017, bosworth-2018, greenberg-2018, phillipson-2018; the only Persian study is
    # eftekhari-2009 (2009); the two earliest are jarvis-2003 and deakins-2004;
    # embeddedness has only greenberg-2018-1 (no direction)
    evidence = "/factors/rural-location/evidence"
    assert ok(server, evidence, year_from=2015, year_to=2018)["total"] == 6
    assert ok(server, evidence, language="fa")["total"] == 1
    early = ok(server, evidence, year_to=2004)["items"]
    assert [item["code"] for item in early] == ["jarvis-2003-2", "deakins-2004-3"]
    assert ok(server, evidence, direction="driver")["total"] == 0
    assert ok(server, evidence, direction="context")["total"] == 13
    context = ok(server, "/factors/embeddedness/evidence", direction="context")
    assert context["items"] == []
    (only,) = ok(server, "/factors/embeddedness/evidence")["items"]
    assert (only["code"], only["direction"]) == ("greenberg-2018-1", None)


def test_included_only(server: Api) -> None:
    # SHACL forbids codes on excluded studies, so the corpus cannot tell the two apart: both
    # must give every code, and every study must be reported as included
    on = ok(server, "/factors/industry-characteristics/evidence")
    off = ok(server, "/factors/industry-characteristics/evidence", included_only="false")
    assert on == off
    assert on["total"] == len(corpus().evidence("industry-characteristics"))
    assert all(item["study"]["included"] for item in on["items"])


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"direction": "sideways"},
        {"year_from": "soon"},
        {"language": "english!"},
        {"year_from": 2019, "year_to": 2010},
        {"included_only": "perhaps"},
    ],
)
def test_bad_evidence_parameters_are_422(server: Api, params: dict[str, Any]) -> None:
    response = get(server, "/factors/rural-location/evidence", **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["location"][-1] == next(iter(params))


# --- GET /categories ----------------------------------------------------------------------


def test_every_category_with_counts_from_the_csv(server: Api) -> None:
    data = corpus()
    categories = by_id(ok(server, "/categories"))
    assert len(categories) == 13 == len(set(data.factors.values()))
    assert sum(c["factor_count"] for c in categories.values()) == 51
    for ident, category in categories.items():
        members = [f for f, c in data.factors.items() if c == ident]
        support = [c for f in members for c in data.support(f)]
        assert category["factor_count"] == len(members), ident
        assert category["codes"] == len(support), ident
        assert category["studies"] == len({c["study"] for c in support}), ident
        assert category["labels"]["en"]["pref"] == category["label"]
    # factors.ttl: human-capital has 4 factors; data/codes.csv: 3 of them have one supporting
    # code each, in three different studies
    human = categories["human-capital"]
    assert (human["factor_count"], human["studies"], human["codes"]) == (4, 3, 3)
    assert human["label_fa"] == "سرمایه انسانی"
    assert human["labels"]["en"]["alt"] == ["entrepreneur-related factors", "individual factors"]


def test_category_with_its_factors(server: Api) -> None:
    data = corpus()
    category = ok(server, "/categories/human-capital")
    assert category["label"] == "Human capital"
    ids = [f["id"] for f in category["factors"]]
    assert set(ids) == {f for f, c in data.factors.items() if c == "human-capital"}
    assert ids[-1] == "entrepreneur-characteristics"  # the one without codes comes last
    for factor in category["factors"]:
        assert factor["studies"] == len({c["study"] for c in data.support(factor["id"])})
    strategy = ok(server, "/categories/strategy")
    assert strategy["factors"][0]["id"] == "internationalization-strategy"


def test_unknown_category_is_404_with_suggestions(server: Api) -> None:
    response = get(server, "/categories/human-capitl")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["suggestions"][0] == "human-capital"


# --- OpenAPI ------------------------------------------------------------------------------


def same(example: Any, real: Any) -> bool:
    """Whether an OpenAPI example is the real answer (the schema drops keys whose value is null)."""
    if isinstance(example, dict) and isinstance(real, dict):
        return set(example) <= set(real) and all(
            same(example[k], v) if k in example else v is None for k, v in real.items()
        )
    if isinstance(example, list) and isinstance(real, list):
        return len(example) == len(real) and all(map(same, example, real))
    return bool(example == real)


def test_openapi_examples_are_real_answers(server: Api) -> None:
    schemas = ok(server, "/openapi.json")["components"]["schemas"]

    def examples(name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = schemas[name]["examples"]
        assert found, name
        return found

    factors = ok(server, "/factors")
    for example in examples("FactorSummary"):
        assert any(same(example, f) for f in factors), example
    for example in examples("FactorDetail"):
        assert same(example, ok(server, f"/factors/{example['id']}")), example
    for example in examples("EvidencePage"):
        params = {"limit": example["limit"], "offset": example["offset"]}
        assert same(example, ok(server, f"/factors/{example['factor']}/evidence", **params))
    categories = ok(server, "/categories")
    for example in examples("CategorySummary"):
        assert any(same(example, c) for c in categories), example
    for example in examples("CategoryDetail"):
        assert same(example, ok(server, f"/categories/{example['id']}")), example
    for example in examples("CategoryRef"):
        assert example in [f["category"] for f in factors]


def test_example_check_can_fail() -> None:
    real = {"a": 1, "b": None, "c": [{"d": "x"}]}
    assert same({"a": 1, "c": [{"d": "x"}]}, real)
    assert not same({"a": 2, "c": [{"d": "x"}]}, real)
    assert not same({"a": 1, "c": []}, real)
    assert not same({"a": 1, "c": [{"d": "x"}], "e": 0}, real)
    assert not same({"c": [{"d": "x"}]}, real)  # a missing non-null value
