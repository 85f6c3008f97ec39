"""The embedded backend: a pyoxigraph (RocksDB) store on disk, queried in-process."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Dataset, Node, URIRef
from rdflib import Literal as RdfLiteral

from kg.errors import InputError, Location, QueryError, StoreError
from kg.namespaces import NAMED_GRAPHS, PREFIXES
from kg.store.base import Bindings, QueryResult
from kg.store.sparqltext import DatasetClause, check_bindings, dataset_clause

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def to_ox(term: Node) -> OxTerm:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def to_rdflib(term: object) -> Node:
    """A pyoxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot convert {term!r}")


EngineAnswer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


def result_of(answer: EngineAnswer | Iterable[ox.Triple | ox.Quad]) -> QueryResult:
    """A pyoxigraph answer (the engine's, or one parsed from an endpoint) as rdflib terms."""
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", [], [], boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows = [
            {name: to_rdflib(term) for name in variables if (term := row[name]) is not None}
            for row in answer
        ]
        return QueryResult("select", variables, rows)
    triples = [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in answer]
    return QueryResult("graph", [], [], triples=triples)


def guess_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file from its extension, or an InputError listing the known ones."""
    ext = path.suffix.lstrip(".").lower()
    aliases = {
        "ttl": "ttl",
        "nt": "nt",
        "nq": "nq",
        "trig": "trig",
        "rdf": "rdf",
        "owl": "rdf",
        "xml": "rdf",
        "jsonld": "jsonld",
        "n3": "n3",
    }
    fmt = ox.RdfFormat.from_extension(aliases.get(ext, ext))
    if fmt is None:
        raise InputError(
            Location(path),
            f"unknown RDF file extension '.{ext}'",
            ".ttl, .nt, .nq, .trig, .rdf/.owl or .jsonld",
        )
    return fmt


_BUILD_GRAPHS = {str(g) for g in NAMED_GRAPHS}


def _parse_file(path: Path, graph: str | None) -> list[ox.Quad]:
    """The quads of one RDF file, moved into `graph` when one is given."""
    fmt = guess_format(path)
    if graph is not None and (
        not graph.startswith(("http://", "https://", "urn:"))
        or any(c in graph for c in '<>"{}|^`\\ ')
    ):
        raise InputError(Location(path), f"{graph!r} is not a graph IRI", "an absolute IRI")
    if graph is None and not fmt.supports_datasets:
        raise InputError(Location(path), "a triples file needs a target graph", "--graph IRI")
    target = ox.NamedNode(graph) if graph else None
    try:
        parsed = ox.parse(path=str(path), format=fmt)
        return [ox.Quad(q.subject, q.predicate, q.object, target) if target else q for q in parsed]
    except SyntaxError as exc:
        raise InputError(Location(path), f"not valid RDF: {exc}") from exc
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc}") from exc


class EmbeddedStore:
    """A pyoxigraph store. Queries see the union of the named graphs as the default graph,
    unless they name their own dataset (FROM / FROM NAMED)."""

    def __init__(self, store: ox.Store, path: Path | None = None) -> None:
        self._store = store
        self.path = path

    @classmethod
    def open(cls, path: Path, read_only: bool = True) -> EmbeddedStore:
        """Open a store written by `build`; StoreError if there is none."""
        if not path.is_dir() or not any(path.iterdir()):
            raise StoreError(f"no store at {path}: run `rsme-kg build` first (or pass --store)")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        return cls(store, path)

    @classmethod
    def in_memory(cls) -> EmbeddedStore:
        """An empty store in memory."""
        return cls(ox.Store())

    @classmethod
    def copy_in_memory(cls, path: Path) -> EmbeddedStore:
        """The store written by `build` at `path`, copied into memory for fast reads."""
        on_disk = cls.open(path)
        memory = ox.Store()
        # through N-Quads bytes, both steps in the engine: it lets go of Python's lock while it
        # works (bulk_extend over the store's quads holds it for the whole copy), so a worker
        # copying in a thread still answers from disk meanwhile
        memory.bulk_load(
            on_disk._store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS
        )
        return cls(memory, path)

    @classmethod
    def create(cls, path: Path, dataset: Dataset) -> EmbeddedStore:
        """Write a new on-disk store at `path` holding the quads of an rdflib Dataset."""
        return cls.create_from(
            path, ((graph.identifier, graph) for graph in dataset.graphs() if len(graph))
        )

    @classmethod
    def create_from(
        cls, path: Path, graphs: Iterable[tuple[Node, Iterable[tuple[Node, Node, Node]]]]
    ) -> EmbeddedStore:
        """Write a new on-disk store at `path` holding named graphs given as triples (a name
        that is not an IRI means the default graph). The terms go to the engine directly: no
        rdflib Dataset, no N-Triples text in between, which at a million triples cost a minute."""
        store = ox.Store(str(path))
        converted: dict[Node, OxTerm] = {}  # predicates, classes and authors recur: convert once

        def term(node: Node) -> OxTerm:
            found = converted.get(node)
            if found is None:
                found = converted[node] = to_ox(node)
            return found

        for name, triples in graphs:
            target = ox.NamedNode(str(name)) if isinstance(name, URIRef) else ox.DefaultGraph()
            store.bulk_extend(
                ox.Quad(term(s), term(p), term(o), target)  # type: ignore[arg-type]
                for s, p, o in triples
            )
        store.optimize()
        store.flush()
        return cls(store, path)

    def __len__(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        """The IRIs of the store's named graphs, sorted."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def answer(
        self,
        sparql: str,
        bindings: Bindings | None = None,
        *,
        dataset: DatasetClause | None = None,
    ) -> EngineAnswer:
        """The engine's own answer (evaluated lazily), for callers that stream or write it.

        The default graph is the union of the named graphs, unless the query names its own
        dataset (FROM / FROM NAMED) or `dataset` gives one, which replaces the query's (as a
        SPARQL Protocol request's does).
        """
        bindings = bindings or {}
        check_bindings(sparql, bindings)
        # default prefixes without pasting text: parser positions stay exact
        options: dict[str, Any] = {"prefixes": PREFIXES}
        if dataset:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        elif dataset_clause(sparql) == DatasetClause():  # no FROM: the union of the graphs
            options["use_default_graph_as_union"] = True
        try:
            if bindings:  # SEP-0007 substitution: bound before evaluation, never pasted
                options["substitutions"] = {ox.Variable(k): to_ox(v) for k, v in bindings.items()}
            answer: EngineAnswer = self._store.query(sparql, **options)
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL query: {exc}") from exc
        except (RuntimeError, ValueError) as exc:
            # the engine refuses, e.g., a variable a SELECT * does not hold
            hint = ": bind only variables the query returns" if bindings else ""
            raise QueryError(f"{exc}{hint}") from exc
        except OSError as exc:
            raise StoreError(f"the store failed while answering: {exc}") from exc
        return answer

    def query(self, sparql: str, bindings: Bindings | None = None) -> QueryResult:
        """Run a SPARQL query and materialise its answer as rdflib terms."""
        answer = self.answer(sparql, bindings)
        try:
            return result_of(answer)
        except (RuntimeError, OSError) as exc:  # evaluation is lazy: errors come while reading
            raise QueryError(f"the query failed while answering: {exc}") from exc

    def serialize(self, sparql: str, fmt: str, bindings: Bindings | None = None) -> bytes:
        """Run a query and serialize the answer with pyoxigraph's own writers."""
        answer = self.answer(sparql, bindings)
        out = io.BytesIO()
        if isinstance(answer, ox.QueryTriples):
            if fmt not in RDF_FORMATS:
                raise QueryError(
                    f"a CONSTRUCT/DESCRIBE answer cannot be written as {fmt}; "
                    f"use one of {', '.join(RDF_FORMATS)}"
                )
            answer.serialize(out, RDF_FORMATS[fmt])
        else:
            if fmt not in RESULT_FORMATS:
                raise QueryError(
                    f"a SELECT/ASK answer cannot be written as {fmt}; "
                    f"use one of {', '.join(RESULT_FORMATS)} "
                    "(RDF formats are for CONSTRUCT/DESCRIBE)"
                )
            assert isinstance(answer, ox.QuerySolutions | ox.QueryBoolean)
            answer.serialize(out, RESULT_FORMATS[fmt])
        return out.getvalue()

    def load(self, files: list[tuple[Path, str | None]]) -> dict[str, int]:
        """Load RDF files, each into its target graph, replacing those graphs; quads per graph.

        Every file is parsed before the store is touched, so a bad file changes nothing, and
        each target graph is cleared once, so several files can fill one graph. The build's
        own named graphs are refused: they are written by `build` only.
        """
        quads: list[ox.Quad] = []
        for path, graph in files:
            quads += _parse_file(path, graph)
        targets = {q.graph_name for q in quads}
        reserved = sorted(
            str(g.value)
            for g in targets
            if isinstance(g, ox.NamedNode) and g.value in _BUILD_GRAPHS
        )
        if reserved:
            raise InputError(
                Location(files[0][0]),
                f"the build's graph {reserved[0]} cannot be loaded into",
                "another --graph IRI (rebuild to change the build's graphs)",
            )
        for g in targets:
            if isinstance(g, ox.NamedNode):
                self._store.clear_graph(g)
        self._store.extend(quads)
        self._store.flush()
        counts: dict[str, int] = {}
        for q in quads:
            key = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "default"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def dump(self, fmt: str = "trig") -> bytes:
        """The whole store serialized (TriG or N-Quads)."""
        out = io.BytesIO()
        self._store.dump(out, RDF_FORMATS[fmt])
        return out.getvalue()

    def graph_sizes(self) -> dict[str, int]:
        """Number of triples in each named graph."""
        answer = self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        assert isinstance(answer, ox.QuerySolutions)
        return {s["g"].value: int(s["n"].value) for s in answer}  # type: ignore[union-attr,unused-ignore]
