"""FastAPI's interactive documentation (/docs: Swagger UI, /redoc: ReDoc) is served whole by
this server: the pages name only its own content-hashed static files (the vendored packages of
api/static/vendor, api/vendor.py), never a CDN, a font service or any other host, and those
files answer with their bytes, their type and a long lifetime. The browser's side of it (that
they draw and ask nothing elsewhere) is tests/test_browser_docs.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from api.docs import REDOC_NO_REMOTE_LOGO
from api.pages import served_name
from kg import paths
from tests.apiclient import Api, ApiClient

STATIC = paths.ROOT / "api/static"
# what each page loads, by its path below api/static
LOADS = {
    "/docs": {
        "vendor/swagger-ui/swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "vendor/swagger-ui/swagger-ui.css": "text/css; charset=utf-8",
        "favicon.svg": "image/svg+xml",
    },
    "/redoc": {
        "vendor/redoc/redoc.standalone.js": "text/javascript; charset=utf-8",
        "favicon.svg": "image/svg+xml",
    },
}
TITLES = {"/docs": "rsme-kg - Swagger UI", "/redoc": "rsme-kg - ReDoc"}
# the hosts FastAPI's pages name unless told otherwise
ELSEWHERE = ("cdn.jsdelivr.net", "fonts.googleapis.com", "fonts.gstatic.com", "fastapi.tiangolo")


class References(HTMLParser):
    """Every src and href of a page, and its title."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def references(html: str) -> References:
    found = References()
    found.feed(html)
    return found


@pytest.mark.parametrize("page", sorted(LOADS))
def test_the_page_names_only_this_servers_hashed_files(embedded: Api, page: str) -> None:
    reply = embedded.get(page, headers={"Accept": "text/html"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    html = reply.text
    found = references(html)
    assert found.title == TITLES[page]  # as FastAPI names them
    assert sorted(found.urls) == sorted(f"/static/{served_name(f)}" for f in LOADS[page])
    for host in ELSEWHERE:
        assert host not in html, host
    # nor any other host: no absolute URL at all, in an attribute or in the page's script
    # (but in the script that keeps ReDoc's logo from its CDN, which names both)
    assert "://" not in html.replace(REDOC_NO_REMOTE_LOGO, "")
    assert re.search(r'<html lang="en">', html)  # FastAPI's markup leaves the language out
    assert "/openapi.json" in html  # the description they draw, from this server


def test_redoc_keeps_its_logo_from_the_cdn_and_its_fonts_local(embedded: Api) -> None:
    html = embedded.get("/redoc").text
    assert '<redoc spec-url="/openapi.json"></redoc>' in html
    assert "fonts.googleapis" not in html and "Montserrat" not in html
    # the script that swaps Redocly's logo (cdn.redoc.ly) runs before ReDoc's does
    assert html.index('startsWith("https://cdn.redoc.ly/")') < html.index("redoc.standalone.")


def test_swagger_ui_is_configured_as_fastapi_configures_it(embedded: Api) -> None:
    html = embedded.get("/docs").text
    assert "url: '/openapi.json'" in html
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in html
    assert '"dom_id": "#swagger-ui"' in html and '"deepLinking": true' in html
    assert '"validatorUrl": null' in html  # no badge sending the description elsewhere


@pytest.mark.parametrize(
    ("file", "media"), sorted({f: m for files in LOADS.values() for f, m in files.items()}.items())
)
def test_what_they_load_answers_with_its_bytes_and_type(
    embedded: Api, file: str, media: str
) -> None:
    url = f"/static/{served_name(file)}"
    reply = embedded.get(url, headers={"Accept-Encoding": "identity"})
    assert reply.status_code == 200, url
    assert reply.headers["content-type"] == media
    assert reply.content == (STATIC / file).read_bytes()
    assert "immutable" in reply.headers["cache-control"]
    # compressed for who takes it (the bundles are megabytes as npm ships them)
    packed = embedded.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == reply.content  # httpx undoes the gzip


def test_the_vendored_licences_are_not_served_but_the_notices_are(embedded: Api) -> None:
    """A licence file ships in the source tree (and the wheel), not as a page's asset; the
    licence comments the bundles' builds moved aside are served like YASGUI's notices."""
    for file in ("swagger-ui/LICENSE", "swagger-ui/NOTICE", "redoc/LICENSE"):
        with pytest.raises(KeyError):
            served_name(f"vendor/{file}")
    for file in (
        "swagger-ui/swagger-ui-bundle.js.LICENSE.txt",
        "redoc/redoc.standalone.js.LICENSE.txt",
    ):
        reply = embedded.get(f"/static/{served_name(f'vendor/{file}')}")
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "text/plain; charset=utf-8"
        assert "MIT" in reply.text


def test_the_oauth2_redirect_page_still_answers(embedded: Api) -> None:
    reply = embedded.get("/docs/oauth2-redirect")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert references(reply.text).title == "Swagger UI: OAuth2 Redirect"
    assert "window.opener.swaggerUIRedirectOauth2" in reply.text
    assert "://" not in reply.text


def test_the_documentation_is_not_part_of_the_api_it_documents(embedded: Api) -> None:
    spec = embedded.get("/openapi.json").json()
    assert not {"/docs", "/docs/oauth2-redirect", "/redoc"} & set(spec["paths"])


def test_behind_a_proxy_the_files_are_named_below_the_public_path() -> None:
    """Like every page of the site, the documentation names its files below public_base's
    path. (No query reaches the endpoint: none is needed to draw these pages.)"""
    with ApiClient(
        endpoint="http://127.0.0.1:9/sparql", public_base="https://kg.example.org/rsme"
    ) as app:
        for page, files in LOADS.items():
            found = references(app.get(page).text)
            assert sorted(found.urls) == sorted(f"/rsme/static/{served_name(f)}" for f in files)
