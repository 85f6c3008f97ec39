"""The analysis report: tables and pictures in one folder, as HTML (self-contained) or Markdown.

The HTML is drawn by Jinja2 templates in kg/analysis/templates (autoescaped): body.html is
shared by report.html, the file, and the server's /analysis page.

The folder holds report.html or report.md, figures/ (SVG and PNG of every picture), tables/
(CSV of every table, the matrices in full) and analysis.json (every number, as the API serves
them). It is written into a temporary folder beside the target and renamed into place, so a
failed run leaves the previous report whole; a target that holds anything but an earlier
report is refused rather than overwritten.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kg.analysis import figures
from kg.analysis.matrix import to_csv
from kg.analysis.report import (
    Analysis,
    appraisal_json,
    cooccurrence_json,
    flow_json,
    kappa_json,
    matrix_json,
    settings_json,
    timeline_json,
    weights_json,
)
from kg.errors import UsageError

FORMATS = ("html", "md")
MARKERS = ("report.html", "report.md", "analysis.json")  # what makes a folder an earlier report


@dataclass
class Table:
    """A table for the report: rendered as HTML and Markdown, and written as CSV."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[object]] = field(default_factory=list)
    note: str = ""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.headers)
        writer.writerows(self.rows)
        return out.getvalue()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def tables(analysis: Analysis) -> list[Table]:
    """The tables of the report, in reading order."""
    ds = analysis.dataset
    f = flow_json(analysis)
    flow = Table(
        "flow",
        "Screening flow (PRISMA 2020)",
        ["box", "n"],
        [
            ["records identified", f["identified"]],
            ["awaiting screening", f["awaiting_screening"]],
            ["records screened", f["screened"]],
            *[[f"excluded at screening: {r}", n] for r, n in f["excluded_at_screening"].items()],
            ["reports assessed for eligibility", f["assessed_for_eligibility"]],
            *[[f"excluded at full text: {r}", n] for r, n in f["excluded_at_fulltext"].items()],
            ["studies included", f["included"]],
        ],
    )
    w = weights_json(analysis)
    weights = Table(
        "weights",
        "Shannon-entropy weights of the factors",
        ["rank", "id", "factor", "category", "studies", "codes", "E", "d", "W"],
        [
            [
                r["rank"],
                r["factor"],
                r["label"],
                ds.category_label(r["category"] or ""),
                r["studies"],
                r["codes"],
                r["entropy"],
                r["diversification"],
                r["weight"],
            ]
            for r in w["weights"]
        ],
        f"{w['formula']} (m = {w['studies']} studies). {w['note']}"
        + (f" Not computed: {w['error']}" if w["error"] else ""),
    )
    tied = sum(1 for x in analysis.weights if x.rank == 1)
    if tied > 1:
        weights.note += f" {tied} factors share rank 1."
    by_studies = sorted(analysis.weights, key=lambda x: (-x.studies, x.factor))
    breadth = Table(
        "breadth",
        "Factors by number of studies",
        ["factor", "studies", "codes", "weight rank"],
        [[ds.label(x.factor), x.studies, x.codes, x.rank] for x in by_studies if x.studies > 1],
        (
            "Factors supported by more than one included study (studies and codes of support; "
            "settings are not counted, see Settings studied); every other supported factor is "
            "supported by one."
        )
        if analysis.weights
        else "No factor is supported yet.",
    )
    head = [flow, weights, breadth, *_categories(analysis)]
    pairs = cooccurrence_json(analysis)["pairs"]
    top = max((p["studies"] for p in pairs), default=0)
    cooccurrence = Table(
        "cooccurrence",
        "Factor co-occurrence",
        ["factor", "factor", "studies", "study ids"],
        [
            [p["first_label"], p["second_label"], p["studies"], " ".join(p["study_ids"])]
            for p in pairs
        ],
        f"{len(pairs)} pairs of factors are supported by the same study; the most shared pair "
        f"is shared by {top} studies. Settings (codes whose direction is context) form no pair.",
    )
    t = timeline_json(analysis)
    timeline = Table(
        "timeline",
        "Evidence over time",
        ["year", "included studies", "codes"],
        [[y["year"], y["studies"], y["codes"]] for y in t["years"]],
        t["note"],
    )
    head += [cooccurrence, timeline]
    return [*head, *_agreement(analysis), *_appraisal(analysis)]


