"""Pagination links of the REST listings (RFC 8288)."""

from __future__ import annotations

from starlette.datastructures import URL


def link_header(url: URL, total: int, limit: int, offset: int) -> str:
    """A Link header value: first, prev, next and last pages, the other parameters kept.

    >>> for link in link_header(URL("http://x/f?q=1"), total=12, limit=5, offset=5).split(", "):
    ...     print(link)
    <http://x/f?q=1&limit=5&offset=0>; rel="first"
    <http://x/f?q=1&limit=5&offset=0>; rel="prev"
    <http://x/f?q=1&limit=5&offset=10>; rel="next"
    <http://x/f?q=1&limit=5&offset=10>; rel="last"
    """
    last = max(total - 1, 0) // limit * limit
    pages = {"first": 0}
    if offset > 0:
        pages["prev"] = min(max(offset - limit, 0), last)
    if offset + limit < total:
        pages["next"] = offset + limit
    pages["last"] = last
    return ", ".join(
        f'<{url.include_query_params(limit=limit, offset=at)}>; rel="{rel}"'
        for rel, at in pages.items()
    )
