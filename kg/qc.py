"""Ontology quality control: run ontology/qc/*-violation.rq; any row is a violation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph


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
