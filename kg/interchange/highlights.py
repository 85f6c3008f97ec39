"""Import a highlights table (document, tag, content): each highlight becomes a full-text code.

Taguette exports its highlights as CSV with the columns `id,document,tag,content`
(taguette/export.py, `highlights_csv`): one row per highlight and tag, `document` the
document's name as the user gave it, `content` the highlighted text as plain text. Any tool
that writes the columns `document`, `tag`, `content` (`id` optional) is read the same way.

There are no offsets in such a table: each `content` must occur exactly once, verbatim, in
the study's source text (data/sources/<study>.txt, or a text in --sources), which locates
it by code points. The rows are then read into the records a REFI-QDA project gives
(kg/interchange/refi.py) and imported by `Target.import_codings`, so documents, tags and the
coder are matched, checked and written exactly as `import qdpx` does. Rules:
docs/data-format.md.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath

from kg.errors import InputError, Location
from kg.ingest.corpus import CODERS, SOURCES, read_source, suggest
from kg.interchange.codebook_import import tag_guid
from kg.interchange.qdpx import Target
from kg.interchange.refi import (
    QdaCode,
    QdaCoding,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
)
from kg.interchange.sheets import SheetRow, Wanted, read_sheet
from kg.interchange.taxonomy import Taxonomy
from kg.interchange.writer import Report

COLUMNS = [
    Wanted("document", expected="the name of the document the highlight is in"),
    Wanted("tag", expected="the tag (code) of the highlight"),
    Wanted("content", expected="the highlighted words, as in the source text"),
    Wanted("id", required=False, expected="the highlight's id in the QDA program"),
]
# GUIDs of what a table names without GUIDs, so that the ledger finds them again
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://w3id.org/rsme-kg/highlights")
_SHOWN = 60  # code points of a quote shown in a message
_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&(#\d+|#x[0-9a-fA-F]+|[a-z]+);")


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts))).upper()


@dataclass(frozen=True)
class _Highlight:
    """One row of the table, its values trimmed."""

    row: SheetRow
    document: str
    tag: str
    content: str
    ident: str


def import_highlights(
    path: Path,
    data_dir: Path,
    *,
    coder: str,
    sources_dir: Path | None = None,
    mapping_file: Path | None = None,
    allow_new: bool = False,
    dry_run: bool = False,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """Import the highlights of a table as full-text codes by `coder`."""
    target = Target.open(data_dir, mapping_file, taxonomy)
    agents = {a.id: a for a in target.corpus.agents}
    if coder not in agents:
        raise InputError(
            Location("--coder"),
            f"no coder {coder!r} in {data_dir / CODERS}.{suggest(coder, agents)}",
            "the id of a coder of coders.csv; add the coder there first, as a line "
            "`id,name,kind` (e.g. `sara-karimi,Sara Karimi,person`)",
        )
    if sources_dir is not None and not sources_dir.is_dir():
        raise InputError(
            Location(sources_dir), "no such folder", "--sources: a folder of UTF-8 plain texts"
        )
    user = QdaUser(_guid("coder", coder), agents[coder].name, coder, None)
    project = read_highlights(path, target, user, sources_dir)
    return target.import_codings(
        project, allow_new=allow_new, dry_run=dry_run, coders={user.guid: coder}
    )


def read_highlights(
    path: Path, target: Target, user: QdaUser, sources_dir: Path | None
) -> QdaProject:
    """The table as a project: documents with their texts, each highlight a selection.

    Problems with single rows (a quote not found, or found twice) are collected in the
    project's `errors`, to be said with the import's own.
    """
    sheet = read_sheet(path, COLUMNS, "a highlights table (document,tag,content)")
    project = QdaProject(
        name=path.name,
        where=str(path),
        users={user.guid: user},
        label=f"highlights {path.name!r}",
        coded_on=date.today().isoformat(),
    )
    rows = _rows(sheet.rows, project)
    if sheet.ignored:
        project.notes.append(f"columns not read: {', '.join(sheet.ignored)}")
    documents: dict[str, list[_Highlight]] = {}
    for row in rows:
        documents.setdefault(row.document, []).append(row)
    for tag_rows in _by_tag(rows).values():
        first = tag_rows[0]
        project.codes[tag_guid(first.tag)] = QdaCode(
            guid=tag_guid(first.tag),
            name=first.tag,
            codable=True,
            description="",
            parent=None,
            line=first.row.line,
            noun="tag",
            field=first.row.location("tag").field or "tag",
            column=first.row.columns.get("tag"),
            show_guid=False,
        )
    reading = _Texts(project, target, sources_dir)
    for name, highlights in documents.items():
        project.sources.append(reading.source(name, highlights, user))
    project.summary = (
        f"highlights {path.name!r}: {len(rows)} highlight(s) with a tag, "
        f"{len(project.codes)} tag(s), {len(documents)} document(s), coder {user.user_id}"
    )
    return project


def _rows(rows: list[SheetRow], project: QdaProject) -> list[_Highlight]:
    """The highlights to import: untagged ones left out, repeated rows read once."""
    kept: list[_Highlight] = []
    seen: dict[tuple[str, ...], int] = {}
    untagged = 0
    for row in rows:
        values = {k: v.strip() for k, v in row.values.items()}
        highlight = _Highlight(
            row, values["document"], values["tag"], values["content"], values.get("id", "")
        )
        if not highlight.tag:
            untagged += 1  # Taguette writes a highlight without tags with an empty tag
            continue
        for name in ("document", "content"):
            if not values[name]:
                project.errors.append(
                    InputError(row.location(name), "the value is empty", _expected(name))
                )
        if not highlight.document or not highlight.content:
            continue
        key = (highlight.document, highlight.tag, highlight.content, highlight.ident)
        if key in seen:
            project.notes.append(f"{row.path}, line {row.line} repeats line {seen[key]}: read once")
            continue
        seen[key] = row.line
        kept.append(highlight)
    if untagged:
        project.skipped.append(f"{untagged} highlight(s) without a tag: not imported")
    return kept


def _expected(name: str) -> str:
    return next(c.expected for c in COLUMNS if c.name == name)


def _by_tag(rows: list[_Highlight]) -> dict[str, list[_Highlight]]:
    tags: dict[str, list[_Highlight]] = {}
    for row in rows:
        tags.setdefault(row.tag, []).append(row)
    return tags


class _Texts:
    """Find each document's study and text, and each highlight in it."""

    def __init__(self, project: QdaProject, target: Target, sources_dir: Path | None) -> None:
        self.project = project
        self.target = target
        self.sources_dir = sources_dir
        self.resolver = target.sources(project)
        self.codings: dict[str, int] = {}  # coding GUID -> line

    def source(self, name: str, highlights: list[_Highlight], user: QdaUser) -> QdaSource:
        """The document as a text source; its highlights located as selections."""
        first = highlights[0].row
        source = QdaSource(
            guid=_guid("document", name),
            name=name,
            text=None,
            selections=(),
            line=first.line,
            noun="document",
            field=first.location("document").field or "document",
            column=first.columns.get("document"),
            show_guid=False,
        )
        try:
            resolved = self.resolver.resolve(source)
        except InputError as exc:
            self.project.errors.append(exc)
            return source
        if resolved.id is None:
            self.project.skipped.append(
                f"document {name!r}: {len(highlights)} highlight(s) not imported "
                "(skipped by the mapping)"
            )
            return source
        found = self._text(name, resolved.id, first)
        if found is None:
            return source
        text, where = found
        selections = [s for h in highlights if (s := self._locate(h, text, where, user))]
        return QdaSource(
            guid=source.guid,
            name=name,
            text=text,
            selections=tuple(selections),
            line=source.line,
            noun=source.noun,
            field=source.field,
            column=source.column,
            show_guid=False,
        )

    def _text(self, name: str, study: str, row: SheetRow) -> tuple[str, Path] | None:
        """The text of a document's study, and the file it is read from."""
        stored = self.target.changes.data_dir / SOURCES / f"{study}.txt"
        candidates: list[Path] = []
        if self.sources_dir is not None:
            # plain texts only: a document is often named after the file it was made from
            # (ruzzier-2007.docx), which may lie beside its .txt
            names = [name, f"{name}.txt", f"{study}.txt"]
            if _plain_name(name):
                names.insert(2, f"{PurePath(name).stem}.txt")
            candidates = [
                self.sources_dir / n
                for n in dict.fromkeys(names)
                if n.lower().endswith(".txt") and _plain_name(n)
            ]
        candidates.append(stored)
        for path in candidates:
            if path.is_file():
                try:
                    return read_source(path), path
                except InputError as exc:
                    self.project.errors.append(exc)
                    return None
        looked = ", ".join(str(p) for p in candidates)
        self.project.errors.append(
            InputError(
                row.location("document"),
                f"no text for document {name!r} (study {study}): none of {looked} exists",
                "the study's text in data/sources/<study>.txt, or --sources DIR holding "
                "<document>.txt or <study>.txt (UTF-8 plain text)",
            )
        )
        return None

    def _locate(
        self, highlight: _Highlight, text: str, where: Path, user: QdaUser
    ) -> QdaSelection | None:
        """The one place of the content in the text, as a selection with one coding."""
        content, row = highlight.content, highlight.row
        at = _occurrences(text, content)
        location = row.location("content")
        if len(at) > 1:
            places = " and ".join(f"{a}..{a + len(content)}" for a in at[:2])
            more = f" (and {len(at) - 2} more)" if len(at) > 2 else ""
            self.project.errors.append(
                InputError(
                    location,
                    f"the content {_shown(content)} occurs {len(at)} times in {where}, at code "
                    f"points {places}{more}: which one is highlighted cannot be told",
                    "content that occurs once in the text (widen the highlight in the QDA "
                    "program until it does)",
                )
            )
            return None
        if not at:
            self.project.errors.append(
                InputError(
                    location,
                    f"the content {_shown(content)} does not occur in {where}"
                    + _near(text, content),
                    "the highlighted words exactly as the source text has them",
                )
            )
            return None
        start = at[0]
        # the ledger keys a coding by its GUID: the program's highlight id where there is
        # one (a highlight moved in the program then updates its code), else its place
        ident = highlight.ident or f"{start}..{start + len(content)}"
        guid = _guid("highlight", user.user_id, highlight.document, ident, highlight.tag)
        if guid in self.codings:
            self.project.errors.append(
                InputError(
                    row.location("id"),
                    f"highlight {ident} of document {highlight.document!r} is tagged "
                    f"{highlight.tag!r} also on line {self.codings[guid]}, with other content",
                    "one row per highlight and tag",
                )
            )
            return None
        self.codings[guid] = row.line
        coding = QdaCoding(
            guid=guid,
            code=tag_guid(highlight.tag),
            user=user.guid,
            created="",
            line=row.line,
        )
        return QdaSelection(
            guid=_guid("selection", highlight.document, str(start), str(start + len(content))),
            start=start,
            end=start + len(content),
            description="",
            codings=(coding,),
            line=row.line,
        )


