"""How outside names meet our ids: normalised text, the factor index, the mapping file."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, InputErrors, Location
from kg.ingest.corpus import ID_EXPECTED, one_of, parse_id
from kg.ingest.table import Column, read_table
from kg.interchange.refi import guid_key
from kg.interchange.taxonomy import Concept, Taxonomy
from kg.text import DIRECTION_MARKS, fold

_NOT_WORD = re.compile(r"[\W_]+")
_GUID = re.compile(r"^\{?[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}?$")
SKIP = "-"  # a mapping target that means "do not import this"
MAP_KINDS = ("code", "source", "user")
# the import has always read a direction mark as a word break (kg.text.fold drops it)
_MARKS_AS_BREAKS = str.maketrans(dict.fromkeys(DIRECTION_MARKS, " "))


def normalise(text: str) -> str:
    """Text reduced to what two spellings of one name share: letters and digits, lower case.

    Unicode compatibility forms, accents, Arabic/Persian letter variants, the zero-width
    non-joiner, punctuation and runs of spaces make no difference: kg.text.fold (the rules the
    search uses too), a joiner read as a word break, then only letters and digits kept.

    >>> normalise("Human Capital and SME  Internationalization: A Study")
    'human capital and sme internationalization a study'
    >>> normalise("Grèzes-Bürcher") == normalise("grezes burcher")
    True
    >>> normalise("سرمايه\u200cاجتماعي") == normalise("سرمایه اجتماعی")
    True

    A direction mark breaks a word, as it did before the search shared these rules: a name it
    splits stays two words, apart from the name written without it (the search ignores it).

    >>> normalise("Rural\u200fSME"), normalise("Rural\u200eSME") == normalise("RuralSME")
    ('rural sme', False)

    A tatweel only stretches a letter, and the hamza above a yeh is a mark like an accent: the
    name is the one written without them (yeh with hamza reads as the Persian yeh).

    >>> normalise("سـلام") == normalise("سلام")
    True
    >>> normalise("مسئله") == normalise("مسیله") == normalise("مسيله")
    True
    """
    spaced = text.translate(_MARKS_AS_BREAKS)
    folded = unicodedata.normalize("NFKC", fold(spaced, joiner=" "))
    return _NOT_WORD.sub(" ", folded).strip()


def is_guid(text: str) -> bool:
    """Whether text is a GUID (with or without braces)."""
    return bool(_GUID.match(text.strip()))


class ConceptIndex:
    """Factors and categories by GUID (of our codebook export) and by normalised name.

    A name matches a concept when it equals, once normalised, its id, its English or
    Persian preferred label, or one of its alternative labels.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.guids = taxonomy.by_guid()
        self.names: dict[str, set[Concept]] = defaultdict(set)
        for concept in (*taxonomy.categories, *taxonomy.factors):
            for name in (concept.id, concept.label, concept.label_fa, *concept.alt_labels):
                if name:
                    self.names[normalise(name)].add(concept)

    def match(self, guid: str, name: str) -> list[Concept]:
        """The concepts a QDA code stands for: by GUID first, else by name (maybe several)."""
        if guid in self.guids:
            return [self.guids[guid]]
        return sorted(self.names.get(normalise(name), ()), key=lambda c: c.id)

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """The factor ids whose names come closest to `name`."""
        labels = {
            normalise(label): f.id
            for f in self.taxonomy.factors
            for label in (f.id, f.label, *f.alt_labels)
        }
        close = difflib.get_close_matches(normalise(name), list(labels), n=n * 2, cutoff=0.5)
        return list(dict.fromkeys(labels[c] for c in close))[:n]


@dataclass(frozen=True)
class MapEntry:
    """One line of a mapping file: a QDA item (by GUID or name) and our id, or '-'."""

    kind: str
    qda: str
    target: str
    location: Location

    @property
    def line(self) -> str:
        """How the report names the line: 'map.csv, line 2'."""
        return f"{self.location.file}, line {self.location.line}"

    @property
    def skip(self) -> bool:
        """Whether the line says not to import the item."""
        return self.target == SKIP


