"""Rules the curation of the corpus settled (issue 10), kept by the data from now on.

They are checks of data/*.csv as an editor leaves it; the build's own gates (SHACL, QC) say
whether a corpus can be built at all, these say whether it is curated the way the README says.
"""

from __future__ import annotations

from collections import Counter

from tests.corpus import corpus, rows


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
