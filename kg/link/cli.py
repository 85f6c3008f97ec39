"""The `rsme-kg link` commands (filled in by the link workflow)."""

from __future__ import annotations

import typer

link_app = typer.Typer(help="Find and review mappings to an outside vocabulary (SSSOM).")
