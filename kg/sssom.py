"""SSSOM/TSV mapping sets: a strict reader, a deterministic writer, and their RDF.

SSSOM (Simple Standard for Sharing Ontological Mappings) keeps a mapping set as a TSV table
whose metadata is a YAML block in `#` lines above it; identifiers are CURIEs expanded through
the block's `curie_map` (plus the prefixes the standard builds in), multivalued cells are
separated by `|`. sssom-py is only a test dependency (it imports pandas and LinkML, over a
second), so the build reads and writes the files here; the tests check that sssom-py agrees.

The RDF follows sssom-py's: the mapping set is an `sssom:MappingSet` whose `sssom:mappings`
are `owl:Axiom`s reifying the mapping triple (`owl:annotatedSource`, `owl:annotatedProperty`,
`owl:annotatedTarget`), with each slot as the property the SSSOM schema gives it
(dcterms:created for mapping_date, pav:authoredBy for author_id, sssom:confidence, ...).
The mapping triple itself is asserted beside it, so SKOS queries need not know SSSOM.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections import abc
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SH, SKOS, XSD

from kg.errors import InputError, InputErrors, Location
from kg.ingest.table import decode
from kg.records import Origin

SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"
PAV = "http://purl.org/pav/"
Triple = tuple[Node, Node, Node]

# Prefixes every SSSOM file may use without declaring them (the SSSOM specification's list);
# a curie_map may not give them another meaning.
BUILTIN_PREFIXES: dict[str, str] = {
    "dcterms": "http://purl.org/dc/terms/",
    "linkml": "https://w3id.org/linkml/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "pav": PAV,
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "semapv": SEMAPV,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sssom": SSSOM,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# The SKOS mapping properties: the predicates the taxonomy's mappings may use.
SKOS_MATCH: tuple[str, ...] = tuple(
    str(p)
    for p in (
        SKOS.exactMatch,
        SKOS.closeMatch,
        SKOS.broadMatch,
        SKOS.narrowMatch,
        SKOS.relatedMatch,
    )
)

# SEMAPV's matching processes and mapping review: what mapping_justification may name.
JUSTIFICATIONS: frozenset[str] = frozenset(
    SEMAPV + name
    for name in (
        "BackgroundKnowledgeBasedMatching",
        "CompositeMatching",
        "InstanceBasedMatching",
        "LexicalMatching",
        "LexicalSimilarityThresholdMatching",
        "LogicalReasoning",
        "ManualMappingCuration",
        "MappingChaining",
        "MappingInversion",
        "MappingReview",
        "SemanticSimilarityThresholdMatching",
        "StructuralMatching",
        "UnspecifiedMatching",
    )
)

# How each slot is typed: an entity reference (a CURIE, an IRI in RDF), a URI written in full,
# free text, an ISO date, a number in [0, 1] (all the SSSOM numbers are), or a closed list.
REF, URI, TEXT, DATE, SCORE = "ref", "uri", "text", "date", "score"


@dataclass(frozen=True)
class Slot:
    """One SSSOM slot: its kind, whether it holds several values, and its RDF property."""

    name: str
    kind: str
    multi: bool = False
    uri: str = ""

    @property
    def property(self) -> URIRef:
        """The RDF property of the slot: its slot_uri in the schema, else sssom:<name>."""
        return URIRef(self.uri or SSSOM + self.name)


def _slots(
    *specs: tuple[str, str] | tuple[str, str, bool] | tuple[str, str, bool, str],
) -> dict[str, Slot]:
    table: dict[str, Slot] = {}
    for spec in specs:
        slot = Slot(*spec)
        table[slot.name] = slot
    return table


_D = str(DCTERMS)
# The slots of one mapping, in the schema's order (the order a new file's columns take).
MAPPING_SLOTS: dict[str, Slot] = _slots(
    ("record_id", REF),
    ("subject_id", REF, False, str(OWL.annotatedSource)),
    ("subject_label", TEXT),
    ("subject_category", TEXT),
    ("predicate_id", REF, False, str(OWL.annotatedProperty)),
    ("predicate_label", TEXT),
    ("predicate_modifier", TEXT),
    ("object_id", REF, False, str(OWL.annotatedTarget)),
    ("object_label", TEXT),
    ("object_category", TEXT),
    ("mapping_justification", REF),
    ("author_id", REF, True, PAV + "authoredBy"),
    ("author_label", TEXT, True),
    ("reviewer_id", REF, True),
    ("reviewer_label", TEXT, True),
    ("creator_id", REF, True, _D + "creator"),
    ("creator_label", TEXT, True),
    ("license", URI, False, _D + "license"),
    ("subject_type", TEXT),
    ("subject_source", REF),
    ("subject_source_version", TEXT),
    ("object_type", TEXT),
    ("object_source", REF),
    ("object_source_version", TEXT),
    ("predicate_type", TEXT),
    ("mapping_provider", URI),
    ("mapping_source", REF),
    ("mapping_cardinality", TEXT),
    ("cardinality_scope", TEXT, True),
    ("mapping_tool", TEXT),
    ("mapping_tool_id", REF),
    ("mapping_tool_version", TEXT),
    ("mapping_date", DATE, False, _D + "created"),
    ("publication_date", DATE, False, _D + "issued"),
    ("review_date", DATE),
    ("confidence", SCORE),
    ("reviewer_agreement", SCORE),
    ("curation_rule", REF, True),
    ("curation_rule_text", TEXT, True),
    ("subject_match_field", REF, True),
    ("object_match_field", REF, True),
    ("match_string", TEXT, True),
    ("subject_preprocessing", REF, True),
    ("object_preprocessing", REF, True),
    ("similarity_score", SCORE),
    ("similarity_measure", TEXT),
    ("see_also", URI, True, "http://www.w3.org/2000/01/rdf-schema#seeAlso"),
    ("issue_tracker_item", REF),
    ("other", TEXT),
    ("comment", TEXT, False, "http://www.w3.org/2000/01/rdf-schema#comment"),
)
# The slots of the mapping set (the YAML block), in the order the writer puts them.
SET_SLOTS: dict[str, Slot] = _slots(
    ("mapping_set_id", URI),
    ("mapping_set_version", TEXT, False, str(OWL.versionInfo)),
    ("mapping_set_title", TEXT, False, _D + "title"),
    ("mapping_set_description", TEXT, False, _D + "description"),
    ("license", URI, False, _D + "license"),
    ("creator_id", REF, True, _D + "creator"),
    ("creator_label", TEXT, True),
    ("mapping_date", DATE, False, _D + "created"),
    ("publication_date", DATE, False, _D + "issued"),
    ("mapping_set_source", URI, True, "http://www.w3.org/ns/prov#wasDerivedFrom"),
    ("mapping_set_confidence", SCORE),
    ("sssom_version", TEXT),
    ("subject_type", TEXT),
    ("subject_source", REF),
    ("subject_source_version", TEXT),
    ("object_type", TEXT),
    ("object_source", REF),
    ("object_source_version", TEXT),
    ("predicate_type", TEXT),
    ("mapping_provider", URI),
    ("cardinality_scope", TEXT, True),
    ("mapping_tool", TEXT),
    ("mapping_tool_id", REF),
    ("mapping_tool_version", TEXT),
    ("subject_match_field", REF, True),
    ("object_match_field", REF, True),
    ("subject_preprocessing", REF, True),
    ("object_preprocessing", REF, True),
    ("similarity_measure", TEXT),
    ("curation_rule", REF, True),
    ("curation_rule_text", TEXT, True),
    ("see_also", URI, True, "http://www.w3.org/2000/01/rdf-schema#seeAlso"),
    ("issue_tracker", URI),
    ("other", TEXT),
    ("comment", TEXT, False, "http://www.w3.org/2000/01/rdf-schema#comment"),
    ("extension_definitions", TEXT, True),
)
_MAPPING_BY_PROPERTY = {slot.property: slot for slot in MAPPING_SLOTS.values()}
_SET_BY_PROPERTY = {
    slot.property: slot for slot in SET_SLOTS.values() if slot.name != "extension_definitions"
}
REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
REQUIRED_METADATA = ("mapping_set_id", "license")

_CURIE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*):(\S*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Mapping:
    """One row of a mapping set: the SSSOM slots as typed values, CURIEs as written.

    Empty cells are None (single values) or () (multivalued slots). `extra` keeps the cells of
    columns that are not SSSOM slots (e.g. a reviewer's decision column), in column order;
    `line` is the file line the row was read from (0 when made in memory) and takes no part
    in equality.
    """

    subject_id: str
    predicate_id: str
    object_id: str
    mapping_justification: str
    record_id: str | None = None
    subject_label: str | None = None
    subject_category: str | None = None
    predicate_label: str | None = None
    predicate_modifier: str | None = None
    object_label: str | None = None
    object_category: str | None = None
    author_id: tuple[str, ...] = ()
    author_label: tuple[str, ...] = ()
    reviewer_id: tuple[str, ...] = ()
    reviewer_label: tuple[str, ...] = ()
    creator_id: tuple[str, ...] = ()
    creator_label: tuple[str, ...] = ()
    license: str | None = None
    subject_type: str | None = None
    subject_source: str | None = None
    subject_source_version: str | None = None
    object_type: str | None = None
    object_source: str | None = None
    object_source_version: str | None = None
    predicate_type: str | None = None
    mapping_provider: str | None = None
    mapping_source: str | None = None
    mapping_cardinality: str | None = None
    cardinality_scope: tuple[str, ...] = ()
    mapping_tool: str | None = None
    mapping_tool_id: str | None = None
    mapping_tool_version: str | None = None
    mapping_date: date | None = None
    publication_date: date | None = None
    review_date: date | None = None
    confidence: float | None = None
    reviewer_agreement: float | None = None
    curation_rule: tuple[str, ...] = ()
    curation_rule_text: tuple[str, ...] = ()
    subject_match_field: tuple[str, ...] = ()
    object_match_field: tuple[str, ...] = ()
    match_string: tuple[str, ...] = ()
    subject_preprocessing: tuple[str, ...] = ()
    object_preprocessing: tuple[str, ...] = ()
    similarity_score: float | None = None
    similarity_measure: str | None = None
    see_also: tuple[str, ...] = ()
    issue_tracker_item: str | None = None
    other: str | None = None
    comment: str | None = None
    extra: abc.Mapping[str, str] = field(default_factory=dict, hash=False)
    line: int = field(default=0, compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes a mapping one: subject, predicate, its modifier (e.g. Not) and object."""
        return (self.subject_id, self.predicate_id, self.predicate_modifier or "", self.object_id)

    def values(self) -> dict[str, Any]:
        """The filled SSSOM slots of this row, by name (extra columns not included)."""
        return {
            name: getattr(self, name)
            for name in MAPPING_SLOTS
            if getattr(self, name) not in (None, ())
        }


@dataclass
class MappingSet:
    """A mapping set: its metadata block, its rows and the order of its columns.

    `metadata` holds the YAML block's values (dates as ISO text, `curie_map` a dict);
    `columns` is the order the writer uses (filled slots missing from it are added after it).
    """

    metadata: dict[str, Any]
    mappings: list[Mapping] = field(default_factory=list)
    columns: list[str] = field(default_factory=lambda: list(REQUIRED_COLUMNS))

    @property
    def prefixes(self) -> dict[str, str]:
        """Every prefix a CURIE of this set may use: the built-in ones and the curie_map."""
        return {**BUILTIN_PREFIXES, **(self.metadata.get("curie_map") or {})}

    def expand(self, curie: str) -> str:
        """The IRI of a CURIE; ValueError if it is not one or its prefix is not declared.

        >>> MappingSet({"curie_map": {"wd": "http://www.wikidata.org/entity/"}}).expand("wd:Q1")
        'http://www.wikidata.org/entity/Q1'
        """
        match = _CURIE.match(curie)
        if not match:
            raise ValueError(f"'{curie}' is not a CURIE")
        prefix, local = match.groups()
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            raise ValueError(f"the prefix '{prefix}' of '{curie}' is not in the curie_map")
        return namespace + local

    def compress(self, iri: str) -> str:
        """The CURIE of an IRI by the longest matching namespace; ValueError if none matches.

        >>> MappingSet({"curie_map": {"wd": "http://www.wikidata.org/entity/"}}).compress(
        ...     "http://www.wikidata.org/entity/Q1")
        'wd:Q1'
        """
        best = ""
        for prefix, namespace in sorted(self.prefixes.items()):
            if iri.startswith(namespace) and len(namespace) > len(self.prefixes.get(best, "")):
                best = prefix
        if not best:
            raise ValueError(f"no prefix of the curie_map covers <{iri}>")
        return f"{best}:{iri[len(self.prefixes[best]) :]}"

    def iri(self, curie: str) -> URIRef:
        """`expand` as an rdflib URIRef."""
        return URIRef(self.expand(curie))


# ---------------------------------------------------------------------------------- reading


def read_sssom(path: Path, *, predicates: Collection[str] | None = SKOS_MATCH) -> MappingSet:
    """Read an SSSOM/TSV file; raise InputErrors naming file, line, column and field.

    Checked: the YAML block (valid YAML, a mapping, mapping_set_id and license present, only
    SSSOM slot names, a curie_map of prefix -> namespace not redefining a built-in prefix),
    the header (the required columns, no column twice), and every row: cell count, CURIEs
    with declared prefixes, the predicate among `predicates` (IRIs; None accepts any), the
    justification a SEMAPV matching process, dates YYYY-MM-DD, scores in [0, 1], no mapping
    (subject, predicate, modifier, object) twice.
    """
    try:
        text = decode(path)
    except InputError as exc:  # unreadable, empty or not UTF-8: one error, as the others come
        raise InputErrors([exc]) from exc
    lines = text.splitlines(keepends=True)
    head = 0
    while head < len(lines) and lines[head].startswith("#"):
        head += 1
    errors: list[InputError] = []
    metadata = _read_metadata(path, [line[1:] for line in lines[:head]], errors)
    if metadata is None:  # no prefixes to read the rows with: their errors would be noise
        raise InputErrors(errors)
    result = MappingSet(metadata)
    body = "".join(lines[head:])
    if not body.strip():
        errors.append(
            InputError(Location(path, head + 1), "no header row", "a tab-separated header row")
        )
        raise InputErrors(errors)
    reader = _records(path, body, head)
    header_line, header = next(reader)
    if not _check_header(path, header_line, header, errors):
        raise InputErrors(errors)
    result.columns = header
    seen: dict[tuple[str, str, str, str], int] = {}
    for line, cells in reader:
        mapping = _read_row(path, line, header, cells, result, predicates, errors)
        if mapping is None:
            continue
        first = seen.setdefault(mapping.key, line)
        if first != line:
            errors.append(
                InputError(
                    Location(path, line),
                    f"the mapping {' '.join(mapping.key[:2])} {mapping.object_id} repeats "
                    f"line {first}",
                    "each (subject_id, predicate_id, predicate_modifier, object_id) once",
                )
            )
            continue
        result.mappings.append(mapping)
    if errors:
        raise InputErrors(errors)
    return result


def _records(path: Path, body: str, offset: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (file line, cells) for each non-blank record of the table."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter="\t", strict=True)
    end = 0
    while True:
        start = offset + end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputErrors(
                [
                    InputError(
                        Location(path, start),
                        f"the record starting here is malformed ({exc})",
                        'tab-separated cells; a cell starting with " must close its quote',
                    )
                ]
            ) from exc
        end = reader.line_num
        if any(c.strip() for c in cells):
            yield start, cells


def _read_metadata(path: Path, block: list[str], errors: list[InputError]) -> dict[str, Any] | None:
    """The YAML block (lines without their '#') as a dict; problems appended to `errors`;
    None when the block or its curie_map cannot be read at all."""
    try:
        loaded = yaml.safe_load("".join(block)) if block else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            Location(path, mark.line + 1, mark.column + 2, "metadata")
            if mark is not None
            else Location(path, 1, None, "metadata")
        )
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(
            InputError(where, f"the metadata block is not valid YAML ({problem})", _YAML_HINT)
        )
        return None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        errors.append(
            InputError(
                Location(path, 1, None, "metadata"), "the metadata is not a mapping", _YAML_HINT
            )
        )
        return None
    metadata = {str(k): _plain(v) for k, v in loaded.items()}
    for key in metadata:
        if key != "curie_map" and key not in SET_SLOTS:
            errors.append(
                InputError(
                    Location(path, _key_line(block, key), 2, key),
                    f"'{key}' is not a slot of an SSSOM mapping set",
                    "SSSOM mapping set slots such as mapping_set_id, license, curie_map, "
                    "mapping_set_title, creator_id, mapping_date",
                )
            )
    for key in REQUIRED_METADATA:
        if not metadata.get(key):
            errors.append(
                InputError(
                    Location(path, 1, None, key),
                    f"the metadata block has no {key}",
                    f"a line '#{key}: <IRI>'",
                )
            )
    if not _check_curie_map(path, block, metadata, errors):
        return None
    _check_set_values(path, block, metadata, errors)
    return metadata


_YAML_HINT = "a YAML block in lines starting with '#', e.g. '#mapping_set_id: https://...'"


def _plain(value: Any) -> Any:
    """YAML values as the reader keeps them: dates and numbers in lists become text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _key_line(block: list[str], key: str) -> int:
    """The file line of a top-level key of the metadata block (1 when not found)."""
    for number, line in enumerate(block, 1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _check_curie_map(
    path: Path, block: list[str], metadata: dict[str, Any], errors: list[InputError]
) -> bool:
    """Whether the curie_map can be used (False when it is not a prefix -> namespace map)."""
    curie_map = metadata.get("curie_map")
    if curie_map is None:
        metadata["curie_map"] = {}
        return True
    line = _key_line(block, "curie_map")
    if not isinstance(curie_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in curie_map.items()
    ):
        errors.append(
            InputError(
                Location(path, line, None, "curie_map"),
                "the curie_map is not a mapping of prefixes to namespaces",
                "lines '#  prefix: namespace IRI' under '#curie_map:'",
            )
        )
        return False
    for prefix, namespace in curie_map.items():
        builtin = BUILTIN_PREFIXES.get(prefix)
        if builtin is not None and builtin != namespace:
            errors.append(
                InputError(
                    Location(path, line, None, "curie_map"),
                    f"the built-in prefix '{prefix}' is redefined as <{namespace}>",
                    f"<{builtin}> or no entry",
                )
            )
        if not _CURIE.match(f"{prefix}:x") or not namespace.startswith(("http://", "https://")):
            errors.append(
                InputError(
                    Location(path, line, None, "curie_map"),
                    f"'{prefix}: {namespace}' is not a prefix and an http(s) namespace",
                    "prefix: http(s) namespace IRI",
                )
            )
    return True


def _check_set_values(
    path: Path, block: list[str], metadata: dict[str, Any], errors: list[InputError]
) -> None:
    probe = MappingSet(metadata)
    for key, value in metadata.items():
        slot = SET_SLOTS.get(key)
        if slot is None or value is None:
            continue
        where = Location(path, _key_line(block, key), None, key)
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not slot.multi:
            errors.append(InputError(where, "a list where one value belongs", "one value"))
            continue
        for item in values:
            problem = _value_problem(slot, str(item), probe, None)
            if problem:
                errors.append(InputError(where, problem[0], problem[1]))


def _check_header(path: Path, line: int, header: list[str], errors: list[InputError]) -> bool:
    ok = True
    for column, name in enumerate(header, 1):
        if not name.strip():
            errors.append(
                InputError(Location(path, line, column), "a column has no name", "a column name")
            )
            ok = False
        elif header.index(name) != column - 1:
            errors.append(
                InputError(
                    Location(path, line, column, name), f"the column '{name}' repeats", "once"
                )
            )
            ok = False
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        errors.append(
            InputError(
                Location(path, line, None, ", ".join(missing)),
                f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                "a header row with " + ", ".join(REQUIRED_COLUMNS),
            )
        )
        ok = False
    return ok


def _read_row(
    path: Path,
    line: int,
    header: list[str],
    cells: list[str],
    mapping_set: MappingSet,
    predicates: Collection[str] | None,
    errors: list[InputError],
) -> Mapping | None:
    if len(cells) != len(header):
        errors.append(
            InputError(
                Location(path, line),
                f"{len(cells)} cells where the header has {len(header)} columns",
                "one tab-separated cell per column",
            )
        )
        return None
    values: dict[str, Any] = {}
    extra: dict[str, str] = {}
    found = len(errors)
    for column, (name, raw) in enumerate(zip(header, cells, strict=True), 1):
        cell = raw.strip()
        slot = MAPPING_SLOTS.get(name)
        if slot is None:
            extra[name] = cell
            continue
        if not cell:
            if name in REQUIRED_COLUMNS:
                errors.append(
                    InputError(Location(path, line, column, name), "the cell is empty", "a CURIE")
                )
            continue
        value = _cell_value(slot, cell, mapping_set, predicates, Location(path, line, column, name))
        if isinstance(value, InputError):
            errors.append(value)
        else:
            values[name] = value
    if len(errors) > found:
        return None
    return Mapping(**values, extra=extra, line=line)


def _cell_value(
    slot: Slot,
    cell: str,
    mapping_set: MappingSet,
    predicates: Collection[str] | None,
    where: Location,
) -> Any:
    items = [v.strip() for v in cell.split("|")] if slot.multi else [cell]
    for item in items:
        problem = _value_problem(slot, item, mapping_set, predicates)
        if problem:
            return InputError(where, problem[0], problem[1])
    if slot.multi:
        return tuple(items)
    if slot.kind == DATE:
        return date.fromisoformat(cell)
    if slot.kind == SCORE:
        return float(cell)
    return cell


def _value_problem(
    slot: Slot, value: str, mapping_set: MappingSet, predicates: Collection[str] | None
) -> tuple[str, str] | None:
    """What is wrong with one value of a slot, and what was expected; None when it is good."""
    if slot.kind == REF:
        try:
            iri = mapping_set.expand(value)
        except ValueError as exc:
            return str(exc), "a CURIE prefix:id whose prefix is built in or in the curie_map"
        if slot.name == "predicate_id" and predicates is not None and iri not in predicates:
            names = ", ".join(mapping_set.compress(p) for p in predicates)
            return f"'{value}' is not a mapping predicate allowed here", f"one of {names}"
        if slot.name == "mapping_justification" and iri not in JUSTIFICATIONS:
            return (
                f"'{value}' is not a SEMAPV matching process",
                "e.g. semapv:ManualMappingCuration, semapv:LexicalMatching, semapv:MappingReview",
            )
    elif slot.kind == URI:
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value):
            return f"'{value}' is not an absolute URI", "an absolute URI such as https://..."
    elif slot.kind == DATE:
        try:
            if not _DATE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return f"'{value}' is not a date", "an ISO date YYYY-MM-DD"
    elif slot.kind == SCORE:
        try:
            number = float(value)
        except ValueError:
            return f"'{value}' is not a number", "a number from 0 to 1"
        if not 0.0 <= number <= 1.0:
            return f"{value} is outside [0, 1]", "a number from 0 to 1"
    if slot.kind == TEXT and ("\n" in value or "\t" in value):
        return "a tab or line break in a cell", "text on one line"
    return None


# ---------------------------------------------------------------------------------- writing


def write_sssom(mapping_set: MappingSet, path: Path) -> None:
    """Write a mapping set as SSSOM/TSV: the same set gives the same bytes; atomic.

    The metadata comes first (curie_map sorted by prefix, then the slots in the schema's
    order, other keys sorted), then the columns (`mapping_set.columns`, then any filled
    slot it lacks in the schema's order, then extra columns in order of appearance), then
    the rows in the set's order. The file is written beside `path` and renamed over it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = sssom_bytes(mapping_set)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def sssom_bytes(mapping_set: MappingSet) -> bytes:
    """The SSSOM/TSV text of a mapping set, as `write_sssom` writes it."""
    out = io.StringIO(newline="")
    for line in _metadata_yaml(mapping_set.metadata).splitlines():
        out.write(f"#{line}\n")
    columns = _columns(mapping_set)
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for mapping in mapping_set.mappings:
        writer.writerow([_cell_text(mapping, name) for name in columns])
    return out.getvalue().encode("utf-8")


def _metadata_yaml(metadata: dict[str, Any]) -> str:
    ordered: dict[str, Any] = {}
    curie_map = metadata.get("curie_map") or {}
    if curie_map:
        ordered["curie_map"] = {p: curie_map[p] for p in sorted(curie_map)}
    for key in SET_SLOTS:
        if metadata.get(key) not in (None, "", []):
            ordered[key] = metadata[key]
    for key in sorted(set(metadata) - set(SET_SLOTS) - {"curie_map"}):
        if metadata[key] not in (None, "", []):
            ordered[key] = metadata[key]
    return yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )


class _Dumper(yaml.SafeDumper):
    """YAML with list items indented under their key, as SSSOM files usually show them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _columns(mapping_set: MappingSet) -> list[str]:
    columns = list(dict.fromkeys(mapping_set.columns))
    used = {name for m in mapping_set.mappings for name in m.values()} | set(REQUIRED_COLUMNS)
    columns += [name for name in MAPPING_SLOTS if name in used and name not in columns]
    for mapping in mapping_set.mappings:
        columns += [name for name in mapping.extra if name not in columns]
    return columns


def _cell_text(mapping: Mapping, name: str) -> str:
    text = _cell_value_text(mapping, name)
    if "\t" in text or "\n" in text or "\r" in text:
        # the reader refuses them (a cell is one line of text): refuse to write what it refuses
        raise ValueError(f"{name} of {mapping.subject_id} {mapping.object_id}: a tab or line break")
    return text


def _cell_value_text(mapping: Mapping, name: str) -> str:
    if name not in MAPPING_SLOTS:
        return mapping.extra.get(name, "")
    value = getattr(mapping, name)
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "|".join(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---------------------------------------------------------------------------------- RDF


def mapping_triples(mapping_set: MappingSet) -> list[Triple]:
    """The RDF of a mapping set: each mapping triple, plus the set and its reified mappings.

    The set is `<mapping_set_id> a sssom:MappingSet` with its metadata and one `sssom:mappings`
    link per row to an `owl:Axiom` (named by `mapping_node`) carrying the row's slots, as
    sssom-py writes them (which reads them back). The same file gives the same triples, which
    content-keyed checks and reproducible dumps rely on. The curie_map is kept as SHACL prefix
    declarations (`sh:declare`) so the set can be written back from the graph. A row with
    predicate_modifier Not asserts no mapping triple: it records a rejection.
    """
    set_id = URIRef(str(mapping_set.metadata["mapping_set_id"]))
    triples: list[Triple] = [(set_id, RDF.type, URIRef(SSSOM + "MappingSet"))]
    for key, value in mapping_set.metadata.items():
        slot = SET_SLOTS.get(key)
        if slot is None or key == "mapping_set_id" or key == "extension_definitions":
            continue
        for item in value if isinstance(value, list) else [value]:
            triples.append((set_id, slot.property, _term(slot, str(item), mapping_set)))
    for prefix, namespace in sorted((mapping_set.metadata.get("curie_map") or {}).items()):
        declaration = BNode(f"prefix{_label(str(set_id), prefix)}")
        triples.append((set_id, SH.declare, declaration))
        triples.append((declaration, SH.prefix, Literal(prefix)))
        triples.append((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    for mapping in mapping_set.mappings:
        triples.extend(_mapping_rdf(mapping_set, set_id, mapping))
    return list(dict.fromkeys(triples))


def mapping_links(mapping_set: MappingSet) -> list[Triple]:
    """Only the mapping triples themselves (subject, SKOS predicate, object), without SSSOM.

    >>> ms = MappingSet({"mapping_set_id": "urn:x", "curie_map": {"x": "urn:x:"}})
    >>> ms.mappings = [Mapping("x:a", "skos:closeMatch", "x:b", "semapv:ManualMappingCuration")]
    >>> [str(t) for t in mapping_links(ms)[0]]
    ['urn:x:a', 'http://www.w3.org/2004/02/skos/core#closeMatch', 'urn:x:b']
    """
    return [
        (
            mapping_set.iri(m.subject_id),
            mapping_set.iri(m.predicate_id),
            mapping_set.iri(m.object_id),
        )
        for m in mapping_set.mappings
        if m.predicate_modifier != "Not"
    ]


def mapping_node(mapping_set: MappingSet, mapping: Mapping) -> URIRef:
    """The IRI of one mapping's owl:Axiom: a fragment of the set's IRI, from the mapping's key.

    The set's own IRI space, not the build's: the set names itself in its metadata, and a
    fragment of it leads to the set. The same (subject, predicate, modifier, object) keeps its
    IRI when other slots (comment, confidence) change.

    >>> ms = MappingSet({"mapping_set_id": "https://example.org/set"})
    >>> str(mapping_node(ms, Mapping("a:b", "skos:closeMatch", "c:d", "semapv:LexicalMatching")))
    'https://example.org/set#m-bab60946b9621f5c'
    """
    set_id = str(mapping_set.metadata["mapping_set_id"])
    return URIRef(f"{set_id}#m-{_label(set_id, *mapping.key)}")


def origins(mapping_set: MappingSet, path: Path) -> dict[URIRef, Origin]:
    """Where each node of `mapping_triples` comes from in the file: the set's IRI from the
    metadata block (line 1), each mapping's axiom from its row, with the columns' places."""
    columns = tuple((name, i) for i, name in enumerate(mapping_set.columns, 1))
    found = {URIRef(str(mapping_set.metadata["mapping_set_id"])): Origin(path, 1)}
    for mapping in mapping_set.mappings:
        found[mapping_node(mapping_set, mapping)] = Origin(path, mapping.line, columns)
    return found


def unknown_subjects(
    mapping_set: MappingSet, known: Collection[str], path: Path
) -> list[InputError]:
    """An InputError for every row whose subject_id does not expand to one of `known` (IRIs)."""
    column = (
        mapping_set.columns.index("subject_id") + 1 if "subject_id" in mapping_set.columns else None
    )
    return [
        InputError(
            Location(path, m.line, column, "subject_id"),
            f"{m.subject_id} is not a concept of the taxonomy",
            "the CURIE of a category, factor or outcome of ontology/factors.ttl",
        )
        for m in mapping_set.mappings
        if mapping_set.expand(m.subject_id) not in known
    ]


def _mapping_rdf(mapping_set: MappingSet, set_id: URIRef, mapping: Mapping) -> Iterable[Triple]:
    subject = mapping_set.iri(mapping.subject_id)
    predicate = mapping_set.iri(mapping.predicate_id)
    target = mapping_set.iri(mapping.object_id)
    if mapping.predicate_modifier != "Not":
        yield (subject, predicate, target)
    axiom = mapping_node(mapping_set, mapping)
    yield (set_id, URIRef(SSSOM + "mappings"), axiom)
    yield (axiom, RDF.type, OWL.Axiom)
    for name, value in mapping.values().items():
        slot = MAPPING_SLOTS[name]
        for item in value if isinstance(value, tuple) else (value,):
            yield (axiom, slot.property, _term(slot, item, mapping_set))


def from_graph(graph: Graph, set_id: str | None = None) -> MappingSet:
    """The mapping set `mapping_triples` wrote into `graph` (the one named `set_id`, else the
    only or first one), read back: metadata, curie_map (from sh:declare) and rows.

    RDF keeps no order: the rows come sorted by subject, predicate, modifier and object, the
    values of a multivalued slot sorted, and the columns in the schema's order. IRIs become
    CURIEs through the set's prefixes (the built-in ones included); ValueError if one has none.
    """
    sets = sorted(str(s) for s in graph.subjects(RDF.type, URIRef(SSSOM + "MappingSet")))
    if set_id is None:
        if not sets:
            raise ValueError("the graph holds no sssom:MappingSet")
        set_id = sets[0]
    node = URIRef(set_id)
    curie_map: dict[str, str] = {}
    for declaration in graph.objects(node, SH.declare):
        prefix, namespace = (
            graph.value(declaration, SH.prefix),
            graph.value(declaration, SH.namespace),
        )
        if prefix is not None and namespace is not None:
            curie_map[str(prefix)] = str(namespace)
    result = MappingSet({"curie_map": dict(sorted(curie_map.items())), "mapping_set_id": set_id})
    for name, value in _slot_values(graph, node, _SET_BY_PROPERTY, result).items():
        result.metadata[name] = list(value) if SET_SLOTS[name].multi else value[0]
    rows = []
    for axiom in graph.objects(node, URIRef(SSSOM + "mappings")):
        values = _slot_values(graph, axiom, _MAPPING_BY_PROPERTY, result)
        cells: dict[str, Any] = {}
        for name, found in values.items():
            slot = MAPPING_SLOTS[name]
            if slot.multi:
                cells[name] = tuple(found)
            elif slot.kind == DATE:
                cells[name] = date.fromisoformat(found[0])
            elif slot.kind == SCORE:
                cells[name] = float(found[0])
            else:
                cells[name] = found[0]
        rows.append(Mapping(**cells))
    result.mappings = sorted(rows, key=lambda m: m.key)
    used = {name for m in result.mappings for name in m.values()}
    result.columns = [name for name in MAPPING_SLOTS if name in used]
    return result


def _slot_values(
    graph: Graph, node: Node, slots: dict[URIRef, Slot], mapping_set: MappingSet
) -> dict[str, list[str]]:
    """The text of each slot's values on `node` (IRIs as CURIEs for references), sorted."""
    found: dict[str, list[str]] = {}
    for prop, term in graph.predicate_objects(node):
        slot = slots.get(prop) if isinstance(prop, URIRef) else None
        if slot is None:
            continue
        text = mapping_set.compress(str(term)) if slot.kind == REF else str(term)
        found.setdefault(slot.name, []).append(text)
    return {name: sorted(values) for name, values in found.items()}


def _label(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _term(slot: Slot, value: Any, mapping_set: MappingSet) -> URIRef | Literal:
    if slot.kind == REF:
        return mapping_set.iri(str(value))
    if slot.kind == URI:
        return URIRef(str(value))
    if slot.kind == DATE:
        text = value.isoformat() if isinstance(value, date) else str(value)
        return Literal(text, datatype=XSD.date)
    if slot.kind == SCORE:
        return Literal(repr(float(value)), datatype=XSD.double)
    return Literal(str(value))


def with_mappings(mapping_set: MappingSet, mappings: Iterable[Mapping]) -> MappingSet:
    """A copy of a mapping set holding other rows (same metadata and column order)."""
    return MappingSet(dict(mapping_set.metadata), list(mappings), list(mapping_set.columns))


__all__ = [
    "BUILTIN_PREFIXES",
    "JUSTIFICATIONS",
    "MAPPING_SLOTS",
    "SET_SLOTS",
    "SKOS_MATCH",
    "Mapping",
    "MappingSet",
    "from_graph",
    "mapping_links",
    "mapping_node",
    "mapping_triples",
    "origins",
    "read_sssom",
    "sssom_bytes",
    "unknown_subjects",
    "with_mappings",
    "write_sssom",
]
