"""The one error hierarchy of rsme-kg.

Each error carries what a user needs to fix the problem. The faces map them once:
the CLI to exit codes (see README), the API to problem+json responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RsmeError(Exception):
    """Base class of every error rsme-kg raises on purpose."""

    exit_code: int = 2


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, line (1-based), column (1-based) and field name."""

    file: Path | str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


class InputError(RsmeError):
    """Input that cannot be read or is not what the format expects (exit 2)."""

    def __init__(self, location: Location, message: str, expected: str | None = None) -> None:
        self.location = location
        self.message = message
        self.expected = expected
        text = f"{location}: {message}"
        if expected:
            text += f" (expected {expected})"
        super().__init__(text)


class InputErrors(RsmeError):
    """Several input errors found in one pass, reported together (exit 2)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class UsageError(RsmeError):
    """A command was called with arguments that cannot work (exit 2)."""


class NonConformingError(RsmeError):
    """The graph does not conform to the SHACL shapes (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, report: object | None = None) -> None:
        self.report = report
        super().__init__(message)


class ReasonerError(RsmeError):
    """The ontology is inconsistent or has unsatisfiable classes (exit 1)."""

    exit_code = 1


class ReasonerUnavailable(RsmeError):
    """The reasoner cannot run here, e.g. no Java runtime (exit 2)."""


class StoreError(RsmeError):
    """The store is missing, unreadable or unavailable (exit 2)."""


class StoreUnavailable(StoreError):
    """The store cannot answer now: no query worker, the endpoint is down (HTTP 503)."""


class QueryTimeout(StoreError):
    """A query did not finish within its time limit (HTTP 503; the engine was stopped)."""


class EngineFailure(StoreError):
    """The query engine stopped while answering (HTTP 500; it was replaced). Raised only when
    two workers die in turn on the same query: a query on one killed worker is sent again."""


class WriteError(RsmeError):
    """A file could not be written, e.g. the disk is full (exit 2); what was there (dist/,
    the data folder) is left as it was."""


class QueryError(RsmeError):
    """A SPARQL query is malformed or fails (exit 2); carries the parser's message."""


class AnswerTooLarge(QueryError):
    """A remote store's answer is larger than the service relays (HTTP 400): the query should
    ask for fewer rows (LIMIT) or columns."""


class AnalysisError(RsmeError):
    """The data cannot support the computation asked for, e.g. weights over one study (exit 2)."""
