"""The integrated model counts support only and shows the settings apart, in a band under it.

The small corpus of tests/test_analysis_settings.py, worked by hand there: boxes rural (2),
net (3), strat (1); arrows k1 2, k2 3, k3 1; the band k1 (3): rural 3, peri 1; k2 (1): coop 1.
"""

from __future__ import annotations

from collections import Counter

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.transforms import Bbox

from kg.analysis import figures
from kg.analysis.dataset import CodeRow, Dataset, FactorRow, StudyRow
from kg.analysis.report import Analysis, analyse
from tests.test_analysis_settings import dataset
from tests.test_figures import _overlaps, _texts

NBSP = "\u00a0"


def _patches(figure: Figure) -> dict[str, Bbox]:
    """The drawn box of every patch with an id: the category boxes and the settings band."""
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    return {
        p.get_gid(): p.get_window_extent(renderer)
        for p in figure.findobj(FancyBboxPatch)
        if p.get_gid()
    }


def _inside(inner: Bbox, outer: Bbox, slack: float = 1.0) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y0 >= outer.y0 - slack
        and inner.y1 <= outer.y1 + slack
    )


def _check_layout(figure: Figure) -> tuple[list[tuple[str, Bbox]], Bbox]:
    """No text overlaps another or leaves the page; the band lies under every box, apart from
    them; every text is either inside the band, above it (the model) or under it (the caption).
    Returns the texts inside the band and the band's box."""
    texts = _texts(figure)
    assert _overlaps(texts) == []
    page = figure.bbox
    assert [t for t, box in texts if not _inside(box, page)] == []
    patches = _patches(figure)
    band = patches.pop("settings-band")
    assert patches, "no category box"
    assert all(box.y0 > band.y1 for box in patches.values())  # boxes above, not touching
    inside = [(t, b) for t, b in texts if _inside(b, band)]
    crossing = [t for t, b in texts if b.overlaps(band) and not _inside(b, band)]
    assert crossing == []
    (caption,) = [t for t, b in texts if b.y1 < band.y0]
    assert "counted only in the band" in caption
    return inside, band


@pytest.fixture(scope="module")
def small() -> Analysis:
    return analyse(dataset())


def test_boxes_and_arrows_count_support_and_the_band_counts_settings(small: Analysis) -> None:
    figure = figures.model(small)
    band_texts, band = _check_layout(figure)
    above = [t for t, b in _texts(figure) if b.y0 > band.y1]
    # box lines: supported factors only, with their supporting studies (peri and coop: none)
    assert {t for t in above if NBSP in t} == {
        f"Rural{NBSP}(2)",
        f"Net{NBSP}(3)",
        f"Strat{NBSP}(1)",
    }
    # arrow numbers: studies supporting k1 (s4, s5), k2 (s1, s2, s4), k3 (s1)
    assert sorted(t for t in above if t.isdigit()) == ["1", "2", "3"]
    assert [t for t, _ in band_texts] == [
        "Settings studied: (n) = included studies whose setting it is; not counted as support",
        f"Rural context{NBSP}(3)",
        f"Rural{NBSP}(3){NBSP}· Peri{NBSP}(1)",
        f"Networks{NBSP}(1)",
        f"Coop{NBSP}(1)",
    ]


def test_arrow_widths_follow_support(small: Analysis) -> None:
    """Width = 0.6 + 3.4 * studies / most: k2 (3 studies) the widest, k3 (1) the thinnest."""
    from matplotlib.patches import FancyArrowPatch

    widths = sorted(p.get_linewidth() for p in figures.model(small).findobj(FancyArrowPatch))
    assert widths == pytest.approx([0.6 + 3.4 / 3, 0.6 + 3.4 * 2 / 3, 4.0])


def test_persian_band_is_right_to_left_and_legible(small: Analysis) -> None:
    figure = figures.model(small, "fa")
    band_texts, band = _check_layout(figure)
    labels = {t: b for t, b in band_texts}
    title, rural = f"بافت روستایی{NBSP}(3)", f"روستایی{NBSP}(3){NBSP}· Peri{NBSP}(1)"
    assert title in labels and rural in labels
    # right to left: the category column is at the band's right edge, its factors to the left
    category, factors = labels[title], labels[rural]
    assert category.x0 > (band.x0 + band.x1) / 2 and factors.x1 < category.x0


def test_other_pictures_count_support(small: Analysis) -> None:
    heat = figures.heatmap(small)
    (ax,) = heat.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Rural", "Net", "Strat"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s1", "s2", "s3", "s4", "s5"]
    circle = [t for t, _ in _texts(figures.cooccurrence(small))]
    assert {"Net (3)", "Rural (2)", "Strat (1)"} <= set(circle)
    assert not any(t.startswith(("Peri", "Coop")) for t in circle)


def test_without_settings_there_is_no_band() -> None:
    rows = [("s1", "net", "driver"), ("s2", "net", ""), ("s2", "strat", "driver")]
    figure = figures.model(analyse(dataset(rows)))
    assert "settings-band" not in _patches(figure)
    texts = [t for t, _ in _texts(figure)]
    assert not any(t.startswith("Settings studied") for t in texts)
    assert any("no code names a setting" in t for t in texts)


def test_settings_only_draws_the_band_and_says_why_there_are_no_boxes() -> None:
    figure = figures.model(
        analyse(dataset([("s1", "rural", "context"), ("s3", "peri", "context")]))
    )
    texts = [t for t, _ in _texts(figure)]
    assert any(t.startswith("No factor of the taxonomy is supported yet") for t in texts)
    assert f"Rural context{NBSP}(2)" in texts and "settings-band" in _patches(figure)
    assert _overlaps(_texts(figure)) == []


def large_with_settings() -> Analysis:
    """120 studies, 120 factors in 6 categories: three support codes a study and two settings,
    spread over every factor, so each category has more settings than the band lists."""
    factors = [
        FactorRow(f"f{i:03}", f"Factor {i}", f"عامل {i}", f"k{i % 6}", f"Category {i % 6}", "")
        for i in range(120)
    ]
    codes, studies = [], []
    for s in range(120):
        year = 2000 + s % 25
        studies.append(StudyRow(f"s{s:03}", year, "included", "", "title"))
        support = {s % 120, (s * 7) % 120, (s * 11 + 3) % 60}
        setting = {(s * 5 + 1) % 120, (s * 13 + 2) % 120} - support
        for f in sorted(support | setting):
            codes.append(
                CodeRow(f"c{s}-{f}", f"s{s:03}", year, f"f{f:03}", f"k{f % 6}", "x", f in setting)
            )
    return analyse(Dataset(codes, studies, [], factors))


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_a_large_synthesis_keeps_the_band_legible(lang: str) -> None:
    analysis = large_with_settings()
    per_category = Counter(f"k{int(f[1:]) % 6}" for f in analysis.settings.factors)
    assert len(per_category) == 6 and min(per_category.values()) > figures.PER_BOX
    figure = figures.model(analysis, lang)
    band_texts, _ = _check_layout(figure)
    cut = [t for t, _ in band_texts if f"…{NBSP}and{NBSP}" in t]
    assert len(cut) == 6  # one "… and N more" per category
    assert figure.get_size_inches()[1] < 20  # still a page or two, not a scroll


def test_model_with_a_band_is_reproducible(small: Analysis) -> None:
    for lang in ("en", "fa"):
        assert figures.draw(small, "model", "svg", lang) == figures.draw(
            small, "model", "svg", lang
        )
