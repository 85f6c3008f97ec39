"""Publish a build to a remote store with the SPARQL 1.1 Graph Store HTTP Protocol."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg.errors import InputError, Location, StoreError, UsageError

_EXCERPT = 500
DEFAULT_GRAPH = "default"


def graph_store_url(endpoint: str) -> str:
    """The Graph Store Protocol URL beside a well-known server's query endpoint.

    >>> graph_store_url("http://localhost:7878/query")  # Oxigraph
    'http://localhost:7878/store'
    >>> graph_store_url("http://localhost:3030/rsme/sparql")  # Fuseki
    'http://localhost:3030/rsme/data'
    """
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        # Oxigraph serves /query and /store at the root; Fuseki serves /{dataset}/query|sparql
        # and /{dataset}/data. Anything else is a guess we do not make.
        if path == "/query":
            return urlunsplit(parts._replace(path="/store"))
        head, _, last = path.rpartition("/")
        if last in ("query", "sparql") and head:
            return urlunsplit(parts._replace(path=f"{head}/data"))
    raise UsageError(
        f"cannot tell the Graph Store Protocol URL of {endpoint} "
        "(known: Oxigraph .../query, Fuseki .../{dataset}/sparql); pass --graph-store URL"
    )


def read_graphs(trig: Path) -> dict[str, list[ox.Triple]]:
    """The triples of each graph of a TriG file, by graph IRI ('default' for the default one)."""
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    try:
        for quad in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG):
            name = quad.graph_name
            key = name.value if isinstance(name, ox.NamedNode) else DEFAULT_GRAPH
            graphs[key].append(ox.Triple(quad.subject, quad.predicate, quad.object))
    except SyntaxError as exc:
        raise InputError(Location(trig), f"not valid TriG: {exc}") from exc
    except OSError as exc:
        raise InputError(Location(trig), f"cannot read the file: {exc}") from exc
    if not graphs:
        raise InputError(Location(trig), "holds no triples", "a TriG dump written by build")
    return dict(graphs)


def publish(trig: Path, graph_store: str, *, timeout: float = 60.0) -> dict[str, int]:
    """PUT every graph of a build's TriG dump to a Graph Store; the triples sent per graph.

    PUT replaces each graph, so publishing twice leaves the store as publishing once.
    """
    documents = read_graphs(trig)
    sizes: dict[str, int] = {}
    with httpx.Client(timeout=timeout) as client:
        for name, triples in documents.items():
            # N-Triples: no prefixes to resolve, the cheapest format for a store to parse
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            params = {"default": ""} if name == DEFAULT_GRAPH else {"graph": name}
            try:
                response = client.put(
                    graph_store,
                    params=params,
                    content=body,
                    headers={"Content-Type": "application/n-triples"},
                )
            except httpx.TimeoutException:
                raise StoreError(
                    f"the graph store at {graph_store} did not answer within {timeout:g} s "
                    f"while receiving {name}{_progress(sizes, documents)}"
                ) from None
            except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise StoreError(
                    f"the graph store at {graph_store} is unreachable: {exc}"
                    f"{_progress(sizes, documents)}"
                ) from None
            if not response.is_success:
                excerpt = response.text.strip()[:_EXCERPT]
                raise StoreError(
                    f"the graph store at {graph_store} refused {name} "
                    f"({response.status_code} {response.reason_phrase}): {excerpt}"
                    f"{_progress(sizes, documents)}"
                )
            sizes[name] = len(triples)
    return sizes


def _progress(done: dict[str, int], documents: dict[str, list[ox.Triple]]) -> str:
    """What a failure leaves behind, when some graphs were already replaced."""
    if not done:
        return ""
    return f" (after publishing {len(done)} of {len(documents)} graphs: {', '.join(done)})"
