"""Import a REFI-QDA project (.qdpx): each coded text selection becomes a full-text code.

The quote is the source text's code points start..end (white space at its ends trimmed,
the offsets moved with it), `basis = fulltext`, attributed to the coding's user at the
coding's date. The plain texts go to data/sources/<study>.txt, where the ingest checks
every full-text quote against them. Rules: docs/data-format.md.

Other files of coded text (a highlights table, kg/interchange/highlights.py) are read into
the same records and imported by the same `Target.import_codings`, so every format gets
the same matching, checks, ledger and all-or-nothing writing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kg.errors import InputError, InputErrors, Location
from kg.ingest.corpus import (
    AGENT_COLUMNS,
    CODE_COLUMNS,
    CODERS,
    CODES,
    SOURCES,
    check_vocabulary,
    read_corpus,
)
from kg.interchange.archive import Limits
from kg.interchange.matching import MAP_KINDS, ConceptIndex, Mapping, read_mapping
from kg.interchange.refi import (
    QdaCode,
    QdaCoding,
    QdaProject,
    QdaSelection,
    QdaSource,
    read_project,
)
from kg.interchange.resolve import (
    GIVEN,
    LEDGER,
    LEDGER_COLUMNS,
    LEDGER_SPEC,
    CodeResolver,
    Ledger,
    Resolved,
    SourceResolver,
    UserResolver,
)
from kg.interchange.taxonomy import Taxonomy, load_taxonomy
from kg.interchange.writer import Changes, ImportRefused, Report, apply, safe_text
from kg.iris import slug
from kg.records import Corpus

PROPOSALS = "factor-proposals.csv"
PROPOSAL_COLUMNS = [
    "guid",
    "code",
    "parent",
    "category",
    "proposed_id",
    "description",
    "codings",
    "example",
    "project",
]
_SAME = ("study", "factor", "coder", "start", "end")  # one finding, whatever its GUID


@dataclass(frozen=True)
class _Found:
    """One coding of one selection of one source, as read."""

    source: QdaSource
    selection: QdaSelection
    coding: QdaCoding


@dataclass(frozen=True)
class _Code:
    """A coding resolved to a row of codes.csv."""

    found: _Found
    values: dict[str, str]

    def key(self) -> tuple[str, ...]:
        """What makes two codes the same finding (for codings whose GUIDs changed)."""
        return tuple(self.values[k] for k in _SAME)


@dataclass
class Target:
    """The data folder an import adds to, read and checked once, with what matches into it."""

    taxonomy: Taxonomy
    changes: Changes
    corpus: Corpus
    mapping: Mapping
    index: ConceptIndex
    ledger: Ledger

    @classmethod
    def open(
        cls, data_dir: Path, mapping_file: Path | None = None, taxonomy: Taxonomy | None = None
    ) -> Target:
        """Read the folder (it must be sound before anything is added) and the mapping file."""
        taxonomy = taxonomy or load_taxonomy()
        changes = Changes(data_dir)
        # included studies still waiting for their codes are not wrong: the import may be
        # what brings them
        corpus = read_corpus(data_dir, unfinished=changes.unfinished)
        check_vocabulary(corpus, taxonomy.vocabulary)
        mapping = read_mapping(mapping_file)
        index = ConceptIndex(taxonomy)
        mapping.check(index, {s.id for s in corpus.studies}, {a.id for a in corpus.agents})
        ledger = Ledger(changes.table(LEDGER, LEDGER_COLUMNS, LEDGER_SPEC))
        return cls(taxonomy, changes, corpus, mapping, index, ledger)

    def sources(self, project: QdaProject) -> SourceResolver:
        """Text sources (or documents) to studies, by the rules of the import."""
        return SourceResolver(project, self.corpus.studies, self.mapping, self.ledger)

    def import_codings(
        self,
        project: QdaProject,
        *,
        allow_new: bool = False,
        dry_run: bool = False,
        coders: dict[str, str] | None = None,
    ) -> Report:
        """Stage the project's coded selections as codes, check the folder, write it.

        `coders` maps user GUIDs to coder ids named on the command line. Refusals raise
        ImportRefused, which carries the report made so far (warnings included).
        """
        report = Report(dry_run=dry_run)
        report.warnings.extend(str(w) for w in project.warnings)
        try:
            run = _ProjectImport(project, self, report, allow_new, coders or {})
            run.run()
            apply(self.changes, self.taxonomy.vocabulary, report)
        except InputErrors as exc:
            raise ImportRefused(exc.errors, report) from None
        except InputError as exc:
            raise ImportRefused([exc], report) from None
        return report


def import_project(
    path: Path,
    data_dir: Path,
    *,
    mapping_file: Path | None = None,
    allow_new: bool = False,
    dry_run: bool = False,
    limits: Limits | None = None,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """Import the coded text selections of a .qdpx project into a data folder."""
    target = Target.open(data_dir, mapping_file, taxonomy)
    project = read_project(path, limits)
    return target.import_codings(project, allow_new=allow_new, dry_run=dry_run)


class _ProjectImport:
    """One import run: resolve, check, then stage the rows and files to write."""

    def __init__(
        self,
        project: QdaProject,
        target: Target,
        report: Report,
        allow_new: bool,
        coders: dict[str, str],
    ) -> None:
        self.project = project
        self.corpus = target.corpus
        self.changes = target.changes
        self.report = report
        self.allow_new = allow_new
        self.mapping = target.mapping
        self.ledger = target.ledger
        self.codes = CodeResolver(project, target.index, target.mapping, self.ledger)
        self.users = UserResolver(project, self.corpus.agents, self.mapping, self.ledger, coders)
        self.sources = target.sources(project)
        # problems the reader found but did not stop at: said with the rest
        self.errors: list[InputError] = list(project.errors)

    def run(self) -> None:
        """Resolve every coding, raise all problems at once, else stage the changes."""
        found = [
            _Found(source, selection, coding)
            for source in self.project.sources
            for selection in source.selections
            for coding in selection.codings
        ]
        self.report.lines.append(
            self.project.summary
            or f"project {self.project.name!r}: {len(self.project.users)} user(s), "
            f"{len(self.project.codes)} code(s), {len(self.project.sources)} text source(s), "
            f"{len(found)} coding(s) of text selections"
        )
        self.report.lines.append(self.codes.summary())
        self.report.notes.extend(self.project.skipped)
        self.report.notes.extend(self.project.notes)
        self.report.notes.extend(unused_mapping(self.mapping, self.project))
        if not found:
            self._raise()
            self.report.lines.append("no coded text selections: nothing to import")
            return
        factors = self._factors(found)
        coders = self._coders(found)
        wanted = [f for f in found if factors.get(f.coding.code) and coders.get(f.coding.user)]
        studies = self._studies(wanted)
        self._raise()
        codes = [
            self._code(f, study, factors, coders)
            for f in wanted
            if (study := studies.get(f.source.guid))
        ]
        self._raise()
        self._write_texts(codes)
        self._write_codes(codes)
        self._write_coders()

    def _raise(self) -> None:
        """Raise the problems found so far, each once (a selection coded twice is one)."""
        if self.errors:
            unique = {str(e): e for e in self.errors}
            raise InputErrors(list(unique.values()))

    def _factors(self, found: list[_Found]) -> dict[str, str | None]:
        """Code GUID -> factor id (None: skipped or held back as a proposal)."""
        uses = Counter(f.coding.code for f in found)
        first = {f.coding.code: f for f in reversed(found)}
        factors: dict[str, str | None] = {}
        unmapped: list[QdaCode] = []
        rules: Counter[str] = Counter()
        for guid in uses:
            code = self.project.codes.get(guid)
            if code is None:
                self.errors.append(
                    InputError(
                        Location(self.project.where, first[guid].coding.line, None, "CodeRef"),
                        f"the coding refers to code {guid}, which the codebook does not define",
                        "the GUID of a <Code> of the project's <CodeBook>",
                    )
                )
                continue
            try:
                resolved = self.codes.resolve(code)
            except InputError as exc:
                self.errors.append(exc)
                continue
            if resolved is None:
                unmapped.append(code)
                factors[guid] = None
                continue
            factors[guid] = resolved.id
            rules[resolved.rule] += 1
            if resolved.id is not None:  # found again by its GUID if renamed in the QDA tool
                self.ledger.set("code", guid, resolved.id)
        said = [f"{n} {_by(rule)}" for rule, n in sorted(rules.items())]
        if unmapped:
            said.append(f"{len(unmapped)} matching no factor")
        self.report.lines.append(f"codes used: {len(uses)}; " + ", ".join(said))
        if unmapped and not self.allow_new:
            self.errors.extend(self.codes.unmapped_error(c, uses[c.guid]) for c in unmapped)
        elif unmapped:
            self._propose(unmapped, uses, found)
        return factors

    def _propose(self, codes: list[QdaCode], uses: Counter[str], found: list[_Found]) -> None:
        """--allow-new: new factors proposed for review; their codings wait for the review."""
        examples: dict[str, str] = {}
        for f in found:
            if f.coding.code not in examples:
                text = f.source.text or ""
                examples[f.coding.code] = text[f.selection.start : f.selection.end].strip()
        propose(self.changes, self.project, self.codes, codes, uses, examples)
        self.report.notes.append(
            f"{len(codes)} code(s) match no factor: proposed for review in "
            f"{self.changes.data_dir / PROPOSALS}; their "
            f"{sum(uses[c.guid] for c in codes)} coding(s) are imported once each is added "
            "to ontology/factors.ttl (or mapped) and the file is imported again"
        )

    def _coders(self, found: list[_Found]) -> dict[str | None, str | None]:
        """User GUID -> coder id (None: skipped by the mapping)."""
        coders: dict[str | None, str | None] = {}
        for f in found:
            user_guid = f.coding.user
            if user_guid in coders:
                continue
            user = self.project.users.get(user_guid or "")
            if user is None:
                what = "names no user" if user_guid is None else f"is by unknown user {user_guid}"
                self.errors.append(
                    InputError(
                        Location(self.project.where, f.coding.line, None, "creatingUser"),
                        f"the coding {f.coding.guid} {what}",
                        "a creatingUser GUID listed in the project's <Users>",
                    )
                )
                coders[user_guid] = None
                continue
            resolved = self.users.resolve(user)
            coders[user_guid] = resolved.id
            if resolved.id is not None and resolved.rule != GIVEN:
                self.ledger.set("user", user.guid, resolved.id)
            self.report.lines.append(f"user {user.name!r} -> {_target('coder', resolved)}")
        return coders

    def _studies(self, wanted: list[_Found]) -> dict[str, str | None]:
        """Source GUID -> study id, for the sources that have codings to import."""
        studies: dict[str, str | None] = {}
        for source in dict.fromkeys(f.source for f in wanted):
            try:
                resolved = self.sources.resolve(source)
            except InputError as exc:
                self.errors.append(exc)
                continue
            studies[source.guid] = resolved.id
            if resolved.id is not None:
                self.ledger.set("source", source.guid, resolved.id)
            self.report.lines.append(f"{_short(source)} -> {_target('study', resolved)}")
            if resolved.id is not None and source.text is None:
                self.errors.append(
                    InputError(
                        Location(self.project.where, source.line, None, "plainTextPath"),
                        f"text source {source.name!r} has no plain text",
                        "PlainTextContent or a plainTextPath into the archive's sources/",
                    )
                )
        return studies

    def _code(
        self,
        found: _Found,
        study: str,
        factors: dict[str, str | None],
        coders: dict[str | None, str | None],
    ) -> _Code:
        """The codes.csv values of one coding; selection errors are collected."""
        text = found.source.text or ""
        selection = found.selection
        start, end = selection.start, selection.end
        if 0 <= start == end <= len(text):
            self.errors.append(
                InputError(
                    Location(self.project.where, selection.line, None, "startPosition"),
                    f"selection {selection.guid} of source {found.source.name!r} is empty "
                    f"(from {start} to {end})",
                    "a selection of words: startPosition < endPosition",
                )
            )
        elif not 0 <= start < end <= len(text):
            self.errors.append(
                InputError(
                    Location(self.project.where, selection.line, None, "startPosition"),
                    f"selection {selection.guid} of source {found.source.name!r} runs from "
                    f"{start} to {end}, outside the source text of {len(text)} code points",
                    "0 <= startPosition < endPosition <= the length of the text",
                )
            )
        quote = text[start:end]
        # the CSV reader trims values, so a quote keeps no white space at its ends
        start += len(quote) - len(quote.lstrip())
        end -= len(quote) - len(quote.rstrip())
        if start >= end and 0 <= selection.start < selection.end <= len(text):
            self.errors.append(
                InputError(
                    Location(self.project.where, selection.line, None, "startPosition"),
                    f"selection {selection.guid} holds only white space",
                    "a selection of words",
                )
            )
        values = {
            "study": study,
            "factor": factors[found.coding.code] or "",
            "basis": "fulltext",
            "quote": text[start:end],
            "start": str(start),
            "end": str(end),
            "coder": coders[found.coding.user] or "",
            "coded_on": self.project.coded_on or _date(found.coding.created),
        }
        return _Code(found, values)

    def _write_texts(self, codes: list[_Code]) -> None:
        """data/sources/<study>.txt for each study coded; one text per study."""
        texts: dict[str, _Found] = {}
        for code in codes:
            study, source = code.values["study"], code.found.source
            if study in texts and texts[study].source.text != source.text:
                first = texts[study].source
                self.errors.append(
                    InputError(
                        Location(self.project.where, source.line, source.column, source.field),
                        f"{_short(first)} and {_short(source)} both map to study {study!r} but "
                        "hold different texts",
                        f"one {source.noun} per study",
                    )
                )
            texts.setdefault(study, code.found)
        for study in texts:
            old = self.changes.data_dir / SOURCES / f"{study}.txt"
            if old.exists() and not old.is_file():
                self.errors.append(
                    InputError(
                        Location(old),
                        "is a folder, not a file",
                        "data/sources/<study id>.txt as a UTF-8 plain text file (or nothing)",
                    )
                )
        self._raise()
        for study, found in sorted(texts.items()):
            name = f"{SOURCES}/{study}.txt"
            text = found.source.text or ""
            data = text.encode("utf-8")
            old = self.changes.data_dir / name
            self.changes.explain[name] = f"the text of {_short(found.source)}"
            if old.is_file() and old.read_bytes() != data:
                self.report.notes.append(
                    f"{old} is replaced by the text of {_short(found.source)} "
                    f"({len(text)} code points); the check that follows refuses the import if "
                    "older codes no longer fit it"
                )
            self.changes.files[name] = data

    def _write_codes(self, codes: list[_Code]) -> None:
        """New codes appended, earlier imports updated in the fields the import owns."""
        table = self.changes.table(CODES, [c.name for c in CODE_COLUMNS])
        rows = {row["id"]: (index, row) for index, row in table.rows()}
        same = {
            tuple(row.get(k, "") for k in _SAME): ident
            for ident, (_, row) in rows.items()
            if row.get("basis") == "fulltext"
        }
        numbers = _code_numbers(rows)
        counts: Counter[str] = Counter()
        seen: set[str] = set()
        for code in sorted(codes, key=_order):
            guid = code.found.coding.guid
            known = self.ledger.get("coding", guid)
            if known is not None and known not in rows:
                counts["deleted by hand, not imported again"] += 1
                continue
            if known is not None:
                index, row = rows[known]
                diff = {k: v for k, v in code.values.items() if row.get(k, "") != v}
                if self.project.coded_on and set(diff) == {"coded_on"}:
                    diff = {}  # the date of the import, not of the coding: not a change
                if diff:
                    table.update(index, diff)
                counts["updated" if diff else "unchanged"] += 1
            elif (known := same.get(code.key())) is not None:
                counts["already present"] += 1
            else:
                known = _next_id(code.values["study"], numbers, rows)
                note = safe_text(code.found.selection.description)
                table.append({"id": known, **code.values, "note": note})
                same[code.key()] = known
                counts["new"] += 1
            seen.add(guid)
            self.ledger.set("coding", guid, known, code.found.coding.created)
        self.report.lines.append(
            "codes: " + (", ".join(f"{n} {what}" for what, n in counts.items()) or "none")
        )
        self._vanished(codes, rows, seen)

    def _vanished(
        self, codes: list[_Code], rows: dict[str, tuple[int, dict[str, str]]], seen: set[str]
    ) -> None:
        """Codes an earlier import of this project wrote whose codings are gone from it."""
        touched = {(c.values["study"], c.values["coder"]) for c in codes}
        gone = sorted(
            ident
            for guid, ident in self.ledger.entries("coding").items()
            if guid not in seen
            and ident in rows
            and (rows[ident][1].get("study"), rows[ident][1].get("coder")) in touched
        )
        if gone:
            self.report.notes.append(
                f"{len(gone)} code(s) imported earlier are no longer coded in the project and "
                f"were kept: {', '.join(gone)} (delete them from codes.csv if that is intended)"
            )

    def _write_coders(self) -> None:
        """A coders.csv row for each new coder."""
        known = {a.id for a in self.corpus.agents}
        table = self.changes.table(CODERS, [c.name for c in AGENT_COLUMNS])
        for ident, user in sorted(self.users.new.items()):
            if ident in known:
                continue
            name = user.name or user.user_id or f"REFI-QDA user {user.guid}"
            if safe_text(name) != name:
                self.report.notes.append(
                    f"user {name!r} is written to coders.csv as {safe_text(name)!r}, so that "
                    "a spreadsheet does not read the name as a formula"
                )
            table.append(
                {
                    "id": ident,
                    "name": safe_text(name),
                    "kind": "person",
                    "note": safe_text(f"REFI-QDA user of project {self.project.name!r}"),
                }
            )


def unused_mapping(
    mapping: Mapping, project: QdaProject, kinds: tuple[str, ...] = MAP_KINDS
) -> list[str]:
    """Notes on the mapping lines (of these kinds) that match no item of the file."""
    items = [
        *(("code", c.guid, c.name) for c in project.codes.values()),
        *(("user", u.guid, u.name) for u in project.users.values()),
        *(("source", s.guid, s.name) for s in project.sources),
    ]
    notes = []
    for entry in mapping.unused(items):
        if entry.kind not in kinds:
            continue
        what = "text source" if entry.kind == "source" else entry.kind
        notes.append(
            f"{entry.line}: {entry.kind} {entry.qda!r} matches no {what} of the "
            f"{'project' if project.label == '' else 'file'} (line not used)"
        )
    return notes


def propose(
    changes: Changes,
    project: QdaProject,
    resolver: CodeResolver,
    codes: list[QdaCode],
    uses: Counter[str] | None,
    examples: dict[str, str],
) -> None:
    """A line of factor-proposals.csv for each code (the line of its GUID updated)."""
    # a file for review: analysts may add columns; only its CSV must be sound (the table
    # says where it is not)
    table = changes.table(PROPOSALS, PROPOSAL_COLUMNS)
    rows = {row.get("guid", ""): index for index, row in table.rows()}
    for code in codes:
        parent = project.codes.get(code.parent or "")
        category = resolver.category_of(code)
        values = {
            "guid": code.guid,
            "code": safe_text(code.name),
            "parent": "" if parent is None else safe_text(parent.name),
            "category": "" if category is None else category.id,
            "proposed_id": slug(code.name),
            "description": safe_text(code.description),
            "codings": "" if uses is None else str(uses[code.guid]),
            "example": safe_text(examples.get(code.guid, "")),
            "project": safe_text(project.name),
        }
        if code.guid in rows:
            table.update(rows[code.guid], values)
        else:
            table.append(values)


def _short(source: QdaSource) -> str:
    """ "source 'Interview 7'" or "document 'Interview 7'"."""
    return f"{source.noun.removeprefix('text ')} {source.name!r}"


def _by(rule: str) -> str:
    """'by name', but 'skipped by the mapping' as it is."""
    return rule if rule.startswith("skipped") else f"by {rule}"


def _target(kind: str, resolved: Resolved) -> str:
    """How the report names what an item became."""
    if resolved.id is None:
        return f"not imported ({resolved.rule})"
    return f"{kind} {resolved.id} ({resolved.rule})"


def _date(created: str) -> str:
    """The date of an xsd:dateTime as written (its own time zone), or ''."""
    try:
        return date.fromisoformat(created[:10]).isoformat()
    except ValueError:
        return ""


def _order(code: _Code) -> tuple[object, ...]:
    v = code.values
    return (
        v["study"],
        int(v["start"]),
        int(v["end"]),
        v["factor"],
        v["coder"],
        code.found.coding.guid,
    )


def _code_numbers(rows: dict[str, tuple[int, dict[str, str]]]) -> dict[str, int]:
    """The highest n of the ids `{study}-{n}` in use, per study."""
    numbers: dict[str, int] = {}
    for ident, (_, row) in rows.items():
        match = re.fullmatch(re.escape(row.get("study", "")) + r"-(\d+)", ident)
        if match:
            numbers[row["study"]] = max(numbers.get(row["study"], 0), int(match.group(1)))
    return numbers


def _next_id(study: str, numbers: dict[str, int], taken: Container[str]) -> str:
    """The next free id `{study}-{n}`."""
    while True:
        numbers[study] = numbers.get(study, 0) + 1
        if f"{study}-{numbers[study]}" not in taken:
            return f"{study}-{numbers[study]}"
