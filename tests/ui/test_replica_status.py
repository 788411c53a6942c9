"""Pointed at a real hot standby whose replay is paused: the list's status line and a
tailed run's badge say the replica is behind, and that the list polls a standby.

The primary is an embedded server of this module's own (whatever WFLOG_TEST_DSN says) and
the standby is made from it with pg_basebackup (`tests/replica_server.py`).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.database import TableHandle
from tests.replica_server import streaming_standby
from tests.ui.harness import list_app, loaded, recent, run_app, run_ids, screen_text, settle
from tests.ui.step_entries import entry, trigger
from wflog_tui.demo.embedded import EmbeddedPostgres
from wflog_tui.demo.table_ddl import TableShape, create_table_sql
from wflog_tui.store import StoreSettings, open_store

# One worker runs the whole module: its primary and standby are started once per worker
# that gets any of its tests (about 10 s each on the shared machine).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("replica_status_pair")]


@dataclass
class Pair:
    primary: TableHandle
    standby_dsn: str


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Pair]:
    server = EmbeddedPostgres(
        Path(tempfile.mkdtemp(prefix="wflog-primary-")) / "pgdata", cleanup=True
    )
    primary_dsn = await asyncio.to_thread(server.start)
    try:
        shape = TableShape(schema="replicated")
        conn = await asyncpg.connect(primary_dsn)
        try:
            await conn.execute(create_table_sql(shape))
        finally:
            await conn.close()
        handle = TableHandle(primary_dsn, shape)
        running = [trigger(), entry("wait_for_approval", "RUNNING", t=1)]
        await handle.insert(
            recent(1, run_id="01DONE"),
            recent(2, run_id="01RUNNING", status="RUNNING", ended_at=None, steps_log=running),
        )
        async with streaming_standby(primary_dsn) as standby_dsn:
            yield Pair(handle, standby_dsn)
    finally:
        await asyncio.to_thread(server.stop)


async def _replay_paused(pair: Pair, admin: asyncpg.Connection) -> None:
    """Pause the standby's replay and write on the primary: the standby falls behind."""
    await admin.execute("SELECT pg_wal_replay_pause()")
    await pair.primary.insert(recent(0.2, run_id="01LATE"))


async def test_the_list_and_the_tail_say_how_far_the_replica_is_behind(pair):
    settings = StoreSettings(dsn=pair.standby_dsn, table=pair.primary.name)
    store = await open_store(settings)
    admin = await asyncpg.connect(pair.standby_dsn)
    try:
        assert store.standby
        app = list_app(store)
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(pilot, lambda: set(run_ids(app)) == {"01DONE", "01RUNNING"})
            status = lambda: screen_text(app).splitlines()[-2]  # noqa: E731
            await settle(pilot, lambda: "polling (standby)" in status())
            # A transaction replayed since the standby started: its time is what lag
            # is measured from; caught up, nothing is "behind".
            await pair.primary.insert(recent(0.5, run_id="01EARLY"))
            await settle(pilot, lambda: "01EARLY" in run_ids(app))
            assert "behind" not in status()
            await _replay_paused(pair, admin)
            await settle(pilot, lambda: "· replica " in status() and " behind" in status())
            assert "01LATE" not in run_ids(app)
        tail = run_app(store, "01RUNNING")
        async with tail.run_test(size=(160, 40)) as pilot:
            await settle(pilot, lambda: loaded(tail))
            badge = lambda: screen_text(tail).splitlines()[-2]  # noqa: E731
            await settle(pilot, lambda: "TAIL ●" in badge() and "· replica " in badge())
    finally:
        await admin.execute("SELECT pg_wal_replay_resume()")
        await admin.close()
        await store.close()
