"""Linked data: every IRI under https://w3id.org/rsme-kg/ resolves here (filled in next)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["linked data"])
