"""What the public endpoint refuses before a query runs (no server needed)."""

from __future__ import annotations

import pytest

from api import policy
from kg.store.sparqltext import dataset_clause

ALLOWED = ["http://127.0.0.1:9999/sparql"]


def check(query: str) -> policy.Refusal | None:
    return policy.check(query, max_length=10_000, service_allowlist=ALLOWED)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service<http://evil.example/sparql>{ ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?e { ?s ?p ?o } VALUES ?e { <http://127.0.0.1:9999/sparql> } }",
        "PREFIX e: <http://evil.example/>\nSELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9999/sparql/../other> { ?s ?p ?o } }",
    ],
)
def test_service_outside_the_allow_list_is_refused(query: str) -> None:
    refusal = check(query)
    assert refusal is not None and refusal.status == 403


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9999/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p 'SERVICE <http://evil.example/>' }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://evil.example/>",
        'SELECT * WHERE { ?s <http://e/p#service> "customer service" }',
    ],
)
def test_allowed_or_not_a_service_clause(query: str) -> None:
    assert check(query) is None


def test_a_service_clause_hidden_from_the_text_scan_is_still_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defence in depth: if the scan missed a clause, the full parser still finds it."""
    monkeypatch.setattr(policy, "service_targets", lambda query: [])
    refusal = check("SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }")
    assert refusal is not None and "evil.example" in refusal.detail


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "PREFIX e: <http://e/> DELETE WHERE { ?s ?p ?o }",
        "# a comment\nLOAD <http://127.0.0.1/x.ttl>",
        "BASE <http://e/> CLEAR ALL",
        "with <http://e/g> delete { ?s ?p ?o } where { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(text: str) -> None:
    refusal = check(text)
    assert refusal is not None and refusal.status == 403 and "read-only" in refusal.title.lower()


def test_query_length_limit() -> None:
    refusal = policy.check("ASK {}" + " " * 100, max_length=50, service_allowlist=[])
    assert refusal is not None and refusal.status == 413 and "106" in refusal.detail


@pytest.mark.parametrize(
    "query",
    [
        # found in review: quotes inside IRIs and comments hid a second SERVICE clause
        "SELECT * { BIND(<http://a/'> AS ?x) SERVICE SILENT <http://evil.example/sparql> {?s ?p ?o}"
        " BIND(<http://b/'> AS ?y) SERVICE <http://127.0.0.1:9999/sparql> {?a ?b ?c} }",
        "SELECT * { # '''\nSERVICE SILENT <http://evil.example/sparql> {?s ?p ?o}\n# '''\n"
        "SERVICE <http://127.0.0.1:9999/sparql> {?a ?b ?c} }",
    ],
)
def test_quotes_in_iris_and_comments_do_not_hide_service(query: str) -> None:
    refusal = check(query)
    assert refusal is not None and "evil.example" in refusal.detail


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX ex: <http://e/> SELECT * { ?s ex:service ex:x }",
        "SELECT * { ?s ?p ?o FILTER((((1)))) } # customer service",
    ],
)
def test_the_word_service_elsewhere_is_not_a_service_clause(query: str) -> None:
    assert check(query) is None


def test_deep_nesting_is_refused_before_any_parser_sees_it() -> None:
    """Found in review: 10k nested braces crashed the engine (and a remote store)."""
    query = "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000
    refusal = policy.check(query, max_length=100_000, service_allowlist=[])
    assert refusal is not None and refusal.status == 400 and "nests" in refusal.detail
    assert check("SELECT * WHERE " + "{" * 50 + "}" * 50) is None


def test_dataset_clause_detection() -> None:
    """The one reader of FROM / FROM NAMED (kg.store.sparqltext), which replaced the policy's."""
    clause = dataset_clause("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }")
    assert clause is not None and clause.named_graphs == ("http://g",)
    assert not dataset_clause("SELECT * { ?s ?p 'from' } # FROM <x>")


def test_updates_are_refused_after_any_prologue() -> None:
    for update in (
        "PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }",
        "# a comment\nBASE <http://e/> LOAD <http://e/x>",
        "with <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ):
        refusal = check(update)
        assert refusal is not None and refusal.status == 403, update
    assert check("SELECT * WHERE { ?s ?p 'INSERT' }") is None


# --- the single-pass lexer (one compiled pattern): every kind of token, worked by hand


@pytest.mark.parametrize(
    ("query", "code"),
    [
        # a long literal may hold one or two quotes of its own kind; they end nothing
        ("ASK { FILTER ('''a''b''' != \"\"\"c\"d\"\"\") }", "ASK { FILTER ('' != \"\") }"),
        # an escaped quote inside a short literal does not close it
        ("ASK { ?s ?p 'it\\'s # not a comment' }", "ASK { ?s ?p '' }"),
        # '<' as an operator is kept, and the literal after it is still emptied
        ("ASK { FILTER (?o < 'x>y') }", "ASK { FILTER (?o < '') }"),
        # a comment ends at its line; a '#' inside an IRI is part of the IRI
        ("ASK { <http://e/#a> ?p ?o } # x\nASK", "ASK { <http://e/#a> ?p ?o }  \nASK"),
    ],
)
def test_code_only_keeps_the_query_s_own_words(query: str, code: str) -> None:
    assert policy.code_only(query) == code


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p '''never closed }",  # a triple quote is never two empty strings
        "SELECT * { ?s ?p 'broken\nline' }",  # a short literal does not span lines
        "SELECT * { ?s ?p 'ends with a backslash\\\n' }",
    ],
)
def test_an_unclosed_literal_cannot_be_vetted(query: str) -> None:
    refusal = check(query)
    assert refusal is not None and refusal.status == 400 and "not closed" in refusal.detail


def test_service_hidden_after_a_less_than_and_a_literal_is_found() -> None:
    query = "SELECT * { ?s ?p ?o FILTER (?o < 'x') SERVICE <http://evil.example/sparql> { } }"
    refusal = check(query)
    assert refusal is not None and "evil.example" in refusal.detail


def test_nesting_is_measured_when_there_are_enough_brackets_to_be_deep() -> None:
    """The depth check counts opening brackets first; a flat query with many of them is fine,
    a deep one is still refused."""
    flat = "SELECT * WHERE { " + "FILTER (1) " * 300 + "}"
    assert check(flat) is None
    deep = "SELECT * WHERE " + "{" * 201 + "}" * 201
    refusal = check(deep)
    assert refusal is not None and "201 deep" in refusal.detail


@pytest.mark.parametrize(
    ("query", "default", "named"),
    [
        # a word that ends in 'From' is no FROM clause
        ("SELECT * { ?c prov:wasDerivedFrom ?s }", (), ()),
        ("SELECT ?from { ?from ?p ?o }", (), ()),
        # FROM right against its IRI is one
        ("ASK FROM<http://g/1> { ?s ?p ?o }", ("http://g/1",), ()),
        ("ask from named <http://g/2> { }", (), ("http://g/2",)),
    ],
)
def test_from_is_read_only_where_it_is_a_clause(
    query: str, default: tuple[str, ...], named: tuple[str, ...]
) -> None:
    clause = dataset_clause(query)
    assert clause is not None
    assert (clause.default_graphs, clause.named_graphs) == (default, named)
