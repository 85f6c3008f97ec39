"""The pictures of the synthesis, drawn with matplotlib's object API (no pyplot state).

Each function takes an `Analysis` and returns a `Figure` sized for an A4 page (8 in wide), with
no label overlapping another: texts are placed on computed grids (one line per factor, labels on
a circle at least one line height apart) rather than where a layout engine happens to put them.
Persian labels (lang="fa") are shaped and laid out right to left by matplotlib itself
(matplotlib >= 3.11 uses libraqm), in DejaVu Sans, which matplotlib ships and which covers the
Persian letters.

Every number drawn counts support: a code whose direction is context names the study's setting
and is shown apart, in the band 'settings studied' under the integrated model.

In the SVG of the integrated model every category title and factor line is a link, named for
assistive technology ("Psychic distance: 3 studies"): to the w3id IRI of the category or factor
in a file (the report, the CLI), to wherever `href` says on the server. The PNG is the same
drawing without links.

A picture is registered once, where it is drawn: `@picture(name, caption=..., after=...)` on its
function gives its name (figures/<name>.svg, /analysis/<name>.svg), its caption in the report
and its place there. The report (kg.analysis.document), the CLI and the API read `pictures()`;
no other list of pictures exists.
"""

from __future__ import annotations

import io
import math
import os
import re
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from weakref import WeakKeyDictionary

from kg.analysis.matrix import ordered
from kg.analysis.report import Analysis
from kg.namespaces import ID

# matplotlib is imported where a picture is drawn, not with this module: the web server
# imports the registry (names, captions) at start, and importing matplotlib costs about a
# second that a server which never draws need not pay
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 8.0  # inches: A4 is 8.27 in wide
FONT = "DejaVu Sans"
LINE = 1.45 / 72  # inches per point of font size: one line of text
# matplotlib's "tab20" colours as hex, written out so that no colour map is loaded to know
# them (tests/test_figures.py checks them against matplotlib's)
PALETTE = [
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
    "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
    "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
]  # fmt: skip
CENTRE = {
    "en": "Internationalization\nof small and\nmedium rural\nenterprises",
    "fa": "بین‌المللی‌سازی\nکسب‌وکارهای کوچک\nو متوسط روستایی",
}
MAX_COLUMNS = 60  # studies in the heatmap; beyond, its columns are years
MAX_ROWS = 80  # factors in the heatmap; beyond, those supported by most studies
PER_BOX = 10  # factors listed in a category box of the model; beyond, "and N more"
NETWORK = 44  # factors on the co-occurrence circle; beyond, those supported by most studies

Draw = Callable[[Analysis, str], "Figure"]  # (analysis, label language) -> the picture
DrawFunction = TypeVar("DrawFunction", bound=Draw)
Href = Callable[[str, str], str]  # (kind: "category" or "factor", id) -> where its link leads

SVG, XLINK = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
# the prefixes matplotlib writes, kept when an SVG is edited as XML
_PREFIXES = {
    "xlink": XLINK,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "cc": "http://creativecommons.org/ns#",
}


def svg_text(root: ET.Element) -> str:
    """An SVG tree written back as text, with SVG as the default namespace and matplotlib's
    prefixes.

    ElementTree keeps prefixes in one registry for the whole process, which any other code
    (a QDPX reader registering its own default namespace) may change; so the prefixes are set
    again right before writing. (`default_namespace=` cannot be used: it refuses comments.)

    >>> ET.register_namespace("", "urn:someone-else")
    >>> tree = ET.fromstring(f'<svg xmlns="{SVG}"><a xmlns:x="{XLINK}" x:href="#"/></svg>')
    >>> text = svg_text(tree)
    >>> text.startswith(f'<svg xmlns="{SVG}"'), '<a xlink:href="#" />' in text
    (True, True)
    """
    for prefix, uri in {"": SVG, **_PREFIXES}.items():
        ET.register_namespace(prefix, uri)
    return ET.tostring(root, encoding="unicode")


def iri(kind: str, id: str) -> str:
    """The w3id IRI of a category or factor: where the model's links lead in a file."""
    return f"{ID}{kind}/{id}"


@dataclass(frozen=True)
class _Links:
    """What an SVG of a figure needs beyond matplotlib's links: the name of each."""

    lang: str  # of the names (the labels' language)
    names: dict[str, str]  # URL -> what a screen reader says of the link


# the links of the figures that have some, until the figure goes (matplotlib writes the URL of a
# text, not a name for it: render() adds the names to the SVG)
_LINKS: WeakKeyDictionary[Figure, _Links] = WeakKeyDictionary()


@dataclass(frozen=True)
class Picture:
    """A picture of the report and the API, as registered with `picture` or `register`."""

    name: str  # figures/<name>.svg|png in the report, /analysis/<name>.svg|png in the API
    caption: str  # under the picture in the report (English, like the report's other text)
    # what it follows in the report: a table's name (tables/<name>.csv, the <h2 id> of the
    # page) or another picture as "figure-<name>"; a place the report lacks puts it at the end
    after: str
    draw: Draw


