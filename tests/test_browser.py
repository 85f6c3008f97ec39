"""The web pages in a real browser: headless Chromium loads them from `rsme-kg serve` (`live`).

`.ci/run` installs Debian's chromium; without it these tests are skipped with a reason.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.apiserver import ApiServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
# the closed network of CI: no background connections, a fresh profile each time
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browse(url: str, profile: Path, *extra: str) -> str:
    """What Chromium made of a page: its DOM after loading (or its output for --screenshot)."""
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    return done.stdout


class Elements(HTMLParser):
    """Counts elements and collects links and headings of a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.count: dict[str, int] = {}
        self.links: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]
        self._in_heading = tag in ("h1", "h2")

    def handle_data(self, data: str) -> None:
        if self._in_heading and data.strip():
            self.headings.append(data.strip())
            self._in_heading = False


def test_the_analysis_page_shows_its_pictures(live: ApiServer, tmp_path: Path) -> None:
    dom = browse(f"{live.base}/analysis?lang=fa", tmp_path / "profile", "--dump-dom")
    page = Elements()
    page.feed(dom)
    assert page.count.get("figure") == 5 and page.count.get("svg", 0) >= 5
    assert "rsme-kg: analysis of the meta-synthesis" in page.headings
    assert "Shannon-entropy weights of the factors" in page.headings
    assert "/analysis/model.png?lang=fa" in page.links
    shot = tmp_path / "analysis.png"
    browse(
        f"{live.base}/analysis",
        tmp_path / "profile2",
        f"--screenshot={shot}",
        "--window-size=1000,1400",
    )
    with Image.open(shot) as image:
        assert image.size == (1000, 1400)
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # text and pictures, not a blank or an error page in one colour


def test_a_linked_data_page_leads_to_the_analysis(live: ApiServer, tmp_path: Path) -> None:
    dom = browse(f"{live.base}/id/factor/psychic-distance", tmp_path / "profile", "--dump-dom")
    page = Elements()
    page.feed(dom)
    assert "Psychic distance" in page.headings
    assert "/analysis" in page.links  # the header leads every page to the analysis
    assert "/id/factor/psychic-distance?view=evidence" in page.links
