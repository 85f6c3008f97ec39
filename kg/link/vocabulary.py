"""Reading an outside SKOS or OWL vocabulary file, streamed, into the concepts and labels to match.

pyoxigraph parses every format we accept (Turtle, TriG, N-Triples, N-Quads, N3, RDF/XML, JSON-LD)
as a stream of quads, so a vocabulary of millions of triples never becomes a graph in memory:
only the concept IRIs, their schemes and their labels in the languages asked for are kept.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import InputError, Location

_SKOS = "http://www.w3.org/2004/02/skos/core#"
_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

PREF_LABEL = "skos:prefLabel"
ALT_LABEL = "skos:altLabel"
RDFS_LABEL = "rdfs:label"
# the label properties read, by the SSSOM match-field CURIE each is reported as
_LABELS = {
    ox.NamedNode(_SKOS + "prefLabel"): PREF_LABEL,
    ox.NamedNode(_SKOS + "altLabel"): ALT_LABEL,
    ox.NamedNode(_RDFS + "label"): RDFS_LABEL,
}
_IN_SCHEME = {ox.NamedNode(_SKOS + "inScheme"), ox.NamedNode(_SKOS + "topConceptOf")}
_DEPRECATED = ox.NamedNode(_OWL + "deprecated")
_CONCEPT_TYPES = {ox.NamedNode(_SKOS + "Concept"), ox.NamedNode(_OWL + "Class")}
_ONTOLOGY = ox.NamedNode(_OWL + "Ontology")
_SCHEME = ox.NamedNode(_SKOS + "ConceptScheme")

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".skos": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}
FORMATS_EXPECTED = (
    "a vocabulary file named by its format: " + ", ".join(sorted(FORMATS)) + " (optionally .gz)"
)


@dataclass(frozen=True, order=True, slots=True)
class Label:
    """One label of a concept: its text, language tag ('' when untagged) and property."""

    text: str
    lang: str
    field: str  # PREF_LABEL, ALT_LABEL or RDFS_LABEL


@dataclass(frozen=True, slots=True)
class VocabConcept:
    """A concept of the outside vocabulary with its labels in the languages asked for."""

    iri: str
    labels: tuple[Label, ...]
    schemes: frozenset[str]

    def label(self, langs: Collection[str]) -> str:
        """The concept's display label: a preferred label (rdfs:label if none), first language.

        >>> c = VocabConcept("https://example.org/vocab/c1", (Label("Handel", "de", PREF_LABEL),
        ...     Label("trade", "en", PREF_LABEL)), frozenset())
        >>> c.label(["en", "fa"]), c.label(["fa"])
        ('trade', 'Handel')
        """
        ordered = sorted(
            self.labels,
            key=lambda lab: (
                lab.field != PREF_LABEL,
                lab.field != RDFS_LABEL,
                _lang_rank(lab.lang, langs),
                lab.text,
            ),
        )
        return ordered[0].text if ordered else ""


def _lang_rank(tag: str, langs: Collection[str]) -> int:
    order = list(langs)
    primary = primary_language(tag)
    return order.index(primary) if primary in order else len(order)


def primary_language(tag: str) -> str:
    """The primary subtag of a language tag, lower case: 'en-GB' and 'EN' are both 'en'.

    >>> primary_language("en-GB"), primary_language("FA"), primary_language("")
    ('en', 'fa', '')
    """
    return tag.split("-", 1)[0].lower()


@dataclass(frozen=True)
class Vocabulary:
    """What `rsme-kg link` needs of a vocabulary file, and where it came from."""

    path: Path
    sha256: str
    triples: int
    concepts: dict[str, VocabConcept]
    ontologies: tuple[str, ...]  # owl:Ontology IRIs of the file
    schemes: tuple[str, ...]  # skos:ConceptScheme IRIs of the file
    deprecated: frozenset[str] = field(default_factory=frozenset)

    def source(self, scheme: str | None = None) -> str | None:
        """The IRI that names the vocabulary: the scheme asked for, the file's one ontology or
        its one concept scheme; None when the file does not say (or says several)."""
        if scheme:
            return scheme
        for names in (self.ontologies, self.schemes):
            if len(names) == 1:
                return names[0]
        return None


def vocabulary_format(path: Path) -> tuple[ox.RdfFormat, bool]:
    """The RDF format of a vocabulary file from its extension, and whether it is gzip-compressed.

    >>> vocabulary_format(Path("stw.nt.gz"))
    (<RdfFormat N-Triples>, True)
    >>> vocabulary_format(Path("agrovoc.rdf"))
    (<RdfFormat RDF/XML>, False)
    """
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(Location(path), "unknown vocabulary format", FORMATS_EXPECTED)
    return fmt, gz


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (hex)."""
    sha = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                sha.update(block)
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc.strerror or exc}") from exc
    return sha.hexdigest()


