"""A bounded mixed load on loopback: SPARQL (cached and uncached), REST and pages, with and
without a runaway query, and the memory of the server's process tree.

A benchmark script, not a test. It

1. serves a build with ``rsme-kg serve`` on 127.0.0.1 (by default the ~100k-triple synthetic
   graph of ``bench/synth.py`` written as a build, as ``bench/rest_bench.py`` does;
   ``--data corpus`` builds ``data/`` instead, ``--store DIR`` serves an existing build), with
   ``RSME_KG_QUERY_WORKERS`` query workers (2), ``RSME_KG_STANDBY_WORKERS`` (1),
   ``RSME_KG_LONG_QUERY`` (0.5 s) and ``RSME_KG_QUERY_TIMEOUT`` (2 s);
2. waits for the server's warm-up (``/healthz`` says warm) and until its processes are idle,
   then sends every request of the mix once (each must answer 2xx/3xx; the cached kinds are
   cached from then on), fills the answer caches (``RSME_KG_CACHE_BYTES``, 8 MB for the run)
   with unique answers, and waits until the processes are idle again;
3. after ``--warmup`` seconds of the same load, not measured (connections), runs two phases
   of ``--seconds`` each with ``--clients`` concurrent keep-alive clients (asyncio + httpx, one
   process): *steady*, then *runaway*, where a separate client also sends a query that cannot
   finish (a cartesian product, a new text each time) every ``--inject-every`` seconds, which
   the server must stop at its query timeout (503);
4. samples the resident memory (PSS) of the server's whole process tree every second;
5. reports, per kind of request and phase, requests, errors, p50 and p99; the p99 ratio
   runaway / steady per kind; the memory's start, end, maximum and trend; and writes them with
   the machine, the versions and the command between ``<!-- load-bench:start -->`` and
   ``<!-- load-bench:end -->`` of docs/benchmarks.md (``--no-doc``: print only);
6. stops the server (its whole process group), also on Ctrl-C, SIGTERM or an error.

Every client sends the same interleaved cycle of requests (one of each kind in turn), starting
at a different place of it, so the mix is a quarter of each kind by count. Exit status: 0 when
every target is met, 1 when one is missed (the doc is still written), 2 when the run could not
be made.

Usage::

    python bench/load_bench.py [--seconds 60] [--clients 16] [--data synthetic|corpus]
        [--store DIR] [--json FILE] [--no-doc]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rest_bench as rb  # the builds served and the parameters taken from the data
import serve_bench  # the memory of one process
import sparql_bench as sb  # the server, the queries with a bound, the doc writer

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- load-bench:start -->", "<!-- load-bench:end -->")
KINDS = ("sparql-cached", "sparql-uncached", "rest", "page")
PHASES = ("steady", "runaway")
WARM_UP = "warm-up"  # the same load before the phases, not measured: connections, caches
JSON = "application/json"
HTML = "text/html"
MAX_P99_RATIO = 2.0  # a runaway query may raise nobody's p99 by more than this (issue 15)
MAX_FILL = 2000  # unique queries sent at most to fill the answer caches before the load
FLAT_SHARE = 0.01  # memory growth below 1 % of the tree's memory counts as flat (see line)

# Counts the combinations of three triples: about n³ rows (10^15 at 100k triples, 10^10 for a
# few thousand), which no engine finishes within a query timeout of seconds. The bound makes
# every injected query a different text, so no answer cache can be involved.
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
    f"FILTER (STRLEN(STR(?i)) < {sb.BOUND}) }}"
)


class Stop(Exception):
    """The run cannot go on (a server that does not start, a request of the mix that fails)."""


# --------------------------------------------------------------------------- the mix


@dataclass(frozen=True)
class Target:
    """One request of the mix: its kind, path (holding BOUND when every request must be a new
    query), Accept header and the same path with the ids chosen from the data as placeholders."""

    kind: str
    path: str
    accept: str
    shown: str

    @property
    def unique(self) -> bool:
        """Whether each request puts a new number in place of BOUND."""
        return sb.BOUND in self.path


def sparql_path(query: str) -> str:
    """The GET path of a query (BOUND kept as it is: urlencode leaves underscores alone)."""
    return sb.query_path("http://127.0.0.1/sparql", query)


def mix(picked: rb.Picked, factor_iri: str) -> dict[str, list[Target]]:
    """The requests of each kind, with parameters from the data (see rest_bench.pick)."""
    selective = sb.SELECTIVE_TEMPLATE % factor_iri
    aggregate = sb.aggregate_query()
    f, c, s, m = picked.factor, picked.category, picked.study, picked.median
    q = urllib.parse.quote(picked.word)
    cached = [
        Target("sparql-cached", sparql_path(sb.with_bound(selective)), sb.ACCEPT, "SELECTIVE"),
        Target("sparql-cached", sparql_path(sb.with_bound(aggregate)), sb.ACCEPT, "AGGREGATE"),
        Target("sparql-cached", sparql_path(rb.SPARQL_QUERY), sb.ACCEPT, "COUNT factors"),
    ]
    uncached = [  # SELECTIVE twice as often: AGGREGATE costs the engine ~40× more
        Target("sparql-uncached", sparql_path(selective), sb.ACCEPT, "SELECTIVE, new bound"),
        Target("sparql-uncached", sparql_path(selective), sb.ACCEPT, "SELECTIVE, new bound"),
        Target("sparql-uncached", sparql_path(aggregate), sb.ACCEPT, "AGGREGATE, new bound"),
    ]
    rest = [
        Target("rest", "/factors", JSON, "/factors"),
        Target("rest", f"/factors/{f}/evidence", JSON, "/factors/{factor}/evidence"),
        Target("rest", f"/factors/{m}/evidence", JSON, "/factors/{median factor}/evidence"),
        Target("rest", f"/studies?factor={f}&limit=20", JSON, "/studies?factor={factor}&limit=20"),
        Target(
            "rest",
            "/studies?decision=included&offset=20",
            JSON,
            "/studies?decision=included&offset=20",
        ),
        Target("rest", f"/search?q={q}", JSON, "/search?q={word}"),
    ]
    page = [
        Target("page", "/", HTML, "/"),
        Target("page", f"/explore/factors/{f}", HTML, "/explore/factors/{factor}"),
        Target("page", f"/explore/studies/{s}", HTML, "/explore/studies/{study}"),
        Target("page", f"/explore/categories/{c}", HTML, "/explore/categories/{category}"),
        Target("page", f"/explore/search?q={q}", HTML, "/explore/search?q={word}"),
        Target("page", "/releases", HTML, "/releases"),
    ]
    return {"sparql-cached": cached, "sparql-uncached": uncached, "rest": rest, "page": page}


def cycle_of(targets: dict[str, list[Target]]) -> list[Target]:
    """One kind after the other, each kind's requests in turn: a cycle as long as the longest
    kind's list times the kinds, where every kind has the same number of requests."""
    longest = max(len(found) for found in targets.values())
    return [targets[kind][i % len(targets[kind])] for i in range(longest) for kind in KINDS]


