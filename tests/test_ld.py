"""Linked data, sources and mappings through the app: /id, /graph, /context.jsonld,
/ontology, /shapes and /mappings. The graph routes run on both backends; the sources are static.

Known answers are read from the sources themselves (data/*.csv, ontology/*.ttl, shapes/*.ttl),
never typed in.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, SKOS

from kg import iris, paths
from kg.namespaces import BASE, BIBO, PREFIXES, PROV, RSME, SH, SHAPES
from kg.sssom import mapping_links, read_sssom
from tests.apiclient import ORIGIN, Api, ApiClient
from tests.servers import OxigraphServer

Built = tuple[Path, dict[str, object]]
DATA = paths.ROOT / "data"
PSYCHIC = iris.factor("psychic-distance")
MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
PROBLEM = "application/problem+json"


# ------------------------------------------------------------------------------ servers


@pytest.fixture(scope="module")
def proxied(oxigraph: OxigraphServer) -> Iterator[ApiClient]:
    """A server whose public base is behind a proxy, under a path.

    Over the remote store, which needs no query worker: the mapping of IRIs is the same.
    """
    public = "https://kg.example.org/rsme"
    with ApiClient(endpoint=oxigraph.query_url, public_base=public) as running:
        yield running


# ------------------------------------------------------------------------------ helpers


class Links(HTMLParser):
    """The links of an HTML page (href and text) and the ids of its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self._href: str | None = None
        self._text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self._href, self._text = str(values["href"]), []
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._in_title:
            self.title += data


def page(server: Api, url: str) -> tuple[httpx.Response, Links]:
    """GET an HTML page and parse its links."""
    response = server.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    parsed = Links()
    parsed.feed(response.text)
    return response, parsed


def follow(links: Links, path: str) -> str:
    """The absolute URL of the link whose path is `path` (it must be on the page)."""
    hrefs = [href for href, _ in links.links if urlsplit(href).path == path]
    assert hrefs, f"no link to {path} among {[h for h, _ in links.links]}"
    return urljoin(ORIGIN + "/", hrefs[0])


def turtle(server: Api, path: str) -> Graph:
    response = server.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=response.text, format="turtle")


def jsonld_graph(server: Api, body: str) -> Graph:
    """Parse served JSON-LD with the context the server serves at /context.jsonld."""
    document = json.loads(body)
    assert urlsplit(document["@context"]).path == "/context.jsonld"
    context = server.get("/context.jsonld").json()
    document["@context"] = context["@context"]
    return Graph().parse(data=json.dumps(document), format="json-ld")


def csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def taxonomy() -> Graph:
    return Graph().parse(paths.TAXONOMY_FILE, format="turtle")


def outside_mappings() -> set[tuple[str, str, str]]:
    """The skos:*Match triples of the curated mappings (mappings/rsme-kg.sssom.tsv, where the
    taxonomy's mappings moved from ontology/factors.ttl) that point outside the w3id space."""
    return {
        (str(s), str(p), str(o))
        for s, p, o in mapping_links(read_sssom(paths.MAPPINGS_FILE))
        if p in MATCHES and not str(o).startswith("https://w3id.org/rsme-kg/")
    }


