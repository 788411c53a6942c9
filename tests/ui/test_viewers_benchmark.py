"""The many-viewers benchmark's probes (benchmarks/viewers.py) see what they report.

Its figures come from wrappers around the app: these tests hold that two apps run side
by side in one event loop each measure their own refreshes, and that the in-flight count
would show two queries at once if an app ever sent them.
"""

from __future__ import annotations

import asyncio
import itertools

import asyncpg
from benchmarks.viewers import REFRESH_GROUPS, AppProbes
from textual._context import active_app

from tests.database import run_row
from tests.ui.harness import list_app, loaded, recent, run_app, settle


async def test_two_queries_at_once_in_an_app_are_counted(pg_dsn, monkeypatch):
    probes = AppProbes()
    probes.install(monkeypatch.setattr)
    app = object()
    measure = probes.watch(app, "list")
    token = active_app.set(app)  # type: ignore[arg-type]
    pool = await asyncpg.create_pool(pg_dsn, min_size=2, max_size=2)
    try:

        async def query() -> None:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT pg_sleep(0.2)")

        await query()
        assert measure.peak_in_flight == 1
        await asyncio.gather(query(), query())
        assert measure.peak_in_flight == 2
    finally:
        await pool.close()
        active_app.reset(token)


async def test_apps_in_one_loop_each_measure_their_own_refreshes(
    table, open_store_for, monkeypatch
):
    await table.insert(*(recent(m, status="RUNNING", ended_at=None) for m in range(1, 4)))
    tailed = run_row(status="RUNNING", ended_at=None, steps_log=[])
    await table.insert(tailed)
    probes = AppProbes()
    probes.install(monkeypatch.setattr)
    viewers = [
        (list_app(await open_store_for(table), refresh_s=0.1), "list"),
        (run_app(await open_store_for(table), tailed["run_id"]), "tail"),
    ]
    measures = [probes.watch(app, kind) for app, kind in viewers]

    def both_refreshed() -> bool:
        return all(len(m.refresh_starts) >= 4 for m in measures)

    async def view(index: int) -> None:
        app = viewers[index][0]
        async with app.run_test(size=(120, 30)) as pilot:
            # Both apps keep running until both have refreshed four times.
            await settle(pilot, both_refreshed)
            if index == 1:
                assert loaded(app)

    await asyncio.gather(view(0), view(1))
    listed, tail = measures
    # Each app's lock was taken only by its own view's workers: nothing crossed over.
    assert set(listed.lock_takes) <= {"list-refresh", "list-listen", "list-older"}
    assert set(tail.lock_takes) <= {"run-load", "run-tail", "run-entries"}
    for measure in measures:
        assert measure.lock_takes.keys() & set(REFRESH_GROUPS)
        assert measure.peak_in_flight == 1
        assert measure.queries >= 4
        assert measure.frames
        # Each next cycle is armed after the last ended, 0.1 s later.
        starts = measure.refresh_starts
        assert all(b - a >= 0.09 for a, b in itertools.pairwise(starts))
