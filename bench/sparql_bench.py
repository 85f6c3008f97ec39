"""SPARQL endpoints side by side: the rsme-kg facade, ``oxigraph serve`` and rdflib-endpoint.

A benchmark script, not a test. In one run it

1. generates a synthetic dataset shaped like the corpus (``bench/synth.py``, ~100k triples,
   the four named graphs) and loads it for each server;
2. starts the servers as subprocesses on free ports of 127.0.0.1:

   * **rsme-kg** — ``rsme-kg serve --store DIR --port P`` over a pyoxigraph store built with
     ``Store(DIR).bulk_load(...)``; endpoint ``/sparql`` (skipped, with a message, while the
     ``serve`` command does not exist);
   * **oxigraph serve** — ``oxigraph serve --location DIR2 --bind 127.0.0.1:P2
     --union-default-graph`` over a store loaded with ``oxigraph load``; endpoint ``/query``;
   * **rdflib-endpoint** — ``rdflib-endpoint serve FILE.trig --host --port`` (its CLI parses the
     TriG into an rdflib ``Dataset(default_union=True)``, so the default graph is the union of
     the named graphs); endpoint ``/``;

3. for each query (SELECTIVE: all evidence for one factor; AGGREGATE: factors ranked by number of
   included studies), checks that every server returns the number of rows pyoxigraph computes
   in-process (a server that answers wrongly is not timed), then loads each server in turn with
   ``--clients`` concurrent keep-alive clients for ``--duration`` seconds: GET with
   ``Accept: application/sparql-results+json``, identical query text for all servers — once
   with the same text for every request (answer caches hit) and once with a different numeric
   constant in a row-keeping FILTER per request (a different query each time: caches miss),
   see ``BOUND`` and ``--query-text``;
4. prints a Markdown table (requests/s, p50 and p99 latency, errors) with the machine and the
   versions, and writes it to ``docs/benchmarks.md`` between the markers
   ``<!-- sparql-bench:start -->`` and ``<!-- sparql-bench:end -->`` (the rest of the file is
   kept);
5. stops every server it started, also on Ctrl-C or an error.

The load generator is ``wrk`` when installed (``apt-get install wrk``; a Lua script sets the
query and the Accept header and reports exact percentiles), else an asyncio httpx client (which
shares the CPU with the servers, so it may cap the fastest ones). A server that needs longer than
``--duration / --clients`` for one request cannot be measured under load; it is reported from
its single correctness-check request instead (throughput 1/latency, the best a server that runs
one query at a time can do), and is restarted if that request timed out.

Usage::

    python bench/sparql_bench.py [--triples 100000] [--duration 20] [--clients 8]
        [--servers rsme-kg,oxigraph,rdflib-endpoint] [--doc docs/benchmarks.md | --no-doc]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib.metadata
import itertools
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # the generator beside this script

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_DOC = ROOT / "docs" / "benchmarks.md"
START_MARKER = "<!-- sparql-bench:start -->"
END_MARKER = "<!-- sparql-bench:end -->"
ACCEPT = "application/sparql-results+json"
SERVER_NAMES = ("rsme-kg", "oxigraph", "rdflib-endpoint")

PREFIXES = """\
PREFIX rsme: <https://w3id.org/rsme-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

# kg/queries/examples/evidence-for-factor.rq with the factor bound by VALUES (as --bind does).
SELECTIVE_TEMPLATE = (
    PREFIXES
    + """\
SELECT ?factor ?study ?year ?title ?quote ?direction ?outcome
WHERE {
  VALUES ?factor { <%s> }
  ?code rsme:codesFactor ?factor ;
        prov:wasDerivedFrom ?study ;
        rsme:quote ?quote .
  FILTER (STRLEN(?quote) < __BOUND__)
  ?study dcterms:title ?title ;
         dcterms:issued ?year .
  OPTIONAL { ?code rsme:direction/rdfs:label ?direction . FILTER (lang(?direction) = "en") }
  OPTIONAL { ?code rsme:outcome/skos:prefLabel ?outcome . FILTER (lang(?outcome) = "en") }
}
ORDER BY ?factor ?year ?study
"""
)

