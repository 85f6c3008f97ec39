"""FastAPI's interactive documentation (/docs: Swagger UI, /redoc: ReDoc) on scripts served
by this server (vendored, api.vendor), so that the pages work offline and make the browser ask
no third party."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from starlette.requests import Request

from api.pages import STATIC_PATH, served_name
from api.security import inline_script_policy
from api.urls import base_path


def _static(request: Request, file: str) -> str:
    """The URL of a static file of the site (its path below api/static), as pages name it."""
    return f"{base_path(request)}/{STATIC_PATH}{served_name(file)}"


# ReDoc 2 draws Redocly's logo in its menu from cdn.redoc.ly, with no option to leave it out:
# before the script runs, the page swaps that address for an empty picture, so the browser
# asks no third party (and offline logs no failed request). React sets an image's address
# both ways: by setAttribute, and again by the `src` property once mounted.
REDOC_NO_REMOTE_LOGO = """<script>
(() => {
  const empty = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  const here = (url) => String(url).startsWith("https://cdn.redoc.ly/") ? empty : url;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const address = this instanceof HTMLImageElement && name.toLowerCase() === "src";
    return setAttribute.call(this, name, address ? here(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) { src.set.call(this, here(value)); },
  });
})();
</script>
"""


def _edited(page: HTMLResponse, *edits: tuple[str, str]) -> HTMLResponse:
    """FastAPI's page with each (text, replacement) made once (tests/test_docs_pages.py
    checks that each was: a FastAPI that draws the page otherwise would go unnoticed), and
    a security policy that lets its inline scripts run, and no other (api.security)."""
    html = bytes(page.body).decode("utf-8")
    for old, new in edits:
        html = html.replace(old, new, 1)
    return HTMLResponse(html, headers={"Content-Security-Policy": inline_script_policy(html)})


# the pages' language (WCAG 3.1.1), which FastAPI's markup leaves out
_ENGLISH = ("<html>", '<html lang="en">')


def add_docs(app: FastAPI) -> None:
    """FastAPI's interactive documentation at its usual paths (/docs, /docs/oauth2-redirect,
    /redoc), with Swagger UI and ReDoc served by this server (vendored, api.vendor) instead of
    a CDN's: they work offline, and no page makes the browser ask a third party. The pages
    are FastAPI's own, with the same titles and the spec's URL as FastAPI gives it; like
    FastAPI's routes they are left out of the OpenAPI description and of the read cache."""
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    # Swagger UI's validator badge would send the description to validator.swagger.io (its
    # default layout draws none; said anyway, should a layout be chosen that does)
    parameters = {"validatorUrl": None, **(app.swagger_ui_parameters or {})}

    async def swagger_ui(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root_path + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=_static(request, "vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=_static(request, "vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=_static(request, "favicon.svg"),
            oauth2_redirect_url=root_path + redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=parameters,
        )
        return _edited(page, _ENGLISH)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return _edited(get_swagger_ui_oauth2_redirect_html())

    async def redoc(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        page = get_redoc_html(
            openapi_url=root_path + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=_static(request, "vendor/redoc/redoc.standalone.js"),
            redoc_favicon_url=_static(request, "favicon.svg"),
            with_google_fonts=False,  # the system's fonts: nothing from fonts.googleapis.com
        )
        return _edited(page, _ENGLISH, ("<redoc ", REDOC_NO_REMOTE_LOGO + "<redoc "))

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route(redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
