"""Build small REFI-QDA projects (.qdpx) in code, for the import tests.

The XML is written with ElementTree in the project namespace and can be checked against
the REFI-QDA schema before a test uses it (`check_schema`).
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import xmlschema

from tests.conftest import ROOT, SHARED

NS = "urn:QDA-XML:project:1.0"
BUNDLED_SCHEMA = ROOT / "kg" / "interchange" / "schemas" / "Project-mrt2019.xsd"
SHARED_SCHEMA = SHARED / "refi-qda" / "Project-mrt2019.xsd"
# the shared copy when the checkout has ../shared beside it (an independent reference); else the
# copy the package ships, which test_export_codebook checks is the same file when both exist
SCHEMA = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else BUNDLED_SCHEMA


def guid(name: str) -> str:
    """A stable GUID for a test item, so expected values can name it."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.rsme-kg.test")).upper()


def q(tag: str) -> str:
    # tags without a namespace, under a root that declares it as the default: ElementTree
    # cannot write a default namespace beside attributes that have none
    return tag


@dataclass
class Coding:
    """A code applied to a selection by a user."""

    code: str  # code GUID
    user: str | None  # user GUID
    created: str = "2026-03-01T10:00:00Z"
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())


@dataclass
class Selection:
    start: int
    end: int
    codings: list[Coding]
    description: str = ""
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())


@dataclass
class Source:
    name: str
    text: str
    selections: list[Selection] = field(default_factory=list)
    inline: bool = False  # PlainTextContent instead of sources/<guid>.txt
    guid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())

    def select(self, words: str, *codings: Coding, nth: int = 0) -> Selection:
        """Select the nth occurrence of `words` (code points) and code it."""
        start = -1
        for _ in range(nth + 1):
            start = self.text.index(words, start + 1)
        selection = Selection(start, start + len(words), list(codings))
        self.selections.append(selection)
        return selection


@dataclass
class Code:
    name: str
    children: list[Code] = field(default_factory=list)
    description: str = ""
    codable: bool = True
    guid: str = ""

    def __post_init__(self) -> None:
        self.guid = self.guid or guid(f"code:{self.name}")


@dataclass
class Project:
    name: str = "Test project"
    users: dict[str, str] = field(default_factory=dict)  # GUID -> name
    codes: list[Code] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def user(self, name: str) -> str:
        """Add a user; its GUID."""
        ident = guid(f"user:{name}")
        self.users[ident] = name
        return ident

    def xml(self) -> bytes:
        root = ET.Element("Project", {"xmlns": NS, "name": self.name, "origin": "rsme-kg tests"})
        if self.users:
            users = ET.SubElement(root, q("Users"))
            for ident, name in self.users.items():
                ET.SubElement(users, q("User"), {"guid": ident, "name": name})
        if self.codes:
            codes = ET.SubElement(ET.SubElement(root, q("CodeBook")), q("Codes"))
            for code in self.codes:
                _code(codes, code)
        if self.sources:
            sources = ET.SubElement(root, q("Sources"))
            for source in self.sources:
                _source(sources, source)
        ET.indent(root)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def entries(self) -> dict[str, bytes]:
        """The archive's entries: project.qde and the source texts not given inline."""
        files = {"project.qde": self.xml()}
        for source in self.sources:
            if not source.inline:
                files[f"sources/{source.guid}.txt"] = source.text.encode("utf-8")
        return files

    def write(self, path: Path, extra: dict[str, bytes] | None = None) -> Path:
        write_zip(path, {**self.entries(), **(extra or {})})
        return path


def _code(parent: ET.Element, code: Code) -> None:
    node = ET.SubElement(
        parent,
        q("Code"),
        {"guid": code.guid, "name": code.name, "isCodable": str(code.codable).lower()},
    )
    if code.description:
        ET.SubElement(node, q("Description")).text = code.description
    for child in code.children:
        _code(node, child)


def _source(parent: ET.Element, source: Source) -> None:
    attributes = {"guid": source.guid, "name": source.name}
    if not source.inline:
        attributes["plainTextPath"] = f"internal://{source.guid}.txt"
    node = ET.SubElement(parent, q("TextSource"), attributes)
    if source.inline:
        ET.SubElement(node, q("PlainTextContent")).text = source.text
    for selection in source.selections:
        sel = ET.SubElement(
            node,
            q("PlainTextSelection"),
            {
                "guid": selection.guid,
                "startPosition": str(selection.start),
                "endPosition": str(selection.end),
            },
        )
        if selection.description:
            ET.SubElement(sel, q("Description")).text = selection.description
        for coding in selection.codings:
            attrs = {"guid": coding.guid, "creationDateTime": coding.created}
            if coding.user:
                attrs["creatingUser"] = coding.user
            ET.SubElement(
                ET.SubElement(sel, q("Coding"), attrs), q("CodeRef"), {"targetGUID": coding.code}
            )


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    """A zip archive of the given entries (deflated)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@cache
def _schema() -> xmlschema.XMLSchema:
    """The REFI-QDA project schema, compiled once (a quarter of a second each time)."""
    return xmlschema.XMLSchema(str(SCHEMA))


def check_schema(xml: bytes) -> None:
    """Fail unless the XML is a valid REFI-QDA project (the shared copy of the schema)."""
    _schema().validate(io.BytesIO(xml))
