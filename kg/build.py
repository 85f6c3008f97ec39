"""Turn typed records into the build's named graphs (ontology, taxonomy, mappings, corpus,
provenance)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg import __version__, iris
from kg.errors import InputError, Location
from kg.ingest.corpus import Vocabulary
from kg.namespaces import (
    BIBO,
    CORPUS_GRAPH,
    FABIO,
    MAPPINGS_GRAPH,
    NAMED_GRAPHS,
    ONTOLOGY_GRAPH,
    PROVENANCE_GRAPH,
    RSME,
    TAXONOMY_GRAPH,
    bind_prefixes,
)
from kg.records import Agent, AppraisalAnswer, Code, Corpus, Origin, Screening, Study

STUDY_CLASSES: dict[str, tuple[URIRef, ...]] = {
    "article": (BIBO.AcademicArticle, FABIO.JournalArticle),
    "book": (BIBO.Book, FABIO.Book),
    "chapter": (BIBO.Chapter, FABIO.BookChapter),
}
AGENT_CLASSES: dict[str, URIRef] = {
    "person": FOAF.Person,
    "organization": FOAF.Organization,
    "software": PROV.SoftwareAgent,
}
SOFTWARE_AGENT = iris.agent("rsme-kg")
Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class SourceFile:
    """An input file of a build: its published name (never a local path) and its SHA-256."""

    name: str
    sha256: str

    @classmethod
    def read(cls, path: Path, name: str) -> SourceFile:
        """The file at `path`, published as `name` (see `kg.paths.published_name`)."""
        return cls(name, hashlib.sha256(path.read_bytes()).hexdigest())


@dataclass
class BuildResult:
    """The named graphs of a build and where each corpus node came from.

    The corpus is kept as a list of triples and the rdflib Dataset made only when asked for
    (writing a build): checking needs neither, and at a million triples it costs seconds.
    """

    ontology: Graph
    taxonomy: Graph
    corpus: list[Triple]
    provenance: Graph
    origins: dict[URIRef, Origin]
    build_id: str
    started: datetime
    sources: list[SourceFile] = field(default_factory=list)
    # the curated mappings (mappings/rsme-kg.sssom.tsv) as RDF: kg/sssom.py's mapping_triples
    mappings: Graph = field(default_factory=Graph)

    def graphs(self) -> list[tuple[URIRef, Graph | list[Triple]]]:
        """The named graphs of the build with their triples, in NAMED_GRAPHS order."""
        return [
            (ONTOLOGY_GRAPH, self.ontology),
            (TAXONOMY_GRAPH, self.taxonomy),
            (CORPUS_GRAPH, self.corpus),
            (PROVENANCE_GRAPH, self.provenance),
            (MAPPINGS_GRAPH, self.mappings),
        ]

    @cached_property
    def dataset(self) -> Dataset:
        """The named graphs as one rdflib Dataset."""
        dataset = Dataset()
        bind_prefixes(dataset)
        for name, graph in self.graphs():
            target = dataset.graph(name)
            for triple in graph:
                target.add(triple)
        return dataset

    def graph(self, name: URIRef) -> Graph:
        """One named graph of the build."""
        return self.dataset.graph(name)


def parse_turtle(path: Path) -> Graph:
    """Parse a Turtle file, turning a syntax error into an InputError with its line."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc}") from exc
    except Exception as exc:  # rdflib raises bare parser exceptions; keep their message
        line = getattr(exc, "lines", None)
        raise InputError(
            Location(path, line if isinstance(line, int) else None), f"not valid Turtle: {exc}"
        ) from exc
    return graph


def vocabulary_of(taxonomy: Graph) -> Vocabulary:
    """The factor, outcome and method ids the taxonomy defines."""

    def ids(cls: URIRef, kind: str) -> frozenset[str]:
        found = (iris.local_id(str(s), kind) for s in taxonomy.subjects(RDF.type, cls))
        return frozenset(i for i in found if i)

    return Vocabulary(
        factors=ids(RSME.Factor, "factor"),
        outcomes=ids(RSME.Outcome, "outcome"),
        methods=ids(RSME.ResearchMethod, "method"),
    )


