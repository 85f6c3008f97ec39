"""Resolve the items of a REFI-QDA project to our ids: codes to factors, users to coders,
text sources to studies. Every rule is in docs/data-format.md ("Importing from QDA tools").

Each resolver looks in the same order: a line of the mapping file, then the import
ledger (what an earlier import decided), then names. Nothing is guessed by similarity:
close matches only appear as suggestions in error messages.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from kg.errors import InputError, Location
from kg.ingest.corpus import ID_EXPECTED, one_of, parse_id
from kg.ingest.table import Column
from kg.interchange.matching import ConceptIndex, Mapping, hint, is_guid, normalise
from kg.interchange.refi import QdaCode, QdaProject, QdaSource, QdaUser, guid_key
from kg.interchange.taxonomy import Concept
from kg.interchange.writer import Table
from kg.iris import slug
from kg.records import Agent, Study

LEDGER = "refi-qda-ids.csv"
LEDGER_COLUMNS = ["kind", "guid", "id", "time"]
LEDGER_KINDS = ("user", "source", "code", "coding")


def _guid(value: str) -> str:
    if not is_guid(value):
        raise ValueError("not a GUID")
    return guid_key(value)


# how the ledger is checked when read, so that a hand edit gives a located error
LEDGER_SPEC = [
    Column("kind", nonempty=True, parse=one_of(*LEDGER_KINDS), expected=", ".join(LEDGER_KINDS)),
    Column("guid", nonempty=True, parse=_guid, expected="the GUID of the item in the QDA project"),
    Column("id", nonempty=True, parse=parse_id, expected=f"what the item became: {ID_EXPECTED}"),
    Column("time", required=False, expected="the coding's creationDateTime, as written"),
]
_EXTENSIONS = (".txt", ".pdf", ".docx", ".doc", ".rtf", ".odt", ".html", ".htm", ".md")


@dataclass(frozen=True)
class Resolved:
    """What a QDA item became: our id (None = skipped by the mapping) and by which rule."""

    id: str | None
    rule: str


class Ledger:
    """The import ledger (data/refi-qda-ids.csv): REFI GUIDs and the ids they became.

    It makes a second import of the same project find what the first one wrote, so
    nothing is duplicated, and lets an analyst redirect an item by editing its id.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.rows: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
        for index, row in table.rows():
            key = (row.get("kind", ""), guid_key(row.get("guid", "")))
            if all(key) and row.get("id"):
                self.rows[key] = (index, row)

    def get(self, kind: str, guid: str) -> str | None:
        """The id an item got from an earlier import."""
        found = self.rows.get((kind, guid))
        return None if found is None else found[1]["id"]

    def location(self, kind: str, guid: str) -> Location:
        """Where the ledger says what an item became (its `id` field)."""
        found = self.rows.get((kind, guid))
        if found is None or found[0] < 0:
            return Location(self.table.path, None, None, "id")
        line = self.table.location(found[0]).line
        column = self.table.header.index("id") + 1 if "id" in self.table.header else None
        return Location(self.table.path, line, column, "id")

    def entries(self, kind: str) -> dict[str, str]:
        """GUID -> id of every item of one kind."""
        return {guid: row["id"] for (k, guid), (_, row) in self.rows.items() if k == kind}

    def set(self, kind: str, guid: str, ident: str, time: str = "") -> None:
        """Record (or correct) what an item became."""
        values = {"kind": kind, "guid": guid, "id": ident, "time": time}
        found = self.rows.get((kind, guid))
        if found is None:
            self.table.append(values)
            self.rows[(kind, guid)] = (-1, values)
        elif found[0] >= 0 and any(found[1].get(k, "") != v for k, v in values.items()):
            self.table.update(found[0], values)
            self.rows[(kind, guid)] = (found[0], values)


def _where(project: QdaProject, item: QdaCode | QdaSource) -> Location:
    """Where the name of a code or a source was read."""
    return Location(project.where, item.line, item.column, item.field)


