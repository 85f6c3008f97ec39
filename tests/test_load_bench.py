"""The load benchmark (bench/load_bench.py): a short real run against the fixture corpus's
build, checked for the structure of its report and the consistency of its counts (never its
times), and its parts on hand-worked data: the mix, the unique query texts, the memory trend,
the section it writes."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg import paths

sys.path.insert(0, str(paths.ROOT / "bench"))

import load_bench as lb
import sparql_bench as sb

CLIENTS = 2
QUERY_WORKERS = 2
STANDBY_WORKERS = 1
LONG_QUERY = 0.4
CACHE_BYTES = 1_000_000


@pytest.fixture(scope="module")
def run(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """A 3-second load per phase with 2 clients over the fixture build, its exit code and report."""
    work = tmp_path_factory.mktemp("load")
    report, doc = work / "report.json", work / "benchmarks.md"
    command = [sys.executable, str(paths.ROOT / "bench" / "load_bench.py")]
    command += ["--store", str(small_store), "--seconds", "3", "--clients", str(CLIENTS)]
    command += ["--query-workers", str(QUERY_WORKERS), "--inject-every", "2", "--warmup", "1"]
    command += ["--standby-workers", str(STANDBY_WORKERS), "--long-query", str(LONG_QUERY)]
    command += ["--cache-bytes", str(CACHE_BYTES)]
    command += ["--json", str(report), "--no-doc", "--doc", str(doc), "--workdir", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert not doc.exists()  # --no-doc: printed only
    assert "## Mixed load" in done.stdout
    return done.returncode, json.loads(report.read_text())


# --------------------------------------------------------------------------- the real run


def test_the_exit_code_says_whether_every_target_was_met(run: tuple[int, dict[str, Any]]) -> None:
    code, report = run
    assert report["ok"] == all(report["targets"].values())
    assert code == (0 if report["ok"] else 1)


def test_every_request_is_counted_once_as_answered_or_as_an_error(
    run: tuple[int, dict[str, Any]],
) -> None:
    _, report = run
    assert list(report["phases"]) == list(lb.PHASES)
    for phase in report["phases"].values():
        kinds = phase["kinds"]
        assert list(kinds) == list(lb.KINDS)
        for kind in kinds.values():
            assert kind["requests"] == kind["ok"] + kind["errors"]
            assert kind["errors"] == sum(kind["error_detail"].values())
            assert kind["p50_ms"] <= kind["p99_ms"]
        assert phase["requests"] == sum(k["requests"] for k in kinds.values())
        assert phase["errors"] == sum(k["errors"] for k in kinds.values())
        assert phase["requests"] > 0
        assert not phase["capped"]


def test_the_warm_up_is_counted_apart_and_comes_first(run: tuple[int, dict[str, Any]]) -> None:
    _, report = run
    warmup = report["warmup"]
    assert warmup["requests"] == sum(k["requests"] for k in warmup["kinds"].values())
    assert warmup["errors"] == sum(k["errors"] for k in warmup["kinds"].values())
    assert warmup["runaway"]["sent"] == 0
    starts = report["phase_starts"]
    assert list(starts) == [lb.WARM_UP, *lb.PHASES]
    assert starts[lb.WARM_UP] <= starts["steady"] <= starts["runaway"]


def test_the_caches_are_filled_with_as_many_answers_as_they_hold(
    run: tuple[int, dict[str, Any]],
) -> None:
    _, report = run
    filled = report["cache_fill"]
    assert report["settings"]["cache_bytes"] == CACHE_BYTES
    assert filled["answer_bytes"] > 0
    assert filled["requests"] == lb.fill_count(CACHE_BYTES, filled["answer_bytes"])
    assert 0 <= filled["errors"] <= filled["requests"]


def test_a_fill_holds_both_caches_and_a_quarter_more() -> None:
    # each cache holds half of 8 MB: 4 MB / 100 kB = 40 answers, and 10 more
    assert lb.fill_count(8_000_000, 100_000) == 50
    assert lb.fill_count(8_000_000, 3_000_000) == 2  # 1.67 answers: the last one counts
    assert lb.fill_count(0, 100_000) == 0  # no cache, nothing to fill
    assert lb.fill_count(8_000_000, 1) == lb.MAX_FILL


def test_the_mix_is_a_quarter_of_each_kind(run: tuple[int, dict[str, Any]]) -> None:
    # every client sends the kinds in turn: its counts differ by one at most, so the phase's
    # by the number of clients at most
    _, report = run
    for phase in report["phases"].values():
        counts = [k["requests"] for k in phase["kinds"].values()]
        assert max(counts) - min(counts) <= CLIENTS


def test_runaway_queries_are_sent_in_the_second_phase_only_and_stopped(
    run: tuple[int, dict[str, Any]],
) -> None:
    _, report = run
    steady, runaway = (report["phases"][p]["runaway"] for p in lb.PHASES)
    assert steady["sent"] == 0
    assert runaway["sent"] >= 1  # the first one at the start of the phase
    assert sum(runaway["statuses"].values()) == runaway["sent"]
    # n³ rows of a few thousand triples never finish: the server stops each at its timeout
    assert runaway["statuses"] == {"503 timeout": runaway["sent"]}
    assert runaway["stopped_at_timeout"] == runaway["sent"]


def test_the_p99_ratio_is_runaway_over_steady(run: tuple[int, dict[str, Any]]) -> None:
    _, report = run
    assert list(report["p99_ratio"]) == list(lb.KINDS)
    for kind, ratio in report["p99_ratio"].items():
        steady, runaway = (report["phases"][p]["kinds"][kind]["p99_ms"] for p in lb.PHASES)
        if ratio is not None:
            assert ratio == pytest.approx(runaway / steady, abs=0.01)


def test_memory_is_sampled_over_the_whole_process_tree(run: tuple[int, dict[str, Any]]) -> None:
    _, report = run
    memory, samples = report["memory"], report["memory_samples"]
    assert memory["samples"] == len(samples) >= 1
    assert memory["start_mb"] == pytest.approx(samples[0]["pss_mb"], abs=0.1)
    assert memory["end_mb"] == pytest.approx(samples[-1]["pss_mb"], abs=0.1)
    assert memory["max_mb"] >= max(memory["start_mb"], memory["end_mb"])
    # the web server, its query workers and the standby one
    assert samples[0]["processes"] >= 1 + QUERY_WORKERS + STANDBY_WORKERS
    # the workers' memory is in the tree's, not in the web server's
    assert all(0 < s["web_pss_mb"] < s["pss_mb"] for s in samples)
    assert memory["web"]["max_mb"] < memory["max_mb"]
    times = [s["t"] for s in samples]
    assert times == sorted(times)


def test_the_mix_sent_is_the_mix_reported(run: tuple[int, dict[str, Any]]) -> None:
    _, report = run
    assert list(report["mix"]) == list(lb.KINDS)
    assert all(report["mix"][kind] for kind in lb.KINDS)
    assert report["settings"]["clients"] == CLIENTS
    assert report["settings"]["query_workers"] == QUERY_WORKERS
    assert report["settings"]["standby_workers"] == STANDBY_WORKERS
    assert report["settings"]["long_query"] == LONG_QUERY


def test_the_section_lands_between_its_markers_and_keeps_the_rest(
    run: tuple[int, dict[str, Any]], tmp_path: Path
) -> None:
    _, report = run
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nbefore\n\n<!-- other:start -->\nkept\n<!-- other:end -->\n")
    text = lb.section(report, dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "the command")
    sb.write_doc(doc, text, lb.MARKERS)
    sb.write_doc(doc, text, lb.MARKERS)  # a second run replaces the section
    written = doc.read_text()
    assert written.count(lb.MARKERS[0]) == written.count(lb.MARKERS[1]) == 1
    assert written.startswith("# Benchmarks\n\nbefore\n\n<!-- other:start -->\nkept\n")
    inside = written.split(lb.MARKERS[0])[1].split(lb.MARKERS[1])[0]
    assert "`the command`" in inside
    assert f"`RSME_KG_STANDBY_WORKERS={STANDBY_WORKERS}`" in inside
    assert f"`RSME_KG_LONG_QUERY={LONG_QUERY:g}`" in inside
    for kind in lb.KINDS:
        assert f"| {kind} |" in inside


# --------------------------------------------------------------------------- the parts


def test_the_cycle_interleaves_the_kinds_each_as_often() -> None:
    def t(kind: str, n: int) -> lb.Target:
        return lb.Target(kind, f"/{kind}/{n}", "*/*", f"/{kind}/{n}")

    targets = {"sparql-cached": [t("sparql-cached", 0)]}
    targets["sparql-uncached"] = [t("sparql-uncached", 0), t("sparql-uncached", 1)]
    targets["rest"] = [t("rest", 0), t("rest", 1), t("rest", 2)]
    targets["page"] = [t("page", 0)]
    cycle = lb.cycle_of(targets)
    assert [x.kind for x in cycle] == list(lb.KINDS) * 3
    assert [x.path for x in cycle if x.kind == "rest"] == ["/rest/0", "/rest/1", "/rest/2"]
    assert [x.path for x in cycle if x.kind == "sparql-uncached"] == [
        "/sparql-uncached/0",
        "/sparql-uncached/1",
        "/sparql-uncached/0",
    ]


def test_uncached_requests_are_all_different_queries_and_cached_ones_the_same() -> None:
    picked = lb.rb.Picked("f", "c", "s", "word", "m")
    targets = lb.mix(picked, "https://w3id.org/rsme-kg/factor/f")
    counter = itertools.count(sb.run_offset())
    for target in targets["sparql-uncached"]:
        assert target.unique
        sent = [lb.fill(target.path, counter) for _ in range(50)]
        assert len(set(sent)) == len(sent)
        assert all(sb.BOUND not in path for path in sent)
    for kind in ("sparql-cached", "rest", "page"):
        for target in targets[kind]:
            assert not target.unique
            assert lb.fill(target.path, counter) == target.path
    assert sb.BOUND in lb.RUNAWAY


def samples(values: list[float], web: float = 50.0) -> list[lb.Sample]:
    return [lb.Sample(float(t), v, web, v, 3, 0) for t, v in enumerate(values)]


def test_memory_rising_steadily_is_not_flat() -> None:
    # 100 + 0.5 t for t = 0..9: the second half is t = 5..9, a line of slope 0.5 MB/s (30 MB
    # per minute) with no scatter, rising 2 MB across it: more than 1 % of ~103.5 MB
    found = lb.trend(samples([100 + 0.5 * t for t in range(10)]))
    assert found["slope_mb_per_min"] == pytest.approx(30.0)
    assert found["rise_mb"] == pytest.approx(2.0)
    assert found["noise_mb"] == pytest.approx(0.0)
    assert found["tree_flat"] is False
    assert found["web"]["flat"] is True  # steady at 50 MB
    assert found["flat"] is False
    assert (found["start_mb"], found["end_mb"], found["max_mb"]) == (100.0, 104.5, 104.5)


def test_memory_rising_less_than_one_percent_is_flat() -> None:
    # 100 + 0.1 t: the second half rises 0.4 MB, under 1 % of ~100.7 MB
    found = lb.trend(samples([100 + 0.1 * t for t in range(10)]))
    assert found["rise_mb"] == pytest.approx(0.4)
    assert found["flat"] is True


def test_memory_rising_within_its_scatter_is_flat() -> None:
    # second half 180, 200, 180, 200, 180 (t = 5..9): slope 0, the scatter is the noise
    found = lb.trend(samples([200, 180] * 5))
    assert found["slope_mb_per_min"] == pytest.approx(0.0)
    assert found["flat"] is True


def test_the_web_servers_memory_growing_is_not_flat_even_if_the_tree_is() -> None:
    # the tree steady at 300 MB (a worker shrinking as the web server grows), the web server
    # 50 + 2 t: rising 8 MB across the second half, over 1 % of its ~64 MB
    tree = samples([300.0] * 10)
    for t, sample in enumerate(tree):
        sample.web_pss_mb = 50.0 + 2 * t
    found = lb.trend(tree)
    assert found["web"]["rise_mb"] == pytest.approx(8.0)
    assert found["web"]["flat"] is False
    assert found["rise_mb"] == pytest.approx(0.0)
    assert found["tree_flat"] is True
    assert found["flat"] is False


def test_too_few_samples_tell_nothing() -> None:
    assert lb.trend(samples([100, 200, 300]))["flat"] is None
    assert lb.trend([])["flat"] is None
