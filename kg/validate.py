"""Gate a build with the SHACL shapes (pyshacl) and locate each violation in its source file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, XSD

from kg.errors import InputError, Location
from kg.namespaces import RSME, SH, bind_prefixes
from kg.records import Origin
from kg.sparqlcache import install as prepare_sparql_once

# The CSV column a result is about, from its path, so a report says "studies.csv, line 30,
# column 4, field 'year'". A SPARQL-based shape, which has no path, names its field itself
# with rsme:reportsField in shapes/ (see `_field`).
FIELD_OF_PATH: dict[str, str] = {
    str(DCTERMS.title): "title",
    str(DCTERMS.issued): "year",
    str(DCTERMS.creator): "authors",
    "http://purl.org/ontology/bibo/authorList": "authors",
    "http://purl.org/ontology/bibo/doi": "doi",
    str(OWL.sameAs): "doi",
    str(DCTERMS.language): "language",
    str(PROV.wasDerivedFrom): "study",
    str(RSME.codesFactor): "factor",
    str(RSME.quote): "quote",
    str(RSME.basis): "basis",
    str(RSME.direction): "direction",
    str(RSME.outcome): "outcome",
    str(PROV.wasAttributedTo): "coder",
    str(RSME.selectionStart): "start",
    str(RSME.selectionEnd): "end",
    str(RSME.decision): "decision",
    str(RSME.exclusionReason): "reason",
    str(RSME.screens): "study",
    str(RSME.criterion): "criterion",
    str(RSME.answer): "answer",
    str(RSME.score): "score",
}


@dataclass(frozen=True)
class Violation:
    """One SHACL result, with where its focus node came from."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    origin: Origin | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.origin is not None:
            where = f"{self.origin.location(self.field) if self.field else self.origin}: "
        parts = [f"{where}{self.severity}: {self.message}", f"  focus node: {self.focus}"]
        if self.path:
            parts.append(f"  path: {self.path}")
        if self.value is not None:
            parts.append(f"  value: {self.value}")
        parts.append(f"  shape: {self.shape}")
        return "\n".join(parts)


@dataclass
class ValidationReport:
    """The outcome of SHACL validation: conformance, located results, the report graph."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)

    def text(self) -> str:
        """A readable report: one block per result."""
        if self.conforms and not self.violations:
            return "The graph conforms to the shapes."
        head = (
            "The graph conforms (with warnings)."
            if self.conforms
            else (f"The graph does not conform: {len(self.violations)} result(s).")
        )
        return "\n".join([head, *(str(v) for v in self.violations)])


def load_shapes(shapes_dir: Path) -> Graph:
    """All shapes/*.ttl as one graph; a Turtle error names the file."""
    from kg.build import parse_turtle  # the one Turtle reader that locates errors

    files = sorted(shapes_dir.glob("*.ttl"))
    if not files:
        raise InputError(Location(shapes_dir), "no SHACL shapes found", "shapes/*.ttl files")
    shapes = Graph()
    for path in files:
        shapes += parse_turtle(path)
    return shapes


def _short(graph: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # an IRI with no bound prefix: print it whole
            return f"<{node}>"
    if isinstance(node, Literal):
        if node.datatype in (None, XSD.string) and not node.language:
            return repr(str(node))
        return node.n3(graph.namespace_manager)
    return str(node)


def _path_text(report: Graph, path: Node | None) -> str | None:
    if path is None or isinstance(path, URIRef):
        return _short(report, path)
    # a complex path (inverse, sequence ...): Turtle-ish rendering is good enough
    return " ".join(str(o) for o in report.objects(path, None))


def _field(shapes: Graph, shape: Node | None, path: Node | None) -> str | None:
    """The CSV field a result is about: the one its shape declares (rsme:reportsField),
    else the one of its path; None when neither tells."""
    declared = shapes.value(shape, RSME.reportsField) if shape is not None else None
    if declared is not None:
        return str(declared)
    return FIELD_OF_PATH.get(str(path)) if isinstance(path, URIRef) else None


def validate(
    data: Graph,
    shapes: Graph,
    origins: Mapping[URIRef, Origin] | None = None,
    published: Callable[[Path], str] = str,
) -> ValidationReport:
    """Validate `data` against `shapes`; warnings don't fail, violations do.

    `published` names a source file in the written report (the build's names, not local
    paths); the violations keep the local path, for the person who fixes the file.
    """
    origins = origins or {}
    prepare_sparql_once()  # SPARQL-based constraints run once per focus node: parse each once
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert isinstance(report, Graph)
    bind_prefixes(report)
    violations: list[Violation] = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        origin = origins.get(focus) if isinstance(focus, URIRef) else None
        if origin is not None:
            report.add((result, RSME.sourceFile, Literal(published(Path(origin.file)))))
            report.add((result, RSME.sourceLine, Literal(origin.line, datatype=XSD.integer)))
        severity = report.value(result, SH.resultSeverity)
        message = report.value(result, SH.resultMessage)
        shape = report.value(result, SH.sourceShape)
        field = _field(shapes, shape, report.value(result, SH.resultPath))
        value = report.value(result, SH.value)
        violations.append(
            Violation(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=_short(report, focus) or "?",
                path=_path_text(report, report.value(result, SH.resultPath)),
                value=None if value is None or isinstance(value, BNode) else _short(report, value),
                message=str(message) if message else "constraint not met",
                shape=_short(report, shape) or "?",
                origin=origin,
                field=field,
            )
        )
    violations.sort(
        key=lambda v: (str(v.origin.file) if v.origin else "~", v.origin.line if v.origin else 0)
    )
    return ValidationReport(bool(conforms), violations, report)
