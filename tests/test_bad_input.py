"""Every kind of bad input gets a located error, the right exit code, and dist/ untouched.

The cases break a scratch copy of the fixture corpus (tests/data/corpus, rows of data/), so
each build that SHACL must refuse takes seconds; the lines they name are found in it.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import tree_digest
from tests.corpus import FIXTURE, fixture, line_of, rows

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
        copy = dict(row(rows, id=STUDY))
        rows.append(copy)

    rewrite(data / "studies.csv", change)


def drop_column(data: Path) -> None:
    path = data / "studies.csv"
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    rewrite(path, lambda rows: None, [h for h in header if h != "title"])


def not_utf8(data: Path) -> None:
    """An author's name with a Latin-1 è (byte 0xE8), as a non-UTF-8 editor saves it."""
    path = data / "studies.csv"
    text = path.read_text(encoding="utf-8")
    assert LATIN1_NAME in text
    text = text.replace(LATIN1_NAME, LATIN1_NAME.replace("e", "\udce8", 1), 1)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def empty_codes(data: Path) -> None:
    (data / "codes.csv").write_bytes(b"")


def unclosed_quote(data: Path) -> None:
    path = data / "codes.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[UNCLOSED_LINE - 1] = lines[UNCLOSED_LINE - 1].rstrip("\n") + '"see below\n'
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
    fields = next(csv.reader([lines[STUDY_LINE - 1]]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields[:11])
    lines[STUDY_LINE - 1] = buffer.getvalue()
    path.write_text("".join(lines), encoding="utf-8")


def drop_codes_of_an_included_study(data: Path) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        rows[:] = [r for r in rows if r["study"] != UNCODED]

    rewrite(data / "codes.csv", change)


def code_an_excluded_study(data: Path) -> None:
    def change(rows: list[dict[str, str]]) -> None:
        copy = dict(row(rows, id=f"{UNCODED}-1"))
        copy.update(
            id=f"{EXCLUDED}-1",
            study=EXCLUDED,
            quote="Quality Assessment",
            factor="entrepreneurial-activity",
            start="",
            end="",
        )
        rows.append(copy)

    rewrite(data / "codes.csv", change)


# The rows the cases break, and their lines in the fixture corpus (header = line 1).
STUDY = "alayo-2019"  # its row of studies.csv
STUDY_LINE = line_of("studies.csv", STUDY, FIXTURE)
LATIN1_NAME = "Iturralde"  # an author of STUDY, to be saved with a Latin-1 byte
CODE = "assadinia-2019-3"  # psychic distance, a title code with offsets
CODE_LINE = line_of("codes.csv", CODE, FIXTURE)
UNCLOSED_LINE = line_of("codes.csv", "yousefi-2019-1", FIXTURE)
QUOTED = "akbari-2019-1"  # a title code given a quote its title lacks
QUOTED_LINE = line_of("codes.csv", QUOTED, FIXTURE)
AUTHORLESS = "ruzzier-2007"  # a study whose authors are removed
AUTHORLESS_LINE = line_of("studies.csv", AUTHORLESS, FIXTURE)
UNCODED = "yousefi-2019"  # an included study whose codes are dropped
UNCODED_LINE = line_of("screening.csv", UNCODED, FIXTURE)
EXCLUDED = "akbari-2018"  # an excluded study given a code
EXCLUDED_LINE = line_of("screening.csv", EXCLUDED, FIXTURE)
STUDIES_LINES = len((FIXTURE / "studies.csv").read_text(encoding="utf-8").splitlines())
COLUMNS = len(rows("studies.csv", FIXTURE)[0])  # the header's columns

CASES: dict[str, tuple[Callable[[Path], None], int, list[str]]] = {
    "unknown factor id": (
        set_field("codes.csv", "factor", "psychic-distanse", id=CODE),
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
            f"studies.csv, line {STUDIES_LINES + 1}, column 1, field 'id'",
            f"duplicate study id '{STUDY}'",
            f"line {STUDY_LINE}",
        ],
    ),
    "code points to a missing study": (
        set_field("codes.csv", "study", "nobody-2020", id=CODE),
        2,
        [f"codes.csv, line {CODE_LINE}, column 2, field 'study'", "unknown study 'nobody-2020'"],
    ),
    "year not a number": (
        set_field("studies.csv", "year", "20l8", id=STUDY),
        2,
        [
            f"studies.csv, line {STUDY_LINE}, column 4, field 'year'",
            "'20l8' is not valid",
            "four-digit year",
        ],
    ),
    "year out of range": (
        set_field("studies.csv", "year", "1850", id=STUDY),
        1,
        [f"studies.csv, line {STUDY_LINE}, column 4, field 'year'", f"study:{STUDY}", "1900"],
    ),
    "malformed DOI": (
        set_field("studies.csv", "doi", "10.1016/", id=STUDY),
        2,
        [f"studies.csv, line {STUDY_LINE}, column 10, field 'doi'", "DOI"],
    ),
    "missing required column": (
        drop_column,
        2,
        ["studies.csv, line 1, field 'title'", "missing required column: title"],
    ),
    "file not UTF-8": (
        not_utf8,
        2,
        [f"studies.csv, line {STUDY_LINE}", "not UTF-8", "0xE8", "CSV UTF-8"],
    ),
    "empty file": (empty_codes, 2, ["codes.csv, line 1", "the file is empty"]),
    # found in review: each of these used to pass silently
    "unclosed quote swallows rows": (
        unclosed_quote,
        2,
        [f"codes.csv, line {UNCLOSED_LINE}", "malformed"],
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
        [
            f"studies.csv, line {STUDY_LINE}",
            f"the row has 11 fields but the header has {COLUMNS}",
        ],
    ),
    "included study without a code": (
        drop_codes_of_an_included_study,
        2,
        [
            f"screening.csv, line {UNCODED_LINE}, column 2, field 'decision'",
            f"'{UNCODED}' is included but has no code",
        ],
    ),
    "excluded study with a code": (
        code_an_excluded_study,
        2,
        [
            f"screening.csv, line {EXCLUDED_LINE}, column 2, field 'decision'",
            f"'{EXCLUDED}' is excluded but has codes",
        ],
    ),
    "offsets that do not select the quote": (
        set_field("codes.csv", "start", "0", id=CODE),
        1,
        [f"codes.csv, line {CODE_LINE}, column 8, field 'start'", "psychic distance"],
    ),
    "quote not in its title": (
        set_field("codes.csv", "quote", "psychological distance", id=QUOTED),
        1,
        [
            f"codes.csv, line {QUOTED_LINE}, column 7, field 'quote'",
            f"code:{QUOTED}",
            "psychological distance",
        ],
    ),
    "study with no authors": (
        set_field("studies.csv", "authors", "", id=AUTHORLESS),
        1,
        [
            f"studies.csv, line {AUTHORLESS_LINE}, column 3, field 'authors'",
            f"study:{AUTHORLESS}",
            "dcterms:creator",
        ],
    ),
}
# Input errors stop the build while the tables are read; the rest only SHACL finds, and
# each of those breaks a row or field of its own, so that one build can show them all.
UNREADABLE = [case for case, (_, code, _) in CASES.items() if code == 2]
NONCONFORMING = [case for case, (_, code, _) in CASES.items() if code == 1]


