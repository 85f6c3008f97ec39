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
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, InputErrors, Location, RsmeError
from kg.ingest.corpus import Vocabulary, check_vocabulary, read_corpus
from kg.ingest.table import Column, decode, read_table

BOM = "\ufeff"
# what a spreadsheet reads as the start of a formula (CSV injection)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Free text from an outside file, so that a spreadsheet shows it and never runs it.

    >>> safe_text("=1+1"), safe_text("Sara Karimi")
    ("'=1+1", 'Sara Karimi')
    """
    return "'" + value if value.startswith(_FORMULA) else value


@dataclass
class _Record:
    raw: str  # the record's text as read, line end included; "" for a new or changed record
    fields: list[str]
    line: int | None = None  # the line it starts on in the file as read


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
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(
                    Location(self.path, previous + 1),
                    f"the CSV record starting here is malformed ({exc})",
                    'quotes only around whole values, each opened quote closed, "" for a quote',
                ) from exc
            raw = "".join(lines[previous : reader.line_num])
            start, previous = previous + 1, reader.line_num
            if not self.header_raw and fields:
                self.header, self.header_raw = [name.strip() for name in fields], raw
            elif self.header_raw:
                self.records.append(_Record(raw, fields, start))

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

    def location(self, index: int, field: str | None = None) -> Location:
        """Where the row at `index` stands in the file (no line for a row not yet written)."""
        return Location(self.path, self.records[index].line, None, field)

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

    unfinished: list[InputError] = field(default_factory=list)  # as found before the import
    explain: dict[str, str] = field(default_factory=dict)  # file name -> where its text is from

    def table(self, name: str, header: list[str], columns: list[Column] | None = None) -> Table:
        """The table of that file name, loaded once; checked against `columns` if given.

        The corpus tables are checked by the corpus reader; the import's own files (the
        ledger, the proposals) are checked here, so a hand edit gives a located error.
        """
        if name not in self.tables:
            path = self.data_dir / name
            if columns is not None and path.exists():
                errors: list[InputError] = []
                read_table(path, columns, errors)
                if errors:
                    raise InputErrors(errors)
            self.tables[name] = Table(path, header)
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


def _relocate(
    error: InputError, stage: Path, data_dir: Path, explain: dict[str, str]
) -> InputError:
    """The same error, naming the data folder's file instead of the staged copy's.

    A file the import writes is named as what it would become ("the text of source 'x'
    that this import would write to data/sources/s.txt"), so that sizes and quotes in the
    message are not mistaken for those of the file on disk.
    """
    file = Path(error.location.file)
    if file.is_relative_to(stage):
        file = data_dir / file.relative_to(stage)
    message = error.message
    for name, why in explain.items():
        message = message.replace(
            str(stage / name), f"{why} that this import would write to {data_dir / name}"
        )
    where = Location(file, error.location.line, error.location.column, error.location.field)
    return InputError(where, message.replace(str(stage), str(data_dir)), error.expected)


def check_staged(
    data_dir: Path,
    outputs: dict[str, bytes],
    vocabulary: Vocabulary,
    unfinished: list[InputError] | None = None,
    explain: dict[str, str] | None = None,
) -> list[InputError]:
    """Read the data folder as it would be after writing `outputs`; raise what is wrong.

    Included studies that still have no code are what the folder lacks, not errors: those
    that were already `unfinished` before the import are returned, and only those the
    import itself would leave without codes are raised.
    """
    explain = explain or {}
    known = {e.message for e in unfinished or []}
    after: list[InputError] = []
    with tempfile.TemporaryDirectory(prefix="rsme-kg-import-") as tmp:
        stage = Path(tmp) / "data"
        shutil.copytree(data_dir, stage)
        for name, data in outputs.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
        try:
            check_vocabulary(read_corpus(stage, unfinished=after), vocabulary)
        except InputErrors as exc:
            errors = [_relocate(e, stage, data_dir, explain) for e in exc.errors]
            raise InputErrors(errors) from None
        after = [_relocate(e, stage, data_dir, explain) for e in after]
    worse = [e for e in after if e.message not in known]
    if worse:
        raise InputErrors(worse)
    return after


def write_all(data_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Write every file or none: temporary files first, then renames, undone on failure."""
    # Undone on any exception, Ctrl-C (KeyboardInterrupt) included: a half-written data
    # folder is worse than an interrupted command.
    pid = os.getpid()
    temps: dict[Path, Path] = {}
    created_dirs: list[Path] = []
    try:
        for name, data in outputs.items():
            target = data_dir / name
            if not target.parent.is_dir():
                missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
                target.parent.mkdir(parents=True)
                created_dirs.extend(reversed(missing))
            temp = target.with_name(f".{target.name}.tmp-{pid}")
            temps[target] = temp
            with temp.open("wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        _swap_in(temps, pid)
    except BaseException as exc:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            shutil.rmtree(directory, ignore_errors=True)
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write to {data_dir}: {exc}; nothing was changed") from exc
        raise
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
    except BaseException:
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
    # harmless deviations of the file read, each "file, line N: what was done"
    warnings: list[str] = field(default_factory=list)


class ImportRefused(InputErrors):
    """An import refused for these errors (exit 2), with what it had found until then."""

    def __init__(self, errors: list[InputError], report: Report) -> None:
        super().__init__(errors)
        self.report = report


def apply(changes: Changes, vocabulary: Vocabulary, report: Report) -> None:
    """Check the changed folder as a whole, then write it (unless it is a dry run)."""
    outputs = changes.outputs()
    after = changes.unfinished
    if outputs:
        after = check_staged(
            changes.data_dir, outputs, vocabulary, changes.unfinished, changes.explain
        )
    _say_unfinished(changes.unfinished, after, report)
    if not outputs:
        return
    if report.dry_run:
        report.notes.append(
            "dry run: would write " + ", ".join(str(changes.data_dir / n) for n in outputs)
        )
        return
    report.written = write_all(changes.data_dir, outputs)


def _say_unfinished(before: list[InputError], after: list[InputError], report: Report) -> None:
    """Which included studies got their first codes, and which still wait for them."""
    still = {e.message for e in after}
    done = [e for e in before if e.message not in still]
    if done:
        report.notes.append(
            "included in screening.csv and has codes now: " + ", ".join(_study_of(e) for e in done)
        )
    for error in after:
        report.notes.append(
            f"still to do before `rsme-kg build`: {error.location}: {error.message} "
            "(import its coded text, or code it by hand, or exclude it)"
        )


def _study_of(error: InputError) -> str:
    found = re.search(r"study '([^']+)'", error.message)
    return found.group(1) if found else error.message
