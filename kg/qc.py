"""Ontology quality control: run ontology/qc/*-violation.rq; any row is a violation."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph

from kg.cache import Cache
from kg.modules import digest_texts


@dataclass(frozen=True)
class QcFailure:
    """One quality check that returned rows."""

    check: str
    summary: str
    rows: list[dict[str, str]]

    def __str__(self) -> str:
        lines = [f"{self.check}: {self.summary} ({len(self.rows)} violation(s))"]
        lines += ["  " + ", ".join(f"{k}={v}" for k, v in row.items()) for row in self.rows[:20]]
        return "\n".join(lines)


def qc_files(qc_dir: Path) -> list[Path]:
    """The violation queries, sorted by name."""
    return sorted(qc_dir.glob("*-violation.rq"))


def run_check(graph: Graph, path: Path) -> QcFailure | None:
    """Run one violation query; a QcFailure if it returns rows."""
    text = path.read_text(encoding="utf-8")
    result = graph.query(text)
    rows = [{str(k): str(v) for k, v in row.asdict().items()} for row in result]  # type: ignore[union-attr]
    if not rows:
        return None
    summary = text.splitlines()[0].lstrip("#").strip()
    return QcFailure(path.stem, summary, rows)


def run_qc(graph: Graph, qc_dir: Path) -> list[QcFailure]:
    """Run every violation query against `graph`; the failures (empty when all pass)."""
    failures = [run_check(graph, path) for path in qc_files(qc_dir)]
    return [f for f in failures if f is not None]


def run_qc_cached(graph: Graph, qc_dir: Path, cache: Cache, model_digest: str) -> list[QcFailure]:
    """`run_qc`, answered from the cache when neither the model (`model_digest`, which stands
    for `graph`) nor the checks changed: the checks read the model only, and take seconds on
    rdflib's engine."""
    files = qc_files(qc_dir)
    key = digest_texts(model_digest, *(f"{p.name}\n{p.read_text(encoding='utf-8')}" for p in files))
    cached = cache.get("qc", key)
    if cached is not None:
        try:
            return [QcFailure(**item) for item in json.loads(cached)]
        except (ValueError, TypeError):
            pass  # an unreadable entry is a missing one
    failures = run_qc(graph, qc_dir)
    cache.put("qc", key, json.dumps([asdict(f) for f in failures]).encode())
    return failures
