"""Default locations of the project's sources, resolved from the checkout."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "rsme.ttl"
TAXONOMY_FILE = ONTOLOGY_DIR / "factors.ttl"
QC_DIR = ONTOLOGY_DIR / "qc"
# the taxonomy's curated mappings to outside vocabularies (SSSOM/TSV; kg/sssom.py)
MAPPINGS_FILE = ROOT / "mappings" / "rsme-kg.sssom.tsv"
SHAPES_DIR = ROOT / "shapes"
DATA_DIR = Path("data")
DIST_DIR = Path("dist")
STORE_SUBDIR = "store"
# the files a build writes beside the store (kg/pipeline.py), named here so that the server
# can find them without importing the pipeline (pyshacl, the reasoner)
TRIG_NAME = "rsme-kg.trig"
REPORT_NAME = "validation-report.ttl"
MANIFEST_NAME = "build.json"
VOID_NAME = "void.ttl"


def published_name(path: Path, top: Path, prefix: str, outside: str) -> str:
    """The name under which a build publishes one of its inputs: never a path of this machine.

    A file under `top` is named by its place there after `prefix` (links followed only if the
    link itself is not under `top`, so a linked sources folder keeps its name); any other file
    is `outside/<its name>`.

    >>> published_name(ROOT / "ontology" / "rsme.ttl", ROOT, "", "external/ontology")
    'ontology/rsme.ttl'
    >>> review = Path("/srv/review")
    >>> published_name(review / "sources" / "ruzzier-2007.txt", review, "data", "data")
    'data/sources/ruzzier-2007.txt'
    >>> published_name(Path("/elsewhere/extra.ttl"), ROOT, "", "external/taxonomy")
    'external/taxonomy/extra.ttl'
    """
    for inner, outer in ((path.absolute(), top.absolute()), (path.resolve(), top.resolve())):
        if inner.is_relative_to(outer):
            return str(PurePosixPath(prefix, inner.relative_to(outer).as_posix()))
    return str(PurePosixPath(outside, path.name))