def test_the_cases_break_rows_of_the_fixture_as_they_say() -> None:
    """The rows the cases break are in the fixture corpus, as the kind of row each needs."""
    studies = (FIXTURE / "studies.csv").read_text(encoding="utf-8").splitlines()
    codes = (FIXTURE / "codes.csv").read_text(encoding="utf-8").splitlines()
    assert studies[STUDY_LINE - 1].startswith(f"{STUDY},") and len(studies) == STUDIES_LINES
    assert LATIN1_NAME in studies[STUDY_LINE - 1] and "e" in LATIN1_NAME
    assert (
        codes[CODE_LINE - 1].startswith(f"{CODE},") and ",psychic distance," in codes[CODE_LINE - 1]
    )
    assert codes[UNCLOSED_LINE - 1].startswith("yousefi-2019-1,")
    assert codes[QUOTED_LINE - 1].startswith(f"{QUOTED},") and QUOTED_LINE != CODE_LINE
    assert studies[AUTHORLESS_LINE - 1].startswith(f"{AUTHORLESS},")
    assert len({STUDY_LINE, AUTHORLESS_LINE}) == 2
    small = fixture()
    assert UNCODED in small.included and EXCLUDED in small.excluded
    assert f"{UNCODED}-1" in {c["id"] for c in small.codes}
    assert "Quality Assessment" in small.studies[EXCLUDED]["title"]
    assert COLUMNS > 11 and small.studies[STUDY]["authors"] and not small.studies[STUDY]["doi"]


