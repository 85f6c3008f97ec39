"""Export the factor taxonomy as a codebook, so analysts code with our factors.

REFI-QDA (`.qdc`, `.qdpx`): categories become parent codes (not codable), factors their
codable child codes; names are the preferred labels (English, or Persian with `lang="fa"`),
descriptions the English definitions. GUIDs derive from the concept IRIs (uuid5), so an
export is reproducible byte for byte and an import of a project coded with it finds each
factor by GUID. The file is validated before it is written: `.qdc` against the codebook
schema, the `.qdpx` project against the project one.

CSV (`.csv`): the columns Taguette's codebook import reads, `tag,description`, one row per
factor. Taguette's tags are flat, and a category is no code one may code with, so the
categories are left out (docs/data-format.md says why).
"""

from __future__ import annotations

import csv
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

FORMATS = ("qdc", "qdpx", "csv")
LANGUAGES = ("en", "fa")
CSV_COLUMNS = ["tag", "description"]  # what taguette/import_codebook.py reads
ORIGIN = f"rsme-kg {__version__}"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same taxonomy, the same bytes


def label(concept: Concept, lang: str = "en") -> str:
    """The preferred label in `lang`; the English one where the concept has none in it."""
    return concept.label_fa if lang == "fa" and concept.label_fa else concept.label


def _code(parent: ET.Element, concept: Concept, codable: bool, lang: str) -> ET.Element:
    node = ET.SubElement(
        parent,
        "Code",
        {
            "guid": concept.guid,
            "name": label(concept, lang),
            "isCodable": "true" if codable else "false",
        },
    )
    if concept.definition:
        ET.SubElement(node, "Description").text = concept.definition
    return node


def _codes(parent: ET.Element, taxonomy: Taxonomy, lang: str) -> None:
    codes = ET.SubElement(parent, "Codes")
    for category in taxonomy.categories:
        node = _code(codes, category, codable=False, lang=lang)
        for factor in taxonomy.factors_of(category.id):
            _code(node, factor, codable=True, lang=lang)


def qdc(taxonomy: Taxonomy, lang: str = "en") -> bytes:
    """The codebook file (.qdc, namespace urn:QDA-XML:codebook:1.0)."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    _codes(root, taxonomy, lang)
    return _checked(safexml.serialize(root), CODEBOOK_XSD)


def project_qde(taxonomy: Taxonomy, lang: str = "en") -> bytes:
    """A project.qde holding only the codebook (namespace urn:QDA-XML:project:1.0)."""
    root = ET.Element(
        "Project", {"xmlns": PROJECT_NS, "name": "rsme-kg factor taxonomy", "origin": ORIGIN}
    )
    _codes(ET.SubElement(root, "CodeBook"), taxonomy, lang)
    ET.SubElement(root, "Description").text = (
        f"The factor taxonomy of rsme-kg: {len(taxonomy.categories)} categories as parent "
        f"codes, {len(taxonomy.factors)} factors as codes. Code GUIDs derive from the "
        "concept IRIs (https://w3id.org/rsme-kg/id/...), so `rsme-kg import qdpx` finds "
        "each factor of a project coded with them."
    )
    return _checked(safexml.serialize(root), PROJECT_XSD)


def qdpx(taxonomy: Taxonomy, lang: str = "en") -> bytes:
    """A .qdpx archive whose project.qde holds the codebook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(PROJECT_ENTRY, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, project_qde(taxonomy, lang))
    return buffer.getvalue()


def csv_codebook(taxonomy: Taxonomy, lang: str = "en") -> bytes:
    """The codebook as Taguette imports it: `tag,description`, a row per factor, UTF-8.

    No byte-order mark: Taguette before 1.0 decodes the file as plain UTF-8 and would
    read a BOM into the first column's name, so that it finds no `tag` column. CRLF line
    ends, as Taguette's own codebook export (Python's csv module) writes them.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for factor in taxonomy.factors:
        writer.writerow([label(factor, lang), factor.definition])
    return buffer.getvalue().encode("utf-8")


def fallbacks(taxonomy: Taxonomy, lang: str, fmt: str) -> list[Concept]:
    """The concepts written with their English label because they have none in `lang`."""
    if lang == "en":
        return []
    concepts = taxonomy.factors if fmt == "csv" else (*taxonomy.categories, *taxonomy.factors)
    return [c for c in concepts if not c.label_fa]


def _checked(data: bytes, xsd: Path) -> bytes:
    # validated as written, so what a QDA tool reads is what the schema allows
    safexml.validate(safexml.parse(data, "the exported codebook"), xsd, "the exported codebook")
    return data


def export_codebook(
    fmt: str, out: Path | None, taxonomy: Taxonomy | None = None, lang: str = "en"
) -> Path:
    """Write the codebook in `fmt` to `out` (default rsme-kg-codebook.<fmt>), atomically."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise UsageError(f"--lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
    out = out or Path(f"rsme-kg-codebook.{fmt}")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; expected a file name such as codes.{fmt}")
    if out.suffix.lower() != f".{fmt}":
        # QDA tools tell a codebook (.qdc) from a project (.qdpx) by the file name
        raise UsageError(
            f"--out {out}: a {fmt} file under another name; "
            f"expected a file name ending in .{fmt} (or --format {out.suffix.lower()[1:]})"
            if out.suffix.lower() in {f".{f}" for f in FORMATS}
            else f"--out {out}: expected a file name ending in .{fmt}"
        )
    taxonomy = taxonomy or load_taxonomy()
    writers = {"qdc": qdc, "qdpx": qdpx, "csv": csv_codebook}
    data = writers[fmt](taxonomy, lang)
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
