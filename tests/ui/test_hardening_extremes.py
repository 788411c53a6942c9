"""Extreme timestamps in the TUI: the list, its counts and sparkline, and the run view.

`infinity`, `-infinity`, year 12000 and 100 BC, in `timestamp` and `timestamptz` columns,
are shown as data ("∞", "year 12000") and the list stays live.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.database import EXTREMES, insert_extreme_runs, run_row
from tests.ui.harness import list_app, loaded, run_app, run_ids, screen_text, settle, table_of
from wflog_tui.store import RunFilter

STEPS = [
    {
        "stepId": "fetch",
        "status": "FAILED",
        "startedAt": "2026-11-26T09:00:00Z",
        "endedAt": "2026-11-26T09:00:01Z",
        "error": {"message": "boom"},
    }
]


@pytest.fixture(params=["timestamp(3)", "timestamptz(3)"], ids=["timestamp", "timestamptz"])
async def extreme_table(request, make_table):
    """A table with one ordinary FAILED run, one FAILED run ending at `infinity` a minute
    ago, and one run per extreme of `EXTREMES`."""
    table = await make_table(timestamp_type=request.param)
    await insert_extreme_runs(table, request.param, steps_log=STEPS)
    return table


async def test_the_list_shows_extremes_and_stays_live(extreme_table, open_store_for):
    store = await open_store_for(extreme_table)
    app = list_app(store, run_filter=RunFilter(since=None))
    async with app.run_test(size=(200, 40)) as pilot:
        # Rows come first, the header once its queries return: wait for both.
        await settle(
            pilot, lambda: table_of(app).row_count == 6 and "✗ FAILED 6" in screen_text(app)
        )
        assert run_ids(app)[0] == "R-INF" and run_ids(app)[-1] == "R-NEGINF"
        text = screen_text(app)
        for shown in ("∞", "-∞", "year 12000", "year 100 BC"):
            assert shown in text
        assert "✗ FAILED 6" in text
        assert "DISCONNECTED" not in text and "unavailable" not in text
        # A later refresh (a delta, with the counts and the sparkline) keeps it live: the
        # failure that ended at `infinity` counts in the current minute.
        await extreme_table.insert(run_row(run_id="R-LATER", started_at=datetime.now(UTC)))
        await settle(pilot, lambda: "R-LATER" in run_ids(app))
        assert "● LIVE" in screen_text(app)
        for _ in range(2):  # UTC, then local times
            await pilot.press("t")
            await pilot.pause()
            assert "year 12000" in screen_text(app) and "∞" in screen_text(app)
        await app.workers.wait_for_complete()


@pytest.mark.parametrize("run_id", ["R-INF", "R-ENDINF", "R-Y12000", "R-BC", "R-NEGINF"])
async def test_the_run_view_opens_a_run_with_extreme_times(extreme_table, open_store_for, run_id):
    store = await open_store_for(extreme_table)
    app = run_app(store, run_id, refresh_s=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        text = screen_text(app)
        assert run_id in text and "boom" in text
        ended = EXTREMES.get(run_id, ("", "infinity"))[1]
        if ended == "infinity":
            assert "ended ∞" in text
        elif run_id == "R-Y12000":
            assert "12000-01-01 00:00:00 UTC" in text
        elif run_id == "R-BC":
            assert "0100-01-01 00:00:00 UTC BC" in text
        for key in ("2", "3", "4", "5", "6", "7"):  # every detail tab (timing included)
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
        await app.workers.wait_for_complete()


async def test_a_failing_sparkline_leaves_the_rows_and_counts_live(table, open_store_for):
    now = datetime.now(UTC)
    await table.insert(run_row(run_id="R-ONE", status="FAILED", started_at=now, ended_at=now))
    store = await open_store_for(table)
    # The sparkline's SQL meets data it cannot handle (as `infinity` did on PostgreSQL 16).
    store._queries.failures_per_minute = lambda *_args: ("SELECT 1 / 0 AS ago, 1 AS n", [])
    app = list_app(store)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, lambda: "failures/min unavailable" in screen_text(app))
        text = screen_text(app)
        assert "22012" in text and "✗ FAILED 1" in text and "R-ONE" in text
        assert "● LIVE" in text and "DISCONNECTED" not in text
        # A run added later still arrives: the refresh goes on around the failing part.
        await table.insert(run_row(run_id="R-TWO", started_at=datetime.now(UTC)))
        await settle(pilot, lambda: "R-TWO" in run_ids(app))
        await app.workers.wait_for_complete()
