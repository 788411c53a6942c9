"""The store measures the database's time, not the time the event loop was busy elsewhere.

At start-up the UI's event loop mounts and paints while the first queries are out; a
reply waits unread meanwhile. The pacer must not take that wait for a slow database.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from tests.database import run_row
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.query_timing import LoopStallMeter, TimedConnection

BLOCK_S = 1.0
# Generous: the machine is shared, and what is checked is that the block is left out.
WELL_UNDER_THE_BLOCK_S = 0.5


def block_the_loop_soon() -> None:
    """Another piece of work hogs the event loop for BLOCK_S, as painting a screen does."""
    asyncio.get_running_loop().call_soon(time.sleep, BLOCK_S)


async def test_a_blocked_loop_during_a_query_is_not_database_time(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        timed = TimedConnection(conn, LoopStallMeter())
        started = time.perf_counter()
        # The query goes out first; then the loop is blocked while the server answers.
        query = asyncio.ensure_future(timed.fetchval("SELECT 1"))
        block_the_loop_soon()
        assert await query == 1
        assert time.perf_counter() - started >= BLOCK_S
        assert 0 < timed.seconds < WELL_UNDER_THE_BLOCK_S
    finally:
        await conn.close()


async def test_a_slow_statement_is_counted_in_full(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        timed = TimedConnection(conn, LoopStallMeter())
        await timed.fetchval("SELECT pg_sleep(0.3)")
        # (The loop's jitter on a shared machine may take a few milliseconds off.)
        assert timed.seconds >= 0.25
    finally:
        await conn.close()


async def test_the_store_reports_database_time_without_the_loops_stalls(table):
    await table.insert(run_row(), run_row(status="RUNNING"))
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    async with await open_store(settings) as store:
        with store.stats.measure() as cycle:
            block_the_loop_soon()
            page = await store.fetch_page(RunFilter(since=None))
            block_the_loop_soon()  # between the queries of one refresh
            await store.count_by_status(RunFilter(since=None))
        assert len(page) == 2
        assert cycle.calls == 2
        assert cycle.seconds < WELL_UNDER_THE_BLOCK_S
        stat = store.stats.last["fetch_page"]
        # The call's wall time did include the block: the test exercised the problem.
        assert stat.ms >= BLOCK_S * 1000
        assert stat.db_ms < WELL_UNDER_THE_BLOCK_S * 1000
        assert stat.db_ms <= stat.ms


async def test_a_measure_counts_only_its_own_tasks_calls(table):
    await table.insert(run_row())
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    async with await open_store(settings) as store:
        other_done = asyncio.Event()

        async def another_view() -> None:
            await store.fetch_page(RunFilter(since=None))
            other_done.set()

        other = asyncio.create_task(another_view())  # started outside the block
        with store.stats.measure() as cycle:
            await store.count_by_status(RunFilter(since=None))
            await other_done.wait()
        await other
        assert cycle.calls == 1


async def test_a_stall_the_server_outlived_stays_database_time(pg_dsn):
    conn = await asyncpg.connect(pg_dsn)
    try:
        sql = "SELECT pg_sleep($1)"
        await conn.fetchval(sql, 0)  # prepared: the timed call is one round trip
        timed = TimedConnection(conn, LoopStallMeter())
        query = asyncio.ensure_future(timed.fetchval(sql, 0.6))
        # The loop is blocked for 0.2 s, and the server still works 0.4 s after that.
        asyncio.get_running_loop().call_soon(time.sleep, 0.2)
        await query
        assert timed.seconds >= 0.5
    finally:
        await conn.close()
