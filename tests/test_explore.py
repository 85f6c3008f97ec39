"""The explorer's pages (/explore ...), read as documents from the app in this process over the
real corpus: what they show is checked against data/ and against the REST JSON of the same
view, and the filters, paging, search, escaping and errors against what a reader would do."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS

from api.services.catalogue import _code as study_code
from api.services.evidence import evidence_item, locate, passage
from kg import paths
from kg.interchange.matching import normalise
from kg.namespaces import RSME
from kg.text import fold, folded_with_positions
from tests.apiclient import Api, ApiClient
from tests.corpus import corpus, rows
from tests.servers import OxigraphServer

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = [
    "/explore",
    "/explore/categories/market-environment",
    "/explore/factors/psychic-distance",
    "/explore/studies",
    "/explore/studies/akbari-2019",
    "/explore/search?q=network",
]


class Doc(HTMLParser):
    """What a test reads of a page: title, headings, links, marks, the rows of its tables,
    its form values, the text of the element with id=count, and the language and direction
    around every piece of Persian text."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.h1: list[str] = []
        self.navs: list[str | None] = []
        self.links: list[tuple[str, str]] = []
        self.marks: list[str] = []
        self.rows: list[list[str]] = []
        self.values: dict[str, str] = {}
        self.count = ""
        self.persian: list[tuple[str, str | None, str | None]] = []  # (text, lang, dir)
        self.crumbs: list[str] = []
        self.items: list[str] = []  # ids of the listed codes (li id=...)
        self.alternates: list[tuple[str, str]] = []  # the links to the page's other forms
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._select: str | None = None
        self._text: dict[str, list[str]] = {}

    def _inside(self, tag: str, **attrs: str) -> bool:
        return any(
            t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self._stack
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "nav":
            self.navs.append(a.get("aria-label"))
        if tag == "a" and a.get("href"):
            self._text["a"] = []
            self.links.append((str(a["href"]), ""))
        if tag == "select":
            self._select = a.get("name")
        if tag == "option" and "selected" in a and self._select:
            self.values[self._select] = a.get("value") or ""
        if tag == "input" and a.get("name") and a.get("type") != "hidden":
            self.values[str(a["name"])] = a.get("value") or ""
        if tag == "tr" and self._inside("tbody"):
            self.rows.append([])
        if tag in ("th", "td") and self._inside("tbody"):
            self._text["cell"] = []
        if tag in ("h1", "mark", "title") or a.get("id") == "count":
            self._text[tag if a.get("id") != "count" else "count"] = []
        if tag == "li" and a.get("id") and self._inside("ol", **{"class": "evidence"}):
            self.items.append(str(a["id"]))
        if tag not in VOID:
            self._stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "a" and "a" in self._text and self.links:
            href, _ = self.links[-1]
            self.links[-1] = (href, " ".join("".join(self._text.pop("a")).split()))
            if self._inside("nav", **{"aria-label": "Breadcrumb"}):
                self.crumbs.append(self.links[-1][1])
            if self._inside("p", **{"class": "alternates"}):
                self.alternates.append(self.links[-1])
        if tag in ("th", "td") and "cell" in self._text and self.rows:
            self.rows[-1].append(" ".join("".join(self._text.pop("cell")).split()))
        for name, target in (("h1", self.h1), ("mark", self.marks)):
            if tag == name and name in self._text:
                target.append("".join(self._text.pop(name)))
        if tag == "title" and "title" in self._text:
            self.title = "".join(self._text.pop("title")).strip()
        if tag == "p" and "count" in self._text:
            self.count = " ".join("".join(self._text.pop("count")).split())
        while self._stack:
            top, _ = self._stack.pop()
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        for parts in self._text.values():
            parts.append(data)
        if ARABIC_SCRIPT.search(data):
            lang = next((a.get("lang") for _, a in reversed(self._stack) if a.get("lang")), None)
            way = next((a.get("dir") for _, a in reversed(self._stack) if a.get("dir")), None)
            self.persian.append((data.strip(), lang, way))

    def hrefs(self) -> list[str]:
        return [href for href, _ in self.links]

    def link(self, text: str) -> str:
        """The href of the first link that says `text`."""
        return next(href for href, said in self.links if said == text)

    def view_json(self) -> str | None:
        """The href of the link to the JSON of the view shown (among the page's other forms)."""
        return next((href for href, said in self.alternates if said == "JSON"), None)


def read(server: Api, path: str, status: int = 200, accept: str = BROWSER) -> Doc:
    reply = server.get(path, headers={"Accept": accept})
    assert reply.status_code == status, (path, reply.status_code, reply.text[:300])
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    doc = Doc()
    doc.feed(reply.text)
    doc.close()
    return doc


# --------------------------------------------------------------------------- facts of data/


@cache
def taxonomy() -> Graph:
    return Graph().parse(paths.TAXONOMY_FILE, format="turtle")


def preferred_labels(
    lang: str, kinds: tuple[Any, ...] = (RSME.Factor, RSME.FactorCategory)
) -> dict[str, str]:
    """Concept id -> preferred label in `lang`, from the taxonomy's Turtle (factors and
    categories; every concept of the file when `kinds` is empty)."""
    concepts = (
        [c for kind in kinds for c in taxonomy().subjects(RDF.type, kind)]
        if kinds
        else set(taxonomy().subjects(SKOS.prefLabel, None))
    )
    found: dict[str, str] = {}
    for concept in concepts:
        for label in taxonomy().objects(concept, SKOS.prefLabel):
            if isinstance(label, Literal) and label.language == lang:
                found[str(concept).rsplit("/", 1)[1]] = str(label)
    return found


def persian_labels() -> dict[str, str]:
    """Concept id -> Persian preferred label, from the taxonomy's Turtle."""
    return preferred_labels("fa")


def coder_names() -> dict[str, str]:
    """Coder id -> name, from data/coders.csv."""
    return {row["id"]: row["name"] for row in rows("coders.csv")}


# what the pages call the corpus's languages (api.services.evidence.LANGUAGES)
LANGUAGE_NAMES = {"en": "English", "fa": "Persian"}


def codes_of(factor: str) -> list[dict[str, str]]:
    """The codes of a factor with their study's year and language, in the page's order."""
    studies = corpus().studies
    found = [
        {**c, "year": studies[c["study"]]["year"], "language": studies[c["study"]]["language"]}
        for c in corpus().evidence(factor)
    ]
    return sorted(found, key=lambda c: (int(c["year"]), c["study"], int(c["id"].split("-")[-1])))


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_one_h1_breadcrumbs_a_title_and_its_other_forms(
    embedded: Api, path: str
) -> None:
    doc = read(embedded, path)
    assert len(doc.h1) == 1 and doc.h1[0].strip()
    assert doc.title.endswith("rsme-kg explorer") and doc.title != "rsme-kg explorer"
    assert "Breadcrumb" in doc.navs
    assert doc.crumbs[:2] == ["Home", "Explore"]
    json = doc.view_json()
    assert json is not None
    reply = embedded.get(json)  # the JSON of the same view answers
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    data = doc.link("linked-data page")
    assert data.startswith(("/id/", "/graph/"))
    assert embedded.get(data, headers={"Accept": "text/html"}).status_code == 200
    # every Persian text says so on its element
    assert doc.persian or path == "/explore/studies", "these pages show Persian labels"
    # (the search page names the Arabic letters that Persian is often typed with)
    assert all(lang in ("fa", "ar") and way == "rtl" for _, lang, way in doc.persian), doc.persian
    assert any(lang == "fa" for _, lang, _ in doc.persian) or not doc.persian


def test_the_pages_read_the_same_from_either_backend(server: Api) -> None:
    """The remote store (Oxigraph over HTTP) answers the pages' queries as the embedded one."""
    for path in PAGES:
        doc = read(server, path)
        assert len(doc.h1) == 1, path
    evidence = read(server, "/explore/factors/rural-location?language=fa")
    expected = [c for c in codes_of("rural-location") if c["language"] == "fa"]
    assert evidence.items == [c["id"] for c in expected]
    assert evidence.marks == [c["quote"] for c in expected]
    iran = read(server, "/explore/studies?country=Iran&limit=100")
    assert iran.count.startswith(
        f"{sum(1 for s in corpus().studies.values() if s['country'] == 'Iran')} of"
    )


@pytest.mark.parametrize("path", PAGES)
def test_a_page_names_its_json_and_a_program_is_sent_there(embedded: Api, path: str) -> None:
    first = embedded.get(path, headers={"Accept": BROWSER})
    assert first.status_code == 200 and 'rel="alternate"' in first.headers["link"]
    assert "Accept" in first.headers["vary"]
    refused = embedded.get(path, headers={"Accept": "application/json"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["acceptable"] == ["text/html"]
    assert refused.json()["alternate"] == first.headers["link"].split(">")[0][1:]


def test_openapi_declares_the_pages_as_html(embedded: Api) -> None:
    spec = embedded.get("/openapi.json").json()["paths"]
    for path in (
        "/explore",
        "/explore/categories/{category_id}",
        "/explore/factors/{factor_id}",
        "/explore/studies",
        "/explore/studies/{study_id}",
        "/explore/search",
    ):
        operation = spec[path]["get"]
        assert "text/html" in operation["responses"]["200"]["content"], path
        assert operation["summary"].endswith("(HTML)")


# --------------------------------------------------------------------------- categories


def test_the_explorer_lists_every_category_with_the_counts_of_the_rest_api(embedded: Api) -> None:
    doc = read(embedded, "/explore")
    rest = embedded.get("/categories").json()
    fa = persian_labels()
    shown = {row[0]: row[1:] for row in doc.rows}
    assert len(shown) == len(rest) == len(set(corpus().factors.values()))
    for category in rest:
        assert shown[category["label"]] == [
            fa[category["id"]],
            str(category["factor_count"]),
            str(category["studies"]),
            str(category["codes"]),
        ]
        assert doc.link(category["label"]) == f"/explore/categories/{category['id']}"
    # the numbers of data/: every factor of the taxonomy in one category
    assert sum(int(row[2]) for row in doc.rows) == len(corpus().factors)
    # and each category's counted from data/codes.csv: support is a code of an included study
    # whose direction is not context; a study supporting two factors of it counts once
    facts = corpus()
    english = preferred_labels("en")
    for category in set(facts.factors.values()):
        members = {f for f, c in facts.factors.items() if c == category}
        support = [c for c in facts.support() if c["factor"] in members]
        assert shown[english[category]] == [
            fa[category],
            str(len(members)),
            str(len({c["study"] for c in support})),
            str(len(support)),
        ], category


def test_a_category_shows_its_factors_with_support_settings_and_weights(embedded: Api) -> None:
    doc = read(embedded, "/explore/categories/rural-context")
    detail = embedded.get("/categories/rural-context").json()
    weights = {f["id"]: f for f in embedded.get("/factors?category=rural-context").json()}
    facts = corpus()
    assert doc.h1 == [detail["label"]]
    assert doc.crumbs == ["Home", "Explore", detail["label"]]
    assert [row[0] for row in doc.rows] == [
        f"{f['label']} {f['label_fa']}" if f["label_fa"] else f["label"] for f in detail["factors"]
    ]
    for row, factor in zip(doc.rows, detail["factors"], strict=True):
        ident = factor["id"]
        weight = weights[ident]["weight"]
        rank = weights[ident]["weight_rank"]
        assert row[1:] == [
            str(len({c["study"] for c in facts.support(ident)})),
            str(facts.settings(ident)),
            str(len(facts.support(ident))),
            "–" if weight is None else f"{weight:.3f}",
            "–" if rank is None else str(rank),
        ]
        assert f"/explore/factors/{ident}" in doc.hrefs()
    # rural location: a setting of many studies (every code of it has direction context)
    settings = {row[0]: row[2] for row in doc.rows}
    location = next(label for label in settings if label.startswith("Rural location"))
    assert int(settings[location]) == facts.settings("rural-location") > 1


# --------------------------------------------------------------------------- a factor's evidence


def test_the_psychic_distance_factor_shows_its_one_quote_marked_in_its_title(embedded: Api) -> None:
    doc = read(embedded, "/explore/factors/psychic-distance")
    (code,) = corpus().evidence("psychic-distance")  # assadinia-2019-3
    study = corpus().studies[code["study"]]
    start, end = int(code["start"]), int(code["end"])
    title = study["title"]
    assert doc.items == [code["id"]]
    assert doc.marks == [code["quote"]] == [title[start:end]]
    assert doc.count == "1 of 1 code."
    english = preferred_labels("en")
    assert doc.crumbs == [
        "Home",
        "Explore",
        english[corpus().factors["psychic-distance"]],
        english["psychic-distance"],
    ]
    page = embedded.get("/explore/factors/psychic-distance").text
    assert f"{title[:start]}<mark>{title[start:end]}</mark>{title[end:]}" in page
    facts = (
        code["direction"],
        preferred_labels("en", ())[code["outcome"]],
        coder_names()[code["coder"]],
        study["year"],
        LANGUAGE_NAMES[study["language"]],
    )
    assert all(facts), facts  # the code names each of them
    for fact in facts:
        assert f"<dd>{fact}</dd>" in page, fact
    assert doc.link(code["study"]) == f"/explore/studies/{code['study']}"
    assert f"/id/code/{code['id']}" in doc.hrefs()


def test_the_filters_narrow_the_evidence_as_the_data_says(embedded: Api) -> None:
    codes = codes_of("rural-location")
    assert len(codes) > 10
    coder = codes[0]["coder"]
    cases: list[tuple[dict[str, str], list[dict[str, str]]]] = [
        ({"year_from": "2015"}, [c for c in codes if int(c["year"]) >= 2015]),
        ({"year_to": "2012"}, [c for c in codes if int(c["year"]) <= 2012]),
        ({"language": "fa"}, [c for c in codes if c["language"] == "fa"]),
        ({"direction": "context"}, [c for c in codes if c["direction"] == "context"]),
        ({"direction": "unspecified"}, [c for c in codes if not c["direction"]]),
        ({"basis": "abstract"}, []),
        ({"coder": coder, "language": "en", "year_from": "2010", "year_to": "2020"},
         [c for c in codes
          if c["coder"] == coder and c["language"] == "en" and 2010 <= int(c["year"]) <= 2020]),
    ]  # fmt: skip
    for params, expected in cases:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        doc = read(embedded, f"/explore/factors/rural-location?{query}&limit=100")
        assert doc.items == [c["id"] for c in expected], params
        assert doc.marks == [c["quote"] for c in expected], params
        assert doc.count.startswith(f"{len(expected)} of {len(codes)} code"), doc.count
        for name, value in params.items():  # the form shows what was asked
            assert doc.values[name] == value, name
    # the REST evidence agrees on the filters it has
    rest = embedded.get("/factors/rural-location/evidence?language=fa&included_only=false")
    assert [i["code"] for i in rest.json()["items"]] == [
        c["id"] for c in codes if c["language"] == "fa"
    ]


def test_the_paging_links_keep_the_filters(embedded: Api) -> None:
    codes = [c for c in codes_of("rural-location") if int(c["year"]) >= 2000]
    assert len(codes) > 4
    path = "/explore/factors/rural-location?year_from=2000&language=&limit=2"
    seen: list[str] = []
    pages = 0
    while path:
        doc = read(embedded, path)
        seen += doc.items
        pages += 1
        assert doc.values["year_from"] == "2000"
        following = [href for href, text in doc.links if text.startswith("Next")]
        if following:
            query = parse_qs(urlsplit(following[0]).query)
            assert query == {"year_from": ["2000"], "limit": ["2"], "offset": [str(2 * pages)]}
        path = following[0] if following else ""
        if pages > 1:
            back = [href for href, text in doc.links if text.startswith("← Previous")]
            assert parse_qs(urlsplit(back[0]).query)["year_from"] == ["2000"]
    assert seen == [c["id"] for c in codes]
    assert pages == (len(codes) + 1) // 2
    assert doc.count == f"{len(codes)} of {len(codes_of('rural-location'))} codes match the " + (
        f"filters; showing {len(codes) - len(doc.items) + 1}–{len(codes)}."
    )


def test_the_evidence_past_its_end_says_so_and_leads_back(embedded: Api) -> None:
    codes = codes_of("rural-location")
    path = "/explore/factors/rural-location?language=&limit=3&offset=900"
    beyond = read(embedded, path)
    assert beyond.items == [] and beyond.marks == []
    assert beyond.count == f"{len(codes)} of {len(codes)} codes."
    assert "This page is past the end of the list." in embedded.get(path).text
    assert not any(said.startswith("Next") for _, said in beyond.links)
    back = beyond.link("← Previous 3")
    last = (len(codes) - 1) // 3 * 3
    assert parse_qs(urlsplit(back).query) == {"limit": ["3"], "offset": [str(last)]}
    assert read(embedded, back).items == [c["id"] for c in codes][last:]


def test_an_empty_form_field_means_any_value(embedded: Api) -> None:
    """A form sends its empty fields: they must not be errors, nor filters."""
    plain = read(embedded, "/explore/factors/rural-location")
    empty = "year_from=&year_to=&language=&direction=&basis=&coder="
    sent = read(embedded, f"/explore/factors/rural-location?{empty}")
    assert sent.items == plain.items and len(plain.items) == min(
        20, len(codes_of("rural-location"))
    )
    studies = read(embedded, "/explore/studies?year_from=&language=&decision=&method=&country=")
    everything = len(corpus().studies)
    assert studies.count == f"{everything} of {everything} studies; showing 1–20."


@pytest.mark.parametrize(
    "query",
    [
        "year_from=abc",
        "year_from=2020&year_to=2010",
        "direction=upwards",
        "basis=poster",
        "language=xx",
        "coder=Not%20An%20Id",
        "limit=0",
        "limit=1000",
        "offset=-1",
        # digits to str.isdigit() that int() cannot read (they were a 500)
        "limit=²",
        "offset=¹",
        "limit=①",
        "offset=٣",  # an Arabic-Indic digit, which int() reads
        "limit=12345678",
        # years as /studies takes them and the form's min and max: 1000 to 9999
        "year_from=0999",
        "year_to=0000",
        "year_to=10000",
    ],
)
def test_a_wrong_filter_is_a_422_naming_it(embedded: Api, query: str) -> None:
    name, value = query.split("&")[0].split("=")
    doc = read(embedded, f"/explore/factors/rural-location?{query}", status=422)
    assert doc.h1 == ["Invalid parameters"]
    reply = embedded.get(
        f"/explore/factors/rural-location?{query}", headers={"Accept": "application/json"}
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert [e["location"] for e in reply.json()["errors"]] == [["query", name]]
    assert reply.json()["errors"][0]["value"] == value.replace("%20", " ")


def test_the_years_of_the_forms_are_taken(embedded: Api) -> None:
    """1000 and 9999, the form's min and max, are years."""
    doc = read(embedded, "/explore/factors/rural-location?year_from=1000&year_to=9999&limit=100")
    assert doc.items == [c["id"] for c in codes_of("rural-location")]
    assert (doc.values["year_from"], doc.values["year_to"]) == ("1000", "9999")


def test_the_evidence_json_is_the_view_or_is_not_offered(embedded: Api) -> None:
    """The JSON link of a view holds the page's codes; where the REST evidence lacks a filter
    of the page, no link claims to, and the nearest JSON (the codes under the other filters,
    not a slice of them) is named as such."""
    codes = codes_of("rural-location")
    english = [c for c in codes if c["language"] == "en"]
    assert len(english) > 4
    base = "/explore/factors/rural-location?language=en&limit=2&offset=2"
    doc = read(embedded, base)
    answer = embedded.get(str(doc.view_json())).json()
    assert [i["code"] for i in answer["items"]] == doc.items == [c["id"] for c in english[2:4]]
    coder = english[0]["coder"]
    for given, lacking in (
        ("basis=title", "basis"),
        (f"coder={coder}", "coder"),
        ("direction=unspecified", "an unstated direction"),
        (f"basis=title&coder={coder}", "basis or coder"),
    ):
        path = f"{base}&{given}"
        doc = read(embedded, path)
        page = embedded.get(path, headers={"Accept": BROWSER})
        assert doc.view_json() is None, given
        assert "link" not in page.headers, given
        assert f"the REST evidence has no filter by {lacking}." in page.text, given
        nearest = doc.link("The codes under its other filters, as JSON")
        assert parse_qs(urlsplit(nearest).query) == {
            "language": ["en"],
            "included_only": ["false"],
        }, given
        answer = embedded.get(nearest).json()
        assert answer["total"] == len(english), given
        refused = embedded.get(path, headers={"Accept": "application/json"})
        assert refused.status_code == 406 and refused.json()["alternate"] is None


def test_the_studies_json_is_the_view_or_is_not_offered(embedded: Api) -> None:
    studies = corpus().studies
    fa = sorted(s for s, r in studies.items() if r["language"] == "fa")
    assert len(fa) > 6
    base = "/explore/studies?language=fa&limit=3&offset=3"
    doc = read(embedded, base)
    listed = [h.rsplit("/", 1)[1] for h in doc.hrefs() if "/explore/studies/" in h]
    answer = embedded.get(str(doc.view_json())).json()
    assert [s["id"] for s in answer["items"]] == listed == fa[3:6]
    method = next(m for r in studies.values() for m in r["methods"].split("; ") if m)
    country = next(r["country"] for r in studies.values() if r["country"])
    for given, lacking in (
        (f"method={method}", "method"),
        (f"country={country}", "country"),
        (f"method={method}&country={country}", "method or country"),
    ):
        path = f"{base}&{given}"
        doc = read(embedded, path)
        page = embedded.get(path, headers={"Accept": BROWSER})
        assert doc.view_json() is None, given
        assert f"/studies has no filter by {lacking}." in page.text, given
        nearest = doc.link("The studies under its other filters, as JSON")
        assert parse_qs(urlsplit(nearest).query) == {"language": ["fa"]}, given
        assert embedded.get(nearest).json()["total"] == len(fa), given


# --------------------------------------------------------------------------- studies


def test_the_studies_filter_as_the_data_says_and_as_the_rest_api_counts(embedded: Api) -> None:
    studies = corpus().studies
    screening = {row["study"]: row for row in rows("screening.csv")}
    facts = corpus()
    cases: list[tuple[str, set[str]]] = [
        ("language=fa", {s for s, r in studies.items() if r["language"] == "fa"}),
        ("decision=excluded", facts.excluded),
        ("year_from=2018&year_to=2019",
         {s for s, r in studies.items() if 2018 <= int(r["year"]) <= 2019}),
        ("method=case-study",
         {s for s, r in studies.items() if "case-study" in r["methods"].split("; ")}),
        ("country=Iran", {s for s, r in studies.items() if r["country"] == "Iran"}),
        ("factor=psychic-distance", {c["study"] for c in facts.evidence("psychic-distance")}),
        ("factor=business-networking&language=fa",
         {c["study"] for c in facts.evidence("business-networking")
          if studies[c["study"]]["language"] == "fa"}),
    ]  # fmt: skip
    for query, expected in cases:
        assert expected, query
        doc = read(embedded, f"/explore/studies?{query}&limit=100")
        listed = [href.rsplit("/", 1)[1] for href in doc.hrefs() if "/explore/studies/" in href]
        assert listed == sorted(expected), query
        assert doc.count.startswith(f"{len(expected)} of {len(studies)} studies"), doc.count
        for pair in query.split("&"):
            name, value = pair.split("=")
            assert doc.values[name] == value, (query, name)
        if "method" not in query and "country" not in query:
            rest = embedded.get(f"/studies?{query}&limit=100").json()
            assert rest["total"] == len(expected), query
    excluded = read(embedded, "/explore/studies?decision=excluded")
    rest = embedded.get("/studies?decision=excluded").json()["items"]
    assert {s["id"]: s["screening"]["reason"]["id"] for s in rest} == {
        s: screening[s]["reason"] for s in facts.excluded
    }
    assert [row[3] for row in excluded.rows] == [
        f"excluded: {s['screening']['reason']['label']}" for s in rest
    ]


def test_the_studies_paging_keeps_the_filters(embedded: Api) -> None:
    fa = sorted(s for s, r in corpus().studies.items() if r["language"] == "fa")
    first = read(embedded, "/explore/studies?language=fa&limit=5")
    following = first.link("Next 5 →")
    assert parse_qs(urlsplit(following).query) == {
        "language": ["fa"],
        "limit": ["5"],
        "offset": ["5"],
    }
    second = read(embedded, following)
    listed = [h.rsplit("/", 1)[1] for h in second.hrefs() if "/explore/studies/" in h]
    assert listed == fa[5:10]
    assert second.count == f"{len(fa)} of {len(corpus().studies)} studies match the filters; " + (
        "showing 6–10."
    )
    # a page past the end says so and leads back to the last page, filters kept
    beyond = read(embedded, "/explore/studies?language=fa&limit=5&offset=500")
    assert beyond.count == f"{len(fa)} of {len(corpus().studies)} studies match the filters."
    back = parse_qs(urlsplit(beyond.link("← Previous 5")).query)
    assert back == {"language": ["fa"], "limit": ["5"], "offset": [str((len(fa) - 1) // 5 * 5)]}


def test_a_wrong_study_filter_is_a_422(embedded: Api) -> None:
    for query in ("decision=maybe", "method=guessing", "factor=psychic-distanse", "year_to=20"):
        doc = read(embedded, f"/explore/studies?{query}", status=422)
        assert doc.h1 == ["Invalid parameters"], query


def test_a_persian_study_page_shows_its_citation_screening_notes_and_codes(embedded: Api) -> None:
    study = corpus().studies["akbari-2019"]
    assert study["language"] == "fa"
    codes = [c for c in corpus().codes if c["study"] == "akbari-2019"]
    doc = read(embedded, "/explore/studies/akbari-2019")
    page = embedded.get("/explore/studies/akbari-2019").text
    assert doc.h1 == [study["title"]]
    assert doc.crumbs == ["Home", "Explore", "Studies", "akbari-2019"]
    assert doc.marks == [c["quote"] for c in codes]
    assert doc.items == [c["id"] for c in codes]
    for code in codes:  # each quote marked in the title, linked to its factor
        start, end = int(code["start"]), int(code["end"])
        title = study["title"]
        assert f"{title[:start]}<mark>{title[start:end]}</mark>{title[end:]}" in page
        assert f"/explore/factors/{code['factor']}" in doc.hrefs()
    assert str(escape(study["citation"])) in page
    assert str(escape(study["editorial_note"])) in page
    assert "<strong>Included</strong>" in page
    assert f"<dd>{LANGUAGE_NAMES[study['language']]}</dd>" in page
    fa = persian_labels()
    assert all(fa[c["factor"]] in page for c in codes)  # the factors' Persian labels


def test_an_excluded_study_gives_the_reason(embedded: Api) -> None:
    reason = next(r for r in rows("screening.csv") if r["study"] == "akbari-2018")["reason"]
    page = embedded.get("/explore/studies/akbari-2018", headers={"Accept": "text/html"}).text
    rest = embedded.get("/studies/akbari-2018").json()
    assert rest["screening"]["reason"]["id"] == reason
    label = rest["screening"]["reason"]["label"]
    assert f"<strong>Excluded</strong>: {label}" in page
    assert "Codes (0)" in page


# --------------------------------------------------------------------------- search


def test_a_persian_query_finds_the_factor_whatever_the_keyboard(embedded: Api) -> None:
    """Typed with Arabic yeh and kaf, with or without the zero-width non-joiner: one factor."""
    label = persian_labels()["entrepreneurial-skills"]
    assert "\u200c" in label and "ی" in label and "ک" in label  # مهارت‌های کارآفرینی
    arabic = label.replace("ی", "\u064a").replace("ک", "\u0643")
    typings = [label, label.replace("\u200c", ""), arabic, arabic.replace("\u200c", "")]
    assert len(set(typings)) == 4
    for typed in typings:
        doc = read(embedded, f"/explore/search?q={typed}")
        factors = [h for h in doc.hrefs() if h.startswith("/explore/factors/")]
        assert factors == ["/explore/factors/entrepreneurial-skills"], typed
        assert doc.values["q"] == typed
        hits = embedded.get("/search", params={"q": typed, "type": "factor"}).json()["results"]
        assert [h["id"] for h in hits] == ["entrepreneurial-skills"], typed


def test_one_table_of_letter_variants_for_search_and_import() -> None:
    label = "مهارت‌های کارآفرینی"
    arabic = label.replace("ی", "\u064a").replace("ک", "\u0643")
    assert fold(arabic) == fold(label) == fold(label.replace("\u200c", ""))
    # the import reads a joiner as a word break, the search as nothing: both unify the letters
    assert normalise(arabic) == normalise(label) == normalise(label.replace("\u200c", " "))
    assert normalise("Grèzes-Bürcher") == "grezes burcher"
    # a direction mark breaks a name, as the import always read it; the search ignores it
    assert normalise("Rural\u200fSME") == normalise("Rural SME") == "rural sme"
    assert normalise("Rural\u200eSME") != normalise("RuralSME")
    assert fold("Rural\u200eSME") == fold("RuralSME") == "ruralsme"


def test_the_search_groups_its_results_by_kind(embedded: Api) -> None:
    doc = read(embedded, "/explore/search?q=network")
    rest = embedded.get(
        "/search", params={"q": "network", "type": ["factor", "category", "study"], "limit": 100}
    ).json()
    page = embedded.get("/explore/search?q=network").text
    for kind, heading, prefix in (
        ("factor", "Factors", "/explore/factors/"),
        ("category", "Categories", "/explore/categories/"),
        ("study", "Studies", "/explore/studies/"),
    ):
        expected = [h["id"] for h in rest["results"] if h["type"] == kind]
        assert expected, kind
        assert f">{heading} ({len(expected)})</h2>" in page
        listed = [h[len(prefix) :] for h in doc.hrefs() if h.startswith(prefix)]
        assert listed == expected, kind
    assert doc.count == f"{rest['total']} results for network."


def test_the_search_json_holds_what_the_page_lists(
    embedded: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = (
        ("factor", "/explore/factors/"),
        ("category", "/explore/categories/"),
        ("study", "/explore/studies/"),
    )
    doc = read(embedded, "/explore/search?q=capital")
    json = str(doc.view_json())
    asked = parse_qs(urlsplit(json).query)
    assert asked["limit"] == ["100"] and asked["type"] == [kind for kind, _ in kinds]
    results = embedded.get(json).json()["results"]
    for kind, prefix in kinds:
        listed = [h[len(prefix) :] for h in doc.hrefs() if h.startswith(prefix)]
        assert listed == [h["id"] for h in results if h["type"] == kind], kind
    assert "(the first" not in embedded.get("/explore/search?q=capital").text
    # more results than /search gives: the link says how many of them its JSON holds
    monkeypatch.setattr("api.routes.explore_search.JSON_MOST", 2)
    doc = read(embedded, "/explore/search?q=Rural")
    found = int(doc.count.split()[0])
    assert found > 2
    json = str(doc.view_json())
    assert parse_qs(urlsplit(json).query)["limit"] == ["2"]
    assert len(embedded.get(json).json()["results"]) == 2
    page = embedded.get("/explore/search?q=Rural", headers={"Accept": BROWSER}).text
    assert f"(the first 2 of the {found} results)" in page


def test_the_search_escapes_what_it_is_given(embedded: Api) -> None:
    hostile = '<script>alert("x")</script>'
    reply = embedded.get("/explore/search", params={"q": hostile}, headers={"Accept": BROWSER})
    assert reply.status_code == 200
    assert "<script>" not in reply.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in reply.text


def test_an_empty_search_shows_the_form_alone(embedded: Api) -> None:
    for path in ("/explore/search", "/explore/search?q=", "/explore/search?q=+"):
        doc = read(embedded, path)
        assert doc.h1 == ["Search"] and doc.values["q"] == ""
        assert not doc.count and not any("/explore/factors/" in h for h in doc.hrefs())
    short = read(embedded, "/explore/search?q=a", status=422)
    assert short.h1 == ["Invalid parameters"]
    assert read(embedded, f"/explore/search?q={'x' * 201}", status=422).h1
    # to a program, the errors name the parameter and its value, as the filters' errors do
    for typed, value in (
        ("a", "a"),
        ("\u200ca\u0640", "\u200ca\u0640"),
        ("x" * 201, "x" * 200 + "…"),
    ):
        reply = embedded.get(
            "/explore/search", params={"q": typed}, headers={"Accept": "application/json"}
        )
        assert reply.status_code == 422 and reply.headers["content-type"] == (
            "application/problem+json"
        )
        (error,) = reply.json()["errors"]
        assert (error["location"], error["value"]) == (["query", "q"], value), typed


# --------------------------------------------------------------------------- what a filter takes


def test_the_language_filters_take_the_languages_of_the_data(
    embedded: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages' names of languages are for showing: a language filter takes any language
    the studies are written in, named or not, and no other."""
    monkeypatch.setattr("api.routes.explore.LANGUAGES", {"en": "English"})
    monkeypatch.setattr("api.routes.explore_studies.LANGUAGES", {"en": "English"})
    studies = corpus().studies
    fa = [c for c in codes_of("business-networking") if c["language"] == "fa"]
    assert fa
    doc = read(embedded, "/explore/factors/business-networking?language=fa&year_to=9998&limit=100")
    assert doc.items == [c["id"] for c in fa] and doc.values["language"] == "fa"
    listed = read(embedded, "/explore/studies?language=fa&year_to=9998&limit=100")
    persian = sum(1 for r in studies.values() if r["language"] == "fa")
    assert listed.count.startswith(f"{persian} of {len(studies)} studies")
    assert listed.values["language"] == "fa"
    assert "de" not in {r["language"] for r in studies.values()}
    for path in (
        "/explore/factors/business-networking?language=de",
        "/explore/studies?language=de",
    ):
        assert read(embedded, path, status=422).h1 == ["Invalid parameters"], path


def test_a_program_gets_its_406_before_the_page_is_built(
    embedded: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that takes no HTML is told where the JSON is once the view is known to exist,
    without the queries and work of the page."""
    import api.routes.explore_studies as studies_routes

    built: list[str] = []
    read_study = studies_routes.study_view

    async def evidence(request: Any, factor: str) -> list[Any]:
        built.append(factor)
        return []

    async def study(request: Any, row: Any) -> Any:
        built.append(row["id"])
        return await read_study(request, row)

    monkeypatch.setattr("api.routes.explore.factor_evidence", evidence)
    monkeypatch.setattr(studies_routes, "study_view", study)
    program = {"Accept": "application/json"}
    refused = embedded.get("/explore/factors/rural-location?year_from=1001", headers=program)
    assert refused.status_code == 406
    assert refused.json()["alternate"] == (
        "/factors/rural-location/evidence?year_from=1001&included_only=false&limit=20"
    )
    refused = embedded.get("/explore/studies/akbari-2019?spy=1", headers=program)
    assert refused.status_code == 406 and refused.json()["alternate"] == "/studies/akbari-2019"
    assert built == []
    # the spies stand where the pages are built: a browser's request reaches them
    read(embedded, "/explore/factors/rural-location?year_from=1001")
    read(embedded, "/explore/studies/akbari-2019?spy=1")
    assert built == ["rural-location", "akbari-2019"]


# --------------------------------------------------------------------------- unknown ids


@pytest.mark.parametrize(
    ("path", "close"),
    [
        ("/explore/factors/psychic-distanse", "/explore/factors/psychic-distance"),
        ("/explore/categories/human-capitol", "/explore/categories/human-capital"),
        ("/explore/studies/ruzier-2007", "/explore/studies/ruzzier-2007"),
        ("/explore/studies/not%20an%20id", None),
    ],
)
def test_an_unknown_id_is_a_404_page_with_the_close_ids(
    embedded: Api, path: str, close: str | None
) -> None:
    doc = read(embedded, path, status=404)
    assert doc.h1 == ["Not found"]
    assert "Breadcrumb" in doc.navs
    if close:
        assert close in doc.hrefs()
    reply = embedded.get(path, headers={"Accept": "application/json"})
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
def proxied(oxigraph: OxigraphServer) -> Iterator[ApiClient]:
    """A server whose public base is behind a proxy, under a path (over the remote store)."""
    with ApiClient(endpoint=oxigraph.query_url, public_base="https://kg.example.org/rsme") as app:
        yield app


@pytest.mark.parametrize(
    ("path", "status", "back"),
    [
        ("/explore/factors/psychic-distanse", 404, "/rsme/explore/factors/psychic-distanse"),
        ("/explore/studies/not%20an%20id", 404, "/rsme/explore/studies/not%20an%20id"),
        ("/explore/factors/rural-location?limit=0", 422, "/rsme/explore/factors/rural-location"),
        ("/explore/studies?decision=maybe", 422, "/rsme/explore/studies"),
        ("/explore/search?q=a", 422, "/rsme/explore/search"),
        ("/explore/factors/rural-location?basis=title", 200, None),
    ],
)
def test_the_pages_behind_a_proxy_link_below_its_base_path(
    proxied: Api, path: str, status: int, back: str | None
) -> None:
    doc = read(proxied, path, status=status)
    own = [href for href in doc.hrefs() if href.startswith("/")]
    assert own and all(href.startswith("/rsme/") for href in own), own
    assert doc.link("Home") == "/rsme/"
    if status == 404:
        assert doc.link("Not found") == back  # its breadcrumb
    if status == 422:
        assert doc.link("Invalid parameters") == back
        assert doc.link("the page without them") == back
    if path.startswith("/explore/factors/psychic"):
        assert "/rsme/explore/factors/psychic-distance" in own  # the close id


# --------------------------------------------------------------------------- marking quotes


def test_a_persian_quote_is_marked_whatever_its_spelling() -> None:
    title = "نقش سرمایه\u200cاجتماعی و شبکه\u200cهای کارآفرینی در صادرات"
    quote = "شبکه\u200cهای کارآفرینی"
    exact = passage(title, quote, "title")
    assert (exact.marked, exact.lang, exact.source) == (quote, "fa", "title")
    assert exact.before + exact.marked + exact.after == title
    # typed with Arabic kaf and yeh: marked as the title spells it
    arabic = quote.replace("ک", "\u0643").replace("ی", "\u064a")
    assert passage(title, arabic, "title").marked == quote
    # the offsets of the code win over an earlier occurrence
    twice = "distance, then psychic distance"
    assert locate(twice, "distance", 23, 31) == (23, 31)
    assert locate(twice, "distance") == (0, 8)
    # a quote of the full text, which the graph does not hold, stands alone
    alone = passage(title, "یک یافته از متن کامل", "fulltext")
    assert alone.alone and alone.lang == "fa" and alone.before == alone.after == ""


def test_the_offsets_of_a_code_pick_the_occurrence_it_marks() -> None:
    """A quote found twice in its title is marked where the code's offsets say, on the
    evidence page and on the study page alike (and at its first occurrence without them)."""
    title = "Export networks and the networks of rural exporters"
    quote = "networks"
    first = title.index(quote)
    second = title.index(quote, first + 1)
    code = "https://w3id.org/rsme-kg/id/code/x-2019-1"
    spans = {code: (second, second + len(quote))}
    row = {
        "code": code,
        "id": "x-2019-1",
        "study": "https://w3id.org/rsme-kg/id/study/x-2019",
        "factor": "https://w3id.org/rsme-kg/id/factor/business-networking",
        "title": title,
        "quote": quote,
        "basis": "https://w3id.org/rsme-kg/ontology#title",
        "year": 2019,
    }
    for shown in (evidence_item(row, spans).passage, study_code(row, title, {}, spans).passage):
        assert (shown.before, shown.marked) == (title[:second], quote)
    for shown in (evidence_item(row, {}).passage, study_code(row, title, {}, {}).passage):
        assert (shown.before, shown.marked) == (title[:first], quote)
    # offsets of another basis point into a text the graph lacks: not into the title
    fulltext = {**row, "basis": "https://w3id.org/rsme-kg/ontology#fulltext"}
    assert evidence_item(fulltext, spans).passage.before == title[:first]


def test_a_quote_takes_the_marks_of_its_last_letter_however_it_is_found() -> None:
    title = "نقش سرمایه\u0654 اجتماعی در صادرات"  # heh with the hamza above: سرمایهٔ
    quote = "سرمایه"
    start = title.index(quote)
    end = start + len(quote)
    assert unicodedata.combining(title[end])
    arabic = quote.replace("ی", "\u064a")  # found only once folded
    for shown in (
        passage(title, quote, "title", start, end),  # at its offsets
        passage(title, quote, "title"),  # verbatim
        passage(title, arabic, "title"),  # folded
    ):
        assert shown.marked == title[start : end + 1]
        assert shown.before + shown.marked + shown.after == title


# strings whose folding is easy to get wrong: Persian with its joiners, tatweel and the Arabic
# letters, marks above letters, direction marks, compatibility forms, case folding that grows
FOLD_SAMPLES = [
    "مهارت\u200cهای کارآفرینی",
    "سرمايه\u200cاجتماعي شبكه\u200dها",
    "ســـلام و صـادرات",
    "سرمایه\u0654 و مسئله و مسأله",
    "\u200eمرز\u200f بازار\u200e",
    "Grèzes-BÜRCHER Ångström naïve",
    "Straße und GROSSE",
    "\ufb01nance \ufb02ow \ufb00 \u01c4emal",
    "x\u0301\u0327y and \u1e69 and \u0130stanbul \u01f0",
    "  spaces\t and\u00a0no-break\u2003em  ",
    "①② ²³ ٣ 12",
    "ΣΑΣ ΌΨΙΣ",
    "",
    "\u200c\u0640 ",
]


def test_the_fast_fold_and_the_positional_fold_agree() -> None:
    """fold (the whole text at once, for search and import) and folded_with_positions (one
    character at a time, to mark quotes) give the same text, on the samples and the corpus."""
    facts = corpus()
    texts = [
        *FOLD_SAMPLES,
        *(study["title"] for study in facts.studies.values()),
        *(code["quote"] for code in facts.codes),
        *persian_labels().values(),
    ]
    for text in texts:
        for joiner in ("", " "):
            folded, where = folded_with_positions(text, joiner)
            assert fold(text, joiner) == folded, (text, joiner)
            assert len(where) == len(folded) and where == sorted(where), text
    # what the samples fold to
    assert fold(FOLD_SAMPLES[0]) == fold(FOLD_SAMPLES[0].replace("\u200c", ""))
    assert fold(FOLD_SAMPLES[2]) == fold("سلام و صادرات")
    assert fold(FOLD_SAMPLES[6]) == "strasse und grosse"
    assert fold(FOLD_SAMPLES[7]) == "finance flow ff dzemal"
    assert fold(FOLD_SAMPLES[9]) == "spaces and no-break em"


def test_every_quote_of_the_corpus_is_marked_where_its_offsets_say() -> None:
    studies = corpus().studies
    for code in corpus().codes:
        title = studies[code["study"]]["title"]
        shown = passage(title, code["quote"], code["basis"], int(code["start"]), int(code["end"]))
        assert shown.marked == code["quote"], code["id"]
        assert len(shown.before) == int(code["start"]), code["id"]


def test_a_persian_query_is_quoted_in_the_sentence_s_direction(embedded: Api) -> None:
    """The query is isolated right-to-left inside the quotation, not the quotation inside it:
    otherwise the quote marks of an English sentence come out mirrored around Persian."""
    typed = persian_labels()["entrepreneurial-skills"]
    page = embedded.get("/explore/search", params={"q": typed}, headers={"Accept": "text/html"})
    assert f'<q><bdi lang="fa" dir="rtl">{typed}</bdi></q>' in page.text
    latin = embedded.get(
        "/explore/search", params={"q": "capital"}, headers={"Accept": "text/html"}
    )
    assert "<q><bdi>capital</bdi></q>" in latin.text
