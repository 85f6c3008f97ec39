"""Who reviews mappings: an ORCID iD (checksum checked) or an agent of data/coders.csv."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg import iris
from kg.errors import InputError, InputErrors, Location
from kg.ingest.corpus import AGENT_COLUMNS, CODERS, suggest
from kg.ingest.table import read_table

ORCID = "https://orcid.org/"
_ORCID = re.compile(r"^(?:orcid:|https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])$")
_ORCID_LIKE = re.compile(r"^(?:orcid:|https?://orcid\.org/)|^\d{4}-\d{4}-")
CURATOR_EXPECTED = (
    "an ORCID iD such as orcid:0000-0002-1825-0097, or the id of an agent in data/coders.csv"
)


@dataclass(frozen=True)
class Curator:
    """The person or group whose decisions a review records."""

    iri: str
    label: str | None  # the coder's name; an ORCID iD alone gives none


def orcid_check_digit(digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD.

    >>> orcid_check_digit("000000021825009")
    '7'
    >>> orcid_check_digit("000000021694233")
    'X'
    """
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def parse_curator(value: str, data_dir: Path) -> Curator:
    """The curator named by `--curator`: an ORCID iD (orcid:…, https://orcid.org/… or bare) or
    the id of an agent of coders.csv; an InputError says what is wrong."""
    text = value.strip()
    where = Location("--curator")
    match = _ORCID.match(text)
    if match:
        orcid = match.group(1).upper()
        digits = orcid.replace("-", "")
        expected = orcid_check_digit(digits[:15])
        if digits[15] != expected:
            raise InputError(
                where,
                f"{text!r} is not a valid ORCID iD: its check digit is {digits[15]}, "
                f"the first 15 digits give {expected}",
                CURATOR_EXPECTED,
            )
        return Curator(ORCID + orcid, None)
    if _ORCID_LIKE.match(text):
        raise InputError(where, f"{text!r} is not an ORCID iD", "orcid:NNNN-NNNN-NNNN-NNNX")
    agents = _agents(data_dir)
    if text not in agents:
        raise InputError(
            where,
            f"{text!r} is neither an ORCID iD nor an agent of {data_dir / CODERS}."
            f"{suggest(text, agents)}",
            CURATOR_EXPECTED,
        )
    return Curator(str(iris.agent(text)), agents[text])


def _agents(data_dir: Path) -> dict[str, str]:
    path = data_dir / CODERS
    if not path.is_file():
        return {}
    errors: list[InputError] = []
    rows = read_table(path, AGENT_COLUMNS, errors)
    if errors:
        raise InputErrors(errors)
    return {row.values["id"]: row.values["name"] for row in rows}
