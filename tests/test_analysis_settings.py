"""One rule for every table: a code whose direction is context names the study's setting.

Settings are never counted as support (matrices, weights, co-occurrence, timeline, the model's
boxes and arrows, the report's tables) and are reported apart; coder agreement still counts
every code. Every number below is worked out by hand from the small corpus `CORPUS`.
"""

from __future__ import annotations

import pytest

from kg.analysis.agreement import coder_agreement
from kg.analysis.cooccurrence import cooccurrence
from kg.analysis.dataset import CodeRow, Dataset, FactorRow, StudyRow
from kg.analysis.document import tables
from kg.analysis.matrix import study_category_matrix, study_factor_matrix, to_csv
from kg.analysis.report import analyse, settings_json, weights_json
from kg.analysis.settings import settings
from kg.analysis.timeline import timeline
from kg.analysis.weights import factor_weights

FACTORS = [
    FactorRow("rural", "Rural", "روستایی", "k1", "Rural context", "بافت روستایی"),
    FactorRow("peri", "Peri", "", "k1", "Rural context", "بافت روستایی"),
    FactorRow("net", "Net", "شبکه", "k2", "Networks", "شبکه‌ها"),
    FactorRow("coop", "Coop", "", "k2", "Networks", "شبکه‌ها"),
    FactorRow("strat", "Strat", "", "k3", "Strategy", ""),
]
CATEGORY = {r.factor: r.category for r in FACTORS}
YEAR = {"s1": 2019, "s2": 2019, "s3": 2020, "s4": 2020, "s5": 2021}
# (study, factor, direction): "context" names the setting, anything else is support
#   s1: set in a rural place; supports net and strat
#   s2: set in a rural place; supports net
#   s3: set in a rural, peripheral place; supports nothing (coded for its setting only)
#   s4: a study of cooperatives; supports net (same category as coop) and rural
#   s5: rural is both its setting and a driver: support wins, never counted twice
CORPUS = [
    ("s1", "rural", "context"),
    ("s1", "net", "driver"),
    ("s1", "strat", ""),
    ("s2", "rural", "context"),
    ("s2", "net", "driver"),
    ("s3", "rural", "context"),
    ("s3", "peri", "context"),
    ("s4", "coop", "context"),
    ("s4", "net", "driver"),
    ("s4", "rural", "driver"),
    ("s5", "rural", "driver"),
    ("s5", "rural", "context"),
]


def dataset(rows: list[tuple[str, str, str]] = CORPUS, coder: str = "ann") -> Dataset:
    codes = [
        CodeRow(f"{s}-{i}", s, YEAR[s], f, CATEGORY[f], coder, d == "context")
        for i, (s, f, d) in enumerate(rows)
    ]
    studies = [StudyRow(s, y, "included", "", "title") for s, y in YEAR.items()]
    return Dataset(
        codes, studies, [], FACTORS, {coder: coder.title()}, "b1", "2026-01-01T00:00:00Z"
    )


def test_matrices_count_support_only_and_keep_every_coded_study() -> None:
    """s3 has settings only: its row stays, empty; no setting adds to a cell."""
    data = dataset()
    assert study_factor_matrix(data) == {
        "s1": {"net": 1, "strat": 1},
        "s2": {"net": 1},
        "s3": {},
        "s4": {"net": 1, "rural": 1},
        "s5": {"rural": 1},
    }
    assert study_category_matrix(data) == {
        "s1": {"k2": 1, "k3": 1},
        "s2": {"k2": 1},
        "s3": {},
        "s4": {"k1": 1, "k2": 1},
        "s5": {"k1": 1},
    }
    # peri and coop only name settings: no column; s3 is a row of zeros
    assert to_csv(study_factor_matrix(data), [r.factor for r in FACTORS]) == (
        "study,rural,net,strat,total\ns1,0,1,1,2\ns2,0,1,0,1\ns3,0,0,0,0\ns4,1,1,0,2\ns5,1,0,0,1\n"
    )


def test_entropy_weights_of_support_worked_by_hand() -> None:
    """m = 5 studies (s3 included, as a row of zeros). Columns of support:
    net (s1, s2, s4) = 1, 1, 1; rural (s4, s5) = 1, 1; strat (s1) = 1.

    E_net = ln 3 / ln 5 = 1.098612 / 1.609438 = 0.682606, d = 0.317394
    E_rural = ln 2 / ln 5 = 0.693147 / 1.609438 = 0.430677, d = 0.569323
    E_strat = 0, d = 1;  sum d = 1.886717
    W = strat 0.530021, rural 0.301753, net 0.168225.
    (Counting settings, rural would be in all 5 studies: E = 1 and weight 0.)
    """
    weights = {w.factor: w for w in factor_weights(dataset())}
    assert set(weights) == {"net", "rural", "strat"}  # peri and coop: settings only, no weight
    assert weights["net"].entropy == pytest.approx(0.682606, abs=1e-6)
    assert weights["rural"].entropy == pytest.approx(0.430677, abs=1e-6)
    assert weights["strat"].weight == pytest.approx(0.530021, abs=1e-6)
    assert weights["rural"].weight == pytest.approx(0.301753, abs=1e-6)
    assert weights["net"].weight == pytest.approx(0.168225, abs=1e-6)
    assert [(f, weights[f].rank) for f in ("strat", "rural", "net")] == [
        ("strat", 1),
        ("rural", 2),
        ("net", 3),
    ]
    assert {f: (w.studies, w.codes) for f, w in weights.items()} == {
        "net": (3, 3),
        "rural": (2, 2),
        "strat": (1, 1),
    }
    report = weights_json(analyse(dataset()))
    assert report["studies"] == 5 and "Support only" in report["note"]


