"""A run view keeps up with time and with a run that fails while it is watched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from tests.database import run_row
from tests.ui.harness import loaded, run_app, screen_text, settle
from tests.ui.step_entries import entry, trigger


async def set_steps(table: Any, run_id: str, steps: list, status: str = "RUNNING") -> None:
    await table.execute(
        f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb, status = $3 "
        "WHERE run_id = $2",
        orjson.dumps(steps).decode(),
        run_id,
        status,
    )


def selected_label(app: Any) -> str:
    return app.screen.step_view.selected_node.label


async def open_running(table: Any, open_store_for: Any) -> tuple[dict, Any, list]:
    steps = [trigger(), entry("fetch_user", t=1), entry("enrich", "RUNNING", t=2)]
    row = run_row(steps_log=steps, status="RUNNING", ended_at=None, duration_ms=None)
    await table.insert(row)
    return row, await open_store_for(table), steps


async def test_a_tailed_run_that_fails_moves_to_the_failure(table, open_store_for):
    row, store, steps = await open_running(table, open_store_for)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert selected_label(app) == "enrich"
        steps[2] = entry("enrich", t=2)
        steps.append(entry("charge", "FAILED", stepName="Charge Card", t=3, error={"message": "x"}))
        await set_steps(table, row["run_id"], steps, "FAILED")
        await settle(pilot, lambda: selected_label(app) == "Charge Card")
        assert "press n" not in screen_text(app)


async def test_a_reader_who_moved_is_told_where_it_failed_not_moved(table, open_store_for):
    row, store, steps = await open_running(table, open_store_for)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await pilot.press("up")
        await settle(pilot, lambda: selected_label(app) == "fetch_user")
        steps[2] = entry("enrich", t=2)
        steps.append(entry("charge", "FAILED", stepName="Charge Card", t=3, error={"message": "x"}))
        await set_steps(table, row["run_id"], steps, "FAILED")
        await settle(pilot, lambda: "failed at Charge Card — press n" in screen_text(app))
        assert selected_label(app) == "fetch_user"
        await pilot.press("n")
        await settle(pilot, lambda: selected_label(app) == "Charge Card")
        assert "press n" not in screen_text(app)


async def test_the_header_s_relative_times_tick_for_an_ended_run(table, open_store_for):
    ended = datetime.now(UTC).replace(tzinfo=None)
    row = run_row(
        steps_log=[trigger()],
        started_at=ended - timedelta(seconds=1),
        ended_at=ended,
    )
    await table.insert(row)
    store = await open_store_for(table)
    app = run_app(store, row["run_id"], animations=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        await settle(pilot, lambda: "(now)" not in screen_text(app).splitlines()[1])
        first = screen_text(app).splitlines()[1]
        await settle(pilot, lambda: screen_text(app).splitlines()[1] != first)
