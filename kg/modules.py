"""Split a build into parts that can be checked apart, each with a digest of its content.

The corpus graph of a meta-synthesis is mostly studies that do not refer to each other: a study,
its screening decision, its codes and their coding activities, its appraisal and its author list
only meet other studies at *shared* nodes: the vocabulary (every node the ontology or taxonomy
describes: factors, outcomes, methods, classes, the enumerated values), the agents who coded,
screened and appraised, the authors and the venues. Cut at those, the rest of the graph falls
apart into connected components, the *modules*; in the corpus there is one per study.

A module carries its own triples (every triple with one of its nodes as subject, or as object
of a shared subject, such as factor rsme:evidencedBy code) and its *context*: the corpus triples
about the shared nodes it mentions (an author's name, a coder's type). The checks of a module
read nothing else besides the model, so a module whose digest is unchanged need not be checked
again (docs/checking.md says why this holds for the shapes and the reasoner, and what would
break it).

The model is the ontology, the taxonomy and the curated mappings (graph/mappings, from
mappings/rsme-kg.sssom.tsv): the mapping triples were part of the taxonomy before they moved to
their SSSOM file, they name only taxonomy concepts and outside IRIs (never a corpus node), and
their SSSOM annotations (the mapping set, an owl:Axiom per mapping) are about nothing else. So
they belong with the shared part: their nodes are shared, their SHACL results are the model's
(cached under the model's digest), and the model's digest covers the SSSOM file, so an edit of
a mapping is an edit of the model, which every module's key includes.

Nodes that are not shared join modules: two studies that share a DOI IRI (owl:sameAs) or a code
id fall into one module, so whatever they say together is checked together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Node, URIRef
from rdflib.namespace import FOAF, OWL, PROV, RDF, RDFS

from kg.namespaces import BIBO, ID

Triple = tuple[Node, Node, Node]
_STUDY = str(ID["study/"])

# corpus nodes that many studies point at: typed so by the build (kg/build.py)
SHARED_TYPES: frozenset[Node] = frozenset({PROV.Agent, FOAF.Person, BIBO.Periodical})


def digest_triples(triples: Iterable[Triple], *salt: str) -> str:
    """SHA-256 of a set of triples (order-free; blank node labels as they are, which the build
    derives from the data) and of the salt strings.

    >>> a = (URIRef("urn:a"), URIRef("urn:p"), Literal("x"))
    >>> b = (URIRef("urn:b"), URIRef("urn:p"), Literal("y"))
    >>> digest_triples([a, b]) == digest_triples([b, a, a])
    True
    >>> digest_triples([a]) == digest_triples([a], "other shapes")
    False
    """
    sha = hashlib.sha256()
    for text in salt:
        sha.update(text.encode())
        sha.update(b"\0")
    for line in sorted({f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in triples}):
        sha.update(line.encode())
        sha.update(b"\n")
    return sha.hexdigest()


def digest_texts(*texts: str) -> str:
    """SHA-256 of some strings, each ended by a NUL (so ("ab", "c") differs from ("a", "bc")).

    >>> digest_texts("ab", "c") == digest_texts("a", "bc")
    False
    """
    sha = hashlib.sha256()
    for text in texts:
        sha.update(text.encode())
        sha.update(b"\0")
    return sha.hexdigest()


@dataclass(frozen=True)
class Module:
    """One independent part of the corpus: its nodes, triples, context and digest."""

    key: str  # its study's IRI (else its smallest IRI): stable from run to run
    nodes: frozenset[Node]
    triples: tuple[Triple, ...]
    context: tuple[Triple, ...]  # corpus triples about the shared nodes it mentions
    digest: str = ""
    # the same without annotation assertions (titles, notes, labels), which OWL 2 gives no
    # meaning: the reasoner's verdict on a module depends on this one only
    logical_digest: str = ""

    def graph(self) -> Graph:
        """Its triples and context as a graph."""
        g = Graph()
        for triple in (*self.triples, *self.context):
            g.add(triple)
        return g


@dataclass(frozen=True)
class Partition:
    """The modules of a corpus graph, and what is shared among them."""

    model_digest: str  # ontology + taxonomy + mappings: part of every module's digest
    modules: tuple[Module, ...]
    shared: frozenset[Node] = field(default_factory=frozenset)
    module_of: dict[Node, str] = field(default_factory=dict)  # node -> module key

    def by_key(self) -> dict[str, Module]:
        """The modules by key."""
        return {m.key: m for m in self.modules}


class _Components:
    """Union-find over graph nodes."""

    def __init__(self) -> None:
        self.parent: dict[Node, Node] = {}

    def find(self, node: Node) -> Node:
        root = self.parent.setdefault(node, node)
        while root != self.parent[root]:
            root = self.parent[root]
        while node != root:  # path compression keeps later finds short
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: Node, b: Node) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=str)] = min(ra, rb, key=str)


# annotation properties built into OWL 2 (Structural Specification, section 5.5)
BUILT_IN_ANNOTATIONS: frozenset[Node] = frozenset(
    {
        RDFS.label,
        RDFS.comment,
        RDFS.seeAlso,
        RDFS.isDefinedBy,
        OWL.versionInfo,
        OWL.deprecated,
        OWL.priorVersion,
        OWL.backwardCompatibleWith,
        OWL.incompatibleWith,
    }
)


def annotation_properties(model: Graph) -> frozenset[Node]:
    """The properties whose assertions have no logical meaning: OWL's own and those the model
    declares owl:AnnotationProperty (unless it also makes them object or data properties)."""
    declared = set(model.subjects(RDF.type, OWL.AnnotationProperty))
    logical = set(model.subjects(RDF.type, OWL.ObjectProperty))
    logical |= set(model.subjects(RDF.type, OWL.DatatypeProperty))
    return frozenset((declared - logical) | (BUILT_IN_ANNOTATIONS - logical))


def shared_nodes(model: Graph, corpus: Iterable[Triple]) -> frozenset[Node]:
    """The nodes at which the corpus is cut: those the model describes or uses, and the
    corpus's agents, authors and venues."""
    shared: set[Node] = set()
    for s, p, o in model:
        shared.update(n for n in (s, p, o) if isinstance(n, URIRef))
    for node, p, kind in corpus:
        if p == RDF.type and kind in SHARED_TYPES and isinstance(node, URIRef):
            shared.add(node)
    return frozenset(shared)


