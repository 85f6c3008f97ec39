"""Faults: a remote store that dies or hangs, a query worker killed from outside, a build or an
import killed half-way, a disk that fills up. Each runs the real thing (servers, processes,
`rsme-kg` commands, a size-limited file system) and checks what a user would see: the answer
the service gives, the files left in place, and that the next attempt works by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kg import paths, pipeline
from kg.errors import WriteError
from kg.interchange import writer
from kg.store.embedded import EmbeddedStore
from tests.apiserver import ApiServer
from tests.conftest import tree_digest
from tests.corpus import FIXTURE
from tests.servers import OxigraphServer, start_oxigraph
from tests.test_import_refs import BIBTEX

RSME_KG = str(Path(sys.executable).parent / "rsme-kg")
PROBLEM = "application/problem+json"
TIMEOUT = 3  # RSME_KG_QUERY_TIMEOUT of the servers over a remote store here
# a client waits this long at most: a server that answers later counts as hanging
PATIENCE = TIMEOUT + 20
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# about 30 million solutions over the fixture corpus: seconds of work for a worker (4 s on
# this project's 2-core machine), long enough to find the workers busy and kill one mid-query
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . VALUES ?k { 1 2 3 4 } }"
CODER = "sara-karimi"


def is_problem(reply: httpx.Response, status: int) -> bool:
    """A problem+json answer of this status that says when to try again."""
    return (
        reply.status_code == status
        and reply.headers.get("content-type", "").startswith(PROBLEM)
        and reply.headers.get("retry-after", "").isdigit()
        and reply.json()["status"] == status
    )


# ------------------------------------------------------------------ a remote store that fails


@dataclass
class Answer:
    path: str
    started: float
    status: int
    reply: httpx.Response


@dataclass
class Flow:
    """Clients that send requests in a loop until stopped, recording every answer (and every
    request that got none within PATIENCE)."""

    base: str
    requests: list[tuple[str, dict[str, str]]]
    clients: int = 3
    answers: list[Answer] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Flow:
        for i in range(self.clients):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=PATIENCE + 5)

    def _run(self, n: int) -> None:
        with httpx.Client(base_url=self.base, timeout=PATIENCE) as client:
            while not self._stop.is_set():
                path, params = self.requests[n % len(self.requests)]
                n += 1
                started = time.monotonic()
                try:
                    reply = client.get(path, params=params)
                except httpx.HTTPError as exc:
                    self.failures.append(f"{path}: {exc!r}")
                    continue
                self.answers.append(Answer(path, started, reply.status_code, reply))

    def since(self, moment: float) -> list[Answer]:
        """The answers to requests sent after `moment`."""
        return [a for a in list(self.answers) if a.started > moment]

    def wait_for(
        self, moment: float, status: int, count: int, limit: float = 60, path: str | None = None
    ) -> None:
        """Block until `count` requests (to `path`, if given) sent after `moment` got `status`
        (or fail)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            answers = [a for a in self.since(moment) if path in (None, a.path)]
            if sum(1 for a in answers if a.status == status) >= count:
                return
            time.sleep(0.1)
        seen = sorted({(a.path, a.status) for a in self.since(moment)})
        raise AssertionError(f"no {count} answers {status} after the change; seen {seen}")


REQUESTS = [
    ("/sparql", {"query": COUNT}),
    ("/sparql", {"query": "ASK { ?s a rsme:Factor }"}),
    ("/factors", {}),
    ("/studies", {}),
    ("/healthz", {}),
]


@pytest.fixture()
def published(small_built: tuple[Path, dict[str, object]], tmp_path: Path) -> Iterator[Path]:
    """A folder of `oxigraph serve` holding the fixture corpus's build (no server running)."""
    from kg.publish import publish

    location = tmp_path / "oxigraph"
    with start_oxigraph(location) as server:
        publish(small_built[0] / pipeline.TRIG_NAME, server.store_url)
    yield location


def facade_over(endpoint: str, tmp_path: Path) -> ApiServer:
    return ApiServer(
        endpoint=endpoint, env={"RSME_KG_QUERY_TIMEOUT": str(TIMEOUT)}, log=tmp_path / "facade"
    )


