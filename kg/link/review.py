"""`rsme-kg link review`: the rows a person decided in a candidate file, into the curated file.

How a decision is recorded follows SSSOM Curator (formerly Biomappings): the mapping becomes a
manual curation (`semapv:ManualMappingCuration`) whose author is the curator, dated the day of
the review, with the predicate they chose; the lexical evidence stays in the row (match fields
and match string, and the comment naming the tool, the similarity and the vocabulary file).
A rejected candidate is kept too, as a negative mapping (`predicate_modifier: Not`), as SSSOM
Curator keeps its negative mappings: the build asserts no triple for it, and a later `link`
run does not propose the pair again.

Nothing is written while any row is wrong (an unknown decision or predicate, a subject not in
the taxonomy, an object not in the vocabulary file the candidates came from) or any conflict
remains (a second exactMatch for a subject, a subject and object already mapped with another
predicate, a mapping accepted once and rejected once). Reviewing the same file twice changes
nothing: a mapping already curated with the same predicate is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kg import paths
from kg.errors import InputError, InputErrors, Location
from kg.link.candidate_file import (
    CHOSEN_PREDICATE,
    DECISION,
    Prefixer,
    provenance,
    require_review_columns,
)
from kg.link.candidates import load_subjects
from kg.link.curator import Curator
from kg.link.vocabulary import Vocabulary, file_sha256, read_vocabulary
from kg.sssom import Mapping, MappingSet, read_sssom, with_mappings, write_sssom

SKOS = "http://www.w3.org/2004/02/skos/core#"
PREDICATES = {name: f"{name}Match" for name in ("exact", "close", "broad", "narrow", "related")}
PREDICATES_EXPECTED = (
    "exact, close, broad, narrow or related (or skos:exactMatch ...); empty keeps predicate_id"
)
DECISIONS = ("accept", "reject")
MANUAL = "semapv:ManualMappingCuration"
NOT = "Not"
DEFAULT_CONFIDENCE = 0.9  # the curated set's convention for one curator's manual decision


@dataclass
class ReviewReport:
    """What a review did: rows added to the curated file, rows already there, rows left open."""

    mappings_file: Path
    accepted: list[Mapping] = field(default_factory=list)
    rejected: list[Mapping] = field(default_factory=list)
    unchanged: list[Mapping] = field(default_factory=list)
    undecided: int = 0

    @property
    def written(self) -> bool:
        """Whether the curated file changed."""
        return bool(self.accepted or self.rejected)


@dataclass(frozen=True)
class _Decision:
    """One decided row of the candidate file, its IRIs resolved."""

    row: Mapping
    accept: bool
    subject: str
    predicate: str  # full IRI
    object: str


@dataclass(frozen=True)
class _Known:
    """A mapping already decided, in the curated file or earlier in this review."""

    where: str
    subject: str
    predicate: str
    negated: bool
    object: str


def _column(mapping_set: MappingSet, name: str) -> int | None:
    return mapping_set.columns.index(name) + 1 if name in mapping_set.columns else None


def _where(path: Path, mapping_set: MappingSet, row: Mapping, name: str) -> Location:
    return Location(path, row.line, _column(mapping_set, name), name)


def _predicate(value: str, proposed: str, candidates: MappingSet) -> str | None:
    """The full IRI of the chosen predicate, or None when the value names none."""
    text = value.strip()
    if not text:
        return candidates.expand(proposed)
    short = PREDICATES.get(text.lower())
    if short:
        return SKOS + short
    try:
        iri = candidates.expand(text) if not text.startswith(("http://", "https://")) else text
    except ValueError:
        return None
    return iri if iri.startswith(SKOS) and iri[len(SKOS) :] in PREDICATES.values() else None


def _decisions(
    path: Path, candidates: MappingSet, subjects: set[str], errors: list[InputError]
) -> tuple[list[_Decision], int]:
    decided: list[_Decision] = []
    undecided = 0
    for row in candidates.mappings:
        decision = row.extra.get(DECISION, "").strip().lower()
        if not decision:
            undecided += 1
            continue
        if decision not in DECISIONS:
            errors.append(
                InputError(
                    _where(path, candidates, row, DECISION),
                    f"{row.extra.get(DECISION, '').strip()!r} is not a decision",
                    "accept, reject or an empty cell (not decided yet)",
                )
            )
            continue
        chosen = row.extra.get(CHOSEN_PREDICATE, "")
        predicate = _predicate(chosen, row.predicate_id, candidates)
        if predicate is None:
            errors.append(
                InputError(
                    _where(path, candidates, row, CHOSEN_PREDICATE),
                    f"{chosen.strip()!r} is not a mapping predicate",
                    PREDICATES_EXPECTED,
                )
            )
            continue
        subject = candidates.expand(row.subject_id)
        if subject not in subjects:
            errors.append(
                InputError(
                    _where(path, candidates, row, "subject_id"),
                    f"{row.subject_id} is not a factor, category or outcome of the taxonomy",
                    "the id of a concept of ontology/factors.ttl",
                )
            )
            continue
        decided.append(
            _Decision(
                row, decision == "accept", subject, predicate, candidates.expand(row.object_id)
            )
        )
    return decided, undecided


def _check_objects(
    path: Path, candidates: MappingSet, decided: Iterable[_Decision], vocabulary: Vocabulary
) -> list[InputError]:
    return [
        InputError(
            _where(path, candidates, d.row, "object_id"),
            f"{d.row.object_id} (<{d.object}>) is not a concept of {vocabulary.path}",
            "a concept of the vocabulary file the candidates came from",
        )
        for d in decided
        if d.object not in vocabulary.concepts
    ]


def vocabulary_for(path: Path, candidates: MappingSet, given: Path | None) -> Vocabulary:
    """The vocabulary the candidates came from: `given` or the recorded file, whose SHA-256
    must be the one recorded in the candidate file."""
    recorded = provenance(candidates, path)
    vocab_path = given or recorded.file
    if vocab_path is None:
        raise InputError(
            Location(path, None, None, "other"),
            "the candidate file does not name the vocabulary it came from",
            "--vocabulary FILE: the vocabulary file the candidates were made from",
        )
    if not vocab_path.is_file():
        raise InputError(
            Location(vocab_path),
            f"the vocabulary file is not there (named by {path})",
            "--vocabulary FILE: the vocabulary file the candidates were made from",
        )
    if recorded.sha256:
        actual = file_sha256(vocab_path)
        if actual != recorded.sha256:
            raise InputError(
                Location(vocab_path),
                f"its SHA-256 is {actual}, but {path} was made from a file whose SHA-256 is "
                f"{recorded.sha256}",
                "the vocabulary file the candidates were made from (same bytes)",
            )
    return read_vocabulary(vocab_path, langs=())


def _known(curated: MappingSet, path: Path) -> list[_Known]:
    return [
        _Known(
            f"{path}, line {m.line}",
            curated.expand(m.subject_id),
            curated.expand(m.predicate_id),
            m.predicate_modifier == NOT,
            curated.expand(m.object_id),
        )
        for m in curated.mappings
    ]


def _conflict(d: _Decision, known: Iterable[_Known], names: MappingSet) -> tuple[str, bool]:
    """What `d` conflicts with ('' if nothing), and whether the same mapping is already there."""
    for k in known:
        if (k.subject, k.object) != (d.subject, d.object):
            continue
        if k.predicate == d.predicate:
            if k.negated != d.accept:
                return "", True
            was = "rejected" if k.negated else "accepted"
            return f"the same mapping was {was} before ({k.where})", False
        if d.accept and not k.negated:
            return (
                f"{_name(d.subject, names)} and {_name(d.object, names)} are already mapped with "
                f"{_name(k.predicate, names)} ({k.where})",
                False,
            )
    if d.accept and d.predicate == SKOS + "exactMatch":
        others = (
            k
            for k in known
            if (k.subject, k.predicate) == (d.subject, d.predicate)
            and k.object != d.object
            and not k.negated
        )
        for k in others:
            return (
                f"a second exactMatch for {_name(d.subject, names)}: it already has one to "
                f"{_name(k.object, names)} ({k.where})",
                False,
            )
    return "", False


def _name(iri: str, names: MappingSet) -> str:
    """A CURIE of the candidate file for an IRI, else the IRI in angle brackets."""
    try:
        return names.compress(iri)
    except ValueError:
        return f"<{iri}>"


def _curated_row(
    d: _Decision,
    candidates: MappingSet,
    prefixer: Prefixer,
    curator: Curator,
    on: date,
    confidence: float,
    evidence: str,
) -> Mapping:
    row = d.row
    source = candidates.expand(row.object_source) if row.object_source else None
    proposed = (
        f"proposed by {row.mapping_tool or 'rsme-kg link'} ({row.mapping_justification}, "
        f"similarity {row.similarity_score}) from {evidence}"
    )
    return Mapping(
        subject_id=prefixer.curie(d.subject),
        subject_label=row.subject_label,
        predicate_id=prefixer.curie(d.predicate),
        predicate_modifier=None if d.accept else NOT,
        object_id=prefixer.curie(d.object),
        object_label=row.object_label,
        mapping_justification=MANUAL,
        author_id=(prefixer.curie(curator.iri),),
        author_label=(curator.label,) if curator.label else (),
        mapping_date=on,
        confidence=confidence,
        object_source=prefixer.curie(source) if source else None,
        subject_match_field=row.subject_match_field,
        object_match_field=row.object_match_field,
        match_string=row.match_string,
        comment=f"{'accepted' if d.accept else 'rejected'} in review; {proposed}"
        + (f": {row.comment}" if row.comment else ""),
    )


def _order(m: Mapping) -> tuple[str, str, str, str]:
    return (m.subject_id, m.object_id, m.predicate_id, m.predicate_modifier or "")


def review(
    candidates_path: Path,
    curator: Curator,
    *,
    mappings_path: Path = paths.MAPPINGS_FILE,
    vocabulary_path: Path | None = None,
    taxonomy_path: Path = paths.TAXONOMY_FILE,
    on: date | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ReviewReport:
    """Take the decided rows of a candidate file into the curated mapping file (atomically).

    Raises InputErrors, and writes nothing, when a row is wrong or a conflict remains.
    """
    candidates = read_sssom(candidates_path)
    require_review_columns(candidates, candidates_path)
    subjects = {s.iri for s in load_subjects(taxonomy_path, langs=())}
    errors: list[InputError] = []
    decided, undecided = _decisions(candidates_path, candidates, subjects, errors)
    report = ReviewReport(mappings_path, undecided=undecided)
    if not decided and not errors:
        return report
    vocabulary = vocabulary_for(candidates_path, candidates, vocabulary_path)
    errors += _check_objects(candidates_path, candidates, decided, vocabulary)
    curated = read_sssom(mappings_path)
    known = _known(curated, mappings_path)
    prefixer = Prefixer(curated.metadata.get("curie_map") or {})
    evidence = f"{vocabulary.path.name} (SHA-256 {vocabulary.sha256})"
    today = on or date.today()
    for d in decided:
        problem, same = _conflict(d, known, candidates)
        if problem:
            errors.append(InputError(_where(candidates_path, candidates, d.row, DECISION), problem))
            continue
        if same:
            report.unchanged.append(d.row)
            continue
        known.append(
            _Known(
                f"{candidates_path}, line {d.row.line}",
                d.subject,
                d.predicate,
                not d.accept,
                d.object,
            )
        )
        row = _curated_row(d, candidates, prefixer, curator, today, confidence, evidence)
        (report.accepted if d.accept else report.rejected).append(row)
    if errors:
        raise InputErrors(
            sorted(errors, key=lambda e: (e.location.line or 0, e.location.column or 0))
        )
    if report.written:
        _write(curated, mappings_path, [*report.accepted, *report.rejected], prefixer)
    return report


def _write(curated: MappingSet, path: Path, rows: list[Mapping], prefixer: Prefixer) -> None:
    existing = curated.mappings
    merged = [*existing, *rows]
    if existing == sorted(existing, key=_order):  # keep a sorted file sorted
        merged.sort(key=_order)
    result = with_mappings(curated, merged)
    if "predicate_modifier" not in result.columns and any(m.predicate_modifier for m in rows):
        # a negation belongs beside the predicate it negates, not at the end of the row
        result.columns.insert(result.columns.index("predicate_id") + 1, "predicate_modifier")
    result.metadata["curie_map"] = {
        **(curated.metadata.get("curie_map") or {}),
        **prefixer.curie_map(),
    }
    write_sssom(result, path)
