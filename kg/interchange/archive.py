"""Read entries of an untrusted zip archive (a `.qdpx` project) with bounds.

Nothing is extracted to disk: entries are read into memory, and only those the import
needs. Entry names that climb out of the archive (`..`, absolute paths, drive letters) make
the whole file suspect, so they are refused; declared and actual sizes are bounded, and so
is the compression ratio, which is what a zip bomb abuses.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kg.errors import InputError, Location

MiB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """How much an archive may make the import read."""

    entry_bytes: int = 200 * MiB  # one project.qde or source text
    total_bytes: int = 1024 * MiB  # everything the import reads from one archive
    ratio: int = 200  # uncompressed / compressed, for entries larger than ratio_from
    ratio_from: int = 1 * MiB
    entries: int = 100_000


@dataclass
class Archive:
    """An opened zip archive and the bytes read from it so far."""

    path: Path
    zip: zipfile.ZipFile
    limits: Limits = field(default_factory=Limits)
    read_bytes: int = 0

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_: object) -> None:
        self.zip.close()

    def where(self, name: str) -> str:
        """How errors name an entry: 'project.qdpx:sources/a.txt'."""
        return f"{self.path}:{name}"

    def has(self, name: str) -> bool:
        """Whether the archive holds an entry of this name."""
        try:
            self.zip.getinfo(name)
        except KeyError:
            return False
        return True

    def names(self) -> list[str]:
        """The entry names, in archive order."""
        return self.zip.namelist()

    def read(self, name: str) -> bytes:
        """The bytes of one entry, within the limits."""
        info = self.zip.getinfo(name)
        self._check_declared(info)
        try:
            with self.zip.open(info) as stream:
                data = stream.read(self.limits.entry_bytes + 1)
        # a damaged archive fails in many ways: bad CRC, a truncated stream, a header
        # offset that points before the file's start (OSError from seek), wrong lengths
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            OSError,
            ValueError,
        ) as exc:
            raise InputError(
                Location(self.where(name)),
                f"the entry cannot be read: {exc}",
                "an intact, unencrypted zip entry (deflated or stored)",
            ) from exc
        except RuntimeError as exc:  # zipfile's way of saying "encrypted"
            raise InputError(
                Location(self.where(name)), f"the entry cannot be read: {exc}", "no encryption"
            ) from exc
        if len(data) > self.limits.entry_bytes:
            raise self._too_large(name, len(data))
        self.read_bytes += len(data)
        if self.read_bytes > self.limits.total_bytes:
            raise InputError(
                Location(self.where(name)),
                f"the entries read so far hold more than {self.limits.total_bytes // MiB} MiB",
                "a smaller project",
            )
        return data

    def _check_declared(self, info: zipfile.ZipInfo) -> None:
        if info.file_size > self.limits.entry_bytes:
            raise self._too_large(info.filename, info.file_size)
        if info.file_size > self.limits.ratio_from and info.file_size > self.limits.ratio * max(
            info.compress_size, 1
        ):
            raise InputError(
                Location(self.where(info.filename)),
                f"the entry expands {info.file_size // max(info.compress_size, 1)} times "
                f"({info.compress_size} bytes to {info.file_size}): refused as a zip bomb",
                f"at most {self.limits.ratio} times compression",
            )

    def _too_large(self, name: str, size: int) -> InputError:
        return InputError(
            Location(self.where(name)),
            f"the entry is {size} bytes uncompressed: refused as a zip bomb or a wrong file",
            f"at most {self.limits.entry_bytes // MiB} MiB per entry",
        )


def unsafe_name(name: str) -> bool:
    """Whether an entry name points outside the archive's own folder.

    >>> unsafe_name("sources/a.txt"), unsafe_name("../a.txt"), unsafe_name("/etc/passwd")
    (False, True, True)
    >>> unsafe_name("C:\\\\x.txt"), unsafe_name("sources\\\\..\\\\..\\\\x")
    (True, True)
    """
    posix = name.replace("\\", "/")
    return posix.startswith("/") or bool(_DRIVE.match(posix)) or ".." in PurePosixPath(posix).parts


def open_archive(path: Path, limits: Limits | None = None) -> Archive:
    """Open a zip archive for bounded reading; InputError if it is none or looks hostile."""
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise InputError(Location(path), "no such file") from exc
    # a damaged directory fails in many ways: an entry name flagged UTF-8 that is not
    # (UnicodeDecodeError, a ValueError), offsets past the end (EOFError, OSError)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(
            Location(path),
            "the file is not a zip archive",
            "a REFI-QDA project file (.qdpx): a zip holding project.qde and sources/",
        ) from exc
    infos = archive.infolist()
    if len(infos) > limits.entries:
        archive.close()
        raise InputError(
            Location(path), f"the archive holds {len(infos)} entries", f"at most {limits.entries}"
        )
    for info in infos:
        if unsafe_name(info.filename):
            archive.close()
            raise InputError(
                Location(f"{path}:{info.filename}"),
                f"unsafe entry name {info.filename!r}: it points outside the archive",
                "relative entry names without '..' (e.g. sources/<guid>.txt)",
            )
    return Archive(path, archive, limits)
