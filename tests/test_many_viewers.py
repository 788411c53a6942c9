"""Many viewers on one busy server: one query connection each, and patience when refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from tests.database import run_row
from tests.roles import alter_role, dsn_as, role
from wflog_tui.store import (
    ConfigurationError,
    ConnectionLost,
    RunFilter,
    StoreSettings,
    open_store,
)
from wflog_tui.store.connection import REFUSED_WAIT_MAX_S, refused_wait
from wflog_tui.store.notify import Listener, trigger_sql


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.05)


async def backends(admin: asyncpg.Connection, user: str) -> int:
    """How many server processes the role has open."""
    return await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", user)


async def test_a_viewer_queries_on_one_connection_and_listens_on_another(pg_dsn, table):
    await table.execute(trigger_sql(table.name))
    await table.insert(*(run_row(status="RUNNING") for _ in range(5)))
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with role(pg_dsn, table) as name:
            settings = StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name)
            async with await open_store(settings) as store:
                # Every view asking at once: the queries take turns on one connection.
                window = RunFilter()
                results = await asyncio.gather(
                    *(store.fetch_page(window) for _ in range(4)),
                    *(store.count_by_status(window) for _ in range(4)),
                    *(store.failures_per_minute(window) for _ in range(4)),
                )
                assert all(results[:4]) and len(results) == 12
                assert store.stats.peak_in_flight == 1
                assert await backends(admin, name) == 1
                # A primary: no lag to report, and no statement spent asking.
                assert not store.standby and await store.replica_lag() is None
                delta = await store.fetch_delta(window, newest=None, running_ids=[])
                assert delta.replica_lag is None
                # Push refresh adds the LISTEN connection, and only while it is on.
                listener = Listener(store)
                assert await listener.start(), listener.reason
                try:
                    await asyncio.gather(*(store.fetch_page(window) for _ in range(4)))
                    assert await backends(admin, name) == 2
                finally:
                    await listener.stop()
                assert store.stats.peak_in_flight == 1
    finally:
        await admin.close()


async def test_idle_connections_are_given_back(pg_dsn, table, monkeypatch):
    # The idle lifetime, shortened so the test need not wait half a minute.
    monkeypatch.setattr("wflog_tui.store.connection.IDLE_CONNECTION_S", 0.5)
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with role(pg_dsn, table) as name:
            settings = StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name)
            async with await open_store(settings) as store:
                await store.fetch_page(RunFilter())
                assert await backends(admin, name) == 1
                await until(lambda: _none(admin, name))
                # The next query connects again.
                assert await store.fetch_page(RunFilter()) == []
                assert await backends(admin, name) == 1
    finally:
        await admin.close()


async def _none(admin: asyncpg.Connection, name: str) -> bool:
    return await backends(admin, name) == 0


async def test_a_refused_connection_waits_without_asking_again(pg_dsn, table):
    await table.insert(run_row(id="a"))
    admin = await asyncpg.connect(pg_dsn)
    try:
        async with role(pg_dsn, table) as name:
            await admin.execute(f"ALTER ROLE {name} CONNECTION LIMIT 1")
            viewer = dsn_as(table.dsn, name)
            settings = StoreSettings(dsn=viewer, table=table.name, refused_wait_s=0.5)
            async with await open_store(settings) as store:
                # The store's connection is lost, and someone else takes the only slot.
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                    name,
                )
                await until(lambda: _none(admin, name))
                squatter = await asyncpg.connect(viewer)
                with pytest.raises(ConnectionLost) as refused:
                    await store.fetch_page(RunFilter())
                message = refused.value.message
                assert "has no free connection slots (too many connections for role" in message
                assert message.endswith(" s before trying again"), message
                first_wait = store.refused_until
                assert first_wait is not None
                # The slot is free again, but until the wait is over no call asks for it:
                # each fails at once, saying so, and the wait does not move.
                await squatter.close()
                await until(lambda: _none(admin, name))
                for _ in range(20):
                    with pytest.raises(ConnectionLost, match="waits"):
                        await store.fetch_page(RunFilter())
                assert store.refused_until == first_wait
                assert await backends(admin, name) == 0
                await until(lambda: _past(store))
                assert [r.id for r in await store.fetch_page(RunFilter())] == ["a"]
                assert store.refused_until is None
    finally:
        await admin.close()


async def _past(store) -> bool:
    return store.refused_until is None


@given(hs.integers(min_value=1, max_value=100), hs.floats(min_value=0, max_value=1))
def test_refused_waits_double_up_to_a_minute_drawn_from_the_upper_half(refusals, draw):
    wait = refused_wait(refusals, 1.0, lambda: draw)
    cap = min(REFUSED_WAIT_MAX_S, 2.0**refusals)
    assert cap / 2 <= wait <= cap
    assert refused_wait(refusals + 1, 1.0, lambda: draw) >= wait


def test_viewers_refused_at_once_come_back_spread_out():
    waits = sorted(refused_wait(3, 1.0) for _ in range(50))
    # Fifty viewers refused together: their next tries spread over seconds, not one instant.
    assert waits[0] >= 4.0 and waits[-1] <= 8.0
    assert waits[-1] - waits[0] > 1.0


async def test_a_full_server_at_start_is_one_clear_line(pg_dsn, table):
    async with role(pg_dsn, table) as name:
        await alter_role(pg_dsn, name, "CONNECTION LIMIT 0")
        settings = StoreSettings(dsn=dsn_as(table.dsn, name), table=table.name)
        with pytest.raises(ConfigurationError) as caught:
            await open_store(settings)
        assert "has no free connection slots (too many connections for role" in (
            caught.value.message
        )
