"""Start time and resident memory of `rsme-kg serve`, by data size and query workers.

A benchmark script, not a test. For each size (synthetic data, ``bench/synth.py``, loaded into
a pyoxigraph store as ``sparql_bench.py`` does) and each number of query workers it

1. starts ``rsme-kg serve --store DIR`` (``RSME_KG_QUERY_WORKERS=N``) and times it until it
   answers ``ASK {}`` over ``/sparql`` ("answers"), then until the whole process tree has been
   idle for a second ("settled": each worker has finished copying the store into memory, and
   anything else the server computes at start is done);
2. runs the SELECTIVE and AGGREGATE queries of ``sparql_bench.py`` a few times (so that the
   engine's working memory is counted too);
3. sums the resident memory of the process tree (the web server, its query workers and the
   multiprocessing helper), both as RSS and as PSS (pages shared between processes counted
   once, split between them), from ``/proc/PID/smaps_rollup``;

and writes a table between ``<!-- serve-bench:start -->`` and ``<!-- serve-bench:end -->`` of
``docs/benchmarks.md``.

Usage::

    python bench/serve_bench.py [--sizes 100000,1000000] [--workers 2,4] [--no-doc]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sparql_bench as sb  # the servers, queries and doc writer beside this script
import synth

MARKERS = ("<!-- serve-bench:start -->", "<!-- serve-bench:end -->")
FACTOR_QUERY_RUNS = 3


@dataclass
class Run:
    """One server start: its size, workers and figures."""

    triples: int
    workers: int
    answers_s: float
    settled_s: float
    rss_mb: float
    pss_mb: float
    processes: int


def memory_kb(pid: int) -> tuple[int, int]:
    """RSS and PSS of one process in kB (0, 0 when it is gone)."""
    rss = pss = 0
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == "Rss":
            rss = int(rest.split()[0])
        elif name == "Pss":
            pss = int(rest.split()[0])
    return rss, pss


def settle(pgid: int, limit: float) -> None:
    """Wait until a process group has used (almost) no CPU for one second."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = sb.group_cpu(pgid)
        time.sleep(1.0)
        if sb.group_cpu(pgid) - before < 0.05:
            return
    raise sb.BenchError(f"the server was still busy after {limit:.0f} s")


def prepare(triples: int, seed: int, work: Path) -> tuple[Path, dict[str, str]]:
    """A store of synthetic data of about `triples` triples, and the two queries over it."""
    folder = work / f"data-{triples}"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "synth.nq"
    store = folder / "store"
    if not store.is_dir():
        synth.write(data, triples, seed)
        loaded = ox.Store(str(store))
        loaded.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        loaded.optimize()
        loaded.flush()
        del loaded
    reference = ox.Store.read_only(str(store))
    factor = sb.pick_factor(reference)
    queries = {
        "SELECTIVE": sb.with_bound(sb.SELECTIVE_TEMPLATE % factor),
        "AGGREGATE": sb.with_bound(sb.aggregate_query()),
    }
    return store, queries


def measure(store: Path, queries: dict[str, str], workers: int, args: argparse.Namespace) -> Run:
    """Start one server, time it, query it, add up its memory, stop it."""
    rsme_kg = sb.find_tool("rsme-kg")
    if rsme_kg is None:
        raise sb.BenchError("the rsme-kg command is not installed")
    port = sb.free_port()
    command = [rsme_kg, "serve", "--store", str(store), "--host", "127.0.0.1"]
    command += ["--port", str(port), *shlex.split(args.rsme_kg_args)]
    log = store.parent / f"serve-{workers}.log"
    os.environ["RSME_KG_QUERY_WORKERS"] = str(workers)
    try:
        server = sb.Server("rsme-kg", command, port, "/sparql", log)
        server.start(args.ready_timeout)
    finally:
        del os.environ["RSME_KG_QUERY_WORKERS"]
    try:
        assert server.process is not None
        began = time.perf_counter() - server.started_in
        settle(server.process.pid, args.ready_timeout)
        settled = time.perf_counter() - began - 1.0  # the idle second itself is not counted
        with httpx.Client(timeout=args.ready_timeout) as client:
            for _ in range(FACTOR_QUERY_RUNS):
                for name, query in queries.items():
                    reply = client.get(
                        server.endpoint, params={"query": query}, headers={"Accept": sb.ACCEPT}
                    )
                    if reply.status_code != 200:
                        raise sb.BenchError(f"{name} answered {reply.status_code}: {reply.text}")
        pids = sb.group_pids(server.process.pid)
        rss = pss = 0
        for pid in pids:
            one_rss, one_pss = memory_kb(pid)
            rss += one_rss
            pss += one_pss
        size = len(ox.Store.read_only(str(store)))
        return Run(size, workers, server.started_in, settled, rss / 1024, pss / 1024, len(pids))
    finally:
        server.stop()


