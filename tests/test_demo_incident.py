"""The demo's staged incident: a newcomer's `groups` finds it, NEW, and names its input."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from wflog_tui.demo.refund_incident import NEW_VERSION
from wflog_tui.demo.seed import seed_history
from wflog_tui.demo.simulator import Simulator
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.failure_loading import groups_with_splitters

DAY = RunFilter(since=timedelta(hours=24))


async def _incident_group(table):
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    async with await open_store(settings) as store:
        _, groups = await groups_with_splitters(store, DAY)
    (found,) = [
        (g, r) for g, r in groups if g.key.step_id == "log_refund" and g.versions.get(NEW_VERSION)
    ]
    return found


async def test_the_seeded_history_shows_the_refund_incident_as_a_new_group(table):
    conn = await asyncpg.connect(table.dsn)
    try:
        assert await seed_history(conn, table.shape, now=datetime.now(UTC)) == 1500
    finally:
        await conn.close()
    group, report = await _incident_group(table)
    assert group.new
    assert group.key.signature == 'Property "…" is invalid: <n> (correlationId <uuid>)'
    assert group.versions == {NEW_VERSION: group.count}
    best = report.splitters[0]
    assert (best.path, best.value) == ("input.data.object.currency", "jpy")
    assert best.failing == best.failing_total == group.count
    assert best.passing == 0 and best.passing_total > 0


async def test_the_simulator_keeps_the_incident_going(table):
    conn = await asyncpg.connect(table.dsn)
    seeded_at = datetime.now(UTC)
    await seed_history(conn, table.shape, now=seeded_at)
    seeded, _ = await _incident_group(table)
    sim = Simulator(table.dsn, table.shape, tick=0.02, rng_seed=4, concurrency=8)
    task = asyncio.create_task(sim.run())
    # Live runs of the new version: a failing one (in yen) and a passing one.
    query = (
        f"SELECT count(*) FILTER (WHERE status::text = 'FAILED'), "
        f"count(*) FILTER (WHERE status::text = 'COMPLETED') FROM {table.shape.qualified} "
        "WHERE workflow_version_id = $1 AND started_at > $2"
    )
    try:
        deadline = time.monotonic() + 120
        failed = completed = 0
        while (failed == 0 or completed == 0) and time.monotonic() < deadline:
            failed, completed = await conn.fetchrow(
                query, NEW_VERSION, seeded_at.replace(tzinfo=None)
            )
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert failed > 0 and completed > 0
    group, report = await _incident_group(table)
    assert group.count == seeded.count + failed
    assert (report.splitters[0].path, report.splitters[0].value) == (
        "input.data.object.currency",
        "jpy",
    )