def _categories(analysis: Analysis) -> list[Table]:
    """Support per category (with the settings beside it) and the settings per factor."""
    ds = analysis.dataset
    studies = Counter(c for row in analysis.category_matrix.values() for c in row)
    codes: Counter[str] = Counter()
    for row in analysis.category_matrix.values():
        codes.update(row)
    s = settings_json(analysis)
    settings = {c["category"]: c["studies"] for c in s["categories"]}
    categories = Table(
        "categories",
        "Evidence per category",
        ["category", "studies", "codes", "settings"],
        [
            [ds.category_label(c), studies[c], codes[c], settings.get(c, 0)]
            for c in ds.categories
            if studies[c] or settings.get(c)
        ],
        "studies and codes: support (codes whose direction is not context); settings: studies "
        "whose setting is one of the category's factors, counted apart (a study may support "
        "one factor of a category and be set in another, and then counts in both). The study "
        "x factor and study x "
        "category matrices (support) are in tables/matrix-factor.csv and "
        "tables/matrix-category.csv.",
    )
    unsupported = len(s["unsupported"])
    per_factor = Table(
        "settings",
        "Settings studied (not counted as support)",
        ["category", "factor", "studies", "study ids"],
        [
            [
                ds.category_label(f["category"] or ""),
                f["label"],
                f["studies"],
                " ".join(f["study_ids"]),
            ]
            for f in s["factors"]
        ],
        f"{s['note']} {s['studies']} included studies name a setting"
        + (
            f"; {unsupported} of them are coded for their setting only (rows of zeros in the "
            "matrices)."
            if unsupported
            else "."
        ),
    )
    return [categories, per_factor]


def _agreement(analysis: Analysis) -> list[Table]:
    k = kappa_json(analysis)
    pairs = Table(
        "kappa",
        "Agreement between coders (Cohen's kappa)",
        [
            "first coder",
            "second coder",
            "shared studies",
            "items",
            "observed agreement",
            "kappa",
            "band",
        ],
        [
            [
                p["first"],
                p["second"],
                len(p["studies"]),
                p["items"],
                p["observed_agreement"],
                p["kappa"],
                p["band"],
            ]
            for p in k["pairs"]
        ],
        k["message"] or "",
    )
    fleiss = []
    if k["fleiss"]:
        fleiss.append(
            Table(
                "fleiss",
                "Agreement of all coders (Fleiss' kappa)",
                ["coders", "studies every coder coded", "kappa", "band"],
                [
                    [
                        len(k["coders"]),
                        len(k["fleiss"]["studies"]),
                        k["fleiss"]["kappa"],
                        k["fleiss"]["band"],
                    ]
                ],
            )
        )
    per_factor = Table(
        "kappa-factors",
        "Agreement per factor",
        [
            "first coder",
            "second coder",
            "factor",
            "both",
            "first only",
            "second only",
            "neither",
            "kappa",
            "band",
        ],
        [
            [
                p["first"],
                p["second"],
                f["factor"],
                f["both"],
                f["first_only"],
                f["second_only"],
                f["neither"],
                f["kappa"],
                f["band"],
            ]
            for p in k["pairs"]
            for f in p["factors"]
        ],
    )
    return [pairs, *fleiss, *([per_factor] if per_factor.rows else [])]


