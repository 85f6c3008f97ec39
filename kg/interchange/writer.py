"""Edit the data folder's CSV files safely: checked as a whole, written all or nothing.

Analysts edit these files in spreadsheets, so an import changes only the rows it must:
untouched records keep their exact bytes (quoting, line ends, byte-order mark), new rows are
appended. Before anything is written, the changed folder is staged in a temporary copy
and read back with the corpus reader, so an import can never leave data/ unreadable.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, InputErrors, Location, RsmeError
from kg.ingest.corpus import Vocabulary, check_vocabulary, read_corpus
from kg.ingest.table import decode

BOM = "\ufeff"


@dataclass
class _Record:
    raw: str  # the record's text as read, line end included; "" for a new or changed record
    fields: list[str]


class Table:
    """One CSV file of the data folder, as a header and records that remember their text."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = list(header)
        self.header_raw = ""  # the header line as read; "" once it must be written anew
        self.records: list[_Record] = []
        self.bom = ""
        self.newline = "\n"
        self.changed = False
        if path.is_file():
            self._load(decode(path), path.read_bytes().startswith(BOM.encode()))

    def _load(self, text: str, bom: bool) -> None:
        self.bom = BOM if bom else ""
        self.newline = "\r\n" if "\r\n" in text else "\n"
        # the reader's own line splitting, so record spans match its line numbers
        lines = io.StringIO(text, newline="").readlines()
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        previous = 0
        for fields in reader:
            raw = "".join(lines[previous : reader.line_num])
            previous = reader.line_num
            if not self.header_raw and fields:
                self.header, self.header_raw = [name.strip() for name in fields], raw
            elif self.header_raw:
                self.records.append(_Record(raw, fields))

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(index, values by column) of each data row; blank rows are passed over."""
        for index, record in enumerate(self.records):
            if any(f.strip() for f in record.fields):
                yield (
                    index,
                    {
                        name: (record.fields[i].strip() if i < len(record.fields) else "")
                        for i, name in enumerate(self.header)
                    },
                )

    def _ensure_columns(self, names: list[str]) -> None:
        missing = [n for n in names if n not in self.header]
        if not missing:
            return
        self.header.extend(missing)  # a new column: every record is written anew
        self.header_raw = ""
        for record in self.records:
            if record.fields:
                record.fields.extend([""] * (len(self.header) - len(record.fields)))
                record.raw = ""

    def append(self, values: dict[str, str]) -> None:
        """Add a row (columns missing from the file are added to it)."""
        self._ensure_columns([k for k, v in values.items() if v])
        self.records.append(_Record("", [values.get(name, "") for name in self.header]))
        self.changed = True

    def update(self, index: int, values: dict[str, str]) -> None:
        """Change some values of the row at `index` (as yielded by rows())."""
        self._ensure_columns([k for k, v in values.items() if v])
        record = self.records[index]
        record.fields.extend([""] * (len(self.header) - len(record.fields)))
        for name, value in values.items():
            record.fields[self.header.index(name)] = value
        record.raw = ""
        self.changed = True

    def _format(self, fields: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=self.newline).writerow(fields)
        return buffer.getvalue()

    def data(self) -> bytes:
        """The file's new contents."""
        parts = [self.header_raw or self._format(self.header)]
        for record in self.records:
            if not parts[-1].endswith(("\n", "\r")):
                parts[-1] += self.newline  # the old last line had no line end
            parts.append(record.raw or self._format(record.fields))
        return (self.bom + "".join(parts)).encode("utf-8")


@dataclass
class Changes:
    """The files an import writes, by path relative to the data folder."""

    data_dir: Path
    tables: dict[str, Table] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def table(self, name: str, header: list[str]) -> Table:
        """The table of that file name, loaded once."""
        if name not in self.tables:
            self.tables[name] = Table(self.data_dir / name, header)
        return self.tables[name]

    def outputs(self) -> dict[str, bytes]:
        """Every file whose contents would change."""
        wanted = {name: t.data() for name, t in self.tables.items() if t.changed}
        wanted.update(self.files)
        return {
            name: data
            for name, data in sorted(wanted.items())
            if not (self.data_dir / name).is_file() or (self.data_dir / name).read_bytes() != data
        }


def _relocate(error: InputError, stage: Path, data_dir: Path) -> InputError:
    """The same error, naming the data folder's file instead of the staged copy's."""
    file = Path(error.location.file)
    if file.is_relative_to(stage):
        file = data_dir / file.relative_to(stage)
    where = Location(file, error.location.line, error.location.column, error.location.field)
    return InputError(where, error.message.replace(str(stage), str(data_dir)), error.expected)


def check_staged(data_dir: Path, outputs: dict[str, bytes], vocabulary: Vocabulary) -> None:
    """Read the data folder as it would be after writing `outputs`; raise what is wrong."""
    with tempfile.TemporaryDirectory(prefix="rsme-kg-import-") as tmp:
        stage = Path(tmp) / "data"
        shutil.copytree(data_dir, stage)
        for name, data in outputs.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
        try:
            check_vocabulary(read_corpus(stage), vocabulary)
        except InputErrors as exc:
            raise InputErrors([_relocate(e, stage, data_dir) for e in exc.errors]) from None


def write_all(data_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Write every file or none: temporary files first, then renames, undone on failure."""
    pid = os.getpid()
    temps: dict[Path, Path] = {}
    created_dirs: list[Path] = []
    try:
        for name, data in outputs.items():
            target = data_dir / name
            if not target.parent.is_dir():
                target.parent.mkdir(parents=True)
                created_dirs.append(target.parent)
            temp = target.with_name(f".{target.name}.tmp-{pid}")
            with temp.open("wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            temps[target] = temp
        _swap_in(temps, pid)
    except OSError as exc:
        for directory in reversed(created_dirs):
            shutil.rmtree(directory, ignore_errors=True)
        raise WriteError(f"cannot write to {data_dir}: {exc}; nothing was changed") from exc
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(temps)


def _swap_in(temps: dict[Path, Path], pid: int) -> None:
    """Rename each temporary file over its target; on failure put the old files back."""
    backups: dict[Path, Path | None] = {}
    try:
        for target, temp in temps.items():
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.bak-{pid}")
                shutil.copy2(target, backup)
            backups[target] = backup
            os.replace(temp, target)
    except OSError:
        for target, backup in backups.items():
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        raise
    finally:
        for backup in backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)


class WriteError(RsmeError):
    """The data folder could not be written (exit 2); it was left as it was."""


@dataclass
class Report:
    """What an import found and did, for the command line to print."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    dry_run: bool = False


def apply(changes: Changes, vocabulary: Vocabulary, report: Report) -> None:
    """Check the changed folder as a whole, then write it (unless it is a dry run)."""
    outputs = changes.outputs()
    if not outputs:
        return
    check_staged(changes.data_dir, outputs, vocabulary)
    if report.dry_run:
        report.notes.append(
            "dry run: would write " + ", ".join(str(changes.data_dir / n) for n in outputs)
        )
        return
    report.written = write_all(changes.data_dir, outputs)
