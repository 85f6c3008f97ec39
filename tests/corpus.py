"""The corpus as data/*.csv and the taxonomy state it, for tests to compare the graph with.

These facts are counted independently of the build (plain csv and Turtle reading, no
pipeline), so a test fails when the build loses or adds something, not when an editor adds a
code to the corpus.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from kg import paths
from kg.namespaces import RSME

DATA = paths.ROOT / "data"


def rows(name: str, data: Path = DATA) -> list[dict[str, str]]:
    """The rows of one CSV file of a data folder."""
    with (data / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def line_of(name: str, row_id: str, data: Path = DATA) -> int:
    """The 1-based line of the row whose first field is `row_id` in one CSV file."""
    lines = (data / name).read_text(encoding="utf-8").splitlines()
    return 1 + next(i for i, line in enumerate(lines) if line.startswith(f"{row_id},"))


@dataclass
class Corpus:
    """What the graph must answer, computed from the CSV files and the taxonomy."""

    factors: dict[str, str] = field(default_factory=dict)  # factor id -> category id
    codes: list[dict[str, str]] = field(default_factory=list)
    studies: dict[str, dict[str, str]] = field(default_factory=dict)
    included: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)

    def support(self, factor: str | None = None) -> list[dict[str, str]]:
        """Codes of included studies that are not settings (direction context), of one factor
        or of all (as kg/queries/examples/factors-by-studies.rq counts them)."""
        return [
            c
            for c in self.codes
            if (factor is None or c["factor"] == factor)
            and c["direction"] != "context"
            and c["study"] in self.included
        ]

    def settings(self, factor: str) -> int:
        """Included studies where every code of the factor is a context code."""
        directions: dict[str, list[str]] = defaultdict(list)
        for c in self.codes:
            if c["factor"] == factor and c["study"] in self.included:
                directions[c["study"]].append(c["direction"])
        return sum(1 for ds in directions.values() if all(d == "context" for d in ds))

    def evidence(self, factor: str) -> list[dict[str, str]]:
        """Every code of a factor."""
        return [c for c in self.codes if c["factor"] == factor]

    def supported_factors(self) -> set[str]:
        """Factors with at least one supporting code."""
        return {c["factor"] for c in self.support()}

    def factors_with_evidence(self) -> set[str]:
        """Factors with at least one code of any kind."""
        return {c["factor"] for c in self.codes}

    def coded_studies(self) -> set[str]:
        """Studies with at least one code."""
        return {c["study"] for c in self.codes}


@cache
def taxonomy_factors() -> dict[str, str]:
    """Factor id -> category id, as the taxonomy states them."""
    taxonomy = Graph().parse(paths.TAXONOMY_FILE, format="turtle")
    return {
        str(factor).rsplit("/", 1)[1]: str(taxonomy.value(factor, SKOS.broader)).rsplit("/", 1)[1]
        for factor in taxonomy.subjects(RDF.type, RSME.Factor)
    }


def read(data: Path) -> Corpus:
    """The facts of one data folder and the taxonomy."""
    result = Corpus(factors=dict(taxonomy_factors()))
    result.codes = rows("codes.csv", data)
    result.studies = {row["id"]: row for row in rows("studies.csv", data)}
    for row in rows("screening.csv", data):
        (result.included if row["decision"] == "included" else result.excluded).add(row["study"])
    return result


@cache
def corpus() -> Corpus:
    """The sources, data/, read once."""
    return read(DATA)


# The column that ties each row of a table to a study (None: every row is kept), and the
# columns that identify a row (to compare the fixture's rows with those of data/).
TABLES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "studies.csv": ("id", ("id",)),
    "codes.csv": ("study", ("id",)),
    "screening.csv": ("study", ("study",)),
    "appraisals.csv": ("study", ("study", "appraiser", "criterion")),
    "coders.csv": (None, ("id",)),
}


def tiny_data(
    target: Path,
    studies: tuple[str, ...] = ("akbari-2018", "ruzzier-2007"),
    source: Path = DATA,
) -> Path:
    """A data folder of a few studies of the corpus, with their codes and screening: a
    corpus that builds in seconds, for tests about the build rather than the data."""
    target.mkdir(parents=True)
    for name, (key, _) in TABLES.items():
        lines = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]]
        for line, row in zip(lines[1:], rows(name, source), strict=True):  # one line per row
            if key is None or row[key] in studies:
                kept.append(line)
        (target / name).write_text("".join(kept), encoding="utf-8")
    return target


# The fixture corpus, tests/data/corpus: six studies of data/ copied line by line (see
# tests/data/README.md), chosen for what the tests need of them.
FIXTURE = Path(__file__).resolve().parent / "data" / "corpus"
FIXTURE_STUDIES = (
    "akbari-2018",  # excluded (methodological reference), Persian, no code
    "akbari-2019",  # Persian; a moderator, a code without direction, a setting (context)
    "alayo-2019",  # a driver with an outcome, a setting; no DOI
    "assadinia-2019",  # a DOI; moderator and drivers with outcomes (psychic distance)
    "ruzzier-2007",  # a DOI and a research method; the study the highlights import codes
    "yousefi-2019",  # Persian; the study the REFI-QDA import codes (business networking)
)


def write_fixture(target: Path = FIXTURE) -> Path:
    """(Re)write the fixture corpus from data/: `python -m tests.corpus` after a curation
    change that touches one of its rows."""
    if target.exists():
        for path in target.glob("*.csv"):
            path.unlink()
        target.rmdir()
    return tiny_data(target, FIXTURE_STUDIES)


def keyed(name: str, data: Path) -> dict[tuple[str, ...], dict[str, str]]:
    """The rows of one table of a data folder by the columns that identify a row."""
    _, key = TABLES[name]
    return {tuple(row[k] for k in key): row for row in rows(name, data)}


@cache
def fixture() -> Corpus:
    """The fixture corpus, tests/data/corpus, read once."""
    return read(FIXTURE)


if __name__ == "__main__":
    print(f"wrote {write_fixture()}")
