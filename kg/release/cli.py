"""The `rsme-kg release` command: a citable, reproducible bundle of one version of the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg import paths


def release(
    version: Annotated[
        str, typer.Argument(help="The release's version, e.g. 1.0.0 (PEP 440 / semver orders it).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder of the releases (ROOT): the bundle is written to ROOT/VERSION/.",
        ),
    ] = Path("releases"),
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="Folder of the release to compare with (default: the newest older release "
            "in ROOT, none if there is none).",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Release date YYYY-MM-DD (default: the latest date recorded in the inputs).",
        ),
    ] = None,
    data: Annotated[
        Path, typer.Option("--data", help="Folder of the corpus CSV files.")
    ] = paths.DATA_DIR,
    java: Annotated[
        str,
        typer.Option(
            "--java",
            envvar="RSME_KG_JAVA",
            help="Java runtime of the reasoner: bundled, system or the path of a java.",
        ),
    ] = "bundled",
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", envvar="RSME_KG_CACHE", help="Folder of the content-keyed check results."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Check everything and keep no results.")
    ] = False,
) -> None:
    """Write a versioned release bundle: build and check the graph, then write ROOT/VERSION/
    (ontology, taxonomy, dumps, mappings, VoID/DCAT, RO-Crate, CITATION.cff, change log)."""
    # the faces' helpers: kg.cli is loaded whenever this command runs
    from kg.cache import Cache
    from kg.cli import _errors, _step, console
    from kg.release.bundle import Request, make_release

    with _errors():
        folder, manifest = make_release(
            Request(version=version, root=out, data=data, previous=previous, date=date),
            cache=Cache.at(cache, enabled=not no_cache),
            java=java,
            step=_step,
        )
        files = manifest["files"]
        assert isinstance(files, list)
        console.print(
            f"[bold green]released[/] {manifest['version']} ({manifest['date']}, previous: "
            f"{manifest['previous'] or 'none'}) into {folder}/: {len(files) + 2} files",
            highlight=False,
        )