def wait_healthy(facade: ApiServer, limit: float = 60) -> float:
    """Block until /healthz answers 200; the moment it did."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if facade.get("/healthz").status_code == 200:
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"the service did not recover:\n{facade.log_text()[-3000:]}")


def test_remote_store_killed_mid_run_answers_503_then_recovers(
    published: Path, tmp_path: Path
) -> None:
    """SIGKILL of `oxigraph serve` while SPARQL, REST and health requests flow: every answer is
    200 or 503 problem+json with Retry-After, none hangs; the same store restarted on the same
    port is served again without a restart of rsme-kg."""
    store = start_oxigraph(published)
    port = store.port
    with facade_over(store.query_url, tmp_path) as facade, Flow(facade.base, REQUESTS) as flow:
        flow.wait_for(0, 200, 10)
        os.kill(store.process.pid, signal.SIGKILL)
        store.process.wait(timeout=10)
        # from here on the store is gone: a request sent between the signal and the process's
        # end may still have been answered, so the outage is counted from its end
        dead = time.monotonic()
        for path in {path for path, _ in REQUESTS}:
            flow.wait_for(dead, 503, 2, path=path)  # SPARQL, REST and health alike
        down = flow.since(dead)
        store.stop()  # releases its log only: the process is gone
        store = OxigraphServer(published, port)  # the same data on the same port
        store.wait_until_ready()
        healthy = wait_healthy(facade)
        flow.wait_for(healthy, 200, 15)
        for path, params in REQUESTS:
            assert facade.get(path, params=params).status_code == 200, path
    store.stop()
    assert flow.failures == []  # nothing went unanswered
    assert {a.status for a in flow.answers} <= {200, 503}
    assert all(is_problem(a.reply, 503) for a in flow.answers if a.status == 503)
    outage = {a.path for a in down if a.status == 503}
    assert outage == {path for path, _ in REQUESTS}, outage  # SPARQL, REST and health alike
    after = [a for a in flow.since(healthy)]
    assert after and all(a.status == 200 for a in after), [(a.path, a.status) for a in after]


class Relay:
    """A TCP relay in front of a store that can be told to hang: it then keeps accepting
    connections and reading requests, and passes nothing on, as a stalled store does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.hanging = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/query"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                while self.hanging.is_set() and not self._closed.is_set():
                    time.sleep(0.05)  # held, never passed on
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed.set()
        self.listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


def test_a_store_that_hangs_is_answered_within_the_timeout(published: Path, tmp_path: Path) -> None:
    """A store that accepts connections and never answers: 503 problem+json with Retry-After
    (no request waits past the query timeout by much), then 200 again once it answers."""
    with start_oxigraph(published) as store:
        relay = Relay(store.port)
        try:
            with facade_over(relay.url, tmp_path) as facade:
                assert facade.get("/sparql", params={"query": COUNT}).status_code == 200
                relay.hanging.set()
                with Flow(facade.base, REQUESTS[:2] + REQUESTS[4:]) as flow:
                    hung = time.monotonic()
                    flow.wait_for(hung, 503, 6)
                    relay.hanging.clear()
                    healthy = wait_healthy(facade)
                    flow.wait_for(healthy, 200, 6)
                assert flow.failures == []
                stalled = [a for a in flow.answers if a.status != 200]
                assert stalled and all(is_problem(a.reply, 503) for a in stalled)
                kinds = {a.reply.json()["type"].rsplit("/", 1)[1] for a in stalled}
                assert kinds <= {"timeout", "store-unavailable"}, kinds
        finally:
            relay.close()


# ------------------------------------------------------------------ a query worker killed


def worker_pids(server: int) -> set[int]:
    """The live query worker processes (`python -m api.worker`) below a server process."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"api.worker" in command and server in ancestors(int(entry.name)):
            found.add(int(entry.name))
    return found


def ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: the parent
        chain.append(pid)
    return chain


def wait_for_pool(server: ApiServer, replaced: int, limit: float = 60) -> set[int]:
    """Block until the pool is whole again after `replaced` replacements (two workers, one
    standby, none set aside); its workers' processes."""
    deadline = time.monotonic() + limit
    health: dict[str, object] = {}
    while time.monotonic() < deadline:
        reply = server.get("/healthz")
        health = reply.json()
        pids = worker_pids(server.process.pid)
        counts = [health.get(key) for key in ("workers", "workers_standby", "queries_set_aside")]
        whole = counts == [2, 1, 0] and len(pids) == 3
        if whole and health.get("workers_replaced") == replaced:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"the pool was not restored: {health}\n{server.log_text()[-3000:]}")


