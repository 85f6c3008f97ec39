"""The remote backend: any SPARQL 1.1 endpoint over HTTP (Fuseki, GraphDB, Oxigraph server,
Virtuoso, ...).

Where a server departs from the protocol, the difference is absorbed here (the pure parts in
kg/store/dialects.py, each with its reason; Virtuoso's are tested by the contract suite against
a real Virtuoso): answers it marks as cut short are refused and its time limit is reported as a
timeout, blank node labels it writes as IRIs are renamed, its copy of the query in error
messages is dropped, bound values go inside the WHERE group, the Accept header names only types
fit for the query's kind of answer, and answers are written by one writer for every backend.
"""

from __future__ import annotations

import ast
import http.client
import io
import re
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Iterable
from types import TracebackType

import httpx
import pyoxigraph as ox
from rdflib import URIRef
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    QueryBadFormed,
    SPARQLWrapperException,
    Unauthorized,
    URITooLong,
)

from kg.errors import (
    AnswerTooLarge,
    QueryError,
    QueryTimeout,
    RsmeError,
    StoreError,
    StoreUnavailable,
)
from kg.namespaces import sparql_prologue
from kg.store.base import GRAPH_FORMATS, TABULAR_FORMATS, Bindings, QueryResult, values_clause
from kg.store.dialects import (
    TIMED_OUT,
    accept_for,
    cut_short,
    valid_bnodes,
    values_inside,
    without_echo,
)
from kg.store.embedded import RDF_FORMATS, RESULT_FORMATS, result_of
from kg.store.sparqltext import (
    UPDATE_FORMS,
    DatasetClause,
    check_bindings,
    dataset_clause,
    query_form,
)

# Media types by short format name.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "trig": "application/trig",
    "nquads": "application/n-quads",
}
# Graph answers may be written as datasets too, as the embedded store allows.
_GRAPH_OUT = (*GRAPH_FORMATS, "trig", "nquads")

_TABULAR_FORMS = {"SELECT", "ASK"}
_GRAPH_FORMS = {"CONSTRUCT", "DESCRIBE"}

# The prologue goes on the query's first line, so the endpoint's error positions keep their lines.
_PROLOGUE = sparql_prologue().replace("\n", " ")
# Error positions on line 1 as Oxigraph ("error at 1:42") and Jena ("line 1, column 42") write them.
_LINE_ONE = re.compile(r"(\bat 1:|\bline 1, column )(\d+)")
_EXCERPT = 1000
_ACCESS_STATUSES = {401, 403, 404, 407}
_ERROR_BYTES = 65_536  # of an error page: enough for the store's message, which is cut shorter


class _Wrapper(SPARQLWrapper):
    """SPARQLWrapper told the query form by `query_form`.

    Its own regex finds the first keyword anywhere (a SELECT with "insert" in a string may be
    sent as an update) and warns on text it cannot classify; ours never sends an update.
    """

    def _parseQueryType(self, query: str) -> str | None:
        form = query_form(query)
        return form if form in _TABULAR_FORMS | _GRAPH_FORMS else None


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _excerpt(body: bytes | str) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + " …"


def _wrapper_body(exc: SPARQLWrapperException) -> str:
    """The endpoint's answer, which SPARQLWrapper keeps only as a bytes repr in its message."""
    _, found, tail = str(exc).partition("Response:\n")
    if not found:
        return ""
    try:
        body = ast.literal_eval(tail.strip())
    except (ValueError, SyntaxError):
        return _excerpt(tail)
    return _excerpt(body) if isinstance(body, bytes | str) else _excerpt(tail)


def _unshift(message: str) -> str:
    """Undo the prologue's shift of columns on line 1 in well-known parser messages."""

    def fix(match: re.Match[str]) -> str:
        column = int(match.group(2)) - len(_PROLOGUE)
        return f"{match.group(1)}{column}" if column > 0 else match.group(0)

    return _LINE_ONE.sub(fix, message)


def _parse_answer(content_type: str, body: bytes) -> QueryResult:
    """A query answer (SPARQL JSON results or an RDF document) as rdflib terms."""
    media = _media(content_type)
    if media in ("application/sparql-results+json", "application/json"):
        try:
            return result_of(ox.parse_query_results(valid_bnodes(body), ox.QueryResultsFormat.JSON))
        except (SyntaxError, ValueError, TypeError) as exc:
            raise StoreError(f"the SPARQL endpoint's JSON answer is malformed: {exc}") from exc
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None:
        raise StoreError(f"the SPARQL endpoint answered with unexpected content type {media!r}")
    try:
        return result_of(ox.parse(body, format=fmt))
    except (SyntaxError, ValueError, TypeError) as exc:
        raise StoreError(f"the SPARQL endpoint's {media} answer is malformed: {exc}") from exc