def partition(model: Graph, corpus: list[Triple], model_digest: str) -> Partition:
    """Cut the corpus triples at the shared nodes into modules, with their digests.

    `model_digest` stands for the ontology, taxonomy and mappings (the build uses their files'
    SHA-256: a digest of the parsed model would differ from run to run, since the parser labels
    its blank nodes at random). A module's digest covers its triples, its context and the
    model, so it changes when anything its checks read changes.
    """
    shared = shared_nodes(model, corpus)
    annotations = annotation_properties(model)

    def own(node: Node) -> bool:
        return not isinstance(node, Literal) and node not in shared

    parts = _Components()
    context_of: dict[Node, list[Triple]] = {}
    for s, p, o in corpus:
        if own(s):
            parts.find(s)
            if own(o):
                parts.union(s, o)
        elif own(o):
            parts.find(o)
        else:
            context_of.setdefault(s, []).append((s, p, o))
    members: dict[Node, list[Node]] = {}
    for node in list(parts.parent):
        members.setdefault(parts.find(node), []).append(node)
    triples: dict[Node, list[Triple]] = {root: [] for root in members}
    mentions: dict[Node, set[Node]] = {root: set() for root in members}
    for s, p, o in corpus:
        owner = s if own(s) else o if own(o) else None
        if owner is None:
            continue
        root = parts.find(owner)
        triples[root].append((s, p, o))
        mentions[root].update(n for n in (s, p, o) if n in context_of)
    modules = []
    module_of: dict[Node, str] = {}
    for root, nodes in members.items():
        # named after its study when it has one (the reader of a report knows studies)
        key = min(
            (str(n) for n in nodes if isinstance(n, URIRef)),
            key=lambda iri: (not iri.startswith(_STUDY), iri),
            default=str(root),
        )
        context = tuple(t for n in sorted(mentions[root], key=str) for t in context_of[n])
        modules.append(
            Module(
                key=key,
                nodes=frozenset(nodes),
                triples=tuple(triples[root]),
                context=context,
                digest=digest_triples([*triples[root], *context], model_digest),
                logical_digest=digest_triples(
                    [t for t in (*triples[root], *context) if t[1] not in annotations],
                    model_digest,
                ),
            )
        )
        module_of.update(dict.fromkeys(nodes, key))
    modules.sort(key=lambda m: m.key)
    return Partition(model_digest, tuple(modules), shared, module_of)