class CodeResolver:
    """QDA codes to factor ids."""

    def __init__(
        self, project: QdaProject, index: ConceptIndex, mapping: Mapping, ledger: Ledger
    ) -> None:
        self.project = project
        self.index = index
        self.mapping = mapping
        self.ledger = ledger

    def resolve(self, code: QdaCode) -> Resolved | None:
        """The factor of a code, None if it has none; InputError when the answer is unclear."""
        entry = self.mapping.find("code", code.guid, code.name)
        if entry is not None:
            if entry.skip:
                return Resolved(None, "skipped by the mapping")
            return Resolved(entry.target, "mapping file")  # checked by Mapping.check
        found = self.index.match(code.guid, code.name)
        factors = [c for c in found if c.kind == "factor"]
        if (known := self.ledger.get("code", code.guid)) is not None:
            return self._earlier(code, known, factors)
        if len(factors) == 1:
            rule = "codebook GUID" if code.guid in self.index.guids else "name"
            return Resolved(factors[0].id, rule)
        if len(factors) > 1:
            raise InputError(
                _where(self.project, code),
                f"{code.named} matches several factors: " + ", ".join(f.id for f in factors),
                "a line `code,<GUID>,<factor id>` in --factor-map saying which",
            )
        return None

    def _earlier(self, code: QdaCode, known: str, factors: list[Concept]) -> Resolved:
        """The factor an earlier import gave a code (renamed since, perhaps)."""
        where = self.ledger.location("code", code.guid)
        if known not in self.index.taxonomy.vocabulary.factors:
            raise InputError(
                where,
                f"{code.label} was imported as factor {known!r}, which the "
                f"taxonomy no longer defines.{hint(self.index.suggest(known))}",
                "a factor id of ontology/factors.ttl in this line, or a line "
                "`code,<GUID>,<factor id>` in --factor-map",
            )
        if len(factors) == 1 and factors[0].id != known:
            # renamed in the QDA tool to another factor's name: the analyst says which is meant
            raise InputError(
                _where(self.project, code),
                f"{code.label} was imported as factor {known} ({where}), "
                f"but its name now matches factor {factors[0].id}",
                f"a line `code,{code.guid if code.show_guid else code.name},"
                f"<{known} or {factors[0].id}>` in --factor-map",
            )
        return Resolved(known, "earlier import")

    def summary(self) -> str:
        """How many codes of the codebook name a factor, a category, or neither."""
        kinds: Counter[str] = Counter()
        for code in self.project.codes.values():
            found = {c.kind for c in self.index.match(code.guid, code.name)}
            kinds["factor" if "factor" in found else "category" if found else "neither"] += 1
        return (
            f"codebook: {len(self.project.codes)} code(s); by GUID or name "
            f"{kinds['factor']} stand for factors, {kinds['category']} for categories, "
            f"{kinds['neither']} for neither"
        )

    def unmapped_error(self, code: QdaCode, codings: int | None) -> InputError:
        """The error for a code that stands for no factor (`codings`: how many use it)."""
        found = self.index.match(code.guid, code.name)
        what = "is a category, not a factor" if found else "matches no factor"
        used = "" if codings is None else f", used by {codings} coding(s),"
        return InputError(
            _where(self.project, code),
            f"{code.label}{used} {what}." + hint(self.index.suggest(code.name)),
            "a line `code,<name or GUID>,<factor id>` in --factor-map ('-' skips the code), "
            "or --allow-new to propose it as a new factor",
        )

    def category_of(self, code: QdaCode) -> Concept | None:
        """The category a code's parent stands for (for proposals of new factors)."""
        parent = self.project.codes.get(code.parent or "")
        if parent is None:
            return None
        found = [c for c in self.index.match(parent.guid, parent.name) if c.kind == "category"]
        return found[0] if len(found) == 1 else None


GIVEN = "--coder"  # the rule of a user whose coder the command line names


