"""`rsme-kg link`: candidate mappings from a vocabulary file, and their review.

The vocabulary of tests/data/link is synthetic (https://example.org/vocab/); the candidates it
must give against tests/data/link/taxonomy.ttl are worked out by hand in its header.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS
from typer.testing import CliRunner

from kg import paths
from kg.build import parse_turtle, vocabulary_of
from kg.cli import app
from kg.errors import InputError, InputErrors
from kg.interchange.taxonomy import load_taxonomy
from kg.link.candidate_file import CHOSEN_PREDICATE, DECISION, RANK, provenance
from kg.link.candidates import load_subjects, propose
from kg.link.curator import parse_curator
from kg.link.vocabulary import read_vocabulary
from kg.sssom import mapping_triples, read_sssom, sssom_bytes

HERE = Path(__file__).parent / "data" / "link"
TAXONOMY = HERE / "taxonomy.ttl"
VOCAB = "https://example.org/vocab/"
FORMATS = ["vocabulary.ttl", "vocabulary.rdf", "vocabulary.nt", "vocabulary.jsonld"]
ORCID = "orcid:0000-0002-1825-0097"  # the ORCID documentation's example iD (valid checksum)
runner = CliRunner()

# (subject, object, skos:*Match, confidence, similarity, rank/of, our field/their field
# (skos:*Label or rdfs:label), match string): worked out in tests/data/link/vocabulary.ttl
EXPECTED = [
    ("category:human-capital", "c01", "exact", 0.95, 1.0, "1/2", "pref/pref", "human capital"),
    ("category:human-capital", "c09", "close", 0.722, 0.963, "2/2", "pref/pref", "human"),
    ("category:social-capital", "c04", "exact", 0.95, 1.0, "1/2", "pref/pref", "سرمایه اجتماعی"),
    ("category:social-capital", "c03", "close", 0.8, 1.0, "2/2", "alt/alt", "social ties"),
    (
        "factor:business-networking",
        "c05",
        "exact",
        0.95,
        1.0,
        "1/2",
        "pref/pref",
        "شبکه سازی تجاری",
    ),
    (
        "factor:business-networking",
        "c06",
        "close",
        0.75,
        1.0,
        "2/2",
        "pref/pref",
        "business networking",
    ),
    ("factor:cooperatives", "c02", "close", 0.85, 1.0, "1/1", "alt/pref", "cooperatives"),
    ("factor:globalization", "c12", "exact", 0.95, 1.0, "1/1", "pref/label", "globalization"),
    (
        "outcome:internationalization",
        "c11",
        "close",
        0.85,
        1.0,
        "1/1",
        "alt/pref",
        "internationalisation",
    ),
    (
        "outcome:rural-development",
        "c07",
        "close",
        0.654,
        0.872,
        "1/1",
        "pref/pref",
        "rural development",
    ),
]


def _field(curie: str) -> str:
    return curie.split(":")[1].removesuffix("Label")


def _rows(candidates: list) -> list[tuple]:
    return [
        (
            c.subject.id,
            c.object.iri.removeprefix(VOCAB),
            c.predicate.removeprefix("skos:").removesuffix("Match"),
            c.confidence,
            c.similarity,
            f"{c.rank}/{c.of}",
            f"{_field(c.subject_field)}/{_field(c.object_field)}",
            c.match_string,
        )
        for c in candidates
    ]


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


# ------------------------------------------------------------------------- reading vocabularies


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_same_concepts(name: str) -> None:
    turtle = read_vocabulary(HERE / "vocabulary.ttl")
    other = read_vocabulary(HERE / name)
    assert other.concepts == turtle.concepts
    assert other.triples == turtle.triples
    assert (other.ontologies, other.schemes) == (
        (VOCAB + "ontology",),
        (VOCAB + "other", VOCAB + "scheme"),
    )
    assert other.deprecated == {VOCAB + "c10"}
    # concepts: typed skos:Concept / owl:Class; the schemes and the blank node are not
    assert sorted(other.concepts) == [f"{VOCAB}c{n:02d}" for n in range(1, 14)]


def test_a_gzipped_file_is_read_as_its_format(tmp_path: Path) -> None:
    packed = tmp_path / "vocabulary.nt.gz"
    packed.write_bytes(gzip.compress((HERE / "vocabulary.nt").read_bytes()))
    assert read_vocabulary(packed).concepts == read_vocabulary(HERE / "vocabulary.nt").concepts


def test_labels_are_kept_only_in_the_languages_asked_for() -> None:
    vocab = read_vocabulary(HERE / "vocabulary.ttl", langs=["en"])
    c01 = vocab.concepts[VOCAB + "c01"]
    assert [(lab.text, lab.lang) for lab in c01.labels] == [("Human capital", "en")]
    # pyoxigraph writes language tags in lower case
    assert [lab.lang for lab in vocab.concepts[VOCAB + "c09"].labels] == ["en-gb"]
    assert vocab.concepts[VOCAB + "c05"].labels == ()  # Persian only
    # an untagged label has no known language: it is kept for every language
    assert [lab.text for lab in vocab.concepts[VOCAB + "c12"].labels] == ["Globalization"]


def test_a_syntax_error_says_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<https://example.org/vocab/a> skos:prefLabel "A"@en .\n'
        '<https://example.org/vocab/b> skos:prefLabel "B"@en\n'
        "<https://example.org/vocab/c> a skos:Concept .\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_vocabulary(bad)
    assert (caught.value.location.file, caught.value.location.line) == (bad, 4)
    assert caught.value.location.column == 1
    assert "not valid Turtle" in str(caught.value)


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "vocabulary.txt"
    odd.write_text("nothing", encoding="utf-8")
    with pytest.raises(InputError, match="unknown vocabulary format"):
        read_vocabulary(odd)


def test_a_large_ntriples_file_is_read_as_a_stream(tmp_path: Path) -> None:
    # 50,000 concepts of 4 triples each (200,000 triples), one of them a match
    big = tmp_path / "big.nt.gz"
    skos = "http://www.w3.org/2004/02/skos/core#"
    with gzip.open(big, "wt", encoding="utf-8") as out:
        for n in range(50_000):
            iri = f"<{VOCAB}big/t{n}>"
            label = "Human capital" if n == 31_337 else f"zq{n:05d} xv{n % 97}"
            out.write(
                f"{iri} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{skos}Concept> .\n"
            )
            out.write(f"{iri} <{skos}inScheme> <{VOCAB}big> .\n")
            out.write(f'{iri} <{skos}prefLabel> "{label}"@en .\n')
            out.write(f'{iri} <{skos}altLabel> "alt {n}"@de .\n')
    vocab = read_vocabulary(big)
    assert (vocab.triples, len(vocab.concepts)) == (200_000, 50_000)
    found = propose(load_subjects(TAXONOMY), vocab)
    assert [(c.subject.id, c.object.iri, c.predicate) for c in found] == [
        ("category:human-capital", f"{VOCAB}big/t31337", "skos:exactMatch")
    ]


# ------------------------------------------------------------------------------- subjects


def test_the_subjects_are_every_factor_category_and_outcome_of_the_taxonomy() -> None:
    subjects = {s.id for s in load_subjects()}
    taxonomy = load_taxonomy()
    outcomes = vocabulary_of(parse_turtle(paths.TAXONOMY_FILE)).outcomes
    assert subjects == (
        {f"factor:{f.id}" for f in taxonomy.factors}
        | {f"category:{c.id}" for c in taxonomy.categories}
        | {f"outcome:{o}" for o in outcomes}
    )


def test_a_method_is_not_a_subject() -> None:
    assert all(not s.id.startswith("method:") for s in load_subjects(TAXONOMY))


# ------------------------------------------------------------------------------- matching


@pytest.mark.parametrize("name", FORMATS)
def test_the_candidates_are_the_hand_worked_ones(name: str) -> None:
    found = propose(load_subjects(TAXONOMY), read_vocabulary(HERE / name))
    assert _rows(found) == EXPECTED


def test_english_only_loses_the_persian_matches() -> None:
    found = propose(load_subjects(TAXONOMY), read_vocabulary(HERE / "vocabulary.ttl"), ["en"])
    expected = [r for r in EXPECTED if r[1] not in ("c04", "c05")]
    # the subjects that lost their best candidate rank the rest from 1 again
    expected = [(*r[:5], "1/1", *r[6:]) if r[1] in ("c03", "c06") else r for r in expected]
    assert _rows(found) == expected


def test_labels_meet_only_within_one_language() -> None:
    # c13 has "Human capital"@de: with German asked for too it is read, and still meets nothing
    vocab = read_vocabulary(HERE / "vocabulary.ttl", ["en", "de"])
    assert ("Human capital", "de") in [
        (lab.text, lab.lang) for lab in vocab.concepts[VOCAB + "c13"].labels
    ]
    found = propose(load_subjects(TAXONOMY), vocab, ["en", "de"])
    assert _rows(found) == _rows(propose(load_subjects(TAXONOMY), vocab, ["en"]))
    assert VOCAB + "c13" not in {c.object.iri for c in found}


def test_a_scheme_keeps_only_its_concepts() -> None:
    vocab = read_vocabulary(HERE / "vocabulary.ttl")
    found = propose(load_subjects(TAXONOMY), vocab, scheme=VOCAB + "scheme")
    # c11 is in vocab:other; c12, an owl:Class, is in no scheme
    assert _rows(found) == [r for r in EXPECTED if r[1] not in ("c11", "c12")]


def test_a_lower_threshold_lets_the_near_miss_in() -> None:
    vocab = read_vocabulary(HERE / "vocabulary.ttl")
    found = propose(load_subjects(TAXONOMY), vocab, threshold=0.84)
    rural = [r for r in _rows(found) if r[0] == "outcome:rural-development"]
    assert rural == [
        (
            "outcome:rural-development",
            "c07",
            "close",
            0.654,
            0.872,
            "1/2",
            "pref/pref",
            "rural development",
        ),
        ("outcome:rural-development", "c08", "close", 0.636, 0.848, "2/2", "pref/pref", "rural"),
    ]


def test_decided_pairs_are_not_proposed_again() -> None:
    vocab = read_vocabulary(HERE / "vocabulary.ttl")
    decided = {("https://w3id.org/rsme-kg/id/category/human-capital", VOCAB + "c01")}
    found = propose(load_subjects(TAXONOMY), vocab, decided=decided)
    assert [r[1] for r in _rows(found) if r[0] == "category:human-capital"] == ["c09"]


# ------------------------------------------------------------------------- the candidate file


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    """A folder with the vocabulary, a copy of the curated mappings and a candidate file."""
    shutil.copy(HERE / "vocabulary.ttl", tmp_path / "vocabulary.ttl")
    shutil.copy(paths.MAPPINGS_FILE, tmp_path / "mappings.sssom.tsv")
    code, out = run(
        "link",
        tmp_path / "vocabulary.ttl",
        "--taxonomy",
        TAXONOMY,
        "--mappings",
        tmp_path / "mappings.sssom.tsv",
        "--out",
        tmp_path / "review" / "candidates.sssom.tsv",
    )
    assert code == 0, out
    return tmp_path


def test_the_candidate_file_holds_the_candidates_and_where_they_came_from(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    found = read_sssom(path)
    assert [(m.subject_id, m.object_id, m.predicate_id) for m in found.mappings] == [
        (s, f"vocab:{o}", f"skos:{p}Match") for s, o, p, *_ in EXPECTED
    ]
    first = found.mappings[0]
    assert first.mapping_justification == "semapv:LexicalMatching"
    assert first.subject_match_field == first.object_match_field == ("skos:prefLabel",)
    assert (first.match_string, first.confidence, first.similarity_score) == (
        ("human capital",),
        0.95,
        1.0,
    )
    assert first.mapping_tool is not None and first.mapping_tool.startswith("rsme-kg link ")
    assert (first.object_source, first.subject_source) == ("vocab:ontology", "scheme:factors")
    assert first.extra == {DECISION: "", CHOSEN_PREDICATE: "", RANK: "1"}
    assert found.metadata["curie_map"]["vocab"] == VOCAB
    recorded = provenance(found, path)
    assert recorded.file == path.parent / "../vocabulary.ttl"
    digest = hashlib.sha256((work / "vocabulary.ttl").read_bytes()).hexdigest()
    assert recorded.sha256 == digest
    assert sssom_bytes(found) == path.read_bytes()  # the project's reader and writer agree


def test_the_candidate_file_is_valid_for_sssom_py(
    work: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    with caplog.at_level(logging.WARNING):
        parsed = parse_sssom_table(work / "review" / "candidates.sssom.tsv")
    assert len(parsed.df) == len(EXPECTED)
    for report in validate(parsed, fail_on_error=False).values():
        assert report.results == []
    # sssom-py warns only that it ignores the declared extension columns
    unexpected = [r.message for r in caplog.records if "No attr for" not in r.message]
    assert unexpected == []
    assert parsed.metadata["extension_definitions"][0]["slot_name"] == DECISION


def test_link_help_shows_both_forms() -> None:
    code, out = run("link", "--help")
    assert code == 0
    assert "rsme-kg link VOCABULARY [OPTIONS]" in out
    assert "rsme-kg link review FILE --curator ID" in out


def test_options_may_come_before_the_vocabulary(tmp_path: Path) -> None:
    out = tmp_path / "c.sssom.tsv"
    code, text = run(
        "link", "--lang", "en", "--taxonomy", TAXONOMY, HERE / "vocabulary.nt", "--out", out
    )
    assert code == 0, text
    assert len(read_sssom(out).mappings) == len(EXPECTED) - 2  # the Persian ones


def test_link_on_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, out = run("link", tmp_path / "nothing.ttl", "--out", tmp_path / "c.sssom.tsv")
    assert code == 2
    assert "nothing.ttl" in out and "cannot read the file" in out


def test_link_does_not_overwrite_decisions(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c01": ("accept", "")})
    before = path.read_bytes()
    code, out = run("link", work / "vocabulary.ttl", "--taxonomy", TAXONOMY, "--out", path)
    assert code == 2
    assert "holds review decisions" in out
    assert path.read_bytes() == before


# ---------------------------------------------------------------------------------- review


def decide(path: Path, decisions: dict[str, tuple[str, str]]) -> None:
    """Fill the review cells of a candidate file as a person would in a spreadsheet."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    columns = lines[header].split("\t")
    for i in range(header + 1, len(lines)):
        cells = lines[i].split("\t")
        if len(cells) == len(columns) and cells[columns.index("object_id")] in decisions:
            decision, chosen = decisions[cells[columns.index("object_id")]]
            cells[columns.index(DECISION)] = decision
            cells[columns.index(CHOSEN_PREDICATE)] = chosen
            lines[i] = "\t".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def set_cell(path: Path, object_id: str, column: str, value: str) -> int:
    """Change one cell of the row of `object_id`; its file line (1-based)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    columns = lines[header].split("\t")
    for i in range(header + 1, len(lines)):
        cells = lines[i].split("\t")
        if len(cells) == len(columns) and cells[columns.index("object_id")] == object_id:
            cells[columns.index(column)] = value
            lines[i] = "\t".join(cells)
            path.write_text("\n".join(lines), encoding="utf-8")
            return i + 1
    raise AssertionError(f"no row for {object_id}")


def review(work: Path, *extra: str | Path, curator: str = ORCID) -> tuple[int, str]:
    return run(
        "link",
        "review",
        work / "review" / "candidates.sssom.tsv",
        "--curator",
        curator,
        "--mappings",
        work / "mappings.sssom.tsv",
        "--taxonomy",
        TAXONOMY,
        "--date",
        "2026-12-06",
        *extra,
    )


def column(name: str) -> int:
    """1-based column of a field in the candidate file."""
    from kg.link.candidate_file import COLUMNS

    return COLUMNS.index(name) + 1


def test_review_takes_accepted_and_rejected_rows_with_the_chosen_predicates(work: Path) -> None:
    before = read_sssom(work / "mappings.sssom.tsv").mappings
    decide(
        work / "review" / "candidates.sssom.tsv",
        {
            "vocab:c01": ("accept", ""),  # keeps the proposed exactMatch
            "vocab:c09": ("reject", ""),
            "vocab:c03": ("accept", "related"),
            "vocab:c12": ("Accept", "skos:closeMatch"),
            "vocab:c07": ("accept", "http://www.w3.org/2004/02/skos/core#broadMatch"),
        },
    )
    code, out = review(work)
    assert code == 0, out
    assert "4 accepted, 1 rejected, 0 already curated, 5 not decided" in out
    after = read_sssom(work / "mappings.sssom.tsv")
    new = [m for m in after.mappings if m not in before]
    assert sorted(
        (m.subject_id, m.predicate_id, m.predicate_modifier, m.object_id) for m in new
    ) == [
        ("category:human-capital", "skos:closeMatch", "Not", "vocab:c09"),
        ("category:human-capital", "skos:exactMatch", None, "vocab:c01"),
        ("category:social-capital", "skos:relatedMatch", None, "vocab:c03"),
        ("factor:globalization", "skos:closeMatch", None, "vocab:c12"),
        ("outcome:rural-development", "skos:broadMatch", None, "vocab:c07"),
    ]
    for m in new:
        assert m.mapping_justification == "semapv:ManualMappingCuration"
        assert m.author_id == (ORCID,)
        assert str(m.mapping_date) == "2026-12-06"
        assert m.confidence == 0.9
        assert m.object_source == "vocab:ontology"
    c01 = next(m for m in new if m.object_id == "vocab:c01")
    assert (c01.match_string, c01.subject_match_field) == (("human capital",), ("skos:prefLabel",))
    assert "semapv:LexicalMatching" in (c01.comment or "")
    assert set(before) <= set(after.mappings)  # nothing curated before is changed
    assert after.metadata["curie_map"]["orcid"] == "https://orcid.org/"
    # the build asserts the accepted mappings and no triple for the rejected one
    triples = set(mapping_triples(after))
    human = URIRef("https://w3id.org/rsme-kg/id/category/human-capital")
    assert (human, SKOS.exactMatch, URIRef(VOCAB + "c01")) in triples
    assert (human, SKOS.closeMatch, URIRef(VOCAB + "c09")) not in triples


def test_the_curated_file_stays_valid_for_sssom_py(work: Path) -> None:
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    decide(
        work / "review" / "candidates.sssom.tsv",
        {"vocab:c01": ("accept", ""), "vocab:c09": ("reject", "")},
    )
    assert review(work)[0] == 0
    parsed = parse_sssom_table(work / "mappings.sssom.tsv")
    for report in validate(parsed, fail_on_error=False).values():
        assert report.results == []
    rows = parsed.df.to_dict("records")
    negative = [r for r in rows if r["object_id"] == "vocab:c09"]
    assert [r["predicate_modifier"] for r in negative] == ["Not"]


def test_review_twice_changes_nothing(work: Path) -> None:
    decide(
        work / "review" / "candidates.sssom.tsv",
        {"vocab:c01": ("accept", ""), "vocab:c09": ("reject", "")},
    )
    assert review(work)[0] == 0
    once = (work / "mappings.sssom.tsv").read_bytes()
    code, out = run(
        "link",
        "review",
        work / "review" / "candidates.sssom.tsv",
        "--curator",
        ORCID,
        "--mappings",
        work / "mappings.sssom.tsv",
        "--taxonomy",
        TAXONOMY,
        "--date",
        "2027-01-31",  # another day: still the same decisions, nothing to add
    )
    assert code == 0, out
    assert "0 accepted, 0 rejected, 2 already curated" in out
    assert (work / "mappings.sssom.tsv").read_bytes() == once


def test_an_agent_of_coders_csv_may_curate(work: Path) -> None:
    decide(work / "review" / "candidates.sssom.tsv", {"vocab:c02": ("accept", "")})
    code, out = review(work, "--data", paths.ROOT / "data", curator="rsme-kg-editors")
    assert code == 0, out
    row = next(
        m for m in read_sssom(work / "mappings.sssom.tsv").mappings if m.object_id == "vocab:c02"
    )
    assert (row.author_id, row.author_label) == (("agent:rsme-kg-editors",), ("rsme-kg editors",))


def test_a_curator_is_an_orcid_with_its_checksum_or_a_known_agent(tmp_path: Path) -> None:
    assert parse_curator("https://orcid.org/0000-0002-1694-233x", tmp_path).iri == (
        "https://orcid.org/0000-0002-1694-233X"
    )
    for bad in ("orcid:0000-0002-1825-0098", "orcid:0000-0002-1825", "nobody"):
        with pytest.raises(InputError):
            parse_curator(bad, tmp_path)


def _unchanged_on_error(work: Path, *extra: str | Path, curator: str = ORCID) -> str:
    before = (work / "mappings.sssom.tsv").read_bytes()
    code, out = review(work, *extra, curator=curator)
    assert code == 2, out
    assert (work / "mappings.sssom.tsv").read_bytes() == before
    return out


def test_a_bad_orcid_checksum_is_refused(work: Path) -> None:
    decide(work / "review" / "candidates.sssom.tsv", {"vocab:c01": ("accept", "")})
    out = _unchanged_on_error(work, curator="orcid:0000-0002-1825-0098")
    assert "--curator" in out and "check digit is 8" in out


def test_an_object_not_in_the_vocabulary_is_refused(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c01": ("accept", ""), "vocab:c02": ("accept", "")})
    line = set_cell(path, "vocab:c02", "object_id", "vocab:c99")
    out = _unchanged_on_error(work)
    where = f"{path}, line {line}, column {column('object_id')}, field 'object_id'"
    assert where in out
    assert "vocab:c99" in out and "is not a concept of" in out


def test_a_changed_vocabulary_file_is_refused(work: Path) -> None:
    decide(work / "review" / "candidates.sssom.tsv", {"vocab:c01": ("accept", "")})
    with (work / "vocabulary.ttl").open("a", encoding="utf-8") as out:
        out.write("vocab:c14 a skos:Concept .\n")
    text = _unchanged_on_error(work)
    assert "SHA-256" in text and "vocabulary.ttl" in text


def test_another_vocabulary_file_is_refused(work: Path) -> None:
    decide(work / "review" / "candidates.sssom.tsv", {"vocab:c01": ("accept", "")})
    text = _unchanged_on_error(work, "--vocabulary", str(HERE / "vocabulary.nt"))
    assert "SHA-256" in text


def test_a_subject_not_in_the_taxonomy_is_refused(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c01": ("accept", "")})
    line = set_cell(path, "vocab:c01", "subject_id", "factor:no-such-factor")
    out = _unchanged_on_error(work)
    assert f"line {line}, column {column('subject_id')}, field 'subject_id'" in out
    assert "factor:no-such-factor is not a factor, category or outcome" in out


def test_unknown_decisions_and_predicates_are_refused(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c01": ("maybe", ""), "vocab:c02": ("accept", "similar")})
    out = _unchanged_on_error(work)
    assert f"column {column(DECISION)}, field 'decision': 'maybe' is not a decision" in out
    assert f"column {column(CHOSEN_PREDICATE)}, field 'chosen_predicate'" in out
    assert "'similar' is not a mapping predicate" in out


def test_a_second_exact_match_in_the_file_is_a_conflict(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c04": ("accept", ""), "vocab:c03": ("accept", "exact")})
    out = _unchanged_on_error(work)
    assert "a second exactMatch for category:social-capital: it already has one to vocab:c04" in out


def test_a_second_exact_match_beside_a_curated_one_is_a_conflict(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c01": ("accept", "")})
    assert review(work)[0] == 0
    decide(path, {"vocab:c01": ("accept", ""), "vocab:c09": ("accept", "exact")})
    out = _unchanged_on_error(work)
    assert "a second exactMatch" in out and "mappings.sssom.tsv, line" in out


def test_a_mapping_curated_with_another_predicate_is_a_conflict(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c12": ("accept", "close")})
    assert review(work)[0] == 0
    decide(path, {"vocab:c12": ("accept", "exact")})
    out = _unchanged_on_error(work)
    assert "are already mapped with skos:closeMatch" in out


def test_accepting_what_was_rejected_is_a_conflict(work: Path) -> None:
    path = work / "review" / "candidates.sssom.tsv"
    decide(path, {"vocab:c09": ("reject", "")})
    assert review(work)[0] == 0
    decide(path, {"vocab:c09": ("accept", "")})
    out = _unchanged_on_error(work)
    assert "the same mapping was rejected before" in out


def test_review_without_decisions_writes_nothing(work: Path) -> None:
    before = (work / "mappings.sssom.tsv").read_bytes()
    code, out = review(work)
    assert code == 0, out
    assert "10 not decided; the curated file is unchanged" in out
    assert (work / "mappings.sssom.tsv").read_bytes() == before


def test_review_needs_a_candidate_file(work: Path) -> None:
    with pytest.raises(InputErrors):
        read_sssom(HERE / "vocabulary.ttl")
    code, out = run(
        "link",
        "review",
        work / "mappings.sssom.tsv",
        "--curator",
        ORCID,
        "--mappings",
        work / "mappings.sssom.tsv",
    )
    assert code == 2
    assert "no decision column" in out


def test_reviewed_mappings_pass_the_build_checks_but_an_unverified_hand_row_does_not(
    tmp_path: Path,
) -> None:
    """The whole workflow: link, review, then the build's gates (QC and SHACL) on the result.

    A row taken in by review names its object_source (its object was found in the vocabulary
    file), so the verified-identifier check lets it pass; the same outside IRI written by hand,
    with no source, is refused by that check.
    """
    from dataclasses import replace

    from kg import pipeline
    from kg.sssom import with_mappings, write_sssom

    shutil.copy(HERE / "vocabulary.ttl", tmp_path / "vocabulary.ttl")
    curated = tmp_path / "mappings.sssom.tsv"
    shutil.copy(paths.MAPPINGS_FILE, curated)
    candidates = tmp_path / "candidates.sssom.tsv"
    code, out = run("link", tmp_path / "vocabulary.ttl", "--mappings", curated, "--out", candidates)
    assert code == 0, out
    decide(candidates, {"vocab:c01": ("accept", ""), "vocab:c12": ("accept", "close")})
    code, out = run("link", "review", candidates, "--curator", ORCID, "--mappings", curated)
    assert code == 0, out
    assert "2 accepted, 0 rejected" in out

    sources = pipeline.Sources(mappings=curated)
    outcome = pipeline.check(paths.ROOT / "data", sources, run_reasoner=False)
    assert outcome.qc == [] and outcome.validation.conforms
    human = URIRef("https://w3id.org/rsme-kg/id/category/human-capital")
    globalization = URIRef("https://w3id.org/rsme-kg/id/factor/globalization")
    links = set(outcome.result.mappings)
    assert (human, SKOS.exactMatch, URIRef(VOCAB + "c01")) in links
    assert (globalization, SKOS.closeMatch, URIRef(VOCAB + "c12")) in links

    mapping_set = read_sssom(curated)
    reviewed = next(m for m in mapping_set.mappings if m.object_id == "vocab:c12")
    by_hand = replace(reviewed, object_id="vocab:c02", object_source=None, object_label=None)
    write_sssom(with_mappings(mapping_set, [*mapping_set.mappings, by_hand]), curated)
    outcome = pipeline.check(paths.ROOT / "data", sources, run_reasoner=False)
    assert [f.check for f in outcome.qc] == ["unverified-mapping-violation"]
    assert [row["problem"] for row in outcome.qc[0].rows] == [
        f"skos:closeMatch <{VOCAB}c02> is not a verified identifier (shared/vocabularies.md)"
    ]
