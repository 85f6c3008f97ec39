"""Readers that turn source files into typed records (kg.records) with their positions."""

from kg.ingest.corpus import read_corpus

__all__ = ["read_corpus"]
