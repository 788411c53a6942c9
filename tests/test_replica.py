"""Pointed at a real hot standby: polling instead of LISTEN, lag said, recovery conflicts met.

The primary is an embedded server of this module's own (whatever WFLOG_TEST_DSN says),
and the standby is made from it with pg_basebackup, both in temporary directories on
Unix sockets. Building both takes a few seconds, well within CI's 60 s.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.database import TableHandle, run_row
from tests.replica_server import streaming_standby
from wflog_tui.demo.embedded import EmbeddedPostgres
from wflog_tui.demo.table_ddl import TableShape, create_table_sql
from wflog_tui.store import RunFilter, StoreError, StoreSettings, open_store
from wflog_tui.store.notify import Listener, trigger_sql

# One worker runs the whole module: its primary and standby are started once per worker
# that gets any of its tests (10-15 s each on the shared machine).
pytestmark = pytest.mark.xdist_group("replica_pair")


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)


@dataclass
class Pair:
    primary: TableHandle
    standby_dsn: str
    # A view over the table that takes a second to read: a query long enough for the
    # primary's changes to conflict with it on the standby.
    slow: str


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Pair]:
    server = EmbeddedPostgres(
        Path(tempfile.mkdtemp(prefix="wflog-primary-")) / "pgdata", cleanup=True
    )
    primary_dsn = await asyncio.to_thread(server.start)
    try:
        shape = TableShape(schema="replicated")
        handle = TableHandle(primary_dsn, shape)
        conn = await asyncpg.connect(primary_dsn)
        try:
            await conn.execute(create_table_sql(shape))
            await conn.execute(trigger_sql(handle.name))
            await conn.execute(
                f"CREATE VIEW replicated.slow_log AS SELECT * FROM {shape.qualified} "
                "WHERE (SELECT true FROM pg_sleep(1))"
            )
        finally:
            await conn.close()
        await handle.insert(run_row(id="a"))
        # Any replayed change that conflicts with a query cancels it at once.
        async with streaming_standby(
            primary_dsn, "max_standby_streaming_delay=0", "hot_standby_feedback=off"
        ) as standby_dsn:
            yield Pair(handle, standby_dsn, "replicated.slow_log")
    finally:
        await asyncio.to_thread(server.stop)


async def _replayed(pair: Pair, run_id: str) -> bool:
    conn = await asyncpg.connect(pair.standby_dsn)
    try:
        return bool(
            await conn.fetchval(
                'SELECT EXISTS (SELECT 1 FROM replicated."workflow_execution_log" '
                "WHERE run_id = $1)",
                run_id,
            )
        )
    finally:
        await conn.close()


async def test_a_standby_is_polled_and_its_lag_shown_when_over_a_second(pair):
    settings = StoreSettings(dsn=pair.standby_dsn, table=pair.primary.name)
    async with await open_store(settings) as store:
        assert store.standby
        assert "a" in [r.id for r in await store.fetch_page(RunFilter())]
        # The trigger is there (replicated), but a standby never hears NOTIFY.
        listener = Listener(store)
        assert not await listener.start()
        assert listener.reason == "a standby does not receive notifications"
        # ... and asking took no second connection from the replica.
        assert store._pool.get_size() == 1
        # Caught up (once a transaction has been replayed): no lag to speak of.
        await pair.primary.insert(run_row(id="b", run_id="01B"))
        await until(lambda: _replayed(pair, "01B"))
        assert await store.replica_lag() is None

        admin = await asyncpg.connect(pair.standby_dsn)
        try:
            await admin.execute("SELECT pg_wal_replay_pause()")
            try:
                row = run_row(id="late")
                await pair.primary.insert(row)

                async def behind() -> bool:
                    lag = await store.replica_lag()
                    return lag is not None

                await until(behind)
                lag = await store.replica_lag()
                assert lag is not None and lag > timedelta(seconds=1)
                delta = await store.fetch_delta(RunFilter(), newest=None, running_ids=[])
                assert delta.replica_lag is not None and delta.replica_lag >= lag
                assert "late" not in {r.id for r in delta.new}
            finally:
                await admin.execute("SELECT pg_wal_replay_resume()")
        finally:
            await admin.close()
        await until(lambda: _replayed(pair, row["run_id"]))

        async def caught_up() -> bool:
            return await store.replica_lag() is None

        await until(caught_up)
        delta = await store.fetch_delta(RunFilter(), newest=None, running_ids=[])
        assert delta.replica_lag is None and "late" in {r.id for r in delta.new}


async def _reading(standby_dsn: str) -> bool:
    """True while the store's query is running on the standby."""
    conn = await asyncpg.connect(standby_dsn)
    try:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = "
                "'wflog-tui' AND state = 'active' AND query LIKE '%slow_log%')"
            )
        )
    finally:
        await conn.close()


async def _lock_on_primary(pair: Pair) -> None:
    # An ACCESS EXCLUSIVE lock is written to the WAL; replaying it on the standby needs
    # the table the store's query is reading.
    conn = await asyncpg.connect(pair.primary.dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                f"LOCK TABLE {pair.primary.shape.qualified} IN ACCESS EXCLUSIVE MODE"
            )
    finally:
        await conn.close()


async def test_a_query_cancelled_by_a_recovery_conflict_is_tried_again_once(pair):
    settings = StoreSettings(dsn=pair.standby_dsn, table=pair.slow)
    async with await open_store(settings) as store:
        page = asyncio.create_task(store.fetch_page(RunFilter()))
        await until(lambda: _reading(pair.standby_dsn))
        await _lock_on_primary(pair)
        # Cancelled once, asked again, answered.
        assert "a" in [r.id for r in await page]
        assert store.stats.failures == 1


async def test_a_second_recovery_conflict_is_reported_in_words(pair):
    settings = StoreSettings(dsn=pair.standby_dsn, table=pair.slow)
    async with await open_store(settings) as store:
        page = asyncio.create_task(store.fetch_page(RunFilter()))
        while not page.done():
            if await _reading(pair.standby_dsn):
                await _lock_on_primary(pair)
            await asyncio.sleep(0.05)
        with pytest.raises(StoreError) as caught:
            page.result()
        assert caught.value.sqlstate == "40001"
        assert caught.value.message == (
            "the replica cancelled the query: replaying the primary's changes needed what it "
            "was reading (User was holding a relation lock for too long.)"
        )
        assert store.stats.failures == 2
