"""A content-keyed cache of check results on disk, in a folder the user may delete at any time.

Entries are named by a digest of everything that decides them (see kg/modules.py), never by
time or file name, so a stale entry cannot be read: a changed input has another key. Entries
are written to a temporary name and renamed, so an interrupted run leaves no half entry; an
entry that cannot be read is treated as missing.

The folder is `.rsme-kg-cache/` in the working directory (as .pytest_cache or .ruff_cache),
`RSME_KG_CACHE` or `--cache DIR` names another, and `--no-cache` turns it off.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(".rsme-kg-cache")
ENV = "RSME_KG_CACHE"
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
            return path.read_bytes()
        except OSError:
            return None

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