_NAME = re.compile(r"[a-z][a-z0-9-]*")  # a file name, a URL path segment and an HTML id alike
_REGISTRY: dict[str, Picture] = {}  # in the order of registration: the order of names()


def register(entry: Picture) -> Picture:
    """Add a picture to the report, the CLI and the API (its name must be new)."""
    if not _NAME.fullmatch(entry.name):
        raise ValueError(f"picture name {entry.name!r}: lower-case letters, digits and '-'")
    if entry.name in _REGISTRY:
        raise ValueError(f"picture {entry.name!r} is registered already")
    _REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> Picture:
    """Remove a registered picture (tests register pictures of their own)."""
    return _REGISTRY.pop(name)


def picture(name: str, *, caption: str, after: str) -> Callable[[DrawFunction], DrawFunction]:
    """Register the decorated drawing function as the picture `name` (see `Picture`); the
    function keeps its own signature (the model takes where its links lead, too)."""

    def decorate(draw: DrawFunction) -> DrawFunction:
        register(Picture(name, caption, after, draw))
        return draw

    return decorate


def pictures() -> tuple[Picture, ...]:
    """Every registered picture, in the order of registration."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    """The names of the pictures: what the report writes and the API serves."""
    return tuple(_REGISTRY)


def lookup(name: str) -> Picture:
    """The registered picture of this name (KeyError if none)."""
    return _REGISTRY[name]


def in_words() -> str:
    """The names as a phrase: 'model, heatmap, flow, cooccurrence or timeline'."""
    *head, last = names() or ("none",)
    return f"{', '.join(head)} or {last}" if head else last


def _figure(height: float) -> tuple[Figure, Axes]:
    """A figure WIDTH x height inches whose single axes measure inches from the bottom left."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def colours(analysis: Analysis) -> dict[str, str]:
    """One colour per category, in taxonomy order, shared by every picture."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(analysis.dataset.categories)}


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False) or [text]


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fit(text: str, width: int, room: float) -> list[str]:
    """Text wrapped to `width` characters in at most `room` lines (at least one); what does not
    fit ends in an ellipsis, so a label never runs into its neighbour's rows."""
    lines = _wrap(text, width)
    most = max(1, int(room))
    if len(lines) <= most:
        return lines
    if most == 1:
        return [_short(text, int(width * 1.6))]  # one line may run wider, into the margin
    return [*lines[: most - 1], _short(" ".join(lines[most - 1 :]), width)]


def _studies_per_factor(analysis: Analysis) -> Counter[str]:
    """Studies that support each factor (cells of the support matrix that are not zero)."""
    return Counter(f for row in analysis.factor_matrix.values() for f, n in row.items() if n)


def _category_studies(analysis: Analysis) -> Counter[str]:
    """Studies that support each category."""
    return Counter(c for row in analysis.category_matrix.values() for c, n in row.items() if n)


def _supported(analysis: Analysis) -> bool:
    """Whether any included study supports a factor (settings do not count)."""
    return any(analysis.factor_matrix.values())


def _nothing(what: str) -> Figure:
    """A small figure that says there is nothing to draw yet (instead of a blank or an error)."""
    fig, ax = _figure(1.2)
    ax.text(
        WIDTH / 2,
        0.6,
        f"No {what} yet: no included study supports a factor "
        "(codes naming a study's setting, direction context, are not counted).",
        ha="center",
        va="center",
        fontsize=9,
        color="#555",
    )
    return fig


# --- the integrated model ---------------------------------------------------------------------

# the boxes (points, inches) and the caption under the model (points)
MODEL_TITLE_PT, MODEL_BODY_PT, BOX_W, BOX_GAP, CAPTION_PT = 8.0, 7.0, 2.55, 0.14, 6.5
# the settings band under the boxes: sizes in points, offsets in inches, widths in characters
BAND_TITLE_PT, BAND_PT, BAND_LEFT, BAND_FACTORS = 7.5, 7.0, 0.3, 3.0
BAND_CATEGORY_CHARS, BAND_FACTOR_CHARS = 38, 80


@dataclass(frozen=True)
class _Box:
    """A category box of the model: its wrapped title and its lines, each with what it links."""

    category: str
    title: list[str]
    lines: list[tuple[str, tuple[str, str]]]  # (text, (kind, id)): a factor or the category
    names: dict[tuple[str, str], str]  # (kind, id) -> the link's name: label and its studies


def _studies(n: int, lang: str) -> str:
    """'3 studies' in the language of the labels (a number is followed by the singular in
    Persian)."""
    if lang == "fa":
        return f"{n} مطالعه"
    return f"{n} study" if n == 1 else f"{n} studies"


