"""Every key of a screen works whatever is focused, and `?` and the palette list exactly those."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette
from textual.widgets import TabbedContent

from tests.database import run_row
from tests.ui.harness import list_app, loaded, recent, run_app, screen_text, settle
from tests.ui.pane_app import POST, SLACK_LOG
from wflog_tui.ui.help_screen import HelpScreen
from wflog_tui.ui.run_view import RunScreen
from wflog_tui.ui.run_view.data_flow import TraceTable
from wflog_tui.ui.run_view.step_tree_view import StepTreeView


async def open_slack_run(table: Any, open_store_for: Any) -> tuple[dict, Any]:
    row = run_row(steps_log=SLACK_LOG, status="FAILED", input_payload=POST)
    await table.insert(row)
    return row, await open_store_for(table)


def active_tab(app: Any) -> str:
    return app.screen.query_one("#detail").query_one(TabbedContent).active


async def palette_lines(pilot: Any, query: str) -> list[str]:
    """Open the palette, type `query`, and return the commands it lists."""
    await pilot.press("ctrl+p")
    await settle(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*query)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    commands = pilot.app.screen.query_one(CommandList)
    return [str(option.prompt).split("\n")[0] for option in commands.options]


async def test_tab_and_json_keys_work_while_the_tree_has_focus(table, open_store_for):
    row, store = await open_slack_run(table, open_store_for)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        assert isinstance(app.screen.focused, StepTreeView)
        await pilot.press("5")
        await settle(pilot, lambda: active_tab(app) == "data-flow")
        # Focus stays on the tree: the arrows still move from step to step.
        assert isinstance(app.screen.focused, StepTreeView)
        await pilot.press("7")
        await settle(pilot, lambda: active_tab(app) == "run-input")
        await pilot.press("Y")
        await settle(pilot, lambda: app.clipboard == "input_payload")


async def test_the_palette_offers_the_run_view_s_actions_by_name(table, open_store_for):
    row, store = await open_slack_run(table, open_store_for)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        listed = await palette_lines(pilot, "data flow")
        assert any(line.startswith("Data flow tab") for line in listed), listed
        await pilot.press("escape")
        listed = await palette_lines(pilot, "page")
        assert not any("Page Left" in line or "Page Right" in line for line in listed), listed
        await pilot.press("escape", "1")
        listed = await palette_lines(pilot, "copy json path")
        assert any(line.startswith("Copy JSON path") for line in listed), listed
        await pilot.press("enter")
        await settle(pilot, lambda: app.clipboard == "input")


async def test_help_lists_only_keys_the_screen_binds(table, open_store_for):
    row, store = await open_slack_run(table, open_store_for)
    await table.insert(recent(1, status="FAILED"))
    app = list_app(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: "FAILED" in screen_text(app))
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = screen_text(app)
        assert "Next / previous failure" not in shown
        assert "Page Left" not in shown and "Scroll Home" not in shown
        assert "Search" in shown
        await pilot.press("escape")
        app.push_screen(RunScreen(row["run_id"]))
        await settle(pilot, lambda: loaded(app))
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = screen_text(app)
        assert "Data flow tab" in shown and "Next failure" in shown
        # `/` is the run view's own search now; Textual's scrolling keys stay out.
        assert "Search in this run" in shown and "Page Left" not in shown


async def test_jump_back_lands_on_the_tab_the_jump_was_made_from(table, open_store_for):
    row, store = await open_slack_run(table, open_store_for)
    app = run_app(store, row["run_id"])
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        screen = app.screen
        landed = screen.step_view.selected_node
        await pilot.press("tab", "5")
        await settle(pilot, lambda: isinstance(app.screen.focused, TraceTable))
        flow = app.screen.focused
        await settle(pilot, lambda: flow.row_count >= 2)
        # The data-flow table moves with j and k, as every list does.
        await pilot.press("j")
        assert flow.cursor_row == 1
        await pilot.press("j", "k")
        assert flow.cursor_row == 1
        await pilot.press("k", "enter")  # input.cc, from lookup_owner's output
        await settle(pilot, lambda: screen.step_view.selected_node is not landed)
        await pilot.press("b")
        await settle(pilot, lambda: screen.step_view.selected_node is landed)
        await settle(pilot, lambda: active_tab(app) == "data-flow")
