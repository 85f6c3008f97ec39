"""Publish a build to a remote store with the SPARQL 1.1 Graph Store HTTP Protocol.

Stores that take writes only from known users (Virtuoso's /sparql-graph-crud-auth, Fuseki or
GraphDB behind a login) get a user name and password, answered to the scheme the store asks
for: HTTP Digest, or Basic where the password cannot be read on the way (https or loopback).
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Generator, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg.errors import InputError, Location, StoreError, UsageError

_EXCERPT = 500
_TAGS = re.compile(r"<[^>]*>")
DEFAULT_GRAPH = "default"
# Where the command line finds the credentials (the environment, not an option: an option's
# value shows in the process list and the shell's history).
USER_ENV = "RSME_KG_PUBLISH_USER"
PASSWORD_ENV = "RSME_KG_PUBLISH_PASSWORD"
Credentials = tuple[str, str]


def credentials_from(environ: Mapping[str, str]) -> Credentials | None:
    """The (user, password) named by RSME_KG_PUBLISH_USER / _PASSWORD, or None if neither is set.

    >>> credentials_from({})
    >>> credentials_from({"RSME_KG_PUBLISH_USER": "dba", "RSME_KG_PUBLISH_PASSWORD": "s3cret"})
    ('dba', 's3cret')
    """
    user, password = environ.get(USER_ENV, ""), environ.get(PASSWORD_ENV, "")
    if not user and not password:
        return None
    if not user or not password:
        missing = USER_ENV if not user else PASSWORD_ENV
        raise UsageError(
            f"{missing} is not set: set both {USER_ENV} and {PASSWORD_ENV}, or neither"
        )
    return user, password


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ChallengeAuth(httpx.Auth):
    """Send no credentials until the store asks; then answer its Digest or Basic challenge.

    Basic sends the password as it is: only over https or to a loopback address. The scheme
    found is kept, so later requests authenticate at once (Digest: with the same challenge).
    """

    requires_request_body = True  # a refused PUT is sent again, body and all

    def __init__(self, user: str, password: str) -> None:
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        schemes = {
            value.split(" ", 1)[0].strip().lower()
            for value in response.headers.get_list("WWW-Authenticate")
        }
        if "digest" in schemes:
            self._chosen = self._digest
            # hand Digest the challenge already in hand, not a second unauthenticated request
            flow = self._digest.auth_flow(request)
            next(flow)
            try:
                yield flow.send(response)
            except StopIteration:
                return  # a challenge it cannot answer: the 401 is reported as it is
            return
        if "basic" in schemes:
            if request.url.scheme != "https" and not _loopback(request.url.host):
                raise StoreError(
                    f"the graph store at {request.url.copy_with(query=None)} asks for Basic "
                    "authentication over plain http: the password would cross the network "
                    "readable; publish over https"
                )
            self._chosen = self._basic
            yield from self._chosen.auth_flow(request)
        # any other scheme: nothing is sent, the 401 is reported as it is


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


def publish(
    trig: Path,
    graph_store: str,
    *,
    timeout: float = 60.0,
    credentials: Credentials | None = None,
) -> dict[str, int]:
    """PUT every graph of a build's TriG dump to a Graph Store; the triples sent per graph.

    PUT replaces each graph, so publishing twice leaves the store as publishing once.
    `credentials` (user, password) answer a store that asks for them (see ChallengeAuth).
    """
    documents = read_graphs(trig)
    sizes: dict[str, int] = {}
    auth = ChallengeAuth(*credentials) if credentials else None
    with httpx.Client(timeout=timeout, auth=auth) as client:
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
                raise StoreError(
                    f"the graph store at {graph_store} refused {name} "
                    f"({response.status_code} {response.reason_phrase}): {_said(response)}"
                    f"{_access_hint(response.status_code, credentials)}"
                    f"{_progress(sizes, documents)}"
                )
            sizes[name] = len(triples)
    return sizes


def _said(response: httpx.Response) -> str:
    """The store's own words: the text of an HTML error page (Virtuoso's), else the body."""
    text = response.text
    if "html" in response.headers.get("Content-Type", ""):
        text = " ".join(_TAGS.sub(" ", text).split())
    return text.strip()[:_EXCERPT]


def _access_hint(status: int, credentials: Credentials | None) -> str:
    if status not in (401, 403):
        return ""
    if credentials is None:
        return (
            f"; the store may take writes only from known users: set {USER_ENV} and {PASSWORD_ENV}"
        )
    return f"; check the user {credentials[0]!r}, its password and its right to write"


def _progress(done: dict[str, int], documents: dict[str, list[ox.Triple]]) -> str:
    """What a failure leaves behind, when some graphs were already replaced."""
    if not done:
        return ""
    return f" (after publishing {len(done)} of {len(documents)} graphs: {', '.join(done)})"
