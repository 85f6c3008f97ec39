"""What the explorer's pages share: reading the filters of a plain GET form, paging links that
keep them, breadcrumbs, and the answer itself (the page, its problem as a page, or a 406).

A form sends every field, the empty ones as `name=`: the filters are read as text here, an
empty one meaning "any", so that a form submitted without JavaScript never meets FastAPI's
validation of typed parameters; a value that cannot be right is a 422 that names it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from api.conneg import parse_accept, quality
from api.linkeddata import base_path
from api.pages import render
from api.problems import Problem
from api.responses import HTML, JSON

_YEAR = re.compile(r"[1-9][0-9]{3}")  # 1000 to 9999, as /studies and the forms' min and max
_NUMBER = re.compile(r"[0-9]{1,7}")  # ASCII digits: str.isdigit() takes "²" and "①", int() not
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_PAGE = "text/html; charset=utf-8"

# what the OpenAPI description says of a page's answers besides the page itself
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such id: a page for browsers, problem+json for other clients."},
    406: {"description": "The client takes no HTML; `alternate` names the JSON of the view."},
}
FILTER_ERRORS: dict[int | str, dict[str, Any]] = {
    **PAGE_ERRORS,
    422: {"description": "A filter value is not valid: a page (or problem+json) naming it."},
}


class Params:
    """Reads query parameters given as text, collecting what is wrong with them."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def wrong(self, name: str, value: str, message: str) -> None:
        """Records that parameter `name` cannot be `value`, and why."""
        self.errors.append({"location": ["query", name], "message": message, "value": value})

    def year(self, name: str, value: str | None) -> int | None:
        """A year from 1000 to 9999, or None when not given."""
        value = (value or "").strip()
        if not value:
            return None
        if not _YEAR.fullmatch(value):
            self.wrong(name, value, "a year from 1000 to 9999")
            return None
        return int(value)

    def choice(self, name: str, value: str | None, choices: Collection[str]) -> str | None:
        """One of a closed list of values, or None when not given."""
        value = (value or "").strip()
        if not value:
            return None
        if value not in choices:
            known = f"one of {', '.join(sorted(choices))}" if len(choices) <= 8 else None
            self.wrong(name, value, known or f"not a known {name}")
            return None
        return value

    def ident(self, name: str, value: str | None) -> str | None:
        """An id (lower-case letters, digits and hyphens), or None when not given."""
        value = (value or "").strip()
        if not value:
            return None
        if not _ID.fullmatch(value):
            self.wrong(name, value, "an id of lower-case letters, digits and hyphens")
            return None
        return value

    def text(self, name: str, value: str | None, longest: int = 100) -> str | None:
        """Free text of at most `longest` characters, or None when not given."""
        value = " ".join((value or "").split())
        if not value:
            return None
        if len(value) > longest:
            self.wrong(name, value[:longest] + "…", f"at most {longest} characters")
            return None
        return value

    def number(self, name: str, value: str | None, default: int, low: int, high: int) -> int:
        """A whole number from low to high; the default when not given."""
        value = (value or "").strip()
        if not value:
            return default
        if not _NUMBER.fullmatch(value) or not low <= int(value) <= high:
            self.wrong(name, value, f"a whole number from {low} to {high}")
            return default
        return int(value)

    def range(self, low: tuple[str, int | None], high: tuple[str, int | None]) -> None:
        """A range given backwards is wrong at its start."""
        (name, start), (_, end) = low, high
        if start is not None and end is not None and start > end:
            self.wrong(name, str(start), f"not after {high[0]} ({end})")

    def check(self) -> None:
        """A 422 naming every parameter that is wrong, if any is."""
        if self.errors:
            detail = "; ".join(
                f"{e['location'][-1]}={e['value']!r} is not valid: {e['message']}"
                for e in self.errors
            )
            raise Problem(
                422, "Invalid parameters", detail, kind="invalid-parameters", errors=self.errors
            )


@dataclass(frozen=True)
class Paging:
    """One page of a filtered list: its place, and links to its neighbours that keep the
    filters (only the filters given, so a shared URL stays short)."""

    total: int
    limit: int
    offset: int
    prev: str | None
    next: str | None

    @property
    def first(self) -> int:
        """The 1-based number of the first item shown (0 when none is)."""
        return self.offset + 1 if self.offset < self.total else 0

    @property
    def last(self) -> int:
        """The 1-based number of the last item shown."""
        return min(self.offset + self.limit, self.total)


def paging(
    path: str, params: Mapping[str, str], total: int, limit: int, offset: int, default: int
) -> Paging:
    """The paging of a list at `path` whose filters are `params`."""

    def link(at: int) -> str:
        query = dict(params)
        if limit != default:
            query["limit"] = str(limit)
        if at:
            query["offset"] = str(at)
        return f"{path}?{urlencode(query)}" if query else path

    # from past the end, the previous page is the last one
    last = max(total - 1, 0) // limit * limit
    prev = link(min(max(offset - limit, 0), last)) if offset > 0 else None
    following = link(offset + limit) if offset + limit < total else None
    return Paging(total, limit, offset, prev, following)


