"""`rsme-kg import bibtex|ris`: add or complete studies; never overwrite without --update."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.ingest.corpus import read_corpus
from tests.conftest import tree_digest
from tests.importing import refused, run

BIBTEX = r"""% exported from a reference manager
@article{li2018,
  author  = {Li, Peng},
  title   = {Top management team characteristics and firm internationalization:
             The moderating role of the size of middle managers},
  journal = {International Business Journal},
  year    = {2018}, volume = {27}, number = {1}, pages = {125--138},
  doi     = {10.1016/J.IBUSREV.2017.05.011}
}

@article{eschker,
  author  = {Eschker, Erick and Gold, Gregg and Lane, Michael D.},
  title   = {Rural entrepreneurs -- What are the Best Indicators of their Success},
  year    = 2017,
  doi     = {https://doi.org/10.1234/TEST.ESCHKER}
}

@article{grezes2021,
  author   = {Gr{\`e}zes-B{\"u}rcher, Sylvie and van der Merwe, Jan-Pieter},
  title    = {Rural {SMEs} Abroad},
  journal  = {Journal of Rural Studies},
  year     = {2021}, volume = {80}, pages = {1--20},
  doi      = {doi:10.1234/RURAL.2021},
  language = {english}
}

@incollection{rezaei1400,
  author    = {رضایی, علی and Karimi, Sara},
  title     = {صادرات کسب‌وکارهای روستایی},
  booktitle = {مجموعه مقالات توسعه روستایی},
  year      = {2021},
  langid    = {persian}
}
"""

RIS = """TY  - JOUR
AU  - Ruzzier, Mitja
AU  - Hisrich, Robert D.
AU  - Konecnik, Maja
TI  - Human capital and SME internationalization: a structural equation modeling study
T2  - Canadian Journal of Administrative Sciences
PY  - 2007///
VL  - 24
IS  - 1
SP  - 15
EP  - 29
DO  - 10.1002/cjas.3
LA  - English
ER  -

TY  - JOUR
AU  - Karimi, Sara
AU  - Rezaei, Ali
TI  - Export networks of rural cooperatives
JO  - Journal of Rural Research
PY  - 2022
SP  - 101
EP  - 117
LA  - Persian
ER  -
"""


def studies(data: Path) -> dict[str, dict[str, str]]:
    with (data / "studies.csv").open(encoding="utf-8", newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def imports(data: Path, folder: Path, name: str, text: str) -> str:
    """`import bibtex|ris` of `text` (by the file name's extension): it succeeds; its output."""
    kind = "bibtex" if name.endswith(".bib") else "ris"
    code, out = run("import", kind, str(write(folder, name, text)), "--into", str(data))
    assert code == 0, out
    return out


def test_bibtex_adds_new_studies_and_completes_known_ones(data_copy: Path, tmp_path: Path) -> None:
    before = studies(data_copy)
    code, out = run(
        "import", "bibtex", str(write(tmp_path, "refs.bib", BIBTEX)), "--into", str(data_copy)
    )
    assert code == 0, out
    after = studies(data_copy)
    assert set(after) - set(before) == {"grezes-burcher-2021", "rezaei1400-2021"}
    new = after["grezes-burcher-2021"]
    assert (
        new["type"],
        new["authors"],
        new["title"],
        new["pages"],
        new["doi"],
        new["language"],
    ) == (
        "article",
        "Grèzes-Bürcher, S.; van der Merwe, J.-P.",
        "Rural SMEs Abroad",
        "1–20",
        "10.1234/rural.2021",
        "en",
    )
    persian = after["rezaei1400-2021"]
    assert (persian["type"], persian["authors"], persian["venue"], persian["language"]) == (
        "chapter",
        "رضایی, ع.; Karimi, S.",
        "مجموعه مقالات توسعه روستایی",
        "fa",
    )
    # li-2018 matched by DOI (any case): the empty issue is filled, the differing venue kept
    assert after["li-2018"]["issue"] == "1"
    assert after["li-2018"]["venue"] == before["li-2018"]["venue"]
    assert "venue differs: data 'International Business Review', file 'International" in out
    assert "Business Journal' (kept; --update replaces)" in out
    # eschker-2017 matched by normalised title and year: the DOI is new, the title kept
    assert after["eschker-2017"]["doi"] == "10.1234/test.eschker"
    assert after["eschker-2017"]["title"] == before["eschker-2017"]["title"]
    assert "~ eschker-2017 <- entry 'eschker' (line 11): title differs: data 'Rural " in out
    assert "(kept; --update replaces); filled doi '10.1234/test.eschker'" in out
    assert "no screening decision yet (grezes-burcher-2021, rezaei1400-2021)" in out
    unchanged = {k for k in before if k not in ("li-2018", "eschker-2017")}
    assert all(after[k] == before[k] for k in unchanged)
    read_corpus(data_copy)


def test_update_replaces_the_differing_values(data_copy: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", BIBTEX)
    code, out = run("import", "bibtex", str(path), "--into", str(data_copy), "--update")
    assert code == 0, out
    after = studies(data_copy)
    assert after["li-2018"]["venue"] == "International Business Journal"
    assert after["eschker-2017"]["title"].startswith("Rural entrepreneurs – What are the Best")
    assert (
        "updated venue 'International Business Review' -> 'International Business Journal'" in out
    )


def test_a_second_import_changes_nothing(data_copy: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", BIBTEX)
    assert run("import", "bibtex", str(path), "--into", str(data_copy))[0] == 0
    first = tree_digest(data_copy)
    code, out = run("import", "bibtex", str(path), "--into", str(data_copy))
    assert code == 0, out
    assert "= grezes-burcher-2021 <- entry 'grezes2021' (line 18): same" in out
    assert tree_digest(data_copy) == first


def test_dry_run_reports_and_writes_nothing(data_copy: Path, tmp_path: Path) -> None:
    before = tree_digest(data_copy)
    path = write(tmp_path, "refs.bib", BIBTEX)
    code, out = run("import", "bibtex", str(path), "--into", str(data_copy), "--dry-run")
    assert code == 0, out
    assert "+ grezes-burcher-2021 <- entry 'grezes2021' (line 18): new study" in out
    assert "dry run: would write" in out
    assert tree_digest(data_copy) == before


def test_ris_adds_and_completes(data_copy: Path, tmp_path: Path) -> None:
    code, out = run(
        "import", "ris", str(write(tmp_path, "refs.ris", RIS)), "--into", str(data_copy)
    )
    assert code == 0, out
    after = studies(data_copy)
    assert after["ruzzier-2007"]["issue"] == "1"  # matched by DOI, the empty issue filled
    assert "title differs" in out  # the seed's capitalisation is kept
    new = after["karimi-2022"]
    assert (new["authors"], new["pages"], new["venue"], new["language"], new["year"]) == (
        "Karimi, S.; Rezaei, A.",
        "101–117",
        "Journal of Rural Research",
        "fa",
        "2022",
    )
    read_corpus(data_copy)


def test_a_new_study_needs_a_language(data_copy: Path, tmp_path: Path) -> None:
    text = "@article{x, author={Doe, Jane}, title={A study}, journal={J}, year={2020}}\n"
    path = write(tmp_path, "refs.bib", text)
    refused(
        "bibtex",
        path,
        data_copy,
        "refs.bib, line 1, field 'language': entry 'x' (line 1) matches no study and lacks",
        "(give --language TAG for entries without one)",
    )
    refused(
        "bibtex",
        path,
        data_copy,
        "--language 'Klingon': not a language tag or a known language name",
        options=("--language", "Klingon"),
    )
    code, out = run("import", "bibtex", str(path), "--into", str(data_copy), "--language", "Farsi")
    assert code == 0, out
    assert studies(data_copy)["doe-2020"]["language"] == "fa"  # a name, as in the files


def test_an_entry_type_without_a_study_type(data_copy: Path, tmp_path: Path) -> None:
    text = "@inproceedings{c, author={Doe, J.}, title={Talk}, year={2020}, language={en}}\n"
    refused(
        "bibtex",
        write(tmp_path, "r.bib", text),
        data_copy,
        "r.bib, line 1: entry 'c' (line 1) of type 'inproceedings' matches no study",
    )


def test_a_new_title_that_breaks_title_codes_is_refused(data_copy: Path, tmp_path: Path) -> None:
    refused(
        "ris",
        write(tmp_path, "refs.ris", RIS),
        data_copy,
        "refs.ris, line 1, field 'title'",
        "no longer holds the quote 'Human Capital' of code 'ruzzier-2007-1'",
        options=("--update",),
    )


def test_doi_and_title_of_two_different_studies(data_copy: Path, tmp_path: Path) -> None:
    text = (
        "@article{mix, author={Li, P.}, year={2018}, doi={10.1002/cjas.3},\n"
        "  title={Top management team characteristics and firm internationalization: The "
        "moderating role of the size of middle managers}}\n"
    )
    refused(
        "bibtex",
        write(tmp_path, "r.bib", text),
        data_copy,
        "its DOI is that of study 'ruzzier-2007' but its title and year are those of 'li-2018'",
    )


def test_one_study_twice_in_a_file(data_copy: Path, tmp_path: Path) -> None:
    text = "@article{a, doi={10.1002/cjas.3}}\n@article{b, doi={10.1002/CJAS.3}}\n"
    refused(
        "bibtex",
        write(tmp_path, "r.bib", text),
        data_copy,
        "r.bib, line 2: entry 'b' (line 2) is the same study as entry 'a' (line 1)",
    )


SYNTAX_ERRORS = [
    (
        "refs.bib",
        "@article{ok, title={Fine}, year={2020}}\n\n@article{broken,\n  title = {unclosed,\n",
        "refs.bib, line 3: BibTeX syntax error in the entry starting here",
    ),
    (
        "refs.bib",
        "@article{x, title={One}}\n@article{x, title={Two}}\n",
        "refs.bib, line 2: the entry key 'x' is used twice",
    ),
    ("refs.bib", "just some words, no entries\n", "refs.bib, line 1: no BibTeX entry found"),
    (
        "refs.bib",
        "@article{y, year={20}, doi={11.5/x}, title={T}}\n",
        "refs.bib, line 1, field 'year': entry 'y' (line 1): '20' does not start with a "
        "four-digit year",
    ),
    (
        "refs.ris",
        "TY  - JOUR\nTI  - Never closed\n",
        "refs.ris, line 1: the record starting here is not closed with ER",
    ),
    (
        "refs.ris",
        "TY  - JOUR\nTI  - A\nER  - \nstray words\n",
        "refs.ris, line 4: 'stray words' stands outside any record",
    ),
    (
        "refs.ris",
        "TY  - JOUR\nTI  - A\nTY  - BOOK\nER  - \n",
        "refs.ris, line 3: a new record starts before the record of line 1 ends",
    ),
    ("refs.ris", "ER  - \n", "refs.ris, line 1: ER closes no record"),
    (
        "refs.ris",
        "TY  - JOUR\nDO  - not a doi\nER  - \n",
        "refs.ris, line 1, field 'doi': the entry of line 1: 'not a doi' is not a DOI",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    SYNTAX_ERRORS,
    ids=[
        "bib-unclosed",
        "bib-duplicate-key",
        "bib-no-entries",
        "bib-bad-values",
        "ris-unclosed",
        "ris-outside",
        "ris-nested",
        "ris-stray-er",
        "ris-bad-doi",
    ],
)
def test_syntax_errors(
    name: str, text: str, expected: str, data_copy: Path, tmp_path: Path
) -> None:
    refused(
        "bibtex" if name.endswith(".bib") else "ris",
        write(tmp_path, name, text),
        data_copy,
        expected,
    )


def test_a_file_that_is_not_utf8(data_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes("@article{x,\n title={Caf\u00e9}}\n".encode("latin-1"))
    code, out = run("import", "bibtex", str(path), "--into", str(data_copy))
    assert code == 2
    assert "refs.bib, line 2: the file is not UTF-8" in out


# --- regressions from the review of the import (issue 6) ------------------------------------


def test_capitalised_field_names_are_read(data_copy: Path, tmp_path: Path) -> None:
    text = (
        "@Article{Nguyen2023,\n"
        "  Author = {Nguyen, An and Tran, Binh},\n"
        "  Title = {Capitalised field names},\n"
        "  Journal = {Journal X},\n"
        "  Year = {2023},\n"
        "  Language = {English}\n"
        "}\n"
        "@ARTICLE{li, AUTHOR = {Li, Peter and Wang, Lin}, DOI = {10.1016/j.ibusrev.2017.05.011}}\n"
    )
    out = imports(data_copy, tmp_path, "caps.bib", text)
    new = studies(data_copy)["nguyen-2023"]
    assert (new["authors"], new["title"], new["venue"], new["language"]) == (
        "Nguyen, A.; Tran, B.",
        "Capitalised field names",
        "Journal X",
        "en",
    )
    assert "authors differs: data 'Li, P.', file 'Li, P.; Wang, L.'" in out


def test_a_corporate_author_stays_one_name_and_others_is_no_author(
    data_copy: Path, tmp_path: Path
) -> None:
    text = (
        "@article{wb, author = {{World Bank}}, title = {Corporate author},\n"
        "  journal = {J}, year = {2023}, language = {en}}\n"
        "@article{al, author = {Nguyen, An and others}, title = {Many hands},\n"
        "  journal = {J}, year = {2024}, language = {en}}\n"
    )
    out = imports(data_copy, tmp_path, "r.bib", text)
    after = studies(data_copy)
    assert after["world-bank-2023"]["authors"] == "World Bank"
    assert after["nguyen-2024"]["authors"] == "Nguyen, A."
    assert "entry 'al' (line 3): 'and others' stands for authors it does not name" in out


def test_two_studies_with_one_title_and_year_are_ambiguous(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / "studies.csv"
    twin = studies(data_copy)["eschker-2017"] | {"id": "eschker-2017b"}
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=list(twin), lineterminator="\n").writerow(twin)
    text = (
        "@article{e, author={Eschker, E.}, year={2017}, publisher={Emerald},\n"
        "  title={Rural entrepreneurs: what are the best indicators of their success?}}\n"
    )
    refused(
        "bibtex",
        write(tmp_path, "r.bib", text),
        data_copy,
        "r.bib, line 1, field 'title': entry 'e' (line 1) has the title and year of several "
        "studies: eschker-2017, eschker-2017b",
    )


def test_a_ris_author_without_a_comma_is_one_name(data_copy: Path, tmp_path: Path) -> None:
    text = "TY  - JOUR\nAU  - World Bank\nTI  - Rural exports\nPY  - 2023\nLA  - en\nER  - \n"
    imports(data_copy, tmp_path, "r.ris", text)
    assert studies(data_copy)["world-bank-2023"]["authors"] == "World Bank"
