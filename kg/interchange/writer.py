"""Edit the data folder's CSV files safely: checked as a whole, written all or nothing.

Analysts edit these files in spreadsheets, so an import changes only the rows it must:
untouched records keep their exact bytes (quoting, line ends, byte-order mark), new rows are
appended. Before anything is written, the changed folder is staged in a temporary copy
and read back with the corpus reader, so an import can never leave data/ unreadable.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError, InputErrors, Location, WriteError
from kg.ingest.corpus import Vocabulary, check_vocabulary, read_corpus
from kg.ingest.table import Column, decode, read_table

log = logging.getLogger("rsme_kg.import")

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

    def __post_init__(self) -> None:
        # an import stopped half-way is finished (or its leftovers removed) before this one
        # reads the folder
        recover(self.data_dir)

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


# An import's commit record: while it exists, the renames it lists are decided and are finished
# by the next command that reads the folder (`recover`), so that a process killed between two
# renames never leaves the folder half old, half new.
JOURNAL = ".rsme-kg-import.journal"
# the temporary (.tmp-PID) and backup (.bak-PID) files of an import, beside their targets
_LEFTOVER = re.compile(r"^\..+\.(?:tmp|bak)-(\d+)$")


def write_all(data_dir: Path, outputs: dict[str, bytes]) -> list[Path]:
    """Write every file or none: temporary files first, then renames, undone on failure.

    A failure to write (a full disk, a read-only folder) raises WriteError and changes
    nothing; a process killed before the commit record is written leaves only temporary
    files (removed by the next import), one killed after it leaves renames that the next
    command reading the folder finishes (`recover`).
    """
    recover(data_dir)
    pid = os.getpid()
    temps: dict[Path, Path] = {}
    try:
        for name, data in outputs.items():
            target = data_dir / name
            # beside the target when its folder exists (a rename within one folder); in the
            # data folder itself when the folder is new: it is made after the commit only
            home = target.parent if target.parent.is_dir() else data_dir
            temp = home / f".{target.name}.tmp-{pid}"
            temps[target] = temp
            _write_synced(temp, data)
        _commit(data_dir, temps, pid)
    except BaseException as exc:
        # Undone on any exception, Ctrl-C (KeyboardInterrupt) included: a half-written data
        # folder is worse than an interrupted command.
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError(_cannot_write(data_dir, exc)) from exc
        raise
    return list(temps)


def _cannot_write(data_dir: Path, exc: OSError) -> str:
    """Why a write failed, in words a user acts on: the file, and 'no space' when it is that."""
    where = exc.filename or data_dir
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "no space left on the device"
    elif exc.errno == errno.EFBIG:
        why = "no space: the file would be larger than allowed here"
    else:
        why = exc.strerror or str(exc)
    return f"cannot write to {where}: {why}; nothing in {data_dir} was changed"


def _write_synced(path: Path, data: bytes) -> None:
    """Write a file and make sure its bytes are on disk before it may be renamed into place."""
    try:
        with path.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        if exc.filename is None:  # a failed write() names no file: say which one it was
            exc.filename = str(path)
        raise


def _commit(data_dir: Path, temps: dict[Path, Path], pid: int) -> None:
    """Rename each temporary file over its target under a commit record; on failure put the
    old files back (from hard links kept aside, so a backup costs no space)."""
    backups: dict[Path, Path | None] = {}
    created: list[Path] = []
    journal = data_dir / JOURNAL
    try:
        for target in temps:
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.bak-{pid}")
                _keep_aside(target, backup)
            backups[target] = backup
        record = [{"target": _rel(t, data_dir), "temp": _rel(temps[t], data_dir)} for t in temps]
        _write_synced(journal.with_name(f"{JOURNAL}.tmp-{pid}"), json.dumps(record).encode())
        os.replace(journal.with_name(f"{JOURNAL}.tmp-{pid}"), journal)
        for target, temp in temps.items():
            if not target.parent.is_dir():
                missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
                target.parent.mkdir(parents=True)
                created.extend(reversed(missing))
            os.replace(temp, target)
        journal.unlink()
    except BaseException:
        for target, backup in backups.items():
            if backup is None:  # a new file (or not even its folder, if that failed)
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    target.unlink()
            else:
                os.replace(backup, target)
        for directory in reversed(created):
            shutil.rmtree(directory, ignore_errors=True)
        journal.unlink(missing_ok=True)
        journal.with_name(f"{JOURNAL}.tmp-{pid}").unlink(missing_ok=True)
        raise
    finally:
        for backup in backups.values():
            if backup is not None:
                backup.unlink(missing_ok=True)


def _keep_aside(target: Path, backup: Path) -> None:
    """A second name for the old file (a copy where hard links are not allowed)."""
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)


def _rel(path: Path, data_dir: Path) -> str:
    return path.relative_to(data_dir).as_posix()


def recover(data_dir: Path) -> list[Path]:
    """Finish an import that was stopped after it committed, and remove what stopped imports
    left behind before that (their temporary and backup files); the files finished.

    Called before the data folder is read (by every import and by `build`/`validate`), so
    no command ever reads a folder that is half old, half new.
    """
    journal = data_dir / JOURNAL
    finished: list[Path] = []
    if journal.is_file():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            moves = [(data_dir / e["target"], data_dir / e["temp"]) for e in record]
        except (ValueError, TypeError, KeyError) as exc:
            raise WriteError(
                f"{journal}: the record of an interrupted import is unreadable ({exc}); "
                "compare the data folder with your copy, then delete this file"
            ) from exc
        for target, temp in moves:
            if temp.is_file():  # not renamed yet
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, target)
                finished.append(target)
        journal.unlink()
        log.warning("finished an interrupted import: %s", ", ".join(map(str, finished)))
    if data_dir.is_dir():
        _remove_leftovers(data_dir)
    return finished


def _remove_leftovers(data_dir: Path) -> None:
    """Delete the temporary and backup files of imports whose process is gone."""
    for folder, _, names in os.walk(data_dir):
        for name in names:
            found = _LEFTOVER.match(name)
            if found and not process_alive(int(found.group(1))):
                (Path(folder) / name).unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """True when a process with this id runs (the current one included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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