@contextmanager
def _opened(path: Path, gz: bool) -> Iterator[IO[bytes]]:
    opener = gzip.open if gz else open
    try:
        stream = opener(path, "rb")
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc.strerror or exc}") from exc
    with stream:
        yield stream  # type: ignore[misc]


def _syntax_error(path: Path, fmt: ox.RdfFormat, exc: SyntaxError) -> InputError:
    # pyoxigraph puts the 1-based line and column of the fault on the SyntaxError
    line = exc.lineno if isinstance(exc.lineno, int) else None
    column = exc.offset if isinstance(exc.offset, int) and line is not None else None
    expected = f"a {fmt.name} file"
    if fmt == ox.RdfFormat.JSON_LD and "remote context" in exc.msg:
        expected = "a JSON-LD file whose @context is written in it (remote ones are not fetched)"
    return InputError(Location(path, line, column), f"not valid {fmt.name}: {exc.msg}", expected)


def _true(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.value.strip().lower() in ("true", "1")


class _Collector:
    """Keeps, quad by quad, only what matching needs: concepts, their schemes and labels."""

    def __init__(self, langs: Collection[str]) -> None:
        self.langs = {primary_language(lang) for lang in langs}
        self.typed: set[str] = set()
        self.labels: defaultdict[str, list[Label]] = defaultdict(list)
        self.with_pref: set[str] = set()
        self.schemes: defaultdict[str, set[str]] = defaultdict(set)
        self.deprecated: set[str] = set()
        self.ontologies: set[str] = set()
        self.scheme_iris: set[str] = set()
        self.triples = 0
        self._lang_cache: dict[str, bool] = {}

    def consume(self, quads: Iterable[ox.Quad]) -> None:
        """Read every quad; the loop is the hot path of a large file, hence the local names."""
        labels_of, keep_lang = _LABELS.get, self._keeps
        named, literal = ox.NamedNode, ox.Literal
        append_label = self.labels.__getitem__
        for quad in quads:
            self.triples += 1
            subject = quad.subject
            if type(subject) is not named:
                continue  # blank nodes (OWL restrictions, lists) are never concepts to map to
            predicate, obj = quad.predicate, quad.object
            field = labels_of(predicate)
            if field is not None:
                if type(obj) is literal:
                    iri = subject.value
                    if field is PREF_LABEL:
                        self.with_pref.add(iri)
                    lang = obj.language or ""
                    text = obj.value.strip()
                    if text and keep_lang(lang):
                        append_label(iri).append(Label(text, lang, field))
            elif predicate == _RDF_TYPE:
                self._typed(subject.value, obj)
            elif predicate in _IN_SCHEME:
                if type(obj) is named:
                    self.schemes[subject.value].add(obj.value)
            elif predicate == _DEPRECATED and _true(obj):
                self.deprecated.add(subject.value)

    def _keeps(self, tag: str) -> bool:
        # an untagged label is kept whatever languages are asked for: its language is unknown
        known = self._lang_cache.get(tag)
        if known is None:
            known = self._lang_cache[tag] = not tag or primary_language(tag) in self.langs
        return known

    def _typed(self, iri: str, cls: object) -> None:
        if cls in _CONCEPT_TYPES:
            self.typed.add(iri)
        elif cls == _ONTOLOGY:
            self.ontologies.add(iri)
        elif cls == _SCHEME:
            self.scheme_iris.add(iri)

    def concepts(self) -> dict[str, VocabConcept]:
        iris = (self.typed | self.with_pref) - self.scheme_iris - self.ontologies
        return {
            iri: VocabConcept(
                iri,
                tuple(sorted(set(self.labels.get(iri, ())))),
                frozenset(self.schemes.get(iri, ())),
            )
            for iri in sorted(iris)
        }


def read_vocabulary(path: Path, langs: Collection[str] = ("en", "fa")) -> Vocabulary:
    """Read a vocabulary file, streamed: its concepts (skos:Concept, owl:Class, or anything with a
    skos:prefLabel) with their labels in `langs` (and untagged ones).

    A syntax error becomes an InputError with the file, line and column of the fault.
    """
    fmt, gz = vocabulary_format(path)
    digest = file_sha256(path)
    collector = _Collector(langs)
    with _opened(path, gz) as stream:
        try:
            collector.consume(ox.parse(stream, format=fmt, base_iri=path.absolute().as_uri()))
        except SyntaxError as exc:
            raise _syntax_error(path, fmt, exc) from exc
        except (OSError, EOFError, ValueError) as exc:  # a truncated gzip stream, a bad encoding
            raise InputError(Location(path), f"cannot read the file: {exc}") from exc
    return Vocabulary(
        path=path,
        sha256=digest,
        triples=collector.triples,
        concepts=collector.concepts(),
        ontologies=tuple(sorted(collector.ontologies)),
        schemes=tuple(sorted(collector.scheme_iris)),
        deprecated=frozenset(collector.deprecated),
    )
