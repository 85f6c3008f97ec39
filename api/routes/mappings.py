"""REST routes: mappings (filled in by the REST lookups work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["mappings"])
