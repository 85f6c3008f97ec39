"""The scale study's own parts (bench/scale_bench.py): sizes, corpus bookkeeping, the one-row
edit, memory of a process tree, and the tables it writes. No build runs here: the figures come
from hand-made results whose expected cells are worked out by hand."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kg import paths

sys.path.insert(0, str(paths.ROOT / "bench"))

import corpus  # bench/corpus.py
import scale_bench as sb

# --------------------------------------------------------------------------- sizes


def test_sizes_in_copies_run_first_smallest_first_then_sizes_in_triples() -> None:
    assert sb.parse_sizes("100, 1M,1,10,250k,10") == [
        sb.SizeSpec(copies=1),
        sb.SizeSpec(copies=10),
        sb.SizeSpec(copies=100),
        sb.SizeSpec(triples=250_000),
        sb.SizeSpec(triples=1_000_000),
    ]
    assert [s.label for s in sb.parse_sizes("1,10,1M,1.5k,1234t")] == [
        "1x",
        "10x",
        "~1234",
        "~1500",
        "~1M",
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,ten", "'ten' is neither"),
        ("0,10", "whole number of 1 or more"),
        ("1.5,10", "whole number of 1 or more"),
        ("1,10,0.5t", "whole number of 1 or more"),
        ("1,10,M", "'M' is neither"),
        (",", "no size given"),
        ("10,1M", "needs two sizes in copies"),
    ],
)
def test_sizes_that_cannot_run_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(sb.BenchError, match=says):
        sb.parse_sizes(text)


def test_copies_for_a_number_of_triples_follow_the_line_of_the_two_largest_sizes() -> None:
    # 1000 triples a copy over 100 fixed: (1,000,000 - 100) / 1000 = 999.9 -> 1000 copies
    assert sb.copies_for(1_000_000, [(1, 1100), (10, 10_100)]) == 1000
    # the 1x point (off the line: copy 1 has DOIs the others lack) is not used
    assert sb.copies_for(1_000_000, [(10, 10_100), (1, 5000), (100, 100_100)]) == 1000
    # fewer triples than the fixed part: still one copy
    assert sb.copies_for(50, [(1, 1100), (10, 10_100)]) == 1


def test_copies_for_needs_two_sizes_that_grow() -> None:
    with pytest.raises(sb.BenchError, match="two sizes"):
        sb.copies_for(1_000_000, [(10, 10_100), (10, 10_100)])
    with pytest.raises(sb.BenchError, match="do not grow"):
        sb.copies_for(1_000_000, [(1, 500), (10, 500)])


# --------------------------------------------------------------------------- the corpus


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _tiny_corpus(folder: Path) -> Path:
    folder.mkdir()
    _write(
        folder / "studies.csv",
        ["id", "title", "doi"],
        [["s1", "A title\nover two lines", "10.1/x"], ["s2", "Another", ""]],
    )
    _write(
        folder / "codes.csv",
        ["id", "study", "factor", "note"],
        [
            ["s1-1", "s1", "f", "first, with a comma"],
            ["s1-2", "s1", "g", ""],
            ["s2-1", "s2", "f", ""],
        ],
    )
    _write(folder / "screening.csv", ["study", "decision"], [["s1", "include"]])
    return folder


def test_corpus_size_counts_records_not_lines(tmp_path: Path) -> None:
    source = _tiny_corpus(tmp_path / "source")
    rows = corpus.write_copies(source, tmp_path / "out", 3)
    size = sb.corpus_size(3, rows)
    # 2 studies (one title spans two lines) and 3 codes, three times
    assert size == sb.CorpusSize(copies=3, studies=6, codes=9)


def test_corpus_size_without_codes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(sb.BenchError, match=r"no codes\.csv"):
        sb.corpus_size(1, {"studies.csv": 2})


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_one_row_edit_changes_one_cell_of_the_file_corpus_wrote(tmp_path: Path) -> None:
    corpus.write_copies(_tiny_corpus(tmp_path / "source"), tmp_path / "out", 2)
    codes = tmp_path / "out" / "codes.csv"
    before_text, before = codes.read_text(encoding="utf-8"), _records(codes)

    assert sb.edit_one_row(codes) == "the note of code s1-1 in codes.csv"

    after_text, after = codes.read_text(encoding="utf-8"), _records(codes)
    assert after[0]["note"] == f"first, with a comma ({sb.EDITED_NOTE})"
    assert after[1:] == before[1:]
    assert {k: v for k, v in after[0].items() if k != "note"} == {
        k: v for k, v in before[0].items() if k != "note"
    }
    changed = [
        n
        for n, (a, b) in enumerate(
            zip(before_text.splitlines(), after_text.splitlines(), strict=True)
        )
        if a != b
    ]
    assert changed == [1]  # the first record's line, nothing else
    assert len(after_text.splitlines()) == len(before_text.splitlines())

    sb.edit_one_row(codes)  # a second edit changes the file again
    assert (
        _records(codes)[0]["note"] == f"first, with a comma ({sb.EDITED_NOTE}) ({sb.EDITED_NOTE})"
    )


def test_one_row_edit_of_an_empty_note(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    _write(codes, ["id", "note"], [["c1", ""], ["c2", "kept"]])
    sb.edit_one_row(codes)
    assert _records(codes) == [{"id": "c1", "note": sb.EDITED_NOTE}, {"id": "c2", "note": "kept"}]


def test_one_row_edit_needs_a_note_column(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    _write(codes, ["id", "study"], [["c1", "s1"]])
    with pytest.raises(sb.BenchError, match="id and note"):
        sb.edit_one_row(codes)


# --------------------------------------------------------------------------- memory


def test_tree_rss_sums_the_descendants_of_the_root_only() -> None:
    table = {
        10: (1, "rsme-kg", 300),
        11: (10, "java", 200),
        12: (11, "java", 20),  # a grandchild's child still counts
        13: (10, "python3", 50),
        20: (1, "other", 999),  # a sibling of the root does not
    }
    assert sb.tree_rss(10, table) == (570, 220)
    assert sb.tree_rss(11, table) == (220, 220)
    assert sb.tree_rss(99, table) == (0, 0)


# a child that holds 150 MiB while its grandchild, an executable named java, holds 150 MiB more
_CHILD = textwrap.dedent(
    """
    import subprocess, sys
    held = b"\\x01" * (150 << 20)
    code = "import time; held = b'\\\\x01' * (150 << 20); time.sleep(1.5)"
    sys.exit(subprocess.run([sys.argv[1], "-c", code]).returncode)
    """
)


def test_run_measured_counts_the_whole_tree_and_its_java_part(tmp_path: Path) -> None:
    java = tmp_path / "java"  # the process's name is the name it was started by
    java.symlink_to(sys.executable)
    measure = sb.run_measured(
        [sys.executable, "-c", _CHILD, str(java)], {}, tmp_path / "log", tmp_path
    )
    assert measure.exit_code == 0, (tmp_path / "log").read_text()
    # both at once: more than either process alone could hold
    assert measure.peak_kib >= 290 * 1024
    assert 145 * 1024 <= measure.java_kib < 250 * 1024


def test_run_measured_gives_the_exit_code_and_keeps_the_output(tmp_path: Path) -> None:
    log = tmp_path / "log"
    measure = sb.run_measured(
        [sys.executable, "-c", "print('said'); raise SystemExit(3)"], {}, log, tmp_path
    )
    assert measure.exit_code == 3
    assert log.read_text().strip() == "said"


_STOPPED_CHILD = textwrap.dedent(
    """
    import pathlib, subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    pathlib.Path(sys.argv[1]).write_text(str(grandchild.pid))
    time.sleep(60)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_command_past_its_timeout_is_stopped_with_all_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    measure = sb.run_measured(
        [sys.executable, "-c", _STOPPED_CHILD, str(pid_file)],
        {},
        tmp_path / "log",
        tmp_path,
        timeout=2,
    )
    assert measure.timed_out
    assert measure.exit_code < 0  # ended by a signal, not by itself
    grandchild = int(pid_file.read_text())
    for _ in range(100):  # the orphan's end is reaped by init a moment later
        if not _alive(grandchild):
            break
        time.sleep(0.05)
    assert not _alive(grandchild)


