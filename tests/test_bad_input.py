"""Every kind of bad input gets a located error, the right exit code, and dist/ untouched."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import tree_digest
from tests.corpus import line_of

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


def unclosed_quote(data: Path) -> None:
    path = data / "codes.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[YOUSEFI_LINE - 1] = lines[YOUSEFI_LINE - 1].rstrip("\n") + '"see below\n'
    path.write_text("".join(lines), encoding="utf-8")


def rename_column(data: Path) -> None:
    path = data / "studies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",doi,", ",DOI,", 1), encoding="utf-8")


def repeat_column(data: Path) -> None:
    path = data / "studies.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",venue,", ",title,", 1), encoding="utf-8")


def short_row(data: Path) -> None:
    path = data / "studies.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = next(csv.reader([lines[LI_LINE - 1]]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields[:11])
    lines[LI_LINE - 1] = buffer.getvalue()
    path.write_text("".join(lines), encoding="utf-8")


def drop_codes_of_zarei(data: Path) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        rows[:] = [r for r in rows if r["study"] != "zarei-2020"]

    rewrite(data / "codes.csv", change)


def code_an_excluded_study(data: Path) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        copy = dict(row(rows, id="zarei-2020-1"))
        copy.update(
            id="isenberg-2010-1",
            study="isenberg-2010",
            quote="entrepreneurial revolution",
            factor="entrepreneurial-activity",
            start="",
            end="",
        )
        rows.append(copy)

    rewrite(data / "codes.csv", change)


# Line numbers are those of the rows in data/ (header = line 1); checked in the test below.
LI_LINE = 30  # li-2018 in studies.csv
CODE_LINE = 11  # assadinia-2019-3 (psychic distance) in codes.csv
YOUSEFI_LINE = line_of("codes.csv", "yousefi-2019-1")

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
        [f"studies.csv, line {LI_LINE}, column 4, field 'year'", "study:li-2018", "1900"],
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
    # found in review: each of these used to pass silently
    "unclosed quote swallows rows": (
        unclosed_quote,
        2,
        [f"codes.csv, line {YOUSEFI_LINE}", "malformed"],
    ),
    "renamed column": (
        rename_column,
        2,
        [
            "studies.csv, line 1, column 10, field 'DOI'",
            "unknown column 'DOI'",
            "Did you mean 'doi'?",
        ],
    ),
    "repeated column": (
        repeat_column,
        2,
        ["studies.csv, line 1", "the column 'title' appears twice"],
    ),
    "short row": (
        short_row,
        2,
        [f"studies.csv, line {LI_LINE}", "the row has 11 fields but the header has 21"],
    ),
    "included study without a code": (
        drop_codes_of_zarei,
        2,
        [
            "screening.csv, line 49, column 2, field 'decision'",
            "'zarei-2020' is included but has no code",
        ],
    ),
    "excluded study with a code": (
        code_an_excluded_study,
        2,
        [
            "screening.csv, line 24, column 2, field 'decision'",
            "'isenberg-2010' is excluded but has codes",
        ],
    ),
    "offsets that do not select the quote": (
        set_field("codes.csv", "start", "0", id="assadinia-2019-3"),
        1,
        [f"codes.csv, line {CODE_LINE}, column 8, field 'start'", "psychic distance"],
    ),
    "quote not in its title": (
        set_field("codes.csv", "quote", "psychological distance", id="assadinia-2019-3"),
        1,
        [
            f"codes.csv, line {CODE_LINE}, column 7, field 'quote'",
            "code:assadinia-2019-3",
            "psychological distance",
        ],
    ),
    "study with no authors": (
        set_field("studies.csv", "authors", "", id="li-2018"),
        1,
        [
            f"studies.csv, line {LI_LINE}, column 3, field 'authors'",
            "study:li-2018",
            "dcterms:creator",
        ],
    ),
}


def test_line_numbers_of_the_cases_are_right() -> None:
    """The fixed line numbers above point at the rows the cases break."""
    from tests.conftest import DATA

    studies = (DATA / "studies.csv").read_text(encoding="utf-8").splitlines()
    codes = (DATA / "codes.csv").read_text(encoding="utf-8").splitlines()
    assert studies[LI_LINE - 1].startswith("li-2018,")
    assert codes[CODE_LINE - 1].startswith("assadinia-2019-3,")
    assert codes[YOUSEFI_LINE - 1].startswith("yousefi-2019-1,")
    screening = (DATA / "screening.csv").read_text(encoding="utf-8").splitlines()
    assert screening[48].startswith("zarei-2020,included") and screening[23].startswith("isenberg")
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


def test_bom_and_crlf_files_are_read(data_copy: Path) -> None:
    """Excel writes a byte-order mark and CRLF line ends; both are fine."""
    for path in data_copy.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    result = runner.invoke(app, ["validate", "--data", str(data_copy), "--no-reason"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("where", ["data", "notes", "cwd"])
def test_build_refuses_to_replace_a_folder_that_is_not_a_build(
    where: str, data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `--out .` replaced the working folder, data and all."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    out = {"data": data_copy, "notes": tmp_path, "cwd": Path(".")}[where]
    before = tree_digest(tmp_path)
    result = runner.invoke(
        app, ["build", "--data", str(data_copy), "--out", str(out), "--no-reason"]
    )
    assert result.exit_code == 2, result.output
    assert "replace" in result.output
    assert tree_digest(tmp_path) == before