def _model_boxes(analysis: Analysis, lang: str) -> list[_Box]:
    """Each category with supported factors: its title lines and its factor lines (a factor's
    label may wrap over two), and the name of each link ("Psychic distance: 3 studies")."""
    ds = analysis.dataset
    studies = _studies_per_factor(analysis)
    per_category = _category_studies(analysis)
    boxes = []
    for category in ds.categories:
        factors = [r.factor for r in ds.factors if r.category == category and studies[r.factor]]
        if not factors:
            continue
        factors.sort(key=lambda f: (-studies[f], ds.label(f, lang)))
        own = ("category", category)
        label = ds.category_label(category, lang)
        names = {own: f"{label}: {_studies(per_category[category], lang)}"}
        lines: list[tuple[str, tuple[str, str]]] = []
        more = factors[PER_BOX:]
        for factor in factors[:PER_BOX]:
            names["factor", factor] = f"{ds.label(factor, lang)}: {_studies(studies[factor], lang)}"
            # a no-break space keeps the count on the line of the label's last word
            wrapped = _wrap(f"{ds.label(factor, lang)}\u00a0({studies[factor]})", 46)
            lines += [(line, ("factor", factor)) for line in wrapped]
        if more:  # the category's page lists them all
            lines.append((f"… and {len(more)} more (supported by fewer studies)", own))
        boxes.append(_Box(category, _wrap(label, 34), lines, names))
    return boxes


def _balanced(heights: list[float]) -> list[list[int]]:
    """Two columns of box indices of about equal height, keeping taxonomy order in each."""
    half = sum(heights) / 2
    split, running = len(heights), 0.0
    for i, h in enumerate(heights):
        if running + h / 2 > half:
            split = i
            break
        running += h
    return [list(range(split)), list(range(split, len(heights)))]


def _band_rows(analysis: Analysis, lang: str) -> list[tuple[str, list[str], list[str]]]:
    """(category, category lines, factor lines) for each category some study has as setting.

    The numbers are studies whose setting the category or factor is (kg.analysis.settings);
    factors are listed most first, PER_BOX at most, joined so that a line breaks only after the
    dot between two of them (no-break spaces inside each and before the dot).
    """
    ds = analysis.dataset
    found = analysis.settings
    category_of = {c.factor: c.category for c in ds.codes}
    rows = []
    for category in ordered(found.categories, ds.categories):
        factors = [f for f in found.factors if category_of.get(f) == category]
        factors.sort(key=lambda f: (-len(found.factors[f]), ds.label(f, lang)))
        items = [
            f"{ds.label(f, lang)} ({len(found.factors[f])})".replace(" ", "\u00a0")
            for f in factors[:PER_BOX]
        ]
        if factors[PER_BOX:]:
            items.append(f"…\u00a0and\u00a0{len(factors) - PER_BOX}\u00a0more")
        title = f"{ds.category_label(category, lang)}\u00a0({len(found.categories[category])})"
        rows.append(
            (
                category,
                _wrap(title, BAND_CATEGORY_CHARS),
                _wrap("\u00a0· ".join(items), BAND_FACTOR_CHARS),
            )
        )
    return rows


def _band_height(rows: list[tuple[str, list[str], list[str]]]) -> float:
    """Inches the settings band takes: a title line, then one row per category."""
    if not rows:
        return 0.0
    lines = sum(max(len(names), len(factors)) for _, names, factors in rows)
    return 0.1 + BAND_TITLE_PT * LINE + 0.06 + lines * BAND_PT * LINE + 0.05 * len(rows) + 0.04


def _draw_band(
    ax: Axes,
    rows: list[tuple[str, list[str], list[str]]],
    top: float,
    colour: dict[str, str],
    right_to_left: bool,
) -> None:
    """The band 'settings studied' from `top` down, the full width of the page."""
    from matplotlib.patches import FancyBboxPatch

    height = _band_height(rows)
    x0, width = 0.15, WIDTH - 0.3
    band = FancyBboxPatch(
        (x0, top - height),
        width,
        height,
        boxstyle="round,pad=0.02",
        fc="#f4f4f4",
        ec="#9a9a9a",
        lw=0.8,
        ls=(0, (4, 2)),  # dashed: not a category of the model, the ground the studies stand on
    )
    band.set_gid("settings-band")
    ax.add_patch(band)

    def x(offset: float) -> float:  # mirrored for right-to-left labels
        return x0 + width - offset if right_to_left else x0 + offset

    ha = "right" if right_to_left else "left"
    y = top - 0.1
    ax.text(
        x(0.1),
        y,
        "Settings studied: (n) = included studies whose setting it is; not counted as support",
        ha=ha,
        va="top",
        fontsize=BAND_TITLE_PT,
        fontweight="bold",
        family=FONT,
        color="#333",
    )
    y -= BAND_TITLE_PT * LINE + 0.06
    step = BAND_PT * LINE
    for category, names, factors in rows:
        ax.add_patch(
            FancyBboxPatch(
                (x(0.1) - (0.12 if right_to_left else 0), y - step * 0.8),
                0.12,
                step * 0.7,
                boxstyle="square,pad=0",
                fc=colour.get(category, "#999"),
                lw=0,
            )
        )
        for i, line in enumerate(names):
            ax.text(
                x(BAND_LEFT),
                y - i * step,
                line,
                ha=ha,
                va="top",
                fontsize=BAND_PT,
                fontweight="bold",
                family=FONT,
            )
        for i, line in enumerate(factors):
            ax.text(
                x(BAND_FACTORS), y - i * step, line, ha=ha, va="top", fontsize=BAND_PT, family=FONT
            )
        y -= max(len(names), len(factors)) * step + 0.05