# --------------------------------------------------------------------------- the runs

# rsme-kg as the bench sees it: builds write build.json, every run says what it saw
_FAKE = """\
import csv, json, os, sys
from pathlib import Path

args = sys.argv[1:]
data = Path(args[args.index("--data") + 1])
cache = Path(os.environ["RSME_KG_CACHE"])
with (data / "codes.csv").open(encoding="utf-8", newline="") as f:
    codes = list(csv.DictReader(f))
seen = {
    "command": args[0],
    "corpus": data.parent.name,
    "cache": cache.name,
    "cached": sorted(p.name for p in cache.iterdir()),
    "first note": codes[0]["note"],
}
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as f:
    f.write(json.dumps(seen) + "\\n")
(cache / f"{args[0]}-{data.parent.name}").write_text("")
if os.environ.get("FAKE_FAIL"):
    print("the build broke here")
    sys.exit(2)
if args[0] == "build":
    out = Path(args[args.index("--out") + 1])
    out.mkdir(parents=True)
    manifest = {"triples": 100 + 10 * len(codes), "timings_seconds": {"read sources": 0.01}}
    (out / "build.json").write_text(json.dumps(manifest))
"""


def _fake_bench(tmp_path: Path, **env: str) -> tuple[sb.Bench, Path]:
    script = tmp_path / "rsme-kg"
    script.write_text(f"#!{sys.executable}\n{_FAKE}", encoding="utf-8")
    script.chmod(0o755)
    log = tmp_path / "seen.jsonl"
    work = tmp_path / "work"
    work.mkdir()
    return sb.Bench(work, str(script), None, {**os.environ, "FAKE_LOG": str(log), **env}), log