def _appraisal(analysis: Analysis) -> list[Table]:
    a = appraisal_json(analysis)
    cut = a["cutoff"]
    scale = "sum of scores" if a["scale"] == "score" else "number of yes answers (of 10)"
    note = a["message"] or (
        f"Total = {scale}; a study's total is the mean over its appraisers; cut-off: "
        f"{cut if cut is not None else 'none set (--cutoff)'}."
    )
    if a["note"]:
        note += f" {a['note']}"
    if a["unappraised"]:
        note += f" {len(a['unappraised'])} included studies have no appraisal."
    counts = {s["study"]: 0 for s in a["studies"]}
    for r in a["appraisals"]:
        counts[r["study"]] += 1
    studies = Table(
        "appraisal",
        "Quality appraisal per study (CASP qualitative checklist)",
        ["study", "appraisers", "total (mean)", "passes"],
        [
            [
                s["study"],
                counts[s["study"]],
                s["total"],
                "" if s["passes"] is None else ("yes" if s["passes"] else "no"),
            ]
            for s in a["studies"]
        ],
        note,
    )
    answers = Table(
        "appraisal-answers",
        "Quality appraisal per study and appraiser",
        ["study", "appraiser", "answered", "yes", "can't tell", "no", "total"],
        [
            [
                r["study"],
                r["appraiser"],
                r["yes"] + r["cant_tell"] + r["no"],
                r["yes"],
                r["cant_tell"],
                r["no"],
                r["total"],
            ]
            for r in a["appraisals"]
        ],
    )
    criteria = Table(
        "appraisal-criteria",
        "Quality appraisal per criterion",
        ["criterion", "question", "yes", "can't tell", "no"],
        [[c["criterion"], c["question"], c["yes"], c["cant_tell"], c["no"]] for c in a["criteria"]],
    )
    return [studies, answers, criteria] if a["appraisals"] else [studies]


# --- rendering ---------------------------------------------------------------------------------

