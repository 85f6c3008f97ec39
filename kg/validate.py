"""Gate a build with the SHACL shapes (pyshacl) and locate each violation in its source file."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import __version__ as pyshacl_version
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, XSD

from kg.cache import Cache
from kg.errors import InputError, Location
from kg.modules import Module, Partition, digest_triples
from kg.namespaces import RSME, SH, bind_prefixes
from kg.records import Origin
from kg.shaclparts import Result, Triple, assemble, decode, encode, results_of
from kg.sparqlcache import install as prepare_sparql_once
from kg.sparqlcache import mirrored

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


def _run(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    """One pySHACL run with the project's options over a graph of the caller's own, which
    pySHACL then reads in place (no copy) and which must not change during the run."""
    prepare_sparql_once()  # SPARQL-based constraints run once per focus node: parse each once
    # pySHACL adds triples of its own to the shapes graph it is given (owl:Class
    # rdfs:subClassOf rdfs:Class, ...): it gets a copy, so ours, and its digest, stay as read
    shapes = _copy([shapes], shapes)
    with mirrored(data):  # and are answered by Oxigraph where it answers as rdflib would
        conforms, report, _ = shacl_validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            inplace=True,
        )
    assert isinstance(report, Graph)
    return bool(conforms), report


def _copy(graphs: Iterable[Iterable[Triple]], prefixes: Graph) -> Graph:
    """One new graph of the given triples, with the prefixes bound on `prefixes` (rdflib lends
    a graph's prefixes to the SPARQL run on it, as pySHACL's own copy keeps them)."""
    data = Graph()
    for prefix, namespace in prefixes.namespaces():
        data.bind(prefix, namespace, override=True, replace=True)
    for triples in graphs:
        for triple in triples:
            data.add(triple)
    return data


def _located(
    report: Graph,
    shapes: Graph,
    origins: Mapping[URIRef, Origin],
    published: Callable[[Path], str],
) -> list[Violation]:
    """The report's results as violations located in their source files, in file order.

    Writes each result's source file and line into the report (the cache never holds them:
    they are taken from the current build, so a moved row is located where it is now).
    """
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
    # by file and line, then by text: the order of a report graph's results is arbitrary,
    # and two reports with the same results must read the same
    violations.sort(
        key=lambda v: (
            str(v.origin.file) if v.origin else "~",
            v.origin.line if v.origin else 0,
            str(v),
        )
    )
    return violations


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
    # a copy, as pySHACL would make itself: the caller's graph stays as it was
    conforms, report = _run(_copy([data], data), shapes)
    return ValidationReport(conforms, _located(report, shapes, origins or {}, published), report)


# --- incremental validation over the modules of a build (kg/modules.py) ----------------------

CACHE_KIND = "shacl"
# what else decides a result besides the shapes and the data: bump when the way the
# constraints are evaluated changes (options above, the SPARQL processor of kg/sparqlcache.py)
_ENGINE = f"pyshacl {pyshacl_version}; inference none; advanced; allow warnings; v2"
_PASSING = frozenset({SH.Info, SH.Warning})  # severities that allow_warnings lets conform


def shapes_digest(shapes: Graph) -> str:
    """A digest of the shapes (their blank nodes' random labels aside) and of the engine."""
    canonical = to_isomorphic(shapes).graph_digest()
    return digest_triples((), _ENGINE, str(canonical))


def check_batch(model: Graph, modules: Sequence[Module], shapes: Graph) -> Graph:
    """One pySHACL run over the model and the modules (triples and context): its report.

    A module's checks read only the model, its triples and its context (kg/modules.py), so
    modules checked together give each the results it would get in a run over everything.
    """
    data = _copy([model, *(m.triples for m in modules), *(m.context for m in modules)], model)
    return _run(data, shapes)[1]


@dataclass
class _Split:
    """The results of one run by the module of their focus node (or the model's part), and
    the parts whose results may not be cached."""

    model: list[Result] = field(default_factory=list)
    modules: dict[str, list[Result]] = field(default_factory=dict)
    uncacheable: set[str] = field(default_factory=set)  # keys, MODEL_PART among them


MODEL_PART = "(model)"


def _split(
    report: Graph, parts: Partition, model: Graph, shapes: Graph, batch: set[str]
) -> _Split | None:
    """File each result of a batch's report under its focus node's module, or under the
    model's part for a node of the model; None when a result is about a node of neither, or
    of a module outside the batch (then the cut of kg/modules.py does not hold for these
    shapes, and the caller validates the whole graph instead)."""
    split = _Split()
    shape_bnodes = {n for triple in shapes for n in triple if isinstance(n, BNode)}
    for result in results_of(report):
        focus = result.value(SH.focusNode)
        key = parts.module_of.get(focus) if focus is not None else None
        if key is None and focus is not None and (focus, None, None) in model:
            key = MODEL_PART
        if key is None or (key != MODEL_PART and key not in batch):
            return None
        (split.model if key == MODEL_PART else split.modules.setdefault(key, [])).append(result)
        # a blank node of the shapes graph has another label in the next process: a result
        # that copies one could not be merged with a later run's, so it is not kept
        if any(n in shape_bnodes for t in result.triples for n in t):
            split.uncacheable.add(key)
    return split


# From this many modules to check on, a batch is shared by processes: below it, starting one
# (a new interpreter, the modules sent over a pipe: ~2 s at 100 copies) costs more than it saves
PARALLEL_MIN_MODULES = 1000


def _check_split(
    model: Graph, todo: Sequence[Module], parts: Partition, shapes: Graph, processes: int | None
) -> _Split | None:
    """`check_batch` and `_split` over the modules to check, the batch shared by processes
    when it is big: modules are independent, so each group is checked as the whole would be.

    Helpers are new interpreters: forking beside the reasoner's thread, or after pyoxigraph
    has started its thread pool, is unsafe. A helper that fails leaves its group to this
    process; the results are the same either way.
    """
    if processes is None:
        big = len(todo) >= PARALLEL_MIN_MODULES
        processes = min(2, os.cpu_count() or 1) if big else 1
    groups = [list(todo[i::processes]) for i in range(max(1, processes))]
    groups = [g for g in groups if g] or [[]]
    helpers = [_Helper.start(model, group, shapes) for group in groups[1:]]
    split = _split(
        check_batch(model, groups[0], shapes), parts, model, shapes, {m.key for m in groups[0]}
    )
    for helper, group in zip(helpers, groups[1:], strict=True):
        theirs = helper.result()
        if theirs is _FAILED:  # the helper died or raised: check its group here
            theirs = _split(
                check_batch(model, group, shapes), parts, model, shapes, {m.key for m in group}
            )
        if split is None or theirs is None or theirs is _FAILED:
            split = None
            continue
        assert isinstance(theirs, _Split)
        split.modules.update(theirs.modules)
        split.uncacheable |= theirs.uncacheable - {MODEL_PART}  # the model's part is ours
    return split


class _Failed:
    """A helper that gave no answer."""


_FAILED = _Failed()


@dataclass
class _Helper:
    """A process checking one group of modules: `python -m kg.validate` reads the work as a
    pickle on its stdin and writes its answer as a pickle on its stdout. A module of its own
    as entry point, not multiprocessing's spawn, which runs the caller's main script again."""

    process: subprocess.Popen[bytes]
    reply: Future[bytes]

    @classmethod
    def start(cls, model: Graph, group: Sequence[Module], shapes: Graph) -> _Helper:
        work = (
            list(model),
            list(model.namespaces()),
            list(group),
            list(shapes),
            list(shapes.namespaces()),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.validate"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # written and read in a thread: the pipe holds 64 KB, the work is megabytes, and this
        # process has its own group to check meanwhile
        pool = ThreadPoolExecutor(1, thread_name_prefix="rsme-kg-shacl-helper")
        reply = pool.submit(_exchange, process, pickle.dumps(work, pickle.HIGHEST_PROTOCOL))
        pool.shutdown(wait=False)
        return cls(process, reply)

    def result(self) -> _Split | _Failed | None:
        try:
            kind, payload = pickle.loads(self.reply.result())
        except Exception:  # died, killed, or answered nothing readable
            return _FAILED
        if kind != "ok":
            return _FAILED
        if payload is None:
            return None
        modules, uncacheable = payload
        decoded = {key: decode(data) for key, data in modules.items()}
        if any(results is None for results in decoded.values()):
            return _FAILED
        return _Split([], {k: v for k, v in decoded.items() if v is not None}, set(uncacheable))


def _exchange(process: subprocess.Popen[bytes], work: bytes) -> bytes:
    out, _ = process.communicate(work)
    return out


def _helper_main() -> None:
    """In a helper process: rebuild the model and shapes, check the group, answer the split."""
    try:
        model_triples, model_ns, group, shape_triples, shape_ns = pickle.load(sys.stdin.buffer)
        model, shapes = Graph(), Graph()
        for graph, triples, namespaces in (
            (model, model_triples, model_ns),
            (shapes, shape_triples, shape_ns),
        ):
            for prefix, namespace in namespaces:
                graph.bind(prefix, namespace, override=True)
            for triple in triples:
                graph.add(triple)
        module_of = {node: m.key for m in group for node in m.nodes}
        parts = Partition("", tuple(group), frozenset(), module_of)
        batch = set(module_of.values())
        split = _split(check_batch(model, group, shapes), parts, model, shapes, batch)
        payload = (
            None
            if split is None
            else ({k: encode(v) for k, v in split.modules.items()}, sorted(split.uncacheable))
        )
        answer: tuple[str, object] = ("ok", payload)
    except Exception as exc:  # the parent checks the group itself
        answer = ("error", f"{type(exc).__name__}: {exc}")
    sys.stdout.buffer.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def _entry_key(shapes_key: str, digest: str) -> str:
    return digest_triples((), shapes_key, digest)


def validate_partition(
    model: Graph,
    parts: Partition,
    shapes: Graph,
    cache: Cache,
    origins: Mapping[URIRef, Origin] | None = None,
    published: Callable[[Path], str] = str,
    *,
    shapes_files_digest: str | None = None,
    processes: int | None = None,
) -> ValidationReport:
    """Validate a build module by module, re-checking only modules whose digest has no
    cached results; the same report, violations and conformance as `validate` gives for
    the model and all the modules' triples together.

    Modules to check go through ONE pySHACL run (with the model); results about model nodes
    (the taxonomy's factors and categories) are kept under the model's digest.
    `shapes_files_digest`, a digest of the shapes' files, spares working one out from the
    graph (0.1 s: its blank nodes must be put in a canonical order first). `processes`: how
    many processes share a big batch (default: two, from PARALLEL_MIN_MODULES modules on, on
    a machine with two cores or more).
    """
    shapes_key = (
        digest_triples((), _ENGINE, shapes_files_digest)
        if shapes_files_digest is not None
        else shapes_digest(shapes)
    )
    model_key = _entry_key(shapes_key, f"model {parts.model_digest}")
    module_keys = {m.key: _entry_key(shapes_key, m.digest) for m in parts.modules}
    kept: dict[str, list[Result]] = {}
    for module in parts.modules:
        found = decode(cache.get(CACHE_KIND, module_keys[module.key]))
        if found is not None:
            kept[module.key] = found
    model_results = decode(cache.get(CACHE_KIND, model_key))
    todo = [m for m in parts.modules if m.key not in kept]
    if todo or model_results is None:
        split = _check_split(model, todo, parts, shapes, processes)
        if split is None:  # findings the modules cannot hold: validate the whole, keep nothing
            return validate(_whole(model, parts), shapes, origins, published)
        for module in todo:
            kept[module.key] = split.modules.get(module.key, [])
            if module.key not in split.uncacheable:
                cache.put(CACHE_KIND, module_keys[module.key], encode(kept[module.key]))
        model_results = split.model
        if MODEL_PART not in split.uncacheable:
            cache.put(CACHE_KIND, model_key, encode(model_results))
    results = [*model_results, *(r for m in parts.modules for r in kept[m.key])]
    conforms = all(r.value(SH.resultSeverity) in _PASSING for r in results)
    report = assemble(results, conforms, shapes)
    return ValidationReport(conforms, _located(report, shapes, origins or {}, published), report)


def _whole(model: Graph, parts: Partition) -> Graph:
    modules = parts.modules
    return _copy([model, *(m.triples for m in modules), *(m.context for m in modules)], model)


if __name__ == "__main__":  # a helper of `_check_split`
    _helper_main()