def with_query(path: str, params: Mapping[str, str | list[str]]) -> str:
    """A path with the given parameters (lists repeated), none if they are empty.

    >>> with_query("/search", {"q": "a b", "type": ["factor", "study"]})
    '/search?q=a+b&type=factor&type=study'
    >>> with_query("/studies", {})
    '/studies'
    """
    query = urlencode(params, doseq=True)
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Link:
    """A link of a page: where it goes and what it says."""

    href: str
    text: str


@dataclass(frozen=True)
class Alternate:
    """The JSON form of a view: its URL when it holds what the page shows; else None, why
    (`note`), and the nearest JSON there is."""

    json: str | None
    note: str | None = None
    nearest: Link | None = None


@dataclass
class Page:
    """A page to send: its template and context, its breadcrumbs (the page's own last) and
    its other forms: the linked-data page of what it shows and the JSON of the same view.

    `json` is offered only when it holds what the page shows; `json_note` says where it holds
    less (or why there is none), and `nearest` is then the closest JSON there is."""

    template: str
    title: str
    crumbs: list[Link]
    json: str | None
    iri_page: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    json_note: str | None = None
    nearest: Link | None = None


def site(request: Request) -> str:
    """The path of the site's root without its trailing slash ('' at the host's root)."""
    return base_path(request)


def accepts_html(request: Request) -> bool:
    """Whether the client takes HTML (a browser; also a client that sends no Accept)."""
    return quality(parse_accept(request.headers.get("accept")), HTML) > 0


def home_crumbs(request: Request, *more: Link) -> list[Link]:
    """The breadcrumbs from the home page through the explorer to a page."""
    root = site(request)
    return [Link(f"{root}/", "Home"), Link(f"{root}/explore", "Explore"), *more]


# what a page's builder calls with the JSON of its view once the view is known to exist (its
# id found, its filters valid) and before the page is built; it gives the JSON back
Offer = Callable[[str | None], str | None]


def _headers(json: str | None) -> dict[str, str]:
    links = {"Vary": "Accept"}
    if json:
        links["Link"] = f'<{json}>; rel="alternate"; type="{JSON}"'
    return links


def not_acceptable(json: str | None) -> Problem:
    """The 406 of a page to a client that takes no HTML, naming the JSON of the same view."""
    return Problem(
        406,
        "Not acceptable",
        f"this page is available as {HTML}" + (f"; its data as {JSON} at {json}" if json else ""),
        kind="not-acceptable",
        headers=_headers(json),
        acceptable=[HTML],
        alternate=json,
    )


async def respond(
    request: Request,
    here: str,
    make: Callable[[Offer], Awaitable[Page]],
    suggest: Callable[[str], str] | None = None,
) -> Response:
    """The page `make` builds, for a client that takes HTML. Its problems (an unknown id, a
    wrong filter) come as a page to a browser, the close ids it suggests linked by `suggest`
    and a way back to `here` (the page's path from the site's root), and as problem+json to
    any other client. A client that takes no HTML gets a 406 naming the JSON of the same view
    as soon as `make` offers it, before the page is built."""
    html = accepts_html(request)

    def offer(json: str | None) -> str | None:
        if not html:
            raise not_acceptable(json)
        return json

    try:
        page = await make(offer)
    except Problem as problem:
        if not html:
            raise
        return problem_page(request, here, problem, suggest)
    if not html:  # a builder that never offered its JSON: the 406 comes late, but it comes
        raise not_acceptable(page.json)
    body = render(
        request,
        page.template,
        title=page.title,
        crumbs=page.crumbs,
        json=page.json,
        json_note=page.json_note,
        nearest=page.nearest,
        iri_page=page.iri_page,
        **page.context,
    )
    return Response(body, media_type=_PAGE, headers=_headers(page.json))


def problem_page(
    request: Request, here: str, problem: Problem, suggest: Callable[[str], str] | None = None
) -> Response:
    """A problem as a page: what went wrong, and the way on (close ids, the page at `here`
    without its parameters, the explorer)."""
    kind = "Not found" if problem.status == 404 else problem.title
    close = problem.extra.get("suggestions", []) if suggest is not None else []
    body = render(
        request,
        "explore_problem.html",
        title=kind,
        crumbs=home_crumbs(request, Link(here, kind)),
        json=None,
        json_note=None,
        nearest=None,
        iri_page=None,
        here=here,
        problem=problem,
        suggestions=[Link(suggest(ident), ident) for ident in close if suggest is not None],
        errors=problem.extra.get("errors", []),
    )
    return Response(
        body,
        status_code=problem.status,
        media_type=_PAGE,
        headers={"Vary": "Accept", **problem.headers},
    )
