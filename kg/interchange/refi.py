"""Read REFI-QDA files (QDA-XML 1.0): a project (`.qdpx`) or a codebook (`.qdc`).

The reader only reads: users, the code tree, text sources with their plain text, and the
coded selections. Files that deviate from the schema in harmless ways are read, each
deviation a warning (kg/interchange/lenient.py); GUIDs that name two items of one kind are
refused. Matching the items to the corpus is kg/interchange/qdpx.py's job.

Other readers (a highlights table, a CSV codebook) build the same records, so that one
matching and one writer serve every format: such records name their origin (`noun`,
`field`, `column`) and say whether their GUID was read or derived (`show_guid`).
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from kg.errors import InputError, InputErrors, Location
from kg.interchange import archive, lenient, safexml
from kg.interchange.lenient import Deviation
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
class _Named:
    """How messages name an item and where its name was read."""

    noun = "item"

    @property
    def named(self) -> str:
        """'code 'Networks'' (or 'tag 'Networks'', 'document 'Interview 7'')."""
        return f"{self.noun} {getattr(self, 'name', '')!r}"

    @property
    def label(self) -> str:
        """The name and, when it was read from the file, the GUID."""
        if getattr(self, "show_guid", True):
            return f"{self.named} ({getattr(self, 'guid', '')})"
        return self.named


@dataclass(frozen=True)
class QdaCode(_Named):
    """A code of the codebook; `parent` is the GUID of the enclosing code."""

    guid: str
    name: str
    codable: bool
    description: str
    parent: str | None
    line: int | None
    noun: str = "code"  # "tag" in a highlights table or a CSV codebook
    field: str = "name"  # the attribute or column its name was read from
    column: int | None = None
    show_guid: bool = True  # False when the GUID was derived from the name, not read


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
class QdaSource(_Named):
    """A text source with its plain text (None when the project holds none)."""

    guid: str
    name: str
    text: str | None
    selections: tuple[QdaSelection, ...]
    line: int | None
    noun: str = "text source"  # "document" in a highlights table
    field: str = "name"
    column: int | None = None
    show_guid: bool = True


@dataclass
class QdaProject:
    """What the import uses of a REFI-QDA project (or of a file read into the same shape)."""

    name: str
    where: str
    users: dict[str, QdaUser] = field(default_factory=dict)
    codes: dict[str, QdaCode] = field(default_factory=dict)
    sources: list[QdaSource] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[Deviation] = field(default_factory=list)  # harmless deviations, located
    errors: list[InputError] = field(default_factory=list)  # found reading, said with the rest
    label: str = ""  # how the report names the file; "project '<name>'" if empty
    summary: str = ""  # the report's first line, when the file is no REFI-QDA project
    coded_on: str | None = None  # the date of every code, for files without coding dates


def _line(element: ET.Element) -> int | None:
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) else None


def _text(element: ET.Element | None) -> str:
    return "" if element is None or element.text is None else element.text


def read_codes(parent: ET.Element | None, ns: str, where: str) -> dict[str, QdaCode]:
    """The code tree under a <Codes> element, depth first, keyed by GUID (each GUID once)."""
    codes: dict[str, QdaCode] = {}
    errors: list[InputError] = []

    def walk(element: ET.Element, parent_guid: str | None) -> None:
        for node in element.findall(f"{{{ns}}}Code"):
            guid = guid_key(node.get("guid", ""))
            if guid in codes:
                errors.append(_twice("code", guid, where, _line(node), codes[guid].line))
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
    if errors:
        raise InputErrors(errors)
    return codes


def _twice(kind: str, guid: str, where: str, line: int | None, first: int | None) -> InputError:
    """The error for a GUID that names a second item of one kind."""
    return InputError(
        Location(where, line, None, "guid"),
        f"the {kind} GUID {guid} is also the GUID of the {kind} of line {first}",
        f"a GUID of its own for each <{kind[0].upper()}{kind[1:]}> (one of them would be lost)",
    )


def read_codebook_file(path: Path) -> QdaProject:
    """A REFI-QDA codebook file (.qdc) as a project with codes only, and its deviations."""
    data = _read_file(path)
    where = str(path)
    root = safexml.parse(data, where)
    warnings = lenient.read(root, CODEBOOK_XSD, where)
    codes = read_codes(root.find(f"{{{CODEBOOK_NS}}}Codes"), CODEBOOK_NS, where)
    return QdaProject(name=root.get("origin", ""), where=where, codes=codes, warnings=warnings)


def read_codebook(path: Path) -> dict[str, QdaCode]:
    """The codes of a REFI-QDA codebook file (.qdc), read as `read_codebook_file` reads it."""
    return read_codebook_file(path).codes


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
        data = zipped.read(PROJECT_ENTRY)
        root = safexml.parse(data, where)
        warnings = lenient.read(root, PROJECT_XSD, where)
        users = _users(root)
        project = _project(root, zipped, where, _inline_texts(data, root, where))
        project.users = {user.guid: user for user in users}
        project.warnings = warnings
        _check_guids(project, users)
        return project


def _q(name: str) -> str:
    return f"{{{PROJECT_NS}}}{name}"


def _project(
    root: ET.Element, zipped: archive.Archive, where: str, inline: dict[int, str]
) -> QdaProject:
    project = QdaProject(name=root.get("name", ""), where=where)
    project.codes = read_codes(root.find(f"{_q('CodeBook')}/{_q('Codes')}"), PROJECT_NS, where)
    sources = root.find(_q("Sources"))
    for node in [] if sources is None else list(sources):
        kind = safexml.local(node.tag)
        if kind == "TextSource":
            project.sources.append(_source(node, zipped, where, project, inline))
        elif codings := len(list(node.iter(_q("Coding")))):
            project.skipped.append(
                f"{kind} {node.get('name', '')!r}: {codings} coding(s) not imported "
                "(only text sources give verbatim quotes)"
            )
    return project


def _source(
    node: ET.Element,
    zipped: archive.Archive,
    where: str,
    project: QdaProject,
    inline: dict[int, str],
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
    text = _source_text(node, zipped, where, inline) if selections else None
    content = node.find(_q("PlainTextContent"))
    if text is not None and content is not None and id(content) in inline:
        project.notes.append(
            f"TextSource {name!r}: its PlainTextContent has carriage returns (CR LF line "
            "ends); kept as written, so the selections count them as the QDA tool did"
        )
    return QdaSource(guid_key(node.get("guid", "")), name, text, selections, _line(node))


def _users(root: ET.Element) -> list[QdaUser]:
    return [
        QdaUser(
            guid_key(node.get("guid", "")),
            node.get("name", "").strip(),
            node.get("id", "").strip(),
            _line(node),
        )
        for node in root.iterfind(f"{_q('Users')}/{_q('User')}")
    ]


def _check_guids(project: QdaProject, users: list[QdaUser]) -> None:
    """A GUID names one user, one text source, one coding: the import keys them by it."""
    codings = [c for s in project.sources for sel in s.selections for c in sel.codings]
    kinds: list[tuple[str, list[tuple[str, int | None]]]] = [
        ("user", [(u.guid, u.line) for u in users]),
        ("source", [(s.guid, s.line) for s in project.sources]),
        ("coding", [(c.guid, c.line) for c in codings]),
    ]
    errors: list[InputError] = []
    for kind, items in kinds:
        first: dict[str, int | None] = {}
        for guid, line in items:
            if guid in first:
                errors.append(_twice(kind, guid, project.where, line, first[guid]))
            else:
                first[guid] = line
    if errors:
        raise InputErrors(errors)


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


def _source_text(
    node: ET.Element, zipped: archive.Archive, where: str, inline: dict[int, str]
) -> str | None:
    """The plain text a source's selections count in: inline, or an internal:// entry."""
    content = node.find(_q("PlainTextContent"))
    if content is not None:
        return inline.get(id(content), _text(content))
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
    entry = _entry(zipped, "sources/" + path[len(INTERNAL) :], location)
    data = zipped.read(entry)
    try:
        return data.decode("utf-8-sig")  # offsets count the text, not a byte-order mark
    except UnicodeDecodeError as exc:
        raise InputError(
            Location(zipped.where(entry)),
            f"the source text is not UTF-8 (byte {exc.start})",
            "UTF-8 plain text, as REFI-QDA requires",
        ) from exc


