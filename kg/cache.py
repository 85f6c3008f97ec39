"""A content-keyed cache of check results on disk, in a folder the user may delete at any time.

Entries are named by a digest of everything that decides them (see kg/modules.py), never by
time or file name, so a stale entry cannot be read: a changed input has another key. Entries
are written to a temporary name and renamed, so an interrupted run leaves no half entry; an
entry that cannot be read is treated as missing.

The folder is `.rsme-kg-cache/` in the working directory (as .pytest_cache or .ruff_cache),
`RSME_KG_CACHE` or `--cache DIR` names another, and `--no-cache` turns it off.

Content keys never go stale, so nothing would ever leave the folder: each edit of the data
adds entries. After each check the folder is pruned to `RSME_KG_CACHE_MAX_BYTES` (256 MB by
default), least recently used entries first (a read marks an entry used), as ccache does;
entries of another format version, and temporary files a killed run left, go first.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(".rsme-kg-cache")
ENV = "RSME_KG_CACHE"
MAX_BYTES_ENV = "RSME_KG_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 256_000_000
_STALE_TMP_SECONDS = 24 * 3600  # a temporary file this old belongs to no running check
# the folder explains itself to whoever finds it
_README = (
    "Content-keyed results of `rsme-kg validate` and `build` (SHACL per module, reasoner per\n"
    "module, quality checks). Safe to delete at any time: the next run rebuilds what it needs.\n"
)
_VERSION = "1"  # bump when the format of entries changes: old entries are then never read


@dataclass(frozen=True)
class Cache:
    """Entries by kind and key; a Cache with no folder keeps nothing."""

    root: Path | None

    @classmethod
    def at(cls, folder: Path | None = None, *, enabled: bool = True) -> Cache:
        """The cache in `folder`, else in $RSME_KG_CACHE, else in ./.rsme-kg-cache."""
        if not enabled:
            return cls(None)
        return cls(folder or Path(os.environ.get(ENV) or DEFAULT_DIR))

    def _path(self, kind: str, key: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / f"v{_VERSION}" / kind / key[:2] / key

    def get(self, kind: str, key: str) -> bytes | None:
        """The entry, or None when absent, unreadable or the cache is off."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: pruned last (see prune)
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Store an entry atomically; a cache that cannot be written is skipped, not fatal."""
        path = self._path(kind, key)
        if path is None or self.root is None:
            return
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readme = self.root / "README.txt"
            if not readme.exists():
                readme.write_text(_README, encoding="utf-8")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def prune(self, max_bytes: int | None = None, *, now: float | None = None) -> int:
        """Remove entries, least recently used first, until the folder holds at most
        `max_bytes` (default: $RSME_KG_CACHE_MAX_BYTES, else DEFAULT_MAX_BYTES); remove other
        format versions and stale temporary files whatever the size. Returns the bytes freed.
        A file that cannot be removed is left; pruning never fails a run."""
        if self.root is None or not self.root.is_dir():
            return 0
        limit = max_bytes if max_bytes is not None else _max_bytes_from_env()
        now = time.time() if now is None else now
        freed = 0
        entries: list[tuple[float, int, Path]] = []
        for path in self.root.rglob("*"):
            try:
                stat = path.lstat()
            except OSError:
                continue
            if not path.is_file() or path.parent == self.root:
                continue  # folders, and README.txt
            version = path.relative_to(self.root).parts[0]
            stale_tmp = ".tmp-" in path.name and now - stat.st_mtime > _STALE_TMP_SECONDS
            if version != f"v{_VERSION}" or stale_tmp:
                freed += _remove(path, stat.st_size)
            elif ".tmp-" not in path.name:
                entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= limit:
                break
            removed = _remove(path, size)
            freed += removed
            total -= removed
        _remove_empty_folders(self.root)
        return freed


def _max_bytes_from_env() -> int:
    text = os.environ.get(MAX_BYTES_ENV, "").strip()
    try:
        return max(int(text), 0) if text else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES  # a cache setting never stops a check


def _remove(path: Path, size: int) -> int:
    try:
        path.unlink()
    except OSError:
        return 0
    return size


def _remove_empty_folders(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty one goes
