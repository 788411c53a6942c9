"""The run list's pickers and `x` under a live refresh: no race freezes them, `x` resets all."""

from __future__ import annotations

from datetime import timedelta

from tests.ui.harness import list_app, recent, run_ids, screen_text, settle
from wflog_tui.ui.run_list import RunListScreen
from wflog_tui.ui.widgets.picker import Picker


async def test_the_workflow_picker_opens_every_time_while_the_list_refreshes(table, open_store_for):
    await table.insert(
        *(recent(i, workflow_name=f"Flow {i % 3}", status="FAILED") for i in range(1, 30))
    )
    store = await open_store_for(table)
    app = list_app(store, refresh_s=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 29)
        for _ in range(12):
            await pilot.press("w")
            await settle(pilot, lambda: isinstance(app.screen, Picker), within=5)
            await settle(pilot, lambda: "Flow 1" in screen_text(app), within=5)
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, RunListScreen), within=5)
            # The list answers its keys again at once.
            await pilot.press("ctrl+z")
            await settle(pilot, lambda: "status=FAILED,TIMED_OUT" in screen_text(app), within=5)
            await pilot.press("ctrl+z")
            await settle(pilot, lambda: "status=" not in screen_text(app), within=5)


async def test_x_clears_the_search_and_the_window_back_to_the_start(table, open_store_for):
    await table.insert(recent(1, workflow_name="Alpha"), recent(2, workflow_name="Beta"))
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 2)
        await pilot.press("slash", *"Alpha", "enter")
        await settle(pilot, lambda: run_ids(app) and len(run_ids(app)) == 1)
        await pilot.press("right_square_bracket", "right_square_bracket", "3")
        await settle(pilot, lambda: "window=all" in screen_text(app))
        assert "search=Alpha" in screen_text(app)
        await pilot.press("x")
        await settle(pilot, lambda: "window=24h" in screen_text(app))
        shown = screen_text(app)
        assert "search=" not in shown and "status=" not in shown
        await settle(pilot, lambda: len(run_ids(app)) == 2)
        assert app.screen.run_filter.since == timedelta(hours=24)


async def test_the_picker_shows_at_once_while_a_query_holds_the_view(table, open_store_for):
    await table.insert(recent(1, workflow_name="Alpha"), recent(2, workflow_name="Beta"))
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 2)
        screen = app.screen
        # A slow refresh holds the view's one query slot: the key still opens the picker.
        await screen.live.lock.acquire()
        try:
            await pilot.press("w")
            await settle(pilot, lambda: isinstance(app.screen, Picker), within=5)
            await settle(pilot, lambda: "loading …" in screen_text(app), within=5)
        finally:
            screen.live.lock.release()
        await settle(pilot, lambda: "Beta" in screen_text(app))
        await pilot.press("down", "down", "enter")
        await settle(pilot, lambda: "workflow=Beta" in screen_text(app))
        await settle(pilot, lambda: run_ids(app) and len(run_ids(app)) == 1)
