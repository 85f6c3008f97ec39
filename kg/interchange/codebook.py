"""Export the factor taxonomy as a REFI-QDA codebook, so analysts code with our factors.

Categories become parent codes (not codable), factors their codable child codes; names
are the English preferred labels, descriptions the definitions. GUIDs derive from the
concept IRIs (uuid5), so an export is reproducible byte for byte and an import of a
project coded with it finds each factor by GUID. The file is validated before it is
written: `.qdc` against the codebook schema, the `.qdpx` project against the project one.
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from kg import __version__
from kg.errors import UsageError
from kg.interchange import safexml
from kg.interchange.refi import PROJECT_ENTRY
from kg.interchange.safexml import CODEBOOK_NS, CODEBOOK_XSD, PROJECT_NS, PROJECT_XSD
from kg.interchange.taxonomy import Concept, Taxonomy, load_taxonomy

FORMATS = ("qdc", "qdpx")
ORIGIN = f"rsme-kg {__version__}"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same taxonomy, the same bytes


def _code(parent: ET.Element, concept: Concept, codable: bool) -> ET.Element:
    node = ET.SubElement(
        parent,
        "Code",
        {"guid": concept.guid, "name": concept.label, "isCodable": "true" if codable else "false"},
    )
    if concept.definition:
        ET.SubElement(node, "Description").text = concept.definition
    return node


def _codes(parent: ET.Element, taxonomy: Taxonomy) -> None:
    codes = ET.SubElement(parent, "Codes")
    for category in taxonomy.categories:
        node = _code(codes, category, codable=False)
        for factor in taxonomy.factors_of(category.id):
            _code(node, factor, codable=True)


def qdc(taxonomy: Taxonomy) -> bytes:
    """The codebook file (.qdc, namespace urn:QDA-XML:codebook:1.0)."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    _codes(root, taxonomy)
    return _checked(safexml.serialize(root), CODEBOOK_XSD)


def project_qde(taxonomy: Taxonomy) -> bytes:
    """A project.qde holding only the codebook (namespace urn:QDA-XML:project:1.0)."""
    root = ET.Element(
        "Project", {"xmlns": PROJECT_NS, "name": "rsme-kg factor taxonomy", "origin": ORIGIN}
    )
    _codes(ET.SubElement(root, "CodeBook"), taxonomy)
    ET.SubElement(root, "Description").text = (
        f"The factor taxonomy of rsme-kg: {len(taxonomy.categories)} categories as parent "
        f"codes, {len(taxonomy.factors)} factors as codes. Code GUIDs derive from the "
        "concept IRIs (https://w3id.org/rsme-kg/id/...), so `rsme-kg import qdpx` finds "
        "each factor of a project coded with them."
    )
    return _checked(safexml.serialize(root), PROJECT_XSD)


def qdpx(taxonomy: Taxonomy) -> bytes:
    """A .qdpx archive whose project.qde holds the codebook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(PROJECT_ENTRY, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, project_qde(taxonomy))
    return buffer.getvalue()


def _checked(data: bytes, xsd: Path) -> bytes:
    # validated as written, so what a QDA tool reads is what the schema allows
    safexml.validate(safexml.parse(data, "the exported codebook"), xsd, "the exported codebook")
    return data


def _other(fmt: str) -> str:
    return next(f for f in FORMATS if f != fmt)


def export_codebook(fmt: str, out: Path | None, taxonomy: Taxonomy | None = None) -> Path:
    """Write the codebook in `fmt` to `out` (default rsme-kg-codebook.<fmt>), atomically."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = out or Path(f"rsme-kg-codebook.{fmt}")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; expected a file name such as codes.{fmt}")
    if out.suffix.lower() != f".{fmt}":
        # QDA tools tell a codebook (.qdc) from a project (.qdpx) by the file name
        raise UsageError(
            f"--out {out}: a {fmt} file under another name; "
            f"expected a file name ending in .{fmt} (or --format {_other(fmt)})"
            if out.suffix.lower() in {f".{f}" for f in FORMATS}
            else f"--out {out}: expected a file name ending in .{fmt}"
        )
    taxonomy = taxonomy or load_taxonomy()
    data = qdc(taxonomy) if fmt == "qdc" else qdpx(taxonomy)
    temp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        temp.write_bytes(data)
        os.replace(temp, out)
    except BaseException as exc:  # Ctrl-C too: no temporary file is left behind
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {out}: {exc.strerror}") from exc
        raise
    return out