def _plain_name(name: str) -> bool:
    """Whether a document name can name a file in --sources (no path, nothing hidden)."""
    return bool(name) and not (
        set(name) & {"/", "\\", "\0"} or name.startswith(".") or name in ("..", ".")
    )


def _occurrences(text: str, content: str) -> list[int]:
    """Every start of `content` in `text`, overlapping ones included."""
    found: list[int] = []
    at = text.find(content)
    while at >= 0:
        found.append(at)
        at = text.find(content, at + 1)
    return found


def _shown(quote: str) -> str:
    return repr(quote if len(quote) <= _SHOWN else quote[:_SHOWN] + "...")


def _loose(text: str) -> tuple[str, list[int]]:
    """Text with white-space runs as one space, case-folded; each character's origin."""
    out: list[str] = []
    origin: list[int] = []
    space = False
    for index, char in enumerate(text):
        if char.isspace():
            if not space:
                out.append(" ")
                origin.append(index)
            space = True
            continue
        space = False
        for folded in char.casefold():
            out.append(folded)
            origin.append(index)
    return "".join(out), origin


def _near(text: str, content: str) -> str:
    """A hint for content not found verbatim: where it is once white space and case are
    ignored (a hint only, not a match), or that it looks like HTML."""
    loose_text, origin = _loose(text)
    loose_content = _loose(content)[0].strip()
    found = loose_text.find(loose_content) if loose_content else -1
    if found >= 0:
        start = origin[found]
        end = origin[found + len(loose_content) - 1] + 1
        again = loose_text.find(loose_content, found + 1) >= 0
        return (
            f"; ignoring white space and case it is found at code points {start}..{end} "
            f"({_shown(text[start:end])}){' and elsewhere' if again else ''}: correct the "
            "content, or the text"
        )
    if _HTML.search(content):
        return "; the content looks like HTML: the table should hold the plain text"
    return ""
