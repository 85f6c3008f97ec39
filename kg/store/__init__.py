"""The only place that runs SPARQL: stores behind one interface (`base.Store`), embedded
(pyoxigraph) or remote (any SPARQL 1.1 endpoint, `remote.RemoteStore`), with one reading of
query text (`sparqltext`: form, projection check of bindings, FROM)."""

from kg.store.base import QueryResult, Store
from kg.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "QueryResult", "Store"]
