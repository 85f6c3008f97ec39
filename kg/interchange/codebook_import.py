"""Check a QDA program's codebook against the factor taxonomy (`import codebook`).

A codebook is a REFI-QDA `.qdc` (as Taguette, QualCoder, MAXQDA export it) or a CSV table
with a `tag` column (or `name`, or `path`) and an optional `description` and `parent`, the
columns Taguette's codebook import reads (taguette/import_codebook.py). Each code is matched
as `import qdpx` matches the codes of a project (kg/interchange/resolve.py: mapping file,
ledger, our codebook GUIDs, names); the import reports what each code stands for, refuses
codable codes that match no factor and, with --allow-new, proposes them for review in
factor-proposals.csv. It never changes the ontology, and writes nothing else.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

from kg.errors import InputError, InputErrors, Location
from kg.interchange.lenient import Deviation
from kg.interchange.qdpx import PROPOSALS, Target, propose, unused_mapping
from kg.interchange.refi import QdaCode, QdaProject, read_codebook_file
from kg.interchange.resolve import CodeResolver, Resolved
from kg.interchange.sheets import Wanted, read_sheet
from kg.interchange.taxonomy import Taxonomy
from kg.interchange.writer import ImportRefused, Report, apply

# taguette/export.py: a tag's GUID in Taguette's .qdc is uuid5(this namespace, tag path)
TAGUETTE_NAMESPACE = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")
CSV_COLUMNS = [
    Wanted("tag", aliases=("name", "path"), expected="the name of the code"),
    Wanted("description", required=False),
    Wanted("parent", required=False, expected="the name of the parent code, or nothing"),
]


def tag_guid(tag: str) -> str:
    """The GUID Taguette's codebook export gives a tag, so a .qdc and a CSV agree.

    >>> tag_guid("Business networking")
    'A4D210FA-9A3A-5686-AE5A-9BB7DFA8206A'
    """
    return str(uuid.uuid5(TAGUETTE_NAMESPACE, tag)).upper()


def read_csv_codebook(path: Path) -> QdaProject:
    """A CSV codebook as a project of codes; its tags' GUIDs are Taguette's."""
    sheet = read_sheet(path, CSV_COLUMNS, "a codebook table (tag,description)")
    project = QdaProject(name=path.name, where=str(path))
    errors: list[InputError] = []
    parents: dict[str, tuple[str, Location]] = {}
    for row in sheet.rows:
        tag = row.values["tag"].strip()
        if not tag:
            errors.append(InputError(row.location("tag"), "the tag is empty", "a tag name"))
            continue
        guid = tag_guid(tag)
        if guid in project.codes:
            first = project.codes[guid].line
            errors.append(
                InputError(
                    row.location("tag"),
                    f"the tag {tag!r} is also the tag of line {first}",
                    "each tag once",
                )
            )
            continue
        project.codes[guid] = QdaCode(
            guid=guid,
            name=tag,
            codable=True,
            description=row.values.get("description", "").strip(),
            parent=None,
            line=row.line,
            noun="tag",
            field=row.location("tag").field or "tag",
            column=row.columns["tag"],
            show_guid=False,
        )
        if parent := row.values.get("parent", "").strip():
            parents[guid] = (parent, row.location("parent"))
    if errors:
        raise InputErrors(errors)
    for guid, (parent, where) in parents.items():
        code = project.codes[guid]
        if tag_guid(parent) in project.codes:
            project.codes[guid] = replace(code, parent=tag_guid(parent))
        else:
            project.warnings.append(Deviation(where, f"parent {parent!r} is no tag of this file"))
    if sheet.ignored:
        project.notes.append(f"columns not read: {', '.join(sheet.ignored)}")
    return project


def read_any_codebook(path: Path) -> QdaProject:
    """A codebook file by its extension: .qdc (REFI-QDA) or .csv."""
    suffix = path.suffix.lower()
    if suffix in (".qdc", ".csv"):
        project = read_codebook_file(path) if suffix == ".qdc" else read_csv_codebook(path)
        project.label = f"codebook {path.name!r}"
        return project
    raise InputError(
        Location(path),
        f"a codebook is read from a .qdc or a .csv file, not {suffix or 'a name without one'}",
        "a REFI-QDA codebook (.qdc) or a CSV table with a tag column (.csv)",
    )


def import_codebook(
    path: Path,
    data_dir: Path,
    *,
    mapping_file: Path | None = None,
    allow_new: bool = False,
    dry_run: bool = False,
    taxonomy: Taxonomy | None = None,
) -> Report:
    """Match a codebook's codes to the factors; propose the others (--allow-new)."""
    target = Target.open(data_dir, mapping_file, taxonomy)
    project = read_any_codebook(path)
    report = Report(dry_run=dry_run)
    report.warnings.extend(str(w) for w in project.warnings)
    try:
        _check(project, target, report, allow_new)
        apply(target.changes, target.taxonomy.vocabulary, report)
    except InputErrors as exc:
        raise ImportRefused(exc.errors, report) from None
    return report


def _check(project: QdaProject, target: Target, report: Report, allow_new: bool) -> None:
    """Report each code's match; collect the refusals or the proposals."""
    resolver = CodeResolver(project, target.index, target.mapping, target.ledger)
    codes = list(project.codes.values())
    codable = [c for c in codes if c.codable]
    origin = f" (origin {project.name!r})" if project.name != Path(project.where).name else ""
    report.lines.append(f"{project.label}{origin}: {len(codes)} code(s), {len(codable)} codable")
    errors: list[InputError] = []
    unmatched: list[QdaCode] = []
    rules: Counter[str] = Counter()
    skipped = 0
    for code in codes:
        try:
            resolved = resolver.resolve(code)
        except InputError as exc:
            errors.append(exc)
            continue
        report.lines.append(f"{code.named} -> {_said(code, resolved, target)}")
        if resolved is not None and resolved.id is None:
            skipped += 1
        elif resolved is not None:
            rules[resolved.rule] += 1
        elif code.codable:
            unmatched.append(code)
    said = [f"{n} by {rule}" for rule, n in sorted(rules.items())]
    report.lines.append(
        f"codes: {sum(rules.values())} of {len(codable)} codable code(s) stand for a factor"
        + (f" ({', '.join(said)})" if said else "")
        + (f", {skipped} skipped by the mapping" if skipped else "")
        + f", {len(unmatched)} for none"
    )
    report.notes.extend(project.notes)
    report.notes.extend(unused_mapping(target.mapping, project, kinds=("code",)))
    if unmatched and not allow_new:
        errors.extend(resolver.unmapped_error(code, None) for code in unmatched)
    elif unmatched:
        propose(target.changes, project, resolver, unmatched, None, {})
        report.notes.append(
            f"{len(unmatched)} code(s) match no factor: proposed for review in "
            f"{target.changes.data_dir / PROPOSALS} (add each to ontology/factors.ttl, or map "
            "it with a line `code,<name>,<factor id>` in --factor-map)"
        )
    if errors:
        raise InputErrors(errors)


def _said(code: QdaCode, resolved: Resolved | None, target: Target) -> str:
    """What a code stands for, as the report says it."""
    if resolved is not None:
        if resolved.id is None:
            return "not imported (skipped by the mapping)"
        return f"factor {resolved.id} ({resolved.rule})"
    found = target.index.match(code.guid, code.name)
    if found:
        return f"category {found[0].id}" + (", not a factor" if code.codable else "")
    if not code.codable:
        return "nothing (a parent code: it only groups codes)"
    nearest = target.index.suggest(code.name)
    return "no factor" + (f" (nearest: {', '.join(nearest)})" if nearest else "")