def cpu_ticks(pid: int) -> int:
    """The processor time a process has used so far (user and system, in clock ticks); 0 once
    it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)


def wait_until_busy(workers: set[int], count: int, limit: float = 60) -> set[int]:
    """Block until `count` of `workers` are seen computing (their processor time grows by at
    least a tenth of the wall time that passed); those workers. An idle worker waits on its
    pipe and uses none."""
    deadline = time.monotonic() + limit
    window = 0.2
    needed = window * os.sysconf("SC_CLK_TCK") / 10
    while time.monotonic() < deadline:
        before = {pid: cpu_ticks(pid) for pid in workers}
        time.sleep(window)
        busy = {pid for pid in workers if cpu_ticks(pid) - before[pid] >= needed}
        if len(busy) >= count:
            return busy
    raise AssertionError(f"{count} of the workers {sorted(workers)} were not seen busy")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers in /proc")
def test_a_killed_query_worker_is_replaced(small_store: Path, tmp_path: Path) -> None:
    """SIGKILL of an idle worker: it is replaced at once; of a busy one: its query is sent to
    another worker and answered (200), the pool returns to its size, later queries answer.
    The pool has two workers and one standby (the default)."""
    env = {"RSME_KG_QUERY_WORKERS": "2", "RSME_KG_QUERY_TIMEOUT": "120"}
    with ApiServer(store=small_store, env=env, log=tmp_path / "server") as server:
        first = wait_for_pool(server, replaced=0)
        idle = min(first)
        os.kill(idle, signal.SIGKILL)
        second = wait_for_pool(server, replaced=1)
        assert idle not in second
        assert server.get("/sparql", params={"query": COUNT}).status_code == 200

        # both workers busy with a slow query each, then one of them killed
        expected = server.get("/sparql", params={"query": SLOW}, timeout=PATIENCE * 4)
        assert expected.status_code == 200
        # its worker was set aside and stopped after it: the pool as it is now
        second = wait_for_pool(server, replaced=1)
        replies: list[httpx.Response] = []

        def ask(tag: int) -> None:
            query = f"{SLOW} # {tag}"  # not the answer cache's: each is evaluated
            replies.append(server.get("/sparql", params={"query": query}, timeout=300))

        askers = [threading.Thread(target=ask, args=(tag,)) for tag in (1, 2)]
        for asker in askers:
            asker.start()
        # both taken, each by a worker, and running (set aside or not: the kill is the same)
        busy = min(wait_until_busy(second, 2))
        os.kill(busy, signal.SIGKILL)
        for asker in askers:
            asker.join(timeout=300)
        assert [r.status_code for r in replies] == [200, 200]
        assert all(json.loads(r.text) == json.loads(expected.text) for r in replies)
        log = server.log_text()
        assert "a query worker died under a job; sending the job to another" in log, log[-2000:]
        third = wait_for_pool(server, replaced=2)
        assert busy not in third
        answers = [server.get("/sparql", params={"query": f"{COUNT} #{i}"}) for i in range(4)]
        assert [a.status_code for a in answers] == [200] * 4


# ------------------------------------------------------------------ builds and imports killed


def build_args(data: Path, out: Path) -> list[str]:
    return [RSME_KG, "build", "--data", str(data), "--out", str(out), "--no-reason", "--no-cache"]


def leftovers(folder: Path, name: str) -> list[str]:
    """The hidden temporary siblings of a build's output folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}"))


def usable(out: Path) -> dict[str, object]:
    """The build at `out` opens and answers; its manifest."""
    manifest: dict[str, object] = json.loads((out / pipeline.MANIFEST_NAME).read_text())
    store = EmbeddedStore.open(out / paths.STORE_SUBDIR)
    assert len(store) == manifest["triples"]
    counted = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").scalar()
    assert counted is not None and int(str(counted)) == manifest["triples"]
    return manifest