# The AGGREGATE query is kg/queries/examples/factors-by-studies.rq, read at run time (so the
# benchmark follows the example), with the prefixes it leaves to `rsme-kg query` declared; this
# copy is used only if the file is missing.
AGGREGATE_FILE = ROOT / "kg" / "queries" / "examples" / "factors-by-studies.rq"
AGGREGATE_FALLBACK = (
    PREFIXES
    + """\
SELECT ?factor ?factorLabel ?categoryLabel
       (COUNT(DISTINCT ?study) AS ?studies) (COUNT(DISTINCT ?code) AS ?codes)
WHERE {
  ?factor a rsme:Factor ;
          skos:prefLabel ?factorLabel ;
          skos:broader ?category .
  FILTER (lang(?factorLabel) = "en")
  ?category skos:prefLabel ?categoryLabel .
  FILTER (lang(?categoryLabel) = "en")
  ?code rsme:codesFactor ?factor ;
        prov:wasDerivedFrom ?study .
  ?study rsme:screeningDecision/rsme:decision rsme:included .
}
GROUP BY ?factor ?factorLabel ?categoryLabel
ORDER BY DESC(?studies) DESC(?codes) ?factorLabel
"""
)


# Every query has a numeric constant, its bound, in a FILTER that keeps every row (no string
# or IRI in the data is that long): *repeated* sends REPEATED_BOUND, *unique* a new number per
# request (see WRK_SCRIPT), so each request is a semantically different query with the same rows.
BOUND = "__BOUND__"
REPEATED_BOUND = 1_000_000_000
AGGREGATE_FILTER = "  FILTER (STRLEN(STR(?factor)) < __BOUND__)\n"


def with_bound(query: str, bound: int = REPEATED_BOUND) -> str:
    """The query with its bound set to a number."""
    return query.replace(BOUND, str(bound))


def bounded(query: str) -> str:
    """An aggregate query with the row-keeping FILTER on ?factor added at the end of WHERE."""
    group = query.upper().rfind("GROUP BY")
    close = query.rfind("}", 0, group if group >= 0 else len(query))
    if close < 0:
        raise BenchError("the AGGREGATE query has no WHERE block to add its bound to")
    return query[:close] + AGGREGATE_FILTER + query[close:]


def aggregate_query(path: Path = AGGREGATE_FILE) -> str:
    """The AGGREGATE query: the example file with any prefix it uses but does not declare,
    and its bound (see BOUND)."""
    return bounded(_aggregate_text(path))


def _aggregate_text(path: Path) -> str:
    try:
        text = path.read_text()
    except OSError:
        return AGGREGATE_FALLBACK
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+(\w*):", text))
    missing = [
        line
        for line in PREFIXES.splitlines()
        if line.split()[1].rstrip(":") not in declared and f"{line.split()[1]}" in text
    ]
    return "\n".join(missing) + ("\n" if missing else "") + text


# Picks the factor of SELECTIVE: the one with the median number of codes (ties by IRI).
FACTOR_CODES = (
    PREFIXES
    + """\
SELECT ?factor (COUNT(?code) AS ?codes)
WHERE { ?factor a rsme:Factor . ?code rsme:codesFactor ?factor }
GROUP BY ?factor ORDER BY ?codes ?factor
"""
)

PROBE = "ASK {}"

# With unique = true, each request puts its own number in place of the query's bound (the
# numeric constant of a FILTER that keeps every row, see BOUND): a different query per request,
# which no answer cache can serve, however it normalises the text. A number is made of the
# run's offset, the thread and a counter, so texts never repeat across threads or runs.
WRK_SCRIPT = """\
wrk.method = "GET"
wrk.path = "%(path)s"
wrk.headers["Accept"] = "%(accept)s"
local unique = %(unique)s
local before = "%(before)s"
local after = "%(after)s"
local offset = %(offset)s
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
request = function()
  if not unique then
    return wrk.format()
  end
  n = n + 1
  local bound = string.format("%%.0f", offset + tid * 1e9 + n)
  return wrk.format(nil, before .. bound .. after)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


class BenchError(Exception):
    """A failure that ends the benchmark with a message (servers are still stopped)."""


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One SPARQL server run as a subprocess in its own process group."""

    name: str
    command: list[str]
    port: int
    path: str
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0

    @property
    def endpoint(self) -> str:
        """The URL of its SPARQL query endpoint."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self, ready_timeout: float) -> None:
        """Start it and wait until it answers ``ASK {}``."""
        began = time.perf_counter()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: Ctrl-C goes to us, we stop it
            )
        deadline = began + ready_timeout
        with httpx.Client(timeout=5) as client:
            while True:
                if self.process.poll() is not None:
                    raise BenchError(
                        f"{self.name} exited with code {self.process.returncode} while starting; "
                        f"its log ({self.log}) ends with:\n{tail(self.log)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    answer = client.get(
                        self.endpoint, params={"query": PROBE}, headers={"Accept": ACCEPT}
                    )
                    if answer.status_code == 200:
                        break
                if time.perf_counter() > deadline:
                    raise BenchError(
                        f"{self.name} did not answer within {ready_timeout:.0f} s; "
                        f"its log ({self.log}) ends with:\n{tail(self.log)}"
                    )
                time.sleep(0.2)
        self.started_in = time.perf_counter() - began

    def stop(self) -> None:
        """Stop it (SIGTERM to its process group, SIGKILL after 10 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self, ready_timeout: float) -> None:
        """Stop and start again (to drop work it cannot cancel)."""
        self.stop()
        self.start(ready_timeout)


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def find_tool(name: str) -> str | None:
    """A command from the venv of this Python, else from PATH."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def facade_available(rsme_kg: str | None) -> tuple[bool, str]:
    """Whether ``rsme-kg serve`` exists, and why not."""
    if rsme_kg is None:
        return False, "the rsme-kg command is not installed"
    try:
        probe = subprocess.run(
            [rsme_kg, "serve", "--help"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`rsme-kg serve --help` failed: {exc}"
    if probe.returncode != 0:
        return False, "`rsme-kg serve` does not exist yet (`rsme-kg serve --help` failed)"
    return True, ""


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    """The outcome of one load run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_detail: str = ""
    cpu_seconds: float | None = None  # used by the server's processes during the run

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float | None:
        """CPU milliseconds the server spent per completed request (all its processes)."""
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds / self.requests * 1000


