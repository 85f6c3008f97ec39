"""REST routes: the first request of every GET route, and two lookups under load.

Run: ``.venv/bin/python bench/rest_bench.py [--duration 20] [--clients 8]``. Serves two builds
with ``rsme-kg serve --workers 2``: the seed corpus (built from data/) and a ~100k-triple
synthetic graph shaped like it (bench/synth.py, written as a build: store, build.json, VoID
and dump). For each it

1. times the server's start (until ``/sparql`` answers) and its warm-up (api.warmup: until
   ``/healthz`` says ``warm`` on every web worker process);
2. sends the first request of every GET route of the server's OpenAPI document, once, with
   parameters taken from the data (the factor with the most codes, its category, the study
   with the most codes, a word of that factor's label, ...), and a few more representations
   of the routes that negotiate (a page and its JSON, Turtle);
3. loads ``GET /factors`` and ``GET /factors/{id}/evidence`` with wrk (p50/p99);

and writes the tables, machine and versions between the ``rest-bench`` markers of
docs/benchmarks.md. ``--first-only`` skips the load (a quick check of the cold paths).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import urllib.parse
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
TARGET_MS = 50.0  # the first request of a route at 100k triples (issue 13)
WARM_CHECKS = 12  # consecutive "warm" answers of /healthz on new connections: every process
JSON = "application/json"
HTML = "text/html"
TURTLE = "text/turtle"
PREFIXES = """
PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
TOP_FACTOR = (
    PREFIXES
    + """
SELECT ?factor ?category ?label (COUNT(?code) AS ?n) WHERE {
  ?code rsme:codesFactor ?factor .
  ?factor skos:broader ?category ; skos:prefLabel ?label .
  ?category a rsme:FactorCategory .
  FILTER (lang(?label) = "en")
}
GROUP BY ?factor ?category ?label ORDER BY DESC(?n) ?factor LIMIT 1
"""
)
# the factor in the middle of the ranking by codes: a typical factor's pages
MEDIAN_FACTOR = (
    PREFIXES
    + """
SELECT ?factor (COUNT(?code) AS ?n) WHERE { ?code rsme:codesFactor ?factor }
GROUP BY ?factor ORDER BY DESC(?n) ?factor
"""
)
TOP_STUDY = (
    PREFIXES
    + """
SELECT ?study (COUNT(?code) AS ?n) WHERE { ?code a rsme:Code ; prov:wasDerivedFrom ?study }
GROUP BY ?study ORDER BY DESC(?n) ?study LIMIT 1
"""
)
# the SPARQL endpoint's first request (a GET route like the others)
SPARQL_QUERY = PREFIXES + "SELECT (COUNT(?f) AS ?n) WHERE { ?f a rsme:Factor }"


@dataclass
class Case:
    """One measured route on one dataset."""

    dataset: str
    route: str
    load: sb.Load
    first_ms: float  # the first request: nothing cached yet


@dataclass(frozen=True)
class First:
    """The first request of one route (one representation of it) on one dataset."""

    dataset: str
    route: str  # the OpenAPI path template
    url: str  # the path and query sent
    shown: str  # the same with the chosen ids as {factor}, {category}, {study}, {word}
    accept: str
    status: int
    ms: float
    size: int


@dataclass(frozen=True)
class Served:
    """One server run: how long it took to answer, then to be warm, and its first requests."""

    dataset: str
    started_s: float
    warm_s: float | None
    firsts: list[First]


@dataclass(frozen=True)
class Picked:
    """The parameters of the routes, taken from the data."""

    factor: str  # the factor with the most codes
    category: str
    study: str
    word: str
    median: str  # the factor in the middle of the ranking by codes


def seed_build(work: Path) -> Path:
    """The real corpus, built without the reasoner (its output is what is served)."""
    from kg import paths, pipeline

    out = work / "dist-seed"
    pipeline.build(ROOT / "data", out, run_reasoner=False)
    return out / paths.STORE_SUBDIR


