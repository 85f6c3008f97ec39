"""The analytics: how long the numbers, the pictures and the report take, in process and by HTTP.

Run: ``.venv/bin/python bench/analysis_bench.py [--repeat 5] [--triples 100000]``. On the seed
corpus (built from data/) and on a ~100k-triple synthetic graph shaped like it
(bench/synth.py): the median of `--repeat` runs of reading the six analysis queries, computing
every table, drawing each picture (SVG and PNG) and writing the whole HTML report; then, with
``rsme-kg serve``, the first (uncached) and the repeated request of ``/analysis/weights``,
``/analysis/model.svg`` and ``/factors`` (which now carries the weights). Writes the tables
between the ``analysis-bench`` markers of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rest_bench
import sparql_bench as sb

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- analysis-bench:start -->", "<!-- analysis-bench:end -->")
ROUTES = ("/analysis/weights", "/analysis/model.svg", "/factors")


def median_ms(step: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` runs of a step, in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        step()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def in_process(store_dir: Path, repeat: int, work: Path) -> list[tuple[str, float]]:
    """Median times of each stage of `rsme-kg report` on one store."""
    from kg.analysis import dataset, document, figures
    from kg.analysis.report import analyse
    from kg.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(store_dir)
    data = dataset.fetch(store)
    analysis = analyse(data)
    rows = [
        ("read the six analysis queries", median_ms(lambda: dataset.fetch(store), repeat)),
        ("compute every table", median_ms(lambda: analyse(data), repeat)),
    ]
    for name in figures.names():
        for fmt in ("svg", "png"):
            rows.append(
                (
                    f"draw {name}.{fmt}",
                    median_ms(lambda n=name, f=fmt: figures.draw(analysis, n, f), repeat),
                )
            )
    out = work / f"report-{store_dir.name}"
    rows.append(
        (
            "the whole HTML report (read, compute, draw, write)",
            median_ms(
                lambda: document.write_report(analyse(dataset.fetch(store)), out, "html"), repeat
            ),
        )
    )
    return rows


def by_http(
    store_dir: Path, repeat: int, work: Path, rsme_kg: str
) -> list[tuple[str, float, float]]:
    """(route, first request ms, median of the repeated requests ms) on a served store."""
    port = sb.free_port()
    server = sb.Server(
        name="rsme-kg",
        command=[rsme_kg, "serve", "--store", str(store_dir), "--port", str(port)],
        port=port,
        path="/sparql",
        log=work / f"server-{store_dir.name}.log",
    )
    server.start(120)
    rows = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for route in ROUTES:
                began = time.perf_counter()
                reply = client.get(route)
                first = (time.perf_counter() - began) * 1000
                if reply.status_code != 200:
                    raise sb.BenchError(f"{route}: {reply.status_code} {reply.text[:300]}")
                rows.append((route, first, median_ms(lambda r=route: client.get(r), repeat * 4)))
    finally:
        server.stop()
    return rows


def section(results: dict[str, tuple[list, list]], args: argparse.Namespace) -> str:
    """The Markdown section of docs/benchmarks.md."""
    names = list(results)
    lines = [
        "## Analytics and report",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `python bench/analysis_bench.py "
        f"--repeat {args.repeat} --triples {args.triples}`: medians of {args.repeat} runs in one "
        "process (embedded store), then one `rsme-kg serve` per dataset: the first request of a "
        "route (nothing cached) and the median of the repeated ones (read cache).",
        "",
        "| step | " + " | ".join(f"{n} ms" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    steps = [step for step, _ in results[names[0]][0]]
    for i, step in enumerate(steps):
        lines.append(
            f"| {step} | " + " | ".join(f"{results[n][0][i][1]:.0f}" for n in names) + " |"
        )
    lines += [
        "",
        "| route | " + " | ".join(f"{n}: first / repeated ms" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for i, route in enumerate(ROUTES):
        cells = [f"{results[n][1][i][1]:.0f} / {results[n][1][i][2]:.2f}" for n in names]
        lines.append(f"| GET {route} | " + " | ".join(cells) + " |")
    lines += ["", "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sb.machine()]
    lines += [f"| {k} | {v} |" for k, v in sb.versions(None, None)]
    lines.append(f"| matplotlib | {sb.package_version('matplotlib')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    rsme_kg = str(Path(sys.executable).parent / "rsme-kg")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rsme-kg-analysis-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    stores = {
        "seed corpus": rest_bench.seed_store(work),
        f"synthetic {args.triples // 1000}k": rest_bench.synthetic_store(work, args.triples),
    }
    results = {}
    for name, store_dir in stores.items():
        print(f"{name} ...", flush=True)
        results[name] = (
            in_process(store_dir, args.repeat, work),
            by_http(store_dir, args.repeat, work, rsme_kg),
        )
    text = section(results, args)
    print(text)
    if not args.no_doc:
        sb.write_doc(ROOT / "docs" / "benchmarks.md", text, MARKERS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