# --------------------------------------------------------------------------- the load


@dataclass
class Tally:
    """The outcome of one kind's requests in one phase."""

    # seconds, of every answer (an error's too: a 503 after waiting for a worker is part of
    # the tail); a transport error has no answer to time
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        """Requests, good answers, errors (with their causes), p50 and p99 in ms."""
        p50, p99 = sb.percentiles(self.latencies)
        good, bad = self.ok, sum(self.errors.values())
        return {
            "requests": good + bad,
            "ok": good,
            "errors": bad,
            "error_detail": dict(self.errors),
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
        }


@dataclass
class Injection:
    """One runaway query: the status it got and how long it took."""

    status: str  # "503 timeout", another status, or a transport error's name
    seconds: float


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    seconds: float = 0.0
    capped: bool = False
    began: float = 0.0  # time.monotonic() at its start
    server_cpu_s: float = 0.0  # the server's whole process tree, during the phase
    client_cpu_s: float = 0.0  # this process (the load client), during the phase
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    injections: list[Injection] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The phase as plain data (the report's JSON)."""
        kinds = {kind: tally.summary() for kind, tally in self.tallies.items()}
        stopped = sum(1 for i in self.injections if i.status == "503 timeout")
        return {
            "seconds": round(self.seconds, 3),
            "capped": self.capped,
            "server_cpu_s": round(self.server_cpu_s, 2),
            "client_cpu_s": round(self.client_cpu_s, 2),
            "requests": sum(k["requests"] for k in kinds.values()),
            "errors": sum(k["errors"] for k in kinds.values()),
            "kinds": kinds,
            "runaway": {
                "sent": len(self.injections),
                "stopped_at_timeout": stopped,
                "statuses": dict(Counter(i.status for i in self.injections)),
                "max_seconds": round(max((i.seconds for i in self.injections), default=0.0), 3),
            },
        }


def tree_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by a process group, the processes it has ended
    and reaped included (a query worker killed after a runaway query counts in its parent's
    reaped-children time), so that the difference of two readings is never negative as
    sparql_bench.group_cpu's may be here."""
    ticks = 0
    for pid in sb.group_pids(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # ended since it was listed (and counted by its parent once reaped)
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def fill(path: str, counter: itertools.count[int]) -> str:
    """A path with a new number in place of BOUND (one never sent before in this run)."""
    return path.replace(sb.BOUND, str(next(counter))) if sb.BOUND in path else path


def outcome(reply: httpx.Response) -> str | None:
    """Why an answer of the mix is an error (None: a 2xx or 3xx), with the kind and detail of
    the problem (api.problems) when the answer is problem+json: ``HTTP 503 timeout: no query
    worker became free within 2 s``."""
    if 200 <= reply.status_code < 400:
        return None
    detail = problem_detail(reply)
    return f"HTTP {reply.status_code}{problem_kind(reply)}" + (f": {detail}" if detail else "")


def problem(reply: httpx.Response) -> dict[str, Any]:
    """The members of a problem+json answer (none for any other answer)."""
    if not reply.headers.get("content-type", "").startswith("application/problem+json"):
        return {}
    with contextlib.suppress(ValueError):
        found = reply.json()
        if isinstance(found, dict):
            return found
    return {}


def problem_kind(reply: httpx.Response) -> str:
    """' kind' of a problem+json answer (the last part of its type), else ''."""
    kind = str(problem(reply).get("type", "")).rsplit("/", 1)[-1]
    return f" {kind}" if kind else ""


def problem_detail(reply: httpx.Response) -> str:
    """The start of a problem's detail (enough to tell its causes apart)."""
    return str(problem(reply).get("detail", ""))[:80]


async def client(
    http: httpx.AsyncClient,
    cycle: list[Target],
    start: int,
    phase: Phase,
    deadline: float,
    budget: list[int],
    counter: itertools.count[int],
) -> None:
    """One closed-loop client: the cycle from `start` on, one request at a time, until the
    deadline or until the phase's request budget is spent."""
    for n in itertools.count(start):
        if time.monotonic() >= deadline:
            return
        if budget[0] <= 0:
            phase.capped = True
            return
        budget[0] -= 1
        target = cycle[n % len(cycle)]
        tally = phase.tallies[target.kind]
        sent = time.perf_counter()
        try:
            reply = await http.get(fill(target.path, counter), headers={"Accept": target.accept})
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
            continue
        tally.latencies.append(time.perf_counter() - sent)
        error = outcome(reply)
        if error is None:
            tally.ok += 1
        else:
            tally.errors[error] += 1


async def inject_one(http: httpx.AsyncClient, phase: Phase, counter: itertools.count[int]) -> None:
    """Send one runaway query and record how the server ended it."""
    sent = time.perf_counter()
    try:
        reply = await http.get(fill(sparql_path(RUNAWAY), counter), headers={"Accept": sb.ACCEPT})
    except httpx.HTTPError as exc:
        phase.injections.append(Injection(type(exc).__name__, time.perf_counter() - sent))
        return
    status = f"{reply.status_code}{problem_kind(reply)}"
    phase.injections.append(Injection(status, time.perf_counter() - sent))


async def injector(
    base: str,
    phase: Phase,
    deadline: float,
    every: float,
    timeout: float,
    counter: itertools.count[int],
) -> None:
    """A runaway query every `every` seconds from the phase's start, on a connection of its
    own (it is not one of the clients); waits for the last ones to be answered."""
    pending: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
        while time.monotonic() < deadline:
            pending.append(asyncio.create_task(inject_one(http, phase, counter)))
            await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))
        await asyncio.gather(*pending)