class RemoteStore:
    """A SPARQL 1.1 endpoint behind the same interface as EmbeddedStore.

    `timeout` bounds each network step (connecting, then each wait for data), in seconds; with
    `keep_alive`, it also bounds the reading of each whole answer, as `max_answer_bytes` bounds
    its size (AnswerTooLarge beyond it; None: no bound).
    `graph_store` is the server's Graph Store Protocol URL, for `publish`; queries never use it.
    `keep_alive` sends queries over kept-open connections (httpx) instead of SPARQLWrapper's
    one connection per query: the web facade sends many small queries, a command a few.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 30.0,
        graph_store: str | None = None,
        keep_alive: bool = False,
        max_answer_bytes: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self.graph_store = graph_store
        self.keep_alive = keep_alive
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoint!r})"

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections kept open by `raw`."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- errors -------------------------------------------------------------------------------

    def _unreachable(self, reason: object) -> StoreError:
        return StoreUnavailable(f"the SPARQL endpoint at {self.endpoint} is unreachable: {reason}")

    def _too_slow(self) -> StoreError:
        return QueryTimeout(
            f"the SPARQL endpoint at {self.endpoint} did not answer within {self.timeout:g} s"
        )

    def _partial(self, cut: tuple[str, bool]) -> StoreError:
        said, in_time = cut
        message = (
            f"the SPARQL endpoint at {self.endpoint} sent only part of the answer "
            f"({_excerpt(said)}); an incomplete answer is not passed on"
        )
        # cut at a time limit, the query may pass another time; cut at a row limit, never
        return QueryTimeout(message) if in_time else StoreError(message)

    def _status_error(self, status: int, message: str, *, prologue: bool = False) -> RsmeError:
        message = without_echo(message)
        if status == 400:
            message = _unshift(message) if prologue else message
            return QueryError(f"the SPARQL endpoint rejected the query: {message}")
        if status == 404:
            return StoreError(f"no SPARQL endpoint at {self.endpoint} (404 Not Found): {message}")
        if status in _ACCESS_STATUSES:
            return StoreError(f"the SPARQL endpoint at {self.endpoint} refused access ({status})")
        if status >= 500 and TIMED_OUT.search(message):
            # the store is up: the query outran the store's own time limit
            return QueryTimeout(
                f"the SPARQL endpoint at {self.endpoint} stopped the query at its own time "
                f"limit ({status}): {message}"
            )
        if status >= 500:
            return StoreUnavailable(
                f"the SPARQL endpoint at {self.endpoint} failed ({status}): {message}"
            )
        return QueryError(f"the SPARQL endpoint refused the request ({status}): {message}")

    # -- requests -----------------------------------------------------------------------------

    def _exchange(
        self, sparql: str, accept: str, *, prologue: bool, dataset: DatasetClause | None = None
    ) -> tuple[str, bytes]:
        """POST a query with SPARQLWrapper; the answer's content type and body, or a kg error.

        `prologue` says the project prologue leads the text (error columns are shifted back);
        `dataset` is sent as the protocol's default-graph-uri / named-graph-uri parameters.
        """
        wrapper = _Wrapper(self.endpoint)
        wrapper.setMethod(POST)
        # Content negotiation only: Fuseki lets format=/output= parameters override Accept.
        wrapper.setOnlyConneg(True)
        wrapper.setQuery(sparql)
        for graph in dataset.default_graphs if dataset else ():
            wrapper.addDefaultGraph(graph)
        for graph in dataset.named_graphs if dataset else ():
            wrapper.addNamedGraph(graph)
        wrapper.addCustomHttpHeader("Accept", accept)
        # setTimeout() truncates to an int, and 0 would make the socket non-blocking.
        wrapper.timeout = self.timeout  # type: ignore[assignment]
        try:
            response = wrapper.query().response
            with response:
                cut = cut_short(response.headers)
                if cut is not None:
                    raise self._partial(cut)
                return response.headers.get("Content-Type", ""), response.read()
        except QueryBadFormed as exc:
            raise self._status_error(400, _wrapper_body(exc), prologue=prologue) from None
        except EndPointNotFound as exc:
            raise self._status_error(404, _wrapper_body(exc)) from None
        except Unauthorized as exc:
            raise self._status_error(401, _wrapper_body(exc)) from None
        except URITooLong as exc:
            raise self._status_error(414, _wrapper_body(exc)) from None
        except EndPointInternalError as exc:
            raise self._status_error(500, _wrapper_body(exc)) from None
        except urllib.error.HTTPError as exc:
            raise self._status_error(exc.code, _excerpt(exc.read())) from None
        except TimeoutError:
            raise self._too_slow() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._too_slow() from None
            raise self._unreachable(exc.reason) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # ValueError: urllib's answer to an endpoint URL it cannot use (no scheme, ...)
            raise self._unreachable(exc) from None

    def raw(
        self,
        query: str,
        accept: str,
        *,
        default_graphs: Iterable[str] = (),
        named_graphs: Iterable[str] = (),
        prologue: bool = False,
    ) -> tuple[int, str, bytes]:
        """Pass a SPARQL Protocol query through: (status, content type, body).

        A 400 raises QueryError, a 5xx or an access error (401, 403, 404) StoreError, an answer
        the endpoint cut short at its own time limit QueryTimeout; other answers (200, 406,
        413, ...) are returned for the caller to forward, with two repairs: `accept` loses the
        types that cannot carry the query's kind of answer, and blank nodes in SPARQL JSON get
        labels every reader takes (see `accept_for`, `valid_bnodes`).
        With `prologue`, the project prefixes are predeclared (on the query's first line).
        Without graphs of the request's own, the query's FROM / FROM NAMED are sent as the
        dataset, which a server that makes the union its default graph would otherwise ignore.
        """
        dataset = DatasetClause(tuple(default_graphs), tuple(named_graphs))
        dataset = dataset or dataset_clause(query) or dataset
        form = [("query", _PROLOGUE + query if prologue else query)]
        form += [("default-graph-uri", g) for g in dataset.default_graphs]
        form += [("named-graph-uri", g) for g in dataset.named_graphs]
        deadline = time.monotonic() + self.timeout
        request = self._http().build_request(
            "POST",
            self.endpoint,
            content=urllib.parse.urlencode(form).encode("ascii"),
            headers={
                "Accept": accept_for(query, accept),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            # streamed, so that the answer is read within the time and size limits; leaving
            # early closes the connection (a half-read answer cannot be reused)
            response = self._http().send(request, stream=True)
            try:
                status = response.status_code
                if status == 400 or status in _ACCESS_STATUSES or status >= 500:
                    said = self._read(response, deadline, _ERROR_BYTES, whole=False)
                    raise self._status_error(status, _excerpt(said), prologue=prologue)
                cut = cut_short(response.headers)
                if cut is not None:
                    raise self._partial(cut)
                content_type = response.headers.get("Content-Type", "")
                body = self._read(response, deadline, self.max_answer_bytes)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise self._too_slow() from None
        except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise self._unreachable(exc) from None
        if _media(content_type) in ("application/sparql-results+json", "application/json"):
            body = valid_bnodes(body)
        return status, content_type, body

    def _read(
        self, response: httpx.Response, deadline: float, limit: int | None, *, whole: bool = True
    ) -> bytes:
        """The body of an answer, read by the deadline (the whole answer, not each piece:
        a store that trickles bytes is cut off) and up to `limit` bytes: more raises
        AnswerTooLarge, or, when not `whole` (an error page), is left unread."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise self._too_slow()
            size += len(chunk)
            if limit is not None and size > limit:
                if not whole:
                    chunks.append(chunk[: len(chunk) - (size - limit)])
                    break
                raise AnswerTooLarge(
                    f"the SPARQL endpoint's answer is larger than {limit} bytes, more than this "
                    "service relays (its RSME_KG_MAX_ANSWER_BYTES): ask for fewer rows with "
                    "LIMIT, or for fewer columns"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
            return self._client

    # -- the Store interface ------------------------------------------------------------------

    def _prepare(self, sparql: str, bindings: Bindings | None) -> tuple[str, str | None]:
        """The text to send (project prefixes, bound values) and the query's form."""
        form = query_form(sparql)
        if form in UPDATE_FORMS:
            raise QueryError(f"{form} is an update: this store is queried read-only")
        check_bindings(sparql, bindings or {})
        if not bindings:
            return _PROLOGUE + sparql, form
        # no substitution API in the protocol: a VALUES block of escaped terms, inside the
        # WHERE group where that means the same (see values_inside), else trailing
        values = values_clause(bindings)
        inside = values_inside(sparql, form, bindings, values)
        return _PROLOGUE + (inside or f"{sparql}\n{values}"), form

    def _send(self, sparql: str, text: str, accept: str) -> tuple[str, bytes]:
        """Send prepared text, with the query's own FROM / FROM NAMED as the dataset."""
        dataset = dataset_clause(sparql)
        if not self.keep_alive:
            return self._exchange(text, accept, prologue=True, dataset=dataset)
        status, content_type, body = self.raw(
            text.removeprefix(_PROLOGUE),
            accept,
            default_graphs=dataset.default_graphs if dataset else (),
            named_graphs=dataset.named_graphs if dataset else (),
            prologue=True,
        )
        if status != 200:  # 406, 413 ...: the endpoint cannot serve what a named query needs
            raise StoreUnavailable(
                f"the SPARQL endpoint at {self.endpoint} answered {status}: {_excerpt(body)}"
            )
        return content_type, body

    def query(self, sparql: str, bindings: Bindings | None = None) -> QueryResult:
        """Run a SPARQL query on the endpoint and materialise its answer as rdflib terms."""
        text, form = self._prepare(sparql, bindings)
        if form in _TABULAR_FORMS:
            accept = MEDIA_TYPES["json"]
        elif form in _GRAPH_FORMS:
            accept = MEDIA_TYPES["ntriples"]
        else:  # a form we cannot tell: let the endpoint choose (and most likely reject it)
            accept = f"{MEDIA_TYPES['json']}, {MEDIA_TYPES['ntriples']};q=0.9, text/turtle;q=0.8"
        return _parse_answer(*self._send(sparql, text, accept))

    def serialize(self, sparql: str, fmt: str, bindings: Bindings | None = None) -> bytes:
        """Run a query and write its answer in `fmt` with the embedded store's writers.

        The endpoint is asked for SPARQL JSON results or N-Triples, which every server writes
        alike, and the answer is written here: the bytes are the same for every backend, and
        a server's departures from the CSV/TSV formats (Virtuoso's quoted TSV header and its
        `"bool"` table for ASK) do not reach the reader.
        """
        text, form = self._prepare(sparql, bindings)
        if form in _GRAPH_FORMS and fmt not in _GRAPH_OUT:
            raise QueryError(
                f"a CONSTRUCT/DESCRIBE answer cannot be written as {fmt}; "
                f"use one of {', '.join(_GRAPH_OUT)}"
            )
        if form in _TABULAR_FORMS and fmt not in TABULAR_FORMATS:
            raise QueryError(
                f"a SELECT/ASK answer cannot be written as {fmt}; "
                f"use one of {', '.join(TABULAR_FORMATS)} "
                "(RDF formats are for CONSTRUCT/DESCRIBE)"
            )
        if fmt not in MEDIA_TYPES:
            raise QueryError(f"unknown format {fmt}; use one of {', '.join(MEDIA_TYPES)}")
        graph = form in _GRAPH_FORMS or (form not in _TABULAR_FORMS and fmt in _GRAPH_OUT)
        accept = MEDIA_TYPES["ntriples"] if graph else MEDIA_TYPES["json"]
        content_type, body = self._send(sparql, text, accept)
        media = _media(content_type)
        out = io.BytesIO()
        try:
            if media == MEDIA_TYPES["json"] and fmt in RESULT_FORMATS:
                answer = ox.parse_query_results(valid_bnodes(body), ox.QueryResultsFormat.JSON)
                answer.serialize(out, RESULT_FORMATS[fmt])
            elif media in (MEDIA_TYPES["ntriples"], "text/plain") and fmt in RDF_FORMATS:
                ox.serialize(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), out, RDF_FORMATS[fmt])
            else:
                raise StoreError(
                    f"the SPARQL endpoint at {self.endpoint} answered "
                    f"{media or 'no content type'} when asked for {accept}"
                )
        except (SyntaxError, ValueError, TypeError) as exc:
            raise StoreError(f"the SPARQL endpoint's {media} answer is malformed: {exc}") from exc
        return out.getvalue()

    def _select(self, sparql: str) -> QueryResult:
        return _parse_answer(*self._exchange(sparql, MEDIA_TYPES["json"], prologue=False))

    def __len__(self) -> int:
        result = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(str(result.scalar() or 0))

    def named_graphs(self) -> list[str]:
        """The IRIs of the endpoint's named graphs, sorted."""
        # GROUP BY, not DISTINCT: Virtuoso answers `SELECT DISTINCT ?g { GRAPH ?g {...} }` from
        # its list of all graphs, private ones too (its own system graphs, other users' data),
        # which its graph-level security hides from every other form (the same answer elsewhere)
        result = self._select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return sorted(str(g) for g in result.column("g") if isinstance(g, URIRef))

    def graph_sizes(self) -> dict[str, int]:
        """Number of triples in each named graph."""
        result = self._select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        return {str(row["g"]): int(str(row["n"])) for row in result}
