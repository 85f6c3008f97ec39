"""HermiT module by module: the same verdict as over the whole corpus, cached, and refused when
the ontology lets modules interact (kg/reason.py `check_partition`, `modular_exact`)."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

from kg import modules, paths, reason
from kg.build import corpus_graph, parse_turtle
from kg.cache import Cache
from kg.errors import ReasonerError, ReasonerUnavailable
from kg.ingest.corpus import read_corpus
from kg.modules import Module, Partition, Triple
from kg.namespaces import RSME

EX = Namespace("https://example.org/test#")
pytestmark = pytest.mark.reasoner


@pytest.fixture(scope="module")
def model() -> tuple[Graph, Graph]:
    return parse_turtle(paths.ONTOLOGY_FILE), parse_turtle(paths.TAXONOMY_FILE)


@pytest.fixture(scope="module")
def corpus() -> Graph:
    graph, _ = corpus_graph(read_corpus(paths.ROOT / "data"))
    return graph


@pytest.fixture(scope="module")
def jvm(tmp_path_factory: pytest.TempPathFactory) -> Cache:
    """A cache for the JVM's AOT file only (`check` keeps no verdicts): faster HermiT starts."""
    return Cache.at(tmp_path_factory.mktemp("jvm"))


def _cut(model: tuple[Graph, Graph], corpus: Graph) -> Partition:
    # the build names the model by its files; a test's model is named by its triples
    digest = modules.digest_triples([*model[0], *model[1]])
    return modules.partition(model[0] + model[1], list(corpus), digest)


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """The argument lists of the processes the reasoner starts (each one a JVM)."""
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(list(args))
        return real(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(reason.subprocess, "run", counting)
    yield calls


# ---------------------------------------------------------------------------------------------
# HermiT's output, read without a JVM
# ---------------------------------------------------------------------------------------------

THING = "http://www.w3.org/2002/07/owl#Thing"
NOTHING = "http://www.w3.org/2002/07/owl#Nothing"


def test_a_consistent_output_with_unsatisfiable_classes_is_read() -> None:
    stdout = (
        f"{THING} is satisfiable.\nClasses equivalent to '{NOTHING}':\n"
        f"\thttps://example.org/test#C\n\t{NOTHING}\n\thttps://example.org/test#B\n"
    )
    verdict = reason.parse_hermit_output(0, stdout, "", unsatisfiable=True)
    assert verdict.consistent
    assert verdict.unsatisfiable == ("https://example.org/test#B", "https://example.org/test#C")
    # the order of the actions does not matter
    stdout = f"Classes equivalent to '{NOTHING}':\n\t{NOTHING}\n{THING} is satisfiable.\n"
    assert reason.parse_hermit_output(0, stdout, "", unsatisfiable=True).unsatisfiable == ()


def test_several_files_in_one_run_give_a_verdict_each_up_to_the_inconsistent_one() -> None:
    listing = f"Classes equivalent to '{NOTHING}':\n\t{NOTHING}\n"
    stdout = f"{THING} is satisfiable.\n{listing}\thttps://example.org/test#C\n"
    stdout += f"{THING} is satisfiable.\n{listing}"
    verdicts = reason.parse_hermit_runs(0, stdout, "", files=2, unsatisfiable=True)
    assert [v.unsatisfiable for v in verdicts] == [("https://example.org/test#C",), ()]
    stderr = 'Exception in thread "main" org.x.InconsistentOntologyException: Inconsistent\n'
    stdout = f"{THING} is satisfiable.\n"
    verdicts = reason.parse_hermit_runs(1, stdout, stderr, files=3, unsatisfiable=False)
    assert [v.consistent for v in verdicts] == [True, False]  # the third file was not read
    with pytest.raises(ReasonerUnavailable, match="exit 0"):  # a file with no verdict
        reason.parse_hermit_runs(0, stdout, "", files=2, unsatisfiable=False)


def test_an_inconsistent_input_is_exit_1_with_its_exception() -> None:
    stderr = (
        'Exception in thread "main" org.semanticweb.owlapi.reasoner.'
        "InconsistentOntologyException: Inconsistent ontology\n"
        "\tat org.semanticweb.HermiT.Reasoner.checkPreConditions(Unknown Source)\n"
    )
    assert not reason.parse_hermit_output(1, "", stderr, unsatisfiable=True).consistent


def test_a_load_failure_exits_0_and_is_not_taken_for_a_verdict() -> None:
    stderr = (
        "It all went pear-shaped: /tmp/x.nt (No such file or directory)\n"
        "org.semanticweb.owlapi.io.OWLOntologyCreationIOException: /tmp/x.nt (No such file)\n"
        "\tat uk.ac.manchester.cs.owl.owlapi.ParsableOWLOntologyFactory.load(X.java:214)\n"
    )
    with pytest.raises(ReasonerUnavailable, match=r"exit 0\): It all went pear-shaped") as err:
        reason.parse_hermit_output(0, "", stderr, unsatisfiable=False)
    assert "\tat " not in str(err.value) and "ParsableOWLOntologyFactory" not in str(err.value)


def test_a_java_error_gives_hermits_message_without_the_trace() -> None:
    stderr = (
        'Exception in thread "main" org.semanticweb.HermiT.datatypes.'
        "UnsupportedDatatypeException: Literals can only use the datatypes from the OWL 2\n"
        "The datatype 'http://www.w3.org/2001/XMLSchema#gYear' is not part of the map.\n"
        "\tat org.semanticweb.HermiT.datatypes.DatatypeRegistry.parseLiteral(Unknown Source)\n"
    )
    with pytest.raises(ReasonerUnavailable) as err:
        reason.parse_hermit_output(1, "", stderr, unsatisfiable=True)
    message = str(err.value)
    assert message.startswith("HermiT failed to run (exit 1): UnsupportedDatatypeException: ")
    assert "XMLSchema#gYear" in message and "DatatypeRegistry" not in message


def test_an_unsupported_datatype_fails_with_hermits_message(model: tuple[Graph, Graph]) -> None:
    """One real run: HermiT refuses an xsd:gYear value of a data property."""
    data = Graph()
    data.add((EX.p, RDF.type, OWL.DatatypeProperty))
    data.add((EX.a, EX.p, Literal("2020", datatype=XSD.gYear)))
    with pytest.raises(ReasonerUnavailable, match=r"UnsupportedDatatypeException: .*gYear"):
        reason.check(*model, data)


def test_require_ok_names_the_inconsistent_studies() -> None:
    report = reason.ReasonerReport(False, inconsistent_modules=["https://w3id.org/x/study/a"])
    with pytest.raises(ReasonerError, match=r"inconsistent; in the data of .*/study/a$"):
        reason.require_ok(report)


# ---------------------------------------------------------------------------------------------
# The guard
# ---------------------------------------------------------------------------------------------


def test_modules_apart_are_exact_for_the_rsme_ontology(
    model: tuple[Graph, Graph], corpus: Graph
) -> None:
    parts = _cut(model, corpus)
    assert len(parts.modules) == 48
    assert reason.modular_exact(*model, parts) is None


def _two_modules_through_an_agent(p: URIRef) -> Graph:
    """Two records (one per module) that point at one shared agent with `p`."""
    data = Graph()
    data.add((EX.agent, RDF.type, PROV.Agent))  # a shared node (kg/modules.py SHARED_TYPES)
    data.add((EX.study1, RDF.type, RSME.Study))
    data.add((EX.study1, p, EX.agent))
    data.add((EX.code2, RDF.type, RSME.Code))
    data.add((EX.code2, p, EX.agent))
    return data


def _with_axioms(model: tuple[Graph, Graph], axioms: Graph) -> tuple[Graph, Graph]:
    return model[0] + axioms, model[1]


def _axioms(*triples: Triple) -> Graph:
    g = Graph()
    for triple in triples:
        g.add(triple)
    return g


def _restriction(g: Graph, on: URIRef | BNode, kind: URIRef, value: object) -> BNode:
    node = BNode()
    g.add((node, RDF.type, OWL.Restriction))
    g.add((node, OWL.onProperty, on))
    g.add((node, kind, value if isinstance(value, (URIRef, BNode)) else Literal(value)))
    return node


def _inverse(g: Graph, p: URIRef) -> BNode:
    node = BNode()
    g.add((node, OWL.inverseOf, p))
    return node


def _refusals() -> Iterator[tuple[str, Callable[[], Graph], str]]:
    """(name, extra axioms for the ontology, a word the reason must hold)."""
    p = EX.madeBy

    def declared(*kinds: URIRef) -> Graph:
        return _axioms(*((p, RDF.type, k) for k in (OWL.ObjectProperty, *kinds)))

    yield "inverse-functional", lambda: declared(OWL.InverseFunctionalProperty), "inverse-func"

    def inverse_functional_super() -> Graph:
        g = declared()
        g.add((EX.madeBySuper, RDF.type, OWL.InverseFunctionalProperty))
        g.add((p, RDFS.subPropertyOf, EX.madeBySuper))
        return g

    yield "inverse-functional super-property", inverse_functional_super, "madeBySuper"

    def functional_inverse() -> Graph:
        g = declared()
        g.add((EX.made, RDF.type, OWL.FunctionalProperty))
        g.add((EX.made, OWL.inverseOf, p))
        return g

    yield "functional inverse", functional_inverse, "made is functional"

    def max_on_inverse() -> Graph:
        g = declared()
        g.add((PROV.Agent, RDFS.subClassOf, _restriction(g, _inverse(g, p), OWL.maxCardinality, 1)))
        return g

    yield "max cardinality over the inverse", max_on_inverse, "cardinality"

    def all_values_on_inverse() -> Graph:
        g = declared()
        g.add(
            (
                PROV.Agent,
                RDFS.subClassOf,
                _restriction(g, _inverse(g, p), OWL.allValuesFrom, RSME.Study),
            )
        )
        return g

    yield "allValuesFrom over the inverse", all_values_on_inverse, "allValuesFrom"

    def range_not_stated() -> Graph:
        g = declared()
        g.add((p, RDFS.range, RSME.Factor))
        return g

    yield "a range the shared node is not stated to have", range_not_stated, "forces class"

    def chain() -> Graph:
        g = declared()
        head = BNode()
        Collection(g, head, [p, EX.knows])
        g.add((EX.related, OWL.propertyChainAxiom, head))
        return g

    yield "property chain", chain, "property chain"

    def transitive() -> Graph:
        return declared(OWL.TransitiveProperty)

    yield "transitive", transitive, "transitive"

    def key() -> Graph:
        g = declared()
        head = BNode()
        Collection(g, head, [RSME.quote])
        g.add((RSME.Code, OWL.hasKey, head))
        return g

    yield "key", key, "hasKey"


@pytest.mark.parametrize("name,axioms,word", list(_refusals()), ids=[r[0] for r in _refusals()])
def test_the_guard_refuses_what_lets_modules_meet(
    model: tuple[Graph, Graph], name: str, axioms: Callable[[], Graph], word: str
) -> None:
    data = _two_modules_through_an_agent(EX.madeBy)
    changed = _with_axioms(model, axioms())
    parts = _cut(changed, data)
    assert len(parts.modules) == 2
    assert reason.modular_exact(*model, _cut(model, data)) is None  # the plain ontology: exact
    why = reason.modular_exact(*changed, parts)
    assert why is not None and word in why, why


def test_the_guard_refuses_data_that_would_merge_shared_nodes(
    model: tuple[Graph, Graph], corpus: Graph
) -> None:
    """rsme:codesFactor is functional: a code with two factors equates them for every study."""
    code = next(corpus.subjects(RSME.codesFactor, None))
    factors = sorted(set(model[1].subjects(RDF.type, RSME.Factor)), key=str)
    other = next(f for f in factors if (code, RSME.codesFactor, f) not in corpus)
    changed = Graph() + corpus
    changed.add((code, RSME.codesFactor, other))
    why = reason.modular_exact(*model, _cut(model, changed))
    assert why is not None and "would be merged" in why and str(other) in why


def test_the_guard_refuses_a_module_node_that_may_be_a_named_individual(
    model: tuple[Graph, Graph], corpus: Graph
) -> None:
    """A direction that is no listed value (EX.sideways) must equal one of the five."""
    code = next(corpus.subjects(RSME.direction, None))
    changed = Graph() + corpus
    changed.remove((code, RSME.direction, None))
    changed.add((code, RSME.direction, EX.sideways))
    why = reason.modular_exact(*model, _cut(model, changed))
    assert why is not None and "named individual" in why and "sideways" in why


@pytest.mark.parametrize("kind", ["inverse-functional", "range"])
def test_modules_consistent_apart_but_not_together_are_reasoned_over_whole(
    model: tuple[Graph, Graph], tmp_path: Path, kind: str, jvm: Cache
) -> None:
    """Hand-worked: with ex:madeBy inverse-functional, study1 and code2 made by one agent are
    one individual, a study and a code (disjoint classes): inconsistent. With ranges Factor
    and Outcome (disjoint) on two properties to one agent, the agent is both: inconsistent.
    Each module alone is consistent."""
    extra = Graph()
    if kind == "inverse-functional":
        extra.add((EX.madeBy, RDF.type, OWL.ObjectProperty))
        extra.add((EX.madeBy, RDF.type, OWL.InverseFunctionalProperty))
        data = _two_modules_through_an_agent(EX.madeBy)
    else:
        for p, cls in ((EX.usesFactor, RSME.Factor), (EX.usesOutcome, RSME.Outcome)):
            extra.add((p, RDF.type, OWL.ObjectProperty))
            extra.add((p, RDFS.range, cls))
        data = Graph()
        data.add((EX.agent, RDF.type, PROV.Agent))
        data.add((EX.study1, EX.usesFactor, EX.agent))
        data.add((EX.study2, EX.usesOutcome, EX.agent))
    changed = _with_axioms(model, extra)
    parts = _cut(changed, data)
    assert len(parts.modules) == 2
    for module in parts.modules:  # apart: consistent
        assert reason.check(*changed, module.graph(), cache=jvm).consistent
    report = reason.check_partition(*changed, parts, Cache.at(tmp_path), corpus=data)
    assert not report.consistent
    assert not report.modular and report.whole_reason is not None
    assert report.runs == 1


# ---------------------------------------------------------------------------------------------
# Modular == whole, with random inconsistencies
# ---------------------------------------------------------------------------------------------


def _nodes_of(module: Module, cls: URIRef) -> list[URIRef]:
    return sorted(
        (s for s, p, o in module.triples if p == RDF.type and o == cls and isinstance(s, URIRef)),
        key=str,
    )


def _break(module: Module, corpus: Graph, rng: random.Random) -> list[Triple]:
    """Triples that make the module inconsistent by itself (each hand-checked against the
    ontology), chosen at random among what the module has."""
    study = URIRef(module.key)
    options: list[list[Triple]] = [[(study, RDF.type, RSME.Code)]]  # Study, Code disjoint
    codes = _nodes_of(module, RSME.Code)
    if codes:
        code = rng.choice(codes)
        now = corpus.value(code, RSME.direction)
        other = next(d for d in (RSME.driver, RSME.barrier) if d != now)
        options.append([(code, RSME.direction, other), (code, RSME.direction, RSME.moderator)])
        options.append([(code, RSME.basis, RSME.driver)])  # a direction is no Basis
    decisions = _nodes_of(module, RSME.ScreeningDecision)
    if decisions and corpus.value(decisions[0], RSME.decision) == RSME.included:
        # an included study has no exclusion reason
        options.append([(decisions[0], RSME.exclusionReason, RSME["out-of-scope"])])
    answers = _nodes_of(module, RSME.AppraisalAnswer)
    if answers:  # criterion is 1..10
        options.append([(rng.choice(answers), RSME.criterion, Literal(11, datatype=XSD.integer))])
    return rng.choice(options)


def test_modular_verdict_equals_the_whole_corpus_verdict_with_random_inconsistencies(
    model: tuple[Graph, Graph], corpus: Graph, tmp_path: Path, jvm: Cache
) -> None:
    rng = random.Random(13)
    cache = Cache.at(tmp_path / "cache")
    base = _cut(model, corpus)
    for trial in range(4):
        broken = rng.sample(list(base.modules), k=trial % 3)  # 0, 1, 2, 0 broken modules
        changed = Graph() + corpus
        for module in broken:
            for triple in _break(module, corpus, rng):
                changed.add(triple)
        parts = _cut(model, changed)
        modular = reason.check_partition(*model, parts, cache, corpus=changed)
        whole = reason.check(*model, changed, cache=jvm)
        assert modular.modular, modular.whole_reason
        assert modular.consistent == whole.consistent == (not broken)
        assert modular.inconsistent_modules == sorted(m.key for m in broken)
        assert modular.unsatisfiable == whole.unsatisfiable == []


def test_the_study_and_code_fixture_fails_module_by_module(
    model: tuple[Graph, Graph], tmp_path: Path
) -> None:
    """The inconsistent fixture of tests/test_reason.py, as a corpus of one module."""
    broken = Graph()
    broken.add((EX.thing, RDF.type, RSME.Study))
    broken.add((EX.thing, RDF.type, RSME.Code))
    report = reason.check_partition(*model, _cut(model, broken), Cache(None), corpus=broken)
    assert report.modular and not report.consistent
    assert report.inconsistent_modules == [str(EX.thing)]
    with pytest.raises(ReasonerError, match="test#thing"):
        reason.require_ok(report)


# ---------------------------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------------------------


def test_an_unchanged_corpus_starts_no_jvm_and_one_edit_rechecks_one_module(
    model: tuple[Graph, Graph], corpus: Graph, tmp_path: Path, launches: list[list[str]]
) -> None:
    cache = Cache.at(tmp_path / "cache")
    parts = _cut(model, corpus)
    first = reason.check_partition(*model, parts, cache, corpus=corpus)
    assert first.ok and first.modular and first.modules_checked == 48
    assert len(launches) == first.runs == 1  # cold: model and all modules in one run
    assert any(a.startswith("-XX:AOTCacheOutput=") for a in launches[0])  # records the AOT

    second = reason.check_partition(*model, _cut(model, corpus), cache, corpus=corpus)
    assert second.ok and second.runs == 0 and second.modules_cached == 48
    assert len(launches) == 1  # no JVM

    code = next(corpus.subjects(RSME.direction, RSME.driver))
    edited = Graph() + corpus
    edited.remove((code, RSME.direction, RSME.driver))
    edited.add((code, RSME.direction, RSME.barrier))
    third = reason.check_partition(*model, _cut(model, edited), cache, corpus=edited)
    assert third.ok and third.modules_checked == 1 and third.modules_cached == 47
    assert len(launches) == 2
    assert any(a.startswith("-XX:AOTCache=") for a in launches[1])  # and uses it
    assert "-k" in launches[1] and "-U" not in launches[1]  # modules: consistency only


def test_an_edited_annotation_needs_no_new_verdict_but_an_edited_quote_does(
    model: tuple[Graph, Graph], corpus: Graph, tmp_path: Path, launches: list[list[str]]
) -> None:
    """OWL 2 gives annotation assertions (a code's note, a study's title) no meaning, so a
    module whose only change is one keeps its verdict; a data property (rsme:quote) does not."""
    cache = Cache.at(tmp_path / "cache")
    reason.check_partition(*model, _cut(model, corpus), cache, corpus=corpus)
    assert len(launches) == 1
    code = next(corpus.subjects(RSME.direction, RSME.driver))
    noted = Graph() + corpus
    noted.add((code, RDFS.comment, Literal("an editor's note, added")))
    study = next(corpus.objects(code, PROV.wasDerivedFrom))
    noted.set((study, DCTERMS.title, Literal("Another title altogether")))
    after_note = reason.check_partition(*model, _cut(model, noted), cache, corpus=noted)
    assert after_note.ok and after_note.runs == 0 and after_note.modules_cached == 48
    assert len(launches) == 1  # no JVM
    quoted = Graph() + noted
    quoted.set((code, RSME.quote, Literal("a quote edited")))
    after_quote = reason.check_partition(*model, _cut(model, quoted), cache, corpus=quoted)
    assert after_quote.ok and after_quote.modules_checked == 1
    assert len(launches) == 2


def test_no_cache_means_no_aot_file(model: tuple[Graph, Graph], launches: list[list[str]]) -> None:
    data = Graph()
    data.add((EX.s, RDF.type, RSME.Study))
    report = reason.check_partition(*model, _cut(model, data), Cache(None), corpus=data)
    assert report.ok and report.runs == 1
    assert not any("AOT" in a for a in launches[0])
    assert "-XX:TieredStopAtLevel=1" in launches[0]  # C1 only: faster at every size


def _fake_java(folder: Path, script: str) -> Path:
    java = folder / "java"
    java.write_text("#!/bin/sh\n" + script)
    java.chmod(0o755)
    return java


# how older javas refuse a flag: JDK 9-24 (no AOT cache), JDK 8 (no -Xlog, no AOT)
REFUSALS = {
    "jdk-9-to-24": ("-XX:AOT*", "Unrecognized VM option '${a#-XX:}'"),
    "jdk-8": (
        "-Xlog*",
        "Unrecognized option: $a\nError: Could not create the Java Virtual Machine.",
    ),
}


@pytest.mark.parametrize("java_kind", sorted(REFUSALS))
def test_a_java_that_refuses_the_fast_flags_runs_plainly_and_is_remembered(
    model: tuple[Graph, Graph], tmp_path: Path, launches: list[list[str]], java_kind: str
) -> None:
    """An older java refuses -XX:AOTCacheOutput (or -Xlog): the run is repeated at once with
    owlready2's flags, and the cache remembers it."""
    real = reason.java_executable(reason.BUNDLED)
    pattern, message = REFUSALS[java_kind]
    script = (
        f'for a in "$@"; do case "$a" in {pattern}) '
        f'printf "{message}\\n" >&2; exit 1;; esac; done\n'
        f'exec "{real}" "$@"\n'
    )
    java = _fake_java(tmp_path, script)
    cache = Cache.at(tmp_path / "cache")
    data = Graph()
    data.add((EX.s, RDF.type, RSME.Study))
    assert reason.check_partition(*model, _cut(model, data), cache, java=str(java)).ok
    assert len(launches) == 2  # the refused try, then the plain run
    assert launches[1][1:3] == ["-Xmx2000M", "-cp"]  # owlready2's flags
    data.add((EX.s2, RDF.type, RSME.Code))
    assert reason.check_partition(*model, _cut(model, data), cache, java=str(java)).ok
    assert len(launches) == 3 and launches[2][1:3] == ["-Xmx2000M", "-cp"]


def test_a_run_that_fails_caches_no_verdict(model: tuple[Graph, Graph], tmp_path: Path) -> None:
    java = _fake_java(tmp_path, 'echo "It all went pear-shaped: boom" >&2\nexit 0\n')
    cache = Cache.at(tmp_path / "cache")
    data = Graph()
    data.add((EX.s, RDF.type, RSME.Study))
    with pytest.raises(ReasonerUnavailable, match="pear-shaped: boom"):
        reason.check_partition(*model, _cut(model, data), cache, java=str(java), corpus=data)
    verdicts = (reason.KIND_MODEL, reason.KIND_MODULE, reason.KIND_WHOLE)
    stored = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not [p for p in stored if any(k in p.parts for k in verdicts)]


def test_modules_in_several_files_find_the_inconsistent_one_and_cache_the_rest(
    model: tuple[Graph, Graph],
    corpus: Graph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    launches: list[list[str]],
) -> None:
    """Small files (a few modules each): the model's run beside the modules' run; HermiT stops
    at the file with the broken study, which is bisected, then goes on with the files after."""
    monkeypatch.setattr(reason, "CHUNK_TRIPLES", 600)
    cache = Cache.at(tmp_path / "cache")
    victim = _cut(model, corpus).modules[20]
    broken = Graph() + corpus
    broken.add((URIRef(victim.key), RDF.type, RSME.Code))  # Study and Code are disjoint
    report = reason.check_partition(*model, _cut(model, broken), cache, corpus=broken)
    assert not report.consistent and report.inconsistent_modules == [victim.key]
    assert report.modular and report.modules_checked == 48
    files = [sum(a.endswith(".nt") for a in args) for args in launches]
    assert max(files) > 3  # several files in one JVM
    assert any("-U" in args and files[i] == 1 for i, args in enumerate(launches))  # the model
    # fixed: only the victim is checked again, the others' verdicts were cached
    launches.clear()
    again = reason.check_partition(*model, _cut(model, corpus), cache, corpus=corpus)
    assert again.ok and again.modules_checked == 1 and len(launches) == 1
