"""REST lookups under load: the factor list and one factor's evidence, p50/p99 with 8 clients.

Run: ``.venv/bin/python bench/rest_bench.py [--duration 20] [--clients 8]``. Serves two stores
with ``rsme-kg serve --workers 2``: the seed corpus (built from data/) and a ~100k-triple
synthetic graph shaped like it (bench/synth.py); loads ``GET /factors`` and
``GET /factors/{id}/evidence`` (the factor with the most codes) with wrk; writes the table,
machine and versions between the ``rest-bench`` markers of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sparql_bench as sb
import synth

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- rest-bench:start -->", "<!-- rest-bench:end -->")
WARM_UP = 16  # requests on new connections before the load, so every worker has answered once
TOP_FACTOR = """
PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>
SELECT ?factor (COUNT(?code) AS ?n) WHERE { ?code rsme:codesFactor ?factor }
GROUP BY ?factor ORDER BY DESC(?n) ?factor LIMIT 1
"""


@dataclass
class Case:
    """One measured route on one dataset."""

    dataset: str
    route: str
    load: sb.Load
    first_ms: float  # the first request: nothing cached yet


def seed_store(work: Path) -> Path:
    """The real corpus, built without the reasoner (its output is what is served)."""
    from kg import paths, pipeline

    out = work / "dist-seed"
    pipeline.build(ROOT / "data", out, run_reasoner=False)
    return out / paths.STORE_SUBDIR


def synthetic_store(work: Path, triples: int) -> Path:
    """A synthetic graph of about `triples` triples, loaded into a pyoxigraph store."""
    trig = work / "synth.trig"
    synth.write(trig, triples, 1)
    store_dir = work / "synth-store"
    ox.Store(str(store_dir)).bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    return store_dir


def top_factor(store_dir: Path) -> str:
    """The id of the factor with the most codes."""
    store = ox.Store.read_only(str(store_dir))
    (row,) = list(store.query(TOP_FACTOR, use_default_graph_as_union=True))  # type: ignore[arg-type]
    iri = row["factor"].value  # type: ignore[union-attr]
    return iri.rsplit("/", 1)[-1]


def measure(
    name: str, store_dir: Path, args: argparse.Namespace, wrk: str, work: Path, rsme_kg: str
) -> list[Case]:
    """Serve one store and load both routes."""
    port = sb.free_port()
    server = sb.Server(
        name=f"rsme-kg ({name})",
        command=[
            rsme_kg,
            "serve",
            "--store",
            str(store_dir),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        port=port,
        path="/sparql",
        log=work / f"server-{name}.log",
    )
    factor = top_factor(store_dir)
    routes = {
        "GET /factors": "/factors",
        "GET /factors/{id}/evidence": f"/factors/{factor}/evidence",
    }
    cases: list[Case] = []
    server.start(args.ready_timeout)
    try:
        base = f"http://127.0.0.1:{port}"
        for label, path in routes.items():
            accept = {"Accept": "application/json"}  # what wrk sends: the same cache key
            began = time.perf_counter()
            reply = httpx.get(base + path, timeout=60, headers=accept)
            first_ms = (time.perf_counter() - began) * 1000
            if reply.status_code != 200:
                raise sb.BenchError(f"{label} on {name}: {reply.status_code} {reply.text[:300]}")
            # warm-up: new connections reach every worker process, each of which computes the
            # answer once; the load below then measures the steady state, and the cold cost is
            # the first request above (a cold computation slows the whole 2-core machine)
            for _ in range(WARM_UP):
                httpx.get(base + path, timeout=60, headers=accept)
            print(f"{label} on {name} ({factor}) ...", flush=True)
            load = sb.run_wrk_path(
                wrk, base, path, "application/json", args.clients, args.duration, 30, work
            )
            print(
                f"  {load.rps:.0f} req/s, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms, "
                f"{load.errors} errors",
                flush=True,
            )
            cases.append(Case(name, label, load, first_ms))
    finally:
        server.stop()
    return cases


def section(cases: list[Case], args: argparse.Namespace, wrk: str) -> str:
    """The Markdown section of docs/benchmarks.md."""
    lines = [
        "## REST lookups",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `python bench/rest_bench.py "
        f"--duration {args.duration:g} --clients {args.clients}`: `rsme-kg serve --workers 2`, "
        f"{args.clients} keep-alive clients for {args.duration:g} s per case (wrk, "
        "`Accept: application/json`), the same request every time (the graph is read-only "
        "between builds, so answers are cached; the first request of each route, before any "
        f"cache, is timed apart, then {WARM_UP} requests on new connections warm every worker "
        "process before the load). Target: p99 at most 25 ms at 100k triples.",
        "",
        "| data | route | first request ms | requests/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        load = case.load
        lines.append(
            f"| {case.dataset} | {case.route} | {case.first_ms:.1f} | {load.rps:.0f} | "
            f"{load.p50_ms:.2f} | {load.p99_ms:.2f} | {load.errors} |"
        )
    lines += ["", "| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sb.machine()]
    lines += [f"| {k} | {v} |" for k, v in sb.versions(None, wrk)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--ready-timeout", type=float, default=120.0)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    wrk = sb.find_tool("wrk")
    rsme_kg = str(Path(sys.executable).parent / "rsme-kg")
    if wrk is None:
        print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rsme-kg-rest-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = measure("seed corpus", seed_store(work), args, wrk, work, rsme_kg)
    cases += measure(
        f"synthetic {args.triples // 1000}k",
        synthetic_store(work, args.triples),
        args,
        wrk,
        work,
        rsme_kg,
    )
    text = section(cases, args, wrk)
    print(text)
    if not args.no_doc:
        sb.write_doc(ROOT / "docs" / "benchmarks.md", text, MARKERS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