def test_settings_per_factor_and_category_by_hand() -> None:
    """rural is the setting of s1, s2, s3 (not s5: it also supports rural; not s4: no context
    code); peri of s3; coop of s4. k1 = rural or peri = s1, s2, s3; k2 = coop = s4, which also
    supports k2 through net (the category level may overlap with support)."""
    found = settings(dataset())
    assert found.factors == {"coop": ("s4",), "peri": ("s3",), "rural": ("s1", "s2", "s3")}
    assert found.categories == {"k1": ("s1", "s2", "s3"), "k2": ("s4",)}
    assert found.named == ("s1", "s2", "s3", "s4")
    assert found.unsupported == ("s3",)
    as_json = settings_json(analyse(dataset()))
    assert [(c["category"], c["studies"], c["label_fa"]) for c in as_json["categories"]] == [
        ("k1", 3, "بافت روستایی"),
        ("k2", 1, "شبکه‌ها"),
    ]
    # taxonomy order, with the ids behind each number
    assert [(f["factor"], f["studies"], f["study_ids"]) for f in as_json["factors"]] == [
        ("rural", 3, ["s1", "s2", "s3"]),
        ("peri", 1, ["s3"]),
        ("coop", 1, ["s4"]),
    ]
    assert (as_json["studies"], as_json["unsupported"]) == (4, ["s3"])


def test_cooccurrence_and_timeline_count_support_only() -> None:
    """Pairs: s1 net-strat, s4 net-rural (counting settings, net-rural would have 3 studies).
    Per year: 2019 s1, s2 with 2 + 1 support codes; 2020 s3, s4 with 0 + 2; 2021 s5 with 1."""
    data = dataset()
    assert [(p.first, p.second, p.studies) for p in cooccurrence(data)] == [
        ("net", "rural", ("s4",)),
        ("net", "strat", ("s1",)),
    ]
    years = {y.year: y for y in timeline(data)}
    assert {y: (v.studies, v.codes) for y, v in years.items()} == {
        2019: (2, 3),
        2020: (2, 2),
        2021: (1, 1),
    }
    assert years[2019].category_studies == {"k2": 2, "k3": 1}
    assert years[2020].category_codes == {"k1": 1, "k2": 1}
    assert years[2021].category_studies == {"k1": 1}


def test_agreement_still_counts_settings() -> None:
    """Kappa measures the coding: ann codes s1 {rural (context), net}, bob codes s1 {rural
    (context)}. Items = 1 study x 5 factors: both 1 (rural), ann only 1 (net), neither 3.
    p_o = 4/5; p_ann = 2/5, p_bob = 1/5; p_e = 2/25 + 12/25 = 14/25; kappa = (6/25)/(11/25).
    Were settings left out, bob would have no code and there would be no pair at all."""
    ann = dataset([("s1", "rural", "context"), ("s1", "net", "driver")], "ann").codes
    bob = dataset([("s1", "rural", "context")], "bob").codes
    agreement = coder_agreement(Dataset(ann + bob, [], [], FACTORS))
    (pair,) = agreement.pairs
    assert pair.items == 5 and pair.kappa == pytest.approx(6 / 11)
    rural = next(f for f in pair.factors if f.factor == "rural")
    assert (rural.both, rural.first_only, rural.second_only) == (1, 0, 0)


def test_report_tables_say_support_and_list_settings() -> None:
    by_name = {t.name: t for t in tables(analyse(dataset()))}
    assert by_name["categories"].headers == ["category", "studies", "codes", "settings"]
    assert by_name["categories"].rows == [
        ["Rural context", 2, 2, 3],
        ["Networks", 3, 3, 1],
        ["Strategy", 1, 1, 0],
    ]
    assert by_name["settings"].rows == [
        ["Rural context", "Rural", 3, "s1 s2 s3"],
        ["Rural context", "Peri", 1, "s3"],
        ["Networks", "Coop", 1, "s4"],
    ]
    assert "4 included studies name a setting; 1 of them" in by_name["settings"].note
    # breadth: factors supported by more than one study, by support
    assert by_name["breadth"].rows == [["Net", 3, 3, 3], ["Rural", 2, 2, 2]]
    assert "settings are not counted" in by_name["breadth"].note
    assert [r[:3] for r in by_name["timeline"].rows] == [[2019, 2, 3], [2020, 2, 2], [2021, 1, 1]]
    assert "Support only" in by_name["timeline"].note


def test_report_header_and_json_carry_the_settings() -> None:
    from kg.analysis.document import _header, everything

    (_, counts) = _header(analyse(dataset()), "now")
    # 12 codes: 6 name a setting (s1, s2, s3 twice, s4, s5), 6 support
    assert "12 codes (6 of support, 6 naming a study's setting)" in counts
    every = everything(analyse(dataset()))
    assert every["settings"] == settings_json(analyse(dataset()))
    assert "Support only" in every["matrix"]["factor"]["note"]  # type: ignore[index]
    assert "Support only" in every["cooccurrence"]["note"]  # type: ignore[index]


def test_no_support_at_all_leaves_weights_out_and_still_lists_settings() -> None:
    data = dataset([("s1", "rural", "context"), ("s2", "peri", "context")])
    analysis = analyse(data)
    assert analysis.factor_matrix == {"s1": {}, "s2": {}}
    assert analysis.weights == [] and "at least one supported factor" in (
        analysis.weights_error or ""
    )
    assert analysis.pairs == [] and sum(y.codes for y in analysis.years) == 0
    assert analysis.settings.categories == {"k1": ("s1", "s2")}
    assert analysis.settings.unsupported == ("s1", "s2")
