"""Every kind of bad input gets a located error, the right exit code, and dist/ untouched."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import tree_digest

runner = CliRunner()


def rewrite(
    path: Path, change: Callable[[list[dict[str, str]]], None], fields: list[str] | None = None
) -> None:
    """Apply `change` to the rows of a CSV file and write it back."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    change(rows)
    fields = fields or header
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def row(rows: list[dict[str, str]], **match: str) -> dict[str, str]:
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


def set_field(file: str, field: str, value: str, **match: str) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        rewrite(data / file, lambda rows: row(rows, **match).__setitem__(field, value))

    return mutate


def duplicate_study(data: Path) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        copy = dict(row(rows, id="li-2018"))
        rows.append(copy)

    rewrite(data / "studies.csv", change)


def drop_column(data: Path) -> None:
    path = data / "studies.csv"
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    rewrite(path, lambda rows: None, [h for h in header if h != "title"])


def not_utf8(data: Path) -> None:
    path = data / "studies.csv"
    text = path.read_text(encoding="utf-8").replace("Grèzes-bürcher", "Gr\udce8zes", 1)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def empty_codes(data: Path) -> None:
    (data / "codes.csv").write_bytes(b"")


# Line numbers are those of the rows in data/ (header = line 1); checked in the test below.
LI_LINE = 30  # li-2018 in studies.csv
CODE_LINE = 11  # assadinia-2019-3 (psychic distance) in codes.csv

CASES: dict[str, tuple[Callable[[Path], None], int, list[str]]] = {
    "unknown factor id": (
        set_field("codes.csv", "factor", "psychic-distanse", id="assadinia-2019-3"),
        2,
        [
            f"codes.csv, line {CODE_LINE}, column 3, field 'factor'",
            "unknown factor",
            "Did you mean psychic-distance",
        ],
    ),
    "duplicate study id": (
        duplicate_study,
        2,
        [
            "studies.csv, line 50, column 1, field 'id'",
            "duplicate study id 'li-2018'",
            f"line {LI_LINE}",
        ],
    ),
    "code points to a missing study": (
        set_field("codes.csv", "study", "nobody-2020", id="assadinia-2019-3"),
        2,
        [f"codes.csv, line {CODE_LINE}, column 2, field 'study'", "unknown study 'nobody-2020'"],
    ),
    "year not a number": (
        set_field("studies.csv", "year", "20l8", id="li-2018"),
        2,
        [
            f"studies.csv, line {LI_LINE}, column 4, field 'year'",
            "'20l8' is not valid",
            "four-digit year",
        ],
    ),
    "year out of range": (
        set_field("studies.csv", "year", "1850", id="li-2018"),
        1,
        [f"studies.csv:{LI_LINE}", "study:li-2018", "1900"],
    ),
    "malformed DOI": (
        set_field("studies.csv", "doi", "10.1016/", id="li-2018"),
        2,
        [f"studies.csv, line {LI_LINE}, column 10, field 'doi'", "DOI"],
    ),
    "missing required column": (
        drop_column,
        2,
        ["studies.csv, line 1, field 'title'", "missing required column: title"],
    ),
    "file not UTF-8": (
        not_utf8,
        2,
        ["studies.csv, line 22", "not UTF-8", "0xE8", "CSV UTF-8"],
    ),
    "empty file": (empty_codes, 2, ["codes.csv, line 1", "the file is empty"]),
    "quote not in its title": (
        set_field("codes.csv", "quote", "psychological distance", id="assadinia-2019-3"),
        1,
        [f"codes.csv:{CODE_LINE}", "code:assadinia-2019-3", "psychological distance"],
    ),
    "study with no authors": (
        set_field("studies.csv", "authors", "", id="li-2018"),
        1,
        [f"studies.csv:{LI_LINE}", "study:li-2018", "dcterms:creator"],
    ),
}


def test_line_numbers_of_the_cases_are_right() -> None:
    """The fixed line numbers above point at the rows the cases break."""
    from tests.conftest import DATA

    studies = (DATA / "studies.csv").read_text(encoding="utf-8").splitlines()
    codes = (DATA / "codes.csv").read_text(encoding="utf-8").splitlines()
    assert studies[LI_LINE - 1].startswith("li-2018,")
    assert codes[CODE_LINE - 1].startswith("assadinia-2019-3,")
    assert "Grèzes" in studies[21]


@pytest.fixture(scope="module")
def previous_dist(
    built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of a good build, the 'previous dist/' every failed build must leave alone."""
    target = tmp_path_factory.mktemp("previous") / "dist"
    shutil.copytree(built[0], target)
    return target


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input(case: str, data_copy: Path, previous_dist: Path) -> None:
    mutate, exit_code, expected = CASES[case]
    mutate(data_copy)
    before = tree_digest(previous_dist)
    result = runner.invoke(
        app, ["build", "--data", str(data_copy), "--out", str(previous_dist), "--no-reason"]
    )
    output = result.output
    assert result.exit_code == exit_code, output
    for text in expected:
        assert text in output, f"{text!r} not in:\n{output}"
    assert tree_digest(previous_dist) == before, "a failed build changed the previous dist/"
    if exit_code == 1:
        report = previous_dist.parent / "dist-validation-report.ttl"
        assert report.is_file() and "sh:ValidationResult" in report.read_text(encoding="utf-8")


def test_all_errors_of_a_file_are_reported_at_once(data_copy: Path, tmp_path: Path) -> None:
    set_field("studies.csv", "year", "20l8", id="li-2018")(data_copy)
    set_field("studies.csv", "doi", "doi-less", id="ruzzier-2007")(data_copy)
    result = runner.invoke(app, ["validate", "--data", str(data_copy), "--no-reason"])
    assert result.exit_code == 2
    assert "2 problem(s)" in result.output
    assert "field 'year'" in result.output and "field 'doi'" in result.output


def test_missing_data_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "nope"), "--no-reason"])
    assert result.exit_code == 2
    assert "no such data folder" in result.output
