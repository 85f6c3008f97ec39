"""Where this server answers, and which addresses a page may link to.

The `public_base` setting says where this server answers (behind a proxy, under a path):
pages link below its path, documents name its absolute URLs. This module imports nothing else
of api, so that every module drawing pages or documents can use it (api.pages, api.linkeddata).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import Request

# the schemes a page links to; an IRI of another scheme (javascript:, data:, vbscript:, ...)
# is shown as text, since a browser would run or open it rather than go to a page
LINK_SCHEMES = frozenset({"http", "https", "mailto", "urn"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# what a browser drops from an href before reading its scheme (WHATWG URL): C0 controls and
# spaces around it, tabs and newlines anywhere ("java\tscript:" is javascript:)
_AROUND = "".join(chr(c) for c in range(0x21))
_INSIDE = re.compile(r"[\t\n\r]")


def base_path(request: Request) -> str:
    """The path at which this server answers (that of public_base), without a trailing slash."""
    public: str = request.app.state.settings.public_base
    return urlsplit(public).path.rstrip("/")


def public_url(request: Request, path: str) -> str:
    """An absolute URL on this server, from the public_base setting."""
    public: str = request.app.state.settings.public_base
    return public.rstrip("/") + path


def linkable(href: str) -> bool:
    """Whether a page may put `href` in a link: a path of ours (no scheme), or a URL of a
    scheme in LINK_SCHEMES.

    >>> [linkable(h) for h in ("/id/factor/x", "#Study", "?format=ttl", "", "https://doi.org/1")]
    [True, True, True, True, True]
    >>> [linkable(h) for h in ("mailto:a@b.c", "urn:isbn:1", "HTTP://W3.ORG/")]
    [True, True, True]
    >>> [linkable(h) for h in ("javascript:alert(1)", " JavaScript:x", "java\\tscript:x")]
    [False, False, False]
    >>> [linkable(h) for h in ("data:text/html,<b>", "vbscript:x", "file:///etc/passwd")]
    [False, False, False]
    """
    read = _INSIDE.sub("", href.strip(_AROUND))
    scheme = _SCHEME.match(read)
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def outside_href(iri: str) -> str | None:
    """An outside IRI as a link target, or None when a page must show it as text.

    >>> outside_href("http://www.wikidata.org/entity/Q165687")
    'http://www.wikidata.org/entity/Q165687'
    >>> outside_href("javascript:alert(1)") is None
    True
    """
    return iri if linkable(iri) else None
