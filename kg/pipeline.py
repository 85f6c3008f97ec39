"""The build pipeline: ingest -> build -> reason -> validate -> store, written atomically."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from kg import __version__, paths, reason, sssom
from kg.build import BuildResult, SourceFile, build_dataset, parse_turtle, vocabulary_of
from kg.cache import Cache
from kg.describe import void_description
from kg.errors import InputErrors, NonConformingError, UsageError, WriteError
from kg.ingest.corpus import check_vocabulary, read_corpus
from kg.interchange.writer import process_alive, recover
from kg.modules import Partition, Triple, digest_texts, partition
from kg.namespaces import (
    NAMED_GRAPHS,
    bind_prefixes,
)
from kg.qc import QcFailure, run_qc_cached
from kg.store.embedded import EmbeddedStore
from kg.validate import ValidationReport, load_shapes, validate_partition

Step = Callable[[str], AbstractContextManager[object]]

TRIG_NAME = paths.TRIG_NAME
REPORT_NAME = paths.REPORT_NAME
MANIFEST_NAME = paths.MANIFEST_NAME
# The canonical base of the service: the w3id IRIs resolve to wherever it is deployed.
PUBLIC_BASE = "https://w3id.org/rsme-kg"
VOID_NAME = paths.VOID_NAME


@dataclass(frozen=True)
class Sources:
    """The hand-edited sources a build reads besides the data folder."""

    ontology: Path = paths.ONTOLOGY_FILE
    taxonomy: Path = paths.TAXONOMY_FILE
    mappings: Path = paths.MAPPINGS_FILE  # SSSOM/TSV: the taxonomy's curated mappings
    shapes: Path = paths.SHAPES_DIR
    qc: Path = paths.QC_DIR


@dataclass
class Outcome:
    """What a check run found (without writing anything)."""

    result: BuildResult
    validation: ValidationReport
    reasoner: reason.ReasonerReport | None
    qc: list[QcFailure]
    timings: dict[str, float] = field(default_factory=dict)
    modules: int = 0  # how many independent parts the corpus fell into (kg/modules.py)

    @property
    def conforms(self) -> bool:
        """True when reasoning, QC and SHACL all pass."""
        reasoner_ok = self.reasoner is None or self.reasoner.ok
        return reasoner_ok and not self.qc and self.validation.conforms


def _no_step(_: str) -> AbstractContextManager[object]:
    return nullcontext()


@contextmanager
def _timed(timings: dict[str, float], name: str, step: Step) -> Iterator[None]:
    started = time.perf_counter()
    with step(name):
        yield
    timings[name] = round(time.perf_counter() - started, 3)


def check(
    data_dir: Path,
    sources: Sources = Sources(),
    *,
    run_reasoner: bool = True,
    java: str = reason.BUNDLED,
    step: Step = _no_step,
    cache: Cache | None = None,
    started: datetime | None = None,
) -> Outcome:
    """Read, build, reason, run QC and validate; raise on bad input; return the findings.

    `java` names the Java runtime of the reasoner (see `reason.java_executable`). `cache`
    keeps results by content (kg/cache.py; off when None): a second run after a small edit
    checks only the modules the edit touched (kg/modules.py). The reasoner runs in a thread
    beside SHACL: its work is a Java process, so the two overlap. `started` is the build's
    time as the provenance graph and build.json give it (now when None): a release passes a
    date from its data so that the same inputs give the same bytes.
    """
    cache = cache or Cache(None)
    if run_reasoner:
        reason.java_executable(java)  # a missing runtime is said before minutes of work
    timings: dict[str, float] = {}
    with _timed(timings, "read sources", step):
        ontology = parse_turtle(sources.ontology)
        taxonomy = parse_turtle(sources.taxonomy)
        mapping_set = read_mappings(sources.mappings, taxonomy)
        shapes = load_shapes(sources.shapes)
        recover(data_dir)  # an import stopped after its commit is finished first
        corpus = read_corpus(data_dir)
        check_vocabulary(corpus, vocabulary_of(taxonomy))
    with _timed(timings, "build graph", step):
        inputs = [
            SourceFile.read(sources.ontology, _model_name(sources.ontology, "ontology")),
            SourceFile.read(sources.taxonomy, _model_name(sources.taxonomy, "taxonomy")),
            SourceFile.read(sources.mappings, _model_name(sources.mappings, "mappings")),
            *(SourceFile.read(path, _data_name(path, data_dir)) for path in corpus.files),
        ]
        mappings = bind_prefixes(Graph())
        for triple in sssom.mapping_triples(mapping_set):
            mappings.add(triple)
        result = build_dataset(
            corpus, ontology, taxonomy, inputs, started=started, mappings=mappings
        )
        # the mappings are part of the model (kg/modules.py): the shapes read them with the
        # taxonomy; the files' digests stand for the model (the parser labels blank nodes at
        # random), so an edit of the SSSOM file is an edit of the model
        model = ontology + taxonomy + mappings
        parts = partition(model, result.corpus, digest_texts(*(s.sha256 for s in inputs[:3])))
        # the reasoner and the ontology quality checks get the mapping triples only, as they
        # had them in the taxonomy: the SSSOM annotations (owl:Axiom reifications, sssom:
        # properties) are data about the mappings, not OWL; shapes/mapping.ttl checks them
        linked = taxonomy + _graph_of(sssom.mapping_links(mapping_set))
        # the check that every outside identifier is a verified one (ontology/qc/
        # unverified-mapping-violation.rq) is for rows curated by hand; a row taken in by
        # `rsme-kg link review` names its object_source: its object was found in that
        # vocabulary file, whose SHA-256 the row's comment gives
        by_hand = [m for m in mapping_set.mappings if not m.object_source]
        checked = taxonomy + _graph_of(
            sssom.mapping_links(sssom.with_mappings(mapping_set, by_hand))
        )
    origins = {**result.origins, **sssom.origins(mapping_set, sources.mappings)}

    def published(path: Path) -> str:
        if path == sources.mappings:
            return _model_name(path, "mappings")
        return _data_name(path, data_dir)

    with ThreadPoolExecutor(1, thread_name_prefix="rsme-kg-reasoner") as background:
        reasoning = (
            background.submit(_reason, ontology, linked, parts, result.corpus, cache, java)
            if run_reasoner
            else None
        )
        with _timed(timings, "quality checks", step):
            qc = run_qc_cached(ontology + checked, sources.qc, cache, parts.model_digest)
        with _timed(timings, "validate (SHACL)", step):
            report = validate_partition(
                model,
                parts,
                shapes,
                cache,
                origins,
                published,
                # the files stand for the shapes: cheaper than a canonical form of the graph
                shapes_files_digest=_files_digest(sorted(sources.shapes.glob("*.ttl"))),
            )
        reasoner_report = None
        if reasoning is not None:
            with step("reason (HermiT)"):
                reasoner_report, seconds = reasoning.result()
            timings["reason (HermiT)"] = seconds
    cache.prune()  # the cache stays within its size, old entries first (kg/cache.py)
    return Outcome(result, report, reasoner_report, qc, timings, len(parts.modules))


def read_mappings(path: Path, taxonomy: Graph) -> sssom.MappingSet:
    """The curated mapping set; InputErrors (file, line, column, field) for a bad file or a
    row whose subject is not a concept of the taxonomy."""
    mapping_set = sssom.read_sssom(path)
    concepts = {str(c) for c in taxonomy.subjects(RDF.type, SKOS.Concept)}
    errors = sssom.unknown_subjects(mapping_set, concepts, path)
    if errors:
        raise InputErrors(errors)
    return mapping_set


def _graph_of(triples: list[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def _files_digest(files: list[Path]) -> str:
    return digest_texts(*(f"{p.name}\n{p.read_text(encoding='utf-8')}" for p in files))


def _reason(
    ontology: Graph,
    taxonomy: Graph,
    parts: Partition,
    corpus: list[Triple],
    cache: Cache,
    java: str,
) -> tuple[reason.ReasonerReport, float]:
    started = time.perf_counter()
    report = reason.check_partition(ontology, taxonomy, parts, cache, java=java, corpus=corpus)
    return report, round(time.perf_counter() - started, 3)


def _model_name(path: Path, role: str) -> str:
    """`ontology/rsme.ttl` for a file of the checkout; an outside one by its role and name."""
    return paths.published_name(path, paths.ROOT, "", f"external/{role}")


def _data_name(path: Path, data_dir: Path) -> str:
    """`data/codes.csv`, `data/sources/x.txt`: the data folder is `data/` wherever it is."""
    return paths.published_name(path, data_dir, "data", "data")


def raise_for(outcome: Outcome) -> None:
    """Raise the error that fits the first failed gate (reasoner, QC, SHACL)."""
    if outcome.reasoner is not None:
        reason.require_ok(outcome.reasoner)
    if outcome.qc:
        raise NonConformingError(
            "ontology quality checks failed:\n" + "\n".join(map(str, outcome.qc))
        )
    if not outcome.validation.conforms:
        raise NonConformingError(outcome.validation.text(), outcome.validation)


def check_output_folder(out_dir: Path, data_dir: Path) -> None:
    """Refuse an output folder whose replacement would destroy something that is not a build.

    The build replaces the whole folder, so it must be new, empty, or an earlier build.
    """
    out = out_dir.resolve()
    protected = {Path.cwd().resolve(), Path.home().resolve(), paths.ROOT}
    data = data_dir.resolve()
    if out in protected or out == data or out in data.parents:
        raise UsageError(
            f"--out {out_dir}: the build replaces this folder whole; "
            "choose a folder of its own such as dist/"
        )
    if out.is_file():
        raise UsageError(f"--out {out_dir} is a file; expected a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise UsageError(
            f"--out {out_dir} holds files that are not an rsme-kg build "
            f"(no {MANIFEST_NAME}); the build would replace them, so it stops"
        )


def failed_report_path(out_dir: Path) -> Path:
    """Where a failed build writes its validation report: beside, not inside, the output."""
    return out_dir.parent / f"{out_dir.name}-{REPORT_NAME}"


def build(
    data_dir: Path,
    out_dir: Path,
    sources: Sources = Sources(),
    *,
    run_reasoner: bool = True,
    java: str = reason.BUNDLED,
    step: Step = _no_step,
    cache: Cache | None = None,
    started: datetime | None = None,
) -> tuple[Outcome, dict[str, object]]:
    """Check, then write store + TriG + report + manifest to `out_dir` atomically.

    `started`: the build time to record (see `check`).
    """
    check_output_folder(out_dir, data_dir)
    outcome = check(
        data_dir,
        sources,
        run_reasoner=run_reasoner,
        java=java,
        step=step,
        cache=cache,
        started=started,
    )
    if not outcome.validation.conforms:
        try:
            _write_atomic_file(
                failed_report_path(out_dir),
                outcome.validation.graph.serialize(format="turtle").encode(),
            )
        except OSError as exc:
            raise WriteError(_cannot_write(failed_report_path(out_dir), out_dir, exc)) from exc
    raise_for(outcome)
    with _timed(outcome.timings, "write store", step):
        manifest = _write(outcome, out_dir)
    failed_report_path(out_dir).unlink(missing_ok=True)  # a stale failure report would mislead
    return outcome, manifest


def _write_atomic_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _cannot_write(where: Path, out_dir: Path, exc: OSError) -> str:
    """Why the build could not be written, naming the file and saying 'no space' when it is
    that (RocksDB's errors carry no errno, only its words)."""
    where = Path(exc.filename) if exc.filename else where
    text = str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in text:
        why = f"no space left on the device ({text})"
    elif exc.errno == errno.EFBIG or "File too large" in text:
        why = f"no space: a file would be larger than allowed here ({text})"
    else:
        why = text
    return f"cannot write the build to {where}: {why}; {out_dir} was left as it was"


def _manifest(outcome: Outcome, store: EmbeddedStore) -> dict[str, object]:
    result = outcome.result
    sizes = store.graph_sizes()
    return {
        "build_id": result.build_id,
        "built_at": result.started.isoformat(),
        "rsme_kg_version": __version__,
        "reasoner": None
        if outcome.reasoner is None
        else {
            "engine": "HermiT (owlready2)",
            "consistent": outcome.reasoner.consistent,
            "unsatisfiable_classes": outcome.reasoner.unsatisfiable,
            "seconds": round(outcome.reasoner.seconds, 3),
        },
        "conforms": outcome.validation.conforms,
        "warnings": len(outcome.validation.violations),
        "triples": len(store),
        "graphs": {g: sizes.get(str(g), 0) for g in map(str, NAMED_GRAPHS)},
        "sources": [{"name": s.name, "sha256": s.sha256} for s in result.sources],
        "timings_seconds": outcome.timings,
    }


def _write(outcome: Outcome, out_dir: Path) -> dict[str, object]:
    """Write everything into a temporary sibling folder, then swap it in.

    The previous build stays whole and in place until the swap, which is one step where the
    system has one (Linux); a build killed before it leaves only its temporary folder, which
    the next build removes (`_remove_stale`). A failure to write (a full disk) raises
    WriteError and leaves `out_dir` as it was.
    """
    out_dir = out_dir.resolve()
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out_dir)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        manifest = _write_into(outcome, tmp)
        _swap(tmp, out_dir)
    except OSError as exc:
        raise WriteError(_cannot_write(tmp, out_dir, exc)) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _write_into(outcome: Outcome, tmp: Path) -> dict[str, object]:
    """The build's files in a new folder; the manifest (build.json) is written last."""
    result = outcome.result
    store = EmbeddedStore.create_from(tmp / paths.STORE_SUBDIR, result.graphs())
    (tmp / TRIG_NAME).write_bytes(store.dump("trig"))
    outcome.validation.graph.serialize(tmp / REPORT_NAME, format="turtle")
    void = void_description(
        store,
        base_url=PUBLIC_BASE,
        build_id=outcome.result.build_id,
        dump_url=f"{PUBLIC_BASE}/dump/{TRIG_NAME}",
    )
    void.serialize(tmp / VOID_NAME, format="turtle")
    manifest = _manifest(outcome, store)
    del store  # close RocksDB before the folder moves
    _drop_engine_logs(tmp / paths.STORE_SUBDIR)
    (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _drop_engine_logs(store_dir: Path) -> None:
    """Remove RocksDB's information logs: they name this machine's folders, and the published
    build must not; the store reads none of them (a store opened later writes its own)."""
    for log in store_dir.glob("LOG*"):
        log.unlink()


def _swap(new: Path, target: Path) -> None:
    """Replace `target` by `new`.

    Where the system exchanges two names in one step (Linux renameat2), `target` is never
    missing: the old build ends up at `new`, removed by the caller. Elsewhere the old folder
    is moved aside first and removed last; a build killed between the two renames leaves it
    aside, and the next build puts it back before anything else (`_remove_stale`).
    """
    if target.exists() and _exchange(new, target):
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (renameat2 with RENAME_EXCHANGE); False where the system or
    the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (musl before 1.2.?, old glibc)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


# what killed builds leave beside the output folder: the folder being written (tmp), the
# previous build moved aside (old, without renameat2), a failure report being written
_STALE = r"^\.{name}(?:\.(tmp|old)|-{report}\.tmp)-(\d+)$"


def _remove_stale(out_dir: Path) -> None:
    """Clear what builds killed half-way left beside `out_dir` (processes that are gone),
    putting back a previous build a killed swap had moved aside."""
    pattern = re.compile(_STALE.format(name=re.escape(out_dir.name), report=re.escape(REPORT_NAME)))
    stale = []
    for path in out_dir.parent.iterdir():
        found = pattern.match(path.name)
        if found and not process_alive(int(found.group(2))):
            stale.append((found.group(1), path))
    for kind, path in sorted(stale, key=lambda item: item[1].stat().st_mtime, reverse=True):
        if kind == "old" and not out_dir.exists():
            os.replace(path, out_dir)  # the newest build moved aside is the current one
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
