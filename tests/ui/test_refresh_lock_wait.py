"""When refresh slows because reads wait on a lock another session holds, the status line
says so, instead of blaming a missing index (the table here has none of ours, so that
would be the other candidate)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from tests.ui.harness import list_app, recent, screen_text, settle


@contextlib.asynccontextmanager
async def locking_the_table(pg_dsn: str, qualified: str, *, hold_s: float, gap_s: float):
    """Another session that takes ACCESS EXCLUSIVE on the table again and again."""
    conn = await asyncpg.connect(pg_dsn)
    locked = asyncio.Event()

    async def migrate() -> None:
        while True:
            async with conn.transaction():
                await conn.execute(f"LOCK TABLE {qualified} IN ACCESS EXCLUSIVE MODE")
                locked.set()
                # A migration's rhythm: holding the lock is the point, not a wait.
                await asyncio.sleep(hold_s)
            await asyncio.sleep(gap_s)

    task = asyncio.create_task(migrate())
    try:
        await asyncio.wait_for(locked.wait(), 30)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await conn.close()


async def test_the_store_sees_reads_waiting_on_a_lock(pg_dsn, table, open_store_for):
    store = await open_store_for(table)
    assert await store.reads_wait_on_a_lock() is False
    async with locking_the_table(pg_dsn, table.shape.qualified, hold_s=30, gap_s=0):
        assert await store.reads_wait_on_a_lock() is True
    assert await store.reads_wait_on_a_lock() is False


async def test_a_lock_wait_is_named_not_a_missing_index(pg_dsn, make_table, open_store_for):
    bare = await make_table(recommended_indexes=False)
    await bare.insert(recent(1, run_id="01A"))
    store = await open_store_for(bare)
    # Half of the time may go to queries: a free list refreshes every 0.2 s, one whose
    # reads wait ~0.5 s on the lock slows to about 1 s, and is still refreshed in the test.
    app = list_app(store, query_budget=0.5)
    async with app.run_test(size=(220, 30)) as pilot:
        await settle(pilot, lambda: "01A" in screen_text(app))
        async with locking_the_table(pg_dsn, bare.shape.qualified, hold_s=0.5, gap_s=0.05):
            await settle(pilot, lambda: "waiting on a lock" in screen_text(app), within=12)
            text = screen_text(app)
            assert "refresh slowed to" in text and "held by another session" in text
            assert "no index on started_at" not in text
