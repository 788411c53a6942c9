"""Push refresh: the trigger a DBA installs, and a listener that wakes the view once per burst."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.database import run_row
from tests.roles import dsn_as, role
from tests.standby import standby_of
from tests.waiting import eventually
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.notify import (
    INSERT_TRIGGER,
    NOTIFY_CHANNEL_DEFAULT,
    STATUS_TRIGGER,
    Listener,
    Wakeup,
    notify_triggers,
    trigger_sql,
)

# Every test here listens on, or notifies, the default channel, which is one per server:
# run side by side they would wake each other, so one worker runs them all in turn.
pytestmark = pytest.mark.xdist_group("notify_channel")

# Long enough for a notification to cross a local socket on a loaded CI machine.
ARRIVAL_S = 5.0


async def open_for(table, **settings):
    return await open_store(StoreSettings(dsn=table.dsn, table=table.name, **settings))


async def test_trigger_sql_installs_twice_and_is_found(table):
    async with await open_for(table) as store:
        sql = trigger_sql(store.info)
        await table.execute(sql)
        await table.execute(sql)
        async with store.dedicated_connection() as conn:
            found = await notify_triggers(conn, store.info, NOTIFY_CHANNEL_DEFAULT)
            assert found == [INSERT_TRIGGER, STATUS_TRIGGER]
            assert await notify_triggers(conn, store.info, "another_channel") == []


async def test_trigger_sql_from_a_table_name_matches_the_introspected_one(table):
    async with await open_for(table) as store:
        assert trigger_sql(table.name) == trigger_sql(store.info)


async def test_listener_wakes_on_insert_and_status_change_not_on_steps(table):
    await table.execute(trigger_sql(table.name))
    await table.insert(run_row(id="r1", status="RUNNING"))
    async with await open_for(table) as store:
        listener = Listener(store)
        assert await listener.start(), listener.reason
        try:
            await table.insert(run_row(id="r2", status="RUNNING"))
            assert await listener.wait(ARRIVAL_S) is Wakeup.CHANGED

            # steps_log is written at every step: it must not notify (see trigger_sql).
            await table.execute(
                f"UPDATE {table.shape.qualified} SET steps_log = '[{{}}]' WHERE id = 'r1'"
            )
            assert await listener.wait(0.5) is Wakeup.TIMEOUT

            await table.execute(
                f"UPDATE {table.shape.qualified} SET status = 'FAILED' WHERE id = 'r1'"
            )
            assert await listener.wait(ARRIVAL_S) is Wakeup.CHANGED
            # Setting the same status again is no change.
            await table.execute(
                f"UPDATE {table.shape.qualified} SET status = 'FAILED' WHERE id = 'r1'"
            )
            assert await listener.wait(0.5) is Wakeup.TIMEOUT
        finally:
            await listener.stop()


async def test_a_burst_of_writes_is_one_wakeup(table):
    await table.execute(trigger_sql(table.name))
    async with await open_for(table) as store:
        listener = Listener(store)
        assert await listener.start(), listener.reason
        try:
            # Twenty transactions, twenty notifications ...
            await table.insert(*(run_row(status="RUNNING") for _ in range(20)))
            # All of them arrive before the view next asks.
            await eventually(lambda: listener.notifications >= 20, "twenty notifications")
            assert listener.notifications == 20
            # ... one refresh.
            assert await listener.wait(ARRIVAL_S) is Wakeup.CHANGED
            assert await listener.wait(0.3) is Wakeup.TIMEOUT
        finally:
            await listener.stop()


async def test_min_wait_holds_back_an_early_notification_and_folds_the_rest(table):
    await table.execute(trigger_sql(table.name))
    async with await open_for(table) as store:
        listener = Listener(store)
        assert await listener.start(), listener.reason
        try:

            async def write_during_the_wait():
                for _ in range(3):
                    await table.insert(run_row(status="RUNNING"))
                    await asyncio.sleep(0.1)  # writes spread over the min_wait, not a wait

            writer = asyncio.create_task(write_during_the_wait())
            started = time.monotonic()
            assert await listener.wait(ARRIVAL_S, min_wait=1.0) is Wakeup.CHANGED
            assert time.monotonic() - started >= 1.0
            await writer
            assert listener.notifications == 3
            assert await listener.wait(0.3) is Wakeup.TIMEOUT
        finally:
            await listener.stop()


async def test_no_trigger_means_polling(table):
    async with await open_for(table) as store:
        listener = Listener(store)
        assert not await listener.start()
        assert not listener.active
        assert f"no trigger on {table.name} notifies channel 'wflog_tui'" in listener.reason
        assert await listener.wait(1.0) is Wakeup.LOST


async def test_a_trigger_for_another_channel_does_not_count(table):
    await table.execute(trigger_sql(table.name, "someone_else"))
    async with await open_for(table) as store:
        assert not await Listener(store).start()
        theirs = Listener(store, "someone_else")
        assert await theirs.start(), theirs.reason
        await theirs.stop()


async def test_an_awkward_channel_name_is_quoted_everywhere(table):
    channel = "Runs 'live'; DROP"
    await table.execute(trigger_sql(table.name, channel))
    async with await open_for(table) as store:
        listener = Listener(store, channel)
        assert await listener.start(), listener.reason
        try:
            await table.insert(run_row())
            assert await listener.wait(ARRIVAL_S) is Wakeup.CHANGED
        finally:
            await listener.stop()


async def test_pgbouncer_and_a_one_connection_pool_poll(table):
    await table.execute(trigger_sql(table.name))
    async with await open_for(table, pgbouncer=True) as store:
        listener = Listener(store)
        assert not await listener.start()
        assert "PgBouncer" in listener.reason
    async with await open_for(table, max_connections=1) as store:
        listener = Listener(store)
        assert not await listener.start()
        assert "one connection" in listener.reason


async def test_listener_stays_within_the_pool_of_two(pg_dsn, table):
    await table.execute(trigger_sql(table.name))
    await table.insert(run_row(id="a"))
    # A role of its own, so the count is this store's backends only: other tests (on other
    # workers, or other people's runs on a shared server) connect as 'wflog-tui' too.
    async with (
        role(pg_dsn, table) as name,
        await open_store(StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name)) as store,
    ):
        listener = Listener(store)
        assert await listener.start(), listener.reason
        try:
            pages = await asyncio.gather(*(store.fetch_page(RunFilter()) for _ in range(6)))
            assert all([r.id for r in page] == ["a"] for page in pages)
            admin = await asyncpg.connect(pg_dsn)
            try:
                backends = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = 'wflog-tui' AND usename = $1",
                    name,
                )
            finally:
                await admin.close()
            assert backends <= 2
            assert listener.active
        finally:
            await listener.stop()


async def test_a_dropped_connection_is_reported_and_listening_can_resume(pg_dsn, table):
    await table.execute(trigger_sql(table.name))
    async with await open_for(table) as store:
        listener = Listener(store)
        assert await listener.start(), listener.reason
        async with store.dedicated_connection() as conn:
            pid = await conn.fetchval("SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")
        admin = await asyncpg.connect(pg_dsn)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        assert await listener.wait(ARRIVAL_S) is Wakeup.LOST
        assert listener.reason == "the listening connection was lost"
        # The caller polls meanwhile, and may try again later.
        assert await listener.start(), listener.reason
        try:
            await table.insert(run_row())
            assert await listener.wait(ARRIVAL_S) is Wakeup.CHANGED
        finally:
            await listener.stop()
        assert listener.reason == "stopped"


async def test_a_standby_falls_back_to_polling(pg_dsn, table):
    await table.execute(trigger_sql(table.name))
    await table.insert(run_row(id="a"))
    async with standby_of(pg_dsn) as standby_dsn:
        settings = StoreSettings(dsn=standby_dsn, table=table.name)
        async with await open_store(settings) as store:
            # The standby serves reads ...
            assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]
            listener = Listener(store)
            # ... but never notifications, though the trigger is there (replicated).
            assert not await listener.start()
            assert listener.reason == "a standby does not receive notifications"