# the report's body is kg/analysis/templates/body.html: report.html puts it in a file of its
# own, the server's /analysis page in its site layout
TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _templates() -> jinja2.Environment:
    """The report's templates, every value escaped."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Cell:
    """A cell of a table as the page shows it: numbers right-aligned."""

    text: str
    number: bool


@dataclass(frozen=True)
class Figure:
    """A picture of the report, inline, with its caption and the links to its files."""

    name: str
    svg: Markup
    caption: str
    png_href: str
    svg_href: str


@dataclass(frozen=True)
class Section:
    """A table of the report and the pictures that follow it."""

    table: Table
    rows: list[list[Cell]]
    figures: list[Figure]


def _inline_svg(svg: bytes) -> Markup:
    """A picture as inline SVG, without its XML declaration and DOCTYPE.

    Markup (not escaped) because it is our own matplotlib output, never text from a user or
    the graph: matplotlib escapes the labels it writes into it.
    """
    text = svg.decode("utf-8")
    return Markup(text[text.index("<svg") :])


def _md_cell(value: object) -> str:
    return _fmt(value).replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> str:
    lines = [f"## {table.title}", ""]
    if table.note:
        lines += [table.note, ""]
    if table.rows:
        lines.append("| " + " | ".join(table.headers) + " |")
        lines.append("|" + "|".join("---" for _ in table.headers) + "|")
        lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in table.rows]
        lines.append("")
    return "\n".join(lines)


def _header(analysis: Analysis, generated: str) -> list[str]:
    ds = analysis.dataset
    coded = {c.factor for c in ds.codes}
    support = len(ds.support)
    return [
        f"Build {ds.build or 'unknown'} of {ds.built_at or 'an unknown date'}; "
        f"report generated {generated}.",
        f"{analysis.flow.identified} references, {analysis.flow.included} included studies, "
        f"{len(ds.codes)} codes ({support} of support, {len(ds.codes) - support} naming a "
        f"study's setting) of {len(coded)} factors in "
        f"{len({c.category for c in ds.codes})} categories, {len(analysis.agreement.coders)} "
        "coder(s). Every count of support leaves the settings out; agreement between coders "
        "counts every code.",
    ]


def placement(names: Sequence[str]) -> dict[str, list[figures.Picture]]:
    """The pictures after each table of `names`, in reading order (a picture, then those that
    follow it); under "" the pictures whose place this report lacks, for its end."""
    every = figures.pictures()

    def chain(anchor: str) -> list[figures.Picture]:
        found: list[figures.Picture] = []
        for entry in every:
            if entry.after == anchor:
                found += [entry, *chain(f"figure-{entry.name}")]
        return found

    # a picture follows one thing only, so a chain from a table never comes back to itself
    placed = {name: chain(name) for name in names}
    seen = {entry.name for entries in placed.values() for entry in entries}
    placed[""] = [entry for entry in every if entry.name not in seen]
    return placed


def _local_figure(name: str, fmt: str) -> str:
    return f"figures/{name}.{fmt}"


def report_context(
    analysis: Analysis,
    svgs: dict[str, bytes],
    generated: str,
    figure_href: Callable[[str, str], str] = _local_figure,
    made: Sequence[Table] | None = None,
) -> dict[str, Any]:
    """What the report's body shows (kg/analysis/templates/body.html): its header lines, each
    table with the pictures placed after it, and the pictures whose place it lacks.

    `figure_href(name, format)` is where the PNG and SVG links of a picture point (the report
    folder's figures/ by default, the API's /analysis/{name}.{format} on the server).
    """
    made = tables(analysis) if made is None else made
    placed = placement([table.name for table in made])

    def figure(entry: figures.Picture) -> Figure:
        name = entry.name
        return Figure(
            name,
            _inline_svg(svgs[name]),
            entry.caption,
            figure_href(name, "png"),
            figure_href(name, "svg"),
        )

    sections = [
        Section(
            table,
            [[Cell(_fmt(v), isinstance(v, int | float)) for v in row] for row in table.rows],
            [figure(entry) for entry in placed[table.name]],
        )
        for table in made
    ]
    return {
        "header": _header(analysis, generated),
        "sections": sections,
        "unplaced": [figure(entry) for entry in placed[""]],
    }


def render_body(
    analysis: Analysis,
    svgs: dict[str, bytes],
    generated: str,
    figure_href: Callable[[str, str], str] = _local_figure,
) -> Markup:
    """The report's body as HTML, for a page that has its own layout (the server's /analysis).

    Markup: it is the output of an autoescaping template, so every text in it is escaped.
    """
    context = report_context(analysis, svgs, generated, figure_href)
    return Markup(_templates().get_template("body.html").render(context))


def render_html(
    analysis: Analysis,
    svgs: dict[str, bytes],
    generated: str,
    figure_href: Callable[[str, str], str] = _local_figure,
    made: Sequence[Table] | None = None,
) -> str:
    """One self-contained HTML page: tables and the pictures inlined as SVG, the style inline."""
    context = report_context(analysis, svgs, generated, figure_href, made)
    return _templates().get_template("report.html").render(context)


def render_md(analysis: Analysis, generated: str, made: Sequence[Table] | None = None) -> str:
    """The report as Markdown; pictures are linked from figures/ (`made`: tables already made)."""
    lines = ["# rsme-kg: analysis of the meta-synthesis", ""]
    lines += [*_header(analysis, generated), ""]
    made = tables(analysis) if made is None else made
    placed = placement([table.name for table in made])

    def figure(entry: figures.Picture) -> list[str]:
        return [f"![{entry.caption}](figures/{entry.name}.png)", "", f"*{entry.caption}*", ""]

    for table in made:
        lines.append(_md_table(table))
        for entry in placed[table.name]:
            lines += figure(entry)
    for entry in placed[""]:
        lines += figure(entry)
    return "\n".join(lines)


def _is_report_entry(path: Path) -> bool:
    """Whether a path inside a report folder is one that `write_report` writes."""
    if path.name in MARKERS:
        return path.is_file()
    if path.name == "figures" and path.is_dir():
        names = {f"{n}.{x}" for n in figures.names() for x in ("svg", "png")}
        return all(p.is_file() and p.name in names for p in path.iterdir())
    if path.name == "tables" and path.is_dir():
        return all(p.is_file() and p.suffix == ".csv" for p in path.iterdir())
    return False


def _check_target(out: Path) -> None:
    """Refuse any --out that replacing would lose something: only an earlier report may go."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: a file is in the way; give a folder for the report")
    here = Path.cwd().resolve()
    if out == here or out in here.parents:
        raise UsageError(
            f"--out {out}: the report folder is replaced as a whole, so it cannot be the "
            "current folder or one that holds it; give a folder of its own (e.g. --out report)"
        )
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if not _is_report_entry(p))
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise UsageError(
                f"--out {out}: the folder holds files that are not part of an rsme-kg report "
                f"({shown}); give an empty or new folder (nothing was written)"
            )