def digest(sources: Iterable[SourceFile]) -> str:
    """A short SHA-256 over the names and contents of the input files: the build id.

    >>> digest([SourceFile("data/codes.csv", "0" * 64)])
    '0c51d3bfca0abe52'
    """
    sha = hashlib.sha256()
    for source in sorted(sources, key=lambda s: s.name):
        sha.update(f"{source.name}\n{source.sha256}\n".encode())
    return sha.hexdigest()[:16]


class _CorpusWriter:
    """Writes the corpus graph; one method per kind of record."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        # an ordered set of triples, made a graph once at the end: rdflib's store costs tens of
        # microseconds per add, which at a million triples is minutes if paid twice
        self.triples: dict[tuple[Node, Node, Node], None] = {}
        self.origins: dict[URIRef, Origin] = {}
        self.studies = {s.id: s for s in corpus.studies}

    def add(self, s: URIRef | BNode, p: URIRef, o: URIRef | BNode | Literal) -> None:
        self.triples[(s, p, o)] = None

    def text(self, s: URIRef, p: URIRef, value: str, datatype: URIRef | None = None) -> None:
        if value:
            self.triples[(s, p, Literal(value, datatype=datatype))] = None

    def write(self) -> list[Triple]:
        agents = {a.id: a for a in self.corpus.agents}
        for agent_id in self._agent_ids():
            self.agent(agents.get(agent_id), agent_id)
        for study in self.corpus.studies:
            self.study(study)
        for screening in self.corpus.screenings:
            self.screening(screening)
        for code in self.corpus.codes:
            self.code(code)
        self.appraisals(self.corpus.appraisals)
        return list(self.triples)

    def _agent_ids(self) -> list[str]:
        ids = {a.id for a in self.corpus.agents}
        ids |= {c.coder for c in self.corpus.codes}
        ids |= {s.screener for s in self.corpus.screenings}
        ids |= {a.appraiser for a in self.corpus.appraisals}
        return sorted(ids)

    def agent(self, agent: Agent | None, agent_id: str) -> None:
        node = iris.agent(agent_id)
        self.add(node, RDF.type, PROV.Agent)
        if agent is None:  # no coders.csv row: the id is all we know
            self.add(node, FOAF.name, Literal(agent_id))
            return
        self.add(node, RDF.type, AGENT_CLASSES[agent.kind])
        self.add(node, FOAF.name, Literal(agent.name))
        self.text(node, RDFS.comment, agent.note)
        self.origins[node] = agent.origin

    def study(self, study: Study) -> None:
        node = iris.study(study.id)
        self.origins[node] = study.origin
        self.add(node, RDF.type, RSME.Study)
        for cls in STUDY_CLASSES[study.type]:
            self.add(node, RDF.type, cls)
        self.add(node, DCTERMS.identifier, Literal(study.id))
        self.add(node, DCTERMS.title, Literal(study.title))
        self.add(node, DCTERMS.issued, Literal(str(study.year), datatype=XSD.gYear))
        self.add(node, DCTERMS.language, Literal(study.language, datatype=XSD.language))
        self.authors(node, study)
        if study.venue:
            venue = iris.venue(study.venue)
            self.add(node, DCTERMS.isPartOf, venue)
            self.add(venue, RDF.type, BIBO.Periodical)
            self.add(venue, DCTERMS.title, Literal(study.venue))
        self.text(node, BIBO.volume, study.volume)
        self.text(node, BIBO.issue, study.issue)
        self.text(node, BIBO.pages, study.pages)
        if study.doi:
            self.add(node, BIBO.doi, Literal(study.doi))
            self.add(node, OWL.sameAs, iris.doi(study.doi))
        self.text(node, DCTERMS.publisher, study.publisher)
        self.text(node, RSME.place, study.place)
        self.text(node, DCTERMS.bibliographicCitation, study.citation)
        self.text(node, SKOS.editorialNote, study.editorial_note)
        for method_id in study.methods:
            self.add(node, RSME.method, iris.method(method_id))
        self.context(node, study)

    def authors(self, node: URIRef, study: Study) -> None:
        people: list[URIRef] = []
        for name in dict.fromkeys(study.authors):  # each author once, order kept
            person = iris.person(name)
            people.append(person)
            self.add(node, DCTERMS.creator, person)
            self.add(person, RDF.type, FOAF.Person)
            self.add(person, FOAF.name, Literal(name))
            self.add(person, FOAF.familyName, Literal(name.split(",")[0].strip()))
            self.origins.setdefault(person, study.origin)
        if people:
            # labelled from the study id, not at random: the same rows give the same triples,
            # which the content-keyed checks (kg/modules.py) and reproducible dumps rely on
            label = hashlib.sha256(study.id.encode()).hexdigest()[:16]
            cells = [BNode(f"authors{label}n{i}") for i in range(len(people))]
            rests: list[URIRef | BNode] = [*cells[1:], RDF.nil]
            for cell, person, rest in zip(cells, people, rests, strict=True):
                self.add(cell, RDF.first, person)
                self.add(cell, RDF.rest, rest)
            self.add(node, BIBO.authorList, cells[0])

    def context(self, node: URIRef, study: Study) -> None:
        facts: list[tuple[URIRef, Literal]] = [
            (prop, Literal(value))
            for prop, value in (
                (RSME.country, study.country),
                (RSME.region, study.region),
                (RSME.sector, study.sector),
                (RSME.firmType, study.firm_type),
            )
            if value
        ]
        if study.rural is not None:
            facts.append((RSME.rural, Literal(study.rural)))
        if not facts:
            return
        ctx = iris.context(study.id)
        self.origins[ctx] = study.origin
        self.add(node, RSME.hasContext, ctx)
        self.add(ctx, RDF.type, RSME.StudyContext)
        for prop, value in facts:
            self.add(ctx, prop, value)

    def screening(self, screening: Screening) -> None:
        node = iris.screening(screening.study)
        study = iris.study(screening.study)
        self.origins[node] = screening.origin
        self.add(node, RDF.type, RSME.ScreeningDecision)
        self.add(node, RSME.screens, study)
        self.add(study, RSME.screeningDecision, node)
        self.add(node, RSME.decision, RSME[screening.decision])
        if screening.reason:
            self.add(node, RSME.exclusionReason, RSME[screening.reason])
        self.add(node, PROV.wasAttributedTo, iris.agent(screening.screener))
        self.text(node, RSME.stage, screening.stage)
        self.text(node, RDFS.comment, screening.note)

    def code(self, code: Code) -> None:
        node = iris.code(code.id)
        study = iris.study(code.study)
        factor = iris.factor(code.factor)
        activity = iris.coding(code.study, code.coder)
        self.origins[node] = code.origin
        self.add(node, RDF.type, RSME.Code)
        self.add(node, RDF.type, PROV.Entity)
        self.add(node, DCTERMS.identifier, Literal(code.id))
        self.add(node, PROV.wasDerivedFrom, study)
        self.add(study, RSME.hasCode, node)
        self.add(node, RSME.codesFactor, factor)
        self.add(factor, RSME.evidencedBy, node)
        self.add(node, RSME.basis, RSME[code.basis])
        self.add(node, RSME.quote, Literal(code.quote))
        if code.direction:
            self.add(node, RSME.direction, RSME[code.direction])
        if code.outcome:
            self.add(node, RSME.outcome, iris.outcome(code.outcome))
        if code.start is not None:
            self.add(
                node, RSME.selectionStart, Literal(code.start, datatype=XSD.nonNegativeInteger)
            )
        if code.end is not None:
            self.add(node, RSME.selectionEnd, Literal(code.end, datatype=XSD.nonNegativeInteger))
        if code.coded_on is not None:
            self.add(node, DCTERMS.created, Literal(code.coded_on, datatype=XSD.date))
        self.text(node, RDFS.comment, code.note)
        self.add(node, PROV.wasAttributedTo, iris.agent(code.coder))
        self.add(node, PROV.wasGeneratedBy, activity)
        self.add(activity, RDF.type, RSME.CodingActivity)
        self.add(activity, RDF.type, PROV.Activity)
        self.add(activity, PROV.wasAssociatedWith, iris.agent(code.coder))
        self.add(activity, PROV.used, study)
        self.origins.setdefault(activity, code.origin)

    def appraisals(self, answers: list[AppraisalAnswer]) -> None:
        for answer in answers:
            node = iris.appraisal(answer.study, answer.appraiser)
            item = iris.appraisal_answer(answer.study, answer.appraiser, answer.criterion)
            self.origins.setdefault(node, answer.origin)
            self.origins[item] = answer.origin
            self.add(node, RDF.type, RSME.QualityAppraisal)
            self.add(node, RSME.appraises, iris.study(answer.study))
            self.add(iris.study(answer.study), RSME.appraisal, node)
            self.add(node, PROV.wasAttributedTo, iris.agent(answer.appraiser))
            self.add(node, RSME.hasAnswer, item)
            self.add(item, RDF.type, RSME.AppraisalAnswer)
            self.add(item, RSME.criterion, Literal(answer.criterion, datatype=XSD.integer))
            self.add(item, RSME.answer, RSME[answer.answer])
            if answer.score is not None:
                self.add(item, RSME.score, Literal(answer.score, datatype=XSD.decimal))
            self.text(item, RDFS.comment, answer.note)


def corpus_triples(corpus: Corpus) -> tuple[list[Triple], dict[URIRef, Origin]]:
    """The triples of the corpus graph (each once, in the order written), and the CSV origin
    of each node it mints."""
    writer = _CorpusWriter(corpus)
    return writer.write(), writer.origins


def corpus_graph(corpus: Corpus) -> tuple[Graph, dict[URIRef, Origin]]:
    """The corpus graph of a corpus, and the CSV origin of each node it mints."""
    triples, origins = corpus_triples(corpus)
    graph = bind_prefixes(Graph())
    for triple in triples:
        graph.add(triple)
    return graph, origins


def provenance_graph(build_id: str, started: datetime, sources: list[SourceFile]) -> Graph:
    """PROV-O description of the build: when, with what software, from which input files."""
    g = bind_prefixes(Graph())
    node = iris.build(build_id)
    g.add((node, RDF.type, RSME.Build))
    g.add((node, RDF.type, PROV.Activity))
    g.add((node, DCTERMS.identifier, Literal(build_id)))
    g.add(
        (
            node,
            PROV.startedAtTime,
            Literal(started.isoformat(timespec="seconds"), datatype=XSD.dateTime),
        )
    )
    g.add((node, PROV.wasAssociatedWith, SOFTWARE_AGENT))
    g.add((SOFTWARE_AGENT, RDF.type, PROV.SoftwareAgent))
    g.add((SOFTWARE_AGENT, RDF.type, PROV.Agent))
    g.add((SOFTWARE_AGENT, FOAF.name, Literal("rsme-kg")))
    g.add((SOFTWARE_AGENT, OWL.versionInfo, Literal(__version__)))
    for source in sources:
        entity = URIRef(f"{node}/source/{iris.slug(source.name)}")
        g.add((node, PROV.used, entity))
        g.add((entity, RDF.type, PROV.Entity))
        g.add((entity, RDFS.label, Literal(source.name)))
        g.add((entity, RSME.sha256, Literal(source.sha256)))
    for graph_name in NAMED_GRAPHS:
        g.add((graph_name, RDF.type, PROV.Entity))
        g.add((graph_name, PROV.wasGeneratedBy, node))
    return g


def build_dataset(
    corpus: Corpus,
    ontology: Graph,
    taxonomy: Graph,
    sources: list[SourceFile],
    started: datetime | None = None,
    mappings: Graph | None = None,
) -> BuildResult:
    """Assemble the named graphs of a build from a corpus, the two Turtle sources and the
    curated mappings' RDF (`mappings`, empty when None)."""
    started = started or datetime.now(UTC)
    build_id = digest(sources)
    triples, origins = corpus_triples(corpus)
    provenance = provenance_graph(build_id, started, sources)
    return BuildResult(
        ontology,
        taxonomy,
        triples,
        provenance,
        origins,
        build_id,
        started,
        sources,
        bind_prefixes(Graph()) if mappings is None else mappings,
    )
