"""Security headers (api.security): every answer says `nosniff`; every page and SVG picture
carries the content security policy and the referrer policy; the documentation pages allow
their own inline scripts by hash and nothing else. In a real browser, a script slipped into
a page is refused: tests/test_browser_security.py."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from api.security import PAGE_POLICY, REFERRER_POLICY, inline_script_policy, policy
from tests.apiclient import Api

HTML = {"accept": "text/html"}
# one of each kind of page the site draws, with the Accept header a browser sends
PAGES = [
    "/",
    "/explore",
    "/explore/factors/business-networking",
    "/explore/categories/networks",
    "/explore/studies",
    "/explore/search?q=network",
    "/sparql",
    "/analysis",
    "/releases",
    "/ontology",
    "/shapes",
    "/id/factor/business-networking",
    "/explore/factors/no-such-factor",  # a page that answers 404
]
NOT_PAGES = [
    ("/factors", "application/json"),
    ("/analysis/matrix", "text/csv"),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
    ("/id/factor/business-networking", "text/turtle"),
    ("/factors/no-such-factor", "application/json"),  # a problem+json 404
]


def directives(header: str) -> dict[str, str]:
    """A policy header as directive -> its sources."""
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_the_page_policy_allows_this_server_only() -> None:
    """Hand-read: scripts from here only and none inline, nothing from other hosts, no
    plugins, no <base>, no framing."""
    found = directives(PAGE_POLICY)
    assert found["default-src"] == "'self'"
    assert found["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert found["object-src"] == "'none'" and found["base-uri"] == "'none'"
    assert found["frame-ancestors"] == "'none'" and found["form-action"] == "'self'"
    assert "*" not in PAGE_POLICY and "http" not in PAGE_POLICY


def test_a_script_is_allowed_by_the_hash_the_csp_specification_gives() -> None:
    """CSP Level 3's own example: <script>alert('Hello, world.');</script> has the hash
    'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='."""
    found = directives(inline_script_policy("<p><script>alert('Hello, world.');</script></p>"))
    assert found["script-src"] == "'self' 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_scripts_from_files_and_data_blocks_need_no_hash() -> None:
    html = (
        '<script src="/static/a.js"></script>'
        '<script type="application/json" id="tabs">{"a": 1}</script>'
        '<script type="application/ld+json">{}</script>'
    )
    assert inline_script_policy(html) == policy() == PAGE_POLICY


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_policies(embedded: Api, path: str) -> None:
    reply = embedded.get(path, headers=HTML)
    assert reply.status_code in (200, 404), reply.text[:300]
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["content-security-policy"] == PAGE_POLICY
    assert reply.headers["referrer-policy"] == REFERRER_POLICY
    assert reply.headers["x-content-type-options"] == "nosniff"
    # no page of the site runs a script inline: its policy would refuse it
    assert inline_script_policy(reply.text) == PAGE_POLICY


def test_a_cached_page_carries_them_too(embedded: Api) -> None:
    """The read cache keeps answers without these headers; they are added to every send."""
    first, second = (embedded.get("/explore/categories/networks", headers=HTML) for _ in "12")
    assert first.content == second.content
    assert second.headers["content-security-policy"] == PAGE_POLICY


def test_svg_pictures_carry_the_policy(embedded: Api) -> None:
    """An SVG opened on its own is a document that could run scripts."""
    reply = embedded.get("/analysis/model.svg")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("image/svg")
    assert reply.headers["content-security-policy"] == PAGE_POLICY
    assert reply.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("path", "accept"), NOT_PAGES)
def test_other_answers_say_nosniff_only(embedded: Api, path: str, accept: str) -> None:
    reply = embedded.get(path, headers={"accept": accept})
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in reply.headers
    assert "referrer-policy" not in reply.headers


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_documentation_pages_allow_exactly_their_inline_scripts(embedded: Api, path: str) -> None:
    reply = embedded.get(path)
    assert reply.status_code == 200
    found = directives(reply.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", reply.text, re.S)
    assert inline  # FastAPI's pages start their scripts inline
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert set(found["script-src"].split()) == {"'self'"} | hashes
    # the rest of the page policy, unchanged
    assert {k: v for k, v in found.items() if k != "script-src"} == {
        k: v for k, v in directives(PAGE_POLICY).items() if k != "script-src"
    }


def test_headers_an_answer_sets_itself_are_kept_not_doubled() -> None:
    """Release files say nosniff themselves, the documentation pages bring their policy."""
    from api.security import SecurityHeaders

    middleware = SecurityHeaders(app=None)  # type: ignore[arg-type]
    own = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"X-Content-Type-Options", b"nosniff"),
        (b"Content-Security-Policy", b"default-src 'none'"),
    ]
    added = middleware._headers(list(own))
    assert added == [*own, (b"referrer-policy", REFERRER_POLICY.encode())]
    assert middleware._headers([(b"content-type", b"text/csv")]) == [
        (b"content-type", b"text/csv"),
        (b"x-content-type-options", b"nosniff"),
    ]


def test_nosniff_is_sent_once(embedded: Api) -> None:
    reply = embedded.get("/factors")
    assert reply.headers.get_list("x-content-type-options") == ["nosniff"]