def write_report(
    analysis: Analysis, out: Path, fmt: str = "html", lang: str = "en", now: datetime | None = None
) -> Path:
    """Write the report folder; returns the path of report.html or report.md."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = out.resolve()
    _check_target(out)
    generated = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as error:
        raise UsageError(f"--out {out}: cannot write there ({error.strerror})") from error
    try:
        _fill(work, analysis, fmt, lang, generated)
        # mkdtemp makes the folder private (0700); a report is for sharing: honour the umask
        mask = os.umask(0)
        os.umask(mask)
        work.chmod(0o777 & ~mask)
        _swap(work, out)
    except OSError as error:
        shutil.rmtree(work, ignore_errors=True)
        raise UsageError(f"--out {out}: cannot write the report ({error})") from error
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out / f"report.{fmt}"


def _fill(work: Path, analysis: Analysis, fmt: str, lang: str, generated: str) -> None:
    """Write every file of the report into the (temporary) folder `work`."""
    figures.write_all(analysis, work / "figures", lang)
    svgs = {n: (work / "figures" / f"{n}.svg").read_bytes() for n in figures.names()}
    (work / "tables").mkdir()
    made = tables(analysis)  # once: the CSV files and the page show the same tables
    for table in made:
        (work / "tables" / f"{table.name}.csv").write_text(table.csv(), encoding="utf-8")
    order = analysis.factor_order()
    for by, matrix in (("factor", analysis.factor_matrix), ("category", analysis.category_matrix)):
        columns = order if by == "factor" else analysis.dataset.categories
        (work / "tables" / f"matrix-{by}.csv").write_text(to_csv(matrix, columns), "utf-8")
    per_category = Table(
        "timeline-categories",
        "Evidence over time per category",
        ["year", "category", "studies", "codes"],
        [
            [y["year"], c["category"], c["studies"], c["codes"]]
            for y in timeline_json(analysis)["years"]
            for c in y["categories"]
        ],
    )
    (work / "tables" / "timeline-categories.csv").write_text(per_category.csv(), "utf-8")
    (work / "analysis.json").write_text(
        json.dumps(everything(analysis), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    page = (
        render_html(analysis, svgs, generated, made=made)
        if fmt == "html"
        else render_md(analysis, generated, made)
    )
    (work / f"report.{fmt}").write_text(page, encoding="utf-8")


def _swap(work: Path, out: Path) -> None:
    """Put the new report in place of the old one (rename, then remove the old)."""
    if not out.exists():
        work.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{re.sub(r'[^0-9]', '', str(datetime.now(UTC)))}")
    out.rename(old)
    work.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def everything(analysis: Analysis, sections: Sequence[str] | None = None) -> dict[str, object]:
    """Every result as one JSON document (the report's analysis.json)."""
    parts: dict[str, object] = {
        "build": analysis.dataset.build,
        "built_at": analysis.dataset.built_at,
        "flow": flow_json(analysis),
        "weights": weights_json(analysis),
        "matrix": {
            "factor": matrix_json(analysis, "factor"),
            "category": matrix_json(analysis, "category"),
        },
        "settings": settings_json(analysis),
        "cooccurrence": cooccurrence_json(analysis),
        "timeline": timeline_json(analysis),
        "kappa": kappa_json(analysis),
        "appraisal": appraisal_json(analysis),
    }
    return {k: v for k, v in parts.items() if sections is None or k in sections}