async def run_phase(
    base: str,
    cycle: list[Target],
    phase: Phase,
    args: argparse.Namespace,
    offset: int,
    pgid: int,
    seconds: float,
) -> None:
    """Load the server for one phase (with the injector in the runaway phase); the CPU both
    sides used (they share the machine's cores)."""
    server_cpu, client_cpu = tree_cpu(pgid), time.process_time()
    counter = itertools.count(offset)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    budget = [args.max_requests]
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=args.request_timeout, follow_redirects=False
    ) as http:
        began = phase.began = time.monotonic()
        deadline = began + seconds
        jobs = [
            client(http, cycle, i * len(cycle) // args.clients, phase, deadline, budget, counter)
            for i in range(args.clients)
        ]
        runaways = [
            injector(base, phase, deadline, args.inject_every, args.request_timeout, counter)
            for _ in range(phase.name == "runaway")
        ]
        # the hard bound: the phase, then one request's timeout for the last answers
        try:
            async with asyncio.timeout(seconds + args.request_timeout + 10):
                injecting = [asyncio.create_task(one) for one in runaways]
                await asyncio.gather(*jobs)
                phase.seconds = time.monotonic() - began  # the clients' time
                await asyncio.gather(*injecting)  # the last runaway's answer
        except TimeoutError as exc:
            raise Stop(f"the {phase.name} phase overran its hard bound") from exc
    phase.server_cpu_s = tree_cpu(pgid) - server_cpu
    phase.client_cpu_s = time.process_time() - client_cpu


# --------------------------------------------------------------------------- memory


@dataclass
class Sample:
    """The server's process tree at one moment."""

    t: float  # seconds since the sampling started
    pss_mb: float  # the whole tree
    web_pss_mb: float  # its processes that are not query workers (the long-lived ones)
    rss_mb: float
    processes: int
    zombies: int


def is_query_worker(pid: int) -> bool:
    """Whether a process is a query worker (``python -m api.worker ...``, see api.worker)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"api.worker" in words


def sample_tree(pgid: int, t: float) -> Sample:
    """Sum the memory of a process group (PSS counts a shared page once, split)."""
    rss = pss = web = zombies = 0
    pids = sb.group_pids(pgid)
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            zombies += stat[stat.rindex(")") + 2] == "Z"
        one_rss, one_pss = serve_bench.memory_kb(pid)
        rss += one_rss
        pss += one_pss
        web += 0 if is_query_worker(pid) else one_pss
    return Sample(t, pss / 1024, web / 1024, rss / 1024, len(pids), zombies)


class Sampler(threading.Thread):
    """Samples the process tree every `every` seconds, in a thread, so that reading /proc never
    holds up the clients' event loop."""

    def __init__(self, pgid: int, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pgid, self.every = pgid, every
        self.samples: list[Sample] = []
        self.began = time.monotonic()
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until stopped, on a fixed beat."""
        beat = 0
        while not self._halt.is_set():
            self.samples.append(sample_tree(self.pgid, time.monotonic() - self.began))
            beat += 1
            self._halt.wait(max(0.0, self.began + beat * self.every - time.monotonic()))

    def finish(self) -> list[Sample]:
        """Stop sampling; the samples taken."""
        self._halt.set()
        self.join(timeout=10)
        return self.samples


def line(points: list[tuple[float, float]]) -> dict[str, Any]:
    """Start, end and maximum of a series of (seconds, MB), and a least-squares line over its
    second half: the slope, its rise across that half, the scatter of the points around it,
    and whether the series is flat: a rise no larger than the noise (twice the scatter) or
    than 1 % of the memory. Fewer than 3 points in the second half tell nothing: flat None.

    >>> line([(t, 100.0 + t % 2) for t in range(10)])["slope_mb_per_min"]
    0.0
    >>> line([(t, 100.0 + 10 * t) for t in range(10)])["flat"]
    False
    """
    values = [y for _, y in points]
    found: dict[str, Any] = {
        "start_mb": round(values[0], 1),
        "end_mb": round(values[-1], 1),
        "max_mb": round(max(values), 1),
        "flat": None,
    }
    half = points[0][0] + (points[-1][0] - points[0][0]) / 2
    late = [(t, y) for t, y in points if t >= half]
    if len(late) < 3:
        return found
    mt, my = sum(t for t, _ in late) / len(late), sum(y for _, y in late) / len(late)
    spread = sum((t - mt) ** 2 for t, _ in late)
    slope = sum((t - mt) * (y - my) for t, y in late) / spread
    residuals = [y - (my + slope * (t - mt)) for t, y in late]
    noise = math.sqrt(sum(r * r for r in residuals) / (len(late) - 2))
    rise = slope * (late[-1][0] - late[0][0])
    found.update(
        slope_mb_per_min=round(slope * 60, 2),
        rise_mb=round(rise, 2),
        noise_mb=round(noise, 2),
        flat=rise <= max(2 * noise, FLAT_SHARE * my),
    )
    return found


def trend(samples: list[Sample]) -> dict[str, Any]:
    """The memory of the run: the whole tree's series (see line), the same for the web server's
    processes alone (query workers are replaced after a runaway query, which makes the tree's
    series jump; a leak of the long-lived processes shows in theirs), the processes counted,
    and flat: both series flat (None when either cannot tell)."""
    if not samples:
        return {"samples": 0, "flat": None}
    found = line([(s.t, s.pss_mb) for s in samples])
    web = line([(s.t, s.web_pss_mb) for s in samples])
    verdicts = (found["flat"], web["flat"])
    found.update(
        tree_flat=found["flat"],
        samples=len(samples),
        max_rss_mb=round(max(s.rss_mb for s in samples), 1),
        processes=[samples[0].processes, samples[-1].processes],
        max_processes=max(s.processes for s in samples),
        max_zombies=max(s.zombies for s in samples),
        web=web,
        flat=None if None in verdicts else all(verdicts),
    )
    return found


# --------------------------------------------------------------------------- the run


def prepare_store(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The store to serve and a description of it."""
    if args.store is not None:
        if not args.store.is_dir():
            raise Stop(f"--store {args.store}: no such folder (a build's store, e.g. dist/store)")
        return args.store.resolve(), f"the build at `{args.store}`"
    if args.data == "corpus":
        return rb.seed_build(work), "the seed corpus (`data/`, built without the reasoner)"
    store = rb.synthetic_build(work, args.triples)
    return store, f"the synthetic graph (`bench/synth.py --triples {args.triples} --seed 1`)"


def the_mix(store_dir: Path) -> tuple[dict[str, list[Target]], int]:
    """The mix over a store (parameters from its data) and its number of triples."""
    picked = rb.pick(store_dir)
    store = ox.Store.read_only(str(store_dir))
    try:
        factor = sb.pick_factor(store)
        triples = len(store)
    except sb.BenchError as exc:
        raise Stop(str(exc)) from exc
    finally:
        del store
    return mix(picked, factor), triples


def start_server(args: argparse.Namespace, store_dir: Path, work: Path) -> sb.Server:
    """`rsme-kg serve` with the run's query workers and timeout, answering."""
    rsme_kg = sb.find_tool("rsme-kg")
    if rsme_kg is None:
        raise Stop("the rsme-kg command is not installed")
    port = sb.free_port()
    command = [rsme_kg, "serve", "--store", str(store_dir), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(args.web_workers)]
    command += ["--releases", str(args.releases.resolve())]
    server = sb.Server("rsme-kg", command, port, "/sparql", work / "server.log")
    settings = {
        "RSME_KG_QUERY_WORKERS": str(args.query_workers),
        "RSME_KG_STANDBY_WORKERS": str(args.standby_workers),
        "RSME_KG_LONG_QUERY": f"{args.long_query:g}",
        "RSME_KG_QUERY_TIMEOUT": f"{args.query_timeout:g}",
        "RSME_KG_CACHE_BYTES": str(args.cache_bytes),
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)  # the server inherits them
    try:
        server.start(args.ready_timeout)
    except sb.BenchError as exc:
        raise Stop(str(exc)) from exc
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return server


def first_round(base: str, cycle: list[Target], timeout: float) -> tuple[Target, int]:
    """Every request of the mix once, in order: each must answer 2xx/3xx (a mix that fails
    before any load is a broken mix, not a load result); the cached kinds' answers are cached
    from then on. Returns the uncached request with the largest answer, and its size."""
    counter = itertools.count(sb.run_offset())
    largest: tuple[Target, int] | None = None
    with httpx.Client(base_url=base, timeout=timeout, follow_redirects=False) as http:
        for target in dict.fromkeys(cycle):
            reply = http.get(fill(target.path, counter), headers={"Accept": target.accept})
            if target.unique and (largest is None or len(reply.content) > largest[1]):
                largest = (target, len(reply.content))
            if outcome(reply) is not None:
                raise Stop(
                    f"{target.kind} {target.shown} answered {reply.status_code} before the load: "
                    f"{reply.text[:300]}"
                    + (
                        " (a busy machine: try a longer --query-timeout)"
                        if reply.status_code == 503
                        else ""
                    )
                )
    if largest is None:
        raise Stop("the mix has no uncached request")
    return largest


async def fill_caches(
    base: str, target: Target, requests: int, args: argparse.Namespace
) -> dict[str, int]:
    """Fill the server's answer caches (bounded by RSME_KG_CACHE_BYTES) with unique answers
    before the load, so that their growth, by design, is not mistaken for a leak: `requests`
    different queries, as many at a time as there are query workers (more would only wait for
    one, and time out); the answers that were errors."""
    counter = itertools.count(sb.run_offset() + 5 * 10**11)
    errors = 0
    at_once = args.query_workers * args.web_workers
    gate = asyncio.Semaphore(at_once)

    async def one(http: httpx.AsyncClient) -> None:
        nonlocal errors
        async with gate:
            try:
                reply = await http.get(
                    fill(target.path, counter), headers={"Accept": target.accept}
                )
            except httpx.HTTPError:
                errors += 1
                return
            errors += outcome(reply) is not None

    async with httpx.AsyncClient(base_url=base, timeout=args.request_timeout) as http:
        async with asyncio.timeout(requests * args.request_timeout / at_once + 60):
            await asyncio.gather(*(one(http) for _ in range(requests)))
    return {"requests": requests, "errors": errors}


def fill_count(cache_bytes: int, answer_bytes: int) -> int:
    """Unique answers of `answer_bytes` that fill both caches (each holds half the bytes),
    with a quarter more for the keys and the costs the caches also count; MAX_FILL at most.

    >>> fill_count(8_000_000, 100_000), fill_count(0, 100_000), fill_count(8_000_000, 10)
    (50, 0, 2000)
    """
    if cache_bytes <= 0:
        return 0
    return min(MAX_FILL, math.ceil(1.25 * cache_bytes / 2 / max(answer_bytes, 1)))


def ratios(phases: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Each kind's p99 with the runaway query over its p99 without."""
    found: dict[str, float | None] = {}
    for kind in KINDS:
        before = phases["steady"]["kinds"][kind]["p99_ms"]
        after = phases["runaway"]["kinds"][kind]["p99_ms"]
        # not rounded: 2.004 is over a bound of 2 (the table rounds for reading only)
        found[kind] = after / before if before > 0 and after > 0 else None
    return found


def targets(report: dict[str, Any]) -> dict[str, bool]:
    """Which targets of issue 15 the run met."""
    phases = report["phases"]
    runaway = phases["runaway"]["runaway"]
    return {
        "zero errors": report["warmup"]["errors"] == 0
        and all(phases[p]["errors"] == 0 for p in PHASES),
        "every kind answered in both phases": all(
            phases[p]["kinds"][k]["ok"] > 0 for p in PHASES for k in KINDS
        ),
        f"p99 with the runaway query at most {MAX_P99_RATIO:g}× without": all(
            r is not None and r <= MAX_P99_RATIO for r in report["p99_ratio"].values()
        ),
        "every runaway query stopped at the timeout (503)": runaway["sent"] > 0
        and runaway["stopped_at_timeout"] == runaway["sent"],
        "memory flat": report["memory"]["flat"] is True,
    }


async def load(
    base: str, cycle: list[Target], args: argparse.Namespace, pgid: int
) -> dict[str, Phase]:
    """The warm-up, then the two phases, one after the other."""
    phases = {name: Phase(name) for name in (WARM_UP, *PHASES)}
    offset = sb.run_offset()
    for n, (name, phase) in enumerate(phases.items()):
        seconds = args.warmup if name == WARM_UP else args.seconds
        print(f"{name}: {args.clients} clients for {seconds:g} s ...", flush=True)
        # bounds of the phases never meet: 10^11 apart, far more than requests sent
        await run_phase(base, cycle, phase, args, offset + n * 10**11, pgid, seconds)
    return phases


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Serve, load, sample; the report as plain data."""
    store_dir, described = prepare_store(args, work)
    targets_by_kind, triples = the_mix(store_dir)
    cycle = cycle_of(targets_by_kind)
    server = start_server(args, store_dir, work)
    with sb.stopping([server]):
        assert server.process is not None
        base = f"http://127.0.0.1:{server.port}"
        print(f"serving {described} ({triples} triples) at {base}", flush=True)
        # the server's own warm-up first: a cold page may need longer than a short timeout
        rb.wait_warm(base, args.ready_timeout)
        sb.settle(server.process.pid, args.ready_timeout)
        largest, size = first_round(base, cycle, args.request_timeout)
        requests = fill_count(args.cache_bytes, size)
        print(f"filling the answer caches: {requests} × {largest.shown} ...", flush=True)
        filled = asyncio.run(fill_caches(base, largest, requests, args))
        filled["answer_bytes"] = size
        sb.settle(server.process.pid, args.ready_timeout)
        sampler = Sampler(server.process.pid)
        sampler.start()
        try:
            phases = asyncio.run(load(base, cycle, args, server.process.pid))
        finally:
            samples = sampler.finish()
    report: dict[str, Any] = {
        "data": described,
        "triples": triples,
        "settings": {
            "seconds": args.seconds,
            "clients": args.clients,
            "query_workers": args.query_workers,
            "standby_workers": args.standby_workers,
            "long_query": args.long_query,
            "web_workers": args.web_workers,
            "query_timeout": args.query_timeout,
            "inject_every": args.inject_every,
            "max_requests": args.max_requests,
            "warmup": args.warmup,
            "cache_bytes": args.cache_bytes,
        },
        "mix": {k: [t.shown for t in found] for k, found in targets_by_kind.items()},
        "cache_fill": filled,
        "warmup": phases[WARM_UP].summary(),
        "phases": {name: phases[name].summary() for name in PHASES},
        "phase_starts": {
            name: round(phase.began - sampler.began, 3) for name, phase in phases.items()
        },
        "memory": trend(samples),
        "memory_samples": [asdict(s) for s in samples],
    }
    report["p99_ratio"] = ratios(report["phases"])
    report["targets"] = targets(report)
    report["ok"] = all(report["targets"].values())
    return report


# --------------------------------------------------------------------------- the text


def table(report: dict[str, Any]) -> str:
    """Requests, errors, p50 and p99 per kind and phase, and the p99 ratio."""
    lines = [
        "| kind | steady: requests | errors | p50 ms | p99 ms | with runaway: requests | errors "
        "| p50 ms | p99 ms | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    steady, runaway = (report["phases"][p] for p in PHASES)
    for kind in KINDS:
        cells = []
        for phase in (steady, runaway):
            one = phase["kinds"][kind]
            errors = str(one["errors"])
            if one["error_detail"]:
                errors += " (" + ", ".join(f"{k} {v}" for k, v in one["error_detail"].items()) + ")"
            cells += [str(one["requests"]), errors, sb.fmt_ms(one["p50_ms"])]
            cells.append(sb.fmt_ms(one["p99_ms"]))
        ratio = report["p99_ratio"][kind]
        cells.append("–" if ratio is None else f"{ratio:.2f}×")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    totals = [
        f"{one['requests']} requests in {one['seconds']:.1f} s"
        + (" (request cap reached)" if one["capped"] else "")
        + f", CPU: server {one['server_cpu_s']:.1f} s, load client {one['client_cpu_s']:.1f} s"
        for one in (steady, runaway)
    ]
    lines += ["", f"Totals: steady {totals[0]}; with the runaway query {totals[1]}."]
    return "\n".join(lines)


def memory_text(memory: dict[str, Any]) -> str:
    """The memory line of the report."""
    if not memory.get("samples"):
        return "Memory: no sample."
    text = (
        f"Memory (PSS of the process tree, {memory['samples']} samples, one a second): start "
        f"{memory['start_mb']:.0f} MB, end {memory['end_mb']:.0f} MB, max {memory['max_mb']:.0f} "
        f"MB (RSS max {memory['max_rss_mb']:.0f} MB); processes {memory['processes'][0]} at the "
        f"start, {memory['processes'][1]} at the end, at most {memory['max_processes']} "
        f"({memory['max_zombies']} not yet reaped at most). "
    )
    if memory["flat"] is None:
        return text + "Too few samples in the second half to judge the trend."
    web = memory["web"]
    return text + (
        f"Second half: {series_text(memory, memory['tree_flat'])}. The web server's processes "
        f"alone: start {web['start_mb']:.0f} MB, end {web['end_mb']:.0f} MB, max "
        f"{web['max_mb']:.0f} MB; second half: {series_text(web, web['flat'])}."
    )


def series_text(series: dict[str, Any], flat: bool) -> str:
    """The line of one memory series in words, with its verdict."""
    verdict = "flat" if flat else "GROWING"
    return (
        f"slope {series['slope_mb_per_min']:+.2f} MB/min, rise {series['rise_mb']:+.2f} MB "
        f"across it, scatter around the line {series['noise_mb']:.2f} MB: **{verdict}**"
    )


def runaway_text(report: dict[str, Any]) -> str:
    """How the runaway queries ended."""
    found = report["phases"]["runaway"]["runaway"]
    statuses = ", ".join(f"{k} × {v}" for k, v in found["statuses"].items()) or "none"
    return (
        f"Runaway queries: {found['sent']} sent, {found['stopped_at_timeout']} stopped at the "
        f"query timeout ({statuses}); the longest took {found['max_seconds']:.2f} s."
    )


def targets_text(report: dict[str, Any]) -> str:
    """The targets, met or missed."""
    return "\n".join(
        f"* {'met' if met else '**missed**'}: {name}" for name, met in report["targets"].items()
    )


def command_line(argv: list[str] | None) -> str:
    """The command that made the figures."""
    given = sys.argv[1:] if argv is None else argv
    return " ".join([".venv/bin/python bench/load_bench.py", *map(shlex.quote, given)])


def section(report: dict[str, Any], started: dt.datetime, command: str) -> str:
    """The Markdown section of docs/benchmarks.md (without the markers)."""
    s, fill = report["settings"], report["cache_fill"]
    mix_lines = "\n".join(
        f"| {kind} | " + ", ".join(f"`{shown}`" for shown in report["mix"][kind]) + " |"
        for kind in KINDS
    )
    facts = "\n".join(f"| {k} | {v} |" for k, v in sb.machine())
    versions = "\n".join(
        f"| {name} | {sb.package_version(name)} |"
        for name in ("rsme-kg", "pyoxigraph", "fastapi", "uvicorn", "httpx")
    )
    return f"""\
## Mixed load, a runaway query and memory

Run on {started:%Y-%m-%d %H:%M} UTC by `{command}`: `rsme-kg serve --workers {s["web_workers"]}`
over {report["data"]} ({report["triples"]} triples) on 127.0.0.1, with
`RSME_KG_QUERY_WORKERS={s["query_workers"]}`, `RSME_KG_STANDBY_WORKERS={s["standby_workers"]}`,
`RSME_KG_LONG_QUERY={s["long_query"]:g}` and `RSME_KG_QUERY_TIMEOUT={s["query_timeout"]:g}`.
{s["clients"]} concurrent keep-alive clients (asyncio + httpx in one process, which shares the
machine's cores with the server) for {s["seconds"]:g} s per phase, each sending the next request
of one interleaved cycle (a quarter of each kind by count, every client starting at another place
of it); a request is an error when it answers other than 2xx/3xx or fails in transport; p50 and
p99 are over every answer, errors included (a 503 after waiting for a worker is in the tail).
Once the server was warm and its processes idle, every request of the cycle was sent once (the
cached kinds then answer from the server's caches), {fill["requests"]} different queries
({fill["answer_bytes"]} bytes each, as many at a time as there are query workers;
{fill["errors"]} errors) filled the answer caches, then {s["warmup"]:g} s of the same load, not
measured, opened the connections (its {report["warmup"]["errors"]} errors in
{report["warmup"]["requests"]} requests count for the targets).

* *sparql-uncached*: each request puts a new number (never sent before in the run) into the
  constant of a FILTER that keeps every row (as in the SPARQL benchmark), so each is a different
  query that no answer cache can serve.
* *runaway* phase: a separate client also sends, every {s["inject_every"]:g} s, a count of all
  combinations of three triples (n³ rows; a new text each time). After
  `RSME_KG_LONG_QUERY` the server sets it aside (its worker leaves the pool at a lower priority,
  a standby worker takes its place and another standby is started), and stops it at its query
  timeout by killing that worker. The p99 ratio is each kind's
  p99 in that phase over its p99 in the steady phase (target: at most {MAX_P99_RATIO:g}×).
* Memory: PSS of the server's whole process tree (web server, query workers) once a second over
  both phases, and of the web server's processes alone (the query workers replaced after each
  runaway query make the tree's series jump; a leak of the long-lived processes shows in theirs);
  a series is *flat* when a least-squares line over the second half of the run rises across it
  by no more than twice the scatter of the samples around it, or than {FLAT_SHARE:.0%} of the
  memory; the target needs both flat. The server's two answer caches share
  `RSME_KG_CACHE_BYTES`, set to {s["cache_bytes"]} for the run (default 64 MB): they keep the
  unique queries' answers up to their bound, so they were filled before the load (with the
  largest uncached answer of the mix) and their growth, by design, is not counted as a leak.

| kind | requests of the cycle (ids from the data) |
|---|---|
{mix_lines}

{table(report)}

{runaway_text(report)}

{memory_text(report["memory"])}

Targets:

{targets_text(report)}

| machine | |
|---|---|
{facts}
{versions}
"""


# --------------------------------------------------------------------------- the command


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--data", choices=("synthetic", "corpus"), default="synthetic")
    parser.add_argument("--triples", type=int, default=100_000, help="size of the synthetic data")
    parser.add_argument("--store", type=Path, help="serve this built store instead")
    parser.add_argument("--releases", type=Path, default=ROOT / "releases")
    parser.add_argument("--query-workers", type=int, default=2)
    parser.add_argument(
        "--standby-workers", type=int, default=1, help="RSME_KG_STANDBY_WORKERS (0: none)"
    )
    parser.add_argument("--long-query", type=float, default=0.5, help="RSME_KG_LONG_QUERY")
    parser.add_argument("--web-workers", type=int, default=1, help="rsme-kg serve --workers")
    parser.add_argument("--query-timeout", type=float, default=2.0, help="RSME_KG_QUERY_TIMEOUT")
    parser.add_argument("--inject-every", type=float, default=5.0, help="seconds between runaways")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of the same load before the phases"
    )
    parser.add_argument(
        "--cache-bytes",
        type=int,
        default=8_000_000,
        help="RSME_KG_CACHE_BYTES for the run (small: the caches fill during the warm-up)",
    )
    parser.add_argument(
        "--max-requests", type=int, default=1_000_000, help="request cap of each phase"
    )
    parser.add_argument("--request-timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--doc", type=Path, default=sb.DEFAULT_DOC, help="Markdown file to update")
    parser.add_argument("--no-doc", action="store_true", help="only print the results")
    parser.add_argument("--workdir", type=Path, help="keep the build and the server log here")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1 or args.inject_every <= 0 or args.max_requests < 1:
        parser.error("--seconds, --clients, --inject-every and --max-requests must be positive")
    if args.warmup < 0 or args.cache_bytes < 0:
        parser.error("--warmup and --cache-bytes must not be negative")
    if args.query_workers < 1 or args.web_workers < 1 or args.query_timeout <= 0:
        parser.error("--query-workers, --web-workers and --query-timeout must be positive")
    if args.standby_workers < 0 or args.long_query <= 0:
        parser.error("--standby-workers must not be negative, --long-query must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the load; 0 when every target is met, 1 when one is missed, 2 on a failure."""
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    own_work = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="rsme-load-bench-")) if own_work else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args, work)
    except (Stop, sb.BenchError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the server is stopped", file=sys.stderr)
        return 130
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    text = section(report, started, command_line(argv))
    print()
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_doc:
        sb.write_doc(args.doc, text, MARKERS)
        print(f"wrote the load-bench section of {args.doc}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