def test_each_size_runs_cold_and_the_loop_reuses_the_cache_of_its_cold_validate(
    tmp_path: Path,
) -> None:
    bench, log = _fake_bench(tmp_path)
    codes = len(_records(paths.DATA_DIR / "codes.csv"))
    studies = len(_records(paths.DATA_DIR / "studies.csv"))
    five = 100 + 10 * codes * 5  # the fake's triples at five copies
    specs = sb.parse_sizes(f"2,1,{five}t")
    results, stopped = sb.run_all(bench, specs, {1})
    assert stopped is None
    assert [(r.label, r.size, r.triples) for r in results] == [
        ("1x", sb.CorpusSize(1, studies, codes), 100 + 10 * codes),
        ("2x", sb.CorpusSize(2, 2 * studies, 2 * codes), 100 + 20 * codes),
        (f"~{five} (5x)", sb.CorpusSize(5, 5 * studies, 5 * codes), five),
    ]
    assert results[0].edited is not None and results[1].edited is None
    assert results[0].edit.startswith("the note of code ")
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    original = _records(paths.DATA_DIR / "codes.csv")[0]["note"]
    assert [(s["command"], s["corpus"], s["cache"], s["cached"]) for s in seen[:4]] == [
        ("build", "corpus-1x", "cache-1x-build", []),
        ("validate", "corpus-1x", "cache-1x-validate", []),
        ("validate", "corpus-1x", "cache-1x-validate", ["validate-corpus-1x"]),
        ("validate", "corpus-1x", "cache-1x-validate", ["validate-corpus-1x"]),
    ]
    assert [s["first note"] for s in seen[:4]] == [original] * 3 + [
        f"{original} ({sb.EDITED_NOTE})" if original else sb.EDITED_NOTE
    ]
    # every other run starts with an empty cache of its own
    rest = seen[4:]
    assert [(s["command"], s["corpus"]) for s in rest] == [
        ("build", "corpus-2x"),
        ("validate", "corpus-2x"),
        ("build", "corpus-5x"),
        ("validate", "corpus-5x"),
    ]
    assert all(s["cached"] == [] for s in rest)
    assert results[0].stages == {"read sources": 0.01}