def settle(pgid: int, limit: float) -> float:
    """Wait until a process group has used (almost) no CPU for one second; the seconds waited
    before that second."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        before = group_cpu(pgid)
        time.sleep(1.0)
        if group_cpu(pgid) - before < 0.05:
            return max(0.0, time.perf_counter() - began - 1.0)
    raise BenchError(f"a server was still busy {limit:.0f} s after it started answering")


def group_pids(pgid: int) -> list[int]:
    """The processes of a process group (a server and its workers: each server runs in a
    session of its own)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold ')'
        if int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def group_cpu(pgid: int) -> float:
    """User + system CPU seconds used so far by the processes of a process group. On a machine
    shared with other work, CPU per request compares servers more steadily than requests per
    second."""
    ticks = 0
    for pid in group_pids(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # ended since it was listed
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def query_path(endpoint: str, query: str) -> str:
    """The path and query string of a SPARQL GET request."""
    path = urllib.parse.urlsplit(endpoint).path or "/"
    return f"{path}?{urllib.parse.urlencode({'query': query})}"


def run_wrk(
    wrk: str,
    endpoint: str,
    query: str,
    clients: int,
    seconds: float,
    timeout: float,
    work: Path,
    unique: bool,
) -> Load:
    """Load an endpoint with wrk (keep-alive, ``clients`` connections, 2 threads at most);
    ``query`` holds BOUND, set per request when ``unique``."""
    text = query if unique else with_bound(query)
    return run_wrk_path(
        wrk, endpoint, query_path(endpoint, text), ACCEPT, clients, seconds, timeout, work, unique
    )


def run_wrk_path(
    wrk: str,
    url: str,
    path: str,
    accept: str,
    clients: int,
    seconds: float,
    timeout: float,
    work: Path,
    unique: bool = False,
) -> Load:
    """Load one GET path of a server with wrk and return its throughput and latencies."""
    script = work / "load.lua"
    before, marker, after = path.partition(BOUND)
    if unique and not marker:
        raise BenchError("a unique-text load needs a query with a bound (BOUND)")
    script.write_text(
        WRK_SCRIPT
        % {
            "path": path,
            "accept": accept,
            "unique": "true" if unique else "false",
            "before": before,
            "after": after,
            "offset": run_offset(),
        }
    )
    endpoint = url
    threads = max(1, min(clients, os.cpu_count() or 1, 2))
    command = [
        wrk,
        f"-t{threads}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        "-s",
        str(script),
        endpoint,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 60)
    match = re.search(r"^WRK_RESULT ([\d ]+)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    requests, duration_us, connect, read, write, status, timeouts, p50, p99 = (
        int(x) for x in match.group(1).split()
    )
    details = {"connect": connect, "read": read, "write": write, "non-2xx": status}
    details["timeout"] = timeouts
    errors = sum(details.values())
    detail = ", ".join(f"{k} {v}" for k, v in details.items() if v)
    # wrk counts requests answered with a non-2xx status in `requests` too: keep only the good.
    return Load(requests - status, duration_us / 1e6, p50 / 1000, p99 / 1000, errors, detail)


def run_offset() -> int:
    """Where one load run's bounds start: far above any length in the data, different from
    run to run (so unique query texts never repeat across runs), exact in a Lua double."""
    return 10**12 + (time.time_ns() // 1_000_000 % 100_000) * 10**10


def run_httpx(
    endpoint: str, query: str, clients: int, seconds: float, timeout: float, unique: bool
) -> Load:
    """Load an endpoint with asyncio httpx clients sharing one keep-alive pool."""
    counter = itertools.count(run_offset() + 1)

    async def main() -> Load:
        latencies: list[float] = []
        errors: dict[str, int] = {}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            began = time.perf_counter()
            deadline = began + seconds

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    text = with_bound(query, next(counter) if unique else REPEATED_BOUND)
                    sent = time.perf_counter()
                    try:
                        answer = await client.get(
                            endpoint, params={"query": text}, headers={"Accept": ACCEPT}
                        )
                    except httpx.HTTPError as exc:
                        kind = type(exc).__name__
                        errors[kind] = errors.get(kind, 0) + 1
                        continue
                    if answer.status_code != 200:
                        key = f"HTTP {answer.status_code}"
                        errors[key] = errors.get(key, 0) + 1
                        continue
                    latencies.append(time.perf_counter() - sent)

            await asyncio.gather(*(worker() for _ in range(clients)))
            elapsed = time.perf_counter() - began
        p50, p99 = percentiles(latencies)
        detail = ", ".join(f"{k} {v}" for k, v in errors.items())
        return Load(len(latencies), elapsed, p50, p99, sum(errors.values()), detail)

    return asyncio.run(main())


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds of latencies in seconds (nearest rank)."""
    if not latencies:
        return 0.0, 0.0
    ordered = sorted(latencies)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return rank(50), rank(99)


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table: a (query, server) pair."""

    query: str
    server: str
    rows: str
    text: str = "–"
    load: Load | None = None
    note: str = ""
    ok: bool = True


@dataclass
class Report:
    """Everything the run found, for the table and the doc."""

    started: dt.datetime
    args: argparse.Namespace
    generator: str
    data: synth.Summary
    factor: str
    queries: dict[str, str]
    expected: dict[str, int]
    rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    startup: dict[str, float] = field(default_factory=dict)
    settled: dict[str, float] = field(default_factory=dict)


def fmt_ms(value: float) -> str:
    """Milliseconds with a sensible precision."""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def fmt_rps(value: float) -> str:
    """Requests per second with a sensible precision."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.3f}"


def table(report: Report) -> str:
    """The results as a Markdown table, with throughput ratios between the servers."""
    queries, texts = ("SELECTIVE", "AGGREGATE"), ("repeated", "unique", "–")
    servers = [*SERVER_NAMES, *sorted({r.server for r in report.rows} - set(SERVER_NAMES))]
    rows = sorted(
        report.rows,
        key=lambda r: (queries.index(r.query), texts.index(r.text), servers.index(r.server)),
    )
    lines = [
        "| query | query text | server | rows | requests/s | p50 ms | p99 ms | CPU ms/request "
        "| errors | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if row.load is None:
            cells = ["–", "–", "–", "–", "–"]
        else:
            load = row.load
            cpu = "–" if load.cpu_ms is None else fmt_ms(load.cpu_ms)
            cells = [fmt_rps(load.rps), fmt_ms(load.p50_ms), fmt_ms(load.p99_ms), cpu]
            cells.append(str(load.errors))
            if load.error_detail:
                cells[4] += f" ({load.error_detail})"
        lines.append(
            f"| {row.query} | {row.text} | {row.server} | {row.rows} | {' | '.join(cells)} "
            f"| {row.note} |"
        )
    for server, why in report.skipped.items():
        lines.append(f"| (all) | – | {server} | – | – | – | – | – | – | not run: {why} |")
    ratios: list[str] = []
    cpu_ratios: list[str] = []
    for query in queries:
        for text in texts[:2]:
            rps = {
                r.server: r.load.rps
                for r in report.rows
                if r.query == query and r.text == text and r.load and r.ok
            }
            pairs = [("rsme-kg", "oxigraph"), ("rsme-kg", "rdflib-endpoint")]
            if "rsme-kg" not in rps:
                pairs = [("oxigraph", "rdflib-endpoint")]
            cpu_of = {
                r.server: r.load.cpu_ms
                for r in report.rows
                if r.query == query and r.text == text and r.load and r.ok and r.load.cpu_ms
            }
            for a, b in pairs:
                if rps.get(a) and rps.get(b):
                    ratios.append(f"{query} {text}: {a} / {b} = {rps[a] / rps[b]:,.1f}×")
                if cpu_of.get(a) and cpu_of.get(b):
                    share = cpu_of[b] / cpu_of[a]
                    cpu_ratios.append(f"{query} {text}: {b} / {a} = {share:,.1f}×")
    if ratios:
        lines += ["", "Throughput ratios: " + "; ".join(ratios) + "."]
    if cpu_ratios:
        lines += [
            "",
            "CPU per request, ratios (how many requests the first server answers with the CPU "
            "the second spends on one): " + "; ".join(cpu_ratios) + ".",
        ]
    return "\n".join(lines)


def command_output(command: list[str]) -> str:
    """The first line a command prints, or '?'."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def wrk_version(wrk: str) -> str:
    """The version wrk reports (``wrk -v`` prints e.g. ``wrk debian/4.1.0-3+b2 [epoll] ...``)."""
    match = re.match(r"wrk (\S+)", command_output([wrk, "-v"]))
    return match.group(1) if match else "?"


def machine() -> list[tuple[str, str]]:
    """CPU, cores, memory, OS and Python of this machine."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    system = platform.platform()
    with contextlib.suppress(OSError):
        release = dict(
            line.split("=", 1)
            for line in Path("/etc/os-release").read_text().splitlines()
            if "=" in line
        )
        system = f"{release.get('PRETTY_NAME', '?').strip(chr(34))}, Linux {platform.release()}"
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return [
        ("CPU", cpu),
        ("cores", f"{len(cores) if cores else os.cpu_count()} usable"),
        ("memory", memory),
        ("OS", system),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]


def package_version(name: str) -> str:
    """The installed version of a distribution, or 'not installed'."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def versions(oxigraph: str | None, wrk: str | None) -> list[tuple[str, str]]:
    """Versions of the servers, their libraries and the load generator."""
    return [
        ("rsme-kg", package_version("rsme-kg")),
        ("pyoxigraph", ox.__version__),
        ("oxigraph server", command_output([oxigraph, "--version"]) if oxigraph else "missing"),
        ("rdflib", package_version("rdflib")),
        ("rdflib-endpoint", package_version("rdflib-endpoint")),
        ("fastapi / uvicorn", f"{package_version('fastapi')} / {package_version('uvicorn')}"),
        ("httpx", package_version("httpx")),
        ("wrk", wrk_version(wrk) if wrk else "not installed"),
    ]


def section(report: Report, oxigraph: str | None, wrk: str | None) -> str:
    """The Markdown section for docs/benchmarks.md (without the markers)."""
    args, data = report.args, report.data
    graphs = ", ".join(f"{name} {n}" for name, n in data.per_graph.items())
    facts = "\n".join(f"| {k} | {v} |" for k, v in machine())
    vers = "\n".join(f"| {k} | {v} |" for k, v in versions(oxigraph, wrk))
    startup = ", ".join(f"{k} {v:.1f} s" for k, v in report.startup.items())
    settled = ", ".join(f"{k} {v:.1f} s" for k, v in report.settled.items())
    selective, aggregate = report.queries["SELECTIVE"], report.queries["AGGREGATE"]
    command = " ".join(["python bench/sparql_bench.py", *map(shlex.quote, sys.argv[1:])])
    n_selective, n_aggregate = report.expected["SELECTIVE"], report.expected["AGGREGATE"]
    return f"""\
## SPARQL endpoints side by side

Run on {report.started:%Y-%m-%d %H:%M} UTC by `{command}`.

* **Data**: `bench/synth.py --triples {args.triples} --seed {args.seed}`: {data.triples} triples
  ({graphs}); {data.studies} studies, {data.codes} codes, {data.factors} factors in 13
  categories. The same data for every server: the TriG file loaded into a pyoxigraph store
  (rsme-kg), into an `oxigraph load` store (`oxigraph serve --union-default-graph`), and parsed
  by the rdflib-endpoint CLI into a `Dataset(default_union=True)`.
* **Load**: {args.clients} concurrent keep-alive clients for {args.duration:g} s per case, one case
  at a time (after {args.warmup:g} s of warm-up), GET with `Accept: {ACCEPT}`, the same query
  text for every server; load generator: {report.generator}. Before timing, each server's
  number of result rows is checked against pyoxigraph in-process (expected: SELECTIVE
  {n_selective}, AGGREGATE {n_aggregate}).
* **Query text**: each query has a FILTER whose numeric constant (its *bound*) keeps every row.
  *repeated* sends the very same text every time, bound {REPEATED_BOUND} (a server with an
  answer cache, such as the rsme-kg facade, answers from it); *unique* sends a new bound with
  every request (a run's offset of 10^12 or more, + 10^9 × thread + a counter), so each is a
  semantically different query, which no answer cache, however it normalises texts, can serve
  (rdflib-endpoint then also loses its cache of parsed queries); the rows are checked for both.
* **Servers**: started in {startup or "–"} (until they answer `ASK {{}}`); then each was left
  until its processes had used no CPU for a second ({settled or "–"} more: the facade's query
  workers copy the store into memory after they start answering), so that no work of the start
  is counted in a load run.

{table(report)}

* CPU ms/request: the CPU time (user + system) of the server's whole process tree during the
  run, divided by the requests it answered; it depends far less than requests/s on what else
  the machine runs, so it is the fairer comparison on a shared machine (the load generator's
  own CPU is not counted for any server).
* p50/p99 are the latencies seen by the clients under that load (so with {args.clients} clients a
  server that runs one query at a time shows about {args.clients}× its service time).
* "single request" rows: the server needed longer than duration / clients for one request, so it
  could not be loaded meaningfully; its figures come from one request with no concurrency, and
  requests/s is 1 / latency (an upper bound for a server that runs one query at a time).

<details><summary>The two queries</summary>

As sent in the *repeated* text (bound {REPEATED_BOUND}); the *unique* texts differ only in it.

SELECTIVE (all evidence for one factor, the factor with the median number of codes):

```sparql
{with_bound(selective).strip()}
```

AGGREGATE (factors ranked by number of included studies:
`kg/queries/examples/factors-by-studies.rq`, with the prefixes it leaves to `rsme-kg query`
declared and the FILTER of its bound added):

```sparql
{with_bound(aggregate).strip()}
```

</details>

Machine:

| | |
|---|---|
{facts}

Versions:

| | |
|---|---|
{vers}
"""


def write_doc(path: Path, body: str, markers: tuple[str, str] = (START_MARKER, END_MARKER)) -> None:
    """Write or replace one marked section of a Markdown file, keeping the rest."""
    start_marker, end_marker = markers
    block = f"{start_marker}\n{body.rstrip()}\n{end_marker}\n"
    if path.exists():
        text = path.read_text()
        start, end = text.find(start_marker), text.find(end_marker)
        if start != -1 and end > start:
            rest = text[end + len(end_marker) :].lstrip("\n")
            text = text[:start] + block + ("\n" + rest if rest else "")
        else:
            text = text.rstrip("\n") + "\n\n" + block
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"# Benchmarks\n\nFigures written by the scripts in `bench/`.\n\n{block}"
    path.write_text(text)


# --------------------------------------------------------------------------- the run


def select(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    """The solutions of a SELECT over the union of the store's graphs."""
    solutions = store.query(query, use_default_graph_as_union=True)
    if not isinstance(solutions, ox.QuerySolutions):
        raise BenchError(f"not a SELECT query:\n{query}")
    return list(solutions)


def pick_factor(store: ox.Store) -> str:
    """The factor with the median number of codes (ties broken by IRI)."""
    factors = [str(row[0].value) for row in select(store, FACTOR_CODES) if row[0] is not None]
    if not factors:
        raise BenchError("the synthetic data has no codes")
    return factors[len(factors) // 2]


def check(client: httpx.Client, server: Server, query: str) -> tuple[int | None, float, str]:
    """Rows returned for a query, latency in seconds, and an error message (if any)."""
    sent = time.perf_counter()
    try:
        answer = client.get(server.endpoint, params={"query": query}, headers={"Accept": ACCEPT})
    except httpx.TimeoutException:
        return None, time.perf_counter() - sent, "timed out"
    except httpx.HTTPError as exc:
        return None, time.perf_counter() - sent, f"{type(exc).__name__}: {exc}"
    latency = time.perf_counter() - sent
    if answer.status_code != 200:
        return None, latency, f"HTTP {answer.status_code}: {answer.text[:200]}"
    try:
        rows = len(answer.json()["results"]["bindings"])
    except (ValueError, KeyError, TypeError) as exc:
        return None, latency, f"not SPARQL JSON results: {exc}"
    return rows, latency, ""


def wait_idle(server: Server, timeout: float) -> None:
    """Wait until a server answers ``ASK {}`` again (it may still be busy with old requests)."""
    with httpx.Client(timeout=timeout) as client, contextlib.suppress(httpx.HTTPError):
        client.get(server.endpoint, params={"query": PROBE}, headers={"Accept": ACCEPT})


def prepare_servers(
    args: argparse.Namespace, work: Path, trig: Path, report: Report, tools: dict[str, str | None]
) -> list[Server]:
    """Build the stores and describe the servers to run (not started yet)."""
    servers: list[Server] = []
    wanted = args.servers
    if "rsme-kg" in wanted:
        ok, why = facade_available(tools["rsme-kg"])
        if not ok:
            report.skipped["rsme-kg"] = why
            print(f"SKIP rsme-kg: {why}; benchmarking the other servers only.", flush=True)
        else:
            store_dir = work / "rsme-kg-store"
            ox.Store(str(store_dir)).bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
            port = free_port()
            command = [str(tools["rsme-kg"]), "serve", "--store", str(store_dir)]
            command += ["--host", "127.0.0.1", "--port", str(port), *shlex.split(args.rsme_kg_args)]
            servers.append(Server("rsme-kg", command, port, "/sparql", work / "rsme-kg.log"))
    if "oxigraph" in wanted:
        oxigraph = tools["oxigraph"]
        if oxigraph is None:
            report.skipped["oxigraph"] = "the oxigraph CLI is not installed (pip install oxigraph)"
        else:
            location = work / "oxigraph-store"
            loaded = subprocess.run(
                [oxigraph, "load", "--location", str(location), "--file", str(trig)],
                capture_output=True,
                text=True,
            )
            if loaded.returncode != 0:
                raise BenchError(f"oxigraph load failed:\n{loaded.stderr}")
            port = free_port()
            command = [oxigraph, "serve", "--location", str(location)]
            command += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
            servers.append(Server("oxigraph", command, port, "/query", work / "oxigraph.log"))
    if "rdflib-endpoint" in wanted:
        rdflib_endpoint = tools["rdflib-endpoint"]
        if rdflib_endpoint is None:
            report.skipped["rdflib-endpoint"] = "not installed (pip install rdflib-endpoint)"
        else:
            port = free_port()
            command = [rdflib_endpoint, "serve", str(trig), "--host", "127.0.0.1"]
            command += ["--port", str(port)]
            log = work / "rdflib-endpoint.log"
            servers.append(Server("rdflib-endpoint", command, port, "/", log))
    return servers


def measure(
    args: argparse.Namespace,
    servers: list[Server],
    queries: dict[str, str],
    report: Report,
    wrk: str | None,
    work: Path,
) -> None:
    """Check and load every (query, server, query text) case, one at a time; fill report.rows."""
    for name, query in queries.items():
        expected = report.expected[name]
        for server in servers:
            print(f"{name} on {server.name}: checking ...", end=" ", flush=True)
            with httpx.Client(timeout=args.request_timeout) as client:
                rows, latency, error = check(client, server, with_bound(query))
                if not error and rows == expected:  # a unique text must give the same rows
                    again, _, error = check(client, server, with_bound(query, run_offset()))
                    rows = again if not error else rows
            if error:
                print(error, flush=True)
                note = f"check failed after {latency:.1f} s: {error}"
                report.rows.append(Row(name, server.name, "–", note=note, ok=False))
                if error == "timed out":  # it is still busy and cannot be cancelled: restart it
                    server.restart(args.ready_timeout)
                continue
            if rows != expected:
                print(f"WRONG: {rows} rows, expected {expected}", flush=True)
                note = f"wrong answer: {rows} rows, expected {expected}; not timed"
                report.rows.append(Row(name, server.name, f"{rows} ✗", note=note, ok=False))
                continue
            print(f"{rows} rows in {latency * 1000:.0f} ms", flush=True)
            if latency * args.clients > args.duration:
                ms = latency * 1000
                print("  too slow for a load test: reporting that single request", flush=True)
                note = f"single request ({latency:.1f} s > duration / clients)"
                for text in args.query_text:
                    load = Load(1, latency, ms, ms, 0)
                    report.rows.append(Row(name, server.name, str(rows), text, load, note))
                continue
            for text in args.query_text:
                unique = text == "unique"
                if args.warmup > 0:
                    run_load(args, server, query, wrk, work, args.warmup, unique)
                    wait_idle(server, args.request_timeout)
                print(f"  {text} text, {args.duration:g} s ...", end=" ", flush=True)
                assert server.process is not None
                cpu = group_cpu(server.process.pid)
                load = run_load(args, server, query, wrk, work, args.duration, unique)
                wait_idle(server, args.request_timeout)
                load.cpu_seconds = group_cpu(server.process.pid) - cpu
                print(
                    f"{fmt_rps(load.rps)} req/s, p50 {fmt_ms(load.p50_ms)} ms, "
                    f"p99 {fmt_ms(load.p99_ms)} ms, {load.errors} errors, "
                    f"CPU {fmt_ms(load.cpu_ms or 0)} ms/request",
                    flush=True,
                )
                report.rows.append(Row(name, server.name, str(rows), text, load))


def run_load(
    args: argparse.Namespace,
    server: Server,
    query: str,
    wrk: str | None,
    work: Path,
    seconds: float,
    unique: bool,
) -> Load:
    """One load run with the chosen generator."""
    if wrk:
        return run_wrk(
            wrk, server.endpoint, query, args.clients, seconds, args.request_timeout, work, unique
        )
    return run_httpx(server.endpoint, query, args.clients, seconds, args.request_timeout, unique)


@contextlib.contextmanager
def stopping(servers: list[Server]) -> Iterator[None]:
    """Stop every server on the way out, whatever happens (SIGTERM included)."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        for server in servers:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="size of the synthetic data")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per pair")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load discarded first")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_NAMES),
        help=f"comma-separated subset of {','.join(SERVER_NAMES)}",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=300,
        help="seconds one request may take (the check, and wrk --timeout); default 300",
    )
    parser.add_argument(
        "--ready-timeout", type=float, default=180, help="seconds a server may take to start"
    )
    parser.add_argument(
        "--rsme-kg-args", default="", help="extra arguments for `rsme-kg serve`, e.g. '--workers 2'"
    )
    parser.add_argument(
        "--query-text",
        choices=("repeated", "unique", "both"),
        default="both",
        help="send the same text every time (answer caches hit), a different query per request "
        "(a new constant in a row-keeping FILTER; caches miss), or both (default)",
    )
    parser.add_argument(
        "--generator", choices=("auto", "wrk", "httpx"), default="auto", help="load generator"
    )
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="Markdown file to update")
    parser.add_argument("--no-doc", action="store_true", help="only print the results")
    parser.add_argument("--workdir", type=Path, help="keep data, stores and logs here")
    args = parser.parse_args(argv)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    both = ["repeated", "unique"]
    args.query_text = both if args.query_text == "both" else [args.query_text]
    unknown = set(args.servers) - set(SERVER_NAMES)
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if args.clients < 1 or args.duration <= 0 or args.triples < 1:
        parser.error("--clients, --duration and --triples must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 if every server answered correctly, 1 otherwise."""
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    tools = {name: find_tool(name) for name in ("rsme-kg", "oxigraph", "rdflib-endpoint")}
    wrk = shutil.which("wrk") if args.generator in ("auto", "wrk") else None
    if args.generator == "wrk" and wrk is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    threads = max(1, min(args.clients, os.cpu_count() or 1, 2))
    generator = (
        f"wrk {wrk_version(wrk)} ({threads} threads, {args.clients} connections)"
        if wrk
        else f"asyncio httpx {package_version('httpx')} ({args.clients} tasks, one process)"
    )
    print(f"load generator: {generator}", flush=True)
    if not wrk:
        print("  (wrk not found: the Python client may cap the fastest servers)", flush=True)

    own_work = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="rsme-sparql-bench-")) if own_work else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    servers: list[Server] = []
    try:
        trig = work / "synth.trig"
        began = time.perf_counter()
        data = synth.write(trig, args.triples, args.seed)
        print(
            f"data: {data.triples} triples, {data.studies} studies, {data.codes} codes, "
            f"{data.factors} factors ({time.perf_counter() - began:.1f} s) in {trig}",
            flush=True,
        )
        reference = ox.Store()
        reference.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
        factor = pick_factor(reference)
        queries = {"SELECTIVE": SELECTIVE_TEMPLATE % factor, "AGGREGATE": aggregate_query()}
        expected = {name: len(select(reference, with_bound(q))) for name, q in queries.items()}
        for name, q in queries.items():  # the bound keeps every row, whatever its value
            if len(select(reference, with_bound(q, run_offset()))) != expected[name]:
                raise BenchError(f"the bound of {name} changes its rows")
        del reference
        print(f"SELECTIVE factor: {factor}; expected rows: {expected}", flush=True)
        report = Report(started, args, generator, data, factor, queries, expected)

        servers = prepare_servers(args, work, trig, report, tools)
        with stopping(servers):
            for server in servers:
                print(f"starting {server.name} on {server.endpoint} ...", end=" ", flush=True)
                server.start(args.ready_timeout)
                report.startup[server.name] = server.started_in
                print(f"ready in {server.started_in:.1f} s", end=", ", flush=True)
                assert server.process is not None
                report.settled[server.name] = settle(server.process.pid, args.ready_timeout)
                print(f"settled after {report.settled[server.name]:.1f} s more", flush=True)
            measure(args, servers, queries, report, wrk, work)

        text = table(report)
        print()
        print(text)
        if not args.no_doc:
            write_doc(args.doc, section(report, tools["oxigraph"], shutil.which("wrk")))
            print(f"\nwrote the sparql-bench section of {args.doc}")
        return 0 if all(row.ok for row in report.rows) else 1
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"data, stores and server logs kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
