"""Pages for people: Jinja2 templates (api/templates, autoescaped) and their static assets.

Assets (api/static) are served under names that carry a digest of their bytes
(style.3f2a9c1e.css), so a page may let browsers keep them for a year: a changed file gets a
new name. `asset` gives a template the current name of a file: "style.css", or a vendored
package's file by its path below api/static ("vendor/yasgui/yasgui.min.js", served flat as
yasgui.min.<digest>.js; see api.vendor).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.urls import base_path

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PATH = "static/"
VENDOR = STATIC / "vendor"
_DIGEST = 10  # hex digits of the digest in an asset's name
# what pages load of a vendored package, and the notices they link to (.txt); its licence
# and the manifest stay in the source tree
_VENDORED_SUFFIXES = frozenset({".js", ".css", ".txt"})


@dataclass(frozen=True)
class Asset:
    """A static file and the name it is served under."""

    path: Path
    name: str  # stem.<digest>.suffix
    body: bytes


def _static_files() -> Iterator[Path]:
    """The files served: those at the top of api/static, and the scripts and stylesheets of
    the vendored packages (api/static/vendor/<package>/)."""
    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            yield path
    for path in sorted(VENDOR.glob("*/*")):
        if path.is_file() and path.suffix in _VENDORED_SUFFIXES:
            yield path


@cache
def assets() -> dict[str, Asset]:
    """Every static file by its served name (read once: the files ship with the package).

    Names are flat (no folder: the /static/{name} route takes one path segment).

    >>> all("/" not in name for name in assets())
    True
    """
    found: dict[str, Asset] = {}
    for path in _static_files():
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:_DIGEST]
        name = f"{path.stem}.{digest}{path.suffix}"
        found[name] = Asset(path, name, body)
    return found


@cache
def gzipped(name: str) -> bytes:
    """A static file's bytes compressed once (no time stamp inside: the same bytes each run).

    >>> import gzip
    >>> name = served_name("style.css")
    >>> gzip.decompress(gzipped(name)) == assets()[name].body
    True
    """
    return gzip.compress(assets()[name].body, compresslevel=9, mtime=0)


@cache
def served_name(file: str) -> str:
    """The name a static file is served under now; `file` is its path below api/static.

    >>> served_name("style.css").startswith("style.") and served_name("style.css").endswith(".css")
    True
    >>> served_name("vendor/yasgui/yasgui.min.js").startswith("yasgui.min.")
    True
    """
    for asset in assets().values():
        if asset.path.relative_to(STATIC).as_posix() == file:
            return asset.name
    raise KeyError(f"no static file {file!r} in {STATIC}")


@cache
def templates() -> Jinja2Templates:
    """The page templates: every value escaped, and a name the context lacks is an error
    (StrictUndefined) rather than an empty string in the page."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    return Jinja2Templates(env=env)


def compile_all() -> int:
    """Compile every page template now (Jinja2 keeps them compiled), as the first page of each
    kind would: some 10-40 ms a template, paid after start by api.warmup instead of by the
    first visitor. The number of templates compiled."""
    env = templates().env
    names = sorted(path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html"))
    for name in names:
        env.get_template(name)
    return len(names)


@cache
def version() -> str:
    """A digest of what draws the pages: the templates and the static assets' served names.

    Part of the ETag of a page derived from the graph (api.ld): a new template or stylesheet
    changes it, so a browser does not keep markup that names a stylesheet no longer served.

    >>> len(version()) == _DIGEST
    True
    """
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*.html")):
        digest.update(path.relative_to(TEMPLATES).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in sorted(assets()):
        digest.update(name.encode("utf-8") + b"\0")
    return digest.hexdigest()[:_DIGEST]


def render_for(home: str, template: str, **context: Any) -> bytes:
    """A page as UTF-8 bytes for the site at `home` (its base path, ending in /), with `home`
    and `asset` at hand. Without the request: a page that is the same for every request can
    be drawn once and kept (api.routes.sources)."""

    def asset(file: str) -> str:
        return f"{home}{STATIC_PATH}{served_name(file)}"

    page = templates().get_template(template)
    return page.render(home=home, asset=asset, **context).encode("utf-8")


def render(request: Request, template: str, **context: Any) -> bytes:
    """A page as UTF-8 bytes, with `request`, `home` (the site's base path) and `asset`."""
    return render_for(base_path(request) + "/", template, request=request, **context)