def test_a_failing_size_stops_the_run_and_says_why(tmp_path: Path) -> None:
    bench, _ = _fake_bench(tmp_path, FAKE_FAIL="1")
    results, stopped = sb.run_all(bench, sb.parse_sizes("1,2"), {1})
    assert results == []
    assert stopped is not None
    assert stopped.startswith("1x: `rsme-kg build --data ")
    assert "ended with exit code 2" in stopped
    assert "the build broke here" in stopped


# --------------------------------------------------------------------------- tables


def _measure(seconds: float, mib: int = 100, java_mib: int = 0) -> sb.Measure:
    return sb.Measure(["rsme-kg"], seconds, mib * 1024, java_mib * 1024, 0)


def _results() -> list[sb.SizeResult]:
    one = sb.SizeResult(
        "1x",
        sb.CorpusSize(1, 48, 79),
        5000,
        {"read sources": 1.0, "reason (HermiT)": 2.0},
        _measure(4.0, 300, 250),
        _measure(3.0, 310, 260),
        warm=_measure(0.5),
        edited=_measure(0.8, 320),
        edit="the note of code a-1 in codes.csv",
    )
    ten = sb.SizeResult(
        "10x",
        sb.CorpusSize(10, 480, 790),
        41_000,
        {"read sources": 8.0, "reason (HermiT)": 25.0, "write store": 2.0},
        _measure(40.0, 800, 500),
        _measure(35.0, 700, 400),
    )
    return [one, ten]


def test_stage_table_has_every_stage_of_any_build_their_sum_and_the_wall_time() -> None:
    lines = sb.stages_table(_results())
    assert lines[0] == "| stage of `rsme-kg build` | 1x s | 10x s |"
    assert lines[2:] == [
        "| read sources | 1.00 | 8.00 |",
        "| reason (HermiT) | 2.00 | 25.0 |",
        "| write store | – | 2.00 |",
        "| sum of the stages | 3.00 | 35.0 |",  # 1 + 2 and 8 + 25 + 2
        "| **wall time of the command** | **4.00** | **40.0** |",
    ]


def test_size_table_gives_cost_per_copy_against_1x() -> None:
    lines = sb.sizes_table(_results())
    # build 40 / (10 x 4) = 1.00, validate 35 / (10 x 3) = 1.17; Java: the larger of the two
    assert lines[3] == "| 10x | 480 | 790 | 41000 | 40.0 | 35.0 | 1.00 | 1.17 | 800 | 700 | 500 |"
    assert lines[2] == "| 1x | 48 | 79 | 5000 | 4.00 | 3.00 | 1.00 | 1.00 | 300 | 310 | 260 |"


def test_targets_say_met_not_met_and_not_run() -> None:
    rows = sb.targets(_results())
    assert rows == [
        ("corpus (1x) validate, cold ≤ 5 s", "3.00 s", True),
        ("1x validate after a one-row edit ≤ 1 s", "0.80 s", True),
        ("10x validate ≤ 10 × 1x validate", "11.7 ×", False),  # 35 / 3
        ("100x validate, cold ≤ 60 s", "not run", None),
        ("~1M triples built and validated ≤ 120 s", "not run", None),
        ("~1M triples: peak memory ≤ 4 GiB", "not run", None),
    ]


def test_about_a_million_triples_is_within_a_fifth() -> None:
    results = _results()
    near = sb.SizeResult(
        "~1M (230x)",
        sb.CorpusSize(230, 11_040, 18_170),
        850_000,
        {},
        _measure(100.0, 5000),
        _measure(90.0),
    )
    assert sb.near_million([*results, near]) is near
    near.triples = 790_000
    assert sb.near_million([*results, near]) is None
    near.triples = 850_000
    rows = sb.targets([*results, near])
    assert rows[4] == ("~1M triples built and validated ≤ 120 s", "100 s (850000 triples)", True)
    assert rows[5] == ("~1M triples: peak memory ≤ 4 GiB", "4.88 GiB", False)  # 5000 / 1024


