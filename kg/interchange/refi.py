"""Read REFI-QDA files (QDA-XML 1.0): a project (`.qdpx`) or a codebook (`.qdc`).

The reader only reads: users, the code tree, text sources with their plain text, and the
coded selections. Matching them to the corpus is kg/interchange/qdpx.py's job.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, Location
from kg.interchange import archive, safexml
from kg.interchange.safexml import CODEBOOK_NS, CODEBOOK_XSD, PROJECT_NS, PROJECT_XSD

PROJECT_ENTRY = "project.qde"
INTERNAL = "internal://"


def guid_key(guid: str) -> str:
    """A GUID as compared here: upper case, without braces.

    >>> guid_key("{0d62985d-b147-5d01-a9b5-cae5dcd98342}")
    '0D62985D-B147-5D01-A9B5-CAE5DCD98342'
    """
    return guid.strip().strip("{}").upper()


@dataclass(frozen=True)
class QdaUser:
    """A user of the QDA project (a coder)."""

    guid: str
    name: str
    user_id: str
    line: int | None


@dataclass(frozen=True)
class QdaCode:
    """A code of the codebook; `parent` is the GUID of the enclosing code."""

    guid: str
    name: str
    codable: bool
    description: str
    parent: str | None
    line: int | None


@dataclass(frozen=True)
class QdaCoding:
    """One application of a code to a selection, by one user at one time."""

    guid: str
    code: str
    user: str | None
    created: str
    line: int | None


@dataclass(frozen=True)
class QdaSelection:
    """A selection of a text source: code points start (from 0) to end (exclusive)."""

    guid: str
    start: int
    end: int
    description: str
    codings: tuple[QdaCoding, ...]
    line: int | None


@dataclass(frozen=True)
class QdaSource:
    """A text source with its plain text (None when the project holds none)."""

    guid: str
    name: str
    text: str | None
    selections: tuple[QdaSelection, ...]
    line: int | None


@dataclass
class QdaProject:
    """What the import uses of a REFI-QDA project."""

    name: str
    where: str
    users: dict[str, QdaUser] = field(default_factory=dict)
    codes: dict[str, QdaCode] = field(default_factory=dict)
    sources: list[QdaSource] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _line(element: ET.Element) -> int | None:
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) else None


def _text(element: ET.Element | None) -> str:
    return "" if element is None or element.text is None else element.text


def read_codes(parent: ET.Element | None, ns: str) -> dict[str, QdaCode]:
    """The code tree under a <Codes> element, depth first, keyed by GUID."""
    codes: dict[str, QdaCode] = {}

    def walk(element: ET.Element, parent_guid: str | None) -> None:
        for node in element.findall(f"{{{ns}}}Code"):
            guid = guid_key(node.get("guid", ""))
            codes[guid] = QdaCode(
                guid=guid,
                name=node.get("name", "").strip(),
                codable=node.get("isCodable", "true").strip() in ("true", "1"),
                description=_text(node.find(f"{{{ns}}}Description")).strip(),
                parent=parent_guid,
                line=_line(node),
            )
            walk(node, guid)

    if parent is not None:
        walk(parent, None)
    return codes


def read_codebook(path: Path) -> dict[str, QdaCode]:
    """The codes of a REFI-QDA codebook file (.qdc), validated against its schema."""
    data = _read_file(path)
    root = safexml.parse(data, str(path))
    safexml.validate(root, CODEBOOK_XSD, str(path))
    return read_codes(root.find(f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc.strerror}") from exc


def read_project(path: Path, limits: archive.Limits | None = None) -> QdaProject:
    """Read a .qdpx project: validate project.qde against the schema, load the source texts."""
    with archive.open_archive(path, limits) as zipped:
        if not zipped.has(PROJECT_ENTRY):
            found = ", ".join(zipped.names()[:5]) or "nothing"
            raise InputError(
                Location(path),
                f"the archive holds no {PROJECT_ENTRY} (it holds {found})",
                "a REFI-QDA project: project.qde at the top of the zip, sources in sources/",
            )
        where = zipped.where(PROJECT_ENTRY)
        root = safexml.parse(zipped.read(PROJECT_ENTRY), where)
        safexml.validate(root, PROJECT_XSD, where)
        return _project(root, zipped, where)


def _q(name: str) -> str:
    return f"{{{PROJECT_NS}}}{name}"


def _project(root: ET.Element, zipped: archive.Archive, where: str) -> QdaProject:
    project = QdaProject(name=root.get("name", ""), where=where)
    for node in root.iterfind(f"{_q('Users')}/{_q('User')}"):
        guid = guid_key(node.get("guid", ""))
        project.users[guid] = QdaUser(
            guid, node.get("name", "").strip(), node.get("id", "").strip(), _line(node)
        )
    project.codes = read_codes(root.find(f"{_q('CodeBook')}/{_q('Codes')}"), PROJECT_NS)
    sources = root.find(_q("Sources"))
    for node in [] if sources is None else list(sources):
        kind = safexml.local(node.tag)
        if kind == "TextSource":
            project.sources.append(_source(node, zipped, where, project))
        elif codings := len(list(node.iter(_q("Coding")))):
            project.skipped.append(
                f"{kind} {node.get('name', '')!r}: {codings} coding(s) not imported "
                "(only text sources give verbatim quotes)"
            )
    return project


def _source(
    node: ET.Element, zipped: archive.Archive, where: str, project: QdaProject
) -> QdaSource:
    name = node.get("name", "").strip()
    whole = node.findall(_q("Coding"))
    if whole:
        project.skipped.append(
            f"TextSource {name!r}: {len(whole)} coding(s) of the whole source not imported "
            "(a code needs a selection to quote)"
        )
    selections = tuple(
        QdaSelection(
            guid=guid_key(sel.get("guid", "")),
            start=int(sel.get("startPosition", "0")),
            end=int(sel.get("endPosition", "0")),
            description=_text(sel.find(_q("Description"))).strip(),
            codings=tuple(_coding(c, sel) for c in sel.findall(_q("Coding"))),
            line=_line(sel),
        )
        for sel in node.findall(_q("PlainTextSelection"))
    )
    text = _source_text(node, zipped, where) if selections else None
    return QdaSource(guid_key(node.get("guid", "")), name, text, selections, _line(node))


def _coding(node: ET.Element, selection: ET.Element) -> QdaCoding:
    ref = node.find(_q("CodeRef"))
    # a coding without its own user or time inherits the selection's (tools differ)
    user = node.get("creatingUser") or selection.get("creatingUser")
    return QdaCoding(
        guid=guid_key(node.get("guid", "")),
        code=guid_key("" if ref is None else ref.get("targetGUID", "")),
        user=guid_key(user) if user else None,
        created=(node.get("creationDateTime") or selection.get("creationDateTime") or "").strip(),
        line=_line(node),
    )


def _source_text(node: ET.Element, zipped: archive.Archive, where: str) -> str | None:
    """The plain text a source's selections count in: inline, or an internal:// entry."""
    inline = node.find(_q("PlainTextContent"))
    if inline is not None:
        return _text(inline)
    path = node.get("plainTextPath", "").strip()
    if not path:
        return None
    location = Location(where, _line(node), None, "plainTextPath")
    if not path.startswith(INTERNAL):
        raise InputError(
            location,
            f"the source text {path!r} lies outside the project file",
            "sources embedded in the .qdpx (internal://...); export the project with its sources",
        )
    entry = "sources/" + path[len(INTERNAL) :]
    if archive.unsafe_name(entry) or not zipped.has(entry):
        raise InputError(location, f"the archive has no entry {entry!r}", "the source's text file")
    data = zipped.read(entry)
    try:
        return data.decode("utf-8-sig")  # offsets count the text, not a byte-order mark
    except UnicodeDecodeError as exc:
        raise InputError(
            Location(zipped.where(entry)),
            f"the source text is not UTF-8 (byte {exc.start})",
            "UTF-8 plain text, as REFI-QDA requires",
        ) from exc