def _draw_boxes(
    ax: Axes,
    boxes: list[_Box],
    heights: list[float],
    top: float,
    colour: dict[str, str],
    right_to_left: bool,
    href: Href,
) -> tuple[list[tuple[int, float, float, str]], dict[str, str]]:
    """The category boxes in two columns from `top` down; (side, edge x, middle y, category)
    for the arrow of each, and the name of each link drawn by its URL.

    Every line is a text of its own, so each can link: a title line to its category, a factor
    line to its factor (in an SVG only: `href(kind, id)` is its address)."""
    from matplotlib.patches import FancyBboxPatch

    title_pt, body_pt = MODEL_TITLE_PT, MODEL_BODY_PT
    arrows = []
    names: dict[str, str] = {}
    for side, column in enumerate(_balanced(heights)):
        x0 = 0.15 if side == 0 else WIDTH - 0.15 - BOX_W
        y = top
        for i in column:
            entry = boxes[i]
            category = entry.category
            h = heights[i]
            box = FancyBboxPatch(
                (x0, y - h),
                BOX_W,
                h,
                boxstyle="round,pad=0.02",
                fc=colour[category] + "22",
                ec=colour[category],
                lw=1.2,
            )
            box.set_gid(f"box-{category}")
            ax.add_patch(box)
            tx, ha = (x0 + BOX_W - 0.08, "right") if right_to_left else (x0 + 0.08, "left")
            ty = y - 0.08
            own = ("category", category)
            for line, size, weight, target in [(t, title_pt, "bold", own) for t in entry.title] + [
                (t, body_pt, "normal", link) for t, link in entry.lines
            ]:
                text = ax.text(
                    tx, ty, line, ha=ha, va="top", fontsize=size, fontweight=weight, family=FONT
                )
                url = href(*target)
                text.set_url(url)
                names.setdefault(url, entry.names[target])
                ty -= size * LINE
            edge = x0 + BOX_W if side == 0 else x0
            arrows.append((side, edge, y - h / 2, category))
            y -= h + BOX_GAP
    return arrows, names