class UserResolver:
    """QDA users to coder ids, new coders minted from names.

    `given` maps user GUIDs to the coder the command line names (a file without users,
    such as a highlights table, is coded by one coder of coders.csv).
    """

    def __init__(
        self,
        project: QdaProject,
        agents: list[Agent],
        mapping: Mapping,
        ledger: Ledger,
        given: dict[str, str] | None = None,
    ) -> None:
        self.project = project
        self.mapping = mapping
        self.ledger = ledger
        self.given = given or {}
        self.by_name = {normalise(a.name): a.id for a in agents}
        self.taken = {a.id for a in agents}
        self.new: dict[str, QdaUser] = {}  # new coder id -> user

    def resolve(self, user: QdaUser) -> Resolved:
        """The coder id of a user (a new one if need be)."""
        if user.guid in self.given:
            return Resolved(self.given[user.guid], GIVEN)
        entry = self.mapping.find("user", user.guid, user.name)
        if entry is not None:
            if entry.skip:
                return Resolved(None, "skipped by the mapping")
            return self._known(entry.target, user, "mapping file")
        if (known := self.ledger.get("user", user.guid)) is not None:
            return self._known(known, user, "earlier import")
        if user.name and (same := self.by_name.get(normalise(user.name))):
            return Resolved(same, "same name in coders.csv")
        return Resolved(self._mint(user), "new coder")

    def _known(self, ident: str, user: QdaUser, rule: str) -> Resolved:
        if ident not in self.taken:
            self.taken.add(ident)
            self.new[ident] = user
        return Resolved(ident, rule)

    def _mint(self, user: QdaUser) -> str:
        # Persian or other non-Latin names give an empty slug: the GUID stands in
        base = slug(user.name) or slug(user.user_id) or f"coder-{user.guid[:8].lower()}"
        ident, n = base, 2
        while ident in self.taken:
            ident, n = f"{base}-{n}", n + 1
        self.taken.add(ident)
        self.new[ident] = user
        return ident


class SourceResolver:
    """QDA text sources to study ids."""

    def __init__(
        self, project: QdaProject, studies: list[Study], mapping: Mapping, ledger: Ledger
    ) -> None:
        self.project = project
        self.mapping = mapping
        self.ledger = ledger
        self.studies = {s.id: s for s in studies}
        self.titles: dict[str, list[str]] = {}
        for study in studies:
            self.titles.setdefault(normalise(study.title), []).append(study.id)

    def resolve(self, source: QdaSource) -> Resolved:
        """The study of a source; InputError when none (or several) fits."""
        entry = self.mapping.find("source", source.guid, source.name)
        if entry is not None:
            if entry.skip:
                return Resolved(None, "skipped by the mapping")
            return self._existing(entry.target, entry.location, "mapping file")
        if (known := self.ledger.get("source", source.guid)) is not None:
            return self._existing(known, self.ledger.location("source", source.guid), "ledger")
        for name in _names(source.name):
            if name.lower() in self.studies:  # study ids are lower case; file names vary
                return Resolved(name.lower(), "name is the study id")
            found = self.titles.get(normalise(name), [])
            if len(found) == 1:
                return Resolved(found[0], "name is the title")
            if len(found) > 1:
                raise InputError(
                    _where(self.project, source),
                    f"{source.named} has the title of several studies: {', '.join(found)}",
                    "a line `source,<name or GUID>,<study id>` in --factor-map saying which",
                )
        raise InputError(
            _where(self.project, source),
            f"{source.label} matches no study by id or title." + hint(self._suggest(source.name)),
            "a line `source,<name or GUID>,<study id>` in --factor-map, a source named after "
            "the study's id or title, or the study added first (rsme-kg import bibtex/ris)",
        )

    def _existing(self, ident: str, where: Location, rule: str) -> Resolved:
        if ident not in self.studies:
            raise InputError(
                where,
                f"no study {ident!r} in studies.csv.{hint(self._suggest(ident))}",
                "the id of a study in studies.csv",
            )
        return Resolved(ident, rule)

    def _suggest(self, name: str) -> list[str]:
        keys = {normalise(s.title): s.id for s in self.studies.values()}
        keys.update({s: s for s in self.studies})
        close = difflib.get_close_matches(normalise(name), list(keys), n=3, cutoff=0.5)
        return list(dict.fromkeys(keys[c] for c in close))


def _names(name: str) -> list[str]:
    """A source name as written and without a file extension."""
    names = [name.strip()]
    for extension in _EXTENSIONS:
        if name.lower().endswith(extension):
            names.append(name[: -len(extension)].strip())
    return names