def synthetic_build(work: Path, triples: int) -> Path:
    """A synthetic graph of about `triples` triples written as a build folder: the store, a
    build.json naming it (so that the server keeps what it computes per build, as for a real
    build), its VoID description and the TriG dump."""
    from kg import paths, pipeline
    from kg.describe import void_description
    from kg.store.embedded import EmbeddedStore

    out = work / f"dist-synth-{triples}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    trig = out / pipeline.TRIG_NAME
    summary = synth.write(trig, triples, 1)
    store_dir = out / paths.STORE_SUBDIR
    ox.Store(str(store_dir)).bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    store = EmbeddedStore.open(store_dir)
    build_id = f"synthetic-{triples}-seed-1"
    void = void_description(
        store,
        base_url=pipeline.PUBLIC_BASE,
        build_id=build_id,
        dump_url=f"{pipeline.PUBLIC_BASE}/dump/{pipeline.TRIG_NAME}",
    )
    void.serialize(out / pipeline.VOID_NAME, format="turtle")
    manifest = {
        "build_id": build_id,
        "built_at": dt.datetime.now(dt.UTC).isoformat(),
        "triples": len(store),
        "synthetic": str(summary),
    }
    del store
    (out / pipeline.MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    return store_dir


def pick(store_dir: Path) -> Picked:
    """The factor with the most codes (its category, a word of its label) and the study with
    the most codes."""
    store = ox.Store.read_only(str(store_dir))

    def first(query: str) -> ox.QuerySolution:
        (row,) = list(store.query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]
        return row

    factor = first(TOP_FACTOR)
    study = first(TOP_STUDY)
    ranked = list(store.query(MEDIAN_FACTOR, use_default_graph_as_union=True))  # type: ignore[arg-type]
    median = ranked[len(ranked) // 2]["factor"].value.rsplit("/", 1)[-1]
    words = [w for w in factor["label"].value.split() if len(w) > 3]
    return Picked(
        factor=factor["factor"].value.rsplit("/", 1)[-1],
        category=factor["category"].value.rsplit("/", 1)[-1],
        study=study["study"].value.rsplit("/", 1)[-1],
        word=(words or ["export"])[0].lower(),
        median=median,
    )


def requests_of(template: str, picked: Picked) -> list[tuple[str, str]]:
    """The (path and query, Accept) of the first requests of a route: its realistic
    parameters, and each representation a browser or a program asks for."""
    from api.pages import served_name

    f, c, s = picked.factor, picked.category, picked.study
    q = urllib.parse.quote(picked.word)
    fixed: dict[str, list[tuple[str, str]]] = {
        "/sparql": [(f"/sparql?{urllib.parse.urlencode({'query': SPARQL_QUERY})}", sb.ACCEPT)],
        "/factors/{factor_id}": [(f"/factors/{f}", JSON)],
        "/factors/{factor_id}/evidence": [(f"/factors/{f}/evidence", JSON)],
        "/categories/{category_id}": [(f"/categories/{c}", JSON)],
        "/studies/{study_id}": [(f"/studies/{s}", JSON)],
        "/search": [(f"/search?q={q}", JSON)],
        "/ontology": [("/ontology", HTML), ("/ontology", TURTLE)],
        "/ontology/{version}": [("/ontology/0.1.0", HTML)],
        "/shapes": [("/shapes", HTML), ("/shapes", TURTLE)],
        "/shapes/{name}": [("/shapes/study", HTML)],
        "/analysis": [("/analysis", JSON), ("/analysis", HTML)],
        "/analysis/{name}.{extension}": [
            ("/analysis/model.svg", "*/*"),
            ("/analysis/model.png", "*/*"),
        ],
        "/id/{path}": [
            (f"/id/factor/{f}", HTML),
            (f"/id/factor/{f}", TURTLE),
            (f"/id/factor/{f}?view=evidence", HTML),
            (f"/id/factor/{picked.median}", HTML),
            (f"/id/factor/{picked.median}", TURTLE),
            (f"/id/study/{s}", HTML),
        ],
        "/graph/{name}": [("/graph/corpus", HTML)],
        "/.well-known/void": [("/.well-known/void", TURTLE)],
        "/": [("/", HTML), ("/", JSON)],
        "/static/{name}": [(f"/static/{served_name('style.css')}", "*/*")],
        "/explore/categories/{category_id}": [(f"/explore/categories/{c}", HTML)],
        "/explore/factors/{factor_id}": [(f"/explore/factors/{f}", HTML)],
        "/explore/studies/{study_id}": [(f"/explore/studies/{s}", HTML)],
        "/explore/search": [(f"/explore/search?q={q}", HTML)],
    }
    if template in fixed:
        return fixed[template]
    if "{" in template:
        raise sb.BenchError(f"no parameters chosen for the route {template}: add them here")
    return [(template, HTML if template.startswith("/explore") else JSON)]


def placeholders(url: str, picked: Picked) -> str:
    """A request with the ids chosen from the data written as {factor}, {category}, {study}
    and {word}, so that the same request on two datasets is one row of the table."""
    if url.startswith("/sparql?"):
        return "/sparql?query=…"
    for value, name in (
        (picked.factor, "{factor}"),
        (picked.median, "{median factor}"),
        (picked.category, "{category}"),
        (picked.study, "{study}"),
    ):
        url = url.replace(f"/{value}", f"/{name}")
    return url.replace(f"q={urllib.parse.quote(picked.word)}", "q={word}")


def wait_warm(base: str, timeout: float) -> float | None:
    """Seconds until /healthz says warm on WARM_CHECKS new connections in a row (each may reach
    another web worker process); None if the server has no warm-up."""
    began = time.perf_counter()
    in_a_row = 0
    while time.perf_counter() - began < timeout:
        health = httpx.get(base + "/healthz", timeout=30).json()
        if "warm" not in health:
            return None
        in_a_row = in_a_row + 1 if health["warm"] else 0
        if in_a_row >= WARM_CHECKS:
            return time.perf_counter() - began
        time.sleep(0.02 if health["warm"] else 0.1)
    raise sb.BenchError(f"{base} was not warm after {timeout:.0f} s")


def first_requests(name: str, base: str, picked: Picked) -> list[First]:
    """The first request of every GET route of the OpenAPI document (and representations)."""
    spec = httpx.get(base + "/openapi.json", timeout=30).json()
    firsts: list[First] = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for template, operations in spec["paths"].items():
            if "get" not in operations:
                continue
            for url, accept in requests_of(template, picked):
                began = time.perf_counter()
                reply = client.get(url, headers={"Accept": accept})
                ms = (time.perf_counter() - began) * 1000
                shown = placeholders(url, picked)
                firsts.append(
                    First(
                        name,
                        template,
                        url,
                        shown,
                        accept,
                        reply.status_code,
                        ms,
                        len(reply.content),
                    )
                )
                mark = "" if ms <= TARGET_MS else "  (over target)"
                print(f"  {ms:8.1f} ms {reply.status_code} {url} [{accept}]{mark}", flush=True)
    return firsts


def measure(
    name: str, store_dir: Path, args: argparse.Namespace, wrk: str | None, work: Path, rsme_kg: str
) -> tuple[Served, list[Case]]:
    """Serve one build: time its start and warm-up, its first requests, then load two routes."""
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
    picked = pick(store_dir)
    routes = {
        "GET /factors": "/factors",
        "GET /factors/{id}/evidence": f"/factors/{picked.factor}/evidence",
    }
    cases: list[Case] = []
    server.start(args.ready_timeout)
    try:
        base = f"http://127.0.0.1:{port}"
        print(f"{name}: answering after {server.started_in:.2f} s", flush=True)
        warm = wait_warm(base, args.ready_timeout)
        print(f"{name}: warm {'–' if warm is None else f'{warm:.2f} s'} later", flush=True)
        firsts = first_requests(name, base, picked)
        served = Served(name, server.started_in, warm, firsts)
        if args.first_only or wrk is None:
            return served, cases
        for label, path in routes.items():
            accept = {"Accept": JSON}  # what wrk sends: the same cache key
            began = time.perf_counter()
            reply = httpx.get(base + path, timeout=60, headers=accept)
            first_ms = (time.perf_counter() - began) * 1000
            if reply.status_code != 200:
                raise sb.BenchError(f"{label} on {name}: {reply.status_code} {reply.text[:300]}")
            # new connections reach every web worker process before the load
            for _ in range(WARM_UP):
                httpx.get(base + path, timeout=60, headers=accept)
            print(f"{label} on {name} ({picked.factor}) ...", flush=True)
            load = sb.run_wrk_path(wrk, base, path, JSON, args.clients, args.duration, 30, work)
            print(
                f"  {load.rps:.0f} req/s, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms, "
                f"{load.errors} errors",
                flush=True,
            )
            cases.append(Case(name, label, load, first_ms))
    finally:
        server.stop()
    return served, cases


def first_table(runs: list[Served]) -> list[str]:
    """The first requests, one row per route and representation, one column per dataset."""
    names = [run.dataset for run in runs]
    rows: dict[tuple[str, str, str], dict[str, First]] = {}
    for run in runs:
        for first in run.firsts:
            rows.setdefault((first.route, first.shown, first.accept), {})[run.dataset] = first
    lines = [
        "| route | request (Accept) | " + " | ".join(f"{n} ms" for n in names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for (route, url, accept), by_name in rows.items():
        cells = []
        for n in names:
            found = by_name.get(n)
            if found is None:
                cells.append("–")
            else:
                status = "" if found.status < 300 else f" ({found.status})"
                cells.append(f"{found.ms:.1f}{status}")
        lines.append(f"| `{route}` | `{url}` ({accept}) | " + " | ".join(cells) + " |")
    return lines


def section(
    runs: list[Served], cases: list[Case], args: argparse.Namespace, wrk: str | None
) -> str:
    """The Markdown section of docs/benchmarks.md."""
    command = "python bench/rest_bench.py" + (
        " --first-only"
        if args.first_only
        else f" --duration {args.duration:g} --clients {args.clients}"
    )
    lines = [
        "## REST routes",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}`: "
        "`rsme-kg serve --workers 2` over each build (the synthetic graph written as a build: "
        "store, build.json, VoID, dump).",
        "",
        "### Start, warm-up and the first request of every route",
        "",
        "*Answering*: from the command to the first answer of `/sparql`. *Warm*: from then "
        "until `/healthz` says `warm` on "
        f"{WARM_CHECKS} new connections in a row (every web worker process has computed the "
        "answers every build shares, api.warmup; requests are answered meanwhile, waiting for "
        "the computation they need). Then one request per GET route of the OpenAPI document "
        "(and per representation where a route negotiates), in the document's order, each the "
        "first of its URL, with parameters from the data: the factor with the most codes "
        "({factor}, the largest pages), its category, the study with the most codes, a word of "
        "that factor's label, and the factor in the middle of the ranking ({median factor}). "
        "Target: at "
        f"most {TARGET_MS:g} ms at 100k triples.",
        "",
        "| data | answering s | warm s later |",
        "|---|---:|---:|",
    ]
    for run in runs:
        warm = "–" if run.warm_s is None else f"{run.warm_s:.2f}"
        lines.append(f"| {run.dataset} | {run.started_s:.2f} | {warm} |")
    lines += ["", *first_table(runs), ""]
    for run in runs:
        over = [f"`{f.shown}` ({f.accept}, {f.ms:.0f} ms)" for f in run.firsts if f.ms > TARGET_MS]
        lines.append(
            f"Over {TARGET_MS:g} ms on the {run.dataset}: " + (", ".join(over) or "none") + "."
        )
    lines.append("")
    if cases:
        lines += [
            "### Two lookups under load",
            "",
            f"{args.clients} keep-alive clients for {args.duration:g} s per case (wrk, "
            "`Accept: application/json`), the same request every time (the graph is read-only "
            "between builds, so answers are cached; the first request is timed apart, then "
            f"{WARM_UP} requests on new connections reach every web worker process before the "
            "load). Target: p99 at most 25 ms at 100k triples.",
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
        lines.append("")
    lines += ["| machine | |", "|---|---|"]
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
    parser.add_argument("--first-only", action="store_true", help="no load, first requests only")
    parser.add_argument("--no-seed", action="store_true", help="the synthetic graph only")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    wrk = sb.find_tool("wrk")
    rsme_kg = str(Path(sys.executable).parent / "rsme-kg")
    if wrk is None and not args.first_only:
        print(
            "wrk is needed for the load: apt-get install -y wrk (or --first-only)", file=sys.stderr
        )
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rsme-kg-rest-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    runs: list[Served] = []
    cases: list[Case] = []
    builds = [] if args.no_seed else [("seed corpus", seed_build(work))]
    builds.append((f"synthetic {args.triples // 1000}k", synthetic_build(work, args.triples)))
    for name, store_dir in builds:
        served, measured = measure(name, store_dir, args, wrk, work, rsme_kg)
        runs.append(served)
        cases += measured
    text = section(runs, cases, args, wrk)
    print(text)
    if not args.no_doc:
        sb.write_doc(ROOT / "docs" / "benchmarks.md", text, MARKERS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