def expand(curie: str, curie_map: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    return curie_map[prefix] + local


# ------------------------------------------------------------------------------ /id: formats


def test_factor_html_page(server: Api) -> None:
    response, links = page(server, "/id/factor/psychic-distance")
    assert links.title == "Psychic distance"
    assert "Accept" in response.headers["vary"]
    category = taxonomy().value(PSYCHIC, SKOS.broader)
    assert category is not None
    follow(links, "/id/" + str(category).split("/id/", 1)[1])
    # outside IRIs stay outside; ontology terms go to the ontology page
    assert any(href.startswith("http://www.w3.org/2004/02/skos/core#") for href, _ in links.links)
    assert any(href.startswith("/ontology#") for href, _ in links.links)
    assert "فاصله روانی" in response.text  # the Persian label, as given in factors.ttl


def test_factor_turtle(server: Api) -> None:
    graph = turtle(server, "/id/factor/psychic-distance")
    assert (PSYCHIC, SKOS.prefLabel, Literal("Psychic distance", lang="en")) in graph
    source = taxonomy()
    for triple in source.triples((PSYCHIC, None, None)):
        assert triple in graph
    # incoming triples too: the codes of the factor, from data/codes.csv
    codes = {iris.code(r["id"]) for r in csv_rows("codes.csv") if r["factor"] == "psychic-distance"}
    assert set(graph.subjects(RSME.codesFactor, PSYCHIC)) == codes


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_factor_in_every_format_is_the_same_graph(server: Api, accept: str, fmt: str) -> None:
    expected = turtle(server, "/id/factor/psychic-distance")
    response = server.get("/id/factor/psychic-distance", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    if fmt == "json-ld":
        graph = jsonld_graph(server, response.text)
    else:
        graph = Graph().parse(data=response.text, format=fmt)
    assert isomorphic(graph, expected)
    assert (PSYCHIC, SKOS.prefLabel, Literal("Psychic distance", lang="en")) in graph


@pytest.mark.parametrize(
    ("query", "media"),
    [("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples")],
)
def test_format_parameter_overrides_accept(server: Api, query: str, media: str) -> None:
    response = server.get(
        f"/id/factor/psychic-distance?format={query}",
        headers={"Accept": "text/html"},
    )
    assert response.headers["content-type"].split(";")[0] == media


def test_accept_q_values_decide(server: Api) -> None:
    response = server.get(
        "/id/factor/psychic-distance",
        headers={"Accept": "text/html;q=0.3, application/n-triples;q=0.9, text/turtle;q=0.5"},
    )
    assert response.headers["content-type"].split(";")[0] == "application/n-triples"


def test_author_list_keeps_its_order(server: Api) -> None:
    # rdf:List values are blank nodes: the description must carry the whole list
    study = next(r for r in csv_rows("studies.csv") if r["id"] == "ruzzier-2007")
    authors = [iris.person(name.strip()) for name in study["authors"].split(";")]
    graph = turtle(server, "/id/study/ruzzier-2007")
    head = graph.value(iris.study("ruzzier-2007"), BIBO.authorList)
    assert head is not None
    assert list(Collection(graph, head)) == authors


def test_named_graph_iri_resolves(server: Api) -> None:
    graph = turtle(server, "/graph/corpus")
    assert graph.value(URIRef("https://w3id.org/rsme-kg/graph/corpus"), PROV.wasGeneratedBy)


def test_context_is_the_projects_prefixes(server: Api) -> None:
    response = server.get("/context.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json() == {"@context": PREFIXES}


# ---------------------------------------------------------------- /id: two clicks to evidence


def test_category_page_links_to_its_factors(server: Api) -> None:
    category = iris.category("human-capital")
    factors = set(taxonomy().objects(category, SKOS.narrower))
    assert factors
    _, links = page(server, "/id/category/human-capital")
    for factor in factors:
        follow(links, "/id/factor/" + str(factor).rsplit("/", 1)[1])


def test_evidence_in_two_clicks_from_the_category(server: Api) -> None:
    quotes = [
        r
        for r in csv_rows("codes.csv")
        if r["factor"] == "psychic-distance" and r["study"] == "assadinia-2019"
    ]
    assert quotes
    category = taxonomy().value(PSYCHIC, SKOS.broader)
    _, category_page = page(server, "/id/category/" + str(category).rsplit("/", 1)[1])
    factor_url = follow(category_page, "/id/factor/psychic-distance")
    _, factor_page = page(server, factor_url)  # click 1
    evidence = [(h, t) for h, t in factor_page.links if t.startswith("Evidence (")]
    assert len(evidence) == 1
    response, evidence_page = page(server, urljoin(factor_url, evidence[0][0]))  # click 2
    for row in quotes:
        assert row["quote"] in response.text
    follow(evidence_page, "/id/study/assadinia-2019")
    follow(evidence_page, "/id/factor/psychic-distance")


def test_evidence_page_lists_every_code_of_a_factor(server: Api) -> None:
    codes = csv_rows("codes.csv")
    counts: dict[str, int] = {}
    for row in codes:
        counts[row["factor"]] = counts.get(row["factor"], 0) + 1
    factor = max(sorted(counts), key=lambda f: counts[f])  # the factor with the most codes
    assert counts[factor] > 1
    _, factor_page = page(server, f"/id/factor/{factor}")
    texts = [t for _, t in factor_page.links if t.startswith("Evidence (")]
    assert texts == [f"Evidence ({counts[factor]} codes)"]
    _, evidence_page = page(server, f"/id/factor/{factor}?view=evidence")
    for row in codes:
        if row["factor"] == factor:
            follow(evidence_page, f"/id/study/{row['study']}")
            follow(evidence_page, f"/id/code/{row['id']}")


def test_evidence_view_only_for_factors(server: Api) -> None:
    response = server.get("/id/study/ruzzier-2007?view=evidence")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


# ------------------------------------------------------------------ /id: caching and errors


def test_etag_and_if_none_match(server: Api, built: Built) -> None:
    url = "/id/factor/psychic-distance"
    first = server.get(url, headers={"Accept": "text/turtle"})
    tag = first.headers["etag"]
    assert str(built[1]["build_id"]) in tag  # the remote store holds the same build
    again = server.get(url, headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert "Accept" in again.headers["vary"]
    # another representation of the same URL has another ETag
    html = server.get(url, headers={"Accept": "text/html", "If-None-Match": tag})
    assert html.status_code == 200
    assert html.headers["etag"] != tag
    stale = server.get(url, headers={"Accept": "text/turtle", "If-None-Match": '"x"'})
    assert stale.status_code == 200


def test_if_none_match_star_needs_a_resource(server: Api) -> None:
    """`If-None-Match: *` matches any current representation (RFC 9110 13.1.2): a 304 for an
    IRI that exists, and the 404 for one that does not (it once got a 304 too)."""
    star = {"Accept": "text/turtle", "If-None-Match": "*"}
    assert server.get("/id/factor/psychic-distance", headers=star).status_code == 304
    missing = server.get("/id/factor/no-such-factor", headers=star)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM


def test_head_answers_like_get(server: Api) -> None:
    url = "/id/factor/psychic-distance"
    got = server.get(url, headers={"Accept": "text/turtle"})
    head = server.head(url, headers={"Accept": "text/turtle"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert server.head("/id/factor/nope").status_code == 404


def test_unknown_iri_is_404_with_suggestions(server: Api) -> None:
    response = server.get("/id/factor/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert "Accept" in response.headers["vary"]
    assert response.json()["status"] == 404
    close = server.get("/id/factor/psychic-distanse").json()
    assert "psychic-distance" in close["suggestions"]


def test_not_acceptable_and_bad_parameters(server: Api) -> None:
    url = "/id/factor/psychic-distance"
    refused = server.get(url, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == PROBLEM
    assert "text/turtle" in refused.json()["acceptable"]
    bad = server.get(url + "?view=nonsense")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM


def test_a_path_that_is_no_iri_is_404(server: Api) -> None:
    response = server.get("/id/factor/a%3E%20b")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_public_base_maps_the_iris(proxied: Api) -> None:
    _, links = page(proxied, "/id/factor/psychic-distance")
    hrefs = [h for h, _ in links.links]
    assert "/rsme/id/category/market-environment" in hrefs
    assert not any(h.startswith("/id/") for h in hrefs)
    document = proxied.get("/id/factor/psychic-distance?format=jsonld").json()
    assert document["@context"] == "https://kg.example.org/rsme/context.jsonld"


# ------------------------------------------------------------------------------ sources


def test_ontology_html(embedded: Api) -> None:
    source = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    response, links = page(embedded, "/ontology")
    assert "Study" in links.ids
    definition = source.value(RSME.Study, SKOS.definition)
    assert definition is not None
    section = response.text.split('id="Study"', 1)[1].split("</section>", 1)[0]
    assert str(definition) in section
    # every term of the ontology namespace resolves to an anchor
    terms = {
        str(t)[len(str(RSME)) :]
        for t in source.all_nodes()
        if isinstance(t, URIRef) and str(t).startswith(str(RSME))
    }
    assert terms - links.ids == set()


def test_ontology_turtle_is_the_source(embedded: Api) -> None:
    source = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    served = turtle(embedded, "/ontology")
    assert len(served) == len(source)
    assert isomorphic(served, source)


@pytest.mark.parametrize(
    ("accept", "fmt"), [("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")]
)
def test_ontology_other_formats(embedded: Api, accept: str, fmt: str) -> None:
    source = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    response = embedded.get("/ontology", headers={"Accept": accept})
    assert response.headers["content-type"].split(";")[0] == accept
    if fmt == "json-ld":
        graph = jsonld_graph(embedded, response.text)
    else:
        graph = Graph().parse(data=response.text, format=fmt)
    assert isomorphic(graph, source)


def test_ontology_etag(embedded: Api) -> None:
    first = embedded.get("/ontology")
    tag = first.headers["etag"]
    again = embedded.get("/ontology", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_shapes_html(embedded: Api) -> None:
    merged = Graph()
    for path in sorted(paths.SHAPES_DIR.glob("*.ttl")):
        merged.parse(path, format="turtle")
    response, links = page(embedded, "/shapes")
    assert "StudyShape" in links.ids
    section = response.text.split('id="StudyShape"', 1)[1].split("</section>", 1)[0]
    target = merged.value(SHAPES.StudyShape, SH.targetClass)
    assert target == RSME.Study
    assert 'href="/ontology#Study"' in section
    message = merged.value(SHAPES.StudyShape, SH.message)
    assert str(message) in section
    for shape in merged.objects(SHAPES.StudyShape, SH.property):
        path = str(merged.value(shape, SH.path))
        # each property shape with its path: a link to this server for a w3id IRI
        href = "/" + path[len(BASE) :] if path.startswith(BASE) else path
        assert f'href="{href}"' in section
    terms = {
        str(t)[len(str(SHAPES)) :]
        for t in merged.all_nodes()
        if isinstance(t, URIRef) and str(t).startswith(str(SHAPES))
    }
    assert terms - links.ids == set()
    served = turtle(embedded, "/shapes")
    assert isomorphic(served, merged)


def test_version_and_shape_file_iris(embedded: Api) -> None:
    source = Graph().parse(paths.ONTOLOGY_FILE, format="turtle")
    version = source.value(URIRef("https://w3id.org/rsme-kg/ontology"), OWL.versionInfo)
    moved = embedded.get(f"/ontology/{version}")
    assert moved.status_code == 303
    assert moved.headers["location"] == "/ontology"
    assert embedded.get("/ontology/0.0.0-nope").status_code == 404
    study = embedded.get("/shapes/study")
    assert study.status_code == 303
    assert study.headers["location"] == "/shapes#study"
    _, links = page(embedded, "/shapes")
    assert "study" in links.ids


def test_sources_not_acceptable(embedded: Api) -> None:
    response = embedded.get("/shapes", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["content-type"] == PROBLEM


# ------------------------------------------------------------------------------ /mappings


def test_mappings_json(server: Api) -> None:
    expected = outside_mappings()
    assert len(expected) == 42  # counted in the curated file above, not typed in
    response = server.get("/mappings", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert "Accept" in response.headers["vary"]
    document = response.json()
    assert document["mapping_set_id"] == "https://w3id.org/rsme-kg/mappings"
    assert document["license"] == "https://creativecommons.org/licenses/by/4.0/"
    curie_map = document["curie_map"]
    for prefix in ("skos", "wd", "stw", "agrovoc", "semapv", "factor", "category", "outcome"):
        assert prefix in curie_map
    mappings = document["mappings"]
    assert len(mappings) == len(expected)
    served = {
        (
            expand(m["subject_id"], curie_map),
            expand(m["predicate_id"], curie_map),
            expand(m["object_id"], curie_map),
        )
        for m in mappings
    }
    assert served == expected
    assert {m["mapping_justification"] for m in mappings} == {"semapv:ManualMappingCuration"}
    labels = {
        str(s): str(o)
        for s, o in taxonomy().subject_objects(SKOS.prefLabel)
        if isinstance(o, Literal) and o.language == "en"
    }
    for m in mappings:
        assert m["subject_label"] == labels[expand(m["subject_id"], curie_map)]


def test_mappings_sssom_tsv(server: Api) -> None:
    expected = outside_mappings()
    response = server.get("/mappings?format=tsv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    lines = response.text.splitlines()
    header = [line[1:] for line in lines if line.startswith("#")]
    table = [line for line in lines if not line.startswith("#")]
    assert lines[: len(header)] == [f"#{h}" for h in header]  # the YAML block comes first
    metadata = yaml.safe_load("\n".join(header))
    assert metadata["mapping_set_id"] == "https://w3id.org/rsme-kg/mappings"
    assert metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    curie_map = metadata["curie_map"]
    rows = list(csv.DictReader(table, delimiter="\t"))
    assert len(rows) == len(expected) == 42
    # the SSSOM slots in the schema's order, as in the curated file; each row dated (the
    # mapping_date of the curated rows, where the set-wide date of the ontology stood before)
    assert list(rows[0])[:6] == [
        "subject_id",
        "subject_label",
        "predicate_id",
        "object_id",
        "object_label",
        "mapping_justification",
    ]
    dates = {
        (m.subject_id, m.predicate_id, m.object_id): str(m.mapping_date)
        for m in read_sssom(paths.MAPPINGS_FILE).mappings
    }
    assert len(dates) == len(rows)
    for r in rows:
        assert r["mapping_date"] == dates[(r["subject_id"], r["predicate_id"], r["object_id"])]
    served = {
        (
            expand(r["subject_id"], curie_map),
            expand(r["predicate_id"], curie_map),
            expand(r["object_id"], curie_map),
        )
        for r in rows
    }
    assert served == expected


def test_mappings_accept_and_etag(server: Api) -> None:
    tsv = server.get("/mappings", headers={"Accept": "text/tab-separated-values"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    tag = tsv.headers["etag"]
    again = server.get(
        "/mappings",
        headers={"Accept": "text/tab-separated-values", "If-None-Match": tag},
    )
    assert again.status_code == 304
    refused = server.get("/mappings", headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == PROBLEM