def table(runs: list[Run]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| triples | query workers | answers after s | settled after s | RSS MB | PSS MB "
        "| processes |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.triples} | {run.workers} | {run.answers_s:.1f} | {run.settled_s:.1f} "
            f"| {run.rss_mb:.0f} | {run.pss_mb:.0f} | {run.processes} |"
        )
    return "\n".join(lines)


def section(runs: list[Run], started: dt.datetime, args: argparse.Namespace) -> str:
    """The Markdown section for docs/benchmarks.md (without the markers)."""
    command = " ".join(["python bench/serve_bench.py", *map(shlex.quote, sys.argv[1:])])
    facts = "\n".join(f"| {k} | {v} |" for k, v in [*sb.machine(), *sb.versions(None, None)[:2]])
    return f"""\
## Server start and memory

Run on {started:%Y-%m-%d %H:%M} UTC by `{command}`: `rsme-kg serve --store DIR` over the
synthetic data of `bench/synth.py` (seed {args.seed}), `RSME_KG_QUERY_WORKERS` set to the query
workers, one web server process{" and `" + args.rsme_kg_args + "`" if args.rsme_kg_args else ""}.
*Answers after*: from the start of the command until `/sparql` answers `ASK {{}}` (the
workers answer from the on-disk store at once); *settled after*: until the process tree has
used no CPU for a second (every worker has its in-memory copy of the store, and the answers
the server computes at start are ready). Memory is summed over the whole process tree (web
server and its query workers) after {FACTOR_QUERY_RUNS} runs of each query
of the SPARQL benchmark: RSS counts a page shared by several processes in each of them, PSS
splits it between them.

{table(runs)}

| machine | |
|---|---|
{facts}
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="triples, comma-separated")
    parser.add_argument("--workers", default="2,4", help="query workers, comma-separated")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument("--ready-timeout", type=float, default=300, help="seconds to start")
    parser.add_argument("--rsme-kg-args", default="", help="extra arguments for `rsme-kg serve`")
    parser.add_argument("--doc", type=Path, default=sb.DEFAULT_DOC, help="Markdown file to update")
    parser.add_argument("--no-doc", action="store_true", help="only print the results")
    parser.add_argument("--workdir", type=Path, help="keep data and stores here (reused)")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.workers = [int(s) for s in args.workers.split(",") if s.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every server started and answered."""
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    own_work = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="rsme-serve-bench-")) if own_work else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    try:
        for size in args.sizes:
            store, queries = prepare(size, args.seed, work)
            for workers in args.workers:
                run = measure(store, queries, workers, args)
                print(
                    f"{run.triples} triples, {workers} workers: answers after "
                    f"{run.answers_s:.1f} s, settled after {run.settled_s:.1f} s, "
                    f"RSS {run.rss_mb:.0f} MB, PSS {run.pss_mb:.0f} MB ({run.processes} "
                    "processes)",
                    flush=True,
                )
                runs.append(run)
        print()
        print(table(runs))
        if not args.no_doc:
            sb.write_doc(args.doc, section(runs, started, args), MARKERS)
            print(f"\nwrote the serve-bench section of {args.doc}")
        return 0
    except sb.BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
