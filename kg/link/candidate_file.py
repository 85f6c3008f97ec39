"""The candidate file `rsme-kg link` writes and `rsme-kg link review` reads: SSSOM/TSV plus
two review columns.

The file is a valid SSSOM mapping set (sssom-py reads and validates it). What SSSOM has no slot
for is carried the way the specification allows:

- the review columns `decision` (accept, reject or blank) and `chosen_predicate` (exact,
  close, broad, narrow, related or a skos:*Match CURIE; blank keeps predicate_id), and the
  rank `candidate_rank` of a candidate among its subject's, are extension slots declared in
  `extension_definitions` (sssom-py keeps the file valid and ignores their values);
- the vocabulary file the candidates came from, its SHA-256 and the matching options are kept
  in the set's `other` slot (SSSOM's place for key=value provenance), so that the review can
  check the vocabulary it is given against the one that was matched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from kg import __version__
from kg.errors import InputError, InputErrors, Location
from kg.link.candidates import SIMILARITY_MEASURE, Candidate
from kg.link.curator import ORCID
from kg.link.vocabulary import Vocabulary
from kg.namespaces import PREFIXES, RSME
from kg.sssom import BUILTIN_PREFIXES, Mapping, MappingSet, read_sssom

DECISION = "decision"
CHOSEN_PREDICATE = "chosen_predicate"
RANK = "candidate_rank"
REVIEW_COLUMNS = (DECISION, CHOSEN_PREDICATE)
COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    DECISION,
    CHOSEN_PREDICATE,
    RANK,
    "confidence",
    "mapping_justification",
    "subject_match_field",
    "object_match_field",
    "match_string",
    "similarity_score",
    "similarity_measure",
    "mapping_tool",
    "subject_source",
    "object_source",
    "comment",
]
EXTENSIONS = [
    {"slot_name": DECISION, "property": str(RSME.reviewDecision), "type_hint": "xsd:string"},
    {
        "slot_name": CHOSEN_PREDICATE,
        "property": str(RSME.reviewPredicate),
        "type_hint": "xsd:string",
    },
    {"slot_name": RANK, "property": str(RSME.candidateRank), "type_hint": "xsd:integer"},
]
TOOL = f"rsme-kg link {__version__}"
LEXICAL = "semapv:LexicalMatching"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
CANDIDATE_SET = "https://w3id.org/rsme-kg/mappings/candidates/"
VOCABULARY_FILE = "vocabulary_file"
VOCABULARY_SHA256 = "vocabulary_sha256"


class Prefixer:
    """CURIEs for IRIs: a known prefix when there is one, else one named after the namespace.

    >>> p = Prefixer()
    >>> p.curie("https://w3id.org/rsme-kg/id/factor/trust"), p.curie("https://example.org/vocab/c1")
    ('factor:trust', 'vocab:c1')
    >>> p.curie("https://example.com/vocab#x"), sorted(p.used)
    ('vocab2:x', ['factor', 'vocab', 'vocab2'])
    """

    def __init__(self, known: dict[str, str] | None = None) -> None:
        # the set's own prefixes win, then the project's; built-ins can never change meaning
        self.known = {**PREFIXES, "orcid": ORCID, **(known or {}), **BUILTIN_PREFIXES}
        self.used: dict[str, str] = {}

    def curie(self, iri: str) -> str:
        """The CURIE of an IRI; the prefix it uses is recorded in `used`."""
        namespaces = sorted(self.known.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        for prefix, namespace in namespaces:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and "/" not in local and "#" not in local:
                self.used[prefix] = namespace
                return f"{prefix}:{local}"
        match = re.match(r"^(.+[/#])([^/#]+)$", iri)
        if match is None:
            raise ValueError(f"cannot make a CURIE of <{iri}>: it has no local name")
        namespace, local = match.groups()
        prefix = self._new_prefix(namespace)
        self.known[prefix] = namespace
        self.used[prefix] = namespace
        return f"{prefix}:{local}"

    def _new_prefix(self, namespace: str) -> str:
        words = [w for w in re.split(r"[/#]", namespace.split("://", 1)[-1]) if w]
        stem = re.sub(r"[^a-z0-9_]+", "_", (words[-1] if len(words) > 1 else "ns").lower())
        stem = stem.strip("_") or "ns"
        if not stem[0].isalpha():
            stem = "ns_" + stem
        prefix, n = stem, 1
        while prefix in self.known:
            n += 1
            prefix = f"{stem}{n}"
        return prefix

    def curie_map(self) -> dict[str, str]:
        """The prefixes used, without the built-in ones (a set never declares those)."""
        return {p: ns for p, ns in sorted(self.used.items()) if p not in BUILTIN_PREFIXES}


def _comment(c: Candidate) -> str:
    how = "equal once normalised" if c.lexical else f"token similarity {c.similarity:.3f}"
    return (
        f"candidate {c.rank} of {c.of} for {c.subject.id}: {c.subject_field} "
        f"'{c.subject_text}' and {c.object_field} '{c.object_text}' ({how})"
    )


def _row(c: Candidate, prefixer: Prefixer, source: str | None) -> Mapping:
    return Mapping(
        subject_id=c.subject.id,
        subject_label=c.subject.label,
        predicate_id=c.predicate,
        object_id=prefixer.curie(c.object.iri),
        object_label=c.object_label or None,
        mapping_justification=LEXICAL,
        confidence=c.confidence,
        subject_match_field=(c.subject_field,),
        object_match_field=(c.object_field,),
        match_string=(c.match_string,) if c.match_string else (),
        similarity_score=c.similarity,
        similarity_measure=SIMILARITY_MEASURE,
        mapping_tool=TOOL,
        subject_source=c.subject.source,
        object_source=source,
        comment=_comment(c),
        extra={DECISION: "", CHOSEN_PREDICATE: "", RANK: str(c.rank)},
    )


def candidate_set(
    candidates: Iterable[Candidate],
    vocabulary: Vocabulary,
    out: Path,
    *,
    scheme: str | None,
    langs: Iterable[str],
    threshold: float,
) -> MappingSet:
    """The SSSOM mapping set of the candidates, naming the vocabulary file relative to `out`."""
    prefixer = Prefixer()
    source_iri = vocabulary.source(scheme)
    source = prefixer.curie(source_iri) if source_iri else None
    rows = [_row(c, prefixer, source) for c in candidates]
    for row in rows:  # the subjects' prefixes (factor, category, outcome, scheme)
        for curie in (row.subject_id, row.subject_source):
            if curie:
                prefix = curie.split(":", 1)[0]
                prefixer.used.setdefault(prefix, prefixer.known[prefix])
    name = vocabulary.path.name
    other = {
        VOCABULARY_FILE: relative_name(vocabulary.path, out.parent),
        VOCABULARY_SHA256: vocabulary.sha256,
        "languages": ",".join(langs),
        "threshold": f"{threshold:g}",
    }
    if scheme:
        other["scheme"] = scheme
    metadata = {
        "curie_map": prefixer.curie_map(),
        "mapping_set_id": CANDIDATE_SET + vocabulary.sha256[:16],
        "mapping_set_title": f"Candidate mappings from the rsme-kg taxonomy to {name}",
        "mapping_set_description": (
            "Proposed by `rsme-kg link`, not curated: lexical and token-similarity matches of "
            "labels. Mark each row in the decision column (accept, reject or leave blank) and, "
            "if the relation is not predicate_id, name it in chosen_predicate (exact, close, "
            "broad, narrow, related); then run `rsme-kg link review FILE --curator ID`."
        ),
        "license": LICENSE,
        "other": "|".join(f"{k}={v}" for k, v in other.items()),
        "extension_definitions": EXTENSIONS,
    }
    return MappingSet(metadata, rows, list(COLUMNS))


def relative_name(path: Path, base: Path) -> str:
    """How a candidate file names its vocabulary: relative to the candidate file's folder.

    >>> relative_name(Path("/data/stw.nt"), Path("/data/review"))
    '../stw.nt'
    """
    try:
        return PurePath(os.path.relpath(path.absolute(), base.absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return path.absolute().as_posix()


@dataclass(frozen=True)
class Provenance:
    """What a candidate file records of the vocabulary it came from."""

    file: Path | None
    sha256: str | None


def provenance(mapping_set: MappingSet, path: Path) -> Provenance:
    """The vocabulary file (resolved from the candidate file's folder) and its recorded SHA-256."""
    other = str(mapping_set.metadata.get("other") or "")
    values = dict(item.split("=", 1) for item in other.split("|") if "=" in item)
    name = values.get(VOCABULARY_FILE)
    return Provenance(
        file=(path.parent / name) if name else None, sha256=values.get(VOCABULARY_SHA256)
    )


def require_review_columns(mapping_set: MappingSet, path: Path) -> None:
    """A review needs the decision column (chosen_predicate is optional)."""
    if DECISION not in mapping_set.columns:
        raise InputError(
            Location(path, None, None, DECISION),
            "the file has no decision column",
            "a candidate file written by `rsme-kg link`, with accept or reject in its "
            "decision column",
        )


def decided_pairs(mappings_path: Path) -> set[tuple[str, str]]:
    """The (subject IRI, object IRI) pairs the curated file already decides, either way."""
    if not mappings_path.is_file():
        return set()
    curated = read_sssom(mappings_path)
    return {(curated.expand(m.subject_id), curated.expand(m.object_id)) for m in curated.mappings}


def has_decisions(path: Path) -> bool:
    """Whether a candidate file already holds decisions (that a new run would overwrite)."""
    try:
        found = read_sssom(path)
    except (InputError, InputErrors, OSError):
        return False
    return any(m.extra.get(DECISION, "").strip() for m in found.mappings)
