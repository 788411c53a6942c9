"""Saved views in the run list: ctrl+s saves one into the config file (comments kept), `v`
opens one, a `--view`'s order applies at mount, and the window and time display are
remembered for the profile."""

from __future__ import annotations

from datetime import timedelta

from textual.command import CommandList, CommandPalette

from tests.ui.harness import list_app, queries_done, recent, run_ids, screen_text, settle
from wflog_tui.config_file import load_config
from wflog_tui.model.search_query import parse_query
from wflog_tui.sticky_state import recall_state
from wflog_tui.store import RunFilter

FILE = """# my settings, by hand
[defaults]
refresh = 2   # seconds

[views.sync]   # the invoice incident
status = ["FAILED"]
search = "Sync"
since = "7d"
sort = "duration"
reverse = false
columns = ["status", "run_id", "duration", "error"]
"""


def _notes(app) -> str:
    return "\n".join(n.message for n in app._notifications)


def _filter_bar(app) -> str:
    return next(
        line for line in screen_text(app).splitlines() if line.strip().startswith("Filter:")
    )


async def _rows(table) -> None:
    await table.insert(
        recent(1, run_id="01OK", workflow_name="Sync Invoices"),
        recent(
            2, run_id="01SLOW", status="FAILED", workflow_name="Sync Invoices", duration_ms=9000
        ),
        recent(3, run_id="01FAST", status="FAILED", workflow_name="Sync Invoices", duration_ms=10),
        recent(4, run_id="01OTHER", status="FAILED", workflow_name="Send Mail"),
        recent(60 * 24 * 3, run_id="01OLD", status="FAILED", workflow_name="Sync Invoices"),
    )


async def test_v_opens_a_saved_view_with_its_filters_search_window_and_order(
    table, open_store_for, tmp_path
):
    await _rows(table)
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    store = await open_store_for(table)
    app = list_app(store, config_path=path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("v")
        await settle(pilot, lambda: "Saved views" in screen_text(app))
        # Only views are offered: choosing "no view" would change nothing.
        assert "(any)" not in screen_text(app)
        await pilot.press("enter")
        # FAILED, "Sync" workflows, over 7 days, by duration ascending.
        await settle(pilot, lambda: run_ids(app) == ["01FAST", "01OLD", "01SLOW"])
        bar = _filter_bar(app)
        assert "status=FAILED" in bar and "window=7d" in bar and "sort: duration ↑" in bar
        assert "search=Sync" in bar
        assert "View sync" in _notes(app)
        header = next(line for line in screen_text(app).splitlines() if "Run id" in line)
        assert header.split() == ["Status", "Run", "id", "Duration", "Error"]
        # Refreshes and the clock update the columns shown, and only those.
        await queries_done(pilot, app.store, 3)
        app.screen.table.tick()
        await pilot.press("t")
        await pilot.pause()
        assert run_ids(app) == ["01FAST", "01OLD", "01SLOW"]
        assert "Sync Invoices" not in screen_text(app)  # the workflow column is hidden
        # `/` starts from the view's search, to be edited rather than typed again.
        await pilot.press("slash")
        await settle(pilot, lambda: app.screen.search_box.input.value == "Sync")


async def test_ctrl_s_saves_the_view_and_keeps_the_files_comments(table, open_store_for, tmp_path):
    await _rows(table)
    path = tmp_path / "config.toml"
    path.write_text(FILE)
    store = await open_store_for(table)
    app = list_app(store, config_path=path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("3", "W", "right_square_bracket")  # FAILED, by workflow, 7d
        await settle(pilot, lambda: "window=7d" in _filter_bar(app))
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Save this view as" in screen_text(app))
        await pilot.press(*"failing mail", "enter")
        await settle(pilot, lambda: "Saved view failing mail" in _notes(app))
    text = path.read_text()
    assert text.startswith("# my settings, by hand\n")
    assert "[views.sync]   # the invoice incident" in text
    view = load_config(path).views["failing mail"]
    assert view.columns == ()  # every column shows: the view names none
    assert view.status == ("FAILED",)
    assert view.since == "7d"
    assert (view.sort, view.reverse) == ("workflow", False)


async def test_a_bad_file_is_one_message_and_nothing_is_written(table, open_store_for, tmp_path):
    await _rows(table)
    path = tmp_path / "config.toml"
    path.write_text("[defaults]\nrefesh = 2\n")
    store = await open_store_for(table)
    app = list_app(store, config_path=path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("v")
        await settle(pilot, lambda: "defaults.refesh: unknown key" in _notes(app))
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Save this view as" in screen_text(app))
        await pilot.press("x", "enter")
        await settle(pilot, lambda: _notes(app).count("defaults.refesh: unknown key") == 2)
    assert path.read_text() == "[defaults]\nrefesh = 2\n"


async def test_a_views_order_and_search_apply_at_mount(table, open_store_for):
    await _rows(table)
    store = await open_store_for(table)
    app = list_app(
        store,
        run_filter=RunFilter(since=timedelta(hours=24), query=parse_query("status:FAILED")),
        search_text="status:FAILED",
        sort_column="duration",
        sort_reverse=True,
    )
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: run_ids(app) == ["01SLOW", "01OTHER", "01FAST"])
        assert "sort: duration ↓" in _filter_bar(app)
        assert "search=status:FAILED" in _filter_bar(app)
        await pilot.press("slash")
        await settle(pilot, lambda: app.screen.search_box.input.value == "status:FAILED")


async def test_the_window_and_time_display_are_remembered_for_the_profile(table, open_store_for):
    await _rows(table)
    store = await open_store_for(table)
    app = list_app(store, profile="prod")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("left_square_bracket", "t")
        await settle(pilot, lambda: recall_state("prod").time_display == "utc")
    assert recall_state("prod").since == "1h"
    assert recall_state(None).since is None


async def test_a_state_that_cannot_be_written_is_a_warning(
    table, open_store_for, tmp_path, monkeypatch
):
    await _rows(table)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    store = await open_store_for(table)
    app = list_app(store, profile="prod")
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("left_square_bracket")
        await settle(pilot, lambda: "are not remembered" in _notes(app))
        await settle(pilot, lambda: "window=1h" in _filter_bar(app))


async def test_the_palette_offers_views_profiles_and_the_report(table, open_store_for):
    await _rows(table)
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: len(run_ids(app)) == 4)
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await app.workers.wait_for_complete()
        await pilot.pause()
        listed = [str(o.prompt).split("\n")[0] for o in app.screen.query_one(CommandList).options]
        for command in (
            "Views  v",
            "Save view  ^s",
            "Switch profile  P",
            "Write incident report  ^r",
        ):
            assert command in listed
