"""Rules the curation of the corpus settled (issue 10), kept by the data from now on.

They are checks of data/*.csv as an editor leaves it; the build's own gates (SHACL, QC) say
whether a corpus can be built at all, these say whether it is curated the way the README says.
"""

from __future__ import annotations

from collections import Counter

from tests.corpus import DATA, FIXTURE, FIXTURE_STUDIES, TABLES, corpus, fixture, keyed, rows


def test_every_screening_decision_has_a_reason_of_its_own() -> None:
    notes = Counter(r["note"].strip() for r in rows("screening.csv"))
    assert "" not in notes
    assert [note for note, n in notes.items() if n > 1] == []


def test_a_study_recorded_as_rural_has_its_setting_coded() -> None:
    data = corpus()
    rural = {s for s, row in data.studies.items() if row["rural"] == "true"} & data.included
    coded = {c["study"] for c in data.codes if c["factor"] == "rural-location"}
    assert rural, "no included study is recorded as rural"
    assert sorted(rural - coded) == []


def test_a_study_with_a_recorded_sector_has_a_setting_coded() -> None:
    data = corpus()
    with_sector = {s for s, row in data.studies.items() if row["sector"]} & data.included
    settings = {c["study"] for c in data.codes if c["direction"] == "context"}
    assert with_sector, "no included study records a sector"
    assert sorted(with_sector - settings) == []


def test_every_code_the_curation_doubted_or_changed_says_why() -> None:
    """A note that starts a curation decision names it (kept, changed, added) and its date."""
    decided = [c for c in corpus().codes if "curation" in c["note"]]
    assert decided, "the curation notes are gone"
    for code in decided:
        assert code["note"].split(" ", 1)[0] in ("Kept", "Changed", "Added"), code["id"]
        assert "(curation 20" in code["note"], code["id"]


def test_the_seed_gave_48_references_13_dois_and_20_persian_ones() -> None:
    """Known answers of the paper's reference list (the seed), the one place they are typed
    in: every other test counts what data/ holds. A study added beyond the seed changes this
    test alone."""
    studies = corpus().studies.values()
    assert len(studies) == 48
    assert sum(1 for s in studies if s["doi"]) == 13
    assert sum(1 for s in studies if s["language"] == "fa") == 20


def test_the_fixture_corpus_is_a_faithful_subset_of_data() -> None:
    """tests/data/corpus is rows of data/ copied unchanged: each of its rows equals the row of
    data/ with the same key, and it holds the studies it says with their screening (so a
    test on it tests the real format and real rows). After a curation change to one of these
    rows, rewrite it with `python -m tests.corpus`."""
    for name, (key, _) in TABLES.items():
        ours, theirs = keyed(name, FIXTURE), keyed(name, DATA)
        assert (FIXTURE / name).read_text(encoding="utf-8").splitlines()[0] == (
            (DATA / name).read_text(encoding="utf-8").splitlines()[0]
        ), f"{name}: the header differs from data/ (python -m tests.corpus rewrites it)"
        for ident, row in ours.items():
            assert theirs.get(ident) == row, (
                f"{name} row {ident} differs from data/ (python -m tests.corpus rewrites it)"
            )
            if key is not None:
                assert row[key] in FIXTURE_STUDIES, (name, ident)
    small = fixture()
    assert set(small.studies) == set(FIXTURE_STUDIES) == small.included | small.excluded
    # what the tests need of it: each kind of study and of code
    reasons = {r["study"]: r["reason"] for r in rows("screening.csv", FIXTURE)}
    assert small.excluded and all(reasons[s] for s in small.excluded)
    assert {c["study"] for c in small.codes} == small.included
    directions = {c["direction"] for c in small.codes}
    assert {"context", "driver", "moderator", ""} <= directions
    assert {s["language"] for s in small.studies.values()} == {"en", "fa"}
    assert any(s["doi"] for s in small.studies.values())
