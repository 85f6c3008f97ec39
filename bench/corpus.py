"""Bigger CSV corpora for the scale study: N copies of a data folder, run through the whole build.

Copy 1 is the corpus itself; copy k > 1 renames every study and code id with a `-k{k}` suffix
(`akbari-2019` -> `akbari-2019-k2`) and keeps everything else: titles, quotes and offsets (so
every title-based quote still occurs in its title), factors, coders, authors (shared across
copies, as real authors are across studies). DOIs are kept only in copy 1: a DOI names one work,
and the graph says so with owl:sameAs. The result depends only on the source folder and N.

    .venv/bin/python bench/corpus.py --copies 10 --out /tmp/corpus-10x
"""

from __future__ import annotations

import argparse
import csv
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# per file: the columns holding a study id, a code id, and the DOI column
STUDY_COLUMNS = {
    "studies.csv": ("id",),
    "screening.csv": ("study",),
    "codes.csv": ("study",),
    "appraisals.csv": ("study",),
}
CODE_COLUMNS = {"codes.csv": ("id",)}
DOI_COLUMNS = {"studies.csv": ("doi",)}
COPIED_WHOLE = ("coders.csv",)  # the agents are the same people in every copy


def _suffix(copy: int) -> Callable[[str], str]:
    return (lambda value: value) if copy == 1 else (lambda value: f"{value}-k{copy}")


def write_copies(source: Path, out: Path, copies: int) -> dict[str, int]:
    """Write `copies` copies of the CSV corpus in `source` into `out`; rows per file."""
    if copies < 1:
        raise ValueError(f"--copies {copies}: expected 1 or more")
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in COPIED_WHOLE:
        if (source / name).exists():
            shutil.copyfile(source / name, out / name)
    for name in STUDY_COLUMNS:
        path = source / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        with (out / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            for copy in range(1, copies + 1):
                rename = _suffix(copy)
                for row in rows:
                    new = dict(row)
                    for column in (*STUDY_COLUMNS[name], *CODE_COLUMNS.get(name, ())):
                        if new.get(column):
                            new[column] = rename(new[column])
                    if copy > 1:
                        for column in DOI_COLUMNS.get(name, ()):
                            new[column] = ""
                    writer.writerow(new)
        counts[name] = len(rows) * copies
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--source", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    counts = write_copies(args.source, args.out, args.copies)
    print(", ".join(f"{name}: {n} rows" for name, n in counts.items()))


if __name__ == "__main__":
    main()