def test_loop_table_lists_the_sizes_with_an_edit() -> None:
    assert sb.loop_table(_results())[2:] == [
        "| 1x | 3.00 | 0.50 | 0.80 | 320 | the note of code a-1 in codes.csv |"
    ]
    assert sb.loop_table(_results()[1:]) == []


def test_loglog_slope_is_the_growth_exponent() -> None:
    assert sb.loglog_slope([(1000, 2.0), (10_000, 20.0), (100_000, 200.0)]) == 1.0
    assert sb.loglog_slope([(10, 1.0), (100, 100.0)]) == 2.0
    assert sb.loglog_slope([(10, 0.0), (100, 5.0)]) is None  # a zero has no logarithm
    assert sb.loglog_slope([(10, 1.0)]) is None


def test_section_holds_every_table_the_picture_and_its_text() -> None:
    import datetime as dt

    text = sb.section(
        _results(),
        [("cores", "2 usable"), ("pyshacl", "0.40.1")],
        "python bench/scale_bench.py --sizes 1,10",
        dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC),
    )
    assert "Run on 2026-12-06 16:00 UTC by `python bench/scale_bench.py --sizes 1,10`" in text
    assert "](scale.svg)" in text
    # the text alternative: build totals 4 -> 40 s over 5000 -> 41000 triples
    slope = sb.loglog_slope([(5000, 4.0), (41_000, 40.0)])
    assert f"total: build {slope:.2f}" in text
    assert "from 5000 to 41000 triples" in text
    assert "| pyshacl | 0.40.1 |" in text
    assert "| 10x validate ≤ 10 × 1x validate | 11.7 × | **no** |" in text
    assert sb.MARKERS[0] not in text  # the markers are written around it, once


def test_the_picture_is_an_svg_that_the_same_figures_draw_alike(tmp_path: Path) -> None:
    sb.draw(_results(), tmp_path / "a.svg")
    sb.draw(_results(), tmp_path / "b.svg")
    root = ElementTree.parse(tmp_path / "a.svg").getroot()
    assert root.tag.endswith("svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def _study() -> sb.Study:
    return sb.Study(
        "python bench/scale_bench.py --sizes 1,10",
        "2026-12-06T16:00:00+00:00",
        [("cores", "2 usable")],
        _results(),
        "100x: stopped after 600 s",
    )


def test_a_study_read_back_is_the_study_written(tmp_path: Path) -> None:
    study = _study()
    study.save(tmp_path / "results.json")
    again = sb.Study.load(tmp_path / "results.json")
    assert again == study
    assert again.text() == study.text()
    assert "**Stopped early**, the sizes after it did not run: 100x: stopped after 600 s" in (
        again.text()
    )


def test_the_section_is_written_again_from_kept_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _study().save(tmp_path / "results.json")
    assert sb.main(["--results", str(tmp_path / "results.json"), "--no-doc"]) == 0
    assert "Run on 2026-12-06 16:00 UTC by `python bench/scale_bench.py --sizes 1,10`" in (
        capsys.readouterr().out
    )
    assert (tmp_path / "scale.svg").is_file()  # beside the results, not in docs/
    (tmp_path / "bad.json").write_text("[]")
    assert sb.main(["--results", str(tmp_path / "bad.json"), "--no-doc"]) == 2


def test_wrong_sizes_end_with_code_2_before_any_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert sb.main(["--sizes", "10,1M", "--no-doc"]) == 2
    assert "needs two sizes in copies" in capsys.readouterr().err


def test_the_script_says_its_options() -> None:
    done = subprocess.run(
        [sys.executable, str(paths.ROOT / "bench" / "scale_bench.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--sizes", "--incremental", "--timeout", "--results", "--no-doc", "--keep"):
        assert option in done.stdout