def _entry(zipped: archive.Archive, wanted: str, location: Location) -> str:
    """The archive entry of a source path; its case does not matter (NVivo writes Sources/)."""
    if archive.unsafe_name(wanted):
        raise InputError(location, f"the archive has no entry {wanted!r}", "the source's text file")
    key = wanted.replace("\\", "/").casefold()
    found = [n for n in zipped.names() if n.replace("\\", "/").casefold() == key]
    if len(found) > 1:
        raise InputError(
            location,
            f"several archive entries match {wanted!r}: {', '.join(found)}",
            "one entry per source text (entry names that differ only in case are ambiguous)",
        )
    if not found:
        raise InputError(location, f"the archive has no entry {wanted!r}", "the source's text file")
    return found[0]


_INLINE = re.compile(
    r"<(?:[A-Za-z_][\w.-]*:)?PlainTextContent(?:\s[^>]*?)?(?:/>|>(.*?)"
    r"</(?:[A-Za-z_][\w.-]*:)?PlainTextContent\s*>)",
    re.S,
)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _inline_texts(data: bytes, root: ET.Element, where: str) -> dict[int, str]:
    """The inline texts (PlainTextContent) that hold carriage returns, as written.

    An XML reader turns every CR LF (and lone CR) of the document into LF, but the QDA
    tool counted its selections in the text it wrote, CRs included; read as parsed, every
    selection after a line end would shift. Such texts are read again from the document
    with their CRs kept; by element (its id()), for the elements that need it.
    """
    # in the order of the document, which the match below follows (the reading may have
    # put the tree in the schema's order)
    elements = sorted(root.iter(_q("PlainTextContent")), key=lambda e: getattr(e, "order", 0))
    if not elements or b"\r" not in data:  # also true of UTF-16, whose CR is 0D 00 or 00 0D
        return {}
    location = Location(where, None, None, "PlainTextContent")
    problem = InputError(
        location,
        "the inline source texts hold carriage returns (CR) that cannot be located in the "
        "document, so the selections' offsets cannot be counted as the QDA tool counted them",
        "the project exported with its sources as files (plainTextPath), or LF line ends",
    )
    text = _decode(data)
    if text is None:
        raise problem
    if "\r" not in text:
        return {}
    found = list(_INLINE.finditer(text))
    if len(found) != len(elements):
        raise problem
    texts: dict[int, str] = {}
    for element, match in zip(elements, found, strict=True):
        raw = match.group(1) or ""
        if "\r" not in raw:
            continue
        kept = _with_crs(raw)
        if kept is None or kept.replace("\r\n", "\n").replace("\r", "\n") != _text(element):
            raise problem
        texts[id(element)] = kept
    return texts


def _decode(data: bytes) -> str | None:
    """An XML document's text, in the encoding its byte-order mark or declaration names."""
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[3:], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _DECLARED.match(data)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _with_crs(raw: str) -> str | None:
    """The character data of an element's content as written, CRs kept; None if unsure."""
    if "<![CDATA[" in raw or "<!DOCTYPE" in raw or "<!ENTITY" in raw:
        return None  # CDATA cannot keep an escaped CR; entities were refused already
    parts: list[str] = []
    parser = expat.ParserCreate()
    parser.CharacterDataHandler = parts.append
    try:
        # a CR escaped as a character reference survives the reader's line-end handling
        parser.Parse(f"<t>{raw.replace(chr(13), '&#13;')}</t>", True)
    except expat.ExpatError:
        return None
    return "".join(parts)
