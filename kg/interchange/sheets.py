"""Read the CSV tables other tools export (a QDA program's codebook or highlights).

Unlike the data folder's own tables (kg/ingest/table.py), these come as the tool wrote
them: column names in any case, in any order, other columns beside the ones read (they
are named in a note). What is read is checked as strictly: UTF-8 (a byte-order mark is
dropped), well-formed CSV, every problem located by file, line, column and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, InputErrors, Location
from kg.ingest.table import decode
from kg.ingest.table import records as csv_records


@dataclass(frozen=True)
class Wanted:
    """A column to read: its name, other header names that mean it, whether it must be."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    expected: str = "text"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class SheetRow:
    """One data row: the values of the wanted columns (as written), and where they are."""

    path: Path
    line: int
    values: dict[str, str]
    columns: dict[str, int]  # wanted name -> column number (from 1)
    headers: dict[str, str] = field(default_factory=dict)  # wanted name -> name as written

    def location(self, name: str) -> Location:
        """Where a value of this row is: file, line, column, and the header's name for it."""
        return Location(self.path, self.line, self.columns.get(name), self.headers.get(name, name))


@dataclass
class Sheet:
    """The rows of a table, and the header names that were not read."""

    path: Path
    rows: list[SheetRow] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # wanted name -> column number
    ignored: list[str] = field(default_factory=list)


def read_sheet(path: Path, wanted: list[Wanted], what: str) -> Sheet:
    """Read a CSV table with a header row; InputErrors say where it is not what is wanted.

    `what` names the table in messages ("a highlights table").
    """
    table = [(line, fields) for line, fields in csv_records(path, decode(path)) if any(fields)]
    if not table:
        raise InputError(Location(path, 1), "the file has no header row", f"{what} with a header")
    header_line, header = table[0]
    names = [name.strip().casefold() for name in header]
    sheet = Sheet(path)
    headers: dict[str, str] = {}
    errors: list[InputError] = []
    for column in wanted:
        found = [(i, n) for i, n in enumerate(names, start=1) if n in column.names]
        if len(found) > 1:
            shown = " and ".join(f"'{header[i - 1].strip()}' (column {i})" for i, _ in found)
            errors.append(
                InputError(
                    Location(path, header_line, found[1][0], column.name),
                    f"the columns {shown} both name the {column.name}",
                    f"one of the columns {', '.join(column.names)}",
                )
            )
        elif found:
            sheet.columns[column.name] = found[0][0]
            headers[column.name] = header[found[0][0] - 1].strip()
        elif column.required:
            errors.append(_missing(path, header_line, header, column, what))
    if errors:
        raise InputErrors(errors)
    used = set(sheet.columns.values())
    sheet.ignored = [h.strip() for i, h in enumerate(header, start=1) if i not in used]
    width = len(header)
    for line, fields in table[1:]:
        if not any(f.strip() for f in fields):
            continue  # spreadsheets leave blank rows
        extra = [f for f in fields[width:] if f.strip()]
        if len(fields) < max(sheet.columns.values(), default=0) or extra:
            errors.append(
                InputError(
                    Location(path, line, min(len(fields), width) + 1),
                    f"the row has {len(fields)} fields but the header has {width}",
                    "one value per header column (quote values that hold commas)",
                )
            )
            continue
        values = {
            name: fields[i - 1] if i <= len(fields) else "" for name, i in sheet.columns.items()
        }
        sheet.rows.append(SheetRow(path, line, values, dict(sheet.columns), headers))
    if errors:
        raise InputErrors(errors)
    return sheet


def _missing(path: Path, line: int, header: list[str], column: Wanted, what: str) -> InputError:
    """The error for a missing column, with a hint when the file is not comma-separated."""
    shown = ", ".join(repr(h.strip()) for h in header)
    hint = ""
    if len(header) == 1 and any(s in header[0] for s in (";", "\t")):
        hint = " (the header is one column: is the file separated by semicolons or tabs?)"
    others = f" (or {', '.join(column.aliases)})" if column.aliases else ""
    return InputError(
        Location(path, line, None, column.name),
        f"no column '{column.name}'{others} in the header {shown}{hint}",
        f"{what}: comma-separated, with a header naming its columns",
    )
