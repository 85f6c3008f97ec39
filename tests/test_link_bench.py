"""The linking benchmark's own parts (bench/link_bench.py): sizes, the synthetic vocabulary and
its planted concepts, the check of a candidate file, and the text it writes. No command is
timed here: `rsme-kg link` is stood in for by the matching functions it calls."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import paths
from kg.interchange.matching import normalise
from kg.link.candidate_file import candidate_set
from kg.link.candidates import Subject, load_subjects, propose
from kg.link.vocabulary import PREF_LABEL, read_vocabulary
from kg.sssom import read_sssom, write_sssom

sys.path.insert(0, str(paths.ROOT / "bench"))

import link_bench as lb
import scale_bench

# small enough to cut the last made-up concept short; six planted: three pref, three alt
TRIPLES = 701
PLANTED = 6


@pytest.fixture(scope="module")
def subjects() -> list[Subject]:
    return load_subjects(paths.TAXONOMY_FILE, ("en", "fa"))


@pytest.fixture(scope="module")
def tiny(subjects: list[Subject], tmp_path_factory: pytest.TempPathFactory) -> lb.Synthetic:
    path = tmp_path_factory.mktemp("vocabulary") / "tiny.nt"
    return lb.write_vocabulary(path, TRIPLES, PLANTED, 1, subjects)


# --------------------------------------------------------------------------- sizes


def test_sizes_are_triples_smallest_first_each_once() -> None:
    assert lb.parse_triples("1M, 20k,20000,5000") == [5000, 20_000, 1_000_000]
    assert [lb.size_label(n) for n in lb.parse_triples("1234,250k,1M")] == ["1234", "250k", "1M"]


@pytest.mark.parametrize(
    ("text", "says"),
    [("ten", "not a number"), ("0", "whole number"), ("1.5", "whole number"), (",", "no size")],
)
def test_sizes_that_cannot_run_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(lb.BenchError, match=says):
        lb.parse_triples(text)


def test_the_gzip_size_is_one_of_the_sizes_the_largest_by_default() -> None:
    assert lb.gzip_size(None, [1000, 5000]) == 5000
    assert lb.gzip_size("1k", [1000, 5000]) == 1000
    assert lb.gzip_size(" ", [1000]) is None
    for wrong in ("2k", "1k,5k"):
        with pytest.raises(lb.BenchError, match="one of the sizes"):
            lb.gzip_size(wrong, [1000, 5000])


# --------------------------------------------------------------------------- the vocabulary


def test_a_respelt_label_differs_as_written_and_is_equal_once_normalised(
    subjects: list[Subject],
) -> None:
    pairs = lb.plantable(subjects)
    assert pairs
    for k in range(6):  # every case and spacing change
        for _, text in pairs:
            again = lb.respell(text, k)
            assert again != text
            assert normalise(again) == normalise(text)


def test_plantable_labels_belong_to_one_subject_each(subjects: list[Subject]) -> None:
    pairs = lb.plantable(subjects)
    assert len({s.id for s, _ in pairs}) == len(pairs)
    for subject, text in pairs:
        owners = {
            s.id
            for s in subjects
            if any(normalise(lab.text) == normalise(text) for lab in s.labels)
        }
        assert owners == {subject.id}


def test_the_vocabulary_holds_exactly_the_triples_asked_for(tiny: lb.Synthetic) -> None:
    quads = list(ox.parse(path=str(tiny.path), format=ox.RdfFormat.N_TRIPLES))
    assert len(quads) == TRIPLES == tiny.triples
    assert len(set(quads)) == TRIPLES  # no triple written twice
    assert {q.subject.value for q in quads} <= {
        lb.SCHEME,
        *(f"{lb.BASE}c{n}" for n in range(tiny.concepts)),
    }
    vocabulary = read_vocabulary(tiny.path)
    assert vocabulary.triples == TRIPLES
    assert len(vocabulary.concepts) == tiny.concepts
    assert vocabulary.schemes == (lb.SCHEME,)


@pytest.mark.parametrize("triples", [24, 25, 26, 27, 28, 29, 30, 1000])
def test_any_size_from_the_smallest_is_met_exactly(
    subjects: list[Subject], tmp_path: Path, triples: int
) -> None:
    # the smallest: the scheme's 3 triples and 3 + 4 + 3 + 4 + 3 + 4 of the planted concepts
    synthetic = lb.write_vocabulary(tmp_path / "v.nt", triples, PLANTED, 1, subjects)
    assert len(list(ox.parse(path=str(synthetic.path), format=ox.RdfFormat.N_TRIPLES))) == triples
    assert len(synthetic.planted) == PLANTED


def test_a_size_too_small_for_the_planted_concepts_is_refused(
    subjects: list[Subject], tmp_path: Path
) -> None:
    assert lb.min_triples(PLANTED) == 24
    with pytest.raises(lb.BenchError, match="ask for 24 or more"):
        lb.write_vocabulary(tmp_path / "v.nt", 23, PLANTED, 1, subjects)
    with pytest.raises(lb.BenchError, match="--planted"):
        lb.write_vocabulary(tmp_path / "v.nt", 10_000, len(lb.plantable(subjects)) + 1, 1, subjects)


def test_planted_concepts_carry_a_respelt_label_of_their_subject(
    tiny: lb.Synthetic, subjects: list[Subject]
) -> None:
    by_id = {s.id: s for s in subjects}
    vocabulary = read_vocabulary(tiny.path)
    assert len(tiny.planted) == PLANTED
    assert len({p.subject_id for p in tiny.planted}) == PLANTED
    assert [p.field == PREF_LABEL for p in tiny.planted] == [True, False] * (PLANTED // 2)
    for p in tiny.planted:
        subject = by_id[p.subject_id]
        assert subject.iri == p.subject_iri
        assert p.taxonomy_label in {lab.text for lab in subject.labels if lab.lang == "en"}
        assert p.label != p.taxonomy_label
        assert normalise(p.label) == normalise(p.taxonomy_label)
        concept = vocabulary.concepts[p.iri]
        assert (p.label, "en", p.field) in {
            (lab.text, lab.lang, lab.field) for lab in concept.labels
        }


def test_no_made_up_label_equals_a_taxonomy_label(
    tiny: lb.Synthetic, subjects: list[Subject]
) -> None:
    keys = lb.taxonomy_keys(subjects)
    planted = {p.iri for p in tiny.planted}
    vocabulary = read_vocabulary(tiny.path)
    made_up = [c for iri, c in vocabulary.concepts.items() if iri not in planted]
    assert len(made_up) == tiny.concepts - PLANTED
    for concept in made_up:
        assert not {normalise(lab.text) for lab in concept.labels} & keys


def test_the_same_arguments_write_the_same_bytes_plain_or_compressed(
    tiny: lb.Synthetic, subjects: list[Subject], tmp_path: Path
) -> None:
    again = lb.write_vocabulary(tmp_path / "again.nt", TRIPLES, PLANTED, 1, subjects)
    assert again.path.read_bytes() == tiny.path.read_bytes()
    assert again.planted == tiny.planted
    packed = lb.write_vocabulary(tmp_path / "again.nt.gz", TRIPLES, PLANTED, 1, subjects)
    copied = lb.gzip_copy(tiny.path, tmp_path / "copy.nt.gz")
    for gz in (packed.path, copied):
        assert gzip.decompress(gz.read_bytes()) == tiny.path.read_bytes()
        # the header: no flags (so no file name) and a modification time of 0
        assert gz.read_bytes()[3:8] == b"\x00" * 5
    assert lb.gzip_copy(tiny.path, tmp_path / "copy2.nt.gz").read_bytes() == copied.read_bytes()
    assert read_vocabulary(copied).concepts == read_vocabulary(tiny.path).concepts
    other = lb.write_vocabulary(tmp_path / "other.nt", TRIPLES, PLANTED, 2, subjects)
    assert other.path.read_bytes() != tiny.path.read_bytes()


# --------------------------------------------------------------------------- the check


def _candidate_file(tiny: lb.Synthetic, subjects: list[Subject], out: Path) -> Path:
    """What `rsme-kg link` writes, by the functions it calls."""
    vocabulary = read_vocabulary(tiny.path)
    found = propose(subjects, vocabulary)
    langs = ["en", "fa"]
    write_sssom(
        candidate_set(found, vocabulary, out, scheme=None, langs=langs, threshold=0.85), out
    )
    return out


def test_matching_proposes_every_planted_concept_and_the_check_says_so(
    tiny: lb.Synthetic, subjects: list[Subject], tmp_path: Path
) -> None:
    out = _candidate_file(tiny, subjects, tmp_path / "c.sssom.tsv")
    found = lb.planted_found(out, tiny.planted)
    assert found.planted_found == PLANTED
    assert found.missing == ()
    assert found.other_objects == 0  # made-up words are like no taxonomy label
    assert found.candidates >= PLANTED
    assert found.candidates == len(read_sssom(out).mappings)


def test_a_planted_concept_not_proposed_is_named(
    tiny: lb.Synthetic, subjects: list[Subject], tmp_path: Path
) -> None:
    out = _candidate_file(tiny, subjects, tmp_path / "c.sssom.tsv")
    lost = tiny.planted[2]
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    # the row of the lost pair, by its object's CURIE (bench:cN) and its subject's
    local = lost.iri.rsplit("/", 1)[1]
    kept = [
        line
        for line in lines
        if not (line.startswith(lost.subject_id + "\t") and f":{local}\t" in line)
    ]
    assert len(kept) == len(lines) - 1
    out.write_text("".join(kept), encoding="utf-8")
    found = lb.planted_found(out, tiny.planted)
    assert found.planted_found == PLANTED - 1
    assert found.missing == (lost,)


def test_what_link_says_it_read_is_taken_from_its_output(tmp_path: Path) -> None:
    log = tmp_path / "link.log"
    log.write_text(
        "/tmp/v.nt: 701 triples, 140 concepts; 74 taxonomy concepts compared in en, fa\n"
        "wrote 7 candidate(s)\n"
    )
    assert lb.seen_by_link(log) == (701, 140)
    log.write_text("something else\n")
    assert lb.seen_by_link(log) is None


# --------------------------------------------------------------------------- the text


def _measure(seconds: float, mib: int = 100, java_mib: int = 0) -> scale_bench.Measure:
    return scale_bench.Measure(["rsme-kg"], seconds, mib * 1024, java_mib * 1024, 0)


def _links() -> list[lb.LinkResult]:
    whole = lb.LinkResult("20k .nt", 20_000, 4001, 3 << 20, 40, 40, 41, 0, _measure(2.5, 90))
    short = lb.LinkResult(
        "20k .nt.gz",
        20_000,
        4001,
        300 << 10,
        40,
        39,
        40,
        1,
        _measure(3.25, 91),
        ["factor:x -> <https://example.org/bench/c7> ('X')"],
    )
    return [whole, short]


def _release(identical: bool = True) -> lb.ReleaseResult:
    return lb.ReleaseResult(
        "0.0.1",
        _measure(19.2, 396, 301),
        [_measure(5.1, 110), _measure(5.4, 111)],
        [("SHA256SUMS", 1581), ("dumps/rsme-kg.trig", 305_253)],
        1480,
        identical,
    )


def test_the_section_has_the_runs_the_bundle_and_the_machine() -> None:
    text = lb.section(
        _links(),
        _release(identical=False),
        [("cores", "2 usable")],
        "python bench/link_bench.py --sizes 20k",
        dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC),
    )
    assert "Run on 2026-12-06 18:00 UTC by `python bench/link_bench.py --sizes 20k`" in text
    assert "| 20k .nt | 20000 | 4001 | 3.0 | 2.50 | 90 | 41 | 40 of 40 | 0 |" in text
    assert "| 20k .nt.gz | 20000 | 4001 | 0.29 | 3.25 | 91 | 40 | **39 of 40** | 1 |" in text
    assert "**20k .nt.gz: planted concepts not proposed**: factor:x -> <https" in text
    assert "| cold | empty | 19.2 | 396 | 301 |" in text
    assert "| warm 2 | of the cold run | 5.40 | 111 | 0 |" in text
    # 1581 + 305253 bytes
    assert "The bundle: 2 files, 0.29 MiB, `du -sk` 1480 KiB" in text
    assert "byte-identical (SHA256SUMS): **no**" in text
    assert "| `dumps/rsme-kg.trig` | 305253 |" in text
    assert "| cores | 2 usable |" in text
    assert lb.MARKERS[0] not in text  # the markers are written around it, once


def test_a_run_without_release_or_stopped_says_so() -> None:
    text = lb.section(_links()[:1], None, [], "c", dt.datetime(2026, 1, 1), stopped="why")
    assert "rsme-kg release" not in text
    assert "**Stopped early**: why" in text


def test_the_section_goes_between_its_markers_at_the_end_of_the_doc(tmp_path: Path) -> None:
    import sparql_bench

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n")
    sparql_bench.write_doc(doc, "first\n", lb.MARKERS)
    sparql_bench.write_doc(doc, "second\n", lb.MARKERS)
    assert doc.read_text() == (
        "# Benchmarks\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n\n"
        f"{lb.MARKERS[0]}\nsecond\n{lb.MARKERS[1]}\n"
    )


# --------------------------------------------------------------------------- the script


@pytest.mark.parametrize(
    "argv",
    [
        ["--sizes", "ten"],
        ["--sizes", "1k", "--gzip", "2k"],
        ["--sizes", "1k", "--planted", "0"],
        ["--sizes", "1M", "--planted", "10000"],  # more than the taxonomy has
        ["--sizes", "23,1k", "--planted", "6"],  # 6 planted need 24 triples
    ],
)
def test_wrong_options_end_with_code_2_before_any_run(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert lb.main([*argv, "--no-doc"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_the_script_says_its_options() -> None:
    done = subprocess.run(
        [sys.executable, str(paths.ROOT / "bench" / "link_bench.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in (
        "--sizes",
        "--gzip",
        "--planted",
        "--seed",
        "--release-version",
        "--no-release",
        "--timeout",
        "--keep",
        "--no-doc",
    ):
        assert option in done.stdout
