"""Copies carry what the screen shows: escaped by default, raw only when asked by name."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.command import CommandPalette

from tests.database import run_row
from tests.ui.harness import list_app, loaded, run_app, screen_text, settle, table_of
from tests.ui.json_app import JsonApp
from tests.ui.terminal_writes import clipboard_payloads, record_writes
from wflog_tui.model.display_text import escape_control
from wflog_tui.ui.palette import ScreenActionsProvider
from wflog_tui.ui.widgets.json_view import JsonView

UNSAFE = "ok\x1b]52;c;cHduZWQ=\x07 \x1b[2J\u202eevil\u061c\U000e0041\ufe0f"
VALUE = {"s": UNSAFE + "\nline two", "lone": "a\ud800b"}


async def test_y_copies_a_string_escaped_and_ctrl_y_copies_it_raw() -> None:
    app = JsonApp(VALUE)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(JsonView)
        assert view.select_path(("s",))
        await pilot.press("y")
        assert app.clipboard == escape_control(VALUE["s"], keep_newlines=True)
        assert "\x1b" not in app.clipboard and "\u202e" not in app.clipboard
        assert "\nline two" in app.clipboard  # line breaks stay: it is a multi-line value
        await pilot.press("ctrl+y")
        assert app.clipboard == VALUE["s"]
        assert app.notices[-1].startswith("Copied raw (unescaped) input.s")

        # A lone surrogate (a `json` column holds them) copies as its escape, both ways:
        # no clipboard can carry it, and copying it crashed the app before.
        assert view.select_path(("lone",))
        await pilot.press("y")
        assert app.clipboard == "a\\ud800b"
        await pilot.press("ctrl+y")
        assert app.clipboard == "a\\ud800b"


class PaletteJsonApp(JsonApp):
    """The JSON view with the app's own palette commands (the focused panel's bindings)."""

    COMMANDS = JsonApp.COMMANDS | {ScreenActionsProvider}


async def test_copy_raw_value_is_a_named_palette_command() -> None:
    app = PaletteJsonApp(VALUE)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(JsonView)
        assert view.select_path(("s",))
        app.action_command_palette()
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"copy raw")
        shown: list[str] = []

        def offered() -> bool:
            shown.append(screen_text(app))
            return "Copy raw value" in shown[-1]

        await settle(pilot, offered)
        line = next(line for line in shown[-1].splitlines() if "Copy raw value" in line)
        assert line.strip() == "Copy raw value  ^y"
        assert "Copy a string exactly as stored" in shown[-1]  # it says what it does
        await pilot.press("enter")
        await settle(pilot, lambda: app.clipboard == VALUE["s"])


async def test_the_list_copies_a_run_id_escaped_and_raw_on_request(table, open_store_for):
    hostile = "01H" + UNSAFE
    await table.insert(run_row(run_id=hostile, started_at=datetime.now(UTC)))
    store = await open_store_for(table)
    app = list_app(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, lambda: table_of(app).row_count == 1)
        writes = record_writes(app)
        await pilot.press("y")
        await pilot.press("ctrl+y")
        assert clipboard_payloads(writes) == [escape_control(hostile), hostile]
        await app.workers.wait_for_complete()


async def test_c_on_a_run_with_lone_surrogates_copies_an_escaped_note(make_table, open_store_for):
    table = await make_table(json_type="json", status_enum=False)
    await table.insert(run_row(run_id="R-SURR", status="FAILED"))
    await table.execute(
        f"UPDATE {table.shape.qualified} SET steps_log = $1::text::json WHERE run_id = 'R-SURR'",
        '[{"stepId": "s\\ud800", "status": "FAILED", "input": {"v": "\\udfff"},'
        ' "error": {"message": "bad \\udbff"}}]',
    )
    store = await open_store_for(table)
    app = run_app(store, "R-SURR", refresh_s=60)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, lambda: loaded(app))
        writes = record_writes(app)
        app.screen.step_view.focus()
        await pilot.press("c")
        notes = clipboard_payloads(writes)
        assert len(notes) == 1 and "bad \\udbff" in notes[0] and "s\\ud800" in notes[0]
        assert app.is_running
        await app.workers.wait_for_complete()
