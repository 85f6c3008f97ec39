"""Run `rsme-kg import ...` as a user does, and check refusals (shared by the import tests)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from typer.testing import CliRunner

from kg.cli import app
from tests.conftest import tree_digest

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Exit code and output (stdout and stderr) of the command line."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def refused(
    kind: str, path: Path, data: Path, *expected: str, options: tuple[str, ...] = ()
) -> str:
    """`import KIND PATH --into DATA`: exit 2, each expected text said, DATA byte-identical."""
    before = tree_digest(data)
    code, out = run("import", kind, str(path), "--into", str(data), *options)
    assert code == 2, out
    for text in expected:
        assert text in out, out
    assert tree_digest(data) == before
    return out


def line_count(path: Path) -> int:
    """How many lines a data file has (others curate data/: never type its counts in)."""
    return len(path.read_text(encoding="utf-8").splitlines())


def next_code(data: Path, study: str, k: int = 1) -> str:
    """The id the k-th code an import adds to a study gets: `{study}-{n}` after the last n."""
    with (data / "codes.csv").open(encoding="utf-8", newline="") as f:
        ids = [row["id"] for row in csv.DictReader(f)]
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(re.escape(study) + r"-(\d+)", i))]
    return f"{study}-{max(numbers, default=0) + k}"
