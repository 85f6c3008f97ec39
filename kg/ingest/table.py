"""A strict, position-aware CSV table reader: UTF-8, a header row, typed columns.

Spreadsheets are the analysts' editor, so every error names the file, line, column
number and column name, and says what was expected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import InputError, Location

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    """A column of a table: whether it must be present, filled, and how it is parsed."""

    name: str
    required: bool = True
    nonempty: bool = False
    parse: Parser | None = None
    expected: str = "text"


@dataclass(frozen=True)
class Row:
    """One data row: parsed values by column name, and where each came from."""

    file: Path
    line: int
    values: dict[str, Any]
    columns: dict[str, int]

    def location(self, field: str) -> Location:
        """The location of one field of this row."""
        return Location(self.file, self.line, self.columns.get(field), field)


def decode(path: Path) -> str:
    """Read a file as UTF-8 (a BOM is allowed), or raise an InputError saying where it is not."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Location(path), f"cannot read the file: {exc.strerror}") from exc
    if not raw.strip():
        raise InputError(Location(path, 1), "the file is empty", "a header row and data rows")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = raw[exc.start : exc.start + 1].hex().upper()
        raise InputError(
            Location(path, line, column),
            f"the file is not UTF-8 (byte 0x{bad} cannot be decoded)",
            "UTF-8 text: save the sheet as 'CSV UTF-8'",
        ) from exc


def records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, fields) of each CSV record, multi-line fields included.

    Strict: a stray or unclosed quote is an error at the record where it starts, not a
    silent merge of the following rows into one field.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(
                Location(path, start),
                f"the CSV record starting here is malformed ({exc})",
                "comma-separated values, quotes only around whole values, each opened quote "
                'closed, "" for a quote',
            ) from exc
        previous_end = reader.line_num
        yield start, fields


def read_table(path: Path, columns: list[Column], errors: list[InputError]) -> list[Row]:
    """Read a CSV table; append every problem found to `errors` and return the good rows."""
    try:
        text = decode(path)
        return _read_records(path, records(path, text), columns, errors)
    except InputError as exc:  # unreadable, or a malformed record: later rows can't be trusted
        errors.append(exc)
        return []


def _read_records(
    path: Path,
    records: Iterator[tuple[int, list[str]]],
    columns: list[Column],
    errors: list[InputError],
) -> list[Row]:
    first = next(records, None)
    if first is None:  # only a byte-order mark, or white space the CSV reader makes nothing of
        raise InputError(
            Location(path, 1), "the file has no header row", "a header row and data rows"
        )
    header_line, header = first
    header = [h.strip() for h in header]
    if not _check_header(path, header_line, header, columns, errors):
        return []
    positions = {name: i for i, name in enumerate(header) if name}
    missing = [c.name for c in columns if c.required and c.name not in positions]
    if missing:
        errors.append(
            InputError(
                Location(path, header_line, None, ", ".join(missing)),
                f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}",
                "a header row with the columns " + ", ".join(c.name for c in columns),
            )
        )
        return []
    rows: list[Row] = []
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue  # spreadsheets leave blank rows; they carry no data
        if len(fields) != len(header):
            errors.append(
                InputError(
                    Location(path, line, min(len(fields), len(header)) + 1),
                    f"the row has {len(fields)} fields but the header has {len(header)}",
                    "one value per header column (quote values that contain commas)",
                )
            )
            continue
        row = _parse_row(path, line, fields, columns, positions, errors)
        if row is not None:
            rows.append(row)
    return rows


def _check_header(
    path: Path, line: int, header: list[str], columns: list[Column], errors: list[InputError]
) -> bool:
    """Unknown and repeated column names are errors: a renamed column must not vanish."""
    import difflib

    known = [c.name for c in columns]
    ok = True
    seen: set[str] = set()
    for index, name in enumerate(header, start=1):
        where = Location(path, line, index, name or None)
        if name in seen:
            errors.append(InputError(where, f"the column '{name}' appears twice", "unique names"))
            ok = False
        seen.add(name)
        if name and name not in known:
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            errors.append(
                InputError(
                    where, f"unknown column '{name}'.{hint}", "the columns " + ", ".join(known)
                )
            )
            ok = False
    return ok


def _parse_row(
    path: Path,
    line: int,
    fields: list[str],
    columns: list[Column],
    positions: dict[str, int],
    errors: list[InputError],
) -> Row | None:
    values: dict[str, Any] = {}
    where: dict[str, int] = {}
    ok = True
    for column in columns:
        index = positions.get(column.name)
        raw = fields[index].strip() if index is not None and index < len(fields) else ""
        if index is not None:
            where[column.name] = index + 1
        location = Location(path, line, None if index is None else index + 1, column.name)
        if not raw:
            if column.nonempty:
                errors.append(InputError(location, "the value is empty", column.expected))
                ok = False
            values[column.name] = None
            continue
        if column.parse is None:
            values[column.name] = raw
            continue
        try:
            values[column.name] = column.parse(raw)
        except ValueError as exc:
            errors.append(InputError(location, f"{raw!r} is not valid: {exc}", column.expected))
            ok = False
    return Row(path, line, values, where) if ok else None
