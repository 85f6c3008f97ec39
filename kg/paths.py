"""Default locations of the project's sources, resolved from the checkout."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "rsme.ttl"
TAXONOMY_FILE = ONTOLOGY_DIR / "factors.ttl"
QC_DIR = ONTOLOGY_DIR / "qc"
SHAPES_DIR = ROOT / "shapes"
DATA_DIR = Path("data")
DIST_DIR = Path("dist")
STORE_SUBDIR = "store"


def published_name(path: Path, data_dir: Path) -> str:
    """The name under which a build publishes one of its inputs: never a path of this machine.

    A file of the data folder is `data/...` whatever the folder is called here; a file of the
    checkout is named from its top (`ontology/rsme.ttl`); any other file by its own name.

    >>> published_name(ROOT / "ontology" / "rsme.ttl", Path("data"))
    'ontology/rsme.ttl'
    >>> published_name(Path("/srv/my-review/sources/ruzzier-2007.txt"), Path("/srv/my-review"))
    'data/sources/ruzzier-2007.txt'
    >>> published_name(Path("/elsewhere/extra.ttl"), Path("data"))
    'extra.ttl'
    """
    resolved = path.resolve()
    for top, prefix in ((data_dir.resolve(), PurePosixPath("data")), (ROOT, PurePosixPath())):
        if resolved.is_relative_to(top):
            return str(prefix / PurePosixPath(resolved.relative_to(top).as_posix()))
    return path.name
