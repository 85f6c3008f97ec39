"""Parse untrusted XML safely, keep the line of every element, validate against an XSD.

defusedxml refuses DTDs, entity declarations (XXE, "billion laughs") and external
references before they can do harm. Elements are built by ElementTree's TreeBuilder from
the parser's events, so each one remembers its source line for error messages
(`sourceline`, the attribute xmlschema reports too).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl, Locator

import xmlschema
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from kg.errors import InputError, InputErrors, Location

SCHEMAS = Path(__file__).parent / "schemas"
PROJECT_XSD = SCHEMAS / "Project-mrt2019.xsd"
CODEBOOK_XSD = SCHEMAS / "Codebook.xsd"
PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
MAX_SCHEMA_ERRORS = 10  # the first few say what is wrong; hundreds would bury them
MAX_DEPTH = 200  # REFI-QDA trees are shallow; deeper nesting only exhausts the stack


class _TooDeep(Exception):
    def __init__(self, line: int | None) -> None:
        self.line = line


class LineElement(ET.Element):
    """An ElementTree element that knows the line it started on and its place in the file."""

    sourceline: int | None = None
    order: int = 0  # the n-th start tag of the document (the tree may be reordered later)


def _clark(name: tuple[str | None, str]) -> str:
    uri, local = name
    return f"{{{uri}}}{local}" if uri else local


class _Builder(ContentHandler):
    """SAX events (namespace-aware) to a tree of LineElements."""

    def __init__(self) -> None:
        super().__init__()
        self.builder = ET.TreeBuilder(element_factory=LineElement)
        self.locator: Locator | None = None
        self.depth = 0
        self.started = 0

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl
    ) -> None:
        line = None if self.locator is None else self.locator.getLineNumber()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(line)
        attributes = {_clark(key): value for key, value in attrs.items()}
        element = self.builder.start(_clark(name), attributes)
        if isinstance(element, LineElement):
            element.sourceline = line
            element.order = self.started
        self.started += 1

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        self.depth -= 1
        self.builder.end(_clark(name))

    def characters(self, content: str) -> None:
        self.builder.data(content)


def parse(data: bytes, where: str) -> LineElement:
    """Parse XML bytes into a tree; refuse DTDs and entities; InputError on malformed XML."""
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    handler = _Builder()
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except DefusedXmlException as exc:
        raise InputError(
            Location(where),
            f"the XML declares a DTD, entities or external references ({exc}); "
            "they are refused because they can read local files or expand without bound",
            "plain XML without <!DOCTYPE> or <!ENTITY> declarations",
        ) from exc
    except _TooDeep as exc:
        raise InputError(
            Location(where, exc.line),
            f"elements are nested more than {MAX_DEPTH} deep",
            "a REFI-QDA file (its code tree is a few levels deep)",
        ) from exc
    except LookupError as exc:  # the declaration names an encoding Python does not know
        raise InputError(
            Location(where, 1),
            f"the XML declares an unknown encoding ({exc})",
            "XML in UTF-8 (or UTF-16), as REFI-QDA requires",
        ) from exc
    except SAXParseException as exc:
        column = exc.getColumnNumber()
        raise InputError(
            Location(where, exc.getLineNumber(), None if column is None else column + 1),
            f"malformed XML: {exc.getMessage()}",
            "well-formed XML",
        ) from exc
    root = handler.builder.close()
    assert isinstance(root, LineElement)
    return root


@cache
def schema(path: Path) -> xmlschema.XMLSchema:
    """The XSD at `path`, loaded once."""
    return xmlschema.XMLSchema(str(path))


def local(tag: str) -> str:
    """The local name of a Clark-notation tag: '{urn:...}Code' -> 'Code'."""
    return tag.rsplit("}", 1)[-1]


def _short_path(path: str | None) -> str:
    if not path:
        return ""
    return "/".join(local(step) for step in path.split("/"))


def validate(root: ET.Element, xsd: Path, where: str) -> None:
    """Raise InputErrors listing (the first few) places where `root` breaks the schema."""
    errors: list[InputError] = []
    for error in schema(xsd).iter_errors(root):
        line = getattr(error.elem, "sourceline", None)
        path = _short_path(error.path)
        errors.append(
            InputError(
                Location(where, line if isinstance(line, int) else None, None, path or None),
                f"not valid REFI-QDA: {error.reason}",
                f"XML that follows {xsd.name}",
            )
        )
        if len(errors) >= MAX_SCHEMA_ERRORS:
            break
    if errors:
        raise InputErrors(errors)


def serialize(root: ET.Element) -> bytes:
    """UTF-8 XML with a declaration, indented for readers and diffs.

    Build the tree with plain tag names and an `xmlns` attribute on the root: ElementTree
    cannot write a default namespace beside attributes that have none.
    """
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + text.encode("utf-8") + b"\n"
