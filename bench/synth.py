"""Synthetic graphs shaped like the rsme-kg corpus, at a chosen size, for benchmarks.

The output has the four named graphs of a real build (``docs/model.md``):

* ``graph/ontology``: the real ``ontology/rsme.ttl``, unchanged (blank nodes relabelled
  deterministically);
* ``graph/taxonomy``: a synthetic factor scheme of 13 categories (the real category slugs) with
  about 20 factors each at 100k triples (scaled with the square root of the size), plus outcome
  and research-method schemes, with the real taxonomy's properties (``skos:prefLabel`` @en and
  @fa, ``skos:altLabel``, ``skos:definition``, ``skos:broader``/``skos:narrower``, ...);
* ``graph/corpus``: studies (``rsme:Study`` with title, ``xsd:gYear`` issue year, language,
  ``foaf:Person`` creators and their ``bibo:authorList``, venue, context, screening decision)
  and their codes (``rsme:Code`` with ``prov:wasDerivedFrom``, ``rsme:codesFactor``, a quote
  taken verbatim from the title with its offsets, direction, outcome, coder and coding
  activity), with the IRI patterns of ``kg/iris.py``. Factors are drawn with a Zipf-like
  popularity, so rankings are not flat; some excluded studies carry codes too, so the
  ``rsme:included`` filter of the example queries matters;
* ``graph/provenance``: a build activity with its software agent and input files.

Studies are added until the dataset reaches the requested number of triples (it overshoots by
less than one study, about 75 triples). The output depends only on ``--triples`` and ``--seed``.

Usage::

    python bench/synth.py --triples 100000 --out /tmp/synth.trig [--seed 1]

The format follows the extension: ``.trig`` or ``.nq`` keep the named graphs; ``.nt`` or
``.ttl`` write the union of the graphs as plain triples (for tools without datasets).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import random
import sys
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

_T = TypeVar("_T")

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "rsme.ttl"

BASE = "https://w3id.org/rsme-kg/"
RSME_NS = BASE + "ontology#"
ID_NS = BASE + "id/"
GRAPH_NS = BASE + "graph/"

ONTOLOGY_GRAPH = ox.NamedNode(GRAPH_NS + "ontology")
TAXONOMY_GRAPH = ox.NamedNode(GRAPH_NS + "taxonomy")
CORPUS_GRAPH = ox.NamedNode(GRAPH_NS + "corpus")
PROVENANCE_GRAPH = ox.NamedNode(GRAPH_NS + "provenance")
GRAPHS = (ONTOLOGY_GRAPH, TAXONOMY_GRAPH, CORPUS_GRAPH, PROVENANCE_GRAPH)

PREFIXES: dict[str, str] = {
    "rsme": RSME_NS,
    "study": ID_NS + "study/",
    "code": ID_NS + "code/",
    "factor": ID_NS + "factor/",
    "category": ID_NS + "category/",
    "outcome": ID_NS + "outcome/",
    "method": ID_NS + "method/",
    "person": ID_NS + "person/",
    "agent": ID_NS + "agent/",
    "scheme": ID_NS + "scheme/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "bibo": "http://purl.org/ontology/bibo/",
    "fabio": "http://purl.org/spar/fabio/",
}


def _ns(prefix: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[prefix] + local)


def _terms(prefix: str, names: str) -> dict[str, ox.NamedNode]:
    """The terms of a vocabulary named in a space-separated list, by local name."""
    return {name: _ns(prefix, name) for name in names.split()}


def _id(path: str) -> ox.NamedNode:
    return ox.NamedNode(ID_NS + path)


# Terms used by the generator (created once: building NamedNodes is the hot path).
A = _ns("rdf", "type")
RDF_FIRST, RDF_REST, RDF_NIL = _ns("rdf", "first"), _ns("rdf", "rest"), _ns("rdf", "nil")
RDFS_LABEL, RDFS_COMMENT = _ns("rdfs", "label"), _ns("rdfs", "comment")
OWL_SAME_AS, OWL_VERSION_INFO = _ns("owl", "sameAs"), _ns("owl", "versionInfo")
XSD_GYEAR, XSD_LANGUAGE = _ns("xsd", "gYear"), _ns("xsd", "language")
XSD_DATE, XSD_DATETIME = _ns("xsd", "date"), _ns("xsd", "dateTime")
XSD_NNI, XSD_BOOLEAN = _ns("xsd", "nonNegativeInteger"), _ns("xsd", "boolean")
SKOS = _terms(
    "skos",
    "Concept ConceptScheme prefLabel altLabel definition inScheme broader narrower"
    " topConceptOf hasTopConcept editorialNote",
)
PROV = _terms(
    "prov",
    "Entity Activity Agent SoftwareAgent wasDerivedFrom wasAttributedTo wasGeneratedBy"
    " wasAssociatedWith used startedAtTime",
)
DCT = _terms(
    "dcterms",
    "identifier title issued language creator isPartOf bibliographicCitation created"
    " publisher description",
)
FOAF = _terms("foaf", "Person name familyName")
BIBO = _terms("bibo", "AcademicArticle Book Periodical authorList volume issue pages doi")
FABIO = _terms("fabio", "JournalArticle Book")
RSME = _terms(
    "rsme",
    "Study Code Factor FactorCategory Outcome ResearchMethod ScreeningDecision StudyContext"
    " CodingActivity Build screeningDecision screens decision exclusionReason stage hasCode"
    " codesFactor evidencedBy basis quote direction outcome selectionStart selectionEnd"
    " hasContext country region sector firmType rural method sha256 place"
    " included excluded title driver barrier moderator mediator context"
    " methodological-reference other-field-synthesis out-of-scope",
)

# The real taxonomy's 13 categories (slug, English label); factors under them are synthetic.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("human-capital", "Human capital"),
    ("networks", "Networks and cooperation"),
    ("ict", "Information and communication technologies"),
    ("social-capital", "Social capital"),
    ("government-support", "Government support"),
    ("entrepreneurial-orientation", "Entrepreneurial and international orientation"),
    ("strategy", "Internationalization and competitive strategy"),
    ("learning-innovation", "Learning orientation and innovation"),
    ("marketing-capabilities", "Marketing capabilities"),
    ("firm-resources", "Firm resources and capabilities"),
    ("family-governance", "Family ownership and governance"),
    ("rural-context", "Rural context and embeddedness"),
    ("market-environment", "Market and institutional environment"),
)
OUTCOMES = (
    "internationalization",
    "internationalization-orientation",
    "export-performance",
    "international-performance",
    "foreign-market-entry",
    "firm-growth",
    "business-success",
    "business-performance",
    "enterprise-development",
    "rural-development",
    "competitiveness",
)
METHODS = (
    "structural-equation-modeling",
    "fuzzy-anp",
    "case-study",
    "qualitative-software-analysis",
    "mixed-methods",
    "meta-synthesis",
    "thematic-analysis",
    "interpretive-structural-modeling",
)
DIRECTIONS = ("driver", "barrier", "moderator", "mediator", "context")
EXCLUSION_REASONS = ("methodological-reference", "other-field-synthesis", "out-of-scope")
COUNTRIES = ("Iran", "Slovenia", "Spain", "United Kingdom", "Finland", "Israel", "Italy", "India")
SECTORS = ("agriculture", "food industry", "handicrafts", "tourism", "manufacturing", "services")
FIRM_TYPES = ("family firm", "export business", "cooperative", "micro-enterprise", "SME")
SYLLABLES = (
    *("ba", "ra", "mo", "ki", "ne", "so", "ta", "li", "ze", "vo", "ha", "du", "fi", "ga", "pe"),
    *("ro", "sa", "mi", "ku", "le", "an", "el", "or", "is", "ur", "en", "as", "ol", "ir", "ek"),
)
TITLE_OPENINGS = (
    "The role of",
    "Effects of",
    "How",
    "Exploring",
    "Rethinking",
    "Modelling",
    "Evidence on",
)
TITLE_CLOSINGS = (
    "in the internationalization of rural SMEs",
    "and export performance of small rural firms",
    "for the growth of rural enterprises",
    "in family-owned rural businesses",
    "and foreign market entry of agri-food SMEs",
    "in rural tourism enterprises",
)
CODERS = ("rsme-kg-editors", "coder-a", "coder-b", "coder-c")
PERSIAN_FACTOR = "عامل"  # "factor"

# Factors per category at 100k triples; scaled by sqrt(size / 100k), at least 2.
FACTORS_PER_CATEGORY_AT_100K = 20
ZIPF_EXPONENT = 1.0


def factors_per_category(triples: int) -> int:
    """How many factors each of the 13 categories gets for a dataset of `triples` triples.

    >>> factors_per_category(100_000), factors_per_category(5_000), factors_per_category(400_000)
    (20, 4, 40)
    """
    return max(2, round(FACTORS_PER_CATEGORY_AT_100K * math.sqrt(triples / 100_000)))


def factor_iri(category_slug: str, index: int) -> str:
    """The IRI of the `index`-th (from 1) synthetic factor of a category."""
    return f"{ID_NS}factor/{category_slug}-{index:02d}"


def _lit(value: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def _typed(value: str, datatype: ox.NamedNode) -> ox.Literal:
    return ox.Literal(value, datatype=datatype)


def _surname(n: int) -> str:
    """A pronounceable surname unique to `n` (base-len(SYLLABLES) digits, at least 2)."""
    base = len(SYLLABLES)
    digits = [n % base]
    n //= base
    digits.append(n % base)
    n //= base
    while n:
        digits.append(n % base)
        n //= base
    return "".join(SYLLABLES[d] for d in digits).capitalize()


@dataclass
class _Writer:
    """Accumulates quads of one graph at a time, in order, without duplicates."""

    quads: list[ox.Quad] = field(default_factory=list)
    graph: ox.NamedNode = CORPUS_GRAPH

    def add(
        self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.NamedNode | ox.BlankNode
    ) -> None:
        self.quads.append(ox.Quad(s, p, o, self.graph))

    def lit(
        self,
        s: ox.NamedNode | ox.BlankNode,
        p: ox.NamedNode,
        value: str,
        lang: str | None = None,
    ) -> None:
        self.quads.append(ox.Quad(s, p, _lit(value, lang), self.graph))

    def typed(self, s: ox.NamedNode, p: ox.NamedNode, value: str, datatype: ox.NamedNode) -> None:
        self.quads.append(ox.Quad(s, p, _typed(value, datatype), self.graph))


def ontology_quads(path: Path = ONTOLOGY_FILE) -> list[ox.Quad]:
    """The real ontology as quads of the ontology graph, blank nodes relabelled in order."""
    labels: dict[str, ox.BlankNode] = {}

    def relabel(term: _T) -> _T | ox.BlankNode:
        if isinstance(term, ox.BlankNode):
            if term.value not in labels:
                labels[term.value] = ox.BlankNode(f"o{len(labels)}")
            return labels[term.value]
        return term

    quads = []
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        quads.append(
            ox.Quad(relabel(quad.subject), quad.predicate, relabel(quad.object), ONTOLOGY_GRAPH)
        )
    return quads


def taxonomy_quads(per_category: int) -> tuple[list[ox.Quad], dict[ox.NamedNode, str]]:
    """The synthetic taxonomy graph and its factors (with their English labels), in order."""
    w = _Writer(graph=TAXONOMY_GRAPH)
    factors: dict[ox.NamedNode, str] = {}
    for scheme_slug, title in (
        ("factors", "rsme-kg factor taxonomy (synthetic)"),
        ("outcomes", "rsme-kg outcomes (synthetic)"),
        ("methods", "rsme-kg research methods (synthetic)"),
    ):
        scheme = _id(f"scheme/{scheme_slug}")
        w.add(scheme, A, SKOS["ConceptScheme"])
        w.lit(scheme, DCT["title"], title, "en")
        w.lit(scheme, SKOS["prefLabel"], title.capitalize(), "en")
    scheme = _id("scheme/factors")
    for ci, (cat_slug, cat_label) in enumerate(CATEGORIES, start=1):
        category = _id(f"category/{cat_slug}")
        w.add(category, A, RSME["FactorCategory"])
        w.add(category, A, SKOS["Concept"])
        w.add(category, SKOS["inScheme"], scheme)
        w.add(category, SKOS["topConceptOf"], scheme)
        w.add(scheme, SKOS["hasTopConcept"], category)
        w.lit(category, SKOS["prefLabel"], cat_label, "en")
        w.lit(category, SKOS["prefLabel"], f"{PERSIAN_FACTOR} {ci}", "fa")
        w.lit(category, SKOS["altLabel"], cat_label.lower(), "en")
        w.lit(category, SKOS["definition"], f"Synthetic category: {cat_label.lower()}.", "en")
        for fi in range(1, per_category + 1):
            factor = ox.NamedNode(factor_iri(cat_slug, fi))
            label = f"{cat_label} factor {fi}"
            factors[factor] = label
            w.add(factor, A, RSME["Factor"])
            w.add(factor, A, SKOS["Concept"])
            w.add(factor, SKOS["inScheme"], scheme)
            w.add(factor, SKOS["broader"], category)
            w.add(category, SKOS["narrower"], factor)
            w.lit(factor, SKOS["prefLabel"], label, "en")
            w.lit(factor, SKOS["prefLabel"], f"{PERSIAN_FACTOR} {ci}-{fi}", "fa")
            w.lit(factor, SKOS["altLabel"], label.lower(), "en")
            w.lit(factor, SKOS["altLabel"], f"{cat_slug} {fi}", "en")
            w.lit(factor, SKOS["definition"], f"Synthetic factor {fi} of {cat_label}.", "en")
    for kind, cls, slugs in (
        ("outcome", RSME["Outcome"], OUTCOMES),
        ("method", RSME["ResearchMethod"], METHODS),
    ):
        scheme = _id(f"scheme/{kind}s")
        for slug in slugs:
            node = _id(f"{kind}/{slug}")
            label = slug.replace("-", " ").capitalize()
            w.add(node, A, cls)
            w.add(node, A, SKOS["Concept"])
            w.add(node, SKOS["inScheme"], scheme)
            w.add(node, SKOS["topConceptOf"], scheme)
            w.lit(node, SKOS["prefLabel"], label, "en")
            w.lit(node, SKOS["definition"], f"Synthetic {kind}: {label.lower()}.", "en")
    return w.quads, factors


def provenance_quads(triples: int, seed: int) -> list[ox.Quad]:
    """A build activity like the real provenance graph (fixed time, synthetic checksums)."""
    w = _Writer(graph=PROVENANCE_GRAPH)
    build_id = hashlib.sha256(f"synth-{triples}-{seed}".encode()).hexdigest()[:16]
    build = _id(f"build/{build_id}")
    software = _id("agent/rsme-kg")
    w.add(build, A, RSME["Build"])
    w.add(build, A, PROV["Activity"])
    w.lit(build, DCT["identifier"], build_id)
    w.typed(build, PROV["startedAtTime"], "2026-01-01T00:00:00Z", XSD_DATETIME)
    w.add(build, PROV["wasAssociatedWith"], software)
    w.add(software, A, PROV["SoftwareAgent"])
    w.add(software, A, PROV["Agent"])
    w.lit(software, FOAF["name"], "rsme-kg")
    w.lit(software, OWL_VERSION_INFO, "synthetic")
    for name in ("studies.csv", "codes.csv", "screening.csv", "coders.csv", "rsme.ttl"):
        source = ox.NamedNode(f"{build.value}/source/{name.replace('.', '-')}")
        w.add(build, PROV["used"], source)
        w.add(source, A, PROV["Entity"])
        w.lit(source, RDFS_LABEL, name)
        w.lit(source, RSME["sha256"], hashlib.sha256(f"{build_id}/{name}".encode()).hexdigest())
    for graph in GRAPHS:
        w.add(graph, A, PROV["Entity"])
        w.add(graph, PROV["wasGeneratedBy"], build)
    return w.quads


class _Corpus:
    """Writes synthetic studies one at a time into the corpus graph."""

    def __init__(self, rng: random.Random, factors: dict[ox.NamedNode, str]) -> None:
        self.rng = rng
        self.w = _Writer(graph=CORPUS_GRAPH)
        self.factors = list(factors)
        self.factor_labels = {f.value: label.lower() for f, label in factors.items()}
        ranks = list(range(len(factors)))
        rng.shuffle(ranks)  # which factor is popular depends on the seed
        weights = [1.0 / (r + 1) ** ZIPF_EXPONENT for r in ranks]
        self.cum_weights = list(itertools.accumulate(weights))
        self.persons: list[tuple[ox.NamedNode, str]] = []
        self.venues: list[ox.NamedNode] = []
        self.study_ids: set[str] = set()
        self.outcomes = [_id(f"outcome/{s}") for s in OUTCOMES]
        self.methods = [_id(f"method/{s}") for s in METHODS]
        self.directions = [RSME[d] for d in DIRECTIONS]
        self.agents = [_id(f"agent/{c}") for c in CODERS]
        for agent, name in zip(self.agents, CODERS, strict=True):
            self.w.add(agent, A, PROV["Agent"])
            self.w.add(agent, A, FOAF["Person"])
            self.w.lit(agent, FOAF["name"], name)
        self.studies = 0
        self.codes = 0

    def _factor(self) -> ox.NamedNode:
        x = self.rng.random() * self.cum_weights[-1]
        return self.factors[bisect_left(self.cum_weights, x)]

    def _person(self) -> tuple[ox.NamedNode, str]:
        if self.persons and self.rng.random() < 0.3:  # a returning author
            return self.rng.choice(self.persons)
        surname = _surname(len(self.persons))
        initial = chr(ord("A") + self.rng.randrange(26))
        name = f"{surname}, {initial}."
        node = _id(f"person/{surname.lower()}-{initial.lower()}")
        self.w.add(node, A, FOAF["Person"])
        self.w.lit(node, FOAF["name"], name)
        self.w.lit(node, FOAF["familyName"], surname)
        self.persons.append((node, name))
        return node, name

    def _venue(self) -> ox.NamedNode:
        if self.venues and self.rng.random() < 0.95:
            return self.rng.choice(self.venues)
        n = len(self.venues) + 1
        node = _id(f"venue/journal-of-rural-enterprise-{n}")
        self.w.add(node, A, BIBO["Periodical"])
        self.w.lit(node, DCT["title"], f"Journal of Rural Enterprise {n}")
        self.venues.append(node)
        return node

    def add_study(self) -> None:
        """One study with its authors, venue, context, screening, codes and coding activity."""
        rng, w = self.rng, self.w
        year = rng.randint(1990, 2025)
        authors = list(dict.fromkeys(self._person() for _ in range(rng.randint(1, 4))))
        base_id = f"{authors[0][1].split(',')[0].lower()}-{year}"
        study_id, n = base_id, 1
        while study_id in self.study_ids:
            n += 1
            study_id = f"{base_id}-{n}"
        self.study_ids.add(study_id)
        study = _id(f"study/{study_id}")
        n_codes = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        code_factors = list(dict.fromkeys(self._factor() for _ in range(n_codes)))
        phrases = [self.factor_labels[f.value] for f in code_factors]
        title = rng.choice(TITLE_OPENINGS)
        starts = []  # where each phrase (a code's quote) starts in the title
        for i, phrase in enumerate(phrases):
            title += " and " if i else " "
            starts.append(len(title))
            title += phrase
        title += " " + rng.choice(TITLE_CLOSINGS)

        w.add(study, A, RSME["Study"])
        if rng.random() < 0.95:
            w.add(study, A, BIBO["AcademicArticle"])
            w.add(study, A, FABIO["JournalArticle"])
        else:
            w.add(study, A, BIBO["Book"])
            w.add(study, A, FABIO["Book"])
        w.lit(study, DCT["identifier"], study_id)
        w.lit(study, DCT["title"], title)
        w.typed(study, DCT["issued"], str(year), XSD_GYEAR)
        language = "fa" if rng.random() < 0.15 else "en"
        w.typed(study, DCT["language"], language, XSD_LANGUAGE)
        head: ox.BlankNode | ox.NamedNode = RDF_NIL
        for k in range(len(authors) - 1, -1, -1):  # bibo:authorList as an rdf:List
            cell = ox.BlankNode(f"s{self.studies}a{k}")
            w.add(cell, RDF_FIRST, authors[k][0])
            w.add(cell, RDF_REST, head)
            head = cell
        for person, _ in authors:
            w.add(study, DCT["creator"], person)
        w.add(study, BIBO["authorList"], head)
        w.add(study, DCT["isPartOf"], self._venue())
        w.lit(study, BIBO["volume"], str(rng.randint(1, 60)))
        if rng.random() < 0.8:
            w.lit(study, BIBO["issue"], str(rng.randint(1, 12)))
        first_page = rng.randint(1, 400)
        w.lit(study, BIBO["pages"], f"{first_page}–{first_page + rng.randint(8, 30)}")
        if rng.random() < 0.3:
            doi = f"10.{rng.randint(1000, 9999)}/synth.{self.studies}"
            w.lit(study, BIBO["doi"], doi)
            w.add(study, OWL_SAME_AS, ox.NamedNode(f"https://doi.org/{doi}"))
        names = "; ".join(name for _, name in authors)
        w.lit(study, DCT["bibliographicCitation"], f"{names} ({year}). {title}.")
        if rng.random() < 0.25:
            w.add(study, RSME["method"], rng.choice(self.methods))
        if rng.random() < 0.8:
            ctx = _id(f"context/{study_id}")
            w.add(study, RSME["hasContext"], ctx)
            w.add(ctx, A, RSME["StudyContext"])
            w.lit(ctx, RSME["sector"], rng.choice(SECTORS))
            if rng.random() < 0.5:
                w.lit(ctx, RSME["country"], rng.choice(COUNTRIES))
            if rng.random() < 0.5:
                w.lit(ctx, RSME["firmType"], rng.choice(FIRM_TYPES))
            if rng.random() < 0.4:
                w.typed(ctx, RSME["rural"], "true", XSD_BOOLEAN)

        included = rng.random() < 0.88
        screening = _id(f"screening/{study_id}")
        editors = self.agents[0]
        w.add(screening, A, RSME["ScreeningDecision"])
        w.add(screening, RSME["screens"], study)
        w.add(study, RSME["screeningDecision"], screening)
        w.add(screening, RSME["decision"], RSME["included" if included else "excluded"])
        if not included:
            w.add(screening, RSME["exclusionReason"], RSME[rng.choice(EXCLUSION_REASONS)])
        w.add(screening, PROV["wasAttributedTo"], editors)
        w.lit(screening, RSME["stage"], "title")
        w.lit(screening, RDFS_COMMENT, "synthetic screening decision (judged from the title)")

        if included or rng.random() < 0.3:
            coder = rng.choice(self.agents)
            activity = _id(f"coding/{study_id}/{coder.value.rsplit('/', 1)[1]}")
            w.add(activity, A, RSME["CodingActivity"])
            w.add(activity, A, PROV["Activity"])
            w.add(activity, PROV["wasAssociatedWith"], coder)
            w.add(activity, PROV["used"], study)
            for i, (factor, phrase, start) in enumerate(
                zip(code_factors, phrases, starts, strict=True), 1
            ):
                self._code(study, study_id, i, factor, phrase, start, coder, activity)
        self.studies += 1

    def _code(
        self,
        study: ox.NamedNode,
        study_id: str,
        i: int,
        factor: ox.NamedNode,
        quote: str,
        start: int,
        coder: ox.NamedNode,
        activity: ox.NamedNode,
    ) -> None:
        rng, w = self.rng, self.w
        code_id = f"{study_id}-{i}"
        code = _id(f"code/{code_id}")
        w.add(code, A, RSME["Code"])
        w.add(code, A, PROV["Entity"])
        w.lit(code, DCT["identifier"], code_id)
        w.add(code, PROV["wasDerivedFrom"], study)
        w.add(study, RSME["hasCode"], code)
        w.add(code, RSME["codesFactor"], factor)
        w.add(factor, RSME["evidencedBy"], code)
        w.add(code, RSME["basis"], RSME["title"])
        w.lit(code, RSME["quote"], quote)
        if rng.random() < 0.6:
            w.add(code, RSME["direction"], rng.choice(self.directions))
        if rng.random() < 0.66:
            w.add(code, RSME["outcome"], rng.choice(self.outcomes))
        w.typed(code, RSME["selectionStart"], str(start), XSD_NNI)
        w.typed(code, RSME["selectionEnd"], str(start + len(quote)), XSD_NNI)
        w.typed(code, DCT["created"], "2026-01-01", XSD_DATE)
        w.add(code, PROV["wasAttributedTo"], coder)
        w.add(code, PROV["wasGeneratedBy"], activity)
        self.codes += 1


@dataclass
class Summary:
    """What a generated dataset holds."""

    triples: int
    per_graph: dict[str, int]
    studies: int
    codes: int
    factors: int


def generate_with_summary(triples: int, seed: int = 1) -> tuple[list[ox.Quad], Summary]:
    """The quads of a synthetic dataset of about `triples` triples, and a summary of it."""
    rng = random.Random(seed)
    ontology = ontology_quads()
    taxonomy, factors = taxonomy_quads(factors_per_category(triples))
    provenance = provenance_quads(triples, seed)
    corpus = _Corpus(rng, factors)
    budget = triples - len(ontology) - len(taxonomy) - len(provenance)
    while len(corpus.w.quads) < budget:
        corpus.add_study()
    quads = ontology + taxonomy + corpus.w.quads + provenance
    counts = Counter(q.graph_name for q in quads)
    per_graph = {g.value.rsplit("/", 1)[1]: counts[g] for g in GRAPHS}
    summary = Summary(len(quads), per_graph, corpus.studies, corpus.codes, len(factors))
    return quads, summary


def generate(triples: int, seed: int = 1) -> list[ox.Quad]:
    """The quads (in a stable order, no duplicates) of a synthetic dataset of ~`triples`."""
    return generate_with_summary(triples, seed)[0]


def generate_dataset(triples: int, seed: int = 1) -> ox.Dataset:
    """The same as :func:`generate`, as a pyoxigraph Dataset."""
    return ox.Dataset(generate(triples, seed))


def serialize(quads: Iterable[ox.Quad], path: Path) -> None:
    """Write quads to `path`, in the format its extension names (.trig, .nq, .nt, .ttl)."""
    ext = path.suffix.lower()
    if ext in (".trig", ".nq"):
        fmt = ox.RdfFormat.TRIG if ext == ".trig" else ox.RdfFormat.N_QUADS
        ox.serialize(quads, str(path), fmt, prefixes=PREFIXES if ext == ".trig" else None)
    elif ext in (".nt", ".ttl"):
        seen: set[ox.Triple] = set()
        triples = []
        for q in quads:  # the union of the graphs: drop the graph name and duplicates
            if q.triple not in seen:
                seen.add(q.triple)
                triples.append(q.triple)
        fmt = ox.RdfFormat.N_TRIPLES if ext == ".nt" else ox.RdfFormat.TURTLE
        ox.serialize(triples, str(path), fmt, prefixes=PREFIXES if ext == ".ttl" else None)
    else:
        raise ValueError(f"unknown extension {ext!r}: use .trig, .nq, .nt or .ttl")


def write(path: str | Path, triples: int = 100_000, seed: int = 1) -> Summary:
    """Generate a synthetic dataset and write it to `path`; return its summary."""
    quads, summary = generate_with_summary(triples, seed)
    serialize(quads, Path(path))
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python bench/synth.py --triples N --out FILE [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="target size (triples)")
    parser.add_argument("--out", type=Path, required=True, help=".trig, .nq, .nt or .ttl file")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.triples < 1:
        parser.error("--triples must be positive")
    started = time.perf_counter()
    try:
        summary = write(args.out, args.triples, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    graphs = ", ".join(f"{name} {n}" for name, n in summary.per_graph.items())
    print(
        f"wrote {summary.triples} triples ({graphs}) to {args.out} in "
        f"{time.perf_counter() - started:.1f} s: {summary.studies} studies, "
        f"{summary.codes} codes, {summary.factors} factors"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
