"""The run list as an on-call engineer uses it, against a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.database import run_row
from tests.ui.harness import list_app, recent, run_ids, screen_text, settle, table_of, workers_idle
from wflog_tui.store import RunFilter
from wflog_tui.ui.run_list import RunListScreen


async def test_lists_runs_newest_first_with_counts_and_filter(table, open_store_for):
    await table.insert(
        recent(5, run_id="01OLD", status="COMPLETED"),
        recent(1, run_id="01NEW", status="FAILED", error="channel_not_found"),
        recent(3, run_id="01MID", status="RUNNING", ended_at=None, duration_ms=None),
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        # Rows are drawn first, the counts once their query returns: wait for both.
        await settle(pilot, lambda: table_of(app).row_count == 3 and "FAILED 1" in screen_text(app))
        assert run_ids(app) == ["01NEW", "01MID", "01OLD"]
        text = screen_text(app)
        assert "✗ FAILED" in text and "● RUNNING" in text and "✓ COMPLETED" in text
        assert "channel_not_found" in text
        assert "✗ FAILED 1" in text and "● RUNNING 1" in text
        assert "Filter: window=24h" in text
        assert "● LIVE" in text


async def test_new_runs_appear_without_moving_a_reader(table, open_store_for):
    await table.insert(*[recent(10 + i, run_id=f"01R{i:02d}") for i in range(20)])
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 20)
        for _ in range(5):
            await pilot.press("down")
        screen = app.screen
        assert screen.runs[screen.table.selected_id()].run_id == "01R05"
        await table.insert(recent(0.5, run_id="01BRAND"), recent(0.2, run_id="01NEWER"))
        await settle(pilot, lambda: table_of(app).row_count == 22)
        assert run_ids(app)[:2] == ["01NEWER", "01BRAND"]
        # The cursor is still on the run the reader was looking at.
        assert screen.runs[screen.table.selected_id()].run_id == "01R05"
        assert "+2 new above" in screen_text(app)


async def test_running_row_is_updated_in_place(table, open_store_for):
    await table.insert(
        recent(1, id="crun", run_id="01LIVE", status="RUNNING", ended_at=None, duration_ms=None)
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 1)
        await table.execute(
            f"UPDATE {table.shape.qualified} SET status = 'FAILED', error = 'boom', "
            "ended_at = started_at + interval '3 seconds', duration_ms = 3000 WHERE id = 'crun'"
        )
        await settle(pilot, lambda: "boom" in screen_text(app))
        assert table_of(app).row_count == 1
        assert "✗ FAILED" in screen_text(app)
        assert "3.0 s" in screen_text(app)


async def test_running_durations_move_on_each_second_without_a_query(table, open_store_for):
    """A running run's duration on screen moves with the clock; one that has run for hours
    reads the same until its minute turns (its cell is then left alone)."""
    now, running = datetime.now(UTC), dict(status="RUNNING", ended_at=None, duration_ms=None)
    await table.insert(
        run_row(run_id="01FRESH", started_at=now - timedelta(seconds=20), **running),
        run_row(run_id="01LONG", started_at=now - timedelta(hours=2), **running),
    )
    store = await open_store_for(table)
    app = list_app(store, animations=True, refresh_s=60)
    async with app.run_test(size=(160, 30)) as pilot:
        # The rows, then the header's counts and sparkline; then no query until 60 s.
        header = {"count_by_status", "failures_per_minute"}
        await settle(pilot, lambda: table_of(app).row_count == 2)
        await settle(
            pilot,
            lambda: header <= store.stats.last.keys() and workers_idle(app, "list-refresh"),
        )

        def duration(run_id: str) -> str:
            line = next(line for line in screen_text(app).splitlines() if run_id in line)
            found = re.search(r"(\S+ \S+) …", line)  # "21.4 s …", "2h 00m …"
            assert found is not None, line
            return found.group(1)

        screen = app.screen
        long_key = next(k for k in screen.order if screen.runs[k].run_id == "01LONG")
        long_cell = table_of(app).get_cell(long_key, "duration")
        fresh = duration("01FRESH")
        queries = store.stats.calls
        await settle(pilot, lambda: duration("01FRESH") != fresh)
        assert duration("01LONG") in ("2h 00m", "2h 01m")
        if duration("01LONG") == "2h 00m":  # the minute did not turn meanwhile
            assert table_of(app).get_cell(long_key, "duration") is long_cell
        assert store.stats.calls == queries  # the clock, not a refresh


async def test_status_toggle_and_failing_only(table, open_store_for):
    await table.insert(
        recent(1, run_id="01OK", status="COMPLETED"),
        recent(2, run_id="01BAD", status="FAILED"),
        recent(3, run_id="01SLOW", status="TIMED_OUT"),
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 3)
        await pilot.press("3")
        await settle(pilot, lambda: run_ids(app) == ["01BAD"])
        assert "status=FAILED" in screen_text(app)
        await pilot.press("3", "ctrl+z")
        await settle(pilot, lambda: run_ids(app) == ["01BAD", "01SLOW"])
        await pilot.press("ctrl+z")
        await settle(pilot, lambda: len(run_ids(app)) == 3)


async def test_search_by_run_id_prefix_and_markup_is_literal(table, open_store_for):
    await table.insert(
        recent(1, run_id="01ABC", workflow_name="[bold red]Evil[/] \x1b[2J"),
        recent(2, run_id="01XYZ"),
    )
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 2)
        cell = table_of(app).get_cell(app.screen.order[0], "workflow")
        # Literal, cut with an ellipsis to the workflow column's width.
        literal = "[bold red]Evil[/] \\x1b[2J"
        assert cell.plain == literal or literal.startswith(cell.plain.removesuffix("…"))
        assert cell.plain.startswith("[bold red]Evil[/]")
        assert "[bold red]Evil[/]" in screen_text(app)
        await pilot.press("slash", *"01XY", "enter")
        await settle(pilot, lambda: run_ids(app) == ["01XYZ"])
        assert "search=01XY" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: len(run_ids(app)) == 2)


async def test_pause_stops_refresh_and_space_refreshes_once(table, open_store_for):
    await table.insert(recent(5, run_id="01A"))
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 1)
        await pilot.press("p")
        await settle(pilot, lambda: "PAUSED" in screen_text(app))
        await table.insert(recent(1, run_id="01B"))
        calls = store.stats.calls
        await pilot.pause(0.6)  # three refresh periods in which nothing may happen
        assert store.stats.calls == calls  # nothing was fetched while paused
        assert table_of(app).row_count == 1
        await pilot.press("space")
        await settle(pilot, lambda: table_of(app).row_count == 2)
        assert "PAUSED" in screen_text(app)


async def test_older_runs_load_at_the_end(table, open_store_for):
    await table.insert(*[recent(1 + i, run_id=f"01P{i:03d}") for i in range(130)])
    store = await open_store_for(table)
    app = list_app(store, refresh_s=30)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 100)
        await pilot.press("end")
        await settle(pilot, lambda: table_of(app).row_count == 130)
        assert run_ids(app)[-1] == "01P129"


async def test_sort_by_workflow_and_reverse(table, open_store_for):
    await table.insert(
        recent(1, run_id="01B", workflow_name="Beta"),
        recent(2, run_id="01A", workflow_name="Alpha"),
        recent(3, run_id="01C", workflow_name="Gamma"),
    )
    store = await open_store_for(table)
    app = list_app(store, refresh_s=30)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 3)
        await pilot.press("W")
        assert run_ids(app) == ["01A", "01B", "01C"]
        await pilot.press("W")
        assert run_ids(app) == ["01C", "01B", "01A"]
        assert "sort: workflow ↓" in screen_text(app)


async def test_slow_queries_slow_the_refresh_and_say_why(make_table, open_store_for):
    bare = await make_table(recommended_indexes=False)
    await bare.insert(recent(1, run_id="01A"))
    store = await open_store_for(bare)
    # A budget no query can meet: every cycle is "too slow" for a 0.2 s refresh.
    app = list_app(store, query_budget=1e-6)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, lambda: "refresh slowed to" in screen_text(app))
        text = screen_text(app)
        assert "no index on started_at" in text and "wflog-tui doctor" in text
        assert app.screen.live.pacer.next_interval() > 0.2


# On the worker that runs tests/test_notify.py: a notification on the shared channel from
# another test would be a refresh this test counts as polling.
@pytest.mark.xdist_group("notify_channel")
async def test_with_a_notify_trigger_the_list_waits_for_changes_instead_of_polling(
    table, open_store_for
):
    from wflog_tui.store.notify import trigger_sql

    await table.execute(trigger_sql(table.name))
    await table.insert(recent(3, run_id="01FIRST"))
    store = await open_store_for(table)
    app = list_app(store, refresh_s=0.3)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: "on change (LISTEN)" in screen_text(app))
        await settle(pilot, lambda: workers_idle(app, "list-refresh"))  # the one after LISTEN
        calls = store.stats.calls
        await pilot.pause(1.0)  # three polling periods in which nothing may happen
        assert store.stats.calls == calls  # no polling while nothing changes
        await table.insert(recent(0.1, run_id="01PUSHED"))
        await settle(pilot, lambda: "01PUSHED" in run_ids(app))


async def test_workflow_and_organisation_pickers_set_the_filter(table, open_store_for):
    await table.insert(
        recent(1, run_id="01A", workflow_name="Alpha", organisation_id="org_a"),
        recent(2, run_id="01B", workflow_name="Beta", organisation_id="org_b"),
    )
    store = await open_store_for(table)
    app = list_app(store, refresh_s=30)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 2)
        await pilot.press("w")
        await settle(pilot, lambda: "(any)" in screen_text(app) and "Beta" in screen_text(app))
        await pilot.press("down", "down", "enter")  # (any), Alpha, Beta
        await settle(pilot, lambda: run_ids(app) == ["01B"])
        assert "workflow=Beta" in screen_text(app)
        await pilot.press("o")
        await settle(pilot, lambda: "org_b" in screen_text(app) and "(any)" in screen_text(app))
        await pilot.press("escape")  # cancel: the filter stays as it was
        await settle(pilot, lambda: "(any)" not in screen_text(app))
        assert run_ids(app) == ["01B"]
        await pilot.press("w")
        await settle(pilot, lambda: "(any)" in screen_text(app))
        await pilot.press("home", "enter")  # (any): back to every workflow
        await settle(pilot, lambda: len(run_ids(app)) == 2)
        assert "workflow=" not in screen_text(app)


async def test_the_list_does_not_query_while_a_run_view_covers_it(table, open_store_for):
    await table.insert(recent(1, run_id="01SEEN"))
    store = await open_store_for(table)
    app = list_app(store, refresh_s=0.2, run_filter=RunFilter(since=timedelta(hours=24)))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: "fetch_delta" in store.stats.last)
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, RunListScreen))
        await settle(pilot, lambda: workers_idle(app, "list-refresh"))  # one in flight ends
        list_calls = {name: stat.at for name, stat in store.stats.last.items()}
        await pilot.pause(1.0)  # five refresh periods in which the list may not query
        assert store.stats.last["fetch_delta"].at == list_calls["fetch_delta"]
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RunListScreen))
        await settle(pilot, lambda: store.stats.last["fetch_delta"].at != list_calls["fetch_delta"])