def _draw_centre(
    ax: Axes,
    arrows: list[tuple[int, float, float, str]],
    per_category: Counter[str],
    colour: dict[str, str],
    lang: str,
) -> None:
    """The outcome in the centre and one arrow per box, as wide as the category's support."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    centre_w = 1.55
    # the centre spans the middles of the boxes, so every arrow runs straight across
    low = min(a[2] for a in arrows) - 0.25
    high = max(a[2] for a in arrows) + 0.25
    cx = WIDTH / 2
    ax.add_patch(
        FancyBboxPatch(
            (cx - centre_w / 2, low),
            centre_w,
            high - low,
            boxstyle="round,pad=0.04",
            fc="#fff4d6",
            ec="#8a6d00",
            lw=1.4,
        )
    )
    ax.text(
        cx,
        (low + high) / 2,
        CENTRE.get(lang, CENTRE["en"]),
        ha="center",
        va="center",
        fontsize=8.5,
        fontweight="bold",
        family=FONT,
        linespacing=1.4,
    )
    strongest = max(per_category.values(), default=1)
    for side, edge, y, category in arrows:
        end = cx + (-1 if side == 0 else 1) * centre_w / 2
        ax.add_patch(
            FancyArrowPatch(
                (edge, y),
                (end, y),
                arrowstyle="-|>",
                mutation_scale=10,
                lw=0.6 + 3.4 * per_category[category] / strongest,
                color=colour[category],
                shrinkA=1,
                shrinkB=3,
            )
        )
        ax.text(
            (edge + end) / 2,
            y + 0.05,
            str(per_category[category]),
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="#333",
        )


def _model_caption(settings: bool) -> str:
    """What the numbers of the model count (two lines, under everything else)."""
    first = (
        "(n) in a box = included studies that support the factor; the number on an arrow "
        "(and its width) = studies that support the category"
    )
    if settings:
        return (
            f"{first}\nSupport = codes whose direction is not context; a code with direction "
            "context names the study's setting and is counted only in the band above"
        )
    return f"{first}\nSupport = codes whose direction is not context; no code names a setting"


@picture(
    "model",
    caption="The integrated model: categories and the factors the studies support, leading to "
    "internationalization. Boxes and arrows count support only; the settings studied (codes "
    "whose direction is context) are counted apart, in the band under the model",
    after="figure-flow",  # right after the screening flow: the synthesis' result comes first
)
def model(analysis: Analysis, lang: str = "en", href: Href = iri) -> Figure:
    """Categories and the factors the studies support, leading to internationalization.

    Each box lists a category's supported factors with the number of studies that support each
    (most first); the arrow from a box to the centre is as wide as the number of studies that
    support the category. Codes whose direction is context name the study's setting: they are
    not influence, so they are counted only in the band 'settings studied' under the model.

    In an SVG every category title and factor line is a link to `href(kind, id)` (kind
    'category' or 'factor'): the w3id IRI by default, the site's own pages on the server.
    """
    if not analysis.dataset.codes:
        return _nothing("model")
    right_to_left = lang == "fa"
    boxes = _model_boxes(analysis, lang)
    band = _band_rows(analysis, lang)
    heights = [
        len(b.title) * MODEL_TITLE_PT * LINE + len(b.lines) * MODEL_BODY_PT * LINE + 0.16
        for b in boxes
    ]
    # without support there are no boxes: one line says so where they would be
    upper = (
        max(sum(heights[i] for i in col) + BOX_GAP * (len(col) - 1) for col in _balanced(heights))
        if boxes
        else 0.3
    )
    caption_h = 2 * CAPTION_PT * LINE * 1.05 + 0.16
    band_h = _band_height(band)
    height = 0.3 + upper + (0.22 + band_h if band else 0.0) + 0.2 + caption_h
    fig, ax = _figure(height)
    colour = colours(analysis)
    top = height - 0.3
    if boxes:
        arrows, names = _draw_boxes(ax, boxes, heights, top, colour, right_to_left, href)
        _LINKS[fig] = _Links(lang, names)
        _draw_centre(ax, arrows, _category_studies(analysis), colour, lang)
    else:
        ax.text(
            WIDTH / 2,
            top,
            "No factor of the taxonomy is supported yet: "
            "settings (direction context) do not count.",
            ha="center",
            va="top",
            fontsize=8,
            color="#555",
        )
    if band:
        _draw_band(ax, band, top - upper - 0.22, colour, right_to_left)
    ax.text(
        WIDTH / 2,
        0.1,
        _model_caption(bool(band)),
        ha="center",
        va="bottom",
        fontsize=CAPTION_PT,
        color="#555",
        linespacing=1.3,
    )
    return fig


# --- heatmap of the study x factor matrix ----------------------------------------------------


def _top_factors(analysis: Analysis, limit: int) -> list[str]:
    """The supported factors in taxonomy order, only the `limit` supported by most studies if
    more."""
    coded = _studies_per_factor(analysis)
    kept = set(sorted(coded, key=lambda f: (-coded[f], f))[:limit])
    return [r.factor for r in analysis.dataset.factors if r.factor in kept]


@picture(
    "heatmap",
    caption="The study x factor frequency matrix (support codes; settings not counted)",
    after="categories",
)
def heatmap(analysis: Analysis, lang: str = "en") -> Figure:
    """The study x factor frequency matrix: factors (rows, by category) and studies (columns).

    Beyond MAX_COLUMNS studies the columns are years of publication (codes summed), and beyond
    MAX_ROWS factors only those supported by most studies are drawn, so labels stay readable.
    Cells count support only; a study coded for its setting only is an empty column.
    """
    import matplotlib
    from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex
    from matplotlib.figure import Figure

    if not _supported(analysis):
        return _nothing("frequency matrix")
    ds = analysis.dataset
    matrix: dict[str, dict[str, int]] = analysis.factor_matrix
    what = "study"
    if len(matrix) > MAX_COLUMNS:
        year_of = {c.study: str(c.year) for c in ds.codes}
        by_year: dict[str, Counter[str]] = {}
        for study, cells in matrix.items():
            by_year.setdefault(year_of[study], Counter()).update(cells)
        matrix, what = {y: dict(c) for y, c in by_year.items()}, "year of publication"
    studies = sorted(matrix)
    factors = _top_factors(analysis, MAX_ROWS)
    cell = min(0.125, (WIDTH - 3.8) / max(len(studies), 1))
    # rows at least a line of 6.5 pt text high (Persian script is taller than Latin)
    row_h = max(cell, 6.5 * LINE * (1.25 if lang == "fa" else 1.0))
    top_margin = 1.35  # study ids written upwards above the columns, and the title
    height = len(factors) * row_h + top_margin + 0.2
    fig = Figure(figsize=(WIDTH, height))
    left, bottom = 2.6 / WIDTH, 0.2 / height
    ax = fig.add_axes((left, bottom, len(studies) * cell / WIDTH, len(factors) * row_h / height))
    top = max((n for row in matrix.values() for n in row.values()), default=1)
    values = [[matrix[s].get(f, 0) for s in studies] for f in factors]
    cmap = ListedColormap(
        [
            "#ffffff",
            *[
                to_hex(matplotlib.colormaps["Blues"](0.35 + 0.6 * i / max(top, 1)))
                for i in range(1, top + 1)
            ],
        ]
    )
    ax.imshow(
        values,
        cmap=cmap,
        norm=BoundaryNorm([x - 0.5 for x in range(top + 2)], top + 1),
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(range(len(studies)), studies, rotation=90, fontsize=6, family=FONT)
    ax.xaxis.tick_top()
    ax.set_yticks(
        range(len(factors)),
        [_short(ds.label(f, lang), 48) for f in factors],
        fontsize=6.5,
        family=FONT,
    )
    ax.set_xticks([x - 0.5 for x in range(1, len(studies))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(factors))], minor=True)
    ax.grid(which="minor", color="#e6e6e6", lw=0.4)
    ax.tick_params(which="both", length=0)
    colour = colours(analysis)
    row = 0
    for category in ds.categories:
        n = sum(1 for f in factors if ds.factor_rows[f].category == category)
        if not n:
            continue
        ax.axhline(row - 0.5, color="#666", lw=0.8)
        ax.annotate(
            "",
            xy=(len(studies) - 0.3, row - 0.4),
            xytext=(len(studies) - 0.3, row + n - 0.6),
            arrowprops={"arrowstyle": "-", "color": colour[category], "lw": 3},
            annotation_clip=False,
        )
        ax.text(
            len(studies) + 0.3,
            row + n / 2 - 0.5,
            "\n".join(_fit(ds.category_label(category, lang), 15, n * row_h / (6 * LINE))),
            va="center",
            fontsize=6,
            color="#333",
            family=FONT,
        )
        row += n
    fig.text(
        0.5,
        1 - 0.1 / height,
        f"Support codes per {what} (columns) and factor (rows); darker = more"
        + (
            ""
            if len(factors) == len(_studies_per_factor(analysis))
            else f"; the {len(factors)} factors supported by most studies"
        ),
        ha="center",
        va="top",
        fontsize=8,
    )
    return fig


# --- the PRISMA 2020 flow diagram ------------------------------------------------------------


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, fc: str = "#ffffff") -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="square,pad=0", fc=fc, ec="#333", lw=0.9))
    ax.text(
        x + w / 2,
        y + h / 2,
        text,
        ha="center",
        va="center",
        fontsize=7.5,
        family=FONT,
        linespacing=1.35,
    )


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=9,
            lw=0.9,
            color="#333",
            shrinkA=0,
            shrinkB=0,
        )
    )


def _reasons(counts: dict[str, int]) -> str:
    return "\n".join(f"{reason.replace('-', ' ')}: {n}" for reason, n in counts.items())


@picture("flow", caption="Screening flow (PRISMA 2020)", after="flow")
def flow(analysis: Analysis, lang: str = "en") -> Figure:
    """The screening flow as a PRISMA 2020 diagram (identification, screening, included)."""
    from matplotlib.patches import FancyBboxPatch

    f = analysis.flow
    fig, ax = _figure(6.2)
    lx, lw, rx, rw, h = 1.0, 3.0, 4.6, 3.1, 0.75
    rows = {"identified": 5.1, "screened": 3.7, "assessed": 2.3, "included": 0.7}
    identified = f"Records identified\n(n = {f.identified})"
    if f.awaiting:
        identified += f"\nawaiting screening: {f.awaiting}"
    _box(ax, lx, rows["identified"], lw, h, identified)
    _box(ax, lx, rows["screened"], lw, h, f"Records screened\n(n = {f.screened})")
    _box(ax, lx, rows["assessed"], lw, h, f"Reports assessed for eligibility\n(n = {f.assessed})")
    for row, heading, reasons in (
        ("screened", "Records excluded", f.excluded_at_screening),
        ("assessed", "Reports excluded", f.excluded_at_fulltext),
    ):
        text = f"{heading} (n = {sum(reasons.values())})\n{_reasons(reasons)}".strip()
        # as tall as its lines need (one per reason), centred on the row it leaves from
        tall = max(h, (text.count("\n") + 1) * 7.5 * LINE * 1.35 + 0.25)
        _box(ax, rx, rows[row] + h / 2 - tall / 2, rw, tall, text)
    _box(
        ax,
        lx,
        rows["included"],
        lw,
        h,
        f"Studies included in the synthesis\n(n = {f.included})",
        fc="#eef6ee",
    )
    cx = lx + lw / 2
    for upper, lower in (
        ("identified", "screened"),
        ("screened", "assessed"),
        ("assessed", "included"),
    ):
        _arrow(ax, (cx, rows[upper]), (cx, rows[lower] + h))
    for row in ("screened", "assessed"):
        _arrow(ax, (lx + lw, rows[row] + h / 2), (rx, rows[row] + h / 2))
    for label, y0, y1 in (
        ("Identification", 5.0, 6.0),
        ("Screening", 2.2, 4.6),
        ("Included", 0.6, 1.6),
    ):
        ax.add_patch(
            FancyBboxPatch(
                (0.25, y0),
                0.4,
                y1 - y0,
                boxstyle="round,pad=0.02",
                fc="#dce8f5",
                ec="#7a9cc6",
                lw=0.8,
            )
        )
        ax.text(
            0.45,
            (y0 + y1) / 2,
            label,
            rotation=90,
            ha="center",
            va="center",
            fontsize=8,
            fontweight="bold",
            family=FONT,
        )
    ax.text(
        WIDTH / 2,
        0.2,
        "After the PRISMA 2020 flow diagram; exclusion reasons as recorded "
        "in the screening decisions",
        ha="center",
        fontsize=6.5,
        color="#555",
    )
    return fig


# --- the co-occurrence network ---------------------------------------------------------------


@picture(
    "cooccurrence",
    caption="Factor co-occurrence: factors supported by the same study",
    after="cooccurrence",
)
def cooccurrence(analysis: Analysis, lang: str = "en") -> Figure:
    """Factors supported by the same study, on a circle grouped by category; lines join factors
    supported together (wider = more shared studies), dots are sized by the supporting studies."""
    from matplotlib.patches import FancyArrowPatch, Patch

    if not analysis.pairs:
        return _nothing("co-occurring factors")
    ds = analysis.dataset
    studies = _studies_per_factor(analysis)
    linked = {p.first for p in analysis.pairs} | {p.second for p in analysis.pairs}
    kept = set(sorted(linked, key=lambda f: (-studies[f], f))[:NETWORK])
    pairs = [p for p in analysis.pairs if p.first in kept and p.second in kept]
    nodes = {p.first for p in pairs} | {p.second for p in pairs}
    order = [r.factor for r in ds.factors if r.factor in nodes]
    colour = colours(analysis)
    categories = [c for c in ds.categories if any(ds.factor_rows[f].category == c for f in order)]
    legend_rows = math.ceil(len(categories) / 2)
    height = 7.75 + legend_rows * 0.17
    fig, ax = _figure(height)
    radius, cx, cy = 1.8, WIDTH / 2, height - 4.0
    # angles: one slot per factor plus a gap between categories, so groups read apart
    slots: list[str | None] = []
    previous: str | None = None
    for factor in order:
        category = ds.factor_rows[factor].category
        if previous is not None and category != previous:
            slots.append(None)
        slots.append(factor)
        previous = category
    slots.append(None)
    step = 2 * math.pi / max(len(slots), 1)
    position = {}
    for i, slot in enumerate(slots):
        if slot is None:
            continue
        angle = math.pi / 2 - i * step
        position[slot] = (angle, cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    strongest = max((p.count for p in pairs), default=1)
    most = max((studies[f] for f in nodes), default=1)  # dots stay inside their label's gap
    for pair in pairs:
        _, x1, y1 = position[pair.first]
        _, x2, y2 = position[pair.second]
        ax.add_patch(
            FancyArrowPatch(
                (x1, y1),
                (x2, y2),
                arrowstyle="-",
                connectionstyle="arc3,rad=0.18",
                color="#5b6f8a",
                alpha=0.55,
                lw=0.8 + 2.2 * (pair.count - 1) / max(strongest - 1, 1),
            )
        )
    for factor, (angle, x, y) in position.items():
        ax.scatter(
            [x],
            [y],
            s=18 + 160 * studies[factor] / most,
            color=colour[ds.factor_rows[factor].category],
            edgecolor="#333",
            linewidth=0.5,
            zorder=3,
        )
        degrees = math.degrees(angle) % 360
        flip = 90 < degrees < 270
        lx, ly = cx + (radius + 0.14) * math.cos(angle), cy + (radius + 0.14) * math.sin(angle)
        label = _short(ds.label(factor, lang), 30)
        ax.text(
            lx,
            ly,
            f"{label} ({studies[factor]})",
            rotation=degrees + 180 if flip else degrees,
            rotation_mode="anchor",
            ha="right" if flip else "left",
            va="center",
            fontsize=6.3,
            family=FONT,
        )
    handles = [Patch(color=colour[c], label=ds.category_label(c, lang)) for c in categories]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncols=2,
        fontsize=6.5,
        frameon=False,
        prop={"family": FONT, "size": 6.5},
        bbox_to_anchor=(0.5, 0.02),
    )
    ax.text(
        WIDTH / 2,
        height - 0.2,
        f"Factors supported by the same study, (n) = supporting studies; {len(pairs)} pairs"
        + (
            ""
            if len(pairs) == len(analysis.pairs)
            else f" among the {NETWORK} most supported factors"
        ),
        ha="center",
        va="top",
        fontsize=8,
        family=FONT,
    )
    return fig


# --- evidence over time ----------------------------------------------------------------------


@picture(
    "timeline",
    caption="Evidence over time (support codes; settings not counted)",
    after="timeline",
)
def timeline(analysis: Analysis, lang: str = "en") -> Figure:
    """Support codes per publication year stacked by category, with the included studies of each
    year (settings, codes whose direction is context, are not counted)."""
    from matplotlib.figure import Figure

    if not analysis.years:
        return _nothing("evidence over time")
    ds = analysis.dataset
    years = analysis.years
    categories = [c for c in ds.categories if any(c in y.category_codes for y in years)]
    legend_rows = math.ceil(len(categories) / 2)
    height = 4.2 + legend_rows * 0.18
    fig = Figure(figsize=(WIDTH, height))
    ax = fig.add_axes((0.08, (0.55 + legend_rows * 0.18) / height, 0.9, 3.2 / height))
    colour = colours(analysis)
    span = range(years[0].year, years[-1].year + 1) if years else range(0)
    bottoms = dict.fromkeys(span, 0)
    for category in categories:
        heights = [
            next((y.category_codes.get(category, 0) for y in years if y.year == x), 0) for x in span
        ]
        ax.bar(
            list(span),
            heights,
            bottom=[bottoms[x] for x in span],
            color=colour[category],
            width=0.75,
            label=ds.category_label(category, lang),
            edgecolor="white",
            lw=0.3,
        )
        for x, value in zip(span, heights, strict=True):
            bottoms[x] += value
    for y in years:
        ax.text(
            y.year,
            bottoms[y.year] + 0.3,
            f"{y.studies}",
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="#333",
        )
    ax.set_xticks(list(span), [str(x) for x in span], rotation=90, fontsize=6.5)
    ax.set_ylabel("support codes", fontsize=7.5)
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_ylim(0, max(bottoms.values(), default=1) * 1.15 + 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        "Support codes per year of publication, by category "
        "(number above a bar = included studies; settings not counted)",
        fontsize=8,
    )
    fig.legend(
        loc="lower center",
        ncols=2,
        frameon=False,
        prop={"family": FONT, "size": 6.5},
        bbox_to_anchor=(0.5, 0.0),
    )
    return fig


def render(figure: Figure, fmt: str) -> bytes:
    """A figure as SVG or PNG bytes (PNG at 150 dpi: sharp on screen and on an A4 print)."""
    import matplotlib

    buffer = io.BytesIO()
    # SVG text as paths: the picture looks the same without the font on the reader's machine
    # a fixed salt makes the ids of clip paths the same from run to run: reproducible SVGs
    with matplotlib.rc_context({"svg.hashsalt": "rsme-kg"}):
        figure.savefig(
            buffer, format=fmt, dpi=150, metadata={"Date": None} if fmt == "svg" else None
        )
    links = _LINKS.get(figure)
    if fmt == "svg" and links is not None:
        return _named_links(buffer.getvalue(), links)
    return buffer.getvalue()


def _named_links(svg: bytes, links: _Links) -> bytes:
    """The SVG with one link per thing linked, each with a name, opening where it is clicked.

    The name is a <title> inside the link; matplotlib's target="_blank" goes (a link of a
    picture in a page opens where it is, as the page's other links do). Edited as XML, never
    as text.
    """
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))  # keep the label comments
    root = ET.fromstring(svg, parser=parser)
    href = f"{{{XLINK}}}href"
    for element in list(root.iter()):
        if "d" in element.attrib:  # path data on one line: ElementTree writes a newline as &#10;
            element.set("d", " ".join(element.attrib["d"].split()))
        _join_links(element)
    for link in root.iter(f"{{{SVG}}}a"):
        link.attrib.pop("target", None)
        title = ET.Element(f"{{{SVG}}}title")
        title.text = links.names.get(link.get(href, ""), "")
        if links.lang == "fa":
            link.set("lang", "fa")
            link.set("direction", "rtl")
        link.insert(0, title)
    # the prolog (XML declaration, DOCTYPE) as matplotlib wrote it
    prolog = svg[: svg.index(b"<svg")]
    return prolog + svg_text(root).encode("utf-8")


def _join_links(parent: ET.Element) -> None:
    """One link of successive links to the same place among the children of `parent`.

    matplotlib writes a link per text (<g id="text_7"><a xlink:href="…">glyphs</a></g>), so a
    label wrapped over two lines is two links: they become one (one stop for the Tab key, one
    name for a screen reader)."""
    href = f"{{{XLINK}}}href"
    previous: ET.Element | None = None
    for group in list(parent):
        link = group[0] if len(group) == 1 and group[0].tag == f"{{{SVG}}}a" else None
        if link is not None and previous is not None and previous.get(href) == link.get(href):
            previous.extend(list(link))
            parent.remove(group)
        else:
            previous = link


def draw(analysis: Analysis, name: str, fmt: str, lang: str = "en") -> bytes:
    """One named picture as SVG or PNG bytes."""
    return render(lookup(name).draw(analysis, lang), fmt)


def write_all(analysis: Analysis, folder: Path, lang: str = "en") -> list[Path]:
    """Every picture as SVG and PNG in `folder` (each written to a temporary name, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in pictures():
        figure = entry.draw(analysis, lang)
        for fmt in ("svg", "png"):
            target = folder / f"{entry.name}.{fmt}"
            partial = target.with_suffix(f".{fmt}.partial")
            partial.write_bytes(render(figure, fmt))
            os.replace(partial, target)
            written.append(target)
    return written
