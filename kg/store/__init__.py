"""Stores behind one interface: the embedded pyoxigraph store (and, later, remote endpoints)."""

from kg.store.base import QueryResult, Store
from kg.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "QueryResult", "Store"]
