"""Pages for people: Jinja2 templates (api/templates, autoescaped) and their static assets.

Assets (api/static) are served under names that carry a digest of their bytes
(style.3f2a9c1e.css), so a page may let browsers keep them for a year: a changed file gets a
new name. `asset` gives a template the current name of a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from api.linkeddata import base_path

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_PATH = "static/"
_DIGEST = 10  # hex digits of the digest in an asset's name


@dataclass(frozen=True)
class Asset:
    """A static file and the name it is served under."""

    path: Path
    name: str  # stem.<digest>.suffix
    body: bytes


@cache
def assets() -> dict[str, Asset]:
    """Every static file by its served name (read once: the files ship with the package)."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC.iterdir()):
        if path.is_file():
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:_DIGEST]
            name = f"{path.stem}.{digest}{path.suffix}"
            found[name] = Asset(path, name, body)
    return found


@cache
def served_name(file: str) -> str:
    """The name a static file is served under now.

    >>> served_name("style.css").startswith("style.") and served_name("style.css").endswith(".css")
    True
    """
    for asset in assets().values():
        if asset.path.name == file:
            return asset.name
    raise KeyError(f"no static file {file!r} in {STATIC}")


@cache
def templates() -> Jinja2Templates:
    """The page templates; Starlette's Jinja2Templates escapes every value by default."""
    return Jinja2Templates(directory=str(TEMPLATES))


def render(request: Request, template: str, **context: Any) -> bytes:
    """A page as UTF-8 bytes, with `home` (the site's base path) and `asset` at hand."""
    home = base_path(request) + "/"

    def asset(file: str) -> str:
        return f"{home}{STATIC_PATH}{served_name(file)}"

    page = templates().get_template(template)
    return page.render(request=request, home=home, asset=asset, **context).encode("utf-8")
