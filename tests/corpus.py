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
def corpus() -> Corpus:
    """The sources, read once."""
    result = Corpus()
    taxonomy = Graph().parse(paths.TAXONOMY_FILE, format="turtle")
    for factor in taxonomy.subjects(RDF.type, RSME.Factor):
        category = taxonomy.value(factor, SKOS.broader)
        result.factors[str(factor).rsplit("/", 1)[1]] = str(category).rsplit("/", 1)[1]
    result.codes = rows("codes.csv")
    result.studies = {row["id"]: row for row in rows("studies.csv")}
    for row in rows("screening.csv"):
        (result.included if row["decision"] == "included" else result.excluded).add(row["study"])
    return result


def tiny_data(target: Path, studies: tuple[str, ...] = ("akbari-2018", "ruzzier-2007")) -> Path:
    """A data folder of a few studies of the corpus, with their codes and screening: a
    corpus that builds in seconds, for tests about the build rather than the data."""
    target.mkdir(parents=True)
    for name, key in (
        ("studies.csv", "id"),
        ("codes.csv", "study"),
        ("screening.csv", "study"),
        ("appraisals.csv", "study"),
        ("coders.csv", None),
    ):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [lines[0]]
        for line, row in zip(lines[1:], rows(name), strict=True):  # one line per row
            if key is None or row[key] in studies:
                kept.append(line)
        (target / name).write_text("".join(kept), encoding="utf-8")
    return target
