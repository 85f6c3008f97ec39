"""The query worker pool's standby: a query that runs long is set aside and a standby worker
takes its place, so the others are not held up. Real worker processes over the fixture
corpus's store; the order of events is checked, never a duration."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from api.worker import ASIDE_NICENESS, Answer, Job, WorkerPool
from kg.errors import QueryTimeout

# about 30 million solutions over the fixture corpus: seconds of work for a worker
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . VALUES ?k { 1 2 3 4 } }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
QUICK = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?type }"
PATIENCE = 120.0  # a job's time limit where it is not what the test is about


def quick(n: int) -> Job:
    return Job(f"{QUICK} # {n}", None, None)


async def until(condition: Callable[[], bool], limit: float = 60) -> None:
    """Wait for a state of the pool (polled), or fail."""
    for _ in range(int(limit / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the pool did not reach the state waited for")


def niceness(pid: int) -> int:
    """The nice value of a process's main thread (field 19 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def in_pool(
    store: Path, scenario: Callable[[WorkerPool], Awaitable[object]], **options: object
) -> object:
    async def main() -> object:
        pool = WorkerPool(store, **options)  # type: ignore[arg-type]
        await pool.start()
        try:
            return await scenario(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


def test_the_standby_is_started_with_the_pool(small_store: Path) -> None:
    async def scenario(pool: WorkerPool) -> tuple[int, int, int, int]:
        await until(lambda: pool.ready == 1)
        return pool.alive, pool.ready, pool.aside, len(pool.pids)

    assert in_pool(small_store, scenario, size=2, standby=1, long_after=0.3) == (2, 1, 0, 3)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_long_query_is_set_aside_and_the_next_is_answered_meanwhile(small_store: Path) -> None:
    """A pool of one worker: its long job is set aside (its worker demoted, the standby in its
    place), a quick job is answered before the long one ends; the demoted worker is stopped
    when its job ends, and the pool returns to one worker and one standby."""

    async def scenario(pool: WorkerPool) -> None:
        await until(lambda: pool.ready == 1)
        first, spare = pool.pids
        long = asyncio.create_task(pool.run(Job(SLOW, None, None), PATIENCE))
        await until(lambda: pool.aside == 1)
        assert pool.set_aside == 1 and pool.alive == 1
        aside = [w.process.pid for w in pool._all if w.role == "aside"]
        assert aside == [first] and niceness(first) == ASIDE_NICENESS
        assert niceness(spare) == 0
        answer = await pool.run(quick(1), PATIENCE)
        assert isinstance(answer, Answer) and answer.status == 200
        assert not long.done()  # answered while the long job still runs
        slow = await long
        assert isinstance(slow, Answer) and slow.status == 200
        await until(lambda: not running(first) and pool.ready == 1)
        assert (pool.alive, pool.ready, pool.aside, pool.replaced) == (1, 1, 0, 0)
        assert first not in pool.pids and spare in pool.pids

    in_pool(small_store, scenario, size=1, standby=1, long_after=0.3)


def test_without_a_standby_the_next_query_waits_for_the_long_one(small_store: Path) -> None:
    """The same pool without a standby: the quick job is answered only after the long one."""

    async def scenario(pool: WorkerPool) -> list[str]:
        order: list[str] = []

        async def ask(name: str, job: Job) -> None:
            await pool.run(job, PATIENCE)
            order.append(name)

        long = asyncio.create_task(ask("long", Job(SLOW, None, None)))
        await asyncio.sleep(0.5)  # the long job is in the worker (order, not time, is checked)
        await asyncio.gather(long, ask("quick", quick(2)))
        assert pool.set_aside == 0 and len(pool.pids) == 1
        return order

    assert in_pool(small_store, scenario, size=1, standby=0, long_after=0.3) == ["long", "quick"]


def test_a_query_set_aside_still_stops_at_its_timeout(small_store: Path) -> None:
    """A runaway job set aside: QueryTimeout at its time limit, its worker killed and not
    replaced (the standby took its place), a new standby started; the pool answers."""

    async def scenario(pool: WorkerPool) -> None:
        await until(lambda: pool.ready == 1)
        with pytest.raises(QueryTimeout):
            await pool.run(Job(RUNAWAY, None, None), 1.5)
        assert pool.set_aside == 1
        await until(lambda: pool.ready == 1 and pool.aside == 0 and len(pool.pids) == 2)
        assert (pool.alive, pool.replaced) == (1, 1)
        answer = await pool.run(quick(3), PATIENCE)
        assert isinstance(answer, Answer) and answer.status == 200

    in_pool(small_store, scenario, size=1, standby=1, long_after=0.3)


def test_no_more_jobs_are_set_aside_than_the_pool_has_workers(small_store: Path) -> None:
    """Two long jobs in a pool of one: the first is set aside, the second keeps its worker
    (at most `size` aside), so the processes stay within 2 × size + standby."""

    async def scenario(pool: WorkerPool) -> None:
        await until(lambda: pool.ready == 1)
        first = asyncio.create_task(pool.run(Job(SLOW, None, None), PATIENCE))
        await until(lambda: pool.aside == 1)
        second = asyncio.create_task(pool.run(Job(f"{SLOW} # 2", None, None), PATIENCE))
        await until(lambda: pool.ready == 1)  # the next standby, which could take its place
        await asyncio.sleep(1.0)  # past long_after for the second job
        assert not second.done()
        assert (pool.aside, pool.set_aside) == (1, 1) and len(pool.pids) <= 3
        await asyncio.gather(first, second)

    in_pool(small_store, scenario, size=1, standby=1, long_after=0.3)


def test_a_standby_killed_is_replaced(small_store: Path) -> None:
    import os
    import signal

    async def scenario(pool: WorkerPool) -> None:
        await until(lambda: pool.ready == 1)
        spare = next(w.process.pid for w in pool._all if w.role == "standby")
        os.kill(spare, signal.SIGKILL)
        await until(lambda: pool.replaced == 1 and pool.ready == 1)
        assert spare not in pool.pids and pool.alive == 1

    in_pool(small_store, scenario, size=1, standby=1, long_after=0.3)
