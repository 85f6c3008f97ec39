"""The check cache stays within its size (kg/cache.py): least recently used entries go first,
a read marks an entry used, other format versions and stale temporary files always go, and
every check prunes. Sizes and times are set by hand, the expected survivors worked out."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kg import pipeline
from kg.cache import DEFAULT_MAX_BYTES, MAX_BYTES_ENV, Cache
from tests.corpus import FIXTURE

# "now" for the ages of the files set by hand: before the real now, so that a real read
# (which marks an entry used at the real now) is the most recent use
NOW = time.time() - 10_000


def filled(root: Path, count: int = 5, size: int = 100) -> Cache:
    """`count` entries of `size` bytes, entry i last used at NOW - 1000 + i."""
    cache = Cache(root)
    for i in range(1, count + 1):
        cache.put("shacl", f"{i:02d}key", bytes(size))
        path = cache._path("shacl", f"{i:02d}key")
        assert path is not None
        os.utime(path, (NOW - 1000 + i, NOW - 1000 + i))
    return cache


def kept(cache: Cache) -> list[str]:
    assert cache.root is not None
    return sorted(p.name for p in (cache.root / "v1").rglob("*") if p.is_file())


def test_least_recently_used_entries_go_first_until_within_the_limit(tmp_path: Path) -> None:
    # 500 bytes, limit 250: the three oldest go (500 → 400 → 300 → 200)
    cache = filled(tmp_path / "cache")
    assert cache.prune(250, now=NOW) == 300
    assert kept(cache) == ["04key", "05key"]
    assert (tmp_path / "cache" / "README.txt").is_file()  # the folder still explains itself


def test_a_read_marks_an_entry_used(tmp_path: Path) -> None:
    cache = filled(tmp_path / "cache")
    assert cache.get("shacl", "01key") == bytes(100)  # the oldest, read now
    cache.prune(250, now=NOW)
    assert kept(cache) == ["01key", "05key"]


def test_within_the_limit_nothing_goes(tmp_path: Path) -> None:
    cache = filled(tmp_path / "cache")
    assert cache.prune(500, now=NOW) == 0
    assert len(kept(cache)) == 5


def test_other_versions_and_stale_temporary_files_always_go(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = filled(root, count=1)
    old = root / "v0" / "shacl" / "ab" / "abkey"
    old.parent.mkdir(parents=True)
    old.write_bytes(bytes(10))
    folder = root / "v1" / "shacl" / "01"
    stale, fresh = folder / ".x.tmp-1", folder / ".y.tmp-2"
    for path, age in ((stale, 2 * 86400), (fresh, 60)):
        path.write_bytes(bytes(7))
        os.utime(path, (NOW - age, NOW - age))
    assert cache.prune(10_000, now=NOW) == 10 + 7
    assert not (root / "v0").exists()  # its empty folders too
    assert kept(cache) == [".y.tmp-2", "01key"]  # a running check's file is left alone


def test_the_limit_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = filled(tmp_path / "cache")
    monkeypatch.setenv(MAX_BYTES_ENV, "150")
    cache.prune(now=NOW)
    assert kept(cache) == ["05key"]
    monkeypatch.setenv(MAX_BYTES_ENV, "a lot")  # unreadable: the default, which keeps all
    assert DEFAULT_MAX_BYTES > 500 and cache.prune(now=NOW) == 0


def test_an_absent_or_disabled_cache_prunes_nothing(tmp_path: Path) -> None:
    assert Cache(None).prune(0) == 0
    assert Cache(tmp_path / "none").prune(0) == 0


def test_every_check_prunes_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check with the default limit keeps its results; with a limit of 0 bytes it keeps
    none (they are pruned at its end), and the next check finds nothing and checks again."""
    root = tmp_path / "cache"
    pipeline.check(FIXTURE, run_reasoner=False, cache=Cache(root))
    entries = [p for p in (root / "v1").rglob("*") if p.is_file()]
    assert entries
    monkeypatch.setenv(MAX_BYTES_ENV, "0")
    pipeline.check(FIXTURE, run_reasoner=False, cache=Cache(root))
    assert not (root / "v1").exists()
