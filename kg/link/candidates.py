"""Proposing mappings from our taxonomy to an outside vocabulary: lexical, then token similarity.

Both sides' labels are reduced with the importers' normalisation (kg.interchange.matching):
case, accents, Arabic/Persian letter variants, the zero-width non-joiner and punctuation make
no difference. Two passes:

1. lexical: a subject label and an object label that are equal once normalised;
2. token similarity: rapidfuzz's token_sort_ratio of the normalised labels, at or above a
   threshold. It sorts the words before an edit-distance ratio, so word order does not count
   ("firm size" / "size of firm") and spelling variants score high ("internationalisation",
   "business networks" / "business network"), while a label that only contains the other
   ("export" / "export performance") scores low; token_set_ratio would score that 100 and flood
   one-word labels with every longer label holding the word, which are broader or narrower
   concepts rather than candidates for the same one. A token Jaccard index gives a plural or a
   British spelling nothing.

Only labels of one language meet (an untagged label meets every language). Nothing here
accepts a mapping: every candidate waits for `rsme-kg link review`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from kg import iris, paths
from kg.interchange.matching import normalise
from kg.link.vocabulary import (
    ALT_LABEL,
    PREF_LABEL,
    RDFS_LABEL,
    Label,
    VocabConcept,
    Vocabulary,
    primary_language,
    read_vocabulary,
)
from kg.namespaces import BASE, PREFIXES

EXACT = "skos:exactMatch"
CLOSE = "skos:closeMatch"
SIMILARITY_MEASURE = "rapidfuzz token_sort_ratio of normalised labels / 100"
DEFAULT_THRESHOLD = 0.85
SUBJECT_KINDS = ("category", "factor", "outcome")
# confidence by the fields that met in a lexical match (ours, theirs): a preferred label
# (rdfs:label counts as one) on both sides is the strongest sign of one concept
_LEXICAL_CONFIDENCE = {(True, True): 0.95, (True, False): 0.85, (False, True): 0.85}
_ALT_ALT_CONFIDENCE = 0.8
# a similarity match's confidence is its score times this: always below every lexical match
SIMILARITY_WEIGHT = 0.75


@dataclass(frozen=True)
class Subject:
    """A factor, category or outcome of our taxonomy with its labels."""

    id: str  # CURIE, e.g. factor:human-capital
    iri: str
    label: str  # the English preferred label
    labels: tuple[Label, ...]
    source: str | None  # CURIE of its concept scheme


@dataclass(frozen=True)
class Candidate:
    """One proposed mapping, with the evidence for it."""

    subject: Subject
    object: VocabConcept
    object_label: str
    predicate: str
    subject_field: str
    object_field: str
    subject_text: str  # the labels that met, as written
    object_text: str
    match_string: str  # the normalised words both labels share
    similarity: float  # 1.0 for a lexical match
    confidence: float
    lexical: bool
    rank: int = 0  # 1 = best candidate of its subject
    of: int = 0  # how many candidates the subject has


def _curie(iri: str) -> str | None:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and prefix in (*SUBJECT_KINDS, "scheme"):
            return f"{prefix}:{iri[len(namespace) :]}"
    return None


def load_subjects(
    path: Path = paths.TAXONOMY_FILE, langs: Collection[str] = ("en", "fa")
) -> list[Subject]:
    """The factors, categories and outcomes of the taxonomy file with their labels in `langs`.

    The taxonomy is read with the vocabulary reader: kg.interchange.taxonomy's loader has no
    outcomes and drops the language of alternative labels, which matching needs.
    """
    taxonomy = read_vocabulary(path, {"en", *langs})  # English for subject_label in any case
    subjects: list[Subject] = []
    for iri, concept in taxonomy.concepts.items():
        if not any(iris.local_id(iri, kind) for kind in SUBJECT_KINDS):
            continue
        curie = _curie(iri)
        if curie is None:
            continue
        english = [
            lab.text for lab in concept.labels if lab.field == PREF_LABEL and lab.lang == "en"
        ]
        schemes = sorted(filter(None, (_curie(s) for s in concept.schemes)))
        subjects.append(
            Subject(
                id=curie,
                iri=iri,
                label=english[0] if english else concept.label(langs),
                labels=concept.labels,  # matching keeps only those in the languages asked for
                source=schemes[0] if schemes else None,
            )
        )
    return sorted(subjects, key=lambda s: s.id)


@dataclass(frozen=True, slots=True)
class _Text:
    """A label ready to compare: normalised, with where it came from."""

    key: str
    lang: str  # primary subtag, '' when untagged
    label: Label


def _texts(labels: Iterable[Label], langs: Collection[str]) -> list[_Text]:
    wanted = {primary_language(lang) for lang in langs}
    found = []
    for label in labels:
        lang = primary_language(label.lang)
        if lang and lang not in wanted:
            continue
        key = normalise(label.text)
        if key:
            found.append(_Text(key, lang, label))
    return found


def _meets(ours: str, theirs: str) -> bool:
    return not theirs or not ours or ours == theirs


def _primary(field: str) -> bool:
    return field in (PREF_LABEL, RDFS_LABEL)


def _shared_words(a: str, b: str) -> str:
    theirs = set(b.split())
    return " ".join(word for word in a.split() if word in theirs)


def _evidence_order(candidate: Candidate) -> tuple[float, bool, bool, str, str]:
    return (
        -candidate.confidence,
        candidate.subject_field != PREF_LABEL,
        candidate.object_field == ALT_LABEL,
        candidate.subject_text,
        candidate.object_text,
    )


def propose(
    subjects: Iterable[Subject],
    vocabulary: Vocabulary,
    langs: Collection[str] = ("en", "fa"),
    threshold: float = DEFAULT_THRESHOLD,
    scheme: str | None = None,
    decided: Collection[tuple[str, str]] = (),
) -> list[Candidate]:
    """Candidate mappings from each subject to the vocabulary's concepts, ranked per subject.

    Concepts outside `scheme` (when given), deprecated ones, our own concepts and the
    (subject IRI, object IRI) pairs already `decided` are left out. One candidate per pair: the
    strongest evidence. Rows come by subject id, then rank (confidence, similarity, object IRI).
    """
    objects = [
        c
        for iri, c in vocabulary.concepts.items()
        if iri not in vocabulary.deprecated
        and (scheme is None or scheme in c.schemes)
        and not iri.startswith(BASE)  # our own concepts (e.g. the taxonomy given as vocabulary)
    ]
    ours = [(subject, text) for subject in subjects for text in _texts(subject.labels, langs)]
    # every object label is normalised once: on a large vocabulary that is most of the work
    theirs: defaultdict[str, list[tuple[VocabConcept, _Text]]] = defaultdict(list)
    for concept in objects:
        for text in _texts(concept.labels, langs):
            theirs[text.key].append((concept, text))
    best: dict[tuple[str, str], Candidate] = {}
    for candidate in _lexical(ours, theirs, langs):
        _keep(best, candidate)
    for candidate in _similar(ours, theirs, langs, threshold, skip=set(best)):
        _keep(best, candidate)
    skip = set(decided)
    return _ranked(c for c in best.values() if (c.subject.iri, c.object.iri) not in skip)


def _keep(best: dict[tuple[str, str], Candidate], candidate: Candidate) -> None:
    key = (candidate.subject.id, candidate.object.iri)
    if key not in best or _evidence_order(candidate) < _evidence_order(best[key]):
        best[key] = candidate


def _candidate(
    subject: Subject,
    concept: VocabConcept,
    ours: _Text,
    theirs: _Text,
    similarity: float,
    langs: Collection[str],
) -> Candidate:
    lexical = ours.key == theirs.key
    primary = (_primary(ours.label.field), _primary(theirs.label.field))
    if lexical:
        confidence = _LEXICAL_CONFIDENCE.get(primary, _ALT_ALT_CONFIDENCE)
        predicate = EXACT if primary == (True, True) else CLOSE
    else:
        confidence = round(SIMILARITY_WEIGHT * similarity, 3)
        predicate = CLOSE
    return Candidate(
        subject=subject,
        object=concept,
        object_label=concept.label(langs),
        predicate=predicate,
        subject_field=ours.label.field,
        object_field=theirs.label.field,
        subject_text=ours.label.text,
        object_text=theirs.label.text,
        match_string=ours.key if lexical else _shared_words(ours.key, theirs.key),
        similarity=1.0 if lexical else round(similarity, 3),
        confidence=confidence,
        lexical=lexical,
    )


_Ours = list[tuple[Subject, _Text]]
_Theirs = dict[str, list[tuple[VocabConcept, _Text]]]


def _lexical(ours: _Ours, theirs: _Theirs, langs: Collection[str]) -> Iterable[Candidate]:
    for subject, our_text in ours:
        for concept, their_text in theirs.get(our_text.key, ()):
            if _meets(our_text.lang, their_text.lang):
                yield _candidate(subject, concept, our_text, their_text, 1.0, langs)


def _similar(
    ours: _Ours,
    theirs: _Theirs,
    langs: Collection[str],
    threshold: float,
    skip: set[tuple[str, str]],
) -> Iterable[Candidate]:
    """Pairs of labels whose token_sort_ratio reaches the threshold (but not equal ones)."""
    import numpy as np
    from rapidfuzz import fuzz, process

    keys = sorted(theirs)
    queries = sorted({text.key for _, text in ours})
    by_query: defaultdict[str, list[tuple[Subject, _Text]]] = defaultdict(list)
    for subject, text in ours:
        by_query[text.key].append((subject, text))
    cutoff = threshold * 100
    chunk = 1 << 15  # object labels compared at once: queries x chunk bytes of scores
    for start in range(0, len(keys), chunk):
        block = keys[start : start + chunk]
        scores = process.cdist(
            queries,
            block,
            scorer=fuzz.token_sort_ratio,
            processor=None,
            score_cutoff=cutoff,
            dtype=np.uint8,
            workers=1,
        )
        for qi, bi in zip(*np.nonzero(scores), strict=True):
            query, key = queries[qi], block[bi]
            if query == key:
                continue  # the lexical pass has these
            score = fuzz.token_sort_ratio(query, key, processor=None) / 100
            if score < threshold:
                continue  # the uint8 matrix rounds; decide on the exact score
            for subject, our_text in by_query[query]:
                for concept, their_text in theirs[key]:
                    if (subject.id, concept.iri) in skip:
                        continue
                    if _meets(our_text.lang, their_text.lang):
                        yield _candidate(subject, concept, our_text, their_text, score, langs)


def _ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    by_subject: defaultdict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_subject[candidate.subject.id].append(candidate)
    ranked: list[Candidate] = []
    for subject_id in sorted(by_subject):
        group = sorted(
            by_subject[subject_id], key=lambda c: (-c.confidence, -c.similarity, c.object.iri)
        )
        ranked += [replace(c, rank=i, of=len(group)) for i, c in enumerate(group, 1)]
    return ranked
