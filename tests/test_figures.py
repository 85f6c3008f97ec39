"""The pictures: drawn from the corpus, A4 width, no overlapping labels, Persian shaped."""

from __future__ import annotations

import csv
import io
import itertools
import math
import warnings
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from kg import paths
from kg.analysis import figures
from kg.analysis.dataset import fetch
from kg.analysis.report import Analysis, analyse
from kg.store.embedded import EmbeddedStore


@pytest.fixture(scope="module")
def analysis(store: EmbeddedStore) -> Analysis:
    return analyse(fetch(store))


def _texts(figure: Figure) -> list[tuple[str, Bbox]]:
    """Every visible, non-empty text of a figure (tick labels included) with its drawn box."""
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    found = []
    for artist in figure.findobj(Text):
        if artist.get_visible() and artist.get_text().strip():
            found.append((artist.get_text(), artist.get_window_extent(renderer)))
    return found


def _overlaps(texts: list[tuple[str, Bbox]], slack: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than `slack` pixels both ways."""
    clashes = []
    for (a, box_a), (b, box_b) in itertools.combinations(texts, 2):
        dx = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        dy = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if dx > slack and dy > slack:
            clashes.append((a, b))
    return clashes


@pytest.mark.parametrize("name", ["model", "heatmap", "flow", "timeline"])
@pytest.mark.parametrize("lang", ["en", "fa"])
def test_labels_do_not_overlap_and_stay_on_the_page(
    analysis: Analysis, name: str, lang: str
) -> None:
    figure = figures.lookup(name).draw(analysis, lang)
    width = figure.get_size_inches()[0]
    assert width == pytest.approx(figures.WIDTH) and width <= 8.27  # A4 width
    texts = _texts(figure)
    assert len(texts) >= 8
    assert _overlaps(texts) == []
    page = figure.bbox
    outside = [
        t
        for t, box in texts
        if box.x0 < page.x0 - 1
        or box.x1 > page.x1 + 1
        or box.y0 < page.y0 - 1
        or box.y1 > page.y1 + 1
    ]
    assert outside == []


def test_cooccurrence_labels_are_spaced_around_the_circle(analysis: Analysis) -> None:
    """Radial labels never overlap when neighbouring anchors are a text height apart or more."""
    figure = figures.cooccurrence(analysis)
    labels = [t for t in figure.findobj(Text) if t.get_rotation_mode() == "anchor" and t.get_text()]
    nodes = {p.first for p in analysis.pairs} | {p.second for p in analysis.pairs}
    assert len(nodes) <= figures.NETWORK and len(labels) == len(nodes) > 2
    anchors = [t.get_position() for t in labels]
    nearest = min(math.dist(p, q) for p, q in itertools.combinations(anchors, 2))
    text_height = max(t.get_fontsize() for t in labels) / 72  # inches (axes measure inches)
    assert nearest > text_height


def test_persian_labels_are_shaped_with_every_glyph(analysis: Analysis) -> None:
    """No glyph is missing (matplotlib warns), and letters join: the word is narrower than
    its letters drawn apart, as it only is when the text is shaped."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" fails the test
        figure = figures.model(analysis, "fa")
        texts = [t for t, _ in _texts(figure)]
    assert "سرمایه انسانی" in texts  # the category label, from the taxonomy
    probe = Figure()
    FigureCanvasAgg(probe)
    renderer = probe.canvas.get_renderer()  # type: ignore[attr-defined]

    def width(text: str) -> float:
        return (
            probe.text(0, 0, text, family=figures.FONT, fontsize=20)
            .get_window_extent(renderer)
            .width
        )

    word = "سرمایه"
    assert width(word) < 0.9 * sum(width(letter) for letter in word)


def test_svg_and_png_are_real_pictures(analysis: Analysis) -> None:
    for name in figures.names():
        png = figures.draw(analysis, name, "png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        png_width = int.from_bytes(png[16:20], "big")
        assert png_width == int(figures.WIDTH * 150)  # 150 dpi, A4 width
        svg = figures.draw(analysis, name, "svg")
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("width") == f"{figures.WIDTH * 72:g}pt"


def _from_csv() -> tuple[Counter[str], Counter[str]]:
    """Per factor, the included studies that support it and those whose setting it is (every
    code of the factor in the study a context code), counted from data/ itself."""
    with (paths.DATA_DIR / "screening.csv").open(encoding="utf-8") as handle:
        included = {r["study"] for r in csv.DictReader(handle) if r["decision"] == "included"}
    directions: dict[tuple[str, str], set[str]] = defaultdict(set)
    with (paths.DATA_DIR / "codes.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["study"] in included:
                directions[r["study"], r["factor"]].add(r["direction"])
    support = Counter(f for (_, f), ds in directions.items() if ds != {"context"})
    settings = Counter(f for (_, f), ds in directions.items() if ds == {"context"})
    return support, settings


def test_model_shows_support_in_the_boxes_and_settings_in_the_band(analysis: Analysis) -> None:
    """Every factor with support is listed in its box with its supporting studies; every factor
    that is some study's setting is listed in the band with those studies; none is both where
    it is not both."""
    figure = figures.model(analysis)
    texts = _texts(figure)
    band = next(p for p in figure.findobj(FancyBboxPatch) if p.get_gid() == "settings-band")
    FigureCanvasAgg(figure)
    top = band.get_window_extent(figure.canvas.get_renderer()).y1  # type: ignore[attr-defined]
    boxes = " ".join(t for t, b in texts if b.y0 > top)
    under = " ".join(t for t, b in texts if b.y1 <= top)
    support, settings = _from_csv()
    assert support and settings
    label = analysis.dataset.label
    for factor, n in support.items():  # a label longer than a line wraps: its first word
        item = f"{label(factor)}\u00a0({n})"
        assert (item if len(item) <= 46 else label(factor).split()[0]) in boxes, factor
    for factor, n in settings.items():
        assert f"{label(factor)} ({n})".replace(" ", "\u00a0") in under, factor
    for factor in set(settings) - set(support):
        assert f"{label(factor)}\u00a0(" not in boxes, factor


def test_pictures_of_an_empty_dataset_still_draw() -> None:
    from kg.analysis.dataset import Dataset

    empty = analyse(Dataset([], [], [], []))
    for name in figures.names():
        assert figures.draw(empty, name, "png").startswith(b"\x89PNG")
    assert io.BytesIO(figures.draw(empty, "flow", "svg")).read(5) in (b"<?xml", b"<svg ")


def test_a_large_synthesis_stays_legible() -> None:
    """120 studies over 25 years and 120 factors: the heatmap turns to years and keeps the 80
    factors coded in most studies, the model lists 10 factors a box, the circle 44 factors."""
    from kg.analysis.dataset import CodeRow, Dataset, FactorRow, StudyRow

    factors = [
        FactorRow(f"f{i:03}", f"Factor {i}", "", f"k{i % 6}", f"Category {i % 6}", "")
        for i in range(120)
    ]
    codes, studies = [], []
    for s in range(120):
        year = 2000 + s % 25
        studies.append(StudyRow(f"s{s:03}", year, "included", "", "title"))
        for f in {s % 120, (s * 7) % 120, (s * 11 + 3) % 60}:  # popular factors below 60
            codes.append(
                CodeRow(f"c{s}-{f}", f"s{s:03}", year, f"f{f:03}", f"k{f % 6}", "x", False)
            )
    analysis = analyse(Dataset(codes, studies, [], factors))
    heat = figures.heatmap(analysis)
    (ax,) = heat.axes
    assert len(ax.get_xticklabels()) == 25 and ax.get_xticklabels()[0].get_text() == "2000"
    assert len(ax.get_yticklabels()) == figures.MAX_ROWS
    assert _overlaps(_texts(heat)) == []
    model_texts = [t for t, _ in _texts(figures.model(analysis))]
    assert sum(t.startswith("… and") for t in model_texts) == 6
    circle = figures.cooccurrence(analysis)
    labels = [t for t in circle.findobj(Text) if t.get_rotation_mode() == "anchor" and t.get_text()]
    assert len(labels) == figures.NETWORK


def test_one_study_keeps_category_labels_apart() -> None:
    """One study with a factor in each of three categories: one row each, so each category
    label gets one line (a long one is cut with an ellipsis) instead of running into the next."""
    from kg.analysis.dataset import CodeRow, Dataset, FactorRow

    names = {
        "k1": "Entrepreneurial and international orientation",
        "k2": "Family ownership and governance",
        "k3": "Rural context and embeddedness",
    }
    factors = [FactorRow(f"f{i}", f"Factor {i}", "", k, names[k], "") for i, k in enumerate(names)]
    codes = [CodeRow(f"c{i}", "s1", 2019, f"f{i}", k, "x", False) for i, k in enumerate(names)]
    for lang in ("en", "fa"):
        heat = figures.heatmap(analyse(Dataset(codes, [], [], factors)), lang)
        assert _overlaps(_texts(heat)) == [], lang


def test_big_dots_stay_clear_of_their_labels() -> None:
    """A factor coded in 40 studies: its dot's radius is smaller than the gap to its label."""
    from kg.analysis.dataset import CodeRow, Dataset, FactorRow

    factors = [FactorRow(f"f{i}", f"Factor {i}", "", "k", "K", "") for i in range(3)]
    codes = [CodeRow(f"a{s}", f"s{s}", 2020, "f0", "k", "x", False) for s in range(40)]
    codes += [CodeRow(f"b{s}", f"s{s}", 2020, f"f{1 + s % 2}", "k", "x", False) for s in range(4)]
    figure = figures.cooccurrence(analyse(Dataset(codes, [], [], factors)))
    sizes = [c.get_sizes()[0] for c in figure.axes[0].collections if len(c.get_sizes())]
    assert len(sizes) == 3  # one dot per factor
    gap_points = 0.14 * 72  # labels start 0.14 in outside the circle
    assert max(sizes) ** 0.5 / 2 < gap_points


def test_pictures_are_reproducible(analysis: Analysis) -> None:
    for name in figures.names():
        assert figures.draw(analysis, name, "svg") == figures.draw(analysis, name, "svg"), name


# --- the links of the integrated model ---------------------------------------------------------

SVG_NS, XLINK_NS = "{http://www.w3.org/2000/svg}", "{http://www.w3.org/1999/xlink}"


def _links(svg: bytes) -> list[tuple[str, str, ET.Element]]:
    """(href, name, element) of every link of an SVG, in document order."""
    root = ET.fromstring(svg)
    found = []
    for link in root.iter(f"{SVG_NS}a"):
        title = link.find(f"{SVG_NS}title")
        name = "" if title is None else title.text or ""
        found.append((str(link.get(f"{XLINK_NS}href")), name, link))
    return found


def test_the_model_in_a_file_links_to_the_w3id_iris(analysis: Analysis, tmp_path: Path) -> None:
    """As the CLI writes it (report, figures): every category drawn and every factor listed
    links to its IRI, once, named with its label and the studies that support it."""
    figures.write_all(analysis, tmp_path)
    links = _links((tmp_path / "model.svg").read_bytes())
    ds = analysis.dataset
    support = Counter(f for row in analysis.factor_matrix.values() for f, n in row.items() if n)
    per_category = Counter(
        c for row in analysis.category_matrix.values() for c, n in row.items() if n
    )
    assert max(Counter(ds.factor_rows[f].category for f in support).values()) <= figures.PER_BOX
    expected = {
        f"https://w3id.org/rsme-kg/id/factor/{f}": (ds.label(f), n) for f, n in support.items()
    }
    expected |= {
        f"https://w3id.org/rsme-kg/id/category/{c}": (ds.category_label(c), n)
        for c, n in per_category.items()
    }
    assert len(links) == len(expected) == len({h for h, _, _ in links})
    for href, name, element in links:
        label, n = expected[href]
        assert name == f"{label}: {n} {'study' if n == 1 else 'studies'}", href
        assert element.get("target") is None  # opens where it is clicked
    # the PNG is the same drawing, without links: as wide as before, as high as the SVG
    png = (tmp_path / "model.png").read_bytes()
    height_pt = float(ET.fromstring((tmp_path / "model.svg").read_bytes()).get("height", "")[:-2])
    assert int.from_bytes(png[16:20], "big") == int(figures.WIDTH * 150)
    assert int.from_bytes(png[20:24], "big") == round(height_pt / 72 * 150)
    bare = figures.model(analysis)
    for text in bare.findobj(Text):
        text.set_url(None)
    assert figures.render(bare, "png") == png


def test_the_model_links_where_it_is_told(analysis: Analysis) -> None:
    def href(kind: str, id: str) -> str:
        return f"/explore/{kind}/{id}?from=model"

    svg = figures.render(figures.model(analysis, "fa", href), "svg")
    links = _links(svg)
    assert links and all(
        h.startswith("/explore/") and h.endswith("?from=model") for h, _, _ in links
    )
    assert all(link.get("lang") == "fa" for _, _, link in links)
    assert "/explore/category/human-capital?from=model" in {h for h, _, _ in links}


def test_a_wrapped_label_is_one_link_and_a_full_box_leads_to_its_category() -> None:
    """A label over two lines is one link (one stop for the Tab key); a category with more
    factors than a box lists links its "… and N more" line to its own page."""
    from kg.analysis.dataset import CodeRow, Dataset, FactorRow

    long = "A factor whose label is far too long to stand on one line of its box"
    factors = [FactorRow("f0", long, "", "k", "Category", "")]
    factors += [FactorRow(f"f{i}", f"Factor {i}", "", "k", "Category", "") for i in range(1, 13)]
    codes = [CodeRow(f"c{i}", "s1", 2020, f"f{i}", "k", "x", False) for i in range(13)]
    codes.append(CodeRow("c-more", "s2", 2021, "f0", "k", "x", False))  # f0 listed first
    svg = figures.draw(analyse(Dataset(codes, [], [], factors)), "model", "svg")
    links = _links(svg)
    iri = "https://w3id.org/rsme-kg/id/"
    wrapped = [link for href, _, link in links if href == f"{iri}factor/f0"]
    assert len(wrapped) == 1
    assert len(wrapped[0].findall(f"{SVG_NS}g")) == 2  # both lines of the label
    assert [name for href, name, _ in links if href == f"{iri}factor/f0"] == [f"{long}: 2 studies"]
    assert len([h for h, _, _ in links if h.startswith(f"{iri}factor/")]) == figures.PER_BOX
    category = [name for href, name, _ in links if href == f"{iri}category/k"]
    assert category == ["Category: 2 studies"] * 2  # its title and the line of the others


def test_the_palette_is_matplotlibs_tab20() -> None:
    """The category colours are written out (no colour map is loaded to know them): they are
    matplotlib's "tab20", in its order."""
    import matplotlib
    from matplotlib.colors import to_hex

    assert [to_hex(matplotlib.colormaps["tab20"](i)) for i in range(20)] == figures.PALETTE


@pytest.mark.parametrize("name", figures.names())
def test_one_drawing_gives_both_formats_as_two_drawings_do(analysis: Analysis, name: str) -> None:
    """The server draws a picture once for its SVG and its PNG (api.services.analysis.draw_ahead,
    as write_all does): the bytes are those of a picture drawn for each format."""
    figure = figures.lookup(name).draw(analysis, "en")
    together = {fmt: figures.render(figure, fmt) for fmt in ("svg", "png")}
    apart = {fmt: figures.draw(analysis, name, fmt) for fmt in ("svg", "png")}
    assert together == apart
