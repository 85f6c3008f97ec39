"""The `rsme-kg link` commands: find candidate mappings in a vocabulary file, review them.

`rsme-kg link VOCABULARY` and `rsme-kg link review FILE` share one group: a first argument
that is not a subcommand is a vocabulary file and goes to `candidates`. The matching and SSSOM
modules are imported inside the commands, so `rsme-kg --help` stays fast.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from kg import paths

if TYPE_CHECKING:
    from kg.link.candidates import Candidate
    from kg.link.review import ReviewReport

DEFAULT_COMMAND = "candidates"


class LinkGroup(TyperGroup):
    """A group whose first argument, when it names no subcommand, is the default command's."""

    # the context and formatter are Any: typer >= 0.2x ships its own click, older ones use click
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Route `link VOCAB ...` (or `link --scheme X VOCAB`) to the default command."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        """Both forms of the command, as a user types them."""
        formatter.write_usage(ctx.command_path, "VOCABULARY [OPTIONS]")
        formatter.write_usage(ctx.command_path, "review FILE --curator ID [OPTIONS]")


link_app = typer.Typer(
    cls=LinkGroup,
    help=(
        "Find and review mappings of the taxonomy to an outside vocabulary (SSSOM/TSV). "
        "`rsme-kg link VOCABULARY` writes candidates (nothing is accepted); mark them, then "
        "`rsme-kg link review FILE --curator ID` takes the decisions into the curated file."
    ),
    no_args_is_help=True,
)

# defaults shown as the checkout names them, not as paths of this machine
TaxonomyOpt = Annotated[
    Path,
    typer.Option(
        "--taxonomy",
        help="The taxonomy whose concepts are mapped.",
        show_default="ontology/factors.ttl",
    ),
]
MappingsOpt = Annotated[
    Path,
    typer.Option(
        "--mappings",
        help="The curated mapping file (SSSOM/TSV).",
        show_default="mappings/rsme-kg.sssom.tsv",
    ),
]


def _langs(value: str) -> list[str]:
    langs = [part.strip().lower() for part in value.split(",") if part.strip()]
    if not langs:
        raise typer.BadParameter("name at least one language, e.g. en,fa")
    return langs


@link_app.command(name=DEFAULT_COMMAND)
def candidates(
    vocabulary: Annotated[
        Path,
        typer.Argument(
            help="A SKOS or OWL vocabulary file: Turtle, TriG, N-Triples, N-Quads, RDF/XML "
            "(.rdf, .owl, .xml) or JSON-LD, optionally .gz; read as a stream."
        ),
    ],
    scheme: Annotated[
        str | None,
        typer.Option("--scheme", help="Only concepts of this skos:ConceptScheme (IRI)."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Languages of the labels compared, comma-separated.")
    ] = "en,fa",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Candidate file to write (default <vocabulary name>.candidates.sssom.tsv).",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            min=0.5,
            max=1.0,
            help="Least token similarity (0.5-1) for a candidate that is not a lexical match.",
        ),
    ] = 0.85,
    taxonomy: TaxonomyOpt = paths.TAXONOMY_FILE,
    mappings: MappingsOpt = paths.MAPPINGS_FILE,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a candidate file that holds decisions.")
    ] = False,
) -> None:
    """Propose mappings of every factor, category and outcome to VOCABULARY (the default).

    Equal labels once normalised, then token similarity; nothing is accepted.

    Pairs the curated mapping file already decides (either way) are not proposed again.
    """
    from kg.cli import _errors, console
    from kg.errors import UsageError
    from kg.link.candidate_file import candidate_set, decided_pairs, has_decisions
    from kg.link.candidates import load_subjects, propose
    from kg.link.vocabulary import read_vocabulary
    from kg.sssom import write_sssom

    langs = _langs(lang)
    target = out or Path(f"{vocabulary.name.split('.')[0] or 'vocabulary'}.candidates.sssom.tsv")
    with _errors():
        if target.exists() and not force and has_decisions(target):
            raise UsageError(
                f"{target} holds review decisions that a new run would overwrite: review it "
                "first, or write elsewhere (--out), or pass --force"
            )
        subjects = load_subjects(taxonomy, langs)
        vocab = read_vocabulary(vocabulary, langs)
        decided = decided_pairs(mappings)
        found = propose(subjects, vocab, langs, threshold, scheme, decided)
        mapping_set = candidate_set(
            found, vocab, target, scheme=scheme, langs=langs, threshold=threshold
        )
        write_sssom(mapping_set, target)
    console.print(
        f"{vocabulary}: {vocab.triples} triples, {len(vocab.concepts)} concepts; "
        f"{len(subjects)} taxonomy concepts compared in {', '.join(langs)}",
        markup=False,
        highlight=False,
    )
    _print_candidates(found, mapping_set.mappings, console)
    console.print(
        f"wrote {len(found)} candidate(s) for {len({c.subject.id for c in found})} concept(s) "
        f"to {target}; nothing is accepted: mark the decision column, then run "
        f"`rsme-kg link review {target} --curator ID`",
        markup=False,
        highlight=False,
    )


def _print_candidates(
    found: list[Candidate], rows: list[Any], console: Any, limit: int = 40
) -> None:
    from rich.table import Table

    if not found:
        return
    table = Table("subject", "predicate", "object", "object label", "conf.", "rank", box=None)
    for candidate, row in list(zip(found, rows, strict=True))[:limit]:
        table.add_row(
            row.subject_id,
            row.predicate_id,
            row.object_id,
            row.object_label or "",
            f"{candidate.confidence:.3f}",
            f"{candidate.rank}/{candidate.of}",
        )
    console.print(table)
    if len(found) > limit:
        console.print(f"... and {len(found) - limit} more in the file", highlight=False)


@link_app.command(name="review")
def review_command(
    file: Annotated[Path, typer.Argument(help="A candidate file written by `rsme-kg link`.")],
    curator: Annotated[
        str,
        typer.Option(
            "--curator",
            help="Who decided: an ORCID iD (orcid:0000-0002-1825-0097) or an agent id of "
            "data/coders.csv.",
        ),
    ],
    mappings: MappingsOpt = paths.MAPPINGS_FILE,
    vocabulary: Annotated[
        Path | None,
        typer.Option(
            "--vocabulary",
            help="The vocabulary file the candidates came from (default: the one the candidate "
            "file names; its SHA-256 must match).",
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--date", help="Date of the decisions, YYYY-MM-DD (default today)."),
    ] = None,
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence", min=0.0, max=1.0, help="Confidence recorded for each decision."
        ),
    ] = 0.9,
    taxonomy: TaxonomyOpt = paths.TAXONOMY_FILE,
    data: Annotated[
        Path, typer.Option("--data", help="Folder of coders.csv (for an agent --curator).")
    ] = paths.DATA_DIR,
) -> None:
    """Take the accepted and rejected rows of FILE into the curated mapping file.

    Writes nothing while a row is wrong or a conflict remains.
    """
    from kg.cli import _errors, console
    from kg.link.curator import parse_curator
    from kg.link.review import review

    with _errors():
        day = _date(on) if on else None
        who = parse_curator(curator, data)
        report = review(
            file,
            who,
            mappings_path=mappings,
            vocabulary_path=vocabulary,
            taxonomy_path=taxonomy,
            on=day,
            confidence=confidence,
        )
    _print_report(report, console)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when under it."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _date(text: str) -> date:
    from kg.errors import InputError, Location

    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(Location("--date"), f"{text!r} is not a date", "YYYY-MM-DD") from exc


def _print_report(report: ReviewReport, console: Any) -> None:
    for row in report.accepted:
        console.print(
            f"accepted: {row.subject_id} {row.predicate_id} {row.object_id} ({row.object_label})",
            markup=False,
            highlight=False,
        )
    for row in report.rejected:
        console.print(
            f"rejected: {row.subject_id} {row.predicate_id} {row.object_id} "
            "(kept as a negative mapping)",
            markup=False,
            highlight=False,
        )
    state = (
        f"wrote {_shown(report.mappings_file)}"
        if report.written
        else "the curated file is unchanged"
    )
    console.print(
        f"{len(report.accepted)} accepted, {len(report.rejected)} rejected, "
        f"{len(report.unchanged)} already curated, {report.undecided} not decided; {state}",
        markup=False,
        highlight=False,
    )
