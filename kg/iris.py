"""IRI minting, in one place: every IRI the build writes is made here."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from rdflib import URIRef

from kg.namespaces import ID


def slug(text: str) -> str:
    """A lower-case ASCII slug of free text.

    >>> slug("Grèzes-bürcher, S.")
    'grezes-burcher-s'
    >>> slug("Journal of Rural Studies")
    'journal-of-rural-studies'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def study(study_id: str) -> URIRef:
    """The IRI of a study."""
    return ID[f"study/{study_id}"]


def code(code_id: str) -> URIRef:
    """The IRI of a code (an extracted finding)."""
    return ID[f"code/{code_id}"]


def person(name: str) -> URIRef:
    """The IRI of an author, from 'Surname, Initials'."""
    return ID[f"person/{slug(name)}"]


def venue(name: str) -> URIRef:
    """The IRI of a venue (journal or series)."""
    return ID[f"venue/{slug(name)}"]


def agent(agent_id: str) -> URIRef:
    """The IRI of a coder, screener or appraiser."""
    return ID[f"agent/{agent_id}"]


def coding(study_id: str, agent_id: str) -> URIRef:
    """The IRI of one coder's coding activity on one study."""
    return ID[f"coding/{study_id}/{agent_id}"]


def context(study_id: str) -> URIRef:
    """The IRI of a study's context (country, rurality, sector, firm type)."""
    return ID[f"context/{study_id}"]


def screening(study_id: str) -> URIRef:
    """The IRI of the screening decision on a study."""
    return ID[f"screening/{study_id}"]


def appraisal(study_id: str, agent_id: str) -> URIRef:
    """The IRI of one appraiser's quality appraisal of one study."""
    return ID[f"appraisal/{study_id}/{agent_id}"]


def appraisal_answer(study_id: str, agent_id: str, criterion: int) -> URIRef:
    """The IRI of one answer of an appraisal."""
    return ID[f"appraisal/{study_id}/{agent_id}/{criterion}"]


def factor(factor_id: str) -> URIRef:
    """The IRI of a factor of the taxonomy."""
    return ID[f"factor/{factor_id}"]


def category(category_id: str) -> URIRef:
    """The IRI of a factor category."""
    return ID[f"category/{category_id}"]


def outcome(outcome_id: str) -> URIRef:
    """The IRI of an outcome."""
    return ID[f"outcome/{outcome_id}"]


def method(method_id: str) -> URIRef:
    """The IRI of a research method."""
    return ID[f"method/{method_id}"]


def build(build_id: str) -> URIRef:
    """The IRI of one build (a prov:Activity)."""
    return ID[f"build/{build_id}"]


def doi(doi_text: str) -> URIRef:
    """The https://doi.org/ IRI of a DOI, with characters unsafe in IRIs escaped.

    >>> doi("10.1002/cjas.3")
    rdflib.term.URIRef('https://doi.org/10.1002/cjas.3')
    """
    return URIRef("https://doi.org/" + quote(doi_text, safe="/:;()._-"))


def local_id(iri: str, kind: str) -> str | None:
    """The id of an IRI minted for `kind` (e.g. 'factor'), or None if it is not one.

    >>> local_id("https://w3id.org/rsme-kg/id/factor/psychic-distance", "factor")
    'psychic-distance'
    """
    prefix = str(ID[f"{kind}/"])
    return iri[len(prefix) :] if iri.startswith(prefix) else None