@pytest.fixture(scope="module")
def previous_dist(
    small_built: tuple[Path, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of a good build, the 'previous dist/' every failed build must leave alone."""
    target = tmp_path_factory.mktemp("previous") / "dist"
    shutil.copytree(small_built[0], target)
    return target


@pytest.mark.parametrize("case", UNREADABLE, ids=UNREADABLE)
def test_bad_input(case: str, small_data: Path, previous_dist: Path) -> None:
    mutate, exit_code, expected = CASES[case]
    mutate(small_data)
    before = tree_digest(previous_dist)
    result = runner.invoke(
        app, ["build", "--data", str(small_data), "--out", str(previous_dist), "--no-reason"]
    )
    output = result.output
    assert result.exit_code == exit_code, output
    for text in expected:
        assert text in output, f"{text!r} not in:\n{output}"
    assert tree_digest(previous_dist) == before, "a failed build changed the previous dist/"


@pytest.fixture(scope="module")
def nonconforming(
    previous_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, list[str], bool, str]:
    """One build of the fixture corpus with every break that only SHACL finds: its exit code,
    the results it printed (one block each), whether the previous dist/ was left alone, and
    the validation report it wrote beside it."""
    data = tmp_path_factory.mktemp("nonconforming") / "data"
    shutil.copytree(FIXTURE, data)
    for case in NONCONFORMING:
        CASES[case][0](data)
    before = tree_digest(previous_dist)
    result = runner.invoke(
        app, ["build", "--data", str(data), "--out", str(previous_dist), "--no-reason"]
    )
    blocks = re.split(r"\n(?=\S)", result.output)  # a result and its indented details
    report = previous_dist.parent / "dist-validation-report.ttl"
    written = report.read_text(encoding="utf-8") if report.is_file() else ""
    return result.exit_code, blocks, tree_digest(previous_dist) == before, written


@pytest.mark.parametrize("case", NONCONFORMING, ids=NONCONFORMING)
def test_nonconforming_input(case: str, nonconforming: tuple[int, list[str], bool, str]) -> None:
    """Each break is one located result of the shared build (its texts all in that result)."""
    _, exit_code, expected = CASES[case]
    code, blocks, untouched, report = nonconforming
    output = "\n".join(blocks)
    assert code == exit_code, output
    assert any(all(text in block for text in expected) for block in blocks), (
        f"no result has all of {expected!r}:\n{output}"
    )
    assert untouched, "a failed build changed the previous dist/"
    assert "sh:ValidationResult" in report


def test_all_errors_of_a_file_are_reported_at_once(small_data: Path, tmp_path: Path) -> None:
    set_field("studies.csv", "year", "20l8", id=STUDY)(small_data)
    set_field("studies.csv", "doi", "doi-less", id="ruzzier-2007")(small_data)
    result = runner.invoke(app, ["validate", "--data", str(small_data), "--no-reason"])
    assert result.exit_code == 2
    assert "2 problem(s)" in result.output
    assert "field 'year'" in result.output and "field 'doi'" in result.output


def test_missing_data_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "nope"), "--no-reason"])
    assert result.exit_code == 2
    assert "no such data folder" in result.output


# Files with a byte-order mark and CRLF line ends (as Excel writes them) are read: see
# test_cli.py::test_validate_reads_excel_files_and_writes_nothing (one validation for both).


@pytest.mark.parametrize("where", ["data", "notes", "cwd"])
def test_build_refuses_to_replace_a_folder_that_is_not_a_build(
    where: str, small_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `--out .` replaced the working folder, data and all."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    out = {"data": small_data, "notes": tmp_path, "cwd": Path(".")}[where]
    before = tree_digest(tmp_path)
    result = runner.invoke(
        app, ["build", "--data", str(small_data), "--out", str(out), "--no-reason"]
    )
    assert result.exit_code == 2, result.output
    assert "replace" in result.output
    assert tree_digest(tmp_path) == before