@pytest.fixture()
def previous(small_built: tuple[Path, dict[str, object]], tmp_path: Path) -> Path:
    """A folder with a copy of the fixture corpus's build (dist/) and of its data (data/)."""
    shutil.copytree(small_built[0], tmp_path / "dist")
    shutil.copytree(FIXTURE, tmp_path / "data")
    return tmp_path


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.3])
def test_a_build_killed_while_writing_leaves_the_previous_build(
    previous: Path, delay: float
) -> None:
    """`rsme-kg build` killed (SIGKILL) at some moment after it began writing: dist/ is the
    previous build, whole (or the new one, whole, when the kill came after the swap); the next
    build succeeds and removes what the killed one left."""
    out = previous / "dist"
    before = tree_digest(out)
    process = subprocess.Popen(build_args(previous / "data", out), stdout=subprocess.DEVNULL)
    temp = previous / f".dist.tmp-{process.pid}"
    while not temp.exists() and process.poll() is None:
        time.sleep(0.002)
    assert process.poll() is None, "the build ended before it was seen writing"
    time.sleep(delay)
    process.kill()
    process.wait()
    after = tree_digest(out)
    if after != before:  # killed after the swap: the new build is complete
        assert set(after) == set(before)
    usable(out)
    assert not [n for n in leftovers(previous, "dist") if ".old-" in n]
    done = subprocess.run(build_args(previous / "data", out), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    usable(out)
    assert leftovers(previous, "dist") == []


KILLER = """
import os, signal, sys
from pathlib import Path
from kg import pipeline
point = sys.argv[3]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "store written":  # in the middle of writing the new folder
    pipeline.EmbeddedStore.dump = die
elif point == "swap":  # just before the swap
    pipeline._swap = die
elif point == "moved aside":  # where renameat2 is missing: old build moved, new not yet in
    pipeline._exchange = lambda a, b: False
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        if Path(dst).name.startswith(".dist.old-"):
            die()
    os.replace = replace
pipeline.build(Path(sys.argv[1]), Path(sys.argv[2]), run_reasoner=False)
"""


@pytest.mark.parametrize("point", ["store written", "swap", "moved aside"])
def test_a_build_killed_at_each_step_of_writing(previous: Path, point: str) -> None:
    """The same, at exact steps: the new folder half-written, just before the swap, and (on a
    system without an atomic exchange) between moving the old build aside and moving the new
    one in, where the next build puts the old one back before anything else."""
    out = previous / "dist"
    before = (out / pipeline.MANIFEST_NAME).read_bytes()
    digest = tree_digest(out)
    script = previous / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    killed = subprocess.run([sys.executable, str(script), str(previous / "data"), str(out), point])
    assert killed.returncode == -signal.SIGKILL
    assert leftovers(previous, "dist")  # what the killed build left beside dist/
    if point != "moved aside":
        assert tree_digest(out) == digest
        usable(out)
    else:
        assert not out.exists()  # the window an atomic exchange closes
    pipeline._remove_stale(out.resolve())  # what the next build does first
    assert leftovers(previous, "dist") == []
    assert (out / pipeline.MANIFEST_NAME).read_bytes() == before
    assert tree_digest(out) == digest
    pipeline.build(previous / "data", out, run_reasoner=False)
    usable(out)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_swap_is_one_step_here(tmp_path: Path) -> None:
    """On this system (Linux, local file systems) two folders trade names at once: the build
    never has a moment without dist/."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("b")
    assert pipeline._exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"


@pytest.fixture()
def highlights(data_copy: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """data/ with a coder, and the arguments of an import that writes three files (one in a new
    folder): `import highlights`."""
    with (data_copy / "coders.csv").open("a", encoding="utf-8") as f:
        f.write(f"{CODER},Sara Karimi,person,\n")
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "ruzzier-2007.txt").write_text(
        "Distance to markets mattered a lot.\nThe owners travel.\n", encoding="utf-8"
    )
    table = tmp_path / "h.csv"
    table.write_bytes(
        b"id,document,tag,content\r\n"
        b"7,Ruzzier-2007,Psychic distance,Distance to markets mattered\r\n"
    )
    args = ["import", "highlights", str(table), "--coder", CODER, "--sources", str(texts)]
    return data_copy, args


def complete(data: Path, args: list[str], tmp_path: Path) -> dict[str, str]:
    """The data folder as the import leaves it when nothing stops it (run on a copy)."""
    copy = tmp_path / "complete"
    shutil.copytree(data, copy)
    done = subprocess.run([RSME_KG, *args, "--into", str(copy)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return tree_digest(copy)


@pytest.mark.parametrize("kind", ["highlights", "bibtex"])
def test_an_import_killed_half_way_leaves_data_before_or_after(
    kind: str, highlights: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """`rsme-kg import` killed (SIGKILL) at moments from start to end: data/ is each time
    byte-identical to before or to the complete result, and the import done again works."""
    data, args = highlights
    if kind == "bibtex":
        bib = tmp_path / "refs.bib"
        bib.write_text(BIBTEX, encoding="utf-8")
        args = ["import", "bibtex", str(bib)]
    before = tree_digest(data)
    after = complete(data, args, tmp_path)
    assert after != before
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0):
        process = subprocess.Popen([RSME_KG, *args, "--into", str(data)], stdout=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
        assert tree_digest(data) in (before, after), delay
        if tree_digest(data) == after:
            break
        assert {p.name for p in data.iterdir()} == {p for p in before if "/" not in p}
    done = subprocess.run([RSME_KG, *args, "--into", str(data)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert tree_digest(data) == after


IMPORT_KILLER = """
import os, signal, sys
from pathlib import Path
from kg.interchange import writer
point = sys.argv[1]
real = os.replace
calls = []

def replace(src, dst):
    calls.append(dst)
    if point == "before the commit" and Path(dst).name == writer.JOURNAL:
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
    if point == "between two renames" and len(calls) == 2:  # the record, then one file
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
from kg.cli import main
sys.argv = ["rsme-kg", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("point", ["before the commit", "between two renames"])
def test_an_import_killed_at_each_step_of_writing(
    point: str, highlights: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """Killed with its files written aside but not committed: data/ is as before (but for
    hidden temporary files the next import removes). Killed after one of three renames: the
    next command that reads data/ (an import, build, validate) finishes the other two first,
    so no command ever reads a folder half old, half new."""
    data, args = highlights
    before = tree_digest(data)
    after = complete(data, args, tmp_path)
    script = tmp_path / "killer.py"
    script.write_text(IMPORT_KILLER, encoding="utf-8")
    killed = subprocess.run([sys.executable, str(script), point, *args, "--into", str(data)])
    assert killed.returncode == -signal.SIGKILL
    visible = {k: v for k, v in tree_digest(data).items() if not Path(k).name.startswith(".")}
    if point == "before the commit":
        assert visible == before
        assert not (data / writer.JOURNAL).exists()
    else:
        assert (data / writer.JOURNAL).exists()
        assert visible not in (before, after)  # half: what `recover` is for
        pipeline.check(data, run_reasoner=False)  # a build's reading finishes the import
        assert tree_digest(data) == after
    done = subprocess.run([RSME_KG, *args, "--into", str(data)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert tree_digest(data) == after


# ------------------------------------------------------------------ a full disk


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` (skip where mounting is not allowed)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, keep: int) -> Path:
    """Fill the file system of `folder` but for about `keep` bytes; the filler file."""
    filler = folder / "filler"
    free = shutil.disk_usage(folder).free - keep
    with filler.open("wb") as f:
        f.write(b"\0" * max(free, 0))
    return filler


def test_a_full_disk_during_a_build_fails_cleanly_and_loses_nothing(
    previous: Path, tmp_path: Path
) -> None:
    """A build whose output folder's disk fills up: exit 2, an error that names the path and
    says 'no space'; the previous dist/ as it was, nothing half-written beside it; the next
    build (with room) succeeds."""
    with small_disk(tmp_path / "disk", "8m") as disk:
        shutil.copytree(previous / "dist", disk / "dist")
        before = tree_digest(disk / "dist")
        filler = fill(disk, 200_000)
        failed = subprocess.run(
            build_args(previous / "data", disk / "dist"), capture_output=True, text=True
        )
        assert failed.returncode == 2, failed.stdout + failed.stderr
        message = " ".join(failed.stderr.split())
        assert "no space" in message and str(disk) in message, message
        assert "Traceback" not in failed.stderr
        assert tree_digest(disk / "dist") == before
        assert leftovers(disk, "dist") == []
        usable(disk / "dist")
        filler.unlink()
        done = subprocess.run(
            build_args(previous / "data", disk / "dist"), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        usable(disk / "dist")


def test_a_full_disk_during_an_import_fails_cleanly_and_loses_nothing(
    highlights: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """An import whose data folder's disk fills up: exit 2, 'no space' and the file named,
    data/ byte-identical, no temporary file left; with room again it succeeds."""
    data, args = highlights
    after = complete(data, args, tmp_path)
    with small_disk(tmp_path / "disk", "2m") as disk:
        shutil.copytree(data, disk / "data")
        before = tree_digest(disk / "data")
        filler = fill(disk, 4_000)
        failed = subprocess.run(
            [RSME_KG, *args, "--into", str(disk / "data")], capture_output=True, text=True
        )
        assert failed.returncode == 2, failed.stdout + failed.stderr
        message = " ".join(failed.stdout.split() + failed.stderr.split())
        assert "no space left on the device" in message and str(disk / "data") in message
        assert "Traceback" not in failed.stderr
        assert tree_digest(disk / "data") == before  # hidden temporary files included
        filler.unlink()
        done = subprocess.run(
            [RSME_KG, *args, "--into", str(disk / "data")], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert tree_digest(disk / "data") == after


def test_a_file_size_limit_during_a_build_fails_cleanly(previous: Path) -> None:
    """The same with RLIMIT_FSIZE (a quota-like limit, no mount needed): SIGXFSZ ignored, the
    write fails with EFBIG, and the build says so and keeps dist/."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    before = tree_digest(previous / "dist")
    failed = subprocess.run(
        build_args(previous / "data", previous / "dist"),
        capture_output=True,
        text=True,
        preexec_fn=limit,
    )
    assert failed.returncode == 2, failed.stdout + failed.stderr
    message = " ".join(failed.stderr.split())
    assert "no space" in message and str(previous) in message, message
    assert tree_digest(previous / "dist") == before
    assert leftovers(previous, "dist") == []


def test_recover_finishes_a_committed_import_by_its_record(tmp_path: Path) -> None:
    """The commit record by hand: one file renamed, one still aside; `recover` renames the
    second, removes the record and the backup, and leaves a live process's files alone."""
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("new a")
    (data / ".b.csv.tmp-999999999").write_text("new b")
    (data / ".a.csv.bak-999999999").write_text("old a")
    (data / f".c.csv.tmp-{os.getpid()}").write_text("someone's import, running")
    record = [
        {"target": "a.csv", "temp": ".a.csv.tmp-999999999"},
        {"target": "sub/b.csv", "temp": ".b.csv.tmp-999999999"},
    ]
    (data / writer.JOURNAL).write_text(json.dumps(record))
    assert writer.recover(data) == [data / "sub" / "b.csv"]
    names = sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())
    assert names == [f".c.csv.tmp-{os.getpid()}", "a.csv", "sub/b.csv"]
    assert (data / "sub" / "b.csv").read_text() == "new b"
    assert writer.recover(data) == []


def test_a_failed_write_says_which_file_and_changes_nothing(tmp_path: Path) -> None:
    """A write that fails half-way (here: a file's folder cannot be made, a file stands where it
    should be) names the file and leaves every other file as it was."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("old a")
    (data / "sources").write_text("a file where a folder is expected")
    before = tree_digest(data)
    with pytest.raises(WriteError) as error:
        writer.write_all(data, {"a.csv": b"new a", "sources/s.txt": b"text"})
    assert "nothing in" in str(error.value) and str(data) in str(error.value)
    assert tree_digest(data) == before
