"""Default locations of the project's sources, resolved from the checkout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "rsme.ttl"
TAXONOMY_FILE = ONTOLOGY_DIR / "factors.ttl"
QC_DIR = ONTOLOGY_DIR / "qc"
SHAPES_DIR = ROOT / "shapes"
DATA_DIR = Path("data")
DIST_DIR = Path("dist")
STORE_SUBDIR = "store"
