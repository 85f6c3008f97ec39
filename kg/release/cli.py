"""The `rsme-kg release` command (filled in by the release workflow)."""

from __future__ import annotations


def release() -> None:
    """Write a versioned release bundle."""
    raise NotImplementedError
