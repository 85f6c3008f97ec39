"""The factor taxonomy (ontology/factors.ttl) as the interchange needs it: ids, labels, tree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg import iris, paths
from kg.build import parse_turtle, vocabulary_of
from kg.ingest.corpus import Vocabulary
from kg.namespaces import RSME


@dataclass(frozen=True)
class Concept:
    """A factor or a category, with what a QDA tool can show of it."""

    id: str
    iri: str
    kind: str  # "factor" or "category"
    label: str  # skos:prefLabel@en
    label_fa: str
    alt_labels: tuple[str, ...]
    definition: str  # skos:definition@en
    category: str | None = None  # a factor's category id

    @property
    def guid(self) -> str:
        """A REFI-QDA GUID derived from the IRI: the same concept always gets the same one.

        >>> Concept("x", "https://w3id.org/rsme-kg/id/factor/x", "factor", "X", "", (), "").guid
        '3D285A27-FD73-55AF-8CCA-5BACCDEAD895'
        """
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.iri)).upper()


@dataclass(frozen=True)
class Taxonomy:
    """Categories and factors, each list ordered by English label (then id)."""

    categories: tuple[Concept, ...]
    factors: tuple[Concept, ...]
    vocabulary: Vocabulary

    def factors_of(self, category_id: str) -> list[Concept]:
        """The factors of one category."""
        return [f for f in self.factors if f.category == category_id]

    def by_guid(self) -> dict[str, Concept]:
        """Every concept by the GUID the codebook export gives it."""
        return {c.guid: c for c in (*self.categories, *self.factors)}


def _label(graph: Graph, node: URIRef, prop: URIRef, lang: str) -> str:
    for value in graph.objects(node, prop):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return ""


def _concept(graph: Graph, node: URIRef, kind: str) -> Concept | None:
    ident = iris.local_id(str(node), kind)
    if ident is None:
        return None
    category = None
    if kind == "factor":
        parents = (iris.local_id(str(b), "category") for b in graph.objects(node, SKOS.broader))
        category = next((p for p in parents if p), None)
    alts = sorted(
        str(v) for v in graph.objects(node, SKOS.altLabel) if isinstance(v, Literal) and v.value
    )
    return Concept(
        id=ident,
        iri=str(node),
        kind=kind,
        label=_label(graph, node, SKOS.prefLabel, "en") or ident,
        label_fa=_label(graph, node, SKOS.prefLabel, "fa"),
        alt_labels=tuple(alts),
        definition=_label(graph, node, SKOS.definition, "en"),
        category=category,
    )


def _concepts(graph: Graph, cls: URIRef, kind: str) -> tuple[Concept, ...]:
    nodes = (n for n in graph.subjects(RDF.type, cls) if isinstance(n, URIRef))
    found = (_concept(graph, node, kind) for node in nodes)
    concepts = [c for c in found if c is not None]
    return tuple(sorted(concepts, key=lambda c: (c.label.casefold(), c.id)))


def load_taxonomy(path: Path = paths.TAXONOMY_FILE) -> Taxonomy:
    """Read the taxonomy file (an InputError says where it is not valid Turtle)."""
    graph = parse_turtle(path)
    return Taxonomy(
        categories=_concepts(graph, RSME.FactorCategory, "category"),
        factors=_concepts(graph, RSME.Factor, "factor"),
        vocabulary=vocabulary_of(graph),
    )