def _target(value: str) -> str:
    return value if value == SKIP else parse_id(value)


MAP_COLUMNS = [
    Column("kind", nonempty=True, parse=one_of(*MAP_KINDS), expected="code, source or user"),
    Column("qda", nonempty=True, expected="the GUID or the name of the item in the QDA project"),
    Column("target", nonempty=True, parse=_target, expected=f"'-' (skip) or {ID_EXPECTED}"),
]


def map_key(qda: str) -> str:
    """How a mapping line's `qda` value is compared: a GUID exactly, a name normalised."""
    return "guid:" + guid_key(qda) if is_guid(qda) else "name:" + normalise(qda)


class Mapping:
    """The lines of a mapping file, looked up by kind and GUID or name."""

    def __init__(self, entries: list[MapEntry]) -> None:
        self.entries = {(e.kind, map_key(e.qda)): e for e in entries}

    def check(self, index: ConceptIndex, studies: Collection[str], coders: Collection[str]) -> None:
        """Every target names a factor, a study or a coder that exists, used or not."""
        known = {"code": index.taxonomy.vocabulary.factors, "source": studies, "user": coders}
        errors: list[InputError] = []
        for entry in self.entries.values():
            if entry.skip or entry.target in known[entry.kind]:
                continue
            if entry.kind == "code":
                message = f"{entry.target!r} is not a factor id.{hint(index.suggest(entry.target))}"
                expected = "the id of a factor in ontology/factors.ttl, or '-' to skip the code"
            elif entry.kind == "source":
                close = difflib.get_close_matches(entry.target, sorted(studies), n=3)
                message = f"no study {entry.target!r} in studies.csv.{hint(close)}"
                expected = "the id of a study in studies.csv, or '-' to skip the source"
            else:
                close = difflib.get_close_matches(entry.target, sorted(coders), n=3)
                message = f"no coder {entry.target!r} in coders.csv.{hint(close)}"
                expected = (
                    "the id of a coder in coders.csv (add a new coder there first), "
                    "or '-' to skip the user"
                )
            errors.append(InputError(entry.location, message, expected))
        if errors:
            raise InputErrors(errors)

    def unused(self, items: Iterable[tuple[str, str, str]]) -> list[MapEntry]:
        """The lines that match none of the (kind, GUID, name) items of a project."""
        keys = set()
        for kind, guid, name in items:
            keys.update({(kind, "guid:" + guid), (kind, "name:" + normalise(name))})
        return [e for key, e in self.entries.items() if key not in keys]

    def find(self, kind: str, guid: str, name: str) -> MapEntry | None:
        """The line for an item: its GUID first, then its name."""
        return self.entries.get((kind, "guid:" + guid)) or self.entries.get(
            (kind, "name:" + normalise(name))
        )


def read_mapping(path: Path | None) -> Mapping:
    """Read a mapping file (CSV: kind,qda,target); InputErrors say where it is wrong."""
    if path is None:
        return Mapping([])
    errors: list[InputError] = []
    rows = read_table(path, MAP_COLUMNS, errors)
    seen: dict[tuple[str, str], int] = {}
    entries: list[MapEntry] = []
    for row in rows:
        kind, qda, target = (row.values[k] for k in ("kind", "qda", "target"))
        key = (kind, map_key(qda))
        if key in seen:
            errors.append(
                InputError(
                    row.location("qda"),
                    f"{kind} {qda!r} is mapped twice (first at line {seen[key]})",
                    "one line per QDA item",
                )
            )
            continue
        seen[key] = row.line
        entries.append(MapEntry(kind, qda, target, row.location("target")))
    if errors:
        raise InputErrors(errors)
    return Mapping(entries)


def hint(ids: list[str]) -> str:
    """' Did you mean a, b?' naming close ids, or ''."""
    return f" Did you mean {', '.join(ids)}?" if ids else ""
