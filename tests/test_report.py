"""`rsme-kg report` and the /analysis routes: the same numbers on every path.

Besides the real corpus (one coder, no appraisals), a copy of the fixture corpus
(tests/data/corpus, rows of data/) gets a second coder, who coded three studies again from
their titles, and CASP appraisals of two studies, so that agreement and appraisal are checked
end to end against numbers worked by hand. The rules about the folder a report goes to are
checked with reports of the fixture corpus: they do not depend on the data.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kg import paths, pipeline
from kg.analysis.agreement import band
from kg.analysis.dataset import fetch
from kg.analysis.matrix import to_csv
from kg.analysis.report import analyse, cooccurrence_json, flow_json, settings_json, weights_json
from kg.cli import app
from kg.store.embedded import EmbeddedStore
from tests.apiclient import Api, ApiClient
from tests.conftest import DATA, tree_digest
from tests.corpus import FIXTURE

runner = CliRunner()
Built = tuple[Path, dict[str, object]]

# coder-b's codes: (study, factor, quote as it stands in the title)
SECOND_CODER = [
    ("akbari-2019", "environmental-hostility", "Global Environment Hostility"),
    ("akbari-2019", "industry-characteristics", "Halal Food Industry"),
    ("alayo-2019", "entrepreneurial-orientation", "entrepreneurial orientation"),
    ("alayo-2019", "family-character", "family character"),
    ("alayo-2019", "family-ownership", "family SMEs"),
    ("assadinia-2019", "learning-orientation", "learning orientation"),
    ("assadinia-2019", "psychic-distance", "psychic distance"),
    ("assadinia-2019", "export-capabilities", "export"),
]
SHARED = sorted({study for study, _, _ in SECOND_CODER})


def expected_kappa(data: Path, codebook: int) -> tuple[float, int]:
    """Cohen's kappa of the editors and coder-b over the shared studies x the codebook, and
    the number of items, worked from the CSV (the editors' codes are being curated).

    With the corpus of this writing: 3 studies x 51 factors = 153 items; the editors coded 9
    factors there (two of them as context: industry characteristics, family ownership), coder-b
    8; both 7, editors only 2, coder-b only 1 (export capabilities), neither 143: p_o = 150/153,
    p_e = (9*8 + 144*145)/153^2, kappa = 1998/2457 = 0.813187, almost perfect. Context codes
    count: agreement measures the coding, not support.
    """
    rows = list(csv.DictReader((data / "codes.csv").open(encoding="utf-8")))
    editors = {(r["study"], r["factor"]) for r in rows if r["coder"] == "rsme-kg-editors"}
    editors = {pair for pair in editors if pair[0] in SHARED}
    second = {(study, factor) for study, factor, _ in SECOND_CODER}
    items = len(SHARED) * codebook
    both = len(editors & second)
    observed = (items - len(editors ^ second)) / items
    p1, p2 = len(editors) / items, len(second) / items
    expected = p1 * p2 + (1 - p1) * (1 - p2)
    assert both > 0
    return (observed - expected) / (1 - expected), items


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writerows([{k: row.get(k, "") for k in header} for row in rows])


@pytest.fixture(scope="module")
def two_coders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the fixture corpus with a second coder and two appraisals (no reasoner: not
    its test)."""
    data = tmp_path_factory.mktemp("two-coders") / "data"
    shutil.copytree(FIXTURE, data)
    _append(data / "coders.csv", [{"id": "coder-b", "name": "Coder B", "kind": "person"}])
    titles = {r["id"]: r["title"] for r in csv.DictReader((data / "studies.csv").open())}
    codes = []
    for n, (study, factor, quote) in enumerate(SECOND_CODER, start=1):
        start = titles[study].index(quote)
        codes.append(
            {
                "id": f"{study}-b{n}",
                "study": study,
                "factor": factor,
                "basis": "title",
                "quote": quote,
                "start": str(start),
                "end": str(start + len(quote)),
                "coder": "coder-b",
            }
        )
    _append(data / "codes.csv", codes)
    answers = []
    for study, appraiser, pattern in (
        ("assadinia-2019", "coder-b", "yyyyyyyy?n"),  # 8 yes
        ("alayo-2019", "rsme-kg-editors", "yyyyyynnnn"),  # 6 yes
    ):
        value = {"y": "yes", "?": "cant-tell", "n": "no"}
        answers += [
            {"study": study, "appraiser": appraiser, "criterion": str(i), "answer": value[a]}
            for i, a in enumerate(pattern, start=1)
        ]
    _append(data / "appraisals.csv", answers)
    out = data.parent / "dist"
    pipeline.build(data, out, run_reasoner=False)
    return out / paths.STORE_SUBDIR


@pytest.fixture(scope="module")
def two_coder_server(two_coders: Path) -> Iterator[ApiClient]:
    """The facade over the two coders' build, in this process."""
    with ApiClient(store=two_coders) as app:
        yield app


def test_report_html_is_self_contained(built: Built, tmp_path: Path) -> None:
    store = built[0] / paths.STORE_SUBDIR
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    ds = fetch(EmbeddedStore.open(store))
    analysis = analyse(ds)
    # the terminal shows the key tables, the categories with their settings beside the support
    assert "records identified" in result.output
    assert f"│ {analysis.flow.identified} " in result.output
    assert "single coder" in result.output
    assert "settings" in result.output and "studies whose setting" in result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert ds.build == built[1]["build_id"] and f"Build {ds.build} of " in page
    # one file to share: pictures inline, nothing loaded from elsewhere
    assert page.count("<svg") == 5
    assert not any(tag in page for tag in ("<img", "<link", "<script", "<iframe"))
    for name in ("model", "heatmap", "flow", "cooccurrence", "timeline"):
        assert (out / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        ET.parse(out / "figures" / f"{name}.svg")
    matrix = (out / "tables" / "matrix-factor.csv").read_text(encoding="utf-8")
    assert matrix == to_csv(analysis.factor_matrix, analysis.factor_order())
    stored = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    assert stored["weights"] == json.loads(json.dumps(weights_json(analysis)))
    assert stored["settings"] == json.loads(json.dumps(settings_json(analysis)))
    included = {
        r["study"]
        for r in csv.DictReader((DATA / "screening.csv").open(encoding="utf-8"))
        if r["decision"] == "included"
    }
    assert stored["flow"]["included"] == len(included)
    # the caption of the model says what its numbers count and where the settings are
    assert "Boxes and arrows count support only" in page and "in the band under the model" in page
    settings = list(csv.DictReader((out / "tables" / "settings.csv").open(encoding="utf-8")))
    assert [int(r["studies"]) for r in settings] == [
        f["studies"] for f in stored["settings"]["factors"]
    ]


def test_report_refuses_a_folder_that_is_not_a_report(small_store: Path, tmp_path: Path) -> None:
    store = small_store
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("do not delete", encoding="utf-8")
    before = tree_digest(precious)
    result = runner.invoke(app, ["report", "--store", str(store), "--out", str(precious)])
    assert result.exit_code == 2
    assert "not part of an rsme-kg report" in result.output and str(precious) in result.output
    assert tree_digest(precious) == before


@pytest.fixture(scope="module")
def small_report(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One HTML report of the fixture corpus, written as `rsme-kg report` writes it under a
    umask of 022; the tests of the folder rules copy it as 'an earlier report' (drawing one
    takes seconds)."""
    folder = tmp_path_factory.mktemp("small-report")
    out = folder / "report"
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["report", "--store", str(small_store), "--out", str(out)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left
    return out


@pytest.fixture(scope="module")
def small_markdown(
    small_store: Path, small_report: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, int, str]:
    """A copy of `small_report` replaced by the Markdown report in Persian: the folder, the exit
    code and the output of `rsme-kg report` (one report for the two tests below)."""
    folder = tmp_path_factory.mktemp("small-markdown")
    out = shutil.copytree(small_report, folder / "again")
    assert (out / "report.html").is_file()
    args = ["report", "--store", str(small_store), "--out", str(out)]
    args += ["--format", "md", "--lang", "fa"]
    result = runner.invoke(app, args)
    return out, result.exit_code, result.output


def test_report_replaces_an_earlier_report(small_markdown: tuple[Path, int, str]) -> None:
    out, code, output = small_markdown
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json",
        "figures",
        "report.md",
        "tables",
    ]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_report_markdown_links_its_pictures(
    small_markdown: tuple[Path, int, str], small_store: Path
) -> None:
    out, code, output = small_markdown
    assert code == 0, output
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# rsme-kg: analysis of the meta-synthesis")
    for name in ("model", "heatmap", "flow", "cooccurrence", "timeline"):
        assert f"](figures/{name}.png)" in text
    assert "| rank | id | factor | category | studies | codes | E | d | W |" in text
    analysis = analyse(fetch(EmbeddedStore.open(small_store)))
    tied = sum(1 for w in analysis.weights if w.rank == 1)
    assert tied > 1 and f"{tied} factors share rank 1" in text
    assert "## Settings studied (not counted as support)" in text
    assert "| category | factor | studies | study ids |" in text


def test_report_without_a_store_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--store", str(tmp_path / "none"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "rsme-kg build" in result.output
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def two_coder_report(
    two_coders: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    """The report of the two coders' build with a cut-off of 7: its folder and what it printed."""
    out = tmp_path_factory.mktemp("two-coder-report") / "r"
    args = ["report", "--store", str(two_coders), "--out", str(out), "--cutoff", "7"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_report_of_two_coders_and_appraisals(
    two_coders: Path, two_coder_report: tuple[Path, str]
) -> None:
    out, printed = two_coder_report
    analysis = analyse(fetch(EmbeddedStore.open(two_coders)))
    kappa, items = expected_kappa(two_coders.parent.parent / "data", len(analysis.dataset.factors))
    assert f"{kappa:.4f}" in printed
    stored = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    (pair,) = stored["kappa"]["pairs"]
    assert (pair["first"], pair["second"], pair["items"]) == ("coder-b", "rsme-kg-editors", items)
    assert pair["kappa"] == pytest.approx(kappa)
    per_factor = {f["factor"]: f for f in pair["factors"]}
    assert per_factor["psychic-distance"]["kappa"] == pytest.approx(1.0)
    # coded by the editors only, in 1 of the 3 studies: p_o 2/3, p_e 2/3, kappa 0
    assert per_factor["marketing-programme-planning"]["kappa"] == pytest.approx(0.0)
    assert per_factor["marketing-programme-planning"]["second_only"] == 1
    studies = {s["study"]: s for s in stored["appraisal"]["studies"]}
    assert studies["assadinia-2019"] == {"study": "assadinia-2019", "total": 8.0, "passes": True}
    assert studies["alayo-2019"]["passes"] is False
    # the matrix counts support, a finding both coders made once: the largest count of any one
    # coder per cell (coder-b's codes carry no direction, so they are support, also where the
    # editors coded the same factor as the study's setting)
    rows = list(csv.DictReader((two_coders.parent.parent / "data" / "codes.csv").open()))
    cells: dict[tuple[str, str], int] = {}
    for coder in {r["coder"] for r in rows}:
        mine = Counter((r["study"], r["factor"]) for r in rows if r["coder"] == coder)
        support = Counter(
            (r["study"], r["factor"])
            for r in rows
            if r["coder"] == coder and r["direction"] != "context"
        )
        for cell in mine:
            cells[cell] = max(cells.get(cell, 0), support[cell])
    included = {s.study for s in analysis.dataset.studies if s.decision == "included"}
    expected = sum(n for (study, _), n in cells.items() if study in included)
    assert sum(sum(r["counts"]) for r in stored["matrix"]["factor"]["rows"]) == expected


def test_api_serves_the_numbers_of_the_report(server: Api, store: EmbeddedStore) -> None:
    """Both backends (embedded and a real remote store) give what kg.analysis computes."""
    analysis = analyse(fetch(store))
    client = server
    weights = client.get("/analysis/weights").json()
    assert weights == json.loads(json.dumps(weights_json(analysis)))
    factors = {f["id"]: f for f in client.get("/factors").json()}
    weighted = {row["factor"]: row for row in weights["weights"]}
    for row in weights["weights"]:
        assert factors[row["factor"]]["weight"] == pytest.approx(row["weight"])
        assert factors[row["factor"]]["weight_rank"] == row["rank"]
    # one rule in both places: /factors' studies and settings are the weights' studies
    # and /analysis/settings' studies, and only a factor with support has a weight
    settings = client.get("/analysis/settings").json()
    assert settings == json.loads(json.dumps(settings_json(analysis)))
    settings_of = {f["factor"]: f["studies"] for f in settings["factors"]}
    for ident, factor in factors.items():
        assert factor["studies"] == weighted.get(ident, {}).get("studies", 0), ident
        assert factor["settings"] == settings_of.get(ident, 0), ident
        assert (factor["weight"] is None) == (factor["studies"] == 0), ident
    setting_only = sorted(set(settings_of) - set(weighted))
    assert setting_only  # the corpus has factors that only name settings
    detail = client.get(f"/factors/{setting_only[0]}").json()
    assert (detail["weight_rank"], detail["settings"]) == (None, settings_of[setting_only[0]])
    ordered = client.get("/factors", params={"sort": "weight", "order": "asc"}).json()
    lowest = min(w.weight for w in analysis.weights)
    assert ordered[0]["weight"] == pytest.approx(lowest)
    assert ordered[-1]["weight"] is None

    flow = client.get("/analysis/flow").json()
    assert flow == json.loads(json.dumps(flow_json(analysis)))
    kappa = client.get("/analysis/kappa").json()
    assert kappa["pairs"] == [] and "single coder" in kappa["message"]
    csv_answer = client.get(
        "/analysis/matrix", params={"by": "category"}, headers={"Accept": "text/csv"}
    )
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text == to_csv(analysis.category_matrix, analysis.dataset.categories)
    as_json = client.get("/analysis/matrix", params={"by": "factor"}).json()
    assert len(as_json["rows"]) == len(analysis.factor_matrix) == flow["included"]
    assert [c["id"] for c in as_json["columns"]] == [
        f for f in analysis.factor_order() if f in weighted
    ]
    pairs = client.get("/analysis/cooccurrence").json()
    assert pairs == json.loads(json.dumps(cooccurrence_json(analysis)))
    shared = client.get("/analysis/cooccurrence", params={"min_studies": 2}).json()["pairs"]
    assert len(shared) == sum(1 for p in analysis.pairs if p.count >= 2)
    years = client.get("/analysis/timeline").json()["years"]
    assert sum(y["codes"] for y in years) == sum(
        sum(row.values()) for row in analysis.factor_matrix.values()
    )
    png = client.get("/analysis/model.png", params={"lang": "fa"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = client.get("/analysis/flow.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"
    missing = client.get("/analysis/pie.svg")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "model.svg" in missing.json()["suggestions"]
    assert client.get("/analysis/model.gif").status_code == 404
    bad = client.get("/analysis/matrix", params={"by": "author"})
    assert bad.status_code == 422
    refused = client.get("/analysis/matrix", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["offers"]


def test_api_kappa_and_appraisal_of_two_coders(two_coders: Path, two_coder_server: Api) -> None:
    client = two_coder_server
    kappa = client.get("/analysis/kappa").json()
    assert kappa["message"] is None
    (pair,) = kappa["pairs"]
    data = two_coders.parent.parent / "data"
    expected, _ = expected_kappa(data, len(client.get("/factors").json()))
    assert pair["kappa"] == pytest.approx(expected) and pair["band"] == band(expected)
    assert pair["studies"] == ["akbari-2019", "alayo-2019", "assadinia-2019"]
    names = {c["id"]: c["name"] for c in kappa["coders"]}
    assert names == {"coder-b": "Coder B", "rsme-kg-editors": "rsme-kg editors"}
    appraisal = client.get("/analysis/appraisal", params={"cutoff": 7}).json()
    assert appraisal["scale"] == "yes" and appraisal["cutoff"] == 7
    assert {s["study"]: s["passes"] for s in appraisal["studies"]} == {
        "alayo-2019": False,
        "assadinia-2019": True,
    }
    first = appraisal["criteria"][0]
    assert (first["yes"], first["cant_tell"], first["no"]) == (2, 0, 0)
    ninth = appraisal["criteria"][8]
    assert (ninth["yes"], ninth["cant_tell"], ninth["no"]) == (0, 1, 1)
    included = client.get("/analysis/flow").json()["included"]
    assert len(appraisal["unappraised"]) == included - 2
    no_cut = client.get("/analysis/appraisal").json()
    assert {s["passes"] for s in no_cut["studies"]} == {None}


def test_report_never_replaces_a_folder_with_more_than_a_report(
    small_store: Path, small_report: Path, tmp_path: Path
) -> None:
    """A folder that has a report file but also anything else is refused, untouched."""
    store = str(small_store)
    mixed = tmp_path / "mydocs"
    (mixed / "sub").mkdir(parents=True)
    (mixed / "report.md").write_text("notes", encoding="utf-8")
    (mixed / "chapter1.docx").write_text("x", encoding="utf-8")
    (mixed / "sub" / "important.csv").write_text("d", encoding="utf-8")
    before = tree_digest(mixed)
    result = runner.invoke(app, ["report", "--store", store, "--out", str(mixed)])
    assert result.exit_code == 2 and "chapter1.docx" in result.output and "sub" in result.output
    assert tree_digest(mixed) == before
    # a file added to an earlier report's figures is kept safe too
    earlier = shutil.copytree(small_report, tmp_path / "earlier")
    (earlier / "figures" / "my-sketch.png").write_bytes(b"mine")
    before = tree_digest(earlier)
    result = runner.invoke(app, ["report", "--store", store, "--out", str(earlier)])
    assert result.exit_code == 2 and "figures" in result.output
    assert tree_digest(earlier) == before


def test_report_refuses_the_current_folder(
    small_store: Path, small_report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(small_store)
    inside = shutil.copytree(small_report, tmp_path / "report")
    monkeypatch.chdir(inside / "figures")
    for out in (".", ".."):
        result = runner.invoke(app, ["report", "--store", store, "--out", out])
        assert result.exit_code == 2 and "current folder" in result.output, out
    assert (inside / "report.html").is_file()


def test_report_write_errors_are_usage_errors(small_store: Path, tmp_path: Path) -> None:
    store = str(small_store)
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["report", "--store", store, "--out", str(blocker / "sub")])
    assert result.exit_code == 2 and "cannot write" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_report_folder_is_readable_by_others(small_report: Path) -> None:
    """Written under a umask of 022 (see `small_report`), the folder is rwxr-xr-x."""
    import stat

    assert stat.S_IMODE(small_report.stat().st_mode) == 0o755


def test_report_refuses_a_cut_off_that_is_no_number(small_store: Path, tmp_path: Path) -> None:
    store = str(small_store)
    for value in ("nan", "inf", "-inf"):
        result = runner.invoke(
            app, ["report", "--store", store, "--out", str(tmp_path / value), "--cutoff", value]
        )
        assert result.exit_code == 2 and "finite number" in result.output, value
        assert not (tmp_path / value).exists()


def test_report_refuses_a_store_without_the_taxonomy(tmp_path: Path) -> None:
    """E.g. a remote store whose named graphs are not its default graph: no silent zeros."""
    import pyoxigraph as ox

    folder = tmp_path / "other"
    other = ox.Store(str(folder))
    other.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("c")))
    other.flush()
    del other
    result = runner.invoke(app, ["report", "--store", str(folder), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no factor taxonomy" in result.output
    assert not (tmp_path / "r").exists()


def test_report_tables_show_what_decides_a_pass(two_coder_report: tuple[Path, str]) -> None:
    """The per-study table carries the mean total that the cut-off is applied to."""
    out, _ = two_coder_report
    rows = list(csv.DictReader((out / "tables" / "appraisal.csv").open(encoding="utf-8")))
    assert rows == [
        {"study": "alayo-2019", "appraisers": "1", "total (mean)": "6.0", "passes": "no"},
        {"study": "assadinia-2019", "appraisers": "1", "total (mean)": "8.0", "passes": "yes"},
    ]
    answers = list(csv.DictReader((out / "tables" / "appraisal-answers.csv").open()))
    assert answers[1]["answered"] == "10" and answers[1]["can't tell"] == "1"
    kappa = (out / "tables" / "kappa.csv").read_text(encoding="utf-8").splitlines()[0]
    assert kappa.startswith("first coder,second coder,")
    weights = next(csv.DictReader((out / "tables" / "weights.csv").open(encoding="utf-8")))
    assert set(weights) >= {"rank", "id", "factor", "W"}


def test_api_and_cli_agree_to_the_letter(
    two_coders: Path, two_coder_server: Api, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    assert (
        runner.invoke(app, ["report", "--store", str(two_coders), "--out", str(out)]).exit_code == 0
    )
    stored = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    served = two_coder_server.get("/analysis").json()
    assert served == stored and stored["built_at"].endswith("Z")
    for value in ("nan", "inf"):
        reply = two_coder_server.get("/analysis/appraisal", params={"cutoff": value})
        assert reply.status_code == 422, value


def test_pictures_are_drawn_once_per_data() -> None:
    """The server keeps the last pictures by the digest of their rows (also for a remote store)."""
    from api.services.analysis import Pictures

    drawn: list[str] = []

    def drawer(name: str) -> Callable[[], bytes]:
        return lambda: drawn.append(name) or name.encode()

    cache = Pictures(size=2)
    assert cache.get(("d1", "model", "svg", "en"), drawer("a")) == b"a"
    assert cache.get(("d1", "model", "svg", "en"), drawer("b")) == b"a"  # not drawn again
    cache.get(("d2", "model", "svg", "en"), drawer("c"))  # new data: drawn
    cache.get(("d3", "model", "svg", "en"), drawer("d"))  # evicts the oldest
    cache.get(("d1", "model", "svg", "en"), drawer("e"))
    assert drawn == ["a", "c", "d", "e"]


def test_openapi_examples_of_the_analysis_are_real_answers(server: Api) -> None:
    """The examples of /docs are cut from real answers: each example row is in the answer
    (the build id aside), so an example that the data no longer gives fails here."""
    client = server
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    def example(name: str) -> dict[str, Any]:
        (found,) = schemas[name]["examples"]
        return dict(found)

    def served(path: str, **params: str) -> dict[str, Any]:
        return dict(client.get(path, params=params).json())

    weights, shown = served("/analysis/weights"), example("Weights")
    assert (shown["studies"], shown["note"]) == (weights["studies"], weights["note"])
    assert all(row in weights["weights"] for row in shown["weights"])
    matrix, shown = served("/analysis/matrix", by="category"), example("FrequencyMatrix")
    assert matrix["columns"][: len(shown["columns"])] == shown["columns"]
    assert shown["note"] == matrix["note"]
    rows = {r["study"]: r["counts"] for r in matrix["rows"]}
    for row in shown["rows"]:
        assert rows[row["study"]][: len(row["counts"])] == row["counts"]
    for path, name, key in (
        ("/analysis/cooccurrence", "Cooccurrence", "pairs"),
        ("/analysis/timeline", "Timeline", "years"),
    ):
        answer, shown = served(path), example(name)
        assert shown["note"] == answer["note"]
        assert all(item in answer[key] for item in shown[key]), name
    settings, shown = served("/analysis/settings"), example("Settings")
    for key in ("note", "studies", "unsupported"):
        assert shown[key] == settings[key], key
    for key in ("categories", "factors"):
        assert all(item in settings[key] for item in shown[key]), key
    flow = served("/analysis/flow")
    assert {**example("Flow"), "build": flow["build"]} == flow
