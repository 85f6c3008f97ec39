"""The analysis of what the backend holds, its entropy weights, and the pictures drawn from it.

The analysis runs the named queries of kg/queries/analysis/ through the backend (so a remote
store gives the same numbers as the embedded one) and kg.analysis.analyse over their rows, as
`rsme-kg report` does; it is kept per build (api.services.build). Pictures are kept by the
digest of the rows they were drawn from, so even a remote store's never cost a second drawing.

On the server the model's categories and factors link to the explorer's pages (in a file
written by the CLI they link to their w3id IRIs); the home page inlines the model's SVG
(`model_svg`), so that its links can be followed and reached with the keyboard.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.linkeddata import base_path
from api.named import select
from api.services.build import once
from kg.analysis import dataset, figures
from kg.analysis.document import everything
from kg.analysis.report import Analysis, analyse
from kg.analysis.weights import factor_weights as factor_weights_of
from kg.errors import AnalysisError

if TYPE_CHECKING:  # matplotlib is imported where a picture is drawn (kg.analysis.figures)
    from matplotlib.figure import Figure

# matplotlib's text layout and font cache are shared state: one drawing at a time
_DRAWING = threading.Lock()


async def current(request: Request, cutoff: float | None = None) -> Analysis:
    """The analysis of what the backend holds now."""
    return (await with_digest(request, cutoff))[0]


async def with_digest(request: Request, cutoff: float | None = None) -> tuple[Analysis, str]:
    """The analysis and a digest of the rows it was computed from (the key of its pictures)."""

    async def compute() -> tuple[Analysis, str]:
        answers = await asyncio.gather(
            *(select(request, f"analysis/{name}") for name in dataset.QUERIES)
        )
        tables = dict(zip(dataset.QUERIES, answers, strict=True))
        digest = hashlib.sha256(
            json.dumps(tables, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest()
        return analyse(dataset.from_tables(tables), cutoff), digest

    return await once(request, ("analysis", cutoff), compute)


async def everything_json(request: Request, cutoff: float | None = None) -> bytes:
    """Every result of the analysis as the JSON document of /analysis, encoded once per build
    (it is the largest answer of the API: over a megabyte at 100k triples)."""

    async def compute() -> bytes:
        found = await current(request, cutoff)
        return json.dumps(everything(found), ensure_ascii=False).encode("utf-8")

    return await once(request, ("analysis-json", cutoff), compute)


async def factor_weights(request: Request) -> dict[str, tuple[float, int]]:
    """factor id -> (entropy weight, rank) over the support matrix, as /analysis/weights: a
    factor that only names studies' settings has none; empty when no weights can be computed.

    Computed from the codes alone (one query), not from the whole analysis."""

    async def compute() -> dict[str, tuple[float, int]]:
        codes = dataset.from_tables({"codes": await select(request, "analysis/codes")})
        try:
            return {w.factor: (w.weight, w.rank) for w in factor_weights_of(codes)}
        except AnalysisError:  # fewer than two studies, no codes: no factor has a weight
            return {}

    return await once(request, "weights", compute)


class Pictures:
    """The last pictures drawn, by the digest of their data: a remote store is not cached as a
    whole (it may change), but the same rows never cost a second drawing."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], draw: Callable[[], bytes], exclusive: bool = True) -> bytes:
        """The picture kept under key, drawn now (one drawing at a time, unless `draw` is not
        `exclusive`: it then takes the drawing lock itself where it draws) if there is none."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        if exclusive:
            with _DRAWING:
                # drawn meanwhile by the thread that held the lock: not drawn twice
                body = self._items.get(key) or draw()
        else:
            body = draw()
        self.put(key, body)
        return body

    def has(self, key: tuple[str, ...]) -> bool:
        """Whether a picture is kept under key."""
        with self._lock:
            return key in self._items

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        """Keep a picture under key, forgetting the least recently used beyond `size`."""
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


PICTURES = Pictures()


# --- the model on the site's pages -------------------------------------------------------------

# where the explorer shows a category or a factor, by the kind the model links
EXPLORER = {"category": "explore/categories", "factor": "explore/factors"}
# the ids of an inlined SVG (clip paths, glyphs, groups) start with this: no page id does
INLINE_PREFIX = "model-svg-"
_URL_REF = re.compile(r"url\(#([^)]+)\)")  # in an attribute's value, read by the XML parser


def explorer(home: str) -> figures.Href:
    """The model's links on the server: the explorer's page of each category and factor."""

    def href(kind: str, id: str) -> str:
        return f"{home}{EXPLORER[kind]}/{quote(id, safe='')}"

    return href


def picture_key(request: Request, digest: str, name: str, fmt: str, lang: str) -> tuple[str, ...]:
    """What a picture served here is kept under: the rows it is drawn from, its name, format
    and language, and the site's base path (the model's links lead below it)."""
    return (digest, name, fmt, lang, base_path(request))


def site_figure(request: Request, analysis: Analysis, name: str, lang: str) -> Figure:
    """A picture as the server draws it: the model's links lead to the explorer's pages, not
    to the w3id IRIs of a file."""
    if figures.lookup(name).draw is figures.model:
        home = base_path(request) + "/"
        return figures.model(analysis, lang, explorer(home))
    return figures.lookup(name).draw(analysis, lang)


def site_picture(request: Request, analysis: Analysis, name: str, fmt: str, lang: str) -> bytes:
    """A picture as the server serves it (/analysis/<name>.svg, the /analysis page)."""
    return figures.render(site_figure(request, analysis, name, lang), fmt)


def draw_ahead(request: Request, analysis: Analysis, digest: str, name: str, lang: str) -> None:
    """A picture as SVG and PNG, kept as a request would keep each (`PICTURES`), drawn once
    for both formats (as `rsme-kg report` writes them); run in a worker thread."""
    keys = {fmt: picture_key(request, digest, name, fmt, lang) for fmt in ("svg", "png")}
    if all(PICTURES.has(key) for key in keys.values()):
        return
    with _DRAWING:
        figure = site_figure(request, analysis, name, lang)
        bodies = {fmt: figures.render(figure, fmt) for fmt in keys}
    for fmt, key in keys.items():
        PICTURES.put(key, bodies[fmt])


def inline_svg(svg: bytes, label: str) -> str:
    """An SVG of ours made fit to stand inside a page: its ids prefixed (INLINE_PREFIX) with
    every reference to them, so that none can clash with an id of the page or another picture;
    named for assistive technology (role group: its links stay reachable inside it); without
    the prolog, the metadata and the comments. Edited as XML, never as text."""
    root = ET.fromstring(svg)  # the default parser leaves the comments out
    for metadata in root.findall(f"{{{figures.SVG}}}metadata"):
        root.remove(metadata)
    href = f"{{{figures.XLINK}}}href"
    for element in root.iter():
        for key, value in element.items():
            if key == "id":
                element.set(key, INLINE_PREFIX + value)
            elif key == href and value.startswith("#"):
                element.set(key, f"#{INLINE_PREFIX}{value[1:]}")
            elif "url(#" in value:
                element.set(key, _URL_REF.sub(rf"url(#{INLINE_PREFIX}\1)", value))
    # SVG 2's href: what a page's scripts and tools look for on a link (`a[href]`)
    for link in root.iter(f"{{{figures.SVG}}}a"):
        link.set("href", link.attrib.pop(href))
    root.set("role", "group")
    root.set("aria-label", label)
    return figures.svg_text(root)


async def model_svg(request: Request, lang: str = "en") -> Markup:
    """The integrated model as SVG to inline in a page, its links to the explorer's pages.

    Drawn once per build (the analysis is kept per build, the picture by the digest of its
    rows) in a worker thread, as the other pictures are."""
    analysis, digest = await with_digest(request)
    home = base_path(request) + "/"

    def drawn() -> bytes:
        # the SVG served at /analysis/model.svg (drawn for this server's base): kept once
        svg = PICTURES.get(
            picture_key(request, digest, "model", "svg", lang),
            lambda: site_picture(request, analysis, "model", "svg", lang),
        )
        label = "The integrated model: each category and factor links to its page"
        return inline_svg(svg, label).encode("utf-8")

    # not under the drawing lock: drawn() takes it for the SVG, and edits XML only after
    key = (digest, "model", "inline", lang, home)
    body = await run_in_threadpool(PICTURES.get, key, drawn, False)
    # Markup (not escaped): our own matplotlib output, edited as XML above; the labels in it
    # were escaped by matplotlib and ElementTree
    return Markup(body.decode("utf-8"))
